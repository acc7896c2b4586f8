"""How visible a dataset's anomalies are: counts by kind and visibility bin, by concealment, and
whether the generator's ``subtlety`` tracks the measured ΔE (``screener visibility``).

ΔE is the CIEDE2000 colour difference an anomaly makes in the false colour; CNR is the larger of
the high- and low-energy channels' contrast-to-noise ratios. Both are measured by the generator
and read here from the dataset (:mod:`screener_gui.core.dataset`).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from screener_gui.core.dataset import VISIBILITY_BINS, AnomalyEntry, Dataset

ALL = "all"


@dataclass(frozen=True)
class KindVisibility:
    """One row of the table: anomalies of one kind (or ``all``).

    Attributes:
        kind: Anomaly kind, or "all".
        counts: Anomalies per bin, in :data:`~screener_gui.core.dataset.VISIBILITY_BINS` order.
        unmeasured: Anomalies without a visibility record.
        median_delta_e: Median ΔE of the measured ones (NaN when none).
        median_cnr: Median contrast-to-noise ratio of the measured ones (NaN when none).
    """

    kind: str
    counts: tuple[int, ...]
    unmeasured: int
    median_delta_e: float
    median_cnr: float

    @property
    def total(self) -> int:
        return sum(self.counts) + self.unmeasured

    @property
    def visible_share(self) -> float:
        """Share of the measured anomalies that are visible (medium or obvious); NaN when none."""
        measured = sum(self.counts)
        return (self.counts[2] + self.counts[3]) / measured if measured else math.nan


@dataclass(frozen=True)
class VisibilitySummary:
    """Everything ``screener visibility`` reports.

    Attributes:
        scans: Scans in the dataset.
        rows: One per anomaly kind of the dataset's categories, then "all".
        concealment: (concealment, count), most frequent first.
        spearman_rho: Spearman rank correlation of subtlety with ΔE over the measured anomalies
            (NaN with fewer than three, or when either is constant).
        spearman_p: Its two-sided p-value.
        redraws, dropped: The generator's counts from the manifest.
    """

    scans: int
    rows: tuple[KindVisibility, ...]
    concealment: tuple[tuple[str, int], ...]
    spearman_rho: float
    spearman_p: float
    redraws: int
    dropped: int


def summarise_visibility(dataset: Dataset) -> VisibilitySummary:
    """The visibility summary of every anomaly in ``dataset``."""
    anomalies = dataset.anomalies
    rows = [_row(kind, [a for a in anomalies if a.kind == kind]) for kind in dataset.anomaly_kinds]
    rows.append(_row(ALL, list(anomalies)))
    measured = [a for a in anomalies if a.visibility is not None]
    rho, p = _spearman([a.subtlety for a in measured], [a.delta_e for a in measured])
    return VisibilitySummary(
        scans=len(dataset.scans),
        rows=tuple(rows),
        concealment=tuple(Counter(a.concealment for a in anomalies).most_common()),
        spearman_rho=rho,
        spearman_p=p,
        redraws=dataset.redraws,
        dropped=dataset.dropped,
    )


def visibility_markdown(summary: VisibilitySummary, title: str) -> str:
    """The summary as markdown: the kind × bin table, the concealment table, the correlation."""
    header = ["kind", *VISIBILITY_BINS, "not measured", "total", "visible %", "median ΔE", "median CNR"]
    lines = [
        f"# Anomaly visibility: {title}",
        "",
        f"{summary.rows[-1].total} anomalies in {summary.scans} scans. Bins by CIEDE2000 ΔE of the false "
        "colour: below < 2, subtle 2–5, medium 5–10, obvious ≥ 10; visible = ΔE ≥ 5 (share of the "
        "measured ones). CNR: the larger of the high- / low-energy contrast-to-noise ratios.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|",
    ]
    for row in summary.rows:
        cells = [
            f"**{row.kind}**" if row.kind == ALL else row.kind,
            *(str(c) for c in row.counts),
            str(row.unmeasured),
            str(row.total),
            _number(100 * row.visible_share, 1),
            _number(row.median_delta_e, 2),
            _number(row.median_cnr, 2),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| concealment | anomalies |", "| --- | ---: |"]
    lines += [f"| {name} | {count} |" for name, count in summary.concealment]
    lines += [
        "",
        f"Spearman rank correlation of subtlety with ΔE: ρ = {_number(summary.spearman_rho, 3)} "
        f"(p = {_number(summary.spearman_p, 3, 'g')}, n = {sum(summary.rows[-1].counts)} measured).",
        "",
        f"Generator: {summary.redraws} redraws (a place and kind that missed its visibility target), "
        f"{summary.dropped} anomalies dropped (every draw missed; the item left clean).",
    ]
    return "\n".join(lines) + "\n"


def _row(kind: str, anomalies: Sequence[AnomalyEntry]) -> KindVisibility:
    measured = [a.visibility for a in anomalies if a.visibility is not None]
    counts = Counter(v.bin for v in measured)
    return KindVisibility(
        kind=kind,
        counts=tuple(counts.get(name, 0) for name in VISIBILITY_BINS),
        unmeasured=len(anomalies) - len(measured),
        median_delta_e=float(np.median([v.delta_e for v in measured])) if measured else math.nan,
        median_cnr=float(np.median([v.cnr for v in measured])) if measured else math.nan,
    )


def _spearman(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ties and small n: scipy warns, the number stands
        result = stats.spearmanr(x, y)
    return float(result.statistic), float(result.pvalue)


def _number(value: float, digits: int, style: str = "f") -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}{style}}"
