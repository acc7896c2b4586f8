"""Electronics item builders: every class builds, has real-world size, and hides room inside."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.false_colour import MaterialClass, material_classes
from screener_gui.core.physics import MATERIALS, Scanner
from screener_gui.synth.canvas import Canvas, Part, part, pose
from screener_gui.synth.item import Cavity, Item, Slot
from screener_gui.synth.items import CATEGORIES, build_item, random_category
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Cylinder, Ellipse, Polygon

PIXEL_MM = 0.8
SEEDS = range(20)

# Long and short side of the outline (mm) that real items of each class have.
PLAUSIBLE = {
    "laptop": ((250, 420), (180, 300)),
    "tablet": ((190, 300), (125, 225)),
    "phone": ((110, 180), (60, 85)),
    "hard_drive": ((95, 150), (65, 105)),
    "power_bank": ((60, 180), (20, 100)),
    "camera": ((90, 160), (50, 115)),
}


@pytest.fixture(scope="module")
def items() -> dict[str, list[Item]]:
    return {cat: [build_item(cat, np.random.default_rng(seed)) for seed in SEEDS] for cat in CATEGORIES}


def _canvas_for(item: Item) -> tuple[Canvas, np.ndarray]:
    hw, hh = item.half_extent_mm()
    width, height = int(2 * hw / PIXEL_MM) + 16, int(2 * hh / PIXEL_MM) + 16
    return Canvas(height, width, PIXEL_MM), pose(width * PIXEL_MM / 2, height * PIXEL_MM / 2)


def _draw(item: Item) -> tuple[Canvas, np.ndarray]:
    canvas, at = _canvas_for(item)
    canvas.draw(item.outline.moved(at), instance=1)
    for p in item.intact_parts():
        canvas.draw(p.moved(at))
    return canvas, at


def _rounded_box_distance(x: np.ndarray, y: np.ndarray, box: Box) -> np.ndarray:
    """Signed distance (mm, negative inside) to a rounded rectangle centred at the origin."""
    r = min(box.radius, box.width / 2, box.height / 2)
    qx, qy = np.abs(x) - (box.width / 2 - r), np.abs(y) - (box.height / 2 - r)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def _cavity_corners(cavity: Cavity) -> np.ndarray:
    hw, hh = cavity.width_mm / 2, cavity.height_mm / 2
    corners = np.array([[-hw, hw, hw, -hw], [-hh, -hh, hh, hh], [1.0, 1.0, 1.0, 1.0]])
    return (pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg) @ corners)[:2]


def _pieces(item: Item) -> int:
    """Parts, counting each piece of a cluster (many small pieces drawn as one part)."""
    return sum(len(getattr(p.shape, "members", (p,))) for p in item.intact_parts())


def test_every_category_builds_an_item_of_its_class_for_every_seed(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        for item in built:
            assert item.category == cat
            assert _pieces(item) >= 15, f"{cat} has too few parts to look like one"
            assert item.cavities, f"{cat} offers nowhere to hide anything"
            for p in (item.outline, *item.parts):
                assert p.material in MATERIALS
                assert p.transform.shape == (3, 3)


def test_outline_dimensions_are_those_of_real_items(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        (long_lo, long_hi), (short_lo, short_hi) = PLAUSIBLE[cat]
        for item in built:
            hw, hh = item.half_extent_mm()
            long, short = 2 * max(hw, hh), 2 * min(hw, hh)
            assert long_lo <= long <= long_hi, f"{cat} is {long:.0f} mm long"
            assert short_lo <= short <= short_hi, f"{cat} is {short:.0f} mm wide"


def test_laptops_come_in_several_sizes_and_chassis_materials(items: dict[str, list[Item]]) -> None:
    widths = [2 * item.half_extent_mm()[0] for item in items["laptop"]]
    assert max(widths) - min(widths) > 60
    assert len({item.outline.material for item in items["laptop"]}) >= 3


def test_cavities_lie_inside_the_outline_with_a_2mm_margin(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        for item in built:
            outline = item.outline
            assert isinstance(outline.shape, Box)
            for cavity in item.cavities:
                assert cavity.width_mm > 0 and cavity.height_mm > 0
                assert 0 < cavity.depth_mm <= 40
                corners = np.vstack([_cavity_corners(cavity), np.ones(4)])
                x, y, _ = np.linalg.inv(outline.transform) @ corners
                assert _rounded_box_distance(x, y, outline.shape).max() <= -2.0, f"{cat}: {cavity}"


def test_cavity_depths_are_realistic_per_class(items: dict[str, list[Item]]) -> None:
    deepest = {cat: max(k.depth_mm for item in built for k in item.cavities) for cat, built in items.items()}
    assert deepest["phone"] <= 8
    assert deepest["tablet"] <= 8
    assert 10 <= deepest["laptop"] <= 20


def test_no_part_leaks_outside_the_instance_mask(items: dict[str, list[Item]]) -> None:
    for cat, built in items.items():
        for item in built[:8]:
            canvas, at = _canvas_for(item)
            canvas.draw(item.outline.moved(at), instance=1)
            mask = canvas.instances > 0
            parts_only, _ = _canvas_for(item)
            for p in (*item.intact_parts(), *(k for s in item.slots for k in s.cores)):
                parts_only.draw(p.moved(at), instance=1)
            leaked = (parts_only.instances > 0) & ~mask
            assert not leaked.any(), f"{cat}: {leaked.sum()} part pixels outside the outline"


def test_same_seed_gives_the_same_item_and_image() -> None:
    for cat in CATEGORIES:
        a = build_item(cat, np.random.default_rng(7))
        b = build_item(cat, np.random.default_rng(7))
        assert repr(a) == repr(b)
        paths_a, paths_b = _draw(a)[0].paths, _draw(b)[0].paths
        assert paths_a.keys() == paths_b.keys()
        for name in paths_a:
            np.testing.assert_array_equal(paths_a[name], paths_b[name])


def test_different_seeds_give_different_layouts() -> None:
    for cat in CATEGORIES:
        reprs = {repr(build_item(cat, np.random.default_rng(seed))) for seed in range(5)}
        assert len(reprs) == 5


def test_laptops_hold_their_characteristic_parts(items: dict[str, list[Item]]) -> None:
    for item in items["laptop"]:
        materials = {p.material for p in item.intact_parts()}
        assert {"li_ion_cell", "fr4", "copper", "steel", "lcd", "silicon"} <= materials
    with_fans = sum("polyester" in {p.material for p in item.parts} for item in items["laptop"])
    assert with_fans >= 15  # plastic impellers: all but a few fanless models


def test_laptops_and_tablets_read_as_metal_from_their_internals() -> None:
    # Display back plates, keyboard plates, boards, shields and cells, not the casing, make
    # most of a laptop or tablet read as metal (a bare aluminium shell reads inorganic).
    scanner = Scanner()
    for cat in ("laptop", "tablet"):
        shares = []
        for seed in range(8):
            canvas, _ = _draw(build_item(cat, np.random.default_rng(seed)))
            high, low = scanner.transmission(canvas.paths)
            classes = material_classes(high, low, scanner)[canvas.instances > 0]
            shares.append(float(np.mean(classes >= MaterialClass.METAL)))
        assert np.median(shares) >= 0.35, f"{cat}: metal share {shares}"


def _paths_of(parts: list[Part], angle: float, mirror: bool = False) -> dict[str, np.ndarray]:
    canvas = Canvas(300, 400, PIXEL_MM)
    canvas.draw_all(bld.mirror_x(parts) if mirror else parts, pose(160, 120, angle))
    return canvas.paths


def test_a_cluster_draws_exactly_what_its_pieces_would_as_parts() -> None:
    rng = np.random.default_rng(0)
    b = c.Builder()
    alone: list[Part] = []
    for k in range(30):
        x, y = rng.uniform(-100, 100), rng.uniform(-60, 60)
        kind = k % 5
        if kind == 0:
            w, h, a = rng.uniform(2, 15), rng.uniform(2, 10), rng.uniform(0, 180)
            b.rect("steel", x, y, w, h, 1.0, a)
            alone.append(part(Box(w, h, 1.0), "steel", x, y, a))
        elif kind == 1:
            d = rng.uniform(2, 8)
            b.disc("steel", x, y, d, 2.0)
            alone.append(part(Ellipse(d, d, 2.0), "steel", x, y))
        elif kind == 2:
            o = rng.uniform(6, 14)
            b.ring("steel", x, y, o, 0.6 * o, 1.5)
            alone.append(part(ishapes.Annulus(o, 0.6 * o, 1.5), "steel", x, y))
        elif kind == 3:
            length, d, a = rng.uniform(10, 28), rng.uniform(2, 9), rng.uniform(0, 180)
            b.cylinder("steel", x, y, length, d, a, wall=0.5, share=0.7)
            alone.append(part(ishapes.Scaled(Cylinder(length, d, wall=0.5), 0.7), "steel", x, y, a))
        else:
            c.screw(b, x, y, 2.0, 4.0)
            alone.append(part(ishapes.Stud(4.0, 1.4, 2.0, 4.0), "steel", x, y))
    parts = b.parts()
    assert len(parts) == 1 and isinstance(parts[0].shape, ishapes.Cluster)
    for angle, mirror in ((0.0, False), (37.0, False), (111.0, True)):
        clustered, separate = (
            _paths_of(parts, angle, mirror)["steel"],
            _paths_of(alone, angle, mirror)["steel"],
        )
        np.testing.assert_allclose(clustered, separate, atol=2e-3)


def test_a_row_of_cells_draws_what_single_cells_would() -> None:
    row, single = c.Builder(), c.Builder()
    c.cell_row(row, 0.0, 0.0, 90.0, 4, 18.7)
    for k in range(4):
        c.cell_into(single, (1.5 - k) * 18.7, 0.0, 90.0 if k % 2 else -90.0)
    for angle in (0.0, 25.0):
        a, b = _paths_of(row.parts(), angle), _paths_of(single.parts(), angle)
        for material in ("li_ion_cell", "copper", "steel"):
            assert a[material].sum() == pytest.approx(b[material].sum(), rel=0.01), material


def test_a_shell_has_the_box_footprint_and_its_walls_at_the_rim() -> None:
    shell = ishapes.Shell(200.0, 120.0, 2.0, 8.0, 1.5, 15.0)
    canvas, box = Canvas(260, 320, PIXEL_MM), Canvas(260, 320, PIXEL_MM)
    canvas.draw(part(shell, "aluminium", 128, 104, 20), instance=1)
    box.draw(part(Box(200.0, 120.0, 2.0, 8.0), "aluminium", 128, 104, 20), instance=1)
    np.testing.assert_array_equal(canvas.instances, box.instances)
    path = canvas.paths["aluminium"]
    assert path.max() == pytest.approx(17.0, abs=0.1)  # sheets and a wall, edge-on
    assert np.median(path[canvas.instances > 0]) == pytest.approx(2.0, abs=0.01)
    # Volume: the sheets over the footprint plus the walls along the rim.
    walls = 15.0 * (200 * 120 - 197 * 117 - (4 - np.pi) * (8**2 - 6.5**2))
    expected = 2.0 * (200 * 120 - (4 - np.pi) * 8**2) + walls
    assert path.sum() * PIXEL_MM**2 == pytest.approx(expected, rel=0.01)


def test_a_perforated_plate_is_open_only_inside_its_margin() -> None:
    plate = ishapes.Perforated(190.0, 95.0, 0.5, (19.05, 19.05), (8.0, 6.0), 0.0, 4.76, 3.0)
    canvas = Canvas(150, 260, PIXEL_MM)
    canvas.draw(part(plate, "steel", 100, 60), instance=1)
    path = canvas.paths["steel"]
    inside = canvas.instances > 0
    open_share = float(np.mean(path[inside] < 0.05))
    assert 0.08 < open_share < 0.2  # 8 x 6 mm openings on a 19 mm lattice: ~13 %
    # Pixels 1–2 mm inside the plate's edge: no opening reaches into the 3 mm margin.
    y, x = (np.indices(path.shape) + 0.5) * PIXEL_MM
    to_edge = np.minimum(95 - np.abs(x - 100), 47.5 - np.abs(y - 60))
    band = (to_edge > 1.0) & (to_edge < 2.0)
    assert band.sum() > 500 and path[band].min() == pytest.approx(0.5, abs=1e-3)


def test_battery_attenuates_more_than_an_empty_cavity() -> None:
    item = build_item("laptop", np.random.default_rng(3))
    canvas, at = _draw(item)
    high, _ = Scanner().transmission(canvas.paths)
    battery = canvas.paths["li_ion_cell"] > 0.5 * canvas.paths["li_ion_cell"].max()
    cavity_mask = np.zeros_like(battery)
    for cavity in item.cavities:
        probe, _ = _canvas_for(item)
        footprint = Box(cavity.width_mm, cavity.height_mm, 1.0)
        probe.draw(Part(footprint, "polyethylene", at @ _cavity_pose(cavity)), instance=1)
        cavity_mask |= probe.instances > 0
    empty = cavity_mask & (canvas.paths["li_ion_cell"] == 0) & (canvas.paths["copper"] == 0)
    assert battery.sum() > 1000 and empty.sum() > 1000
    assert np.median(high[battery]) < 0.8 * np.median(high[empty])


def _cavity_pose(cavity: Cavity) -> np.ndarray:
    return pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg)


def test_random_category_favours_laptops() -> None:
    rng = np.random.default_rng(0)
    draws = [random_category(rng) for _ in range(3000)]
    share = {cat: draws.count(cat) / len(draws) for cat in CATEGORIES}
    assert 0.36 <= share["laptop"] <= 0.44
    assert all(share[cat] > 0.04 for cat in CATEGORIES)
    assert max(share, key=share.get) == "laptop"


def test_unknown_category_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(ValueError, match="laptop"):
        build_item("toaster", np.random.default_rng(0))


# --- Slots: components a smuggler empties and refills ------------------------------------------

SLOT_NAMES = {
    "laptop": {"battery_cells", "optical_bay", "drive_internals"},
    "hard_drive": {"drive_platters"},
    "power_bank": {"battery_cells"},
    "camera": {"battery_cells"},
    "phone": {"battery_cells"},
    "tablet": {"battery_cells"},
}


@pytest.fixture(scope="module")
def slotted() -> dict[str, list[Item]]:
    """Enough items per class that the rarer slots (a laptop's optical bay) turn up."""
    counts = {"laptop": 150}
    return {
        cat: [build_item(cat, np.random.default_rng(seed)) for seed in range(counts.get(cat, 40))]
        for cat in SLOT_NAMES
    }


def _examples(slotted: dict[str, list[Item]], per_name: int = 3) -> list[tuple[Item, Slot]]:
    """The first few items holding each slot name, with that slot."""
    out = []
    for built in slotted.values():
        seen: dict[str, int] = {}
        for item in built:
            for slot in item.slots:
                if seen.get(slot.name, 0) < per_name:
                    seen[slot.name] = seen.get(slot.name, 0) + 1
                    out.append((item, slot))
    return out


def _corners(p: Part) -> np.ndarray:
    """The corners (2, N) of a part's polygon or bounding box, in its parent's frame."""
    if isinstance(p.shape, Polygon):
        u, v = np.array(p.shape.points).T
    else:
        hw, hh = p.shape.half_extent()
        u, v = np.array([-hw, hw, hw, -hw]), np.array([-hh, -hh, hh, hh])
    return (p.transform @ np.vstack([u, v, np.ones_like(u)]))[:2]


def _outside_room(points: np.ndarray, room: Cavity) -> float:
    """How far (mm) the farthest of ``points`` (2, N) lies outside the room's footprint."""
    u, v, _ = np.linalg.inv(_cavity_pose(room)) @ np.vstack([points, np.ones(points.shape[1])])
    return float(max((np.abs(u) - room.width_mm / 2).max(), (np.abs(v) - room.height_mm / 2).max()))


def test_every_class_has_its_slots_and_their_parts_are_not_the_items(
    slotted: dict[str, list[Item]],
) -> None:
    for cat, built in slotted.items():
        names: set[str] = set()
        for item in built:
            assert item.slots, f"{cat} has nothing to replace"
            assert len({s.name for s in item.slots}) == len(item.slots)
            names |= {s.name for s in item.slots}
            own = {id(p) for p in item.parts}
            for slot in item.slots:
                assert slot.parts and not own & {id(p) for p in slot.parts}, f"{cat}: {slot.name}"
                assert all(p.material in MATERIALS for p in (*slot.parts, *slot.cores))
                assert slot.room.width_mm > 0 and slot.room.height_mm > 0 and slot.room.depth_mm > 0
            everything = item.parts + tuple(p for s in item.slots for p in s.parts)
            assert item.intact_parts() == everything
            for slot in item.slots:
                left = item.intact_parts(replaced=slot)
                assert len(left) == len(everything) - len(slot.parts)
                assert not {id(p) for p in left} & {id(p) for p in slot.parts}
        assert names == SLOT_NAMES[cat], f"{cat}: {names}"


def test_slot_rooms_lie_inside_the_outline_and_hold_their_parts_and_cores(
    slotted: dict[str, list[Item]],
) -> None:
    # Half the items are mirror images: their rooms must still hold their parts.
    for cat, built in slotted.items():
        for item in built:
            outline = item.outline
            for slot in item.slots:
                corners = np.vstack([_cavity_corners(slot.room), np.ones(4)])
                x, y, _ = np.linalg.inv(outline.transform) @ corners
                assert _rounded_box_distance(x, y, outline.shape).max() <= -1.0, f"{cat}: {slot}"
                for p in (*slot.parts, *slot.cores):
                    assert _outside_room(_corners(p), slot.room) <= 1e-6, f"{cat}: {slot.name} {p}"
                for core in slot.cores:
                    assert core.material == "li_ion_cell"  # what they hold before refilling


def test_slot_room_depths_are_the_free_height_once_emptied(slotted: dict[str, list[Item]]) -> None:
    depths: dict[tuple[str, str], list[float]] = {}
    for cat, built in slotted.items():
        for item in built:
            for slot in item.slots:
                depths.setdefault((cat, slot.name), []).append(slot.room.depth_mm)
    # An emptied row of 18650 cells leaves ~18 mm, an optical bay 9.5–12.7 mm.
    assert max(depths["laptop", "battery_cells"]) == pytest.approx(17.7, abs=0.5)
    assert min(depths["laptop", "battery_cells"]) >= 3.0
    assert 8.5 <= min(depths["laptop", "optical_bay"]) <= max(depths["laptop", "optical_bay"]) <= 12.7
    assert max(depths["laptop", "drive_internals"]) <= 7.0
    assert max(depths["hard_drive", "drive_platters"]) <= 26.1 - 3.0
    assert max(depths["power_bank", "battery_cells"]) <= 21.2
    assert max(depths["camera", "battery_cells"]) <= 40.0
    assert max(depths["phone", "battery_cells"] + depths["tablet", "battery_cells"]) <= 8.0


def test_replacing_a_slot_changes_the_scan_only_inside_its_room(slotted: dict[str, list[Item]]) -> None:
    for item, slot in _examples(slotted):
        intact, at = _canvas_for(item)
        intact.draw_all(item.intact_parts(), at)
        emptied, _ = _canvas_for(item)
        emptied.draw_all(item.intact_parts(replaced=slot), at)
        changed = np.zeros((intact.height, intact.width), bool)
        for material, path in intact.paths.items():
            changed |= np.abs(path - emptied.paths.get(material, 0.0)) > 1e-4
        # The room's footprint, a pixel wider all round (anti-aliased edges).
        room, _ = _canvas_for(item)
        grown = Box(slot.room.width_mm + 2 * PIXEL_MM, slot.room.height_mm + 2 * PIXEL_MM, 1.0)
        room.draw(Part(grown, "polyethylene", at @ _cavity_pose(slot.room)), instance=1)
        assert changed.sum() > 100, f"{item.category}: {slot.name} changes nothing"
        assert not (changed & (room.instances == 0)).any(), f"{item.category}: {slot.name}"


def test_mirroring_a_slot_mirrors_its_parts_cores_and_room(slotted: dict[str, list[Item]]) -> None:
    for item, slot in _examples(slotted, per_name=1):
        mirrored = bld.mirror_slot(slot)
        assert mirrored.name == slot.name
        assert mirrored.room == Cavity(
            -slot.room.x_mm,
            slot.room.y_mm,
            slot.room.width_mm,
            slot.room.height_mm,
            slot.room.depth_mm,
            -slot.room.angle_deg,
        )
        assert len(mirrored.parts) == len(slot.parts) and len(mirrored.cores) == len(slot.cores)
        hw, hh = item.half_extent_mm()
        width, height = 2 * int(hw / PIXEL_MM) + 16, int(2 * hh / PIXEL_MM) + 16
        at = pose(width * PIXEL_MM / 2, height * PIXEL_MM / 2)  # x = 0 on the middle line
        for a, b in ((slot.parts, mirrored.parts), (slot.cores, mirrored.cores)):
            plain, flipped = Canvas(height, width, PIXEL_MM), Canvas(height, width, PIXEL_MM)
            plain.draw_all(a, at)
            flipped.draw_all(b, at)
            assert plain.paths.keys() == flipped.paths.keys()
            for material, path in plain.paths.items():
                np.testing.assert_allclose(flipped.paths[material][:, ::-1], path, atol=2e-3)
        for p in (*mirrored.parts, *mirrored.cores):
            assert _outside_room(_corners(p), mirrored.room) <= 1e-6


def test_a_slot_keeps_its_pieces_out_of_the_items_clusters() -> None:
    b = c.Builder()
    for k in range(20):
        c.screw(b, k * 5.0, 0.0)
    with b.slot("bay") as s:
        for k in range(20):
            c.screw(s, k * 5.0, 20.0)
        s.cores.append(part(Box(10.0, 10.0, 5.0), "li_ion_cell", 50.0, 20.0))
        s.room = s.bounds(6.0)
    parts, (slot,) = b.parts(), b.slots()
    assert len(parts) == 1 and len(parts[0].shape.members) == 20
    assert len(slot.parts) == 1 and len(slot.parts[0].shape.members) == 20
    assert slot.room.y_mm == pytest.approx(20.0) and slot.room.depth_mm == 6.0
    assert slot.room.width_mm == pytest.approx(95.0 + 4.0)  # the screw heads' 4 mm included
    assert len(slot.cores) == 1
    with pytest.raises(ValueError, match="room"), b.slot("no room") as s:
        s.add(Box(5.0, 5.0, 1.0), "steel")


def test_cell_slots_keep_the_steel_cans_and_refill_each_cell_as_drawn(slotted: dict[str, list[Item]]) -> None:
    # A refilled cell still shows its can: the steel stays in the item. Each cell's core is its
    # roll's li_ion_cell exactly as drawn, so taking a core out and refilling it is exact.
    checked = 0
    for built in slotted.values():
        for item in built[:12]:
            for slot in item.slots:
                if not slot.cores:
                    continue
                rows = [p for p in slot.parts if isinstance(p.shape, ishapes.CellRow)]
                cans = [p for p in item.parts if isinstance(p.shape, ishapes.CellRow)]
                if rows:
                    assert {p.material for p in rows} == {"li_ion_cell", "copper"}
                    assert {p.material for p in cans} == {"steel"}
                    assert len(slot.cores) == sum(p.shape.count for p in cans)
                (drawn, at), (cores, _) = _canvas_for(item), _canvas_for(item)
                drawn.draw_all([p for p in slot.parts if p.material == "li_ion_cell"], at)
                cores.draw_all(slot.cores, at)
                expected = drawn.paths["li_ion_cell"]
                np.testing.assert_allclose(cores.paths["li_ion_cell"], expected, rtol=1e-3, atol=1e-3)
                checked += 1
    assert checked >= 40
