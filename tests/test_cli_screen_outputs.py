"""``screener screen`` never loses finished results: each line is on disk as it is done, outputs
are checked before the first scan, a killed run can be resumed, long names still get overlays."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from screener_gui.cli import main
from screener_gui.core.io import save_png_atomic
from screener_gui.core.results import NAME_BYTES, ResultsFile, safe_stem
from screener_gui.synth.scene import SynthSettings, generate_scan


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """Five small generated bags as PNG files."""
    folder = tmp_path_factory.mktemp("scans")
    settings = SynthSettings(width_px=480, height_px=384)
    for i in range(5):
        save_png_atomic(folder / f"bag_{i}.png", generate_scan(77, i, settings).rgb)
    return folder


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_unwritable_results_file_is_refused_before_any_scan_is_screened(
    scans, tmp_path, capsys, monkeypatch
):
    from screener_gui import cli_models

    def no_models(*args):
        raise AssertionError("the models were loaded before the outputs were checked")

    monkeypatch.setattr(cli_models, "_screener", no_models)
    assert main(["screen", str(scans), "--out", str(tmp_path / "missing" / "r.jsonl")]) == 1
    assert main(["screen", str(scans), "--out", str(tmp_path)]) == 1  # a folder, not a file
    err = capsys.readouterr().err
    assert "cannot write results file" in err and "missing" in err and "is a folder" in err
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = tmp_path / "r.jsonl"
    assert main(["screen", str(scans), "--out", str(out), "--overlays", str(blocker / "ov")]) == 1
    assert "cannot write into" in capsys.readouterr().err and not out.exists()


def test_a_killed_run_keeps_its_finished_lines_and_a_resumed_run_screens_only_the_rest(scans, tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text(json.dumps({"source": "yesterday.png", "alarm": False}) + "\n")
    command = [sys.executable, "-m", "screener_gui.cli", "screen", str(scans), "--out", str(out)]
    run = subprocess.Popen([*command, "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    kept = _lines(out)  # every line that is there is whole
    assert 2 <= len(kept) < 5 and all("objects" in line for line in kept)
    assert "yesterday.png" not in out.read_text()  # a stale file is not passed off as today's

    with open(out, "a") as handle:  # a line torn by the kill
        handle.write('{"source": "torn')
    assert main(["screen", str(scans), "--out", str(out), "--resume", "--device", "cpu"]) == 0
    after = _lines(out)
    assert after[: len(kept)] == kept  # what was finished is untouched, not redone
    assert sorted(line["source"] for line in after) == sorted(str(p) for p in scans.glob("*.png"))


def test_a_scan_with_a_very_long_name_gets_its_overlay(scans, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = "x" * 120 + " ünïcode\n" + "y" * 110 + ".png"
    os.link(scans / "bag_0.png", folder / name)
    out = tmp_path / "r.jsonl"
    assert main(["screen", str(folder), "--out", str(out), "--overlays", str(tmp_path / "ov")]) == 0
    (line,) = _lines(out)
    overlay = os.path.basename(line["overlay"])
    assert os.path.exists(line["overlay"]) and "\n" not in overlay
    assert len(overlay.encode()) <= NAME_BYTES + len("_screened.png")


def test_resume_drops_torn_and_failed_lines_and_numbers_are_never_bare_nan(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"source": "a.png", "alarm": true}\n{"source": "b.png", "error": "x"}\n{"source": "c')
    with ResultsFile(path, resume=True) as results:
        assert results.done == {"a.png"}  # b failed: it is tried again; c was torn
        results.write({"source": "d.png", "bag_score": float("nan")})
    assert path.read_text().splitlines() == [
        '{"source": "a.png", "alarm": true}',
        '{"source": "d.png", "bag_score": null}',
    ]


def test_safe_stems_are_short_distinct_and_plain():
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    assert safe_stem("bag 1") == "bag 1" and safe_stem("a/b\nc") == "a_b_c" and safe_stem("..") == "scan"
    assert safe_stem(long_a) != safe_stem(long_b) and len(safe_stem(long_a).encode()) <= NAME_BYTES


def test_a_dicos_scan_is_screened_and_its_threat_report_reads_back_with_the_same_alarm_and_regions(tmp_path):
    import pydicom

    from screener_gui.core.dicos import write_dicos_scan
    from screener_gui.core.scan import Scan
    from screener_gui.core.tdr import read_threat_report
    from screener_gui.synth.scene import planted_scan, transmissions

    bag = planted_scan(31337, "laptop", "knife_blade")  # the knife alarms (tests/pipeline)
    high, low = transmissions(bag.raw_high, bag.raw_low, SynthSettings().scanner.air_level)
    write_dicos_scan(tmp_path / "knife.dcm", Scan(bag.rgb, high, low))
    out = tmp_path / "r.jsonl"
    args = ["screen", str(tmp_path / "knife.dcm"), "--out", str(out), "--tdr", str(tmp_path / "tdr")]
    assert main([*args, "--device", "cpu"]) == 0
    (line,) = _lines(out)
    report = pydicom.dcmread(line["threat_report"])
    assert report.Modality == "TDR" and report.TDRType == "MACHINE"
    assert report.AlarmDecision == ("ALARM" if line["alarm"] else "CLEAR")
    items = line["objects"]
    assert line["alarm"] and report.NumberOfAlarmObjects >= 2  # the laptop and its knife regions
    read = read_threat_report(line["threat_report"])
    boxes = [tuple(obj["box_xyxy"]) for obj in items]
    boxes += [tuple(r["box_xyxy"]) for obj in items for r in obj["regions"] if r["state"] == "alarm"]
    assert sorted(region.box for region in read.regions) == sorted(boxes)
    assert read.alarm == line["alarm"] and read.machine_alarm == line["alarm"]


def test_a_full_disk_stops_the_run_with_one_line_and_keeps_the_finished_results(
    scans, tmp_path, capsys, monkeypatch
):
    import errno

    from screener_gui.core import results

    out = tmp_path / "r.jsonl"
    real_fsync, lines_synced = os.fsync, []

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}") == str(out):
            lines_synced.append(fd)
            if len(lines_synced) == 3:  # the third result line finds the disk full
                raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(results.os, "fsync", fsync)
    assert main(["screen", str(scans), "--out", str(out), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(out) in err and "Traceback" not in err
    assert len(_lines(out)) == 2  # the two finished lines, whole; the torn one dropped


def test_ctrl_c_is_one_line_and_status_130_not_a_traceback(scans, tmp_path, capsys, monkeypatch):
    from screener_gui import cli_models

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_models, "_screener", interrupted)
    assert main(["screen", str(scans), "--out", str(tmp_path / "r.jsonl")]) == 130
    assert capsys.readouterr().err == "interrupted\n"
