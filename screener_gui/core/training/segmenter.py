"""Train the Mask R-CNN segmenter on a generated dataset: resumable, validated, best weights kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from screener_gui.core.dataset import Dataset, ScanEntry
from screener_gui.core.jobs import Cancelled, Progress, report
from screener_gui.core.models.segmenter import build_segmenter
from screener_gui.core.pipeline.objects import SEGMENTER_KIND, Segmenter, match_objects
from screener_gui.core.training.settings import SegmenterSettings
from screener_gui.core.weights import load_checkpoint, load_state, load_weights, save_checkpoint, save_weights


@dataclass(frozen=True)
class DetectionSample:
    """One training scan at the network's working scale."""

    image: np.ndarray  # uint8 (h, w, 3)
    masks: np.ndarray  # uint8 (n, h, w)
    labels: np.ndarray  # int64 (n,), 1-based class numbers in the dataset's object classes


def load_sample(dataset: Dataset, scan: ScanEntry, scale: float) -> DetectionSample:
    """One scan and its object masks scaled by ``scale`` (masks under 16 px at that scale dropped)."""
    image = Image.fromarray(scan.load_rgb())
    labels_map = Image.fromarray(scan.load_object_map())
    size = (round(image.width * scale), round(image.height * scale))
    small = np.asarray(image.resize(size, Image.Resampling.BILINEAR))
    labels_small = np.asarray(labels_map.resize(size, Image.Resampling.NEAREST))
    masks, labels = [], []
    for obj in scan.objects:
        mask = labels_small == obj.index
        if mask.sum() >= 16:
            masks.append(mask)
            labels.append(dataset.class_number(obj.category))
    stack = np.stack(masks).astype(np.uint8) if masks else np.zeros((0, *small.shape[:2]), np.uint8)
    return DetectionSample(small, stack, np.asarray(labels, np.int64))


def _target(sample: DetectionSample, rng: np.random.Generator) -> tuple[torch.Tensor, dict]:
    """Tensor image and target with random horizontal / vertical flips (a bag can lie either way)."""
    image, masks = sample.image, sample.masks
    if rng.random() < 0.5:
        image, masks = image[:, ::-1], masks[:, :, ::-1]
    if rng.random() < 0.5:
        image, masks = image[::-1], masks[:, ::-1]
    boxes = np.zeros((len(masks), 4), np.float32)
    for i, m in enumerate(masks):
        rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
        boxes[i] = cols[0], rows[0], cols[-1] + 1, rows[-1] + 1
    tensor = torch.from_numpy(np.array(image)).permute(2, 0, 1).float().div_(255.0)
    return tensor, {
        "boxes": torch.from_numpy(boxes),
        "labels": torch.from_numpy(sample.labels),
        "masks": torch.from_numpy(np.array(masks)),
    }


def mean_iou(segmenter: Segmenter, scans: tuple[ScanEntry, ...]) -> float:
    """Mean over true objects of the matched predicted mask's IoU (a missed object counts 0)."""
    ious = []
    for scan in scans:
        found = segmenter.detect(scan.load_rgb())
        ious.extend(match_objects([o.mask for o in found], scan.load_object_map())[0])
    return float(np.mean(ious)) if ious else float("nan")


def _metadata(settings: SegmenterSettings, model, data: Dataset, scale: float) -> dict:
    return {
        "kind": SEGMENTER_KIND,
        "backbone": settings.backbone,
        "categories": list(data.object_classes),
        "min_size": model.transform.min_size[0],
        "max_size": model.transform.max_size,
        "score_threshold": 0.5,
        "mask_threshold": 0.5,
        "input": "false-colour RGB, [0, 1]",
        "training": asdict(settings),
        "data_seed": data.seed,
        "scale": scale,
    }


def train_segmenter(
    train_dir: Path,
    val_dir: Path,
    out_dir: Path,
    settings: SegmenterSettings,
    *,
    resume: bool = True,
    log: Callable[[str], None] = print,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Train, validate every ``validate_every`` iterations, keep ``out_dir/segmenter.safetensors``
    (the best by validation mean IoU, fp16) and a resumable ``out_dir/checkpoint.safetensors``.

    ``progress`` counts iterations. When ``cancel`` is set the run is checkpointed at its current
    iteration (a rerun continues there) and :class:`Cancelled` raised.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    train, val = Dataset.open(train_dir), Dataset.open(val_dir)
    if val.object_classes != train.object_classes:
        raise ValueError(
            f"validation classes {val.object_classes} differ from the training classes {train.object_classes}"
        )
    val_scans = val.scans[: settings.validation_scans]
    t0 = time.time()
    samples = [load_sample(train, scan, settings.scale) for scan in train.scans]
    log(f"loaded {len(samples)} training scans in {time.time() - t0:.0f} s")
    size = samples[0].image.shape[:2]
    model = build_segmenter(
        settings.backbone,
        len(train.object_classes) + 1,
        pretrained=settings.pretrained,
        min_size=min(size),
        max_size=max(size),
    )
    if settings.init:
        load_state(model, load_weights(settings.init, kind=SEGMENTER_KIND)[0], settings.init)
        log(f"started from {settings.init}")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(
        params, lr=settings.lr, momentum=settings.momentum, weight_decay=settings.weight_decay
    )
    checkpoint, best_path = out_dir / "checkpoint.safetensors", out_dir / "segmenter.safetensors"
    state = {"iteration": 0, "best_iou": -1.0, "history": []}
    if resume and checkpoint.exists():
        state = load_checkpoint(checkpoint, model, optimizer)["state"]
        log(f"resumed at iteration {state['iteration']} (best IoU {state['best_iou']:.4f})")
        rng = np.random.default_rng([settings.seed, state["iteration"]])
    meta = _metadata(settings, model, train, settings.scale)
    model.train()
    running, t_last = [], time.time()
    report(progress, min(state["iteration"], settings.iterations), settings.iterations)
    while state["iteration"] < settings.iterations:
        it = state["iteration"]
        if cancel is not None and cancel.is_set():
            save_checkpoint(checkpoint, model, optimizer, {"state": state})
            log(f"cancelled at iteration {it}; run again to continue")
            raise Cancelled
        lr = (
            settings.lr
            * min(1.0, (it + 1) / settings.warmup)
            * (0.1 if it >= 0.8 * settings.iterations else 1)
        )
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = [_target(samples[i], rng) for i in rng.choice(len(samples), settings.batch, replace=False)]
        losses = model([b[0] for b in batch], [b[1] for b in batch])
        loss = sum(losses.values())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        optimizer.step()
        running.append(float(loss.detach()))
        state["iteration"] = it + 1
        report(progress, state["iteration"], settings.iterations)
        if state["iteration"] % 25 == 0:
            log(
                f"iter {state['iteration']}/{settings.iterations} loss {np.mean(running):.3f} lr {lr:.4g} "
                f"{(time.time() - t_last) / len(running):.2f} s/iter"
            )
            running, t_last = [], time.time()
        if state["iteration"] % settings.validate_every == 0 or state["iteration"] == settings.iterations:
            segmenter = Segmenter(model, meta)
            iou = mean_iou(segmenter, val_scans)
            model.train()
            state["history"].append([state["iteration"], iou])
            log(f"validation mean IoU {iou:.4f} at iteration {state['iteration']}")
            if iou > state["best_iou"]:
                state["best_iou"] = iou
                save_weights(
                    best_path,
                    model.state_dict(),
                    {**meta, "metrics": {"val_mean_iou": iou}, "iteration": state["iteration"]},
                )
            t_last = time.time()
        if state["iteration"] % settings.checkpoint_every == 0:
            save_checkpoint(checkpoint, model, optimizer, {"state": state})
    return best_path
