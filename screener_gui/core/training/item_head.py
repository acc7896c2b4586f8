"""Fit the dense detector's item head on whole items: the unit an operator's alarm is about.

The pixel network learns on windows of items; an item's score has to come from the whole item,
whose hottest spots it must weigh against the item's own layout. With the network frozen, every
item of a cache passes once, whole, and its head input (:meth:`DenseDetector.features`) is kept.
The head is then fitted afresh on those: items holding a visible anomaly against clean items (items
with only fainter anomalies left out), the two classes weighted equally, on standardised features
(the standardisation is folded into the head's first layer afterwards, so the saved network takes
raw features as before); its regularisation is chosen on the validation items' ROC AUC (see
:func:`fit_item_head`).
"""

from __future__ import annotations

import dataclasses
import io
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from screener_gui.core.atomic import write_bytes_atomic, write_text_atomic
from screener_gui.core.jobs import Progress, check_cancel, report
from screener_gui.core.metrics import roc_auc
from screener_gui.core.models.dense import DenseDetector
from screener_gui.core.pipeline.dense import DenseModel
from screener_gui.core.training.item_cache import ItemCache
from screener_gui.core.training.settings import FitHeadSettings
from screener_gui.core.weights import save_weights

L2_GRID = (1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
"""L2 strengths tried for the item head (on standardised features, classes weighted to half each)."""


def refit_item_head(
    weights: Path,
    train: Path,
    val: Path,
    out: Path,
    settings: FitHeadSettings,
    *,
    log: Callable[[str], None] = print,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, float]:
    """Read dense-detector ``weights``, fit its item head on the ``train`` item cache (chosen on
    ``val``) and write the result to ``out`` with the fit recorded in its card. The items pass the
    network on ``settings.device``. Item features are kept beside ``out``
    (``<out>.train_features.npz``...) and reused when the weights are the same.

    ``progress`` counts the items of both caches passed through the network (reused features
    count at once). When ``cancel`` is set the job stops before ``out`` is written; the features
    of a cache passed whole are kept for the next run.

    Raises:
        WeightsError: ``weights`` is not a usable dense detector.
        ValueError: A cache is missing, malformed, or lacks one class.
        Cancelled: ``cancel`` was set.
    """
    device = settings.device
    loaded = DenseModel.load(weights, torch.device(device))
    card, model = loaded.card, loaded.model
    caches = {"train": ItemCache.open(train), "val": ItemCache.open(val)}
    total = sum(len(c.records) for c in caches.values())
    done = 0
    report(progress, done, total)
    found = {}
    for name, folder in (("train", train), ("val", val)):
        cached = out.with_name(f"{out.name}.{name}_features.npz")
        stamp = out.with_name(f"{out.name}.{name}_features.source")
        source = f"{Path(weights).resolve()} {Path(weights).stat().st_mtime_ns} {Path(folder).resolve()}"
        if cached.exists() and stamp.exists() and stamp.read_text() == source:
            found[name] = ItemFeatures.load(cached)
        else:
            log(f"passing the {name} items whole through the network")
            found[name] = item_features(
                model,
                caches[name],
                device,
                lambda d, t, first=done: report(progress, first + d, total),
                cancel,
            )
            found[name].save(cached)
            write_text_atomic(stamp, source)
        done += len(caches[name].records)
        report(progress, done, total)
    result = fit_item_head(model.cpu(), found["train"], found["val"], cancel=cancel)
    fitted = dataclasses.replace(
        card,
        region_threshold=None,
        object_threshold=None,
        extra={
            **{k: v for k, v in card.extra.items() if k != "calibration"},
            "item_head": {**result, "train": str(train), "val": str(val)},
        },
    )
    save_weights(out, model.state_dict(), fitted.to_metadata())
    return result


@dataclass(frozen=True)
class ItemFeatures:
    """Head inputs of a cache's labelled items.

    Attributes:
        features: float32 (n, d), one row per item with label 0 or 1.
        labels: int64 (n,) 1 visible anomaly, 0 clean.
        delta_e: float32 (n,) ΔE of the item's most visible anomaly (NaN when clean).
    """

    features: np.ndarray
    labels: np.ndarray
    delta_e: np.ndarray

    def save(self, path: Path) -> None:
        """Write to ``path`` (.npz) atomically."""
        buffer = io.BytesIO()
        np.savez(buffer, features=self.features, labels=self.labels, delta_e=self.delta_e)
        write_bytes_atomic(path, buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> ItemFeatures:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["features"], data["labels"], data["delta_e"])


@torch.no_grad()
def item_features(
    model: DenseDetector,
    cache: ItemCache,
    device: str = "cpu",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ItemFeatures:
    """The head input of every labelled item of ``cache``, each passed whole; ``progress`` gets
    (items done, items) every 100 items.

    Raises:
        Cancelled: ``cancel`` was set.
    """
    model.eval()
    rows, labels, delta_e = [], [], []
    total = len(cache.records)
    for i, record in enumerate(cache.records):
        check_cancel(cancel)
        if record.label >= 0:
            arrays = cache.load(i)
            rgb = torch.from_numpy(arrays["rgb"].transpose(2, 0, 1)[None].copy()).to(device)
            valid = torch.from_numpy(arrays["item"][None, None].copy()).to(device)
            _, features = model.features(model.normalise(rgb), valid)
            rows.append(features[0].float().cpu().numpy())
            labels.append(record.label)
            delta_e.append(record.max_delta_e)
        if (i + 1) % 100 == 0 or i + 1 == total:
            report(progress, i + 1, total)
    return ItemFeatures(
        np.stack(rows).astype(np.float32), np.array(labels, np.int64), np.array(delta_e, np.float32)
    )


def fit_item_head(
    model: DenseDetector,
    train: ItemFeatures,
    val: ItemFeatures,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, float]:
    """Replace ``model.item`` by a head fitted on ``train`` and chosen on ``val``, unless no fitted
    head ranks the validation items better than the network's own (then ``model`` is left as it
    was); returns the validation ROC AUC before and after, the L2 strength kept (``None`` when the
    own head stays) and which head was kept (``"fitted"`` or ``"own"``).

    The head is L2-regularised logistic regression on the standardised features (a few thousand
    items against ~130 features: a free MLP learns the training items by heart), fitted for each
    strength of :data:`L2_GRID` and kept at the best validation AUC. It is written into the
    network's two-layer head exactly: hidden units ``relu(z)`` and ``relu(-z)``, output their
    difference, so the saved file keeps its architecture.

    ``progress`` gets (strengths fitted, strengths); when ``cancel`` is set the fit stops between
    strengths, ``model`` untouched.

    Raises:
        ValueError: A set lacks one class, or the features do not vary.
        Cancelled: ``cancel`` was set.
    """
    if len(set(train.labels.tolist())) < 2 or len(set(val.labels.tolist())) < 2:
        raise ValueError("fitting the item head needs items with and without a visible anomaly")
    torch.manual_seed(seed)
    before = _auc(model.item, val)
    mean = train.features.mean(0)
    spread = train.features.std(0)
    std = np.where(spread > 1e-4, spread, 1.0)  # features constant over the items carry nothing
    if not (spread > 1e-4).any():
        raise ValueError("the item features do not vary over the training items")
    x = torch.from_numpy((train.features - mean) / std).double() * torch.from_numpy(spread > 1e-4)
    y = torch.from_numpy(train.labels).double()
    weight = torch.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    best, kept = -math.inf, None
    report(progress, 0, len(L2_GRID))
    for done, strength in enumerate(L2_GRID, start=1):
        check_cancel(cancel)
        w, b = _logistic(x, y, weight, strength)
        head = _linear_head(
            model.item, w / torch.from_numpy(std).double(), b - (w * torch.from_numpy(mean / std)).sum()
        )
        score = _auc(head, val)
        if score > best:
            best, kept = score, (strength, head)
        report(progress, done, len(L2_GRID))
    strength, head = kept
    if best <= before:  # the network's own head ranks the validation items at least as well
        return {"val_item_auc_before": before, "val_item_auc": before, "l2": None, "kept": "own"}
    model.item.load_state_dict(head.state_dict())
    return {"val_item_auc_before": before, "val_item_auc": best, "l2": strength, "kept": "fitted"}


def _logistic(
    x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, strength: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of weighted logistic regression with an L2 penalty ``strength`` x |w|²."""
    w = torch.zeros(x.shape[1], dtype=x.dtype, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        value = F.binary_cross_entropy_with_logits(x @ w + b, y, weight=weight) + strength * (w * w).sum()
        value.backward()
        return value

    optimizer.step(loss)
    return w.detach(), b.detach()


@torch.no_grad()
def _linear_head(like: nn.Sequential, w: torch.Tensor, b: torch.Tensor) -> nn.Sequential:
    """A head shaped like ``like`` (Linear, ReLU, Linear) computing ``features @ w + b`` exactly."""
    head = nn.Sequential(
        *(nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear) else m for m in like)
    )
    first, last = head[0], head[2]
    for layer in (first, last):
        layer.weight.zero_()
        layer.bias.zero_()
    first.weight[0], first.bias[0] = w.float(), b.float()
    first.weight[1], first.bias[1] = -w.float(), -b.float()
    last.weight[0, 0], last.weight[0, 1] = 1.0, -1.0
    return head


@torch.no_grad()
def _auc(head: nn.Module, data: ItemFeatures) -> float:
    head.eval()
    scores = head(torch.from_numpy(data.features)).squeeze(1).numpy()
    return float(roc_auc(data.labels, scores))
