"""False colour follows the screening convention and the calibration survives beam hardening."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from screener_gui.core.false_colour import MaterialClass, material_classes, render_dual_energy, z_map
from screener_gui.core.physics import default_scanner


def _slab(name: str, mm: float, shape=(24, 24)) -> tuple[np.ndarray, np.ndarray]:
    return default_scanner().transmission({name: np.full(shape, mm, float)})


def _hue_deg(rgb: np.ndarray) -> float:
    r, g, b = (rgb.reshape(-1, 3).mean(axis=0) / 255).tolist()
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


@pytest.mark.parametrize(
    ("name", "thicknesses", "expected"),
    [
        ("polyethylene", (3, 20, 80), MaterialClass.ORGANIC),
        ("plastic_explosive", (3, 20, 60), MaterialClass.ORGANIC),
        ("cotton", (5, 30), MaterialClass.ORGANIC),
        ("aluminium", (1, 10, 40), MaterialClass.INORGANIC),
        ("glass", (2, 15), MaterialClass.INORGANIC),
        ("iron", (0.5, 2, 8), MaterialClass.METAL),
        ("copper", (0.5, 3), MaterialClass.METAL),
    ],
)
def test_materials_get_their_class_at_every_thickness(name, thicknesses, expected):
    for mm in thicknesses:
        classes = material_classes(*_slab(name, mm))
        assert np.mean(classes == expected) > 0.95, (name, mm, np.bincount(classes.ravel()))


def test_thick_aluminium_is_not_called_organic():
    """Where a fixed ratio threshold fails (beam hardening), the calibrated curves do not."""
    classes = material_classes(*_slab("aluminium", 60))
    assert np.mean(classes == MaterialClass.INORGANIC) > 0.95


def test_air_and_impenetrable_metal():
    air = np.ones((16, 16), np.float32)
    assert np.all(material_classes(air, air) == MaterialClass.AIR)
    assert np.all(render_dual_energy(air, air) >= 250)  # white belt
    dense = _slab("iron", 60)
    assert np.all(material_classes(*dense) == MaterialClass.DENSE)
    assert render_dual_energy(*dense).max() < 20  # black


def test_colours_follow_the_convention():
    assert 15 <= _hue_deg(render_dual_energy(*_slab("polyethylene", 30))) <= 45  # orange
    assert 80 <= _hue_deg(render_dual_energy(*_slab("aluminium", 10))) <= 140  # green
    assert 200 <= _hue_deg(render_dual_energy(*_slab("steel", 2))) <= 240  # blue


def test_lightness_falls_with_thickness():
    values = [render_dual_energy(*_slab("polyethylene", mm)).mean() for mm in (2, 10, 40, 120)]
    assert values == sorted(values, reverse=True)


def test_effective_z_orders_materials():
    z = {n: float(np.median(z_map(*_slab(n, 10)))) for n in ("polyethylene", "pom", "aluminium", "iron")}
    assert z["polyethylene"] < z["pom"] < 10 < z["aluminium"] < 20 < z["iron"]
