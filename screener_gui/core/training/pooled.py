"""Train a DFL classifier in the pooled (fast) mode on an object cache.

Each step runs the network on a few whole objects and applies the DFL loss to every labelled
superpixel of them (see :mod:`screener_gui.core.models.pooled`); classes are weighted equally.
Validation each epoch on another dataset's objects; the best model is kept with its region
threshold set at the target false-positive rate on those validation superpixels.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from screener_gui.core.jobs import Progress, report
from screener_gui.core.models.card import ClassifierCard
from screener_gui.core.models.dfl import DFL, bank_from_peaks
from screener_gui.core.models.pooled import coverage, pooled_logits, pooled_loss
from screener_gui.core.pipeline.pooled import input_batch
from screener_gui.core.training.classifier import (
    BEST_FILE,
    CHECKPOINT_FILE,
    _train_mode,
    end_epoch,
    label_rule,
    log_progress,
    start_run,
    stop_run,
    training_targets,
)
from screener_gui.core.training.object_cache import ObjectCache
from screener_gui.core.training.settings import PooledSettings


def _augment(
    image: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A random one of the eight flips and quarter turns: bags lie on the belt any way round."""
    turns, flip = _turn(rng)
    image, labels = np.rot90(image, turns), np.rot90(labels, turns)
    if flip:
        image, labels = image[:, ::-1], labels[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(labels)


def _turn(rng: np.random.Generator) -> tuple[int, bool]:
    """Quarter turns and flip of one object's augmentation (drawn again to skip a batch on resume)."""
    return int(rng.integers(4)), bool(rng.integers(2))


def _batch(
    card: ClassifierCard, cache: ObjectCache, idx, scale: float, rng: np.random.Generator | None, device
):
    """Object inputs of cache items ``idx`` normalised by ``card`` as at inference, their superpixel
    labels and targets; augmented when ``rng`` is given."""
    images, labels, targets = [], [], []
    for i in idx:
        image, label, target = cache.item(int(i))
        if rng is not None:
            image, label = _augment(image, label, rng)
        images.append(image)
        labels.append(label)
        targets.append(torch.from_numpy(target.astype(np.int64)).to(device))
    x, y = input_batch(images, labels, scale, card.mean, card.std, device)
    return x, y, targets


def _size_batches(cache: ObjectCache, batch: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Every object once, in batches of similar sizes (little padding), the batches in random order.
    Sizes are ranked with a random jitter, so batch members change from epoch to epoch."""
    area = np.prod(cache.shapes, axis=1) * rng.uniform(0.8, 1.25, len(cache))
    order = np.argsort(area)
    batches = [order[i : i + batch] for i in range(0, len(order), batch)]
    return [batches[i] for i in rng.permutation(len(batches))]


@torch.no_grad()
def _initialise_bank(
    model: DFL, card: ClassifierCard, cache: ObjectCache, settings: PooledSettings, rng, log, device
) -> None:
    """The DFL bank initialisation on pooled inputs: in each labelled superpixel's cells, its two
    strongest 3x3 energy peaks of the bank-input map; then per-class k-means (:func:`bank_from_peaks`)."""
    model.eval()
    vectors, owners = [], []
    picks = rng.choice(len(cache), min(settings.bank_init_objects, len(cache)), replace=False)
    for i in np.sort(picks):
        x, labels, (target,) = _batch(card, cache, [i], settings.input_scale, None, device)
        fmap = model.trunk.shared(x)[0]
        energy = fmap.norm(dim=0)
        peak = energy == F.max_pool2d(energy[None, None], 3, 1, 1)[0, 0]
        cover = coverage(labels[0], len(target), tuple(energy.shape))
        for s in np.flatnonzero(target.cpu().numpy() >= 0):
            cells = cover[s] >= 0.5 * cover[s].max()
            score = energy.masked_fill(~(cells & peak), -1.0).flatten()
            if not bool((score > 0).any()):
                score = energy.masked_fill(~cells, -1.0).flatten()
            for where in score.topk(min(2, int((score > 0).sum()))).indices:
                vectors.append(fmap.flatten(1)[:, where].cpu())
                owners.append(int(target[s]))
    bank_from_peaks(model, torch.stack(vectors), torch.tensor(owners), seed=settings.seed)
    log(f"filter bank initialised from k-means of {len(vectors)} superpixel peaks of {len(picks)} objects")


@torch.inference_mode()
def predict_objects(
    model: DFL, card: ClassifierCard, cache: ObjectCache, scale: float, device, batch: int = 4
) -> np.ndarray:
    """Anomaly probability of every superpixel of the cache (in cache order)."""
    model.eval()
    order = np.argsort(np.prod(cache.shapes, axis=1), kind="stable")
    out = np.zeros(len(cache.targets), np.float32)
    offsets = cache.target_offsets
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        x, y, targets = _batch(card, cache, idx, scale, None, device)
        for i, logits in zip(idx, pooled_logits(model, x, y, [len(t) for t in targets]), strict=True):
            out[offsets[i] : offsets[i + 1]] = torch.softmax(logits.combined.float(), 1)[:, 1].cpu().numpy()
    return out


def pooled_card(settings: PooledSettings, model: DFL, train: ObjectCache) -> ClassifierCard:
    """What inference needs (mode, scale, normalisation, superpixel area) and where the model came
    from; the region threshold is set when the weights are kept."""
    return ClassifierCard(
        arch=settings.arch,
        strategy="subcomponent",
        mode="pooled",
        input_scale=settings.input_scale,
        mean=model.mean,
        std=model.std,
        superpixel_area=train.meta.superpixel_area,
        data={
            "seed": train.meta.dataset_seed,
            "scans": train.meta.scans,
            "objects": train.meta.objects,
            "anomaly": train.meta.anomaly,
            "benign": train.meta.benign,
        },
        extra={"label_rule": label_rule(train.meta), "training": asdict(settings)},
    )


def train_pooled(
    train: ObjectCache,
    val: ObjectCache,
    out_dir: Path,
    settings: PooledSettings,
    *,
    device: str | torch.device = "cpu",
    resume: bool = True,
    log: Callable[[str], None] = print,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Train, validate each epoch, keep ``out_dir/classifier.safetensors`` (best validation ROC AUC,
    see :func:`end_epoch`) with its region threshold; resumable from the checkpoint.

    ``progress`` counts optimiser steps of the whole run. When ``cancel`` is set the run is
    checkpointed after its current step (see :func:`stop_run`) and :class:`Cancelled` raised.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    train = training_targets(train, settings.min_delta_e, log)
    torch.manual_seed(settings.seed)
    device = torch.device(device)
    model, frozen, optimizer, state, fresh = start_run(
        settings, out_dir / CHECKPOINT_FILE, resume=resume, device=device, log=log
    )
    if not isinstance(model, DFL):
        raise ValueError(f"pooled training needs a DFL architecture, not {settings.arch!r}")
    card = pooled_card(settings, model, train)
    if fresh:
        _initialise_bank(model, card, train, settings, np.random.default_rng(settings.seed), log, device)
        # The bank's max-pooled responses are large at first; a zero P-stream layer keeps the first
        # steps from being driven by its arbitrary initial logits.
        torch.nn.init.zeros_(model.p_fc.weight)
        torch.nn.init.zeros_(model.p_fc.bias)
    val_labels = val.targets.astype(np.int64)
    scored = val_labels >= 0
    steps = -(-len(train) // settings.batch)  # per epoch
    total = settings.epochs * steps
    report(progress, min(state["epoch"], settings.epochs) * steps, total)
    while state["epoch"] < settings.epochs:
        epoch = state["epoch"] + 1
        rng = np.random.default_rng([settings.seed, epoch])
        lr = settings.lr * (0.1 if epoch > 0.75 * settings.epochs else 1.0)
        for group in optimizer.param_groups:
            group["lr"] = lr
        partial = state.pop("partial", {"batches": 0, "losses": []})
        _train_mode(model, frozen)
        t0, losses = time.time(), partial["losses"]
        for b, idx in enumerate(_size_batches(train, settings.batch, rng)):
            if b < partial["batches"]:  # done before the run was cancelled: draw its turns again
                for _ in idx:
                    _turn(rng)
                continue
            if cancel is not None and cancel.is_set():
                stop_run(state, model, optimizer, out_dir, {"batches": b, "losses": losses}, log)
            x, y, targets = _batch(card, train, idx, settings.input_scale, rng, device)
            loss = pooled_loss(pooled_logits(model, x, y, [len(t) for t in targets]), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            log_progress(log, epoch, losses, t0)
            report(progress, state["epoch"] * steps + b + 1, total)
        if cancel is not None and cancel.is_set():  # before the validation pass, which takes a while
            stop_run(state, model, optimizer, out_dir, {"batches": steps, "losses": losses}, log)
        scores = predict_objects(model, card, val, settings.input_scale, device)[scored]
        end_epoch(
            state,
            model,
            optimizer,
            card,
            out_dir,
            val_labels[scored],
            scores,
            settings.target_fpr,
            val_seed=val.meta.dataset_seed,
            losses=losses,
            started=t0,
            log=log,
            note=f" lr {lr:.4g}",
        )
    return out_dir / BEST_FILE
