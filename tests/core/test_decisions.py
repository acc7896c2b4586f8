"""The decision log: append-only, durable, readable after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from screener_gui.core.decisions import (
    Decision,
    DecisionLog,
    load_decision_log,
    read_decisions,
    utc_timestamp,
)


def _decision(source: str, decision: str = "clear", **kwargs: object) -> Decision:
    fields = {"model_alarm": False, "bag_score": 0.12, "seconds_on_bag": 4.5, "objects": 2} | kwargs
    return Decision(time=utc_timestamp(), source=source, decision=decision, **fields)


def test_two_appends_read_back_in_order_in_a_new_folder(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "shift" / "decisions.jsonl")
    first = _decision("scans/bag_1.png", "clear")
    second = _decision(
        "simulated bag 7 (seed 5)\nwith a newline", "suspect", model_alarm=True, bag_score=0.93
    )
    log.append(first)
    log.append(second)
    assert read_decisions(log.path) == [first, second]
    assert len(log.path.read_text(encoding="utf-8").splitlines()) == 2  # one line per decision


def test_earlier_decisions_are_kept_when_appending(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    DecisionLog(path).append(_decision("a.png"))
    before = path.read_bytes()
    DecisionLog(path).append(_decision("b.png"))  # a new session on the same file
    assert path.read_bytes().startswith(before)


def test_torn_last_line_is_skipped_and_the_next_append_is_readable(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    log = DecisionLog(path)
    kept = _decision("a.png")
    log.append(kept)
    with path.open("ab") as handle:  # a crash in the middle of writing the next record
        handle.write(b'{"time": "2024-05-01T08:00:00+00:00", "sour')
    after = _decision("b.png", "suspect")
    log.append(after)
    contents = load_decision_log(path)
    assert contents.decisions == (kept, after)
    assert contents.skipped == 1


def test_malformed_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    good = _decision("a.png")
    path.write_text(
        "\n".join(
            [
                good.to_json(),
                "not json",
                '{"time": "2024-05-01T08:00:00+00:00", "source": "x", "decision": "maybe", '
                '"model_alarm": false, "bag_score": 0.1, "seconds_on_bag": 1, "objects": 0}',
                '{"time": "2024-05-01T08:00:00+00:00", "source": "x", "decision": "clear", '
                '"model_alarm": "no", "bag_score": 0.1, "seconds_on_bag": 1, "objects": 0}',
                "[1, 2]",
                "",
            ]
        ),
        encoding="utf-8",
    )
    contents = load_decision_log(path)
    assert contents.decisions == (good,)
    assert contents.skipped == 4


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    assert read_decisions(tmp_path / "none.jsonl") == []


@pytest.mark.parametrize("value", ["Clear", "alarm", ""])
def test_bad_decision_value_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="clear, suspect"):
        _decision("a.png", value)


def test_time_must_be_iso_8601() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        Decision("yesterday", "a.png", "clear", False, 0.0, 1.0, 0)
