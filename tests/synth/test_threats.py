"""Procedural threats: they stay inside their room and its depth, grow with t, and vary."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.physics import MATERIALS
from screener_gui.synth.canvas import Canvas, Part, pose
from screener_gui.synth.threats import THREAT_BUILDERS, THREAT_MIN, THREAT_WEIGHTS, MinSize

KINDS = sorted(THREAT_BUILDERS)
PIXEL_MM = 0.3
LARGEST = (200.0, 120.0, 25.0)
SEEDS = range(6)
TS = (0.0, 0.5, 1.0)


def _rooms(need: MinSize) -> list[tuple[float, float, float]]:
    """Rooms from the kind's minimum up to 200 x 120 x 25 mm (long, short, depth)."""
    lo = (need.long_mm, need.short_mm, need.depth_mm)
    mid = tuple(min(a * 1.6, b) for a, b in zip(lo, LARGEST, strict=True))
    shallow = (150.0, 90.0, max(need.depth_mm, 8.0))
    rooms = [lo, mid, shallow, LARGEST]
    return [r for r in rooms if r[0] >= r[1] and all(a >= b for a, b in zip(r, lo, strict=True))]


def _build(kind: str, room: tuple[float, float, float], t: float, seed: int):
    long, short, depth = room
    return THREAT_BUILDERS[kind](long, short, depth, t, np.random.default_rng(seed))


def _draw(parts: list[Part], long: float, short: float, margin: float = 3.0) -> Canvas:
    """The parts on a canvas holding the room plus ``margin`` mm, room centred."""
    w, h = int((long + 2 * margin) / PIXEL_MM), int((short + 2 * margin) / PIXEL_MM)
    canvas = Canvas(h, w, PIXEL_MM)
    origin = pose(w * PIXEL_MM / 2, h * PIXEL_MM / 2)
    for p in parts:
        canvas.draw(p.moved(origin))
    return canvas


def _room_mask(canvas: Canvas, long: float, short: float) -> np.ndarray:
    """Pixels whose centre lies in the room, grown by a pixel for anti-aliased edges."""
    ys = (np.arange(canvas.height) + 0.5) * PIXEL_MM - canvas.height * PIXEL_MM / 2
    xs = (np.arange(canvas.width) + 0.5) * PIXEL_MM - canvas.width * PIXEL_MM / 2
    grow = PIXEL_MM
    return (np.abs(xs)[None, :] <= long / 2 + grow) & (np.abs(ys)[:, None] <= short / 2 + grow)


def _boxes_inside(parts: list[Part], long: float, short: float) -> bool:
    """Whether every part's bounding rectangle lies inside the room (what callers rely on)."""
    for p in parts:
        hw, hh = p.shape.half_extent()
        corners = p.transform @ np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1, 1, 1, 1]])
        if np.abs(corners[0]).max() > long / 2 + 1e-6 or np.abs(corners[1]).max() > short / 2 + 1e-6:
            return False
    return True


def _mass(canvas: Canvas) -> np.ndarray:
    """Mass thickness per pixel: path (mm) x density (g/cm³), summed over materials."""
    return sum(path * MATERIALS[name].density for name, path in canvas.paths.items())


def test_registry_is_consistent() -> None:
    assert set(THREAT_BUILDERS) == set(THREAT_MIN) == set(THREAT_WEIGHTS)
    assert set(KINDS) == {
        "handgun",
        "gun_parts",
        "detonator",
        "blade_fixed",
        "blade_folding",
        "box_cutter",
        "ceramic_blade",
        "sheet_explosive",
        "coins",
        "wire_bundle",
    }
    for need in THREAT_MIN.values():
        assert need.long_mm >= need.short_mm > 0 and need.depth_mm > 0
    assert all(w > 0 for w in THREAT_WEIGHTS.values())


@pytest.mark.parametrize("kind", KINDS)
def test_threat_stays_in_its_room_and_depth(kind: str) -> None:
    for room in _rooms(THREAT_MIN[kind]):
        long, short, depth = room
        for t in TS:
            for seed in SEEDS:
                parts, text, turn = _build(kind, room, t, seed)
                where = f"{kind} t={t} seed={seed} room={room}: {text}"
                assert parts and isinstance(text, str) and len(text) >= 12, where
                assert any(ch.isdigit() for ch in text), where
                assert 0.0 <= turn <= 45.0
                assert all(p.material in MATERIALS for p in parts), where
                assert _boxes_inside(parts, long, short), where
                canvas = _draw(parts, long, short)
                stack = sum(canvas.paths.values())
                assert not (stack > 1e-3)[~_room_mask(canvas, long, short)].any(), where
                assert stack.max() <= depth * 1.01 + 0.02, f"{stack.max():.2f} mm in {where}"


@pytest.mark.parametrize("kind", KINDS)
def test_obvious_threats_hold_more_material_than_subtle_ones(kind: str) -> None:
    def mass(t: float) -> float:
        maps = [_mass(_draw(_build(kind, LARGEST, t, s)[0], *LARGEST[:2])) for s in range(8)]
        return float(np.mean([m.sum() for m in maps]))

    subtle, obvious = mass(0.0), mass(1.0)
    assert obvious > 1.3 * subtle, f"{kind}: t=0 {subtle:.0f}, t=1 {obvious:.0f}"


@pytest.mark.parametrize("kind", KINDS)
def test_seeds_give_different_shapes_and_the_same_seed_the_same(kind: str) -> None:
    room = LARGEST
    maps = [_mass(_draw(_build(kind, room, 0.5, s)[0], *room[:2])) for s in range(5)]
    for i in range(len(maps)):
        for j in range(i + 1, len(maps)):
            assert not np.allclose(maps[i], maps[j], atol=1e-3), f"{kind}: seeds {i} and {j} alike"
    again = _mass(_draw(_build(kind, room, 0.5, 0)[0], *room[:2]))
    np.testing.assert_array_equal(again, maps[0])


@pytest.mark.parametrize("kind", KINDS)
def test_threat_fits_rotated_and_long_rooms(kind: str) -> None:
    """A long, narrow room (a battery bay) and a square one: still inside and within depth."""
    need = THREAT_MIN[kind]
    for long, short in ((max(need.long_mm, 180.0), need.short_mm), (max(need.long_mm, 70.0),) * 2):
        depth = max(need.depth_mm, 10.0)
        for t in TS:
            parts, text, _ = _build(kind, (long, short, depth), t, 3)
            assert _boxes_inside(parts, long, short), text
            stack = sum(_draw(parts, long, short).paths.values())
            assert stack.max() <= depth * 1.01 + 0.02, text


def test_materials_match_the_threat() -> None:
    def used(kind: str, t: float = 1.0) -> set[str]:
        return {p.material for s in range(6) for p in _build(kind, LARGEST, t, s)[0]}

    assert {"lead", "brass"} <= used("handgun") and "steel" in used("handgun")
    assert used("ceramic_blade", 0.0) == {"zirconia"}
    assert used("box_cutter", 0.0) == {"steel"}
    assert "copper" in used("wire_bundle") | used("detonator")
    assert "lead_azide" in used("detonator")
    assert used("sheet_explosive") <= {"sheet_explosive", "plastic_explosive", "polyethylene"}
    assert used("blade_folding") & {"stainless", "steel"}
    metals = {name for name, m in MATERIALS.items() if m.kind == "metal"}
    assert used("coins") <= metals | {"paper"}
    assert MATERIALS["zirconia"].kind != "metal" and MATERIALS["zirconia"].density == pytest.approx(6.0)


def test_a_deep_large_room_gets_an_assembled_gun_and_a_shallow_one_only_parts() -> None:
    texts = [_build("handgun", LARGEST, 1.0, s)[1] for s in range(6)]
    assert sum("assembled" in x for x in texts) >= 3, texts
    for s in range(6):
        parts, text, _ = _build("handgun", (200.0, 120.0, 14.0), 1.0, s)
        assert "assembled" not in text
        assert sum(_draw(parts, 200.0, 120.0).paths.values()).max() <= 14.0 * 1.01 + 0.02


def test_sheet_explosive_is_wide_and_thickens_with_t() -> None:
    long, short, depth = 180.0, 100.0, 10.0
    for s in range(4):
        thin = _draw(_build("sheet_explosive", (long, short, depth), 0.0, s)[0], long, short)
        thick = _draw(_build("sheet_explosive", (long, short, depth), 1.0, s)[0], long, short)
        covered = (sum(thin.paths.values()) > 0.3).sum() * PIXEL_MM**2
        assert covered > 0.4 * long * short
        assert sum(thick.paths.values()).max() > 2.5 * sum(thin.paths.values()).max()
