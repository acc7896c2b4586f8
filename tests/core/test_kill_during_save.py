"""A writer killed (SIGKILL) in the middle of a save leaves the previous version whole.

Each test starts a child process that saves version after version of one file as fast as it can,
kills it at a random moment many times over, and after every kill checks that the file on disk is
one complete version; the next save then leaves no temporary behind.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

KILLS = 15

WRITERS = {
    # Each child writes versions 1, 2, 3… of its file and prints each number once it is saved.
    "atomic": """
        from screener_gui.core.atomic import write_text_atomic
        body = "x" * 3_000_000
        def save(n):
            write_text_atomic(target, f"{n}\\n{body}\\n{n}\\n")
    """,
    "labels": """
        import numpy as np
        from screener_gui.core.labels import LabelledObject, RegionLabels, save_labels
        maps = [np.repeat(np.arange(1, 5, dtype=np.int32), 90_000).reshape(600, 600)]
        maps.append(maps[0].T.copy())  # the superpixel map changes between saves too
        def save(n):
            labels = np.array([n % 2, (n // 2) % 2, (n // 4) % 2, 1], np.int8)
            save_labels(target, RegionLabels(
                "bag.png", None, maps[n % 2], np.array([-1, 0, 0, 0, 0]), np.full(4, 0.5, np.float32),
                np.zeros(4, np.int8), labels, 0.5, (LabelledObject(0, "laptop", (0, 0, 600, 600)),)))
    """,
    "decisions": """
        from screener_gui.core.decisions import Decision, DecisionLog
        log = DecisionLog(target)
        def save(n):
            log.append(Decision("2026-12-04T10:00:00+00:00", f"bag {n}", "clear", False, 0.1, 2.0, 1))
    """,
    "results": """
        from screener_gui.core.results import ResultsFile
        results = ResultsFile(target, resume=True)
        def save(n):
            results.write({"source": f"bag_{n}.png", "padding": "x" * 200_000})
    """,
}

CHILD = """
import sys
target = sys.argv[1]
{writer}
n = int(sys.argv[2])
while True:
    save(n)
    print(n, flush=True)
    n += 1
"""


def _run_and_kill(tmp_path: Path, kind: str, check) -> None:
    target = tmp_path / ("bag.png" if kind == "labels" else f"{kind}.out")
    script = tmp_path / "writer.py"
    script.write_text(CHILD.format(writer=textwrap.dedent(WRITERS[kind])))
    rng = random.Random(kind)
    saved = 0
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(script), str(target), str(saved + 1)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = child.stdout.readline()  # one save done: the writer is up to speed
        assert first.strip().isdigit(), child.stderr.read()
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        saved = int((first + out).split()[-1])
        check(target, saved)


def test_an_atomic_write_killed_midway_leaves_a_whole_version(tmp_path):
    def check(target, saved):
        lines = target.read_text().split("\n")
        assert lines[0] == lines[2] and int(lines[0]) >= saved  # one version, at least the last reported

    _run_and_kill(tmp_path, "atomic", check)
    from screener_gui.core.atomic import write_text_atomic

    write_text_atomic(tmp_path / "atomic.out", "after")  # the next save sweeps the killed writers' leftovers
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_labels_killed_midway_load_back_whole(tmp_path):
    from screener_gui.core.labels import load_labels

    def check(target, saved):
        labels = load_labels(target)  # never a torn pair: PNG and JSON of one save
        assert labels.count == 4 and int(labels.labels[3]) == 1

    _run_and_kill(tmp_path, "labels", check)


def test_a_decision_log_killed_midway_keeps_every_saved_decision(tmp_path):
    from screener_gui.core.decisions import load_decision_log

    def check(target, saved):
        contents = load_decision_log(target)
        bags = {d.source for d in contents.decisions}  # a save killed before it was reported is redone
        assert {f"bag {n}" for n in range(1, saved + 1)} <= bags and contents.skipped <= KILLS

    _run_and_kill(tmp_path, "decisions", check)


def test_a_results_file_killed_midway_keeps_every_finished_line(tmp_path):
    from screener_gui.core.results import ResultsFile

    def check(target, saved):
        with ResultsFile(target, resume=True) as results:
            assert {f"bag_{n}.png" for n in range(1, saved + 1)} <= results.done

    _run_and_kill(tmp_path, "results", check)


def test_temporaries_of_dead_and_zombie_writers_are_swept_and_a_live_writers_kept(tmp_path):
    import os

    from screener_gui.core.atomic import write_text_atomic

    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # exits; not waited for: a zombie
    while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)
    target = tmp_path / "labels.json"
    left = [tmp_path / f".labels.json.{pid}-abc.tmp" for pid in (zombie.pid, 2**22 + 7, os.getppid())]
    for path in left:
        path.write_text("half")
    write_text_atomic(target, "whole")
    assert [p.exists() for p in left] == [False, False, True]  # the parent (pytest's) is alive
    zombie.wait()
