"""Handguns: a pistol assembled or in pieces, and a disassembled pistol's parts spread out.

``handgun`` grows with obviousness from a single part (a barrel, a loaded magazine) through the
slide assembly to the whole gun with a loaded magazine; ``gun_parts`` spreads more and larger
parts as it grows. Both draw on :mod:`~screener_gui.synth.threats.gun_model` and respect the
room: what is too thick or too large for it is left out or the gun is made smaller.
"""

from __future__ import annotations

import numpy as np

from screener_gui.synth.canvas import Part, pose
from screener_gui.synth.threats import gun_model as gm
from screener_gui.synth.threats.base import Built, MinSize, Room, centred, fit_long, moved, pick, size, spans
from screener_gui.synth.threats.gun_model import Gun
from screener_gui.synth.threats.shapes import Revolved, Spring

MIN = {"handgun": MinSize(80.0, 16.0, 12.0), "gun_parts": MinSize(90.0, 30.0, 12.0)}
_FRAMES = {"gf_nylon": "polymer", "aluminium": "alloy", "steel": "steel"}


def _mag_length(g: Gun, grip: gm.Grip) -> tuple[float, float]:
    """Axis position of a seated magazine's top and its body length (mm)."""
    top = grip.s_at(g.grip_margin, -2.0)
    return top, grip.bottom - top


def _magazine(g: Gun, rng: np.random.Generator, rounds: int) -> tuple[list[Part], int]:
    """A loose magazine as long as the gun's grip takes, up to ``rounds`` rounds in it."""
    _, length = _mag_length(g, gm.Grip(g, 0.0))
    return gm.magazine_parts(g, length, rounds, rng)


def _assembled(g: Gun, rng: np.random.Generator, rounds: int | None) -> tuple[list[Part], str]:
    """The whole gun; a magazine with ``rounds`` rounds when not None."""
    parts = gm.slide_parts(g, rng) + gm.barrel_parts(g, rng) + gm.recoil_parts(g, rng)
    lower, grip = gm.frame_parts(g, rng)
    parts += lower
    text = f"assembled {g.cal.name} pistol, {g.slide_mat} slide, {_FRAMES[g.frame_mat]} frame"
    if rounds is not None:
        top, length = _mag_length(g, grip)
        mag, n = gm.magazine_parts(g, length, rounds, rng)
        x, y = grip.at(grip.depth / 2, top + length / 2)
        parts += moved(mag, pose(x, y, -g.angle))
        text += f", magazine with {n} rounds" if n else ", empty magazine"
    return parts, text


def _component(
    name: str, g: Gun, rng: np.random.Generator, t: float, short: float = np.inf
) -> tuple[list[Part], float, str]:
    """One part (or sub-assembly) of the gun: its parts, envelope thickness, description.

    ``short`` (mm) limits how far a loose barrel's hood and lug reach out of its tube.
    """
    if name == "barrel":
        spare = short - g.od - 1.5
        hood, lug = min(rng.uniform(1.5, 3.5), spare * 0.4), min(rng.uniform(3.0, 6.0), spare * 0.6)
        parts = gm.barrel_parts(g, rng, hood=hood, lug=lug)
        return parts, g.od, f"{g.cal.name} barrel {g.barrel_len:.0f} mm"
    if name == "slide":
        return gm.slide_parts(g, rng), g.slide_w, f"{g.slide_mat} pistol slide {g.length:.0f} mm"
    if name == "upper":
        parts = gm.slide_parts(g, rng) + gm.barrel_parts(g, rng) + gm.recoil_parts(g, rng)
        return parts, g.slide_w, f"pistol slide with barrel and recoil spring, {g.length:.0f} mm"
    if name == "recoil spring":
        text = f"recoil spring {g.barrel_len - 20:.0f} mm on its guide rod"
        return gm.recoil_parts(g, rng), g.spring_d, text
    if name == "frame":
        parts, _ = gm.frame_parts(g, rng)
        return parts, g.width, f"{_FRAMES[g.frame_mat]} pistol frame {g.length:.0f} mm with trigger group"
    if name == "magazine":
        rounds = int(rng.integers(0, 18)) if rng.random() < 0.3 + 0.6 * t else 0
        parts, n = _magazine(g, rng, rounds)
        return (
            parts,
            g.mag_w,
            f"{g.cal.name} magazine with {n} rounds" if n else f"empty {g.cal.name} magazine",
        )
    if name == "striker":
        d = rng.uniform(3.5, 4.5)
        length = g.length * rng.uniform(0.28, 0.34)
        pin = Revolved(((-length / 2, 1.0), (-length / 2 + 2, d / 2), (length / 2, d / 2)))
        spring = Spring(length * 0.6, d + 2.2, 0.6, length * 0.6 / 1.6)
        parts = [Part(pin, "steel", pose(0, 0)), Part(spring, "steel", pose(0, d + 2.0))]
        return parts, d + 2.2, f"striker {length:.0f} mm and its spring"
    if name == "pins":
        n = int(rng.integers(2, 5))
        length, d = g.width - 2 * g.frame_wall, rng.uniform(2.8, 3.5)
        pins = [
            Part(Revolved(((-length / 2, d / 2), (length / 2, d / 2))), "steel", pose(0, k * (d + 2)))
            for k in range(n)
        ]
        return pins, d, f"{n} pistol pins"
    raise ValueError(name)  # pragma: no cover


def _rounds(g: Gun, rng: np.random.Generator, n: int) -> list[tuple[list[Part], float, str]]:
    """``n`` loose rounds, each a group of its own."""
    mat = pick(rng, ("brass", "steel"), (0.85, 0.15))
    return [(gm.cartridge(g.cal, 0.0, 0.0, 0.0, mat), g.cal.case, f"{g.cal.name} round") for _ in range(n)]


def _spread(
    room: Room, groups: list[tuple[list[Part], float, str]], rng: np.random.Generator
) -> tuple[list[Part], list[str]]:
    """Groups put in the room, largest first, where they fit: the parts placed and their names."""
    out: list[Part] = []
    names: list[str] = []
    for parts, thick, text in sorted(groups, key=lambda grp: -float(np.prod(spans(grp[0])))):
        placed = room.put(parts, thick, rng)
        if placed is not None:
            out += placed
            names.append(text)
    return out, names


def _summary(names: list[str]) -> str:
    counts = {x: names.count(x) for x in dict.fromkeys(names)}
    return ", ".join(f"{c} x {x}" if c > 1 else x for x, c in counts.items())


def _lengths(t: float, rng: np.random.Generator) -> list[float]:
    """Gun lengths to try, the preferred one first, then smaller ones down to a pocket pistol."""
    first = float(np.clip(size(150, 190, t, rng, 0.07), 130, 200))
    return [first] + [x for x in (first * 0.9, first * 0.8, 130.0) if 130 <= x < first]


def handgun(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """A pistol: one or two parts when subtle, the loaded, assembled gun when obvious."""
    seed = int(rng.integers(2**31))
    target = int(np.clip(round(3.2 * t + rng.normal(0, 0.45)), 0, 3))
    flip = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    lengths = _lengths(t, rng)
    for stage in range(target, 0, -1):
        for length in lengths:
            g = gm.sample_gun(np.random.default_rng(seed), length, depth)
            r = np.random.default_rng(seed + 1)
            if stage >= 2:
                if g.width > depth:
                    break
                rounds = int(r.integers(5, 18)) if stage == 3 else (0 if r.random() < 0.5 else None)
                parts, text = _assembled(g, r, rounds)
            else:
                parts, thick, text = _component(pick(r, ("upper", "frame"), (0.7, 0.3)), g, r, t)
                if thick > depth:
                    break
            fitted = fit_long(centred(parts, *flip), long, short)
            if fitted is not None:
                return fitted, f"{text}; {g.length:.0f} mm long, {g.width:.0f} mm thick", 10.0
    # A part or two on their own, the gun as small as it comes.
    g = gm.sample_gun(np.random.default_rng(seed), min(lengths[0], max(long, 130.0)), depth)
    names = ["barrel", "magazine", "recoil spring", "slide"]
    rng.shuffle(names)
    count = 1 if t < 0.2 or rng.random() < 0.5 else 2
    room = Room(long, short, depth)
    placed, got = [], []
    for name in names:
        if len(got) == count:
            break
        more, text = _spread(room, [_component(name, g, rng, t, short)], rng)
        placed, got = placed + more, got + text
    if not placed:
        raise ValueError(f"no pistol part fits a {long:.0f}x{short:.0f}x{depth:.1f} mm room")
    return placed, f"pistol parts: {_summary(got)}", 0.0


def gun_parts(long: float, short: float, depth: float, t: float, rng: np.random.Generator) -> Built:
    """A disassembled pistol: more and larger parts spread in the room as ``t`` grows."""
    length = float(np.clip(size(150, 190, t, rng, 0.07), 130, 200))
    g = gm.sample_gun(rng, min(length, max(long * 1.1, 130.0)), depth)
    pool = ["barrel", "slide", "recoil spring", "frame", "magazine", "rounds", "striker", "pins"]
    weights = np.array([1.0, 0.6 + t, 0.8, 0.4 + 0.6 * t, 0.6 + t, 0.6, 0.5, 0.5])
    n = int(np.clip(round(2 + 4 * t + rng.normal(0, 0.7)), 2, len(pool)))
    order = [
        pool[int(k)] for k in rng.choice(len(pool), size=len(pool), replace=False, p=weights / weights.sum())
    ]
    room = Room(long, short, depth)

    def groups(name: str) -> list[tuple[list[Part], float, str]]:
        if name == "rounds":
            return _rounds(g, rng, int(rng.integers(1, 3 + round(6 * t))))
        return [_component(name, g, rng, t, short)]

    parts, names = _spread(room, [grp for name in order[:n] for grp in groups(name)], rng)
    for name in order[n:]:  # too little fitted: fill up with what is left
        if len(names) >= 2:
            break
        more, got = _spread(room, groups(name), rng)
        parts, names = parts + more, names + got
    if not parts:
        raise ValueError(f"no pistol part fits a {long:.0f}x{short:.0f}x{depth:.1f} mm room")
    return parts, f"disassembled {g.cal.name} pistol: {_summary(names)}", 0.0
