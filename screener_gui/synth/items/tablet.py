"""Tablets, 7.9" to 12.9": metal or plastic back, display, large pouch battery, edge board.

Frame: x along the long side, y across. The logic board runs along one long edge, the
battery cells fill the middle, speakers sit at the short ends and cover magnets line an edge.
Behind the display sits its metal back plate (steel on LCD modules, a thinner steel or
aluminium sheet behind OLEDs), so a tablet reads as metal all over, darkest over the cells.
The battery's pouch cells are a slot (``battery_cells``): they can be swapped for a payload.
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Ellipse

# Long side, short side, thickness (mm) of common models.
_MODELS = (
    (203.0, 135.0, 6.1),
    (240.0, 170.0, 7.0),
    (250.0, 174.0, 7.5),
    (248.0, 179.0, 5.9),
    (256.0, 167.0, 7.5),
    (281.0, 215.0, 6.4),
)


def build(rng: np.random.Generator) -> Item:
    """A random tablet lying on its screen or its back."""
    length, width, thickness = _MODELS[int(rng.integers(len(_MODELS)))]
    length += rng.uniform(-3, 3)
    width += rng.uniform(-3, 3)
    thickness += rng.uniform(-0.3, 0.5)
    radius = rng.uniform(7, 13)
    metal = rng.random() < 0.7
    back = ("aluminium", rng.uniform(0.7, 1.0)) if metal else ("polycarbonate", rng.uniform(1.2, 1.8))
    wall = 1.0 if metal else 1.6
    hl, hw = length / 2, width / 2
    xi, yi = hl - wall - 1.5, hw - wall - 1.5
    b = c.Builder()

    outline = part(ishapes.Shell(length, width, back[1], radius, wall, thickness - back[1]), back[0])
    # Display: cover glass over the LCD (or OLED) cell, one glass-and-polymer stack over the
    # whole front, then the panel's metal back plate.
    bezel = rng.uniform(4, 12)
    lcd = rng.random() < 0.6
    panel = (length - 2 * bezel, width - 2 * bezel)
    b.add(
        Box(
            length - 2, width - 2, rng.uniform(0.5, 0.7) + (rng.uniform(1.0, 1.5) if lcd else 0.5), radius - 1
        ),
        "lcd",
    )
    plate = ("steel", rng.uniform(0.15, 0.25)) if lcd or rng.random() < 0.5 else ("aluminium", 0.5)
    b.add(Box(panel[0] - 2, panel[1] - 2, plate[1], 3.0), plate[0])

    # Logic board along the -y edge: SoC with its memory stacked on top, PMIC, flash, all under
    # steel shield cans; the USB-C port at the +x end.
    board_h = rng.uniform(22, 34)
    board_w = length * rng.uniform(0.45, 0.75)
    bx, by = rng.uniform(-1, 1) * (xi - board_w / 2 - 2), -yi + board_h / 2 + 1
    c.circuit_board(b, bx, by, board_w, board_h, 0.8, 0.15)
    soc_x = bx - board_w * 0.2
    c.processor(b, soc_x, by, 15.0, 14.0, die=0.6)
    b.add(Box(13.0, 12.0, 0.8), "silicon", soc_x, by)  # package-on-package DRAM
    c.chip(b, bx + board_w * 0.12, by, 12.0, 14.0, die=0.8)  # flash
    for k in range(2):
        c.shield_can(b, bx - board_w * 0.4 + board_w * (0.2 + 0.4 * k), by, board_w * 0.35, board_h - 3, 1.2)
    for k in range(2):  # PMIC inductors
        b.add(Box(4.0, 4.0, 2.0, 0.3), "ferrite", bx - board_w * 0.42 + 6 * k, by - board_h * 0.25)
    c.port(b, xi - 4.0, by if rng.random() < 0.5 else 0.0, 0.0, "usb_c")

    # Battery: two or three pouch cells side by side between the board and the far edge.
    cell_t = max(thickness - back[1] - 3.2, 2.0)
    b_y0, b_y1 = by + board_h / 2 + 3, yi - 3
    b_x0, b_x1 = -xi + 22, xi - 22
    with b.slot("battery_cells") as s:
        s.cores += c.pouch_pack(
            s,
            (b_x0 + b_x1) / 2,
            (b_y0 + b_y1) / 2 + 2,
            b_x1 - b_x0,
            b_y1 - b_y0 - 8,
            cell_t,
            int(rng.integers(2, 4)),
        )
        s.room = s.bounds(cell_t)

    # Speakers at both short ends, rear camera in a corner, cover magnets along an edge.
    for sx in (-1, 1):
        for sy in (-1, 1) if length > 245 and rng.random() < 0.6 else (1,):  # 4 speakers on large models
            c.speaker(b, sx * (xi - 9), sy * (yi - 22), 14.0, 30.0, cell_t, "neodymium_magnet")
    cam_x, cam_y = -xi + 12, -yi + 12
    b.add(c.ring_shape(12.0, 7.0, 4.0), "steel", cam_x, cam_y)
    b.add(Ellipse(7.0, 7.0, 2.5), "glass", cam_x, cam_y)
    b.add(Box(8.0, 8.0, 1.5), "neodymium_magnet", cam_x + 9, cam_y)  # focus motor
    edge_y = yi - 2.5 if rng.random() < 0.5 else -yi + 2.5
    for sx in (-1, 1):
        c.magnet_bar(b, sx * length * 0.22, edge_y, length * 0.22, 2.5, 1.8)
    c.screws_around(b, xi - 4, yi - 4, rng, int(rng.integers(3, 6)), 1.4, 2.0)

    depth = max(thickness - back[1] - 2.0, 1.0)
    cavities = [
        Cavity((b_x0 + b_x1) / 2, (b_y0 + b_y1) / 2 + 2, b_x1 - b_x0 - 4, b_y1 - b_y0 - 10, round(cell_t, 2)),
        Cavity(-xi + 11, (b_y0 + b_y1) / 2, 16.0, b_y1 - b_y0 - 20, round(depth, 2)),
    ]
    free_x0, free_x1 = bx + board_w / 2 + 3, xi - 10
    gap = bld.cavity_between(free_x0, -yi + 3, free_x1, by + board_h / 2, round(depth, 2))
    if gap is not None:
        cavities.append(gap)
    return bld.finish("tablet", outline, b, cavities, rng)
