"""Which files are scans: folder searches that name what they pass over, and scan file names.

:func:`expand_scan_paths` is how every command and the workstation turn the paths a user gives into
scan files; the loader itself is :func:`screener_gui.core.io.load_scan`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from screener_gui.core.errors import ScanLoadError
from screener_gui.core.io import (
    SCAN_EXTENSIONS,
    SUPERPIXELS_SUFFIX,
    dual_energy_pair,
    is_dicos_name,
    not_regular,
    stat_problem,
    unsupported,
)

OTHER_IMAGE_EXTENSIONS: tuple[str, ...] = (
    ".webp",
    ".gif",
    ".jp2",
    ".j2k",
    ".heic",
    ".heif",
    ".avif",
    ".pgm",
    ".ppm",
    ".pnm",
    ".tga",
    ".ico",
)  # images a scanner folder may hold that are not loaded: named when a folder search passes them over


def expand_scan_paths(
    paths: Iterable[str | os.PathLike[str]], *, skipped: list[tuple[Path, str]] | None = None
) -> list[Path]:
    """Files as given; folders searched recursively for scans (:func:`find_scans` in each).

    Args:
        paths: Scan files and folders.
        skipped: When given, every entry a folder search passes over for a reason the user should
            hear is appended once as (path, reason): a folder that cannot be read, a FIFO or other
            non-file named like a scan, a symlink loop, a dangling link, a link to a folder (not
            followed, so loops cannot trap the search), a folder named like a scan (searched), or an
            image of an unsupported type (``.webp``…). Hidden files, label files and files of other
            types are passed over silently.

    Returns:
        The scan files, folder by folder in sorted order, each folder's scans sorted by name.
    """
    out: list[Path] = []
    for root in map(Path, paths):
        if _is_folder(root):
            found: list[tuple[Path, list[Path]]] = []
            folders = [root]
            while folders:
                folder = folders.pop()
                scans, subfolders = _search_folder(folder, skipped)
                found.append((folder, scans))
                folders += subfolders
            out += [p for _, scans in sorted(found, key=lambda item: item[0]) for p in scans]
        else:
            out.append(root)
    return out


def find_scans(
    folder: str | os.PathLike[str], *, skipped: list[tuple[Path, str]] | None = None
) -> list[Path]:
    """The scan files directly inside a folder, sorted by name.

    A dual-energy pair is listed once, as its ``_high`` file; a ``_low`` file without a
    ``_high`` partner is listed (it loads as a plain grey image). Hidden files (names starting
    with ".", such as macOS "._" files or :func:`save_png_atomic`'s temporary files) are skipped.
    ``skipped`` collects the entries passed over with a reason, as in :func:`expand_scan_paths`.

    Raises:
        ScanLoadError: The folder does not exist, is not a folder, or cannot be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ScanLoadError(folder, "it is not a folder" if folder.exists() else "the folder does not exist")
    problems: list[tuple[Path, str]] = []
    scans, _ = _search_folder(folder, problems, descend=False)
    if problems and problems[0][0] == folder:
        raise ScanLoadError(folder, problems[0][1])
    if skipped is not None:
        skipped += problems
    return scans


def is_scan_name(name: str) -> bool:
    """True for a file name a scan can have: an image extension, not hidden, and not an
    annotator's superpixel map (``<scan>.superpixels.png``, see docs/label_format.md)."""
    lower = name.lower()
    return (
        not name.startswith(".")
        and (Path(lower).suffix in SCAN_EXTENSIONS or is_dicos_name(name))
        and not lower.endswith(SUPERPIXELS_SUFFIX)
    )


def _is_folder(path: Path) -> bool:
    """``path.is_dir()``, False (not an exception) for a name too long, a NUL byte or any other
    reason it cannot be looked at: the loader then says what is wrong with it."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _search_folder(
    folder: Path, skipped: list[tuple[Path, str]] | None, *, descend: bool = True
) -> tuple[list[Path], list[Path]]:
    """(scan files, subfolders to search) directly in ``folder``; problems go to ``skipped``."""
    note = skipped.append if skipped is not None else lambda entry: None
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        note((folder, f"the folder cannot be read ({exc.strerror or exc})"))
        return [], []
    files, subfolders = [], []
    for entry in entries:
        path, name = Path(entry.path), entry.name
        if name.startswith("."):
            continue
        scan_name = is_scan_name(name)
        try:
            if entry.is_symlink():
                info = os.stat(entry.path)  # the link's target
                if stat.S_ISDIR(info.st_mode):
                    note((path, "it is a link to a folder, which the search does not follow"))
                    continue
            else:
                info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            if scan_name or entry.is_symlink():
                note((path, stat_problem(path, exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            if descend:
                subfolders.append(path)
            if scan_name:
                note(
                    (path, "it is a folder, not an image file" + (" (searched for scans)" if descend else ""))
                )
        elif scan_name and stat.S_ISREG(info.st_mode):
            files.append(path)
        elif scan_name:
            note((path, not_regular(info.st_mode)))
        elif Path(name.lower()).suffix in OTHER_IMAGE_EXTENSIONS:
            note((path, unsupported(path)))
    scans = []
    for path in files:
        pair = dual_energy_pair(path)
        if pair is None or pair[0] == path:
            scans.append(path)
    return scans, subfolders
