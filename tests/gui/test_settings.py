"""A damaged or hand-edited settings file never reaches the workstation: bad values keep defaults."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from screener_gui.gui.settings import Preferences, load_preferences, save_preferences


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("heat_opacity", "nan"),
        ("heat_opacity", "inf"),
        ("heat_opacity", "-5"),
        ("belt_seconds", "0"),
        ("belt_seconds", "1e300"),
        ("belt_seconds", "lots"),
        ("mode", "superuser"),
        ("device", "cuda:x"),
        ("device", "tpu"),
        ("detector_mode", "magic"),
        ("palette", "rainbow"),
    ],
)
def test_a_bad_stored_value_keeps_its_default(tmp_path, key, value):
    path = tmp_path / "settings.ini"
    path.write_text(f"[General]\n{key}={value}\n")
    assert getattr(load_preferences(QSettings(str(path), QSettings.Format.IniFormat)), key) == getattr(
        Preferences(), key
    )


def test_good_values_round_trip(tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    prefs = Preferences(
        mode="analyst", device="cuda:1", heat_opacity=0.2, belt_seconds=1.5, palette="orange_blue"
    )
    save_preferences(store, prefs)
    assert load_preferences(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)) == prefs
