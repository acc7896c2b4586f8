"""The error types the core raises for bad input, with messages meant for people."""

from __future__ import annotations


class ScanLoadError(ValueError):
    """A scan file (or dual-energy pair) cannot be turned into a :class:`Scan`.

    The message always names the file and says what is wrong with it in plain words,
    so the GUI and the CLI can show it as it is and move on to the next scan.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot load scan {self.path}: {reason}")
