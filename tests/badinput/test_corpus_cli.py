"""Every broken input of the corpus through ``check``, ``render`` and ``screen``: one clear line
naming the file and the problem, never a traceback, and the good scans of the same run are screened."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from screener_gui.cli import main
from screener_gui.core.errors import display_path


def _lines_naming(text: str, case) -> list[str]:
    return [line for line in text.splitlines() if display_path(case.name) in line]


def test_check_names_every_bad_file_and_every_passed_over_entry_once(corpus, corpus_root, capsys):
    assert main(["check", str(corpus_root)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    good = [c for c in corpus if c.kind == "good"]
    bad = [c for c in corpus if c.kind == "error"]
    assert f"{len(good)} of {len(good) + len(bad)} scans load" in out.out
    for case in bad + [c for c in corpus if c.kind == "skip"]:
        lines = _lines_naming(out.out, case)
        assert len(lines) == 1, (case.id, lines)
        assert case.expect in lines[0], (case.id, lines[0])
    for case in good:
        assert not _lines_naming(out.out, case), case.id


def test_render_gives_one_line_for_each_bad_input_and_renders_the_odd_good_ones(corpus, tmp_path, capsys):
    out_png = tmp_path / "out.png"
    for case in corpus:
        code = main(["render", str(case.path), "--out", str(out_png)])
        printed = capsys.readouterr()
        assert "Traceback" not in printed.out + printed.err
        if case.kind == "good":
            assert code == 0 and out_png.is_file(), (case.id, printed.err)
            continue
        expect = case.expect if case.kind == "error" else case.direct
        lines = printed.err.splitlines()
        assert code == 1 and len(lines) == 1, (case.id, lines)
        assert display_path(case.name) in lines[0] and expect in lines[0], (case.id, lines[0])


def test_a_name_with_a_newline_stays_on_one_line(tmp_path, capsys):
    path = tmp_path / "two\nlines.png"
    path.write_bytes(b"")
    assert main(["check", str(path)]) == 1
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "lines.png" in line]
    assert "two\\nlines.png" in line and "empty" in line


def test_a_path_too_long_for_the_file_system_is_named_as_such(tmp_path, capsys):
    assert main(["check", str(tmp_path / ("x" * 300 + ".png"))]) == 1
    assert "too long" in capsys.readouterr().out


def test_screen_one_run_over_the_corpus_screens_the_good_scans_and_names_each_bad_one(
    corpus, corpus_root, good_scan, tmp_path, capsys
):
    bag = good_scan
    out = tmp_path / "results.jsonl"
    code = main(
        ["screen", str(corpus_root), str(bag), "--out", str(out), "--device", "cpu", "--threads", "2"]
    )
    printed = capsys.readouterr()
    assert code == 1 and "Traceback" not in printed.out + printed.err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    by_source = {line["source"]: line for line in lines}
    assert "error" not in by_source[str(bag)] and by_source[str(bag)]["objects"]
    for case in corpus:
        mine = [line for line in lines if line["source"] == str(case.path)]
        assert len(mine) == 1, (case.id, mine)
        if case.kind == "skip":  # passed over by the folder search: named once, with the reason
            assert mine[0]["error"].startswith("skipped: ") and case.expect in mine[0]["error"], case.id
            assert len(_lines_naming(printed.out + printed.err, case)) == 1, case.id
        elif case.kind == "good":
            assert "error" not in mine[0], (case.id, mine[0])
        else:
            assert case.expect in mine[0]["error"] and display_path(case.name) in mine[0]["error"]
            assert len(_lines_naming(printed.out + printed.err, case)) == 1, case.id


@pytest.mark.parametrize("out", ["/nonexistent-folder/x.png", "FOLDER"])
def test_render_to_an_output_that_cannot_be_written_is_one_line(corpus, tmp_path, capsys, out):
    good = next(c for c in corpus if c.id == "one_pixel.png")
    target = str(tmp_path) if out == "FOLDER" else out
    assert main(["render", str(good.path), "--out", target]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and target in err and "Traceback" not in err
    assert ("is a folder" if out == "FOLDER" else "does not exist") in err


def test_check_of_a_folder_that_cannot_be_listed_says_so(tmp_path, monkeypatch, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"skipped {locked}: the folder cannot be read (Permission denied)" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_check_of_a_chmod_000_folder_says_so(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert main(["check", str(tmp_path)]) == 1
    finally:
        locked.chmod(0o755)
    assert "cannot be read" in capsys.readouterr().out
