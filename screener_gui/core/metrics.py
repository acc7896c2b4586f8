"""Binary detection metrics as the paper reports them; positive = anomaly = label 1.

A region (or object, or bag) is predicted positive when its score is ``>= threshold``. Rates are
fractions in [0, 1] here and percentages in :meth:`BinaryMetrics.as_row`. A ratio whose
denominator is zero (precision with nothing flagged, the false-positive rate without negatives…)
is 0.0, so tables stay numeric; ROC AUC is NaN when only one class is present, because it is then
undefined rather than bad.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

# target_fpr * negatives is floored to a count of false positives; the slack keeps e.g.
# 0.29 * 100 = 28.999999999999996 at 29.
_COUNT_SLACK = 1e-9


@dataclass(frozen=True)
class BinaryMetrics:
    """Confusion counts and the paper's rates at one threshold.

    Attributes:
        n: Samples. positives / negatives: samples labelled 1 / 0.
        tp, fp, tn, fn: Confusion counts (positive = anomaly).
        threshold: Scores ``>= threshold`` are predicted positive.
        accuracy: (tp + tn) / n.
        precision: tp / (tp + fp); 0.0 when nothing is flagged.
        f1: 2 tp / (2 tp + fp + fn); 0.0 when there is no positive and nothing is flagged.
        tp_rate: Recall, tp / positives ("true positives %" in the paper); 0.0 without positives.
        fp_rate: fp / negatives ("false positives %" in the paper); 0.0 without negatives.
        auc: ROC AUC; NaN when only one class is present.
    """

    n: int
    positives: int
    negatives: int
    tp: int
    fp: int
    tn: int
    fn: int
    threshold: float
    accuracy: float
    precision: float
    f1: float
    tp_rate: float
    fp_rate: float
    auc: float

    def as_row(self) -> dict[str, int | float]:
        """Table columns: counts, rates in percent, ROC AUC (0-1, NaN when undefined), threshold."""
        return {
            "n": self.n,
            "positives": self.positives,
            "negatives": self.negatives,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "accuracy %": 100.0 * self.accuracy,
            "precision %": 100.0 * self.precision,
            "F1 %": 100.0 * self.f1,
            "TP %": 100.0 * self.tp_rate,
            "FP %": 100.0 * self.fp_rate,
            "ROC AUC": self.auc,
            "threshold": self.threshold,
        }


def binary_metrics(labels: ArrayLike, scores: ArrayLike, threshold: float) -> BinaryMetrics:
    """Metrics of the decision ``score >= threshold`` against 0/1 labels.

    Raises:
        ValueError: No samples, lengths differ, a label other than 0 / 1, or a score not finite.
    """
    positive, values = _checked(labels, scores)
    flagged = values >= threshold
    tp = int(np.count_nonzero(flagged & positive))
    fp = int(np.count_nonzero(flagged & ~positive))
    fn = int(np.count_nonzero(~flagged & positive))
    tn = int(np.count_nonzero(~flagged & ~positive))
    n = tp + fp + fn + tn
    return BinaryMetrics(
        n=n,
        positives=tp + fn,
        negatives=fp + tn,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        threshold=float(threshold),
        accuracy=(tp + tn) / n,
        precision=_ratio(tp, tp + fp),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        tp_rate=_ratio(tp, tp + fn),
        fp_rate=_ratio(fp, fp + tn),
        auc=roc_auc(positive, values),
    )


def roc_auc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Computed from the Mann–Whitney U statistic with average ranks, so a tie counts one half.

    Returns:
        The AUC in [0, 1]; NaN when only one class is present.

    Raises:
        ValueError: As :func:`binary_metrics`.
    """
    positive, values = _checked(labels, scores)
    n_pos = int(np.count_nonzero(positive))
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # 1-based rank of each distinct value's last sample
    ranks = (ends - (counts - 1) / 2.0)[inverse]
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def roc_curve(labels: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve, one point per distinct score.

    Returns:
        ``(fpr, tpr, thresholds)``, float64 arrays of equal length: ``thresholds`` starts at +inf
        (nothing flagged: the point (0, 0)) then descends through the distinct scores; ``fpr[i]`` and
        ``tpr[i]`` are the rates of ``score >= thresholds[i]``. A class without samples gives 0 rates.

    Raises:
        ValueError: As :func:`binary_metrics`.
    """
    positive, values = _checked(labels, scores)
    distinct = np.unique(values)[::-1]
    pos_sorted = np.sort(values[positive])
    neg_sorted = np.sort(values[~positive])
    tp = pos_sorted.size - np.searchsorted(pos_sorted, distinct, side="left")
    fp = neg_sorted.size - np.searchsorted(neg_sorted, distinct, side="left")
    tpr = np.concatenate([[0.0], tp / pos_sorted.size if pos_sorted.size else np.zeros(distinct.size)])
    fpr = np.concatenate([[0.0], fp / neg_sorted.size if neg_sorted.size else np.zeros(distinct.size)])
    thresholds = np.concatenate([[np.inf], distinct.astype(np.float64)])
    return fpr, tpr, thresholds


def threshold_at_fpr(labels: ArrayLike, scores: ArrayLike, target_fpr: float) -> float:
    """The lowest threshold whose false-positive rate on the negatives is ``<= target_fpr``.

    The lowest such threshold catches as many positives as possible within the false-alarm budget.
    Tied negatives are flagged together or not at all. The result is one of the scores (the lowest
    above every negative that must stay unflagged), or, when no score is that high, the next number
    above the highest score in the scores' own dtype, so it compares the same in float32 and float64.
    Without negatives it is the lowest score (everything flagged).

    Raises:
        ValueError: ``target_fpr`` outside [0, 1], or as :func:`binary_metrics`.
    """
    if not 0.0 <= target_fpr <= 1.0:
        raise ValueError(f"the target false-positive rate must be within [0, 1], not {target_fpr}")
    positive, values = _checked(labels, scores)
    negatives = np.sort(values[~positive])[::-1]
    allowed = math.floor(target_fpr * negatives.size + _COUNT_SLACK)
    if allowed >= negatives.size:
        return float(values.min())
    limit = negatives[allowed]  # the highest negative score that must not be flagged
    above = values[values > limit]
    if above.size:
        return float(above.min())
    return float(np.nextafter(limit, values.dtype.type(np.inf)))


def _checked(labels: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(positive mask, scores as float32 / float64) after checking both."""
    labels = np.asarray(labels)
    scores = np.asarray(scores)
    if labels.ndim != 1 or scores.ndim != 1:
        raise ValueError(f"labels and scores must be 1-D, not of shapes {labels.shape} and {scores.shape}")
    if labels.size != scores.size:
        raise ValueError(f"there are {labels.size} labels but {scores.size} scores")
    if labels.size == 0:
        raise ValueError("no samples: metrics need at least one labelled score")
    if labels.dtype.kind not in "biuf" or not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (benign) or 1 (anomaly)")
    if scores.dtype.kind not in "biuf":
        raise ValueError(f"scores must be numbers, not {scores.dtype}")
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)
    if not np.isfinite(scores).all():
        raise ValueError(f"{int(np.count_nonzero(~np.isfinite(scores)))} scores are not finite (NaN or inf)")
    return labels.astype(bool), scores


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0
