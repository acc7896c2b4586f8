"""Which files are scans: names, DICOS files, dual-energy pairs, what is wrong with a path, and
folder searches that name what they pass over.

:func:`expand_scan_paths` is how every command and the workstation turn the paths a user gives into
scan files; the loader itself is :func:`screener_gui.core.io.load_scan`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from screener_gui.core.errors import ScanLoadError, display_path

SCAN_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
DICOS_EXTENSIONS: tuple[str, ...] = (".dcm", ".dicos", ".dcs")  # DICOS / DICOM images (core.dicos)
TDR_SUFFIX = ".tdr.dcm"
"""Name ending for threat reports (``<scan name>.tdr.dcm``): not listed as scans by :func:`is_dicos_name`."""
DICM_HEAD = 132  # a DICOM file's 128-byte preamble, then "DICM"
SUPERPIXELS_SUFFIX = ".superpixels.png"  # an annotator's superpixel map beside its scan
ENERGY_STEM = re.compile(r"(?P<base>.+)_(?P<energy>high|low)", re.IGNORECASE)

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


def is_dicos_name(name: str) -> bool:
    """True for a file name a DICOS scan can have: a DICOS / DICOM extension (``.dcm``, ``.dicos``,
    ``.dcs``), not hidden, and not a threat report's (:data:`TDR_SUFFIX`)."""
    lower = name.lower()
    return (
        not name.startswith(".") and Path(lower).suffix in DICOS_EXTENSIONS and not lower.endswith(TDR_SUFFIX)
    )


def is_dicos(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` has a DICOS extension or starts with the 128-byte preamble and ``DICM``
    (so DICOM files with no extension, as scanners often write them, are recognised)."""
    path = Path(path)
    if is_dicos_name(path.name):
        return True
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # opening a FIFO would block until a writer comes
            return False
        with path.open("rb") as handle:
            return has_dicm_marker(handle.read(DICM_HEAD))
    except (OSError, ValueError):
        return False


def has_dicm_marker(head: bytes) -> bool:
    """True when ``head`` (a file's first :data:`DICM_HEAD` bytes) is a DICOM preamble and marker."""
    return len(head) == DICM_HEAD and head[DICM_HEAD - 4 :] == b"DICM"


def stat_problem(path: Path, exc: OSError) -> str:
    """Why ``os.stat`` failed, in words."""
    if exc.errno == errno.ELOOP:
        return "it is a symlink loop (a link that leads, through links, back to itself)"
    if exc.errno == errno.ENAMETOOLONG:
        return "its name or path is too long for the file system"
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            try:
                target = os.readlink(path)
            except OSError:
                target = "a missing file"
            return f"it is a dangling symbolic link (to {display_path(target)}, which does not exist)"
        return "the file does not exist"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: the file cannot be read"
    return f"the file cannot be read ({exc.strerror or exc})"


def not_regular(mode: int) -> str:
    kind = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a special file"
    )
    return f"it is {kind}, not a regular file"


def unsupported(path: Path) -> str:
    return f"'{path.suffix}' files are not supported; scans must be one of {', '.join(SCAN_EXTENSIONS)}"


def may_be_pair_half(path: Path) -> bool:
    """True when ``path``'s name makes it one half of a dual-energy pair (``<stem>_high`` /
    ``_low``, any case); a DICOS file never is: it holds both energies or is one image."""
    return ENERGY_STEM.fullmatch(path.stem) is not None and not is_dicos_name(path.name)


def dual_energy_pair(path: Path) -> tuple[Path, Path] | None:
    """(high, low) when ``path`` is one half of a pair whose other half exists, else None."""
    match = ENERGY_STEM.fullmatch(path.stem)
    if match is None or not may_be_pair_half(path):
        return None
    other = "low" if match["energy"].lower() == "high" else "high"
    suffixes = dict.fromkeys([path.suffix, *SCAN_EXTENSIONS, *(s.upper() for s in SCAN_EXTENSIONS)])
    for word in (other, other.upper(), other.capitalize()):
        for suffix in suffixes:
            partner = path.with_name(f"{match['base']}_{word}{suffix}")
            if partner.is_file():
                return (path, partner) if other == "low" else (partner, path)
    return None
