"""Where the GUI's queue gets scans from: a watched folder (the simulated scanner, which needs the
generator, is :class:`screener_gui.synth.sources.SimulatedScanner`).

The watcher keeps no time: the GUI calls :meth:`FolderWatcher.poll` from its own timer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from screener_gui.core.scan_files import dual_energy_pair, is_scan_name, may_be_pair_half

# Names that browsers, copy tools and scanners give files while they are still being written.
PARTIAL_SUFFIXES: tuple[str, ...] = (".tmp", ".part", ".partial", ".crdownload")

# What identifies one version of a file: (size in bytes, mtime in ns, inode). A file overwritten
# under the same name, or replaced by a rename, changes it, so it is screened again.
Signature = tuple[int, int, int]


@dataclass(frozen=True)
class _Seen:
    signature: Signature
    polls: int  # consecutive polls with this signature


@dataclass(frozen=True)
class SkippedFile:
    """A file in the watched folder that will not be screened, and why (each reported once).

    Attributes:
        path: The file, as it appears in the watched folder.
        reason: Why, in plain words (e.g. "the file is empty (0 bytes)").
    """

    path: Path
    reason: str


class FolderWatcher:
    """New scan files in a folder, each reported once per version and only when it has stopped changing.

    A file counts as settled when its (size, modification time, inode) has been the same for
    ``settle_polls`` consecutive polls, so a scan still being written is not read half done. A
    file overwritten later (same name, new contents) is reported again once it settles. A file
    that stays empty (0 bytes) that long is not a scan: it lands in :attr:`skipped`, and is
    reported as a scan if it is written later. A link to a file outside the folder is not
    followed (skipped once, with the reason); links within the folder are.

    A dual-energy pair is reported as one path (its ``_high`` file, which
    :func:`~screener_gui.core.io.load_scan` takes) once both halves are settled. A lone ``_high`` /
    ``_low`` file waits ``pair_wait_polls`` more polls for its partner before it is reported as a
    plain image; so does the rewritten half of a pair, for its partner to be rewritten too. Only the
    folder itself is watched, not subfolders.

    Args:
        folder: The folder to watch.
        settle_polls: Polls a file must stay unchanged before it is reported (at least 1).
        include_existing: Also report the scans already there when the watcher is made.
        pair_wait_polls: Extra polls a settled half of a pair waits for its partner.

    Attributes:
        problem: Why the last poll found nothing (e.g. the folder vanished), else None. The
            watcher picks up again by itself when the folder is back.
        skipped: The files the last poll decided not to screen (each file version once).
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
        self.skipped: list[SkippedFile] = []
        self._seen: dict[Path, _Seen] = {}
        # The version of each file that was reported (or there at the start, or skipped): a file
        # is reported again only when its signature differs.
        self._reported: dict[Path, Signature] = {}
        self._refused: dict[Path, str] = {}  # links out of the folder already skipped → their target
        if not include_existing:
            self._reported.update(self._candidates())
            self.skipped = []

    def poll(self) -> list[Path]:
        """Scans that have settled since the last poll, sorted by name; never raises for a
        missing or unreadable folder (then :attr:`problem` says why and the result is [])."""
        self.skipped = []
        files = self._candidates()
        if self.problem is not None:
            return []
        current: dict[Path, _Seen] = {}
        for path, signature in files.items():
            before = self._seen.get(path)
            polls = before.polls + 1 if before is not None and before.signature == signature else 1
            current[path] = _Seen(signature, polls)
        self._seen = current
        # Files that left the folder are forgotten: one that comes back is a new file.
        self._reported = {p: s for p, s in self._reported.items() if p in current}
        out: set[Path] = set()
        for path in sorted(current):
            if not self._changed(path) or not self._stable(path):
                continue
            if current[path].signature[0] == 0:
                self.skipped.append(SkippedFile(path, "the file is empty (0 bytes)"))
                self._reported[path] = current[path].signature
                continue
            pair = dual_energy_pair(path)
            if pair is None:
                if may_be_pair_half(path) and not self._waited_for_partner(path):
                    continue
                out.add(path)
                self._reported[path] = current[path].signature
            elif self._pair_ready(pair):
                out.add(pair[0])
                self._reported.update({half: current[half].signature for half in pair})
        return sorted(out)

    def _changed(self, path: Path) -> bool:
        return self._reported.get(path) != self._seen[path].signature

    def _stable(self, path: Path) -> bool:
        seen = self._seen.get(path)
        return seen is not None and seen.polls >= self.settle_polls

    def _pair_ready(self, pair: tuple[Path, Path]) -> bool:
        """Both halves are settled and not empty, and a half rewritten alone has waited for its
        partner to be rewritten too."""
        if not all(half in self._seen and self._stable(half) for half in pair):
            return False
        if any(self._seen[half].signature[0] == 0 for half in pair):
            return False
        changed = [half for half in pair if self._changed(half)]
        if len(changed) == len(pair):
            return True
        return all(self._waited_for_partner(half) for half in changed)

    def _waited_for_partner(self, path: Path) -> bool:
        return self._seen[path].polls >= self.settle_polls + self.pair_wait_polls

    def _candidates(self) -> dict[Path, Signature]:
        """Scan-like files directly in the folder with their signatures; sets :attr:`problem`."""
        try:
            entries = list(os.scandir(self.folder))
            root = Path(os.path.realpath(self.folder))
        except FileNotFoundError:
            self.problem = f"the watched folder {self.folder} does not exist (any more)"
            return {}
        except NotADirectoryError:
            self.problem = f"{self.folder} is not a folder"
            return {}
        except OSError as exc:
            self.problem = f"the watched folder {self.folder} cannot be read ({exc.strerror or exc})"
            return {}
        self.problem = None
        files = {}
        refused = {}
        for entry in entries:
            if not _is_scan_name(entry.name):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    target = Path(os.path.realpath(entry.path))
                    if not target.is_relative_to(root):
                        refused[path] = str(target)
                        continue
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:  # removed between the listing and the stat
                continue
            files[path] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        for path, target in refused.items():
            if self._refused.get(path) != target:
                reason = f"a link to {target}, outside the watched folder: not followed"
                self.skipped.append(SkippedFile(path, reason))
        self._refused = refused
        return files


def _is_scan_name(name: str) -> bool:
    return is_scan_name(name) and not name.lower().endswith(PARTIAL_SUFFIXES)
