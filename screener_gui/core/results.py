"""The results file of ``screener screen``: one JSON line per scan, each on disk as it is finished.

A run that is killed keeps every line it finished (each is flushed and synced); a torn last line
is dropped when the file is reopened. ``resume`` keeps the scans already screened, so a rerun
skips them; without it the file starts empty, so a stale file never passes for today's results.
Lines are plain JSON: a non-finite number is written as ``null``, never as bare ``NaN``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

from screener_gui.core.atomic import write_text_atomic

NAME_BYTES = 120  # overlay / mask file stems are cut to this (a file name may hold 255 bytes)


class ResultsFileError(OSError):
    """The results file (or an output folder) cannot be written; the message names it."""


class ResultsFile:
    """An open results file, appended to line by line.

    Args:
        path: The ``.jsonl`` file to write.
        resume: Keep the scans this file already holds as screened (lines with an ``error`` are
            dropped, so those scans are tried again); otherwise start the file empty.

    Raises:
        ResultsFileError: The file cannot be created or written (checked before any scan is).
    """

    def __init__(self, path: str | os.PathLike[str], *, resume: bool = False) -> None:
        self.path = Path(path)
        self.done: set[str] = set()
        kept: list[str] = []
        if resume and self.path.is_file():
            kept = _finished_lines(self.path)
            self.done = {json.loads(line)["source"] for line in kept}
        try:
            if self.path.is_dir():
                raise IsADirectoryError(f"{self.path} is a folder")
            text = "".join(line + "\n" for line in kept)
            write_text_atomic(self.path, text)
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
            self._kept, self.lines = len(text.encode("utf-8")), len(kept)
        except OSError as error:
            raise ResultsFileError(f"cannot write results file {self.path}: {_reason(error)}") from error

    def write(self, record: dict) -> None:
        """Append one scan's record and put it on disk before returning.

        Raises:
            ResultsFileError: It cannot be written (a full disk); the lines before it are intact.
        """
        line = json.dumps(_finite(record), allow_nan=False) + "\n"
        try:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as error:
            self._handle.close()
            with contextlib.suppress(OSError):  # drop the torn line, keep every finished one
                os.truncate(self.path, self._kept)
            raise ResultsFileError(
                f"cannot write results file {self.path}: {_reason(error)}; the {self.lines} lines "
                "before are in it (--resume continues from there)"
            ) from error
        self._kept += len(line.encode("utf-8"))
        self.lines += 1

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_folder_writable(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it; returns it.

    Raises:
        ResultsFileError: It cannot be created or written into.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as error:
        raise ResultsFileError(f"cannot write into {folder}: {_reason(error)}") from error
    return folder


def safe_stem(name: str) -> str:
    """``name`` made fit for an output file: control characters and separators replaced, and
    cut (with a short hash of the whole name, so cut names stay distinct) when it is long."""
    clean = "".join("_" if ch in "/\\" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in name).strip()
    clean = clean.lstrip(".") or "scan"
    if len(clean.encode("utf-8")) <= NAME_BYTES:
        return clean
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    cut = clean.encode("utf-8")[: NAME_BYTES - 11].decode("utf-8", "ignore")
    return f"{cut}~{digest}"


def _finished_lines(path: Path) -> list[str]:
    """The complete, successful lines of an earlier run (a torn or failed line is left out)."""
    kept = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # torn by a kill mid-write
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if (
                    isinstance(record, dict)
                    and isinstance(record.get("source"), str)
                    and "error" not in record
                ):
                    kept.append(line.rstrip("\n"))
    return kept


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
