"""Power banks: plastic or aluminium shell around 18650/21700 cells or pouch cells, a charge board.

Frame: x along the cells (the charge board with its USB ports at +x), y across. The cells are
nearly all of it: steel cans, copper foils and NMC cathodes make them dark blue blocks, with the
hollow core a lighter line along each cylindrical cell and the cap assembly a bar at one end.

The cells are a slot (``battery_cells``): the jelly rolls can be taken out of their steel cans
and the cans refilled, or the pouch cells replaced, the classic way to hide inside a power bank.
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import builder as bld
from screener_gui.synth.items import components as c
from screener_gui.synth.items import item_shapes as ishapes
from screener_gui.synth.shapes import Box, Cylinder


def build(rng: np.random.Generator) -> Item:
    """A random power bank: 1 to 6 cylindrical cells, or one or two pouch cells."""
    pouch = rng.random() < 0.35
    metal = rng.random() < 0.35
    shell_mat = "aluminium" if metal else str(rng.choice(["abs", "polycarbonate"]))
    sheet = rng.uniform(0.8, 1.2) if metal else rng.uniform(1.6, 2.4)  # top + bottom sheets
    wall = 1.0 if metal else 1.8
    board_l = rng.uniform(16, 24)
    clear = wall + 1.0  # inner gap between the wall and the cells (mm)
    b = c.Builder()
    cavities: list[Cavity] = []

    if pouch:
        n_cells = int(rng.integers(1, 3))
        cell_l, cell_w = rng.uniform(85, 125), rng.uniform(55, 78)
        cell_t = rng.uniform(6.0, 9.5)
        length = cell_l + board_l + 2 * clear + 4
        width = cell_w + 2 * clear + rng.uniform(2, 10)
        height = n_cells * cell_t + 4.0
        pack_x = -length / 2 + clear + cell_l / 2
        # Cells stacked along the beam: one pouch of the summed thickness.
        pack_depth = n_cells * cell_t
        with b.slot("battery_cells") as s:
            s.cores += c.pouch_pack(s, pack_x, 0.0, cell_l, cell_w, pack_depth)
            s.room = s.bounds(pack_depth)
        cavities.append(Cavity(pack_x, 0.0, cell_l - 4, cell_w - 4, round(pack_depth, 2)))
    else:
        big = rng.random() < 0.25
        cell = c.CELL_21700 if big else c.CELL_18650
        n_cells = int(rng.choice([1, 2, 3, 4, 6], p=[0.2, 0.25, 0.15, 0.25, 0.15]))
        # Cells end to end (cols) and side by side (rows): 6 cells as 3 x 2, 4 as 4 x 1 or 2 x 2.
        cols = 2 if n_cells == 6 or (n_cells == 4 and rng.random() < 0.5) else 1
        rows = n_cells // cols
        pitch = cell[1] + 0.4
        length = cols * (cell[0] + 1.0) + board_l + 2 * clear + 3
        width = rows * pitch + 2 * clear + rng.uniform(0.5, 6)
        height = cell[1] + 3.0
        pack_x = -length / 2 + clear + cols * (cell[0] + 1.0) / 2
        with b.slot("battery_cells") as s:  # the jelly rolls; the steel cans stay
            for j in range(cols):
                x = pack_x + (j - (cols - 1) / 2) * (cell[0] + 1.0)
                s.cores += c.cell_row(b, x, 0.0, 0.0, rows, pitch, cell, rolls=s)
            s.room = s.bounds(c.roll_diameter(cell))
        for j in range(cols + 1):
            x = pack_x + (j - cols / 2) * (cell[0] + 1.0)
            b.add(Box(1.5, rows * pitch - 3, 0.6), "nickel", x, 0.0)  # spot-welded strips, folded
        if rows > 1 and rng.random() < 0.6:
            b.add(Box(cols * cell[0], rows * pitch, 1.0, 1.0), "abs", pack_x, 0.0)  # holder
        # A threat can replace one of the cells (the cell is still drawn: the cavity is the volume).
        r = int(rng.integers(rows))
        cavities.append(
            Cavity(pack_x, (r - (rows - 1) / 2) * pitch, cols * cell[0] - 4, cell[1] - 1, cell[1] - 0.5)
        )
        spare = width / 2 - clear - rows * pitch / 2
        if spare >= 6:
            cavities.append(
                Cavity(pack_x, width / 2 - clear - spare / 2, cols * cell[0] - 4, spare - 1, height - 4)
            )

    # Rounder corners would cut into the corners of the cells and the board.
    radius = min(rng.uniform(2, 12), 3.4 * clear)
    outline = part(ishapes.Shell(length, width, sheet, radius, wall, height - sheet), shell_mat)

    # Charge board at +x: USB-A / USB-C / micro-USB ports facing out, inductor, controller, LEDs.
    bx = length / 2 - clear - board_l / 2
    c.circuit_board(b, bx, 0.0, board_l, width - 2 * clear - 1, 1.2, 0.07)
    c.chip(b, bx - board_l * 0.2, -width * 0.15, 5.0, 5.0, bga=False)
    b.add(Box(6.0, 6.0, 3.0, 0.5), "ferrite", bx - board_l * 0.25, width * 0.15)  # inductor
    # Passives and their solder, and the MOSFETs of the boost converter.
    c.passives(b, bx, 0.0, board_l * 0.7, width - 2 * clear - 8, rng, int(rng.integers(12, 20)))
    for k in range(2):
        c.chip(b, bx + board_l * 0.15, (k - 0.5) * 7.0, 3.0, 3.0)
    ports = (
        ["usb_c"]
        + (["usb_a"] if width > 30 else [])
        + (["micro_usb"] if width > 45 and rng.random() < 0.5 else [])
    )
    slot = (width - 2 * clear - 6) / len(ports)
    for k, kind in enumerate(ports):
        y = -width / 2 + clear + 3 + slot * (k + 0.5)
        depth = {"usb_a": 14.0, "usb_c": 7.5, "micro_usb": 5.5}[kind]
        c.port(b, length / 2 - clear - depth / 2 + 0.5, y, 0.0, kind)
    b.add(Box(2.0, 12.0, 0.8), "ceramic", bx - board_l * 0.4, 0.0)  # status LEDs
    b.add(Cylinder(board_l * 0.6, 1.2), "copper", bx - board_l * 0.6, width * 0.3, 0)  # battery leads
    return bld.finish("power_bank", outline, b, cavities)
