"""The scanner model obeys the physics the rest of the project relies on."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import MATERIALS, Scanner, default_scanner, material


def _t(scanner: Scanner, name: str, mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return scanner.transmission({name: np.asarray(mm, float)})


@pytest.mark.parametrize("name", ["polyethylene", "aluminium", "iron", "plastic_explosive", "li_ion_cell"])
def test_transmission_falls_with_thickness_in_both_channels(name):
    thickness = np.array([0.0, 0.5, 2, 5, 10, 20, 40])
    high, low = _t(default_scanner(), name, thickness)
    assert high[0] == 1.0 and low[0] == 1.0  # nothing in the beam: air
    assert np.all(np.diff(high) < 0) and np.all(np.diff(low) < 0)
    # The low-energy channel is always attenuated more than the high-energy one.
    assert np.all(low[1:] < high[1:])


def test_monochromatic_beam_follows_beer_lambert_exactly():
    scanner = Scanner(monochromatic_kev=60.0)
    mu = material("aluminium").mu(np.array([60.0]))[0]
    high, _ = _t(scanner, "aluminium", np.array([3.0, 7.0]))
    np.testing.assert_allclose(high, np.exp(-mu * np.array([3.0, 7.0])), rtol=1e-5)


def test_overlapping_parts_multiply_in_a_monochromatic_beam():
    scanner = Scanner(monochromatic_kev=80.0)
    a = {"aluminium": np.array([4.0])}
    b = {"polyethylene": np.array([25.0])}
    both = {"aluminium": np.array([4.0]), "polyethylene": np.array([25.0])}
    for channel in (0, 1):
        product = scanner.transmission(a)[channel] * scanner.transmission(b)[channel]
        np.testing.assert_allclose(scanner.transmission(both)[channel], product, rtol=1e-5)


def test_polychromatic_beam_hardens():
    """A hardened beam passes the second part more easily: overlap transmits more than the product,
    and the attenuation per mm falls with thickness."""
    scanner = default_scanner()
    steel, plastic = {"steel": np.array([2.0])}, {"abs": np.array([30.0])}
    both = {"steel": np.array([2.0]), "abs": np.array([30.0])}
    for channel in (0, 1):
        product = scanner.transmission(steel)[channel] * scanner.transmission(plastic)[channel]
        assert scanner.transmission(both)[channel][0] > product[0] * 1.01
    high, _ = _t(scanner, "aluminium", np.array([1.0, 10.0, 50.0]))
    per_mm = -np.log(high) / np.array([1.0, 10.0, 50.0])
    assert per_mm[0] > per_mm[1] > per_mm[2]


def test_ratio_curves_separate_organic_aluminium_and_iron_at_equal_attenuation():
    """At any high-energy attenuation, R = ln T_low / ln T_high orders the materials by Z."""
    scanner = default_scanner()
    curves = {}
    for name in ("polyethylene", "pom", "aluminium", "iron"):
        thickness = np.geomspace(0.05, 400, 300)
        high, low = _t(scanner, name, thickness)
        a_high = -np.log(high.astype(float))
        curves[name] = (a_high, -np.log(low.astype(float)) / a_high)
    for a in (0.1, 0.5, 1.0, 2.0, 4.0):
        r = {name: np.interp(a, *curves[name]) for name in curves}
        assert r["polyethylene"] < r["pom"] < r["aluminium"] < r["iron"], (a, r)
        # Separation well above the noise of the ratio in a smoothed pixel.
        assert r["aluminium"] - r["pom"] > 0.1


def test_fixed_ratio_threshold_fails_where_calibrated_curves_do_not():
    """Beam hardening: thick aluminium has the ratio of thin organics at low attenuation."""
    scanner = default_scanner()
    h_al, l_al = _t(scanner, "aluminium", np.array([60.0]))
    r_thick_al = np.log(l_al) / np.log(h_al)
    h_pom, l_pom = _t(scanner, "pom", np.array([1.0]))
    r_thin_pom = np.log(l_pom) / np.log(h_pom)
    assert abs(r_thick_al[0] - r_thin_pom[0]) < 0.25  # a fixed threshold cannot tell them apart


def test_detector_noise_and_air_level():
    scanner = default_scanner()
    rng = np.random.default_rng(0)
    high = np.ones((200, 200), np.float32)
    low = np.full((200, 200), 0.1, np.float32)
    raw_high, raw_low = scanner.acquire(high, low, rng)
    assert raw_high.dtype == np.uint16
    assert abs(raw_high.mean() - scanner.air_level) < 0.01 * scanner.air_level
    assert abs(raw_low.mean() - 0.1 * scanner.air_level) < 0.01 * scanner.air_level
    # Photon noise: relative noise grows where fewer photons arrive.
    assert raw_low.std() / raw_low.mean() > 1.5 * raw_high.std() / raw_high.mean()
    again = scanner.acquire(high, low, np.random.default_rng(0))
    assert np.array_equal(again[0], raw_high) and np.array_equal(again[1], raw_low)


def test_every_material_has_a_sane_attenuation():
    energies = np.array([30.0, 80.0, 140.0])
    for m in MATERIALS.values():
        mu = m.mu(energies)
        assert np.all(mu > 0) and np.all(np.diff(mu) < 0), m.name


def test_unknown_material_is_named_in_the_error():
    with pytest.raises(KeyError, match="unobtainium"):
        material("unobtainium")


def test_coarse_energy_bins_match_a_fine_integration():
    coarse, fine = default_scanner(), Scanner(energy_bins=270)
    for name in ("polyethylene", "aluminium", "iron", "li_ion_cell", "plastic_explosive"):
        thickness = np.array([0.5, 2.0, 10.0, 40.0, 100.0])
        for a, b in zip(
            coarse.transmission({name: thickness}), fine.transmission({name: thickness}), strict=True
        ):
            usable = b > 1e-3
            np.testing.assert_allclose(a[usable], b[usable], rtol=0.015)
