"""The workstation's error log: every problem the operator is shown, one timestamped line each.

The queue shows only the latest errors and forgets them on close; this file keeps them all for
whoever looks after the lane. It lives next to the decision log (``errors.log``), is only ever
appended to, and each line is flushed as it is written. Plain Python, no Qt.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from screener_gui.core.decisions import utc_timestamp

ERROR_LOG_NAME = "errors.log"


def error_log_path(decision_log: str | os.PathLike[str]) -> Path:
    """The error log that goes with ``decision_log``: ``errors.log`` in the same folder."""
    return Path(decision_log).with_name(ERROR_LOG_NAME)


def plain_reason(exc: BaseException) -> str:
    """What went wrong, for people: a full disk says so, other OS errors give their text."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"the disk is full ({exc.strerror or 'no space left on device'})"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


class ErrorLog:
    """An append-only text file of ``<UTC time>\\t<message>`` lines."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def append(self, message: str) -> None:
        """Add one line (newlines in ``message`` become " / ") and flush it.

        Raises:
            OSError: The file cannot be written.
        """
        text = " / ".join(part.strip() for part in message.splitlines() if part.strip())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{utc_timestamp()}\t{text}\n")
            handle.flush()
