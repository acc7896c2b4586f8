"""The watched-folder scan source of the queue (the simulated scanner: tests/synth/test_sources.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from screener_gui.core.sources import FolderWatcher


def _png_bytes(tmp_path: Path, shape: tuple[int, ...] = (20, 30, 3), name: str = "src.png") -> bytes:
    path = tmp_path / name
    Image.fromarray(np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def test_a_file_being_written_is_reported_once_after_it_settles(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    watcher = FolderWatcher(folder, settle_polls=2)
    data = _png_bytes(tmp_path)
    scan = folder / "bag_1.png"
    scan.write_bytes(data[: len(data) // 2])
    assert watcher.poll() == []
    with scan.open("ab") as handle:
        handle.write(data[len(data) // 2 :])
    assert watcher.poll() == []  # it changed since the last poll
    assert watcher.poll() == [scan]
    assert watcher.poll() == [] and watcher.poll() == []


def test_existing_files_are_ignored_unless_asked_for(tmp_path: Path) -> None:
    old = tmp_path / "old.png"
    old.write_bytes(_png_bytes(tmp_path))
    watcher = FolderWatcher(tmp_path, settle_polls=1)
    new = tmp_path / "new.jpg"
    new.write_bytes(b"not really a jpeg, but the watcher does not decode")
    assert watcher.poll() == [new]
    everything = FolderWatcher(tmp_path, settle_polls=1, include_existing=True)
    assert everything.poll() == [new, old]


def test_partial_hidden_and_label_files_are_never_reported(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path, settle_polls=1)
    for name in (
        ".bag.png",
        "bag.png.part",
        "bag.png.crdownload",
        "bag.tmp",
        "notes.txt",
        "a.png.superpixels.png",
    ):
        (tmp_path / name).write_bytes(b"data")
    (tmp_path / "empty.png").write_bytes(b"")  # created, nothing written yet
    (tmp_path / "sub.png").mkdir()
    assert watcher.poll() == [] and watcher.poll() == []


def test_a_dual_energy_pair_is_reported_once_as_its_high_file(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path, settle_polls=2)
    grey = _png_bytes(tmp_path, (20, 30))
    high, low = tmp_path / "bag_high.png", tmp_path / "bag_low.png"
    high.write_bytes(grey)
    assert watcher.poll() == []
    assert watcher.poll() == []  # settled, but waiting for its partner
    low.write_bytes(grey)
    assert watcher.poll() == []  # the low half has not settled yet
    assert watcher.poll() == [high]
    assert watcher.poll() == []


def test_a_dicos_file_named_like_a_pair_half_is_reported_at_once(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path, settle_polls=1, pair_wait_polls=5)
    scan = tmp_path / "belt3_high.dcm"  # a DICOS file holds both energies: it waits for no partner
    scan.write_bytes(b"\0" * 128 + b"DICM")
    assert watcher.poll() == [scan]  # not held back for a "_low" partner


def test_a_lone_half_is_reported_as_a_plain_image_after_waiting(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path, settle_polls=1, pair_wait_polls=2)
    lone = tmp_path / "x_low.png"
    lone.write_bytes(_png_bytes(tmp_path, (20, 30)))
    assert watcher.poll() == [] and watcher.poll() == []
    assert watcher.poll() == [lone]


def test_a_vanished_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    watcher = FolderWatcher(folder)
    assert watcher.problem is None
    shutil.rmtree(folder)
    assert watcher.poll() == []
    assert "does not exist" in watcher.problem
    folder.mkdir()
    assert watcher.poll() == [] and watcher.problem is None


def test_a_file_overwritten_under_the_same_name_is_reported_again(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path, settle_polls=1)
    scan = tmp_path / "bag.png"
    scan.write_bytes(_png_bytes(tmp_path, (20, 30, 3)))
    assert watcher.poll() == [scan]
    scan.write_bytes(_png_bytes(tmp_path, (24, 30, 3)))  # rewritten in place: another size
    assert watcher.poll() == [scan]
    assert watcher.poll() == []
    # Replaced by a rename with the very same size and modification time: only the inode differs.
    before = scan.stat()
    replacement = tmp_path / "bag.png.part"
    replacement.write_bytes(scan.read_bytes())
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, scan)
    assert watcher.poll() == [scan]
    assert watcher.poll() == []


def test_a_file_there_at_the_start_is_reported_once_rewritten(tmp_path: Path) -> None:
    scan = tmp_path / "bag.png"
    scan.write_bytes(_png_bytes(tmp_path))
    watcher = FolderWatcher(tmp_path, settle_polls=1)
    assert watcher.poll() == []
    scan.write_bytes(_png_bytes(tmp_path, (24, 30, 3)))
    assert watcher.poll() == [scan]


def test_a_file_that_stays_empty_is_skipped_once_then_screened_when_written(tmp_path: Path) -> None:
    watcher = FolderWatcher(tmp_path, settle_polls=2)
    empty = tmp_path / "bag.png"
    empty.write_bytes(b"")
    assert watcher.poll() == [] and watcher.skipped == []  # not settled yet
    assert watcher.poll() == []
    assert [(s.path, s.reason) for s in watcher.skipped] == [(empty, "the file is empty (0 bytes)")]
    assert watcher.poll() == [] and watcher.skipped == []  # reported once
    empty.write_bytes(_png_bytes(tmp_path))
    assert watcher.poll() == []
    assert watcher.poll() == [empty]


def test_links_out_of_the_folder_are_skipped_once_and_links_within_are_followed(tmp_path: Path) -> None:
    folder, outside = tmp_path / "inbox", tmp_path / "secret"
    folder.mkdir()
    outside.mkdir()
    (outside / "x.png").write_bytes(_png_bytes(tmp_path))
    (folder / "real.png").write_bytes(_png_bytes(tmp_path, (24, 30, 3)))
    watcher = FolderWatcher(folder, settle_polls=1)
    (folder / "escape.png").symlink_to(outside / "x.png")
    (folder / "alias.png").symlink_to(folder / "real.png")
    assert watcher.poll() == [folder / "alias.png"]
    [skipped] = watcher.skipped
    assert skipped.path == folder / "escape.png"
    assert str(outside / "x.png") in skipped.reason and "outside the watched folder" in skipped.reason
    assert watcher.poll() == [] and watcher.skipped == []  # said once


def test_a_folder_that_comes_back_is_watched_again(tmp_path: Path) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    watcher = FolderWatcher(folder, settle_polls=1)
    folder.rmdir()
    assert watcher.poll() == [] and "does not exist" in watcher.problem
    folder.mkdir()
    scan = folder / "bag.png"
    scan.write_bytes(_png_bytes(tmp_path))
    assert watcher.poll() == [scan] and watcher.problem is None
