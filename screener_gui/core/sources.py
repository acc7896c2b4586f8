"""Where the GUI's queue gets scans from: a watched folder (the simulated scanner, which needs the
generator, is :class:`screener_gui.synth.sources.SimulatedScanner`).

The watcher keeps no time: the GUI calls :meth:`FolderWatcher.poll` from its own timer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from screener_gui.core.io import ENERGY_STEM, dual_energy_pair, is_scan_name

# Names that browsers, copy tools and scanners give files while they are still being written.
PARTIAL_SUFFIXES: tuple[str, ...] = (".tmp", ".part", ".partial", ".crdownload")


@dataclass(frozen=True)
class _Seen:
    signature: tuple[int, int]  # (size in bytes, mtime in ns)
    polls: int  # consecutive polls with this signature


class FolderWatcher:
    """New scan files in a folder, each reported once and only when it has stopped changing.

    A file counts as settled when its (size, modification time) has been the same for
    ``settle_polls`` consecutive polls (an empty file never settles), so a scan still being
    written is not read half done. A dual-energy pair is reported as one path (its ``_high``
    file, which :func:`~screener_gui.core.io.load_scan` takes) once both halves are settled.
    A lone ``_high`` / ``_low`` file waits ``pair_wait_polls`` more polls for its partner
    before it is reported as a plain image. Only the folder itself is watched, not subfolders.

    Args:
        folder: The folder to watch.
        settle_polls: Polls a file must stay unchanged before it is reported (at least 1).
        include_existing: Also report the scans already there when the watcher is made.
        pair_wait_polls: Extra polls a settled half of a pair waits for its partner.

    Attributes:
        problem: Why the last poll found nothing (e.g. the folder vanished), else None.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        settle_polls: int = 2,
        *,
        include_existing: bool = False,
        pair_wait_polls: int = 2,
    ) -> None:
        if settle_polls < 1:
            raise ValueError(f"settle_polls must be at least 1, got {settle_polls}")
        self.folder = Path(folder)
        self.settle_polls = settle_polls
        self.pair_wait_polls = pair_wait_polls
        self.problem: str | None = None
        self._seen: dict[Path, _Seen] = {}
        self._reported: set[Path] = set()  # reported, or there at the start: never reported again
        if not include_existing:
            self._reported.update(self._candidates())

    def poll(self) -> list[Path]:
        """Scans that have settled since the last poll, sorted by name; never raises for a
        missing or unreadable folder (then :attr:`problem` says why and the result is [])."""
        files = self._candidates()
        if self.problem is not None:
            return []
        current: dict[Path, _Seen] = {}
        for path, signature in files.items():
            before = self._seen.get(path)
            polls = before.polls + 1 if before is not None and before.signature == signature else 1
            current[path] = _Seen(signature, polls)
        self._seen = current  # files that vanished are forgotten (but stay reported)
        out = []
        for path in sorted(current):
            if path in self._reported or not self._settled(path):
                continue
            pair = dual_energy_pair(path)
            if pair is None:
                if ENERGY_STEM.fullmatch(path.stem) and not self._waited_for_partner(path):
                    continue
                out.append(path)
                self._reported.add(path)
                continue
            if any(half in self._reported for half in pair):  # e.g. the other half was there at the start
                self._reported.update(pair)
                continue
            if all(self._settled(half) for half in pair):
                out.append(pair[0])
                self._reported.update(pair)
        return sorted(set(out))

    def _settled(self, path: Path) -> bool:
        seen = self._seen.get(path)
        return seen is not None and seen.signature[0] > 0 and seen.polls >= self.settle_polls

    def _waited_for_partner(self, path: Path) -> bool:
        return self._seen[path].polls >= self.settle_polls + self.pair_wait_polls

    def _candidates(self) -> dict[Path, tuple[int, int]]:
        """Scan-like files directly in the folder with their (size, mtime_ns); sets :attr:`problem`."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            self.problem = f"the folder {self.folder} does not exist (any more)"
            return {}
        except NotADirectoryError:
            self.problem = f"{self.folder} is not a folder"
            return {}
        except OSError as exc:
            self.problem = f"the folder {self.folder} cannot be read ({exc.strerror or exc})"
            return {}
        self.problem = None
        files = {}
        for entry in entries:
            if not _is_scan_name(entry.name):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:  # removed between the listing and the stat
                continue
            files[Path(entry.path)] = (stat.st_size, stat.st_mtime_ns)
        return files


def _is_scan_name(name: str) -> bool:
    return is_scan_name(name) and not name.lower().endswith(PARTIAL_SUFFIXES)
