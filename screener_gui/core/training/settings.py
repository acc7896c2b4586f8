"""The settings of the training and calibration jobs, apart from the code that runs them.

Frozen dataclasses whose ``Attributes:`` sections document every field: the jobs take them
(:mod:`screener_gui.core.jobs`), the weights' cards record them, and the CLI makes its options from
them (:mod:`screener_gui.cli_settings`) without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from screener_gui.core.pipeline.superpixels import DEFAULT_SUPERPIXEL_AREA

Strategy = Literal["subcomponent", "object"]
"""What a region is: a superpixel of an object (the paper's) or the whole object."""


@dataclass(frozen=True)
class RegionSettings:
    """How a region cache (``extract_regions``) or an object cache (``extract_objects``) is cut.

    Attributes:
        strategy: What a region is: a superpixel of an object (subcomponent, the paper's) or the
            whole object. Object caches (the pooled mode) hold sub-components only.
        superpixel_area: Pixels per superpixel, each pixel 0.64 mm² (sub-components only).
        workers: Processes (none: one per core; 1 runs in this process).
        limit: Only the first this many scans (none: all).
    """

    strategy: Strategy = "subcomponent"
    superpixel_area: int = DEFAULT_SUPERPIXEL_AREA
    workers: int | None = None
    limit: int | None = None


@dataclass(frozen=True)
class ItemSettings:
    """How an item cache for the dense detector is cut (``write_item_cache``, ``screener items``).

    Attributes:
        min_delta_e: Anomalies fainter than this ΔE are neither class in the pixel targets, and an
            item holding only such anomalies is left out of the item loss and of validation.
        limit: Only the first this many scans (none: all).
    """

    min_delta_e: float = 2.0
    limit: int | None = None


@dataclass(frozen=True)
class EvaluateSettings:
    """What an evaluation (``evaluate``) screens; the models are chosen apart from it.

    Attributes:
        limit: Only the first this many scans of the dataset (none: all).
    """

    limit: int | None = None


@dataclass(frozen=True)
class FitHeadSettings:
    """How a dense detector's item head is refitted (``refit_item_head``).

    Attributes:
        device: Where the network passes the items whole (cpu, cuda ...); the head itself is fitted
            on the CPU.
    """

    device: str = "cpu"


@dataclass(frozen=True)
class ClassifierSettings:
    """A classifier training run. Defaults are the paper's: SGD, momentum 0.9, lr 0.001, batch 64.

    Attributes:
        arch: Region classifier architecture (a name of the model registry).
        pretrained: ``imagenet`` (Lite0 models: the installed package's weights), a local
            torchvision state dict, or none.
        init: Start from these classifier weights (e.g. the shipped model).
        epochs: Epochs in all (a resumed run continues to this many).
        samples_per_epoch: What an epoch is: that many crops drawn from the class-balanced
            (minority up-sampled) training set.
        batch: Crops per step.
        lr: SGD learning rate.
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
        target_fpr: Validation false-positive rate at which the region threshold is set.
        bank_init_crops: Training crops per class whose peaks initialise the DFL filter bank.
        freeze_early: Keep the early layers at their pretrained weights (only when pretrained).
        frozen_blocks: Lite0 blocks kept frozen (3: those at stride 2 and 4).
        min_delta_e: Leave training anomalies fainter than this ΔE out (validation keeps them
            all; see ``region_cache.visible_targets``).
        seed: Seed of the initialisation, sampling and augmentation.
    """

    arch: str = "dfl_lite0"
    pretrained: str | None = "imagenet"
    init: str | None = None
    epochs: int = 10
    samples_per_epoch: int = 8192
    batch: int = 64
    lr: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 1e-4
    target_fpr: float = 0.02
    bank_init_crops: int = 256
    freeze_early: bool = True
    frozen_blocks: int = 3
    min_delta_e: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class PooledSettings:
    """A pooled training run: ``batch`` objects per step, inputs scaled by ``input_scale``.

    Attributes:
        arch: Region classifier architecture (a DFL network of the model registry).
        pretrained: ``imagenet`` (Lite0 models: the installed package's weights), a local
            torchvision state dict, or none.
        init: Start from these classifier weights (e.g. the shipped model).
        epochs: Epochs in all, each every training object once (a resumed run continues).
        batch: Objects per step.
        lr: SGD learning rate (a tenth of it in the last quarter of the epochs).
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
        input_scale: Objects are scaled by this before the network.
        target_fpr: Validation false-positive rate at which the region threshold is set.
        bank_init_objects: Training objects whose superpixel peaks initialise the DFL filter bank.
        freeze_early: Keep the early layers at their pretrained weights (only when pretrained).
        frozen_blocks: Lite0 blocks kept frozen (5: through stride 8).
        min_delta_e: Leave training anomalies fainter than this ΔE out (validation keeps them all).
        seed: Seed of the initialisation, batching and augmentation.
    """

    arch: str = "dfl_lite0"
    pretrained: str | None = "imagenet"
    init: str | None = None
    epochs: int = 12
    batch: int = 8
    lr: float = 0.003
    momentum: float = 0.9
    weight_decay: float = 1e-4
    input_scale: float = 1.0
    target_fpr: float = 0.02
    bank_init_objects: int = 160
    freeze_early: bool = True
    frozen_blocks: int = 5
    min_delta_e: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class SegmenterSettings:
    """Everything that shapes a segmenter training run (stored in the weights' metadata).

    Attributes:
        backbone: Feature network of the Mask R-CNN.
        pretrained: ``imagenet`` (Lite0 package weights), a local torchvision state dict, or none.
        init: Start from these segmenter weights (e.g. the shipped model).
        iterations: Optimiser steps in all (a resumed run continues to this many).
        batch: Scans per step.
        lr: SGD learning rate (warmed up, a tenth of it in the last fifth).
        momentum: SGD momentum.
        weight_decay: SGD weight decay.
        warmup: Steps over which the learning rate rises to ``lr``.
        scale: Scans are scaled by this for the network.
        validate_every: Score the validation scans every this many steps.
        checkpoint_every: Write the resumable checkpoint every this many steps.
        validation_scans: The first this many validation scans are scored.
        seed: Seed of the sampling and augmentation.
    """

    backbone: Literal["lite0", "resnet50"] = "lite0"
    pretrained: str | None = "imagenet"
    init: str | None = None
    iterations: int = 3000
    batch: int = 2
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup: int = 100
    scale: float = 0.5
    validate_every: int = 250
    checkpoint_every: int = 50
    validation_scans: int = 60
    seed: int = 0


@dataclass(frozen=True)
class DenseRun:
    """Settings of one training run (stored in its checkpoint and weights).

    Attributes:
        train: Item cache (``screener items``) to train on.
        val: Item cache to validate on (other scans).
        out: Run folder: checkpoint.safetensors, detector.safetensors, history.json.
        steps: Optimiser steps in all (a resumed run continues to this many).
        batch: Windows per step.
        crop: Training window side in pixels (0.8 mm each).
        lr: AdamW learning rate (cosine decay to zero over ``steps``).
        validate_every: Score the validation items every this many steps.
        seed: Seed of the initialisation and the window sampling.
        device: Where the network trains (cpu, cuda ...).
        max_minutes: Stop (checkpointed) after this long.
        positive_share: Share of windows taken from anomalous items.
        near_share: Share of those centred near the anomaly.
        dice_weight: Weight of the soft Dice term.
        hard_negative_share: Share of the hottest benign pixels whose cross-entropy counts once more.
        init: Start from these dense-detector weights (a new run).
        projection_share: Share of windows that are clean items with a random object projected
            into them.
        composite_share: Share of projected objects assembled from several materials (a handle,
            metal parts).
    """

    train: str
    val: str
    out: str
    steps: int = 3000
    batch: int = 8
    crop: int = 256
    lr: float = 1e-3
    validate_every: int = 250
    seed: int = 0
    device: str = "cpu"
    max_minutes: float | None = None
    positive_share: float = 0.5
    near_share: float = 0.5
    dice_weight: float = 0.5
    hard_negative_share: float = 0.0
    init: str | None = None
    projection_share: float = 0.0
    composite_share: float = 0.0


@dataclass(frozen=True)
class CalibrateSettings:
    """The false-positive rates at which :func:`calibrate` sets the decision thresholds.

    Attributes:
        region_fpr: Region false-positive rate on the validation scans (the paper's 3.5 %).
        object_fpr: Item false-positive rate on the validation scans.
    """

    region_fpr: float = 0.035
    object_fpr: float = 0.05
