"""The operator's decision log: one JSON line per bag, appended and synced, never rewritten.

A shift's decisions are evidence of what was screened and how, so the log is append-only: each
decision is one line written at the end of the file and forced to disk before :meth:`append`
returns. Earlier lines are never touched, so a crash can at worst tear the line being written;
the reader skips such a line (and counts it) instead of failing, and the next append starts on a
fresh line so the torn bytes never spoil a new record.
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from screener_gui.core.errors import display_path

DECISIONS: tuple[str, ...] = ("clear", "suspect")


def utc_timestamp() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2024-05-01T08:30:00.125+00:00``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Decision:
    """What the operator decided about one bag.

    Attributes:
        time: When the decision was made, ISO 8601 with a UTC offset (see :func:`utc_timestamp`).
        source: The scan's path, or a description such as "simulated bag 7 (seed 5)".
        decision: "clear" (the bag goes on) or "suspect" (the bag is searched by hand).
        model_alarm: Whether the model alarmed on the bag.
        bag_score: The model's bag score in [0, 1] (0 with no objects).
        seconds_on_bag: Time the operator spent on the bag, in seconds.
        objects: Electronics items the model found in the bag.

    Raises:
        ValueError: ``decision`` is not one of :data:`DECISIONS`, or ``time`` is not ISO 8601.
    """

    time: str
    source: str
    decision: str
    model_alarm: bool
    bag_score: float
    seconds_on_bag: float
    objects: int

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {self.decision!r}")
        try:
            datetime.fromisoformat(self.time)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"decision time must be ISO 8601, not {self.time!r}") from exc

    def to_json(self) -> str:
        """The decision as one line of JSON (no newline inside, whatever ``source`` holds)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: object) -> Decision:
        """A decision from a parsed JSON object.

        Raises:
            ValueError: A field is missing, has the wrong type or an invalid value (a bag score
                outside [0, 1], a time on the bag that is negative or not finite, a negative count).
        """
        if not isinstance(data, dict):
            raise ValueError("a decision must be a JSON object")
        try:
            fields = {
                "time": data["time"],
                "source": data["source"],
                "decision": data["decision"],
                "model_alarm": data["model_alarm"],
                "bag_score": data["bag_score"],
                "seconds_on_bag": data["seconds_on_bag"],
                "objects": data["objects"],
            }
        except KeyError as exc:
            raise ValueError(f"a decision needs the field {exc}") from None
        checks = (
            ("time", str),
            ("source", str),
            ("decision", str),
            ("model_alarm", bool),
            ("bag_score", (int, float)),
            ("seconds_on_bag", (int, float)),
            ("objects", int),
        )
        for name, kind in checks:
            value = fields[name]
            # bool is an int in Python: only model_alarm may be one.
            if not isinstance(value, kind) or (name != "model_alarm" and isinstance(value, bool)):
                raise ValueError(f"decision field {name!r} has the wrong type ({type(value).__name__})")
        for name in ("bag_score", "seconds_on_bag"):
            try:
                fields[name] = float(fields[name])
            except OverflowError as exc:  # an integer too large for a float
                raise ValueError(f"decision field {name!r} is out of range") from exc
        # Checked on reading only: a decision being logged is never refused for its numbers.
        if not 0.0 <= fields["bag_score"] <= 1.0:  # also refuses NaN
            raise ValueError(f"bag_score must be in [0, 1], not {fields['bag_score']!r}")
        if not (math.isfinite(fields["seconds_on_bag"]) and fields["seconds_on_bag"] >= 0):
            raise ValueError(f"seconds_on_bag must be finite and >= 0, not {fields['seconds_on_bag']!r}")
        if fields["objects"] < 0:
            raise ValueError(f"objects must be >= 0, not {fields['objects']!r}")
        return cls(**fields)


@dataclass(frozen=True)
class DecisionLogContents:
    """Everything readable in a decision log.

    Attributes:
        decisions: The decisions, in the order they were made.
        skipped: Lines that were not a valid decision (a torn last line, damage) and were skipped.
    """

    decisions: tuple[Decision, ...]
    skipped: int


class DecisionLogError(OSError):
    """A decision log that exists but cannot be read; the message names the file and the problem."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot read decision log {display_path(path)}: {reason}")


class DecisionLog:
    """An append-only JSON-lines file of :class:`Decision` records."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def append(self, decision: Decision) -> None:
        """Add one decision at the end of the log and force it to disk.

        The parent folder is created. When the file's last line is torn (no trailing newline,
        e.g. after a crash mid-write) the record starts on a new line, so it stays readable.

        Raises:
            OSError: The log cannot be written.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        line = decision.to_json() + "\n"
        with open(self.path, "a+b") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    line = "\n" + line
            handle.write(line.encode("utf-8"))  # "a" mode: always at the end, whatever the position
            handle.flush()
            os.fsync(handle.fileno())
        if created:
            _fsync_folder(self.path.parent)

    def read(self) -> DecisionLogContents:
        """All readable decisions and the number of skipped lines (see :func:`load_decision_log`)."""
        return load_decision_log(self.path)


def load_decision_log(path: str | os.PathLike[str]) -> DecisionLogContents:
    """Read a decision log, skipping (and counting) lines that are not a valid decision.

    A missing file is an empty log. Blank lines are ignored and not counted. A line is skipped
    when it is not UTF-8, not JSON (``NaN`` / ``Infinity`` and nesting too deep included) or not a
    valid :class:`Decision` (wrong types, a score outside [0, 1]…).

    Raises:
        DecisionLogError: The path exists but is not a regular file (a folder, a FIFO…) or
            cannot be read. It is an ``OSError``.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return DecisionLogContents((), 0)
    except OSError as exc:
        raise DecisionLogError(path, f"it cannot be read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise DecisionLogError(path, f"it is {kind}, not a decision log")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DecisionLogError(path, f"it cannot be read ({exc.strerror or exc})") from exc
    decisions, skipped = [], 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            decisions.append(Decision.from_dict(json.loads(raw.decode("utf-8"), parse_constant=_no_constant)))
        except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
            skipped += 1
    return DecisionLogContents(tuple(decisions), skipped)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def read_decisions(path: str | os.PathLike[str]) -> list[Decision]:
    """The valid decisions of a log, in order; malformed lines are skipped (counted by
    :func:`load_decision_log`)."""
    return list(load_decision_log(path).decisions)


def _fsync_folder(folder: Path) -> None:
    """Make a new file's directory entry durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
