"""Smartphones: metal frame, glass back and display, aluminium mid-frame, pouch battery.

Frame: x along the phone's length (top of the phone at -x), y across. The mainboard is
stacked in the top third beside the cameras, the battery fills the middle, the speaker, vibration
motor and USB-C port sit at the bottom.
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.item import Cavity, Item
from screener_gui.synth.items import components as c
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

    outline = part(Box(length, width, back[1], radius), back[0])
    parts: list[Part] = c.shell_walls(length, width, radius, rim[1], thickness - 1.2, rim[0])
    parts.append(
        part(Box(length - 2 * rim[1], width - 2 * rim[1], rng.uniform(0.5, 0.8), radius - 2), "aluminium")
    )
    parts.append(part(Box(length - 2.5, width - 2.5, rng.uniform(1.0, 1.4), radius - 1), "lcd"))

    # Stacked mainboard in the top part (two boards sandwiched), shields, SoC.
    board_l = length * rng.uniform(0.28, 0.36)
    bx = -xi + board_l / 2 + 1
    board_w = width - 2 * rim[1] - rng.uniform(14, 24)
    by = yi - board_w / 2 - 1
    parts += c.circuit_board(bx, by, board_l, board_w, 1.6, 0.2)
    parts.append(part(Box(board_l - 6, board_w - 4, 0.25), "steel", bx, by))
    parts += c.chip(bx + 2, by, 14.0, 14.0, die=0.6)
    parts.append(c.component_strip(bx - board_l * 0.3, by, 6.0, board_w * 0.7, int(rng.integers(2**31))))

    # Camera modules in the free corner: glass lens stacks in steel housings with magnets.
    offsets = ((0.0, 0.0), (0.0, 12.5), (12.5, 6.25))[: int(rng.integers(1, 4))]
    for dx, dy in offsets:
        x, y = -xi + 9.0 + dx, -yi + 8.0 + dy
        parts.append(c.ring(x, y, 11.0, 7.0, 5.0, "steel"))
        parts.append(part(Ellipse(7.0, 7.0, 3.0), "glass", x, y))
        parts.append(c.magnet_bar(x, y + 4.5, 5.0, 1.2, 2.0))

    # Battery in the middle.
    bat_x0 = bx + board_l / 2 + 3
    bat_x1 = xi - rng.uniform(20, 28)
    bat_w = width - 2 * rim[1] - 4
    bat_t = thickness - back[1] - 3.0
    bat_x = (bat_x0 + bat_x1) / 2
    parts += c.pouch_pack(bat_x, 0.0, bat_x1 - bat_x0, bat_w, bat_t)
    coil_d = min(bat_w - 8, 50.0)
    parts.append(c.ring(bat_x - 8, 0.0, coil_d, coil_d * 0.45, 0.25, "copper"))
    parts.append(part(Ellipse(coil_d, coil_d, 0.2), "ferrite", bat_x - 8, 0.0))

    # Bottom: loudspeaker, vibration motor, USB-C port; SIM tray on a side.
    spk_x = xi - 10
    parts += c.speaker(spk_x, yi - 12, 16.0, 20.0, 3.0, "neodymium_magnet")
    parts.append(part(Box(10.0, 28.0, 3.5, 1.0), "steel", spk_x, -yi + 16))
    parts.append(c.magnet_bar(spk_x, -yi + 16, 6.0, 20.0, 1.5))
    parts += c.port(xi - 4.0, 0.0, 0.0, "usb_c")
    parts.append(part(Box(16.0, 6.0, 0.8, 1.0), "steel", -xi + board_l * 0.6, yi - 3.5))
    parts.append(part(Box(length * 0.3, 6.0, 0.3), "copper", bat_x0 - 5, -yi + 6))
    parts += c.screws_around(xi - 3, yi - 3, rng, 6, 1.2, 2.0)

    free = max(thickness - back[1] - 2.4, 1.0)
    cavities = [Cavity(bat_x, 0.0, bat_x1 - bat_x0 - 2, bat_w - 2, round(bat_t, 2))]
    side = c.cavity_between(
        bx - board_l / 2 + 22, -yi + 2.5, bx + board_l / 2, by - board_w / 2 - 1, free, min_side_mm=6
    )
    if side is not None:
        cavities.append(side)
    bottom = c.cavity_between(bat_x1 + 2, -yi + 29, xi - 2, yi - 24, free, min_side_mm=6)
    if bottom is not None:
        cavities.append(bottom)
    if rng.random() < 0.5:
        parts, cavities = c.mirror_x(parts), [c.mirror_cavity(k) for k in cavities]
    return Item("phone", outline, tuple(parts), tuple(cavities))
