"""Detection metrics split by visibility bin and by anomaly kind, so faint anomalies cannot hide
behind obvious ones in one average.

For a subset (a visibility bin, ``visible``, or an anomaly kind) the positives are that subset's
positives and the negatives are *all* negatives of the level: the false-positive rate and the
thresholds at fixed false-positive rates are then the same for every row, and true-positive rates
and ROC AUCs compare across rows. A sample's bin is that of its ΔE (for an object or a bag: its most
visible anomaly); positives without a measured ΔE count in ``all`` and in their kinds only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from screener_gui.core.dataset import VISIBILITY_BINS, VISIBLE_MIN_DELTA_E, visibility_bin
from screener_gui.core.metrics import binary_metrics, roc_auc, threshold_at_fpr

FPR_POINTS: tuple[float, ...] = (0.01, 0.035, 0.05)  # false-positive rates for "TP % at x % FP"
VISIBLE = "visible"
SUBSET_RULE = (
    "For a visibility bin or an anomaly kind, the positives are those of the bin or kind and the "
    "negatives are all negatives of the level, so FP % and the thresholds at fixed FP % are the same "
    "in every row and TP % and ROC AUC compare across rows. Bins by CIEDE2000 ΔE of the anomaly "
    "(an object's or bag's most visible one): below < 2, subtle 2–5, medium 5–10, obvious ≥ 10; "
    "visible ≥ 5. Positives without a measured ΔE count in 'all' and in their kind only."
)


@dataclass(frozen=True)
class SubsetMetrics:
    """One row of a breakdown.

    Attributes:
        group: "all", "visibility" or "kind".
        name: "all", a bin (below, subtle, medium, obvious, visible) or an anomaly kind.
        n: Samples in the row (its positives and all negatives).
        positives, negatives: Their counts.
        tp_rate: Share of the positives flagged at the calibrated threshold (NaN without positives).
        fp_rate: Share of the negatives flagged at the calibrated threshold (0 without negatives).
        auc: ROC AUC (NaN when a class is absent).
        tp_at_fpr: TP rate at each of :data:`FPR_POINTS` (NaN without positives).
        threshold: The calibrated threshold.
    """

    group: str
    name: str
    n: int
    positives: int
    negatives: int
    tp_rate: float
    fp_rate: float
    auc: float
    tp_at_fpr: tuple[float, ...]
    threshold: float


def breakdown(
    labels: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    threshold: float,
    delta_e: Sequence[float] | np.ndarray,
    kinds: Sequence[Sequence[str]],
    kind_order: Sequence[str] = (),
) -> tuple[SubsetMetrics, ...]:
    """Rows for all samples, each visibility bin, ``visible``, and each anomaly kind with positives.

    Args:
        labels: 0 / 1 per sample.
        scores: Anomaly score per sample.
        threshold: The calibrated decision threshold (flagged when score >= threshold).
        delta_e: Per sample, the ΔE of its (most visible) anomaly; NaN for negatives and unmeasured.
        kinds: Per sample, the kinds of the anomalies it carries (empty for negatives).
        kind_order: Order of the kind rows (kinds not in it follow, sorted).

    Raises:
        ValueError: Lengths differ, or as :func:`~screener_gui.core.metrics.binary_metrics`.
    """
    labels = np.asarray(labels, np.int64)
    scores = np.asarray(scores, np.float64)
    delta_e = np.asarray(delta_e, np.float64)
    if not len(labels) == len(scores) == len(delta_e) == len(kinds):
        raise ValueError("labels, scores, delta_e and kinds must be of one length")
    measured = np.isfinite(delta_e)
    bins = np.array([visibility_bin(d) if ok else "" for d, ok in zip(delta_e, measured, strict=True)])
    rows = [_row("all", "all", labels, scores, threshold, np.ones(len(labels), bool))]
    for name in VISIBILITY_BINS:
        rows.append(_row("visibility", name, labels, scores, threshold, bins == name))
    rows.append(
        _row("visibility", VISIBLE, labels, scores, threshold, measured & (delta_e >= VISIBLE_MIN_DELTA_E))
    )
    present = {k for row_kinds, label in zip(kinds, labels, strict=True) if label == 1 for k in row_kinds}
    ordered = [k for k in kind_order if k in present] + sorted(present - set(kind_order))
    for kind in ordered:
        members = np.array([kind in row_kinds for row_kinds in kinds], bool)
        rows.append(_row("kind", kind, labels, scores, threshold, members))
    return tuple(rows)


def _row(
    group: str, name: str, labels: np.ndarray, scores: np.ndarray, threshold: float, members: np.ndarray
) -> SubsetMetrics:
    """Metrics of the positives among ``members`` against all negatives."""
    keep = (labels == 0) | ((labels == 1) & members)
    sub_labels, sub_scores = labels[keep], scores[keep]
    positives = int(np.count_nonzero(sub_labels == 1))
    negatives = int(sub_labels.size - positives)
    if sub_labels.size == 0:
        nan_points = tuple(math.nan for _ in FPR_POINTS)
        return SubsetMetrics(group, name, 0, 0, 0, math.nan, 0.0, math.nan, nan_points, float(threshold))
    at_threshold = binary_metrics(sub_labels, sub_scores, threshold)
    points = tuple(
        binary_metrics(sub_labels, sub_scores, threshold_at_fpr(sub_labels, sub_scores, fpr)).tp_rate
        if positives
        else math.nan
        for fpr in FPR_POINTS
    )
    return SubsetMetrics(
        group=group,
        name=name,
        n=int(sub_labels.size),
        positives=positives,
        negatives=negatives,
        tp_rate=at_threshold.tp_rate if positives else math.nan,
        fp_rate=at_threshold.fp_rate,
        auc=roc_auc(sub_labels, sub_scores),
        tp_at_fpr=points,
        threshold=float(threshold),
    )


def breakdown_table(rows: Sequence[SubsetMetrics]) -> str:
    """A markdown table of a level's breakdown: percentages with two decimals, ROC AUC with four,
    "n/a" when undefined. No trailing newline."""
    header = ["subset", "n", "positives", "TP %", "FP %", "ROC AUC"]
    header += [f"TP % at {100 * fpr:g} % FP" for fpr in FPR_POINTS]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|",
    ]
    for row in rows:
        label = row.name if row.group != "kind" else f"kind: {row.name}"
        cells = [
            label.replace("|", "\\|"),
            str(row.n),
            str(row.positives),
            _percent(row.tp_rate),
            _percent(row.fp_rate),
            "n/a" if math.isnan(row.auc) else f"{row.auc:.4f}",
            *(_percent(rate) for rate in row.tp_at_fpr),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(rate: float) -> str:
    return "n/a" if math.isnan(rate) else f"{100 * rate:.2f}"
