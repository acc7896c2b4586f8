"""The error types the core raises for bad input, with messages meant for people."""

from __future__ import annotations

import os


def display_path(path: object) -> str:
    """A path as one printable line: newlines, control characters and undecodable bytes escaped.

    A file name may hold a newline or bytes that are no text (POSIX allows both); printed as they
    are, they would split one message over two lines or fail to print at all.
    """
    text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return text if text.isprintable() else repr(text)[1:-1]


class ScanLoadError(ValueError):
    """A scan file (or dual-energy pair) cannot be turned into a :class:`Scan`.

    The message always names the file and says what is wrong with it in plain words, on one line,
    so the GUI and the CLI can show it as it is and move on to the next scan.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot load scan {display_path(path)}: {reason}")


class WeightsError(ValueError):
    """A weights or checkpoint file cannot be used; ``str()`` is ``"{path}: {reason}"``.

    Defined here, not beside the weights reader, so that the command line can catch it without
    importing torch (which costs over half a gigabyte of memory before any work is done).
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{display_path(path)}: {reason}")
