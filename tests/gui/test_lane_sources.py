"""The workstation on a lane: the watched folder, the shared cap on waiting bags, what a newcomer
reads (banner, queue rows, where the logs are). A canned screener makes each bag instant."""

from __future__ import annotations

import shutil

import pytest

from screener_gui.gui import qt_sources

WAIT_MS = 30_000


@pytest.fixture
def window(lane_window):
    return lane_window


def screened_sources(window) -> list[str]:
    found: list[str] = []
    window.pipeline.screened.connect(lambda s: found.append(s.source))
    return found


def test_a_file_overwritten_in_the_watched_folder_is_screened_again(qtbot, window, scan_files, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    window.watch(str(inbox))
    screened = screened_sources(window)
    bag = inbox / "bag.png"
    shutil.copy(scan_files["clean"], bag)
    qtbot.waitUntil(lambda: screened == [str(bag)], timeout=WAIT_MS)
    replacement = inbox / "bag.png.part"  # the scanner writes the next bag under the same name
    shutil.copy(scan_files["plate"], replacement)
    replacement.replace(bag)
    qtbot.waitUntil(lambda: screened == [str(bag), str(bag)], timeout=WAIT_MS)
    assert window.errors == []


def test_an_empty_file_and_a_link_out_of_the_folder_become_error_rows(
    queue_rows, qtbot, window, scan_files, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    window.watch(str(inbox))
    (inbox / "empty.png").write_bytes(b"")
    (inbox / "escape.png").symlink_to(scan_files["clean"])
    qtbot.waitUntil(lambda: len(window.errors) == 2, timeout=WAIT_MS)
    rows = queue_rows(window)
    assert "✗ empty.png: not screened: the file is empty (0 bytes)" in rows
    [link_row] = [r for r in rows if r.startswith("✗ escape.png")]
    assert str(scan_files["clean"]) in link_row and "outside the watched folder: not followed" in link_row
    assert window.pipeline.pending == 0 and window.review.entries == []
    log = (tmp_path / "logs" / "errors.log").read_text().splitlines()
    assert len(log) == 2 and "empty.png" in log[0] + log[1]
    assert all(line[:4].isdigit() and "\t" in line for line in log), "each line starts with its UTC time"


def test_a_watched_folder_that_vanishes_is_reported_and_picked_up_again(
    queue_rows, qtbot, window, scan_files, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    window.watch(str(inbox))
    screened = screened_sources(window)
    shutil.rmtree(inbox)
    qtbot.waitUntil(lambda: any("does not exist" in r for r in queue_rows(window)), timeout=WAIT_MS)
    assert "the folder is missing" in window.banner.text()
    inbox.mkdir()
    shutil.copy(scan_files["clean"], inbox / "after.png")
    qtbot.waitUntil(lambda: screened == [str(inbox / "after.png")], timeout=WAIT_MS)
    assert sum("does not exist" in r for r in queue_rows(window)) == 1, "said once, not at every poll"


def test_no_more_bags_are_taken_while_eight_wait_for_a_decision(
    queue_rows, qtbot, window, scan_files, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    window.watch(str(inbox))
    for i in range(11):
        shutil.copy(scan_files["clean"], inbox / f"bag_{i:02d}.png")
    # One bag on screen and eight waiting: the rest stay in the folder's list, none dropped.
    qtbot.waitUntil(lambda: window.review.waiting == 8 and window.pipeline.pending == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(window.sources.held) == 2, timeout=WAIT_MS)
    for _ in range(3):  # more polls of the folder take nothing more
        window.sources.poll_watched()
    assert len(window.review.entries) == 9 and window.pipeline.pending == 0
    assert qt_sources.MAX_WAITING == 8
    assert "⚠ paused: 8 bags wait for a decision; 2 more scans held back" in queue_rows(window)
    assert "paused: 8 bags wait for a decision" in window.waiting_label.text()
    window.decide("clear")  # room for one more
    qtbot.waitUntil(lambda: len(window.review.entries) == 10, timeout=WAIT_MS)
    assert window.review.waiting == 8 and len(window.sources.held) == 1
    assert sorted(e.source for e in window.review.entries) == [
        str(inbox / f"bag_{i:02d}.png") for i in range(10)
    ]


def test_the_simulated_scanner_also_stops_at_the_shared_cap(queue_rows, qtbot, window, monkeypatch):
    monkeypatch.setattr(window.review.__class__, "waiting", property(lambda _self: 8))
    window.simulate(True)
    assert window.pipeline.pending == 0, "eight bags wait: the belt does not start"
    assert any(r.startswith("⚠ paused: 8 bags wait for a decision") for r in queue_rows(window))
    window.simulate(False)


def test_the_waiting_banner_says_what_ctrl_m_will_do(qtbot, window):
    assert "start the simulated scanner (Ctrl+M)" in window.banner.text()
    window.toggle_simulator()  # Ctrl+M
    assert window.sources.simulating
    assert window.banner.text() == "Waiting for bags — the simulated scanner is running (Ctrl+M stops it)"
    window.toggle_simulator()
    assert not window.sources.simulating and "start the simulated scanner (Ctrl+M)" in window.banner.text()


def test_long_names_are_shown_whole_in_the_queue(queue_rows, qtbot, window, scan_files, tmp_path):
    name = "belt3_2024-05-01T08-30-00_operator-station-west_lane_number_seven_bag_000123.png"
    long = tmp_path / name
    shutil.copy(scan_files["clean"], long)
    broken = tmp_path / ("a_corrupt_file_from_the_scanner_with_a_long_name_" * 2 + ".png")
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    with qtbot.waitSignal(window.shown, timeout=WAIT_MS):
        window.sources.open_paths([broken, long])
    qtbot.waitUntil(lambda: len(window.errors) == 1, timeout=WAIT_MS)
    bag_item, error_item = window.queue_list.item(0), window.queue_list.item(1)
    assert name in queue_rows(window)[0] and str(long) in bag_item.toolTip()
    assert broken.name in queue_rows(window)[1] and str(broken) in error_item.toolTip()
    assert "PNG" in error_item.toolTip(), "the whole message is in the tooltip"
    assert window.queue_list.wordWrap()
    line = window.queue_list.fontMetrics().height()
    for item in (bag_item, error_item):  # wrapped over several lines, not cut at the panel's edge
        assert window.queue_list.visualItemRect(item).height() >= 2 * line


def test_where_the_logs_are_is_always_on_screen(qtbot, window, tmp_path):
    logs = tmp_path / "logs"
    label = window.problems.label
    assert label.isVisible() and str(logs) in label.text()
    assert str(logs / "decisions.jsonl") in label.toolTip() and str(logs / "errors.log") in label.toolTip()
    window.log_files_action.trigger()  # File ▸ Log files…
    box = window.problems.box
    assert box.isVisible()
    assert str(logs / "decisions.jsonl") in box.text() and str(logs / "errors.log") in box.text()
    box.close()


def test_opening_a_folder_names_each_entry_it_passes_over(queue_rows, qtbot, window, scan_files, tmp_path):
    import os

    folder = tmp_path / "opened"
    folder.mkdir()
    shutil.copy(scan_files["clean"], folder / "bag.png")
    os.mkfifo(folder / "pipe.png")
    (folder / "photo.webp").write_bytes(b"RIFF")
    screened = screened_sources(window)
    assert window.sources.open_paths([str(folder)]) == 1
    qtbot.waitUntil(lambda: screened == [str(folder / "bag.png")], timeout=WAIT_MS)
    rows = queue_rows(window)
    assert any(r.startswith("✗ pipe.png") and "FIFO" in r for r in rows), rows
    assert any(r.startswith("✗ photo.webp") and "not supported" in r for r in rows), rows
