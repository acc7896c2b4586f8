"""Atomic file writes: a reader (or a crash) sees the old file or the complete new one, never half.

Saved work (labels, decisions, weights, reports) must never be lost to a full disk or a power cut
in the middle of a write, so every file the application writes goes through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    A hidden temporary file in the same folder (``.<name>.<pid>-<random>.tmp``) is written,
    fsynced and renamed over ``path``; the folder is then fsynced so the rename survives a crash
    too (POSIX). A replaced file keeps its permissions; a new one gets 0o644. Temporaries that a
    killed writer left for ``path`` are removed first (:func:`remove_stale_temporaries`).

    Raises:
        OSError: The file cannot be written (the old one is then untouched, no temporary is left).
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    remove_stale_temporaries(path)
    prefix = f".{path.name}.{os.getpid()}-"
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    with contextlib.suppress(OSError):  # makes the rename durable too; POSIX only
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (see :func:`write_bytes_atomic`).

    The text is written as it is: no newline translation on any platform.
    """
    write_bytes_atomic(path, text.encode(encoding))


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporaries of ``path`` whose writer is no longer running; returns them.

    A writer killed between creating its temporary and renaming it (SIGKILL, a power cut) cannot
    clean up; the next write of the same file does. A temporary of a live process (this host's
    process ids) is left alone: it may be another writer's, still at work.
    """
    path = Path(path)
    prefix = f".{path.name}."
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid = name[len(prefix) : -len(TEMP_SUFFIX)].partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    """Whether process ``pid`` of this host is alive (a zombie, killed and not yet reaped, is not)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    try:  # Linux: a killed worker whose reaper never waits for it stays a zombie for ever
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True
