"""The models this software can build, by name: one entry per architecture, one file per family.

An entry names its family (the module of :mod:`screener_gui.core.models` that builds it), the kind of
weights file it is stored in (``metadata["kind"]``: ``"classifier"`` for the region classifiers,
``"dense_detector"`` for the dense whole-item detector) and its builder, a function or class of that
module. Family modules are imported when a model is built, never here: this module imports no model,
so listing names (the CLI's ``--arch`` choices, a model card's check of its architecture) costs nothing,
and no family can import the registry back.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

    from screener_gui.core.models.base import RegionClassifier

CLASSIFIER_KIND = "classifier"
DENSE_KIND = "dense_detector"


@dataclass(frozen=True)
class Entry:
    """One registered architecture.

    Attributes:
        name: The architecture's name (``metadata["arch"]`` of its weights, ``--arch`` on the CLI).
        family: The module of :mod:`screener_gui.core.models` that builds it.
        kind: The kind of weights file it is stored in.
        builder: The name of the function or class of ``family`` that builds it, or the builder itself.
    """

    name: str
    family: str
    kind: str
    builder: str | Callable[..., nn.Module]

    def build(self, **options: Any) -> nn.Module:
        """A new, randomly initialised model; ``options`` go to the builder."""
        builder = self.builder
        if isinstance(builder, str):
            builder = getattr(importlib.import_module(f"{__package__}.{self.family}"), builder)
        return builder(**options)


_ENTRIES: dict[str, Entry] = {}


def register(name: str, builder: str | Callable[..., nn.Module], family: str, kind: str) -> Entry:
    """Add an architecture; its names must be new.

    Raises:
        ValueError: ``name`` is taken.
    """
    if name in _ENTRIES:
        raise ValueError(f"the architecture {name!r} is registered already ({_ENTRIES[name].family})")
    _ENTRIES[name] = Entry(name, family, kind, builder)
    return _ENTRIES[name]


def names(kind: str | None = None) -> tuple[str, ...]:
    """The registered architectures (of ``kind`` when given), in registration order."""
    return tuple(name for name, entry in _ENTRIES.items() if kind is None or entry.kind == kind)


def entry(arch: str, kind: str | None = None) -> Entry:
    """The entry of ``arch``.

    Raises:
        ValueError: ``arch`` is not registered (as ``kind``, when given); the known names are listed.
    """
    found = _ENTRIES.get(arch)
    if found is None or (kind is not None and found.kind != kind):
        raise ValueError(f"Unknown {kind or 'architecture'} {arch!r}; known: {', '.join(names(kind))}")
    return found


def build(arch: str, *, kind: str | None = None, **options: Any) -> nn.Module:
    """A new model of architecture ``arch`` (of ``kind`` when given); ``options`` go to its builder.

    Raises:
        ValueError: As :func:`entry`.
    """
    return entry(arch, kind).build(**options)


def build_classifier(arch: str, pretrained: str | Path | None = None) -> RegionClassifier:
    """Build a registered region classifier, optionally with ImageNet weights in its backbone.

    Args:
        arch: One of ``names("classifier")``.
        pretrained: None (random initialisation); the path of a local torchvision-format ImageNet state
            dict (tensors whose shapes differ, such as the 1000-class head, are skipped); or, for the
            Lite0-based models, ``"imagenet"`` for the weights of the installed package.

    Raises:
        ValueError: Unknown ``arch``, or weights that do not fit it.
    """
    model = build(arch, kind=CLASSIFIER_KIND)
    if pretrained is not None:
        model.load_pretrained(pretrained)
    return model


register("resnet18", "build_resnet18", family="resnet", kind=CLASSIFIER_KIND)
register("resnet50", "build_resnet50", family="resnet", kind=CLASSIFIER_KIND)
register("squeezenet", "SqueezeNetClassifier", family="squeezenet", kind=CLASSIFIER_KIND)
register("vgg16", "VGG16Classifier", family="vgg", kind=CLASSIFIER_KIND)
register("bcnn", "BCNN", family="bcnn", kind=CLASSIFIER_KIND)
register("macnn", "MACNN", family="macnn", kind=CLASSIFIER_KIND)
register("dfl", "dfl_vgg16", family="dfl", kind=CLASSIFIER_KIND)
register("dfl_resnet18", "dfl_resnet18", family="dfl", kind=CLASSIFIER_KIND)
register("dfl_lite0", "dfl_lite0", family="dfl", kind=CLASSIFIER_KIND)
register("dense_lite0", "DenseDetector", family="dense", kind=DENSE_KIND)
