"""Smartphones: metal frame, glass back and display, mid-frame with a steel plate, pouch battery.

Frame: x along the phone's length (top of the phone at -x), y across. The mainboard is
stacked in the top third beside the cameras, the battery fills the middle, the speaker,
vibration motor and USB-C port sit at the bottom. The mid-frame (aluminium, with a thin
stainless plate under the display) and the frame's rails make even the thinnest phone read as
metal; the stacked board under its shield can, the camera modules and the vibration motor's
steel mass are the darkest spots. The battery pouch is a slot (``battery_cells``): it can be
swapped for something of its size.
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Ellipse

# Length, width, thickness (mm) of common models.
_MODELS = (
    (146.7, 71.5, 7.8),
    (160.8, 78.1, 7.8),
    (147.5, 70.6, 8.3),
    (162.3, 74.8, 8.9),
    (155.0, 73.9, 8.2),
    (138.4, 67.3, 7.3),
    (170.0, 77.5, 8.6),
)


def build(rng: np.random.Generator) -> Item:
    """A random smartphone lying on its screen or its back."""
    length, width, thickness = _MODELS[int(rng.integers(len(_MODELS)))]
    length += rng.uniform(-2, 2)
    width += rng.uniform(-1.5, 1.5)
    radius = rng.uniform(7, 12)
    glass_back = rng.random() < 0.7
    back = ("glass", rng.uniform(0.5, 0.7)) if glass_back else ("polycarbonate", rng.uniform(0.8, 1.2))
    rim = ("stainless", 2.0) if rng.random() < 0.25 else ("aluminium", rng.uniform(2.0, 3.0))
    hl, hw = length / 2, width / 2
    xi, yi = hl - rim[1] - 0.5, hw - rim[1] - 0.5
    b = c.Builder()

    outline = part(Box(length, width, back[1], radius), back[0])
    # The frame (rails, aluminium or stainless) around the back: a shell of its own, no sheets.
    b.add(ishapes.Shell(length, width, 0.0, radius, rim[1], thickness - 1.2), rim[0])
    # Mid-frame (its pockets and ribs averaged) with the display's stainless support plate,
    # then the display: cover glass and the OLED / LCD stack.
    inner = (length - 2 * rim[1], width - 2 * rim[1])
    b.add(Box(*inner, rng.uniform(0.5, 0.8), radius - 2), "aluminium")
    b.add(Box(inner[0] - 2, inner[1] - 2, rng.uniform(0.1, 0.2), radius - 3), "stainless")
    b.add(Box(length - 2.5, width - 2.5, rng.uniform(1.0, 1.4), radius - 1), "lcd")

    # Stacked mainboard in the top part (two boards sandwiched), shields, SoC and memory.
    board_l = length * rng.uniform(0.28, 0.36)
    bx = -xi + board_l / 2 + 1
    board_w = width - 2 * rim[1] - rng.uniform(14, 24)
    by = yi - board_w / 2 - 1
    c.circuit_board(b, bx, by, board_l, board_w, 1.6, 0.25)
    c.processor(b, bx + 2, by, 14.0, 14.0, die=0.6)
    b.add(Box(12.0, 12.0, 0.8), "silicon", bx + 2, by)  # package-on-package DRAM
    c.shield_can(b, bx, by, board_l - 4, board_w - 3, 1.4)
    c.chip(b, bx - board_l * 0.3, by - board_w * 0.25, 6.0, 5.0, bga=False)
    c.chip(b, bx - board_l * 0.3, by + board_w * 0.25, 5.0, 5.0, bga=False)

    # Camera modules in the free corner: glass lens stacks in steel housings, focus magnets.
    offsets = ((0.0, 0.0), (0.0, 12.5), (12.5, 6.25))[: int(rng.integers(1, 4))]
    for dx, dy in offsets:
        x, y = -xi + 9.0 + dx, -yi + 8.0 + dy
        b.add(c.ring_shape(11.0, 7.0, 5.0), "steel", x, y)
        b.add(Ellipse(7.0, 7.0, 3.0), "glass", x, y)
        b.add(Box(5.0, 1.2, 2.0, 0.3), "neodymium_magnet", x, y + 4.5)

    # Battery in the middle; the wireless-charging coil and its ferrite sheet over it.
    bat_x0 = bx + board_l / 2 + 3
    bat_x1 = xi - rng.uniform(20, 28)
    bat_w = width - 2 * rim[1] - 4
    bat_t = thickness - back[1] - 3.0
    bat_x = (bat_x0 + bat_x1) / 2
    with b.slot("battery_cells") as s:
        s.cores += c.pouch_pack(s, bat_x, 0.0, bat_x1 - bat_x0, bat_w, bat_t)
        s.room = s.bounds(bat_t)
    if glass_back:  # wireless charging needs a glass back
        coil_d = min(bat_w - 8, 50.0)
        b.extend([c.ring(bat_x - 8, 0.0, coil_d, coil_d * 0.45, 0.25, "copper")])
        b.add(Ellipse(coil_d, coil_d, 0.2), "ferrite", bat_x - 8, 0.0)

    # Bottom: loudspeaker, vibration motor (steel case and mass, magnets), USB-C port;
    # SIM tray on a side, flex cable along the battery.
    spk_x = xi - 10
    c.speaker(b, spk_x, yi - 12, 16.0, 20.0, 3.0, "neodymium_magnet")
    b.add(Box(10.0, 28.0, 3.5, 1.0), "steel", spk_x, -yi + 16)
    c.magnet_bar(b, spk_x, -yi + 16, 6.0, 20.0, 1.5)
    c.port(b, xi - 4.0, 0.0, 0.0, "usb_c")
    b.add(Box(16.0, 6.0, 0.8, 1.0), "steel", -xi + board_l * 0.6, yi - 3.5)
    b.add(Box(length * 0.3, 6.0, 0.3), "copper", bat_x0 - 5, -yi + 6)
    c.screws_around(b, xi - 3, yi - 3, rng, 6, 1.2, 2.0)

    free = max(thickness - back[1] - 2.4, 1.0)
    cavities = [Cavity(bat_x, 0.0, bat_x1 - bat_x0 - 2, bat_w - 2, round(bat_t, 2))]
    side = bld.cavity_between(
        bx - board_l / 2 + 22, -yi + 2.5, bx + board_l / 2, by - board_w / 2 - 1, free, min_side_mm=6
    )
    if side is not None:
        cavities.append(side)
    bottom = bld.cavity_between(bat_x1 + 2, -yi + 29, xi - 2, yi - 24, free, min_side_mm=6)
    if bottom is not None:
        cavities.append(bottom)
    return bld.finish("phone", outline, b, cavities, rng)
