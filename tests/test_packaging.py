"""The models travel with the application: an installed wheel and a packaged build find them."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from screener_gui.core.pipeline import screen
from screener_gui.core.pipeline.screen import INSTALLED_MODELS, MODE_FILES, SEGMENTER_FILE, models_dir

SHIPPED = {SEGMENTER_FILE, *MODE_FILES.values()}


def _fake_models(folder):
    folder.mkdir(parents=True)
    for name in SHIPPED:
        (folder / name).write_bytes(b"")
    return folder


def test_the_wheel_carries_the_shipped_models_where_an_installed_copy_looks(tmp_path):
    root = screen.Path(screen.__file__).resolve().parents[3]
    build = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(tmp_path),
    ]
    subprocess.run([*build, str(root)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = [n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n]
    assert {f"{INSTALLED_MODELS}/{name}" for name in SHIPPED} <= set(data)


def test_an_installed_copy_without_a_checkout_uses_the_prefix_models(tmp_path, monkeypatch):
    monkeypatch.delenv(screen.MODELS_ENV, raising=False)
    monkeypatch.setattr(
        screen, "__file__", str(tmp_path / "site" / "screener_gui" / "core" / "pipeline" / "x.py")
    )
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    assert models_dir() == tmp_path / "site" / "models"  # nothing anywhere: the message names the checkout
    installed = _fake_models(tmp_path / "venv" / INSTALLED_MODELS)
    assert models_dir() == installed


def test_a_packaged_application_uses_its_own_models_first(tmp_path, monkeypatch):
    monkeypatch.delenv(screen.MODELS_ENV, raising=False)
    bundled = _fake_models(tmp_path / "_internal" / "models")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert models_dir() == bundled
    monkeypatch.setenv(screen.MODELS_ENV, str(tmp_path / "elsewhere"))
    assert models_dir() == tmp_path / "elsewhere"  # the variable always wins


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_checkout_holds_every_shipped_model(name):
    assert (models_dir() / name).is_file()
