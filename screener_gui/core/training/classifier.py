"""Train a region classifier on a region cache: paper defaults, validation each epoch, best kept."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn, TypeVar

import numpy as np
import torch

from screener_gui.core.jobs import Cancelled, Progress, report
from screener_gui.core.metrics import binary_metrics, roc_auc, threshold_at_fpr
from screener_gui.core.models.base import RegionClassifier
from screener_gui.core.models.card import ClassifierCard
from screener_gui.core.models.dfl import DFL, initialise_bank
from screener_gui.core.models.registry import CLASSIFIER_KIND, build_classifier
from screener_gui.core.training.object_cache import ObjectCache, ObjectCacheMeta
from screener_gui.core.training.region_cache import (
    RegionCache,
    RegionCacheMeta,
    balanced_indices,
    visible_targets,
)
from screener_gui.core.training.settings import ClassifierSettings
from screener_gui.core.weights import load_checkpoint, load_state, load_weights, save_checkpoint, save_weights

BEST_FILE, CHECKPOINT_FILE = "classifier.safetensors", "checkpoint.safetensors"
Cache = TypeVar("Cache", RegionCache, ObjectCache)


@torch.inference_mode()
def predict(model: RegionClassifier, card: ClassifierCard, crops: np.ndarray, batch: int = 128) -> np.ndarray:
    """Anomaly probability of each uint8 crop (softmax of the model's logits), on the model's device,
    the crops normalised by ``card`` as at inference."""
    model.eval()
    device = next(model.parameters()).device
    out = [
        torch.softmax(model(card.normalise(crops[i : i + batch], device)), 1)[:, 1]
        for i in range(0, len(crops), batch)
    ]
    return torch.cat(out).float().cpu().numpy() if out else np.zeros(0, np.float32)


def freeze_early_layers(model: RegionClassifier, blocks: int = 3) -> list[torch.nn.Module]:
    """With ImageNet weights, keep a Lite0 trunk's stem and first ``blocks`` blocks (3: those at stride
    2 and 4) as they are (edges and
    blobs transfer; it saves the costliest part of the backward pass on a CPU). Returns the frozen
    modules, whose batch-norm statistics must stay fixed too (see :func:`_train_mode`)."""
    net = getattr(getattr(model, "trunk", None), "net", None)
    if net is None or not hasattr(net, "_blocks"):
        return []
    frozen = [net._conv_stem, net._bn0, *net._blocks[:blocks]]
    for module in frozen:
        module.requires_grad_(False)
    return frozen


def _train_mode(model: torch.nn.Module, frozen: list[torch.nn.Module]) -> None:
    model.train()
    for module in frozen:
        module.eval()


def _augment(x: torch.Tensor, flips: np.ndarray) -> torch.Tensor:
    """The batch flipped left-right and / or upside down (``flips``: two booleans drawn per batch):
    the scanner sees a bag either way up."""
    if flips[0]:
        x = x.flip(3)
    if flips[1]:
        x = x.flip(2)
    return x


def _initialise_bank(
    model: DFL, card: ClassifierCard, cache: RegionCache, count: int, rng: np.random.Generator, log, device
) -> None:
    picks = [
        rng.choice(
            np.flatnonzero(cache.targets == c), min(count, int((cache.targets == c).sum())), replace=False
        )
        for c in (0, 1)
    ]
    order = np.sort(np.concatenate(picks))
    images = card.normalise(cache.crops[order], device)
    initialise_bank(model, images, torch.from_numpy(cache.targets[order].astype(np.int64)).to(device))
    log(f"filter bank initialised from k-means of conv peaks of {len(order)} training crops")


def classifier_card(
    settings: ClassifierSettings, model: RegionClassifier, train: RegionCache
) -> ClassifierCard:
    """What inference needs to reproduce training exactly (the model's normalisation, the crops' size),
    plus where the model came from; the region threshold is set when the weights are kept."""
    return ClassifierCard(
        arch=settings.arch,
        strategy=train.meta.strategy,
        input_size=tuple(train.meta.size),
        mean=model.mean,
        std=model.std,
        superpixel_area=train.meta.superpixel_area,
        data={
            "seed": train.meta.dataset_seed,
            "scans": train.meta.scans,
            "anomaly": train.meta.anomaly,
            "benign": train.meta.benign,
        },
        extra={"label_rule": label_rule(train.meta), "training": asdict(settings)},
    )


def label_rule(meta: RegionCacheMeta | ObjectCacheMeta) -> dict:
    """The label rule's thresholds recorded in a cache's metadata (region or object cache)."""
    names = ("anomaly_min", "anomaly_share_min", "anomaly_min_pixels", "benign_max", "benign_max_pixels")
    names += ("object_min_share", "object_min_pixels")
    return {name: getattr(meta, name) for name in names if hasattr(meta, name)}


def training_targets(cache: Cache, min_delta_e: float | None, log: Callable[[str], None]) -> Cache:
    """``cache`` with the anomalies fainter than ``min_delta_e`` left out of its targets (logged)."""
    if min_delta_e is None:
        return cache
    targets = visible_targets(cache.targets, cache.delta_e, min_delta_e)
    dropped = int(np.count_nonzero((cache.targets == 1) & (targets != 1)))
    unmeasured = int(np.count_nonzero((cache.targets == 1) & ~np.isfinite(cache.delta_e)))
    log(
        f"left out {dropped} of {int(np.count_nonzero(cache.targets == 1))} training anomaly regions "
        f"with ΔE below {min_delta_e:g}"
        + (f" ({unmeasured} without a measurement kept)" if unmeasured else "")
    )
    return dataclasses.replace(cache, targets=targets)


def log_progress(log: Callable[[str], None], epoch: int, losses: list[float], started: float) -> None:
    """Every 20 batches: the running loss and the time per batch."""
    if len(losses) % 20 == 0:
        log(
            f"epoch {epoch} batch {len(losses)} loss {np.mean(losses[-20:]):.4f} "
            f"{(time.time() - started) / len(losses):.2f} s/batch"
        )


def stop_run(
    state: dict, model: torch.nn.Module, optimizer: torch.optim.Optimizer, out_dir: Path, partial: dict, log
) -> NoReturn:
    """Checkpoint a cancelled run in the middle of an epoch and raise :class:`Cancelled`.

    ``partial`` (the batches done of the epoch and their losses) is kept in the run state, so a
    rerun continues with the next batch of the same epoch.
    """
    state["partial"] = partial
    save_checkpoint(out_dir / CHECKPOINT_FILE, model, optimizer, {"state": state})
    log(f"cancelled in epoch {state['epoch'] + 1} after batch {partial['batches']}; run again to continue")
    raise Cancelled


def start_run(
    settings,
    checkpoint: Path,
    *,
    resume: bool,
    device: str | torch.device = "cpu",
    log: Callable[[str], None],
) -> tuple[RegionClassifier, list[torch.nn.Module], torch.optim.Optimizer, dict, bool]:
    """The model, its frozen modules, the SGD optimizer and the run state of a classifier training
    run (:class:`ClassifierSettings` or the pooled settings): resumed from ``checkpoint`` when
    asked and present, else started from ``settings.init`` weights when given. The last value is
    True when it did neither, i.e. the caller still has to initialise the model from data."""
    model = build_classifier(settings.arch, pretrained=settings.pretrained).to(device)
    frozen = (
        freeze_early_layers(model, settings.frozen_blocks)
        if settings.freeze_early and settings.pretrained
        else []
    )
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad],
        lr=settings.lr,
        momentum=settings.momentum,
        weight_decay=settings.weight_decay,
    )
    state = {"epoch": 0, "best": [-1.0, -1.0], "history": []}
    if resume and checkpoint.exists():
        state = load_checkpoint(checkpoint, model, optimizer)["state"]
        log(f"resumed after epoch {state['epoch']}")
        return model, frozen, optimizer, state, False
    if settings.init:
        load_state(model, load_weights(settings.init, kind=CLASSIFIER_KIND)[0], settings.init)
        log(f"started from {settings.init}")
        return model, frozen, optimizer, state, False
    return model, frozen, optimizer, state, True


def end_epoch(
    state: dict,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    card: ClassifierCard,
    out_dir: Path,
    labels: np.ndarray,
    scores: np.ndarray,
    target_fpr: float,
    *,
    val_seed: int,
    losses: list[float],
    started: float,
    log: Callable[[str], None],
    note: str = "",
) -> None:
    """Score an epoch on validation labels, log and record it in ``state``, write the weights to
    ``out_dir/classifier.safetensors`` (with ``card``, its region threshold at ``target_fpr``) when its ROC
    AUC is the best so far, ties by TP rate (with ~100 validation anomalies the TP rate at a 2 % FP
    rate moves by whole regions from epoch to epoch, the AUC does not); then checkpoint the run in
    ``out_dir/checkpoint.safetensors``."""
    epoch = state["epoch"] + 1
    threshold = threshold_at_fpr(labels, scores, target_fpr)
    m = binary_metrics(labels, scores, threshold)
    auc = roc_auc(labels, scores)
    state["epoch"] = epoch
    state["history"].append(
        {
            "epoch": epoch,
            "loss": float(np.mean(losses)),
            "val_auc": auc,
            "val_tp_rate": m.tp_rate,
            "val_fp_rate": m.fp_rate,
            "threshold": threshold,
        }
    )
    log(
        f"epoch {epoch}: loss {np.mean(losses):.4f}{note}  validation AUC {auc:.4f}  "
        f"TP {100 * m.tp_rate:.2f} % at FP {100 * m.fp_rate:.2f} % "
        f"(threshold {threshold:.4f})  {time.time() - started:.0f} s"
    )
    if [auc, m.tp_rate] > state["best"]:
        state["best"] = [auc, m.tp_rate]
        metrics = {"validation_regions": m.as_row(), "validation_auc": auc, "validation_seed": val_seed}
        kept = dataclasses.replace(
            card, region_threshold=threshold, extra={**card.extra, "epoch": epoch, "metrics": metrics}
        )
        save_weights(out_dir / BEST_FILE, model.state_dict(), kept.to_metadata())
    save_checkpoint(out_dir / CHECKPOINT_FILE, model, optimizer, {"state": state})


def train_classifier(
    train: RegionCache,
    val: RegionCache,
    out_dir: Path,
    settings: ClassifierSettings,
    *,
    device: str | torch.device = "cpu",
    resume: bool = True,
    log: Callable[[str], None] = print,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Train on ``device``, validate each epoch, keep ``out_dir/classifier.safetensors`` (best
    validation ROC AUC, see :func:`end_epoch`) with its calibrated region threshold.

    ``progress`` counts optimiser steps of the whole run. When ``cancel`` is set the run is
    checkpointed after its current step (see :func:`stop_run`) and :class:`Cancelled` raised.
    """
    if train.meta.strategy != val.meta.strategy:
        raise ValueError(f"training regions are {train.meta.strategy}, validation {val.meta.strategy}")
    out_dir.mkdir(parents=True, exist_ok=True)
    train = training_targets(train, settings.min_delta_e, log)
    device = torch.device(device)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    model, frozen, optimizer, state, fresh = start_run(
        settings, out_dir / CHECKPOINT_FILE, resume=resume, device=device, log=log
    )
    card = classifier_card(settings, model, train)
    if fresh and isinstance(model, DFL):
        _initialise_bank(model, card, train, settings.bank_init_crops, rng, log, device)
    pool = np.arange(len(train))
    drawn = min(settings.samples_per_epoch, len(balanced_indices(train.targets, pool, rng)))
    starts = range(0, drawn - settings.batch + 1, settings.batch)
    total = settings.epochs * len(starts)
    report(progress, min(state["epoch"], settings.epochs) * len(starts), total)
    while state["epoch"] < settings.epochs:
        epoch = state["epoch"] + 1
        rng = np.random.default_rng([settings.seed, epoch])
        order = balanced_indices(train.targets, pool, rng)[: settings.samples_per_epoch]
        flips = rng.random((len(starts), 2)) < 0.5
        partial = state.pop("partial", {"batches": 0, "losses": []})
        _train_mode(model, frozen)
        t0, losses = time.time(), partial["losses"]
        for b in range(partial["batches"], len(starts)):
            if cancel is not None and cancel.is_set():
                stop_run(state, model, optimizer, out_dir, {"batches": b, "losses": losses}, log)
            idx = np.sort(order[starts[b] : starts[b] + settings.batch])
            x = _augment(card.normalise(train.crops[idx], device), flips[b])
            y = torch.from_numpy(train.targets[idx].astype(np.int64)).to(device)
            loss, _ = model.loss(x, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            log_progress(log, epoch, losses, t0)
            report(progress, state["epoch"] * len(starts) + b + 1, total)
        if cancel is not None and cancel.is_set():  # before the validation pass, which takes a while
            stop_run(state, model, optimizer, out_dir, {"batches": len(starts), "losses": losses}, log)
        scores = predict(model, card, val.crops)
        end_epoch(
            state,
            model,
            optimizer,
            card,
            out_dir,
            val.targets.astype(np.int64),
            scores,
            settings.target_fpr,
            val_seed=val.meta.dataset_seed,
            losses=losses,
            started=t0,
            log=log,
        )
    return out_dir / BEST_FILE
