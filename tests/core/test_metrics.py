"""Tests for the detection metrics: hand-computed cases, ties, one-class sets, calibrated thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from screener_gui.core.metrics import binary_metrics, roc_auc, roc_curve, threshold_at_fpr

LABELS = [0, 0, 1, 1]
SCORES = [0.1, 0.4, 0.35, 0.8]


def _pairwise_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """The definition: P(positive outscores negative) + 0.5 P(tie), over all pairs."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def _tied_data(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = np.round(rng.normal(labels * 0.8, 1.0), 1)  # one decimal: many ties, within and across classes
    return labels, scores


def test_hand_computed_example() -> None:
    m = binary_metrics(LABELS, SCORES, threshold=0.35)
    # flagged: 0.4 (benign), 0.35 and 0.8 (anomalies); 0.1 is cleared
    assert (m.n, m.positives, m.negatives) == (4, 2, 2)
    assert (m.tp, m.fp, m.tn, m.fn) == (2, 1, 1, 0)
    assert m.accuracy == pytest.approx(0.75)
    assert m.precision == pytest.approx(2 / 3)
    assert m.tp_rate == pytest.approx(1.0)
    assert m.fp_rate == pytest.approx(0.5)
    assert m.f1 == pytest.approx(0.8)
    assert m.auc == pytest.approx(0.75)
    assert m.threshold == 0.35


def test_score_equal_to_threshold_is_flagged() -> None:
    m = binary_metrics([1, 0], [0.5, 0.49], threshold=0.5)
    assert (m.tp, m.fp) == (1, 0)


def test_as_row_gives_percentages() -> None:
    row = binary_metrics(LABELS, SCORES, threshold=0.35).as_row()
    assert row["accuracy %"] == pytest.approx(75.0)
    assert row["precision %"] == pytest.approx(200 / 3)
    assert row["F1 %"] == pytest.approx(80.0)
    assert row["TP %"] == pytest.approx(100.0)
    assert row["FP %"] == pytest.approx(50.0)
    assert row["ROC AUC"] == pytest.approx(0.75)
    assert (row["n"], row["positives"], row["tp"], row["fp"], row["threshold"]) == (4, 2, 2, 1, 0.35)


def test_zero_denominators_give_zero_and_one_class_gives_nan_auc() -> None:
    m = binary_metrics([0, 0, 0], [0.1, 0.2, 0.3], threshold=0.9)
    assert (m.precision, m.f1, m.tp_rate, m.fp_rate, m.accuracy) == (0.0, 0.0, 0.0, 0.0, 1.0)
    assert math.isnan(m.auc)
    only_anomalies = binary_metrics([1, 1], [0.2, 0.8], threshold=0.5)
    assert (only_anomalies.fp_rate, only_anomalies.tp_rate) == (0.0, 0.5)
    assert math.isnan(only_anomalies.auc)


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        ([], [], "no samples"),
        ([0, 1], [0.5], "2 labels but 1 scores"),
        ([0, 2], [0.1, 0.2], "0 \\(benign\\) or 1 \\(anomaly\\)"),
        ([0, 1], [0.1, float("nan")], "not finite"),
        ([[0, 1]], [[0.1, 0.2]], "1-D"),
    ],
)
def test_bad_input_is_refused_clearly(labels: list, scores: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        binary_metrics(labels, scores, 0.5)


def test_auc_counts_ties_as_one_half() -> None:
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([0, 0, 1, 1], [0.2, 0.6, 0.6, 0.9]) == pytest.approx(3.5 / 4)
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_auc_matches_the_pairwise_definition_with_many_ties(seed: int) -> None:
    labels, scores = _tied_data(seed)
    assert roc_auc(labels, scores) == pytest.approx(_pairwise_auc(labels, scores), abs=1e-12)
    assert roc_auc(labels.astype(bool), scores.astype(np.float32)) == pytest.approx(
        _pairwise_auc(labels, scores)
    )


def test_roc_curve_of_the_hand_computed_example() -> None:
    fpr, tpr, thresholds = roc_curve(LABELS, SCORES)
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])


@pytest.mark.parametrize("seed", range(3))
def test_roc_curve_points_and_area_agree_with_the_metrics(seed: int) -> None:
    labels, scores = _tied_data(seed)
    fpr, tpr, thresholds = roc_curve(labels, scores)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoids: ties give diagonals
    assert area == pytest.approx(roc_auc(labels, scores))
    for i in (1, len(thresholds) // 2, len(thresholds) - 1):
        m = binary_metrics(labels, scores, thresholds[i])
        assert (m.fp_rate, m.tp_rate) == pytest.approx((fpr[i], tpr[i]))


@pytest.mark.parametrize("target", [0.0, 0.03, 0.05, 0.1, 0.29, 0.5, 1.0])
@pytest.mark.parametrize("seed", range(3))
def test_threshold_at_fpr_keeps_the_budget_and_catches_the_most(seed: int, target: float) -> None:
    labels, scores = _tied_data(seed, n=100)
    threshold = threshold_at_fpr(labels, scores, target)
    chosen = binary_metrics(labels, scores, threshold)
    assert chosen.fp_rate <= target
    candidates = [*np.unique(scores), np.inf]
    within = [t for t in candidates if binary_metrics(labels, scores, t).fp_rate <= target]
    assert chosen.tp == max(binary_metrics(labels, scores, t).tp for t in within)
    assert threshold <= min(within)  # the lowest: nothing that also keeps the budget is lower


def test_threshold_at_fpr_flags_tied_negatives_together() -> None:
    labels = [0, 0, 0, 0, 1, 1]
    scores = [0.9, 0.5, 0.5, 0.1, 0.5, 0.7]
    # Two false alarms allowed, but the two negatives at 0.5 cannot be split: only 0.9 may be flagged.
    threshold = threshold_at_fpr(labels, scores, 0.5)
    assert threshold == 0.7
    m = binary_metrics(labels, scores, threshold)
    assert (m.fp, m.tp) == (1, 1)
    assert binary_metrics(labels, scores, 0.5).fp_rate > 0.5


def test_threshold_at_fpr_above_every_score_stays_above_in_float32() -> None:
    labels = np.array([0, 1, 0, 1])
    scores = np.array([0.9, 0.3, 0.2, 0.8], np.float32)  # the top score is benign
    threshold = threshold_at_fpr(labels, scores, 0.0)
    assert threshold > 0.9
    assert not np.any(scores >= threshold)
    assert not np.any(scores.astype(np.float64) >= threshold)
    assert binary_metrics(labels, scores, threshold).fp == 0


def test_threshold_at_fpr_without_negatives_is_the_lowest_score() -> None:
    assert threshold_at_fpr([1, 1, 1], [0.3, 0.2, 0.9], 0.05) == pytest.approx(0.2)


def test_threshold_at_fpr_refuses_a_rate_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="within \\[0, 1\\]"):
        threshold_at_fpr(LABELS, SCORES, 5.0)
