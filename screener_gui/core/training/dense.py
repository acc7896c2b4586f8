"""Train the dense whole-item detector on item caches, resumably, keeping the best validated weights.

Each step takes ``batch`` random ``crop`` x ``crop`` windows of cached items: ``projection_share``
of them clean items with a random object projected into their raw dual-energy data
(:mod:`.projection`: shapes and materials the generator does not make), and of the rest
``positive_share`` from items holding a visible anomaly, ``near_share`` of those centred near it;
flips and quarter turns, since a bag may lie any way up on the belt. Loss: per-pixel binary cross-entropy
plus ``dice_weight`` x a soft Dice term on the anomaly pixels (ignored pixels left out), plus the item head's
cross-entropy on the window's label (1 when it holds at least :data:`WINDOW_MIN_PIXELS` visible
anomaly pixels, 0 when it holds no anomaly at all, left out otherwise).

Every ``validate_every`` steps the whole validation items are scored: pixel ROC AUC (anomaly
pixels against the item's benign pixels), item ROC AUC (items with a visible anomaly against clean
ones) from the item head. The weights with the best mean of the two are kept as
``detector.safetensors``; ``checkpoint.safetensors`` holds the latest state, from which a run
resumes when started again with the same folder.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from screener_gui.core.jobs import Cancelled, Progress, report
from screener_gui.core.metrics import roc_auc
from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.training.item_cache import IGNORE, ItemCache
from screener_gui.core.training.projection import project
from screener_gui.core.training.settings import DenseRun
from screener_gui.core.weights import (
    WeightsError,
    load_checkpoint,
    load_weights,
    save_checkpoint,
    save_weights,
)

WINDOW_MIN_PIXELS = 20
ITEM_WEIGHT = 0.5
_VAL_NEGATIVE_PIXELS = 4000  # benign pixels sampled per validation item for the pixel AUC


_FILL = {"rgb": 255, "target": 0, "item": False, "high": 1.0, "low": 1.0}  # what lies outside an item's crop


def _window(
    arrays: dict[str, np.ndarray], crop: int, centre: tuple[int, int], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """A ``crop`` square of every array around ``centre`` (padded with air), turned and flipped at
    random, since a bag may lie any way up on the belt."""
    height, width = arrays["target"].shape
    y0, x0 = centre[0] - crop // 2, centre[1] - crop // 2
    sy0, sx0 = max(y0, 0), max(x0, 0)
    sy1, sx1 = min(y0 + crop, height), min(x0 + crop, width)
    turns, flip = int(rng.integers(4)), bool(rng.integers(2))
    out = {}
    for key, array in arrays.items():
        window = np.full((crop, crop, *array.shape[2:]), _FILL[key], array.dtype)
        if sy1 > sy0 and sx1 > sx0:
            window[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = array[sy0:sy1, sx0:sx1]
        window = np.rot90(window, turns)
        out[key] = np.ascontiguousarray(window[:, ::-1] if flip else window)
    return out


def _centre(
    arrays: dict[str, np.ndarray], crop: int, near: bool, rng: np.random.Generator
) -> tuple[int, int]:
    """Near an anomaly pixel when ``near`` (and there is one), else anywhere in the crop."""
    target = arrays["target"]
    if near and (target == 1).any():
        ys, xs = np.nonzero(target == 1)
        k = int(rng.integers(len(ys)))
        return (
            int(ys[k]) + int(rng.integers(-crop // 3, crop // 3 + 1)),
            int(xs[k]) + int(rng.integers(-crop // 3, crop // 3 + 1)),
        )
    return int(rng.integers(target.shape[0])), int(rng.integers(target.shape[1]))


def _projected_window(
    cache: ItemCache, i: int, run: DenseRun, rng: np.random.Generator, min_delta_e: float
) -> dict[str, np.ndarray]:
    """A window of clean item ``i`` centred on the item, with a random object projected into it
    (the plain window when none fits)."""
    arrays = cache.load(i, raw=True)
    ys, xs = np.nonzero(arrays["item"])
    k = int(rng.integers(len(ys))) if len(ys) else 0
    centre = (int(ys[k]), int(xs[k])) if len(ys) else _centre(arrays, run.crop, False, rng)
    window = _window(arrays, run.crop, centre, rng)
    projected = project(
        window["rgb"],
        window["high"],
        window["low"],
        window["item"],
        window["target"],
        rng,
        min_delta_e=min_delta_e,
        composite_share=run.composite_share,
    )
    if projected is not None:
        window["rgb"], window["target"] = projected.rgb, projected.target
    return window


def sample_batch(
    cache: ItemCache, run: DenseRun, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(rgb uint8 (B, 3, S, S), target uint8 (B, 1, S, S), item mask (B, 1, S, S), window labels (B,)).

    A ``projection_share`` of the windows come from clean items with a random object projected
    into them (:mod:`.projection`); of the rest, ``positive_share`` come from items holding a
    visible anomaly of the generator's own.
    """
    labels = np.array([r.label for r in cache.records])
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if positives.size == 0 or negatives.size == 0:
        raise ValueError(f"{cache.folder}: needs items with and without a visible anomaly")
    rgbs, targets, items, window_labels = [], [], [], []
    for _ in range(run.batch):
        if rng.random() < run.projection_share:
            window = _projected_window(
                cache, int(rng.choice(negatives)), run, rng, float(cache.meta["min_delta_e"])
            )
        else:
            positive = rng.random() < run.positive_share
            arrays = cache.load(int(rng.choice(positives if positive else negatives)))
            near = positive and rng.random() < run.near_share
            window = _window(arrays, run.crop, _centre(arrays, run.crop, near, rng), rng)
        target = window["target"]
        hits, ignored = int((target == 1).sum()), int((target == IGNORE).sum())
        window_labels.append(1 if hits >= WINDOW_MIN_PIXELS else (0 if hits == 0 and ignored == 0 else -1))
        rgbs.append(window["rgb"].transpose(2, 0, 1))
        targets.append(target[None])
        items.append(window["item"][None])
    return (
        torch.from_numpy(np.stack(rgbs)),
        torch.from_numpy(np.stack(targets)),
        torch.from_numpy(np.stack(items)),
        torch.tensor(window_labels),
    )


def dense_loss(
    logits: torch.Tensor,
    item_logits: torch.Tensor,
    target: torch.Tensor,
    window_labels: torch.Tensor,
    dice_weight: float = 0.5,
    hard_negative_share: float = 0.0,
) -> torch.Tensor:
    """Pixel cross-entropy + soft Dice on anomaly pixels + item cross-entropy (ignored parts left out).

    With ``hard_negative_share`` > 0 the cross-entropy of that share of the batch's highest-scoring
    benign pixels is added once more: an item's score follows its hottest pixels, so the hot spots
    on benign parts are what make false alarms.
    """
    valid = target != IGNORE
    truth = (target == 1).float()
    bce = F.binary_cross_entropy_with_logits(logits[valid], truth[valid])
    negatives = logits[target == 0]
    if hard_negative_share > 0 and negatives.numel():
        hardest = negatives.topk(max(1, int(hard_negative_share * negatives.numel()))).values
        bce = bce + F.binary_cross_entropy_with_logits(hardest, torch.zeros_like(hardest))
    prob = torch.sigmoid(logits) * valid
    dice = 1 - (2 * (prob * truth).sum() + 1) / (prob.sum() + truth.sum() + 1)
    known = window_labels >= 0
    item = (
        F.binary_cross_entropy_with_logits(item_logits[known], window_labels[known].float())
        if known.any()
        else logits.sum() * 0
    )
    return bce + dice_weight * dice + ITEM_WEIGHT * item


@torch.no_grad()
def validate(
    model: DenseDetector, cache: ItemCache, device: str, limit: int | None = None
) -> dict[str, float]:
    """Pixel and item ROC AUC of ``model`` on the whole items of ``cache`` (labels -1 left out)."""
    model.eval()
    rng = np.random.default_rng(0)
    pixel_scores, pixel_labels, item_scores, item_labels = [], [], [], []
    for i, record in enumerate(cache.records[:limit]):
        if record.label < 0:
            continue
        arrays = cache.load(i)
        rgb = torch.from_numpy(arrays["rgb"].transpose(2, 0, 1)[None].copy()).to(device)
        item = torch.from_numpy(arrays["item"][None, None].copy()).to(device)
        logits, item_logit = model(model.normalise(rgb), item)
        scores = logits[0, 0].cpu().numpy()
        target, inside = arrays["target"], arrays["item"]
        anomaly = scores[target == 1]
        benign = scores[(target == 0) & inside]
        if benign.size > _VAL_NEGATIVE_PIXELS:
            benign = rng.choice(benign, _VAL_NEGATIVE_PIXELS, replace=False)
        pixel_scores += [anomaly, benign]
        pixel_labels += [np.ones(anomaly.size), np.zeros(benign.size)]
        item_scores.append(float(item_logit[0]))
        item_labels.append(record.label)
    pixel_auc = roc_auc(np.concatenate(pixel_labels), np.concatenate(pixel_scores))
    item_auc = roc_auc(np.array(item_labels), np.array(item_scores))
    return {"pixel_auc": float(pixel_auc), "item_auc": float(item_auc), "items": len(item_labels)}


def train_dense(
    run: DenseRun,
    *,
    log: Callable[[str], None] = print,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Train (or resume) the run; returns the path of the best weights.

    ``progress`` counts optimiser steps. When ``cancel`` is set the run is checkpointed at its
    current step (a rerun continues there) and :class:`Cancelled` raised.

    Raises:
        ValueError: A cache is missing or malformed, or has no items of one class.
        Cancelled: ``cancel`` was set.
    """
    out = Path(run.out)
    out.mkdir(parents=True, exist_ok=True)
    train, val = ItemCache.open(run.train), ItemCache.open(run.val)
    torch.manual_seed(run.seed)
    model = DenseDetector(pretrained=True)
    if run.init is not None:
        try:
            tensors, _ = load_weights(run.init, kind="dense_detector")
            model.load_state_dict(tensors)
        except (WeightsError, RuntimeError) as exc:
            raise ValueError(f"cannot start from {run.init}: {exc}") from exc
        # The item head starts afresh: one refitted on whole items (fit-item-head) gives window
        # logits of a scale whose cross-entropy would swamp the pixel loss at the first steps.
        for layer in model.item:
            if isinstance(layer, torch.nn.Linear):
                layer.reset_parameters()
        log(f"started from {run.init} (item head reset)")
    model = model.to(run.device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=run.lr, weight_decay=1e-4)
    step, best, history = 0, -1.0, []
    checkpoint = out / "checkpoint.safetensors"
    if checkpoint.exists():
        try:
            state = load_checkpoint(checkpoint, model, optimizer)
        except WeightsError as exc:
            raise ValueError(f"cannot resume: {exc}") from exc
        step, best, history = int(state["step"]), float(state["best"]), list(state["history"])
        log(f"resumed at step {step} (best validation score {best:.4f})")
    rng = np.random.default_rng([run.seed, step])
    started = time.perf_counter()
    losses: list[float] = []
    model.train()
    report(progress, min(step, run.steps), run.steps)
    while step < run.steps:
        if cancel is not None and cancel.is_set():
            save_checkpoint(checkpoint, model, optimizer, {"step": step, "best": best, "history": history})
            log(f"cancelled at step {step}; run again to continue")
            raise Cancelled
        lr = run.lr * 0.5 * (1 + np.cos(np.pi * step / run.steps))  # cosine decay to zero
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        rgb, target, item, window_labels = (t.to(run.device) for t in sample_batch(train, run, rng))
        logits, item_logits = model(model.normalise(rgb), item)
        loss = dense_loss(
            logits, item_logits, target, window_labels, run.dice_weight, run.hard_negative_share
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        step += 1
        report(progress, step, run.steps)
        out_of_time = run.max_minutes is not None and time.perf_counter() - started > 60 * run.max_minutes
        if step % run.validate_every == 0 or step == run.steps or out_of_time:
            scores = validate(model, val, run.device)
            model.train()
            score = (scores["pixel_auc"] + scores["item_auc"]) / 2
            entry = {
                "step": step,
                "loss": float(np.mean(losses)),
                **scores,
                "seconds": time.perf_counter() - started,
            }
            history.append(entry)
            losses = []
            log(json.dumps(entry))
            if score > best:
                best = score
                _save_detector(out / "detector.safetensors", model, run, entry, train)
            save_checkpoint(checkpoint, model, optimizer, {"step": step, "best": best, "history": history})
            (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
        if out_of_time:
            log(f"stopped after {run.max_minutes} minutes at step {step}; run again to resume")
            break
    return out / "detector.safetensors"


def _save_detector(path: Path, model: DenseDetector, run: DenseRun, entry: dict, train: ItemCache) -> None:
    """Write the weights with their card: the model's normalisation, the cache's item margin and
    visibility cut, where the data came from, the run and its validation scores."""
    from screener_gui.core.models.card import DenseCard

    card = DenseCard(
        arch=model.arch,
        mean=model.mean,
        std=model.std,
        item_margin_px=train.meta["margin_px"],
        min_delta_e=train.meta["min_delta_e"],
        data={"cache": run.train, "folder": train.meta["data"], "seed": train.meta["seed"]},
        extra={
            "input": "false colour uint8 RGB, one item crop at the scan's resolution (0.8 mm)",
            "run": asdict(run),
            "validation": entry,
        },
    )
    save_weights(path, model.state_dict(), card.to_metadata())
