"""Model weights and resumable training checkpoints as safetensors files; no file is ever unpickled.

A weights file is a plain safetensors file whose ``__metadata__`` holds two strings: ``screener``,
the caller's metadata as one JSON object (architecture, class names, input size, normalisation,
threshold, metrics…), and ``format_version``. Weights carry their metadata so inference cannot drift
from training. A pickle-based PyTorch file (``torch.save``, ``.pt`` / ``.pth``) is refused from its
first bytes: unpickling runs whatever code the file names.

Whatever is wrong with a file comes back as a :class:`WeightsError` naming the file and the problem.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as serialise_safetensors
from torch import Tensor, nn

from screener_gui.core.atomic import write_bytes_atomic
from screener_gui.core.errors import WeightsError

FORMAT_VERSION = 1
CHECKPOINT_KIND = "checkpoint"  # metadata["kind"] of the files written by save_checkpoint

_METADATA_KEY = "screener"
_VERSION_KEY = "format_version"
_MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit on the JSON header
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save since PyTorch 1.6: a zip archive holding a pickle
_PICKLE_PROTOCOLS = (2, 3, 4, 5)  # b"\x80" then the protocol number opens a binary pickle
_LISTED = 5  # keys named in a "does not fit this model" message
_READ_ERRORS = (SafetensorError, OSError, ValueError, RuntimeError)


def save_weights(
    path: str | os.PathLike[str],
    tensors: Mapping[str, Tensor],
    metadata: Mapping[str, Any],
    *,
    half: bool = True,
) -> None:
    """Write tensors and their metadata as a safetensors file, atomically.

    Args:
        path: The file to write (replaced atomically when it exists).
        tensors: Named tensors, on any device; they are stored contiguous, on the CPU.
        metadata: JSON-serialisable mapping (tuples come back as lists).
        half: Store floating tensors as float16 (half the size); other dtypes are stored as they are.

    Raises:
        TypeError: A value is not a tensor, or ``metadata`` is not JSON-serialisable.
        ValueError: ``half`` and a finite value is beyond float16's range (±65504).
        OSError: The file cannot be written (an old one is then untouched).
    """
    stored: dict[str, Tensor] = {}
    for name, tensor in tensors.items():
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name!r} is a {type(tensor).__name__}, not a tensor")
        stored[name] = _stored_tensor(name, tensor.detach(), half)
    header = {_METADATA_KEY: _metadata_json(metadata), _VERSION_KEY: str(FORMAT_VERSION)}
    write_bytes_atomic(path, serialise_safetensors(stored, metadata=header))


def load_weights(
    path: str | os.PathLike[str], *, kind: str | None = None
) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Read a weights file written by :func:`save_weights`.

    Args:
        path: The safetensors file.
        kind: When given, ``metadata["kind"]`` must equal it (e.g. ``"classifier"``).

    Returns:
        The tensors (floating ones as float32, others as stored) and the metadata.

    Raises:
        WeightsError: Missing, a folder, empty, a pickle-based PyTorch file, truncated or corrupt,
            no screener metadata, a newer format version, another kind, or a tensor holding NaN
            or infinite values (a model with them scores every bag NaN).
    """
    path = Path(path)
    tensors, metadata = _read(path)
    _check_kind(path, metadata, kind)
    loaded = {name: t.float() if t.is_floating_point() else t for name, t in tensors.items()}
    broken = [name for name, t in loaded.items() if t.is_floating_point() and not bool(t.isfinite().all())]
    if broken:
        raise WeightsError(
            path, f"its tensors {_listing(broken)} hold NaN or infinite values; the file is corrupt"
        )
    return loaded, metadata


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata of a weights file, read from its header only (tensors left on disk).

    Raises:
        WeightsError: As :func:`load_weights`, for the header.
    """
    path = Path(path)
    return _screener_metadata(path, _read_header(path))


def load_state(model: nn.Module, tensors: Mapping[str, Tensor], path: str | os.PathLike[str]) -> None:
    """Load ``tensors`` into ``model`` strictly, cast to each parameter's / buffer's dtype.

    Keys and shapes are checked before anything is copied, so a refused file leaves the model as it was.

    Raises:
        WeightsError: Keys are missing or unexpected, or shapes differ; up to five of each are named.
    """
    expected = model.state_dict()
    missing = [key for key in expected if key not in tensors]
    unexpected = [key for key in tensors if key not in expected]
    wrong = [
        f"{key} (file {_shape(tensors[key])}, model {_shape(expected[key])})"
        for key in expected
        if key in tensors and tensors[key].shape != expected[key].shape
    ]
    named = {"missing keys": missing, "unexpected keys": unexpected, "wrong shapes": wrong}
    problems = [f"{what} {_listing(keys)}" for what, keys in named.items() if keys]
    if problems:
        raise WeightsError(path, "it does not fit this model: " + "; ".join(problems))
    cast = {key: tensors[key].to(dtype=value.dtype) for key, value in expected.items()}
    try:
        model.load_state_dict(cast, strict=True)
    except RuntimeError as exc:  # a module's own loading hook refused the values
        raise WeightsError(path, f"it does not fit this model ({exc})") from exc


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    metadata: Mapping[str, Any],
) -> None:
    """Write a resumable training checkpoint (model, optimizer, caller's metadata), atomically.

    Model tensors are stored under ``model.<name>`` in their own dtype (never halved); each
    parameter's optimizer state tensor (momentum buffer, ``exp_avg``, ``step``…) under
    ``optim.<param index>.<name>``; the optimizer's hyperparameters (``param_groups`` without their
    ``params`` lists) and non-tensor state go into the JSON metadata with ``metadata``.

    Raises:
        TypeError: ``metadata`` or an optimizer setting is not JSON-serialisable.
        ValueError: An optimizer hyperparameter is a tensor (e.g. a tensor ``lr``).
        OSError: The file cannot be written (an old one is then untouched).
    """
    tensors = {f"model.{key}": value for key, value in model.state_dict().items()}
    state = optimizer.state_dict()
    values: dict[str, dict[str, Any]] = {}
    for index, param_state in state["state"].items():
        for name, value in param_state.items():
            if isinstance(value, Tensor):
                tensors[f"optim.{index}.{name}"] = value
            else:
                values.setdefault(str(index), {})[name] = value
    groups = [{k: v for k, v in group.items() if k != "params"} for group in state["param_groups"]]
    if any(isinstance(value, Tensor) for group in groups for value in group.values()):
        raise ValueError("tensor-valued optimizer settings (such as a tensor lr) cannot be checkpointed")
    optimizer_meta = {
        "type": type(optimizer).__name__,
        "param_groups": groups,
        "group_sizes": [len(group["params"]) for group in state["param_groups"]],
        "values": values,
    }
    header = {"kind": CHECKPOINT_KIND, "metadata": dict(metadata), "optimizer": optimizer_meta}
    save_weights(path, tensors, header, half=False)


def load_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: torch.optim.Optimizer
) -> dict[str, Any]:
    """Restore ``model`` and ``optimizer`` from :func:`save_checkpoint`; training resumes exactly.

    ``optimizer`` must be built the same way as the saved one (same type, same parameter groups).
    Keys, shapes and the optimizer's type and parameter groups are checked before the model is touched.

    Returns:
        The metadata given to :func:`save_checkpoint`.

    Raises:
        WeightsError: Anything :func:`load_weights` refuses, a plain weights file, a checkpoint of
            another model or optimizer.
    """
    path = Path(path)
    tensors, header = _read(path)
    _check_kind(path, header, CHECKPOINT_KIND)
    try:
        metadata, saved = dict(header["metadata"]), header["optimizer"]
        saved_groups, sizes = list(saved["param_groups"]), list(saved["group_sizes"])
        saved_type, values = saved["type"], dict(saved["values"])
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightsError(path, f"its checkpoint metadata is incomplete or malformed ({exc!r})") from exc
    if saved_type != type(optimizer).__name__:
        raise WeightsError(
            path, f"it holds {saved_type} state, but the optimizer is {type(optimizer).__name__}"
        )
    current = optimizer.state_dict()["param_groups"]
    current_sizes = [len(group["params"]) for group in current]
    if current_sizes != sizes or len(saved_groups) != len(sizes):
        raise WeightsError(
            path,
            f"its optimizer has parameter groups of sizes {sizes}, this optimizer {current_sizes}",
        )
    model_tensors, optim_state = _split_checkpoint(path, tensors, values, sum(sizes))
    load_state(model, model_tensors, path)
    groups = [
        {**options, "params": group["params"]} for options, group in zip(saved_groups, current, strict=True)
    ]
    try:
        optimizer.load_state_dict({"state": optim_state, "param_groups": groups})
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise WeightsError(path, f"its optimizer state cannot be restored ({exc})") from exc
    return metadata


def _split_checkpoint(
    path: Path, tensors: dict[str, Tensor], values: dict[str, Any], n_params: int
) -> tuple[dict[str, Tensor], dict[int, dict[str, Any]]]:
    """Checkpoint tensors → (model state, optimizer per-parameter state by parameter index)."""
    model_tensors: dict[str, Tensor] = {}
    state: dict[int, dict[str, Any]] = {}
    try:
        for key, tensor in tensors.items():
            prefix, _, rest = key.partition(".")
            if prefix == "model":
                model_tensors[rest] = tensor
            elif prefix == "optim":
                index, _, name = rest.partition(".")
                state.setdefault(int(index), {})[name] = tensor
            else:
                raise ValueError(f"tensor {key!r} belongs to neither the model nor the optimizer")
        for index, entries in values.items():
            state.setdefault(int(index), {}).update(entries)
    except (ValueError, TypeError) as exc:
        raise WeightsError(path, f"it is not a valid checkpoint ({exc})") from exc
    outside = sorted(index for index in state if not 0 <= index < n_params)
    if outside:
        raise WeightsError(
            path, f"it has optimizer state for parameters {outside}, but the model has {n_params}"
        )
    return model_tensors, state


def _stored_tensor(name: str, tensor: Tensor, half: bool) -> Tensor:
    # A copy of every tensor: safetensors refuses tensors that share memory (tied weights, views).
    if not (half and tensor.is_floating_point()):
        return tensor.to("cpu", copy=True).contiguous()
    stored = tensor.to("cpu", torch.float16, copy=True).contiguous()
    if stored.isinf().any() and (stored.isinf() & ~tensor.isinf().cpu()).any():
        raise ValueError(f"{name!r} has values beyond float16's range (±65504); save it with half=False")
    return stored


def _metadata_json(metadata: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(metadata), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the weights metadata is not JSON-serialisable ({exc})") from exc


def _read(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Tensors in their stored dtypes and the screener metadata, after every check."""
    header = _read_header(path)
    metadata = _screener_metadata(path, header)
    try:
        with safe_open(path, framework="pt", device="cpu") as handle:
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118 (not a dict)
    except _READ_ERRORS as exc:
        raise WeightsError(path, f"its safetensors data is corrupt ({exc})") from exc
    return tensors, metadata


def _read_header(path: Path) -> dict[str, Any]:
    """The safetensors JSON header, after checking the file is safetensors and not truncated."""
    try:
        info = path.stat()  # a stat, never an open, before the type is known: a FIFO blocks an open
    except OSError as exc:
        raise WeightsError(path, _stat_problem(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise WeightsError(path, "it is a folder, not a weights file")
    if not stat.S_ISREG(info.st_mode):
        raise WeightsError(path, "it is not a regular file (a FIFO, socket or device)")
    try:
        size = info.st_size
        with path.open("rb") as handle:
            start = handle.read(9)
            length = struct.unpack("<Q", start[:8])[0] if len(start) == 9 else 0
            plausible = 2 <= length <= min(size - 8, _MAX_HEADER_BYTES) and start[8:9] == b"{"
            raw = start[8:] + handle.read(length - 1) if plausible else b""
    except OSError as exc:
        raise WeightsError(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    if size == 0:
        raise WeightsError(path, "the file is empty (0 bytes)")
    if not plausible:
        raise WeightsError(path, _not_safetensors_reason(start, length, size))
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WeightsError(
            path, f"its safetensors header is not valid JSON ({exc}); the file is corrupt"
        ) from exc
    if not isinstance(header, dict):
        raise WeightsError(path, "its safetensors header is not a JSON object; the file is corrupt")
    needed = _data_bytes_needed(header)
    present = size - 8 - length
    if needed > present:
        raise WeightsError(
            path,
            f"the file is truncated: its tensors need {needed:,} bytes of data, only {present:,} are there",
        )
    return header


def _stat_problem(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symlink loop (a link that leads, through links, back to itself)"
    if exc.errno == errno.ENOENT:
        return "the file does not exist"
    return f"the file cannot be read ({exc.strerror or exc})"


def _not_safetensors_reason(start: bytes, length: int, size: int) -> str:
    if start.startswith(_ZIP_MAGIC) or (
        start[:1] == b"\x80" and start[1:2] and start[1] in _PICKLE_PROTOCOLS
    ):
        return (
            "it is a pickle-based PyTorch file (torch.save, .pt / .pth); only safetensors weights are "
            "loaded and no file is ever unpickled, because unpickling can run any code the file names; "
            "use weights saved by this software (.safetensors with screener metadata)"
        )
    if size < 9:
        return f"the file is too short ({size} bytes) to be a safetensors weights file"
    if start[8:9] == b"{" and length > size - 8:
        return f"the file is truncated: its header says {length:,} bytes but only {size - 8:,} follow"
    return (
        "it is not a safetensors weights file (its first bytes are no safetensors header), or it is corrupt"
    )


def _data_bytes_needed(header: dict[str, Any]) -> int:
    """The end of the last tensor's data; 0 when the header is malformed (safetensors then says why)."""
    needed = 0
    for name, entry in header.items():
        if name == "__metadata__" or not isinstance(entry, dict):
            continue
        offsets = entry.get("data_offsets")
        if isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets):
            needed = max(needed, offsets[1])
    return needed


def _screener_metadata(path: Path, header: dict[str, Any]) -> dict[str, Any]:
    stored = header.get("__metadata__")
    if not isinstance(stored, dict) or _METADATA_KEY not in stored:
        raise WeightsError(
            path,
            "it is not a screener weights file: a safetensors file without the screener metadata "
            "(architecture, classes, threshold…) that says how to use it",
        )
    try:
        version = int(stored.get(_VERSION_KEY, ""))
    except (TypeError, ValueError, OverflowError) as exc:
        raise WeightsError(path, f"its format version {stored.get(_VERSION_KEY)!r} is not a number") from exc
    if version > FORMAT_VERSION:
        raise WeightsError(
            path,
            f"it was written in weights format {version} by a newer version of this software, which "
            f"reads formats up to {FORMAT_VERSION}; update the software to use it",
        )
    if version < 1:
        raise WeightsError(path, f"its format version {version} is not valid; the file is corrupt")
    try:
        metadata = json.loads(stored[_METADATA_KEY])
    except (TypeError, json.JSONDecodeError, RecursionError) as exc:
        raise WeightsError(path, f"its screener metadata is not valid JSON ({exc})") from exc
    if not isinstance(metadata, dict):
        raise WeightsError(path, "its screener metadata is not a JSON object")
    return metadata


def _check_kind(path: Path, metadata: dict[str, Any], kind: str | None) -> None:
    actual = metadata.get("kind")
    if kind is None or actual == kind:
        return
    held = _with_article(actual) if isinstance(actual, str) else "weights of no stated kind"
    raise WeightsError(path, f"it holds {held}, expected {_with_article(kind)}")


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1] and noun[0].lower() in 'aeiou' else 'a'} {noun}"


def _shape(tensor: Tensor) -> str:
    return "x".join(str(n) for n in tensor.shape) or "scalar"


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:_LISTED])
    return f"{shown} and {len(keys) - _LISTED} more" if len(keys) > _LISTED else shown
