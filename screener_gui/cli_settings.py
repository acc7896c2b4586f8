"""Command-line options made from a settings dataclass, so a job's defaults live in one place.

A long job (generation, training, evaluation, soak…) takes a frozen settings dataclass whose
docstring's ``Attributes:`` section says what each field means. :func:`add_settings_options`
turns every field into ``--field-name`` with that field's default and help; :func:`settings_from`
builds the dataclass back from the parsed arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping

_SCALARS = {int, float, str, bool}


def add_settings_options(
    parser: argparse.ArgumentParser,
    settings: type | Mapping[str, type],
    *,
    skip: tuple[str, ...] = (),
    flags: Mapping[str, str] | None = None,
) -> None:
    """Add one option per field of ``settings`` (a dataclass) to ``parser``.

    Booleans get ``--name`` / ``--no-name``; ``X | None`` fields take an X or the word ``none``;
    ``Literal[...]`` fields take one of their values; a field without a default is a required
    option. ``flags`` names a field's option otherwise (``{"width_px": "--width"}``); fields in
    ``skip`` are left to the caller.

    ``settings`` may also name several classes behind one command (``{"crop": A, "pooled": B}``):
    a field whose default differs between them gets no parser default, so that
    :func:`settings_from` leaves it to the chosen class, and its help names each default.
    """
    classes = settings if isinstance(settings, Mapping) else {"": settings}
    owners: dict[str, list[tuple[str, dataclasses.Field]]] = {}
    for label, settings_class in classes.items():
        for field in dataclasses.fields(settings_class):
            if field.name not in skip and field.init:
                owners.setdefault(field.name, []).append((label, field))
    for name, found in owners.items():
        first = classes[found[0][0]]
        kind, choices = _option_type(typing.get_type_hints(first)[name], first, name)
        helps = {label: field_help(classes[label]).get(name, "").rstrip(".") for label, _ in found}
        text = _joined(helps)
        defaults = [(label, _default(field)) for label, field in found]
        options = {"dest": name, "help": text}
        if any(field.default is field.default_factory is dataclasses.MISSING for _, field in found):
            options["required"] = True
        elif all(value == defaults[0][1] for _, value in defaults):
            options["default"] = defaults[0][1]
            shown = _shown(defaults[0][1])
        else:
            options["default"] = argparse.SUPPRESS
            shown = ", ".join(f"{_shown(value)} {label}" for label, value in defaults)
        only = f"{', '.join(label for label, _ in found)} only; " if len(found) < len(classes) else ""
        if "required" not in options:
            options["help"] += f" ({only}default: {shown})"
        flag = (flags or {}).get(name, "--" + name.replace("_", "-"))
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **options)
        else:
            metavar = flag.lstrip("-").replace("-", "_").upper()
            parser.add_argument(
                flag, type=kind, choices=choices, metavar=None if choices else metavar, **options
            )


def settings_from(settings_class: type, args: argparse.Namespace, **overrides: object):
    """The ``settings_class`` instance the parsed ``args`` describe (``overrides`` win).

    Fields the arguments do not hold (another class's options, or a default left to the class)
    take the class's default.
    """
    names = [f.name for f in dataclasses.fields(settings_class) if f.init]
    values = {name: getattr(args, name) for name in names if hasattr(args, name)}
    return settings_class(**(values | overrides))


def field_help(settings_class: type) -> dict[str, str]:
    """Each field's description from the class docstring's ``Attributes:`` section."""
    doc = inspect.getdoc(settings_class) or ""
    match = re.search(r"^Attributes:\n((?:[ \t]+.*\n?|\n)*)", doc, re.MULTILINE)
    if not match:
        return {}
    helps: dict[str, str] = {}
    current = None
    for line in match.group(1).splitlines():
        entry = re.match(r"^\s{2,4}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
        if entry and (current is None or not line.startswith(" " * 8)):
            current = entry.group(1)
            helps[current] = entry.group(2).strip()
        elif current and line.strip():
            helps[current] += " " + line.strip()
    return {name: " ".join(text.replace("``", "").split()).replace("%", "%%") for name, text in helps.items()}


def _option_type(hint: object, owner: type, name: str) -> tuple[Callable[[str], object], tuple | None]:
    """How an option of a field with annotation ``hint`` reads its text, and its choices."""
    if hint in _SCALARS:
        return hint, None  # type: ignore[return-value]
    if typing.get_origin(hint) is typing.Literal:
        return str, typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        parts = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(parts) == 1 and parts[0] in _SCALARS and parts[0] is not bool:
            return _or_none(parts[0]), None
    raise TypeError(f"{owner.__name__}.{name}: {hint!r} cannot be a command-line option")


def _or_none(kind: type) -> Callable[[str], object]:
    """A reader of ``kind`` that takes ``none`` for None."""

    def read(text: str) -> object:
        return None if text.lower() == "none" else kind(text)

    read.__name__ = kind.__name__  # argparse names the type in its error messages
    return read


def _joined(helps: dict[str, str]) -> str:
    """One help text, or each class's when they differ (``crop: ...; pooled: ...``)."""
    texts = set(helps.values()) - {""}
    if len(texts) <= 1:
        return next(iter(texts), "")
    return "; ".join(f"{label}: {text}" for label, text in helps.items() if text)


def _shown(value: object) -> str:
    return "none" if value is None else str(value)


def _default(field: dataclasses.Field) -> object:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None
