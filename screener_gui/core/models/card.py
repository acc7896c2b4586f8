"""Model cards: the typed metadata of a weights file, and the one way pixels become its input.

A card is a frozen dataclass read from (:meth:`ModelCard.from_metadata`) and written to
(:meth:`ModelCard.to_metadata`) the JSON metadata of a safetensors weights file
(:mod:`screener_gui.core.weights`). Its fields are what inference needs: the architecture (a name of
the :mod:`~.registry`), the input normalisation, the thresholds, and each kind's own (strategy, mode
and input of a region classifier; the item margin of the dense detector). Every other key (training
settings, metrics, calibration…) is kept in ``extra`` and written back unchanged. A card checks its
fields when made, so a file with an unknown architecture, a NaN threshold or a size beyond the ranges
below is refused on reading with a :class:`~screener_gui.core.weights.WeightsError` naming the file and
the field. Older files load: optional fields they lack take their defaults. The segmenter has no card
but its metadata is checked the same way (:func:`check_segmenter_metadata`).

Ranges (each far around what training writes; beyond them a file is damaged or hand-edited, and a
value such as ``superpixel_area: 1`` would make one bag take minutes):

* ``superpixel_area``: :data:`SUPERPIXEL_AREA_RANGE` pixels (trained with 1500-2500);
* ``input_size``: sides in :data:`INPUT_SIDE_RANGE` pixels (the crops are 150x190 and 224x224);
* ``input_scale``: :data:`INPUT_SCALE_RANGE`; ``item_margin_px``: :data:`ITEM_MARGIN_RANGE`;
  ``min_delta_e``: :data:`MIN_DELTA_E_RANGE` (ΔE);
* segmenter ``min_size`` / ``max_size``: :data:`SEGMENTER_SIZE_RANGE` pixels, min <= max;
  ``score_threshold`` / ``mask_threshold`` in [0, 1]; 1 to :data:`MAX_CATEGORIES` categories.

:meth:`ModelCard.normalise` turns uint8 pixels into the network's input; training and inference both
call it, so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Self

import numpy as np
import torch

from screener_gui.core.models.base import CLASSES, normalise
from screener_gui.core.models.lite0 import MEAN as LITE0_MEAN
from screener_gui.core.models.lite0 import STD as LITE0_STD
from screener_gui.core.models.registry import CLASSIFIER_KIND, DENSE_KIND, entry, names
from screener_gui.core.weights import WeightsError, read_metadata

STRATEGIES = ("subcomponent", "object")
MODES = ("crop", "pooled")
POOLED_FAMILY = "dfl"  # the pooled mode pools the streams of a DFL network
DEFAULT_ITEM_MARGIN_PX = 16
MAX_THRESHOLD = float(np.nextafter(np.float32(1.0), np.float32(2.0)))
"""The highest threshold: :func:`~screener_gui.core.metrics.threshold_at_fpr` gives the number just
above the highest score (at most 1) when no score may alarm."""

SUPERPIXEL_AREA_RANGE = (100, 100_000)
INPUT_SIDE_RANGE = (16, 1024)
INPUT_SCALE_RANGE = (0.1, 4.0)
ITEM_MARGIN_RANGE = (0, 512)
MIN_DELTA_E_RANGE = (0.0, 100.0)
SEGMENTER_SIZE_RANGE = (64, 4096)
SEGMENTER_BACKBONES = ("lite0", "resnet50")  # as core.models.segmenter.BACKBONES (kept light to import)
MAX_CATEGORIES = 100

Triple = tuple[float, float, float]


@dataclass(frozen=True, kw_only=True)
class ModelCard:
    """What every weights file records; checked when made (``ValueError`` naming the field).

    Attributes:
        arch: A registered architecture of the card's kind.
        mean, std: Input normalisation per channel, on the [0, 1] scale.
        region_threshold, object_threshold: Calibrated thresholds in [0, 1]; None when not set.
        data: Where the training data came from; ``data["seed"]`` is its dataset's seed.
        extra: Every other metadata key, written back unchanged.
    """

    kind: ClassVar[str] = ""
    _KEYS: ClassVar[tuple[str, ...]] = ("kind", "arch", "region_threshold", "object_threshold", "data")

    arch: str
    mean: Triple
    std: Triple
    region_threshold: float | None = None
    object_threshold: float | None = None
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.arch, str) or self.arch not in names(self.kind):
            raise ValueError(
                f"its architecture {self.arch!r} is not a known {self.kind} "
                f"(known: {', '.join(names(self.kind))})"
            )
        self._set("mean", _triple(self.mean, "mean", positive=False))
        self._set("std", _triple(self.std, "std", positive=True))
        self._set("region_threshold", _threshold(self.region_threshold, "region_threshold"))
        self._set("object_threshold", _threshold(self.object_threshold, "object_threshold"))
        self._set("data", _frozen(self.data, "data"))
        self._set("extra", _frozen(self.extra, "extra"))
        seed = self.data.get("seed")
        if seed is not None and not _is_int(seed):
            raise ValueError(f"its data seed {seed!r} is not a whole number")
        clash = sorted(set(self.extra) & set(self._KEYS))
        if clash:
            raise ValueError(f"its extra keys {', '.join(clash)} are card fields")

    @property
    def data_seed(self) -> int | None:
        """The seed of the dataset the model was trained on, when recorded."""
        return self.data.get("seed")

    def normalise(
        self, pixels: np.ndarray | torch.Tensor, device: str | torch.device | None = None
    ) -> torch.Tensor:
        """uint8 pixels → this model's input: :func:`~.base.normalise` with the card's mean and std.

        Args:
            pixels: numpy images channels last (``(N, H, W, 3)`` or ``(H, W, 3)``) or a tensor channels
                first (``(N, 3, H, W)`` or ``(3, H, W)``); uint8, or floating in [0, 1].
            device: Where the input is made (default: where ``pixels`` are).

        Returns:
            float32 ``(N, 3, H, W)``.
        """
        return normalise(pixels, self.mean, self.std, device)

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any], path: object = "metadata") -> Self:
        """The card of a weights file's metadata; keys that are no field go to ``extra``.

        Raises:
            WeightsError: ``"{path}: {reason}"``: another kind, a required field missing, or a field
                that is not valid (unknown architecture, NaN or out-of-range threshold…).
        """
        try:
            kind = metadata.get("kind")
            if kind != cls.kind:
                held = f"a {kind}" if isinstance(kind, str) else "weights of no stated kind"
                raise ValueError(f"it holds {held}, expected a {cls.kind}")
            extra = {key: value for key, value in metadata.items() if key not in cls._KEYS}
            return cls(**cls._fields(metadata), extra=extra)
        except ValueError as exc:
            raise WeightsError(path, str(exc)) from exc

    def to_metadata(self) -> dict[str, Any]:
        """The JSON-ready metadata to save with the weights (thresholds and data only when set)."""
        metadata: dict[str, Any] = {"kind": self.kind, "arch": self.arch, **self._own_metadata()}
        for name in ("region_threshold", "object_threshold"):
            if getattr(self, name) is not None:
                metadata[name] = getattr(self, name)
        if self.data:
            metadata["data"] = copy.deepcopy(dict(self.data))
        return metadata | copy.deepcopy(dict(self.extra))

    @classmethod
    def _fields(cls, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of the fields every card has (the subclass adds its own)."""
        return {
            "arch": _required(metadata, "arch"),
            "region_threshold": metadata.get("region_threshold"),
            "object_threshold": metadata.get("object_threshold"),
            "data": metadata.get("data", {}),
        }

    def _own_metadata(self) -> dict[str, Any]:
        """The subclass's fields as metadata keys."""
        raise NotImplementedError

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


@dataclass(frozen=True, kw_only=True)
class ClassifierCard(ModelCard):
    """The card of a region classifier (``kind`` "classifier").

    Attributes:
        strategy: "subcomponent" (superpixels) or "object" (whole objects).
        mode: "crop" (each region's own crop) or "pooled" (a DFL network once per object, each
            superpixel's logits pooled from its maps).
        input_size: (height, width) of the crops; required in crop mode, None in pooled mode.
        input_scale: Scale of the object inputs in pooled mode.
        classes: Class names in logit order; must be :data:`~.base.CLASSES`.
        superpixel_area: Pixels per superpixel of the training regions, when recorded.
    """

    kind: ClassVar[str] = CLASSIFIER_KIND
    _KEYS: ClassVar[tuple[str, ...]] = (
        *ModelCard._KEYS,
        "mean",
        "std",
        "strategy",
        "mode",
        "input_size",
        "input_scale",
        "classes",
        "superpixel_area",
    )

    strategy: str
    mode: str = "crop"
    input_size: tuple[int, int] | None = None
    input_scale: float = 1.0
    classes: tuple[str, ...] = CLASSES
    superpixel_area: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _one_of(self.strategy, "strategy", STRATEGIES)
        _one_of(self.mode, "mode", MODES)
        if self.input_size is not None:
            self._set("input_size", _size(self.input_size))
        if self.mode == "crop" and self.input_size is None:
            raise ValueError("it is a crop-mode classifier without an input_size")
        if self.mode == "pooled" and entry(self.arch).family != POOLED_FAMILY:
            raise ValueError(f"its pooled mode needs a DFL architecture, not {self.arch!r}")
        self._set("input_scale", _in_range(self.input_scale, "input_scale", INPUT_SCALE_RANGE))
        classes = tuple(self.classes) if isinstance(self.classes, list | tuple) else self.classes
        if classes != CLASSES:
            raise ValueError(f"its classes {self.classes!r} are not {', '.join(CLASSES)}")
        self._set("classes", classes)
        if self.superpixel_area is not None:
            self._set(
                "superpixel_area", _count(self.superpixel_area, "superpixel_area", *SUPERPIXEL_AREA_RANGE)
            )

    @classmethod
    def _fields(cls, metadata: Mapping[str, Any]) -> dict[str, Any]:
        return super()._fields(metadata) | {
            "mean": _required(metadata, "mean"),
            "std": _required(metadata, "std"),
            "strategy": _required(metadata, "strategy"),
            "mode": metadata.get("mode", "crop"),
            "input_size": metadata.get("input_size"),
            "input_scale": metadata.get("input_scale", 1.0),
            "classes": metadata.get("classes", CLASSES),
            "superpixel_area": metadata.get("superpixel_area"),
        }

    def _own_metadata(self) -> dict[str, Any]:
        own: dict[str, Any] = {
            "strategy": self.strategy,
            "mode": self.mode,
            "input_scale": self.input_scale,
            "input_size": list(self.input_size) if self.input_size else None,
            "mean": list(self.mean),
            "std": list(self.std),
            "classes": list(self.classes),
        }
        if self.superpixel_area is not None:
            own["superpixel_area"] = self.superpixel_area
        return own


@dataclass(frozen=True, kw_only=True)
class DenseCard(ModelCard):
    """The card of the dense whole-item detector (``kind`` "dense_detector").

    The normalisation is stored as ``normalisation: {mean, std}`` (Lite0's when absent).

    Attributes:
        item_margin_px: Pixels around an item's mask box that its input crop keeps.
        min_delta_e: Anomalies fainter than this ΔE were left out of training, when set.
    """

    kind: ClassVar[str] = DENSE_KIND
    _KEYS: ClassVar[tuple[str, ...]] = (*ModelCard._KEYS, "normalisation", "item_margin_px", "min_delta_e")

    mean: Triple = LITE0_MEAN
    std: Triple = LITE0_STD
    item_margin_px: int = DEFAULT_ITEM_MARGIN_PX
    min_delta_e: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("item_margin_px", _count(self.item_margin_px, "item_margin_px", *ITEM_MARGIN_RANGE))
        if self.min_delta_e is not None:
            self._set("min_delta_e", _in_range(self.min_delta_e, "min_delta_e", MIN_DELTA_E_RANGE))
        # Not a field of the dense card, but the screener reads it from the metadata when present.
        if self.extra.get("superpixel_area") is not None:
            _count(self.extra["superpixel_area"], "superpixel_area", *SUPERPIXEL_AREA_RANGE)

    @classmethod
    def _fields(cls, metadata: Mapping[str, Any]) -> dict[str, Any]:
        stored = metadata.get("normalisation", {})
        if not isinstance(stored, Mapping):
            raise ValueError(f"its normalisation {stored!r} is not a mapping of mean and std")
        return super()._fields(metadata) | {
            "mean": stored.get("mean", LITE0_MEAN),
            "std": stored.get("std", LITE0_STD),
            "item_margin_px": metadata.get("item_margin_px", DEFAULT_ITEM_MARGIN_PX),
            "min_delta_e": metadata.get("min_delta_e"),
        }

    def _own_metadata(self) -> dict[str, Any]:
        return {
            "normalisation": {"mean": list(self.mean), "std": list(self.std)},
            "item_margin_px": self.item_margin_px,
            "min_delta_e": self.min_delta_e,
        }


CARDS: dict[str, type[ModelCard]] = {CLASSIFIER_KIND: ClassifierCard, DENSE_KIND: DenseCard}


def card_from_metadata(metadata: Mapping[str, Any], path: object = "metadata") -> ModelCard:
    """The card of ``metadata``, of the type its ``kind`` names.

    Raises:
        WeightsError: A kind without a card (a segmenter, a checkpoint…), or as
            :meth:`ModelCard.from_metadata`.
    """
    kind = metadata.get("kind")
    card_type = CARDS.get(kind) if isinstance(kind, str) else None
    if card_type is None:
        raise WeightsError(path, f"it holds a {kind!r}, not a model with a card ({', '.join(CARDS)})")
    return card_type.from_metadata(metadata, path)


def read_card(path: str | os.PathLike[str]) -> ModelCard:
    """The card of a weights file, read from its header (tensors left on disk).

    Raises:
        WeightsError: As :func:`~screener_gui.core.weights.read_metadata` and :func:`card_from_metadata`.
    """
    return card_from_metadata(read_metadata(path), path)


def check_segmenter_metadata(metadata: Mapping[str, Any], path: object = "metadata") -> None:
    """Check a segmenter weights file's metadata before the network is built from it.

    Raises:
        WeightsError: ``"{path}: {reason}"`` naming the field: an unknown backbone, no or malformed
            categories, sizes outside :data:`SEGMENTER_SIZE_RANGE` (or min above max), or a score /
            mask threshold that is not a number in [0, 1] (a NaN score threshold finds no item at
            all, so every bag would pass as clear).
    """
    try:
        _one_of(_required(metadata, "backbone"), "backbone", SEGMENTER_BACKBONES)
        categories = _required(metadata, "categories")
        if (
            not isinstance(categories, list)
            or not 1 <= len(categories) <= MAX_CATEGORIES
            or not all(isinstance(c, str) and c for c in categories)
            or len(set(categories)) != len(categories)
        ):
            raise ValueError(f"its categories {categories!r} are not 1 to {MAX_CATEGORIES} different names")
        low = _count(_required(metadata, "min_size"), "min_size", *SEGMENTER_SIZE_RANGE)
        high = _count(_required(metadata, "max_size"), "max_size", *SEGMENTER_SIZE_RANGE)
        if low > high:
            raise ValueError(f"its min_size {low} is above its max_size {high}")
        for name in ("score_threshold", "mask_threshold"):
            if metadata.get(name) is not None:
                _in_range(metadata[name], name, (0.0, 1.0))
    except ValueError as exc:
        raise WeightsError(path, str(exc)) from exc


def _required(metadata: Mapping[str, Any], key: str) -> Any:
    if key not in metadata:
        raise ValueError(f"its metadata has no {key}")
    return metadata[key]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"its {name} {value!r} is not a number")
    return float(value)


def _count(value: object, name: str, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise ValueError(f"its {name} {value!r} is not a whole number in {low}..{high}")
    return value


def _in_range(value: object, name: str, bounds: tuple[float, float]) -> float:
    number = _number(value, name)
    if not bounds[0] <= number <= bounds[1]:  # also false for NaN
        raise ValueError(f"its {name} {number!r} is not a number in [{bounds[0]}, {bounds[1]}]")
    return number


def _threshold(value: object, name: str) -> float | None:
    if value is None:
        return None
    number = _number(value, name)
    if not 0.0 <= number <= MAX_THRESHOLD:  # also false for NaN
        raise ValueError(f"its {name} {number!r} is not a threshold in [0, 1]")
    return number


def _triple(value: object, name: str, *, positive: bool) -> Triple:
    numbers = tuple(value) if isinstance(value, list | tuple) else ()
    if len(numbers) != 3 or not all(
        not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v) for v in numbers
    ):
        raise ValueError(f"its {name} {value!r} is not three finite numbers, one per channel")
    if positive and min(numbers) <= 0:
        raise ValueError(f"its {name} {value!r} is not three positive numbers")
    return tuple(float(v) for v in numbers)  # type: ignore[return-value]


def _size(value: object) -> tuple[int, int]:
    size = tuple(value) if isinstance(value, list | tuple) else ()
    low, high = INPUT_SIDE_RANGE
    if len(size) != 2 or not all(_is_int(v) and low <= v <= high for v in size):
        raise ValueError(
            f"its input_size {value!r} is not a (height, width) of whole numbers in {low}..{high}"
        )
    return size  # type: ignore[return-value]


def _one_of(value: object, name: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"its {name} {value!r} is not one of {', '.join(allowed)}")


def _frozen(value: object, name: str) -> MappingProxyType:
    if not isinstance(value, Mapping):
        raise ValueError(f"its {name} {value!r} is not a mapping")
    return MappingProxyType(copy.deepcopy(dict(value)))
