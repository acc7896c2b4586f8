"""Tests for metrics reports: the markdown table, CSV and JSON hold the numbers, written atomically."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from screener_gui.core.breakdown import breakdown
from screener_gui.core.metrics import BinaryMetrics, binary_metrics
from screener_gui.core.report import markdown_table, write_csv, write_report

NAN = float("nan")


@pytest.fixture
def rows() -> dict[str, BinaryMetrics]:
    return {
        "object": binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.35),
        "sub-component": binary_metrics([0, 0, 0], [0.1, 0.2, 0.7], threshold=0.5),  # no anomalies: AUC n/a
    }


def _table_cells(markdown: str) -> dict[str, dict[str, str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    body = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    return {cells[0]: dict(zip(header, cells, strict=True)) for cells in body}


def test_markdown_table_holds_the_paper_columns(rows: dict[str, BinaryMetrics]) -> None:
    cells = _table_cells(markdown_table(rows))
    assert cells["object"] == {
        "level": "object",
        "n": "4",
        "positives": "2",
        "accuracy %": "75.00",
        "precision %": "66.67",
        "F1 %": "80.00",
        "TP %": "100.00",
        "FP %": "50.00",
        "ROC AUC": "0.7500",
        "threshold": "0.35",
    }
    assert cells["sub-component"]["ROC AUC"] == "n/a"
    assert cells["sub-component"]["FP %"] == "33.33"


def test_write_report_writes_three_files_with_the_numbers(
    tmp_path: Path, rows: dict[str, BinaryMetrics]
) -> None:
    out = tmp_path / "eval" / "run1"
    notes = {"weights": Path("models/dfl.safetensors"), "target FP rate": 0.05, "scans": 4}
    paths = write_report(out, "DFL-CNN on synthetic bags", rows, notes)
    assert paths == {"markdown": out / "metrics.md", "csv": out / "metrics.csv", "json": out / "metrics.json"}
    assert sorted(os.listdir(out)) == ["metrics.csv", "metrics.json", "metrics.md"]

    markdown = paths["markdown"].read_text()
    assert markdown.startswith("# DFL-CNN on synthetic bags\n")
    assert _table_cells(markdown)["object"]["precision %"] == "66.67"
    assert "- weights: models/dfl.safetensors" in markdown
    assert "- target FP rate: 0.05" in markdown

    with paths["csv"].open(newline="") as handle:
        table = {row["level"]: row for row in csv.DictReader(handle)}
    assert float(table["object"]["F1 %"]) == pytest.approx(80.0)
    assert int(table["object"]["tp"]) == 2
    assert table["sub-component"]["ROC AUC"] == "nan"

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    document = json.loads(paths["json"].read_text(), parse_constant=refuse)
    assert document["title"] == "DFL-CNN on synthetic bags"
    assert document["levels"]["object"]["precision"] == pytest.approx(2 / 3)
    assert document["levels"]["object"]["threshold"] == 0.35
    assert document["levels"]["sub-component"]["auc"] is None
    assert document["notes"] == {"weights": "models/dfl.safetensors", "target FP rate": 0.05, "scans": 4}


def test_rewriting_a_report_replaces_it_and_leaves_no_temporary_files(
    tmp_path: Path, rows: dict[str, BinaryMetrics]
) -> None:
    write_report(tmp_path, "first", rows, {})
    write_report(tmp_path, "second", {"object": rows["object"]}, {})
    assert sorted(os.listdir(tmp_path)) == ["metrics.csv", "metrics.json", "metrics.md"]
    markdown = (tmp_path / "metrics.md").read_text()
    assert markdown.startswith("# second\n")
    assert "sub-component" not in markdown
    assert not any(line.startswith("- ") for line in markdown.splitlines())  # no notes, no list


def test_a_bar_in_a_level_name_does_not_break_the_table(rows: dict[str, BinaryMetrics]) -> None:
    table = markdown_table({"laptop | battery": rows["object"]})
    assert "laptop \\| battery" in table
    assert all(line.count(" | ") == 9 for line in table.splitlines())


def test_the_breakdown_is_a_section_of_the_markdown_and_a_key_of_the_json(
    tmp_path: Path, rows: dict[str, BinaryMetrics]
) -> None:
    by_bin = breakdown(
        [1, 1, 0, 0], [0.9, 0.1, 0.2, 0.3], 0.5, [15.0, 1.0, NAN, NAN], [("knife_blade",)] * 2 + [()] * 2
    )
    paths = write_report(tmp_path, "run", rows, {}, {"object": by_bin})
    markdown = paths["markdown"].read_text()
    assert "## By visibility and anomaly kind" in markdown
    assert "the negatives are all negatives of the level" in markdown  # how to read the rows
    section = markdown[markdown.index("### object") :]
    obvious = next(line for line in section.splitlines() if line.startswith("| obvious"))
    below = next(line for line in section.splitlines() if line.startswith("| below"))
    assert obvious.split("|")[4].strip() == "100.00" and below.split("|")[4].strip() == "0.00"
    document = json.loads(paths["json"].read_text())
    rows_by_name = {row["name"]: row for row in document["breakdown"]["object"]}
    assert rows_by_name["obvious"]["tp_rate"] == 1.0 and rows_by_name["subtle"]["tp_rate"] is None
    assert set(rows_by_name["all"]["tp_at_fpr"]) == {"0.01", "0.035", "0.05"}
    assert rows_by_name["knife_blade"]["group"] == "kind"


def test_write_csv_leaves_unknown_values_empty_and_refuses_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ("scan", "score", "delta_e"), [("bag_1", 0.123456789, NAN), ("bag_2", 1.0, 3.5)])
    assert path.read_text() == "scan,score,delta_e\nbag_1,0.123457,\nbag_2,1,3.5\n"
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        write_csv(path, ("scan", "score", "delta_e"), [("bag_1", 0.5)])
    assert path.read_text().startswith("scan,score,delta_e\nbag_1")  # the old file is untouched
