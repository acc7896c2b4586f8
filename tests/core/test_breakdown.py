"""Metrics per visibility bin and anomaly kind: faint anomalies are not hidden by obvious ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from screener_gui.core.breakdown import FPR_POINTS, breakdown, breakdown_table

NAN = math.nan


@pytest.fixture
def only_obvious_found():
    """Ten benign samples, and positives of every bin; the scorer finds only the obvious ones."""
    delta_e = [1.0, 1.5, 3.0, 7.0, 12.0, 25.0] + [NAN] * 10
    labels = [1] * 6 + [0] * 10
    scores = [0.1, 0.2, 0.1, 0.3, 0.9, 0.95, *np.linspace(0.0, 0.4, 10)]
    kinds = [("screws",), ("screws",), ("wires",), ("handgun",), ("handgun",), ("organic_slab",)] + [()] * 10
    return breakdown(labels, scores, 0.5, delta_e, kinds, ("organic_slab", "screws", "wires", "handgun"))


def _rows(rows):
    return {row.name: row for row in rows}


def test_a_scorer_that_finds_only_obvious_anomalies(only_obvious_found) -> None:
    rows = _rows(only_obvious_found)
    assert rows["obvious"].tp_rate == 1.0 and rows["obvious"].positives == 2
    assert rows["below"].tp_rate == 0.0 and rows["below"].positives == 2
    assert rows["subtle"].tp_rate == 0.0 and rows["medium"].tp_rate == 0.0
    assert rows["visible"].positives == 3 and rows["visible"].tp_rate == pytest.approx(2 / 3)
    assert rows["all"].tp_rate == pytest.approx(2 / 6)
    assert rows["obvious"].auc == 1.0 and rows["below"].auc < 0.5


def test_every_row_is_measured_against_all_negatives(only_obvious_found) -> None:
    for row in only_obvious_found:
        assert row.negatives == 10 and row.n == row.positives + 10
        assert row.fp_rate == 0.0  # no negative scores 0.5 or more
    assert [row.name for row in only_obvious_found] == [
        "all",
        "below",
        "subtle",
        "medium",
        "obvious",
        "visible",
        "organic_slab",
        "screws",
        "wires",
        "handgun",
    ]


def test_kind_rows_and_tp_at_fixed_false_positive_rates(only_obvious_found) -> None:
    rows = _rows(only_obvious_found)
    assert rows["handgun"].positives == 2 and rows["handgun"].tp_rate == 0.5
    # At 1 % FP of ten negatives none may be flagged: the threshold sits above 0.4.
    assert rows["obvious"].tp_at_fpr[0] == 1.0 and rows["below"].tp_at_fpr[0] == 0.0
    assert len(rows["all"].tp_at_fpr) == len(FPR_POINTS)


def test_an_empty_bin_is_not_applicable_not_zero() -> None:
    rows = _rows(breakdown([1, 0, 0], [0.9, 0.1, 0.2], 0.5, [12.0, NAN, NAN], [("screws",), (), ()]))
    assert rows["below"].positives == 0 and math.isnan(rows["below"].tp_rate)
    assert math.isnan(rows["below"].auc) and all(math.isnan(r) for r in rows["below"].tp_at_fpr)
    table = breakdown_table(list(rows.values()))
    below = next(line for line in table.splitlines() if line.startswith("| below"))
    assert below.count("n/a") == 5  # TP %, ROC AUC and the three fixed-FP points
    assert "| kind: screws | 3 | 1 | 100.00 | 0.00 | 1.0000 |" in table


def test_unmeasured_positives_count_in_all_and_their_kind_only() -> None:
    rows = _rows(breakdown([1, 0], [0.9, 0.1], 0.5, [NAN, NAN], [("handgun",), ()]))
    assert rows["all"].positives == 1 and rows["handgun"].positives == 1
    assert sum(rows[name].positives for name in ("below", "subtle", "medium", "obvious", "visible")) == 0


def test_lengths_must_agree() -> None:
    with pytest.raises(ValueError, match="one length"):
        breakdown([1, 0], [0.9], 0.5, [1.0, NAN], [(), ()])
