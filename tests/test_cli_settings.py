"""Command-line options come from the settings dataclasses: one set of defaults, and every
documented ``screener`` command still parses."""

from __future__ import annotations

import argparse
import dataclasses
import re
import shlex
from pathlib import Path
from typing import Literal

import pytest

from screener_gui.cli import build_parser
from screener_gui.cli_settings import add_settings_options, settings_from
from screener_gui.core.training.settings import (
    CalibrateSettings,
    ClassifierSettings,
    DenseRun,
    EvaluateSettings,
    FitHeadSettings,
    ItemSettings,
    PooledSettings,
    RegionSettings,
    SegmenterSettings,
)
from screener_gui.gui.soak import SoakSettings
from screener_gui.synth.scene import SynthSettings

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Fast:
    """A run.

    Attributes:
        data: Where the data is.
        size: Pixels.
        kind: Which kind.
        weights: Weights to start from, or none.
    """

    data: str
    size: int = 8
    kind: Literal["a", "b"] = "a"
    weights: str | None = "base"


@dataclasses.dataclass(frozen=True)
class Slow:
    """Another run.

    Attributes:
        size: Pixels, more of them.
        rounds: Rounds.
    """

    size: int = 32
    rounds: int = 3


def _parser(settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_settings_options(parser, settings, flags={"size": "--pixels"})
    return parser


def test_options_follow_the_fields():
    parser = _parser(Fast)
    args = parser.parse_args(["--data", "d", "--weights", "none", "--kind", "b", "--pixels", "4"])
    assert settings_from(Fast, args) == Fast("d", 4, "b", None)
    assert settings_from(Fast, parser.parse_args(["--data", "d"])) == Fast("d")
    with pytest.raises(SystemExit):  # no --data: a field without a default is required
        parser.parse_args([])
    with pytest.raises(argparse.ArgumentError):
        parser.parse_args(["--data", "d", "--kind", "c"])
    assert "Weights to start from, or none (default: base)" in parser.format_help().replace("\n   ", "")


def test_two_classes_keep_their_own_defaults():
    parser = _parser({"fast": Fast, "slow": Slow})
    args = parser.parse_args(["--data", "d"])
    assert settings_from(Slow, args) == Slow() and settings_from(Fast, args) == Fast("d")
    args = parser.parse_args(["--data", "d", "--pixels", "5", "--rounds", "9"])
    assert settings_from(Slow, args) == Slow(5, 9) and settings_from(Fast, args) == Fast("d", 5)
    text = " ".join(parser.format_help().split())
    assert "(default: 8 fast, 32 slow)" in text and "(slow only; default: 3)" in text


def _settings(command: list[str], settings_class: type):
    return settings_from(settings_class, build_parser().parse_args(command))


REQUIRED = ["--train", "t", "--val", "v", "--out", "o"]


@pytest.mark.parametrize(
    ("command", "settings_class", "expected"),
    [
        (["synth", "--out", "o"], SynthSettings, SynthSettings()),
        (["train", *REQUIRED], ClassifierSettings, ClassifierSettings()),
        (["train", *REQUIRED, "--mode", "pooled"], PooledSettings, PooledSettings()),
        (["train-segmenter", *REQUIRED], SegmenterSettings, SegmenterSettings()),
        (["train-dense", *REQUIRED], DenseRun, DenseRun("t", "v", "o")),
        (["calibrate", "data"], CalibrateSettings, CalibrateSettings()),
        (["soak"], SoakSettings, SoakSettings()),
        (["regions", "data", "--out", "o"], RegionSettings, RegionSettings()),
        (["regions", "data", "--out", "o", "--mode", "pooled"], RegionSettings, RegionSettings()),
        (["items", "data", "--out", "o"], ItemSettings, ItemSettings()),
        (["evaluate", "data", "--out", "o"], EvaluateSettings, EvaluateSettings()),
        (["fit-item-head", "--detector", "d", *REQUIRED], FitHeadSettings, FitHeadSettings()),
    ],
)
def test_a_command_without_options_runs_with_the_dataclass_defaults(command, settings_class, expected):
    assert _settings(command, settings_class) == expected


@pytest.mark.parametrize(
    ("command", "settings_class", "expected"),
    [
        (
            [
                "regions",
                "d",
                "--out",
                "o",
                "--strategy",
                "object",
                "--superpixel-area",
                "900",
                "--workers",
                "3",
            ],
            RegionSettings,
            RegionSettings("object", superpixel_area=900, workers=3),
        ),
        (["regions", "d", "--out", "o", "--limit", "5"], RegionSettings, RegionSettings(limit=5)),
        (
            ["items", "d", "--out", "o", "--min-delta-e", "5", "--limit", "2"],
            ItemSettings,
            ItemSettings(5.0, 2),
        ),
        (["evaluate", "d", "--out", "o", "--limit", "4"], EvaluateSettings, EvaluateSettings(limit=4)),
        (
            ["fit-item-head", "--detector", "d", *REQUIRED, "--device", "cuda"],
            FitHeadSettings,
            FitHeadSettings("cuda"),
        ),
    ],
)
def test_the_flags_of_the_converted_jobs_keep_their_names_and_meaning(command, settings_class, expected):
    assert _settings(command, settings_class) == expected


def test_the_pooled_regions_refuse_whole_objects_before_reading_anything(tmp_path):
    from screener_gui.cli import main

    with pytest.raises(SystemExit, match="sub-components"):
        main(
            [
                "regions",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
                "--mode",
                "pooled",
                "--strategy",
                "object",
            ]
        )


def _documented() -> list[str]:
    """Every ``screener ...`` command line of the READMEs: lines of code blocks (continuations
    joined, comments cut), and inline code (prefixed ``inline:``: prose may name a command alone)."""
    found = []
    for doc in (ROOT / "README.md", ROOT / "models" / "README.md"):
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.DOTALL):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split(" #")[0].strip()
                if line.startswith("screener "):
                    found.append(line)
        found += ["inline:" + c for c in re.findall(r"`(screener [^`]+)`", " ".join(text.split()))]
    return found


def _options(parser: argparse.ArgumentParser, command: str) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices[command]._option_string_actions)


@pytest.mark.parametrize("line", _documented())
def test_every_documented_command_is_valid(line):
    parser = build_parser()
    inline = line.startswith("inline:")
    line = line.removeprefix("inline:")
    words = shlex.split(line)[1:]
    if inline or re.search(
        r"[\[|…]|\.\.\.|\b[A-Z][A-Z_]+\b", line
    ):  # a usage line with placeholders: every option it names exists
        unknown = {w.split("=")[0] for w in re.findall(r"--[\w-]+", line)} - _options(parser, words[0])
        assert not unknown, f"{line}: no option {unknown}"
        return
    try:
        parser.parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"{line}: exit {exc.code}")
