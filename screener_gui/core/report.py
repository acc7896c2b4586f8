"""Metrics reports: markdown tables, a CSV and a JSON file per evaluation, written atomically.

Tables are made by this module from :class:`BinaryMetrics` (and, per visibility bin and anomaly
kind, :class:`~screener_gui.core.breakdown.SubsetMetrics`), never by hand, so the numbers in a
README or a paper table can always be traced back to a run.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from screener_gui.core.atomic import write_text_atomic
from screener_gui.core.breakdown import FPR_POINTS, SUBSET_RULE, SubsetMetrics, breakdown_table
from screener_gui.core.metrics import BinaryMetrics

_HEADER = (
    "level",
    "n",
    "positives",
    "accuracy %",
    "precision %",
    "F1 %",
    "TP %",
    "FP %",
    "ROC AUC",
    "threshold",
)


def markdown_table(rows: Mapping[str, BinaryMetrics]) -> str:
    """A markdown table, one row per level (e.g. "object", "sub-component"), in the paper's columns.

    Rates are percentages with two decimals, ROC AUC has four ("n/a" when undefined), the
    threshold four significant digits. No trailing newline.
    """
    lines = [
        "| " + " | ".join(_HEADER) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * (len(_HEADER) - 1)) + "|",
    ]
    for level, m in rows.items():
        cells = [
            _escape(level),
            str(m.n),
            str(m.positives),
            *(f"{100.0 * rate:.2f}" for rate in (m.accuracy, m.precision, m.f1, m.tp_rate, m.fp_rate)),
            "n/a" if math.isnan(m.auc) else f"{m.auc:.4f}",
            f"{m.threshold:.4g}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    out_dir: Path,
    title: str,
    rows: Mapping[str, BinaryMetrics],
    notes: Mapping[str, object],
    breakdowns: Mapping[str, Sequence[SubsetMetrics]] | None = None,
) -> dict[str, Path]:
    """Write ``metrics.md``, ``metrics.csv`` and ``metrics.json`` into ``out_dir`` (created if needed).

    Args:
        out_dir: Folder of the report; existing report files in it are replaced atomically.
        title: The markdown heading, and ``title`` in the JSON.
        rows: Metrics per level, in table order.
        notes: What the numbers depend on (weights file, data set, target false-positive rate…);
            a bullet list in the markdown, ``notes`` in the JSON (values that JSON lacks as text).
        breakdowns: Per level, its rows by visibility bin and anomaly kind: a section of tables in
            the markdown (with the rule that makes them comparable), ``breakdown`` in the JSON.

    Returns:
        ``{"markdown": …, "csv": …, "json": …}`` paths.

    Raises:
        OSError: A file cannot be written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "metrics.md",
        "csv": out_dir / "metrics.csv",
        "json": out_dir / "metrics.json",
    }

    markdown = [f"# {title}", "", markdown_table(rows), ""]
    if notes:
        markdown += [f"- {key}: {_note_text(value)}" for key, value in notes.items()] + [""]
    if breakdowns:
        markdown += ["## By visibility and anomaly kind", "", SUBSET_RULE, ""]
        for level, level_rows in breakdowns.items():
            markdown += [f"### {level}", "", breakdown_table(level_rows), ""]
    write_text_atomic(paths["markdown"], "\n".join(markdown))

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = list(BinaryMetrics.as_row(next(iter(rows.values())))) if rows else []
    writer.writerow(["level", *columns])
    for level, m in rows.items():
        writer.writerow([level, *m.as_row().values()])
    write_text_atomic(paths["csv"], buffer.getvalue())

    document = {
        "title": title,
        "levels": {level: dataclasses.asdict(m) for level, m in rows.items()},
        "notes": dict(notes),
    }
    if breakdowns:
        document["breakdown"] = {
            level: [_breakdown_row(row) for row in level_rows] for level, level_rows in breakdowns.items()
        }
    write_text_atomic(paths["json"], json.dumps(_json_safe(document), indent=2, allow_nan=False) + "\n")
    return paths


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a CSV table atomically: a header of ``columns``, then one line per row; floats with
    six significant digits, NaN and None as empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row of {len(row)} cells for {len(columns)} columns")
        writer.writerow([_csv_cell(value) for value in row])
    write_text_atomic(path, buffer.getvalue())


def _csv_cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return value


def _breakdown_row(row: SubsetMetrics) -> dict:
    data = dataclasses.asdict(row)
    data["tp_at_fpr"] = {f"{fpr:g}": rate for fpr, rate in zip(FPR_POINTS, row.tp_at_fpr, strict=True)}
    return data


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _note_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return _escape(str(value))


def _json_safe(value: object) -> object:
    """Plain JSON values: NaN / inf become null, numpy scalars numbers, anything else text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return str(value)
