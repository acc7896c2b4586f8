"""Train the Mask R-CNN segmenter on a generated dataset: resumable, validated, best weights kept."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from screener_gui.core.models.segmenter import build_segmenter
from screener_gui.core.pipeline.objects import SEGMENTER_KIND, Segmenter, match_objects
from screener_gui.core.weights import load_checkpoint, load_state, load_weights, save_checkpoint, save_weights
from screener_gui.synth.items import CATEGORIES


@dataclass(frozen=True)
class DetectionSample:
    """One training scan at the network's working scale."""

    image: np.ndarray  # uint8 (h, w, 3)
    masks: np.ndarray  # uint8 (n, h, w)
    labels: np.ndarray  # int64 (n,), 1-based class ids (CATEGORIES order)


@dataclass(frozen=True)
class SegmenterSettings:
    """Everything that shapes a segmenter training run (stored in the weights' metadata)."""

    backbone: str = "lite0"
    pretrained: str | None = "imagenet"
    init: str | None = None  # start from these segmenter weights (e.g. the shipped model)
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


def read_dataset(folder: Path) -> tuple[dict, list[dict]]:
    """The COCO annotations of a generated dataset and, per image, its object annotations."""
    coco = json.loads((folder / "annotations.json").read_text())
    by_image: dict[int, list[dict]] = {img["id"]: [] for img in coco["images"]}
    for ann in coco["annotations"]:
        if ann["category_id"] <= len(CATEGORIES):
            by_image[ann["image_id"]].append(ann)
    return coco, [{"image": img, "objects": by_image[img["id"]]} for img in coco["images"]]


def load_sample(folder: Path, entry: dict, scale: float) -> DetectionSample:
    image = Image.open(folder / entry["image"]["file_name"]).convert("RGB")
    labels_map = Image.open(folder / entry["image"]["objects_mask"])
    size = (round(image.width * scale), round(image.height * scale))
    small = np.asarray(image.resize(size, Image.Resampling.BILINEAR))
    labels_small = np.asarray(labels_map.resize(size, Image.Resampling.NEAREST))
    masks, labels = [], []
    for ann in entry["objects"]:
        mask = labels_small == ann["mask_value"]
        if mask.sum() >= 16:
            masks.append(mask)
            labels.append(ann["category_id"])
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


def mean_iou(segmenter: Segmenter, folder: Path, entries: list[dict]) -> float:
    """Mean over true objects of the matched predicted mask's IoU (a missed object counts 0)."""
    ious = []
    for entry in entries:
        rgb = np.asarray(Image.open(folder / entry["image"]["file_name"]).convert("RGB"))
        truth = np.asarray(Image.open(folder / entry["image"]["objects_mask"]))
        found = segmenter.detect(rgb)
        ious.extend(match_objects([o.mask for o in found], truth)[0])
    return float(np.mean(ious)) if ious else float("nan")


def _metadata(settings: SegmenterSettings, model, data_seed: int | None, scale: float) -> dict:
    return {
        "kind": SEGMENTER_KIND,
        "backbone": settings.backbone,
        "categories": list(CATEGORIES),
        "min_size": model.transform.min_size[0],
        "max_size": model.transform.max_size,
        "score_threshold": 0.5,
        "mask_threshold": 0.5,
        "input": "false-colour RGB, [0, 1]",
        "training": asdict(settings),
        "data_seed": data_seed,
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
) -> Path:
    """Train, validate every ``validate_every`` iterations, keep ``out_dir/segmenter.safetensors``
    (the best by validation mean IoU, fp16) and a resumable ``out_dir/checkpoint.safetensors``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    _, entries = read_dataset(train_dir)
    _, val_entries = read_dataset(val_dir)
    val_entries = val_entries[: settings.validation_scans]
    t0 = time.time()
    samples = [load_sample(train_dir, e, settings.scale) for e in entries]
    log(f"loaded {len(samples)} training scans in {time.time() - t0:.0f} s")
    size = samples[0].image.shape[:2]
    model = build_segmenter(
        settings.backbone,
        len(CATEGORIES) + 1,
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
    data_seed = json.loads((train_dir / "manifest.json").read_text()).get("seed")
    meta = _metadata(settings, model, data_seed, settings.scale)
    model.train()
    running, t_last = [], time.time()
    while state["iteration"] < settings.iterations:
        it = state["iteration"]
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
        if state["iteration"] % 25 == 0:
            log(
                f"iter {state['iteration']}/{settings.iterations} loss {np.mean(running):.3f} lr {lr:.4g} "
                f"{(time.time() - t_last) / len(running):.2f} s/iter"
            )
            running, t_last = [], time.time()
        if state["iteration"] % settings.validate_every == 0 or state["iteration"] == settings.iterations:
            segmenter = Segmenter(model, meta)
            iou = mean_iou(segmenter, val_dir, val_entries)
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
