"""A ``screener synth`` that is killed takes its worker processes with it and reruns cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killing_synth_stops_its_workers_and_a_rerun_completes(tmp_path, how):
    out = tmp_path / "data"
    command = [sys.executable, "-m", "screener_gui.cli", "synth", "--out", str(out), "--count", "8"]
    command += ["--width", "480", "--height", "384", "--workers", "2", "--seed", "3"]
    run = subprocess.Popen(
        [*command, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # A job started in the background by a shell inherits SIGINT ignored; a terminal's Ctrl+C is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and not (len(workers) == 2 and list(out.glob("images/*.png"))):
        workers = _children(run.pid)
        time.sleep(0.05)
    assert len(workers) == 2 and run.poll() is None, run.stderr.read().decode() if run.poll() else workers
    os.kill(run.pid, how)
    run.wait(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(map(_alive, workers)):
        time.sleep(0.05)
    assert not any(map(_alive, workers)), "workers outlived the killed synth"
    assert not (out / "manifest.json").exists()  # an interrupted dataset is visibly incomplete

    done = subprocess.run([*command, "--quiet"], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 8 and len(list(out.glob("images/*.png"))) == 8
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # no temporaries left
