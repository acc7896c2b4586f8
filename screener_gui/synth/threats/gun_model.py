"""A compact pistol seen from the side, drawn part by part from random proportions (mm).

The gun lies flat, the beam crossing it from side to side. Frame of reference: u along the bore
(muzzle towards +u, the slide's rear at u = 0), y up, the slide's bottom at y = 0; the frame and
its grip lie below. The slide's parts keep within the slide's width along the beam, the frame's
within the grip's: two side walls plus whatever lies between them, never two inner pieces over
one another (they are laid out in separate bands).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from screener_gui.synth.canvas import Part, part
from screener_gui.synth.items.item_shapes import Shell
from screener_gui.synth.shapes import Ellipse
from screener_gui.synth.threats.base import bezier, outline, pick, rect, revolved
from screener_gui.synth.threats.shapes import Spring


@dataclass(frozen=True)
class Calibre:
    """A pistol cartridge: bullet and case diameter, case length, overall length (mm)."""

    name: str
    bore: float
    case: float
    case_len: float
    oal: float


CALIBRES = (
    Calibre("9x19 mm", 9.0, 9.93, 19.15, 29.7),
    Calibre(".380 ACP", 9.0, 9.5, 17.3, 24.9),
    Calibre(".40 S&W", 10.2, 10.77, 21.6, 28.8),
    Calibre(".45 ACP", 11.5, 12.0, 22.8, 32.4),
)
SHEET_MM = 0.7
"""Steel sheet of a magazine body (mm)."""
BAR_MM = 1.5
"""Trigger bar, running beside the magazine's top (mm)."""


@dataclass(frozen=True)
class Gun:
    """Dimensions (mm) and materials of one pistol."""

    cal: Calibre
    length: float
    slide_h: float
    slide_w: float
    wall: float
    slide_mat: str
    barrel_len: float
    od: float
    spring_d: float
    frame_mat: str
    frame_wall: float
    mag_w: float
    double: bool
    grip_h: float
    angle: float
    dust_h: float
    guard_h: float
    guard_len: float
    grip_margin: float

    @property
    def width(self) -> float:
        """The assembled gun's thickness along the beam."""
        return max(self.slide_w, self.mag_w + 2 * self.frame_wall + BAR_MM)

    @property
    def mag_d(self) -> float:
        """Front-to-back size of the magazine body."""
        return self.cal.oal + 2 * SHEET_MM + 0.8

    @property
    def pitch(self) -> float:
        """Spacing of the rounds along the magazine (double stacks zigzag)."""
        return self.cal.case * (0.62 if self.double else 1.0) + 0.1

    @property
    def breech(self) -> float:
        """u of the barrel's breech end (the barrel ends at the muzzle, u = length - 0.5)."""
        return self.length - 0.5 - self.barrel_len

    @property
    def rows(self) -> tuple[float, float, float]:
        """y of the recoil spring's axis, the bore's axis and the solid top band's bottom."""
        ys = 0.5 + self.spring_d / 2
        yb = 0.5 + self.spring_d + 0.4 + self.od / 2
        return ys, yb, yb + self.od / 2 + 0.2


def sample_gun(rng: np.random.Generator, length: float, max_width: float) -> Gun:
    """A pistol ``length`` mm long whose parts are at most ``max_width`` thick where possible."""
    cals = [c for c in CALIBRES if c.case + 2.8 <= max_width - 0.1] or [CALIBRES[1]]
    cal = cals[int(rng.integers(len(cals)))]
    od = float(min(cal.case + rng.uniform(2.6, 3.8), max(max_width - 0.1, cal.case + 2.0)))
    scale = length / 180
    spring_d = rng.uniform(6.5, 8.5)
    frame_mat = pick(rng, ("gf_nylon", "aluminium", "steel"), (0.6, 0.25, 0.15))
    frame_wall = {"gf_nylon": rng.uniform(2.5, 3.5), "aluminium": rng.uniform(2.0, 3.0)}.get(
        frame_mat, rng.uniform(1.5, 2.5)
    )
    double = cal.case * 2 + 1.8 + 2 * frame_wall + BAR_MM <= min(max_width, 30.0) and rng.random() < 0.7
    mag_w = 2 * cal.case + 1.8 if double else cal.case + 1.6 + rng.uniform(0.2, 1.2)
    slide_w = float(np.clip(rng.uniform(20, 26), od + 4.5, max(max_width, od + 4.5)))
    wall = float(min(rng.uniform(3.0, 4.5), (slide_w - od - 1.0) / 2))
    ys_top = 0.5 + spring_d + 0.4 + od + 0.2
    return Gun(
        cal=cal,
        length=length,
        slide_h=float(max(length * rng.uniform(0.145, 0.165), ys_top + 2.0)),
        slide_w=slide_w,
        wall=wall,
        slide_mat=pick(rng, ("steel", "stainless"), (0.7, 0.3)),
        barrel_len=float(length * rng.uniform(0.53, 0.6)),
        od=od,
        spring_d=float(spring_d),
        frame_mat=frame_mat,
        frame_wall=float(frame_wall),
        mag_w=float(mag_w),
        double=bool(double),
        grip_h=float(length * rng.uniform(0.48, 0.56)),
        angle=float(rng.uniform(12, 22)),
        dust_h=float(max(10.5 * scale * rng.uniform(0.95, 1.15), 9.5)),
        guard_h=float(23 * scale * rng.uniform(0.9, 1.1)),
        guard_len=float(length * rng.uniform(0.19, 0.23)),
        grip_margin=float(rng.uniform(2.5, 4.5)),
    )


# --- the upper: slide, barrel, recoil spring ----------------------------------------------------


def slide_parts(g: Gun, rng: np.random.Generator) -> list[Part]:
    """Slide side walls (ejection port cut in the right one), solid top, breech block, striker."""
    L, h = g.length, g.slide_h
    inner = g.slide_w - 2 * g.wall
    _, yb, yt = g.rows
    cf, cr, cb = rng.uniform(3, 6), rng.uniform(1.5, 4), rng.uniform(0.5, 3)
    body = [(0, 0), (L - cb, 0), (L, cb), (L, h - cf), (L - 1.3 * cf, h), (cr, h), (0, h - cr)]
    p0, p1 = g.breech - 1.0, g.breech + g.cal.case_len + rng.uniform(6, 9)
    yp = yb + g.od * rng.uniform(0.0, 0.2)
    port = [*body[:5], (p1, h), (p1, yp), (p0, yp), (p0, h), *body[5:]]
    parts = [outline([body], g.wall, g.slide_mat), outline([port], g.wall, g.slide_mat)]
    top = h - 0.3
    parts.append(outline([rect(cr + 0.5, yt, p0, top)], inner, g.slide_mat))
    parts.append(outline([rect(p1, yt, L - 1.3 * cf - 0.5, top)], inner, g.slide_mat))
    striker = rng.uniform(3.5, 4.5)
    parts.append(outline([rect(1.0, 0.5, g.breech - 0.3, yt)], inner - striker, g.slide_mat))
    parts.append(revolved([(0, striker / 2), ((g.breech - 1.3) * 0.85, striker / 2)], [], "steel", 1.5, yb))
    return parts


def barrel_parts(g: Gun, rng: np.random.Generator, hood: float | None = None, lug: float | None = None):
    """The barrel (breech at u = :attr:`Gun.breech`, bore axis on its row) with hood and lug.

    ``hood`` and ``lug`` cap how far they reach above and below the tube (mm).
    """
    cal, od = g.cal, g.od
    _, yb, _ = g.rows
    om = od - rng.uniform(0.6, 1.5)
    chamber = cal.case_len + 2.0
    crown = min(0.6, (om - cal.bore) / 4)
    n = g.barrel_len
    outer = [(0, od / 2), (chamber, od / 2), (chamber + 3, om / 2), (n - 1, om / 2), (n, om / 2 - crown)]
    bore = [(0, cal.case / 2 + 0.05), (cal.case_len, cal.case / 2 + 0.05), (cal.case_len + 1.5, cal.bore / 2)]
    bore.append((n, cal.bore / 2))
    mat = pick(rng, ("steel", "stainless"), (0.6, 0.4))
    parts = [revolved(outer, bore, mat, g.breech, yb)]
    inner = g.slide_w - 2 * g.wall
    top = g.slide_h - 0.3 - (yb + od / 2) if hood is None else hood
    if top > 1.0:
        u1 = g.breech + cal.case_len + rng.uniform(3, 5.5)
        parts.append(outline([rect(g.breech, yb + od / 2, u1, yb + od / 2 + top)], min(od, inner), mat))
    low = yb - od / 2 - 0.5 if lug is None else lug
    if low > 1.0:
        u0, u1 = g.breech + 3, g.breech + 3 + rng.uniform(10, 15)
        y0, y1 = yb - od / 2 - low, yb - od / 2
        cam = [(u0 + 3, y0), (u1 - 1.5, y0), (u1, y1), (u0, y1)]
        parts.append(outline([cam], min(od * 0.8, inner), mat))
    return parts


def recoil_parts(g: Gun, rng: np.random.Generator) -> list[Part]:
    """Recoil spring on its guide rod under the barrel, from ahead of the lug to the muzzle."""
    ys, _, _ = g.rows
    d = g.spring_d
    u0, u1 = g.breech + 19.0, g.length - 1.5
    rod = rng.uniform(3.2, 4.2)
    flange = d - 0.4
    rod_mat = pick(rng, ("steel", "gf_nylon"), (0.6, 0.4))
    outer = [(0, flange / 2), (2.0, flange / 2), (2.1, rod / 2), (u1 - u0, rod / 2)]
    length = u1 - u0 - 2.5
    wire = rng.uniform(0.8, 1.1)
    spring = Spring(length, d, wire, length / rng.uniform(2.6, 4.0))
    return [revolved(outer, [], rod_mat, u0, ys), part(spring, "steel", u0 + 2.5 + length / 2, ys)]


# --- the lower: frame, trigger group, magazine --------------------------------------------------


class Grip:
    """Points of the tilted grip from its own axes: x forward across it, s down along it."""

    def __init__(self, g: Gun, rear: float) -> None:
        a = math.radians(g.angle)
        self.sin, self.cos, self.rear = math.sin(a), math.cos(a), rear
        self.depth = g.mag_d + 2 * g.grip_margin
        self.bottom = g.grip_h / self.cos

    def at(self, x: float, s: float) -> tuple[float, float]:
        return self.rear + x * self.cos - s * self.sin, -x * self.sin - s * self.cos

    def s_at(self, x: float, y: float) -> float:
        """Distance down the grip where the line at ``x`` across reaches height ``y``."""
        return (-y - x * self.sin) / self.cos


def frame_parts(g: Gun, rng: np.random.Generator) -> tuple[list[Part], Grip]:
    """Frame shell with its trigger guard, trigger, trigger bar, pins and locking block."""
    L, hd = g.length, g.dust_h
    grip = Grip(g, L * rng.uniform(0.0, 0.03))
    gd = grip.depth
    gf = grip.at(gd, grip.s_at(gd, -hd))[0] + g.guard_len  # guard front
    bottom = -hd - g.guard_h
    dust = L * rng.uniform(0.84, 0.93)
    back_top = grip.at(0, grip.s_at(0, -0.8 * hd))
    tail = rng.uniform(0, 6)
    pts = [(grip.rear, 0.0), (dust, 0.0), (dust, -hd + 1.5), (dust - 1.5, -hd), (gf + 2, -hd)]
    pts += [(gf, -hd - 0.55 * g.guard_h), (gf - 4, bottom), grip.at(gd, grip.s_at(gd, bottom))]
    if rng.random() < 0.5:  # finger ridges on the front strap
        s0, s1 = grip.s_at(gd, bottom), grip.bottom - 4
        for k in range(1, 4):
            s = s0 + (s1 - s0) * k / 4
            pts += [grip.at(gd, s - 3), grip.at(gd + 1.5, s - 1.5), grip.at(gd, s)]
    pts += [grip.at(gd, grip.bottom - 3), grip.at(gd - 2, grip.bottom), grip.at(0, grip.bottom)]
    pts += [back_top, (back_top[0] - tail, -0.4 * hd)]
    # Trigger guard opening.
    gw = rng.uniform(3.5, 5.0)
    h1, h0 = -hd - 1.0, bottom + gw
    rear1, rear0 = grip.at(gd, grip.s_at(gd, h1))[0] + 3, grip.at(gd, grip.s_at(gd, h0))[0] + 3
    hole = [(rear1, h1), (gf - gw + 0.5, h1), (gf - gw, h0 + 4), (gf - gw - 4, h0), (rear0, h0)]
    parts = [outline([pts, hole], 2 * g.frame_wall, g.frame_mat)]
    inner = g.width - 2 * g.frame_wall
    # The trigger bar from the trigger back beside the magazine, the locking block above the guard.
    block0 = gf - 1 - rng.uniform(10, 15)
    parts.append(outline([rect(block0, -hd + 1.0, gf - 1, -0.8)], inner, "steel"))
    bar0 = grip.at(0, grip.s_at(0, -2.4))[0] + rng.uniform(3, 8)
    parts.append(outline([rect(bar0, -3.6, min(rear1 + 10, block0 - 1), -1.2)], BAR_MM, "steel"))
    pin_d = rng.uniform(2.8, 3.5)
    for u in (rear1 + rng.uniform(2, 6), rear1 + rng.uniform(12, 16)):
        if u + pin_d / 2 < block0 - 0.5:
            parts.append(part(Ellipse(pin_d, pin_d, inner), "steel", u, -hd + 2.7))
    # Trigger: a curved blade hanging in the guard opening.
    width = rng.uniform(4.0, 6.0)
    room = gf - gw - rear1
    uc = rear1 + 0.5 + width / 2 + room * rng.uniform(0.15, 0.3)
    drop = (h1 - h0) * rng.uniform(0.55, 0.7)
    line = bezier((uc, h1 - 0.3), (uc + rng.uniform(2, 4), h1 - drop * 0.6), (uc + 0.5, h1 - drop), 6)
    shape = [(x + width / 2, y) for x, y in line] + [(x - width / 2, y) for x, y in reversed(line)]
    mat = pick(rng, ("steel", "gf_nylon"))
    parts.append(outline([shape], min(rng.uniform(5, 7), g.width), mat))
    return parts, grip


def magazine_parts(g: Gun, length: float, rounds: int, rng: np.random.Generator) -> tuple[list[Part], int]:
    """A magazine body ``length`` mm long (local frame: x across, y along, top at +y, centred),
    its floor plate below, loaded with up to ``rounds`` rounds, follower and spring."""
    md, mw = g.mag_d, g.mag_w
    parts = [part(Shell(md, length, 2 * SHEET_MM, 1.5, SHEET_MM, mw - 2 * SHEET_MM), "steel")]
    plate_mat = pick(rng, ("gf_nylon", "steel"), (0.6, 0.4))
    ph = 4.0 if plate_mat == "gf_nylon" else 1.2
    plate = [(-md / 2 - 0.5, -length / 2 - ph), (md / 2 + 1.5, -length / 2 - ph)]
    plate += [(md / 2 + 1.5, -length / 2 - 0.05), (-md / 2 - 0.5, -length / 2 - 0.05)]
    parts.append(outline([plate], mw * (0.9 if plate_mat == "gf_nylon" else 1.0), plate_mat))
    cal = g.cal
    top = length / 2 - 1.5 - cal.case / 2
    room = length - 1.5 - cal.case - 7.5 - 10.0  # follower and a fully compressed spring below
    count = int(min(rounds, max(room // g.pitch + 1, 0)))
    case_mat = pick(rng, ("brass", "steel"), (0.85, 0.15))
    for k in range(count):
        parts += cartridge(cal, -cal.oal / 2, top - k * g.pitch, 0.0, case_mat)
    low = top - (count - 1) * g.pitch - cal.case / 2 - 0.5 if count else length / 2 - 1.5
    inside = mw - 2 * SHEET_MM - 0.3
    parts.append(outline([rect(-md / 2 + 1.2, low - 7, md / 2 - 1.2, low)], inside * 0.8, "gf_nylon"))
    floor = -length / 2 + SHEET_MM + 0.3
    spring_len = low - 7.2 - floor
    if spring_len > 4:
        spring = Spring(spring_len, md - 4, rng.uniform(1.0, 1.3), spring_len / rng.uniform(5, 9))
        parts.append(part(spring, "steel", 0.0, floor + spring_len / 2, 90.0))
    return parts, count


def cartridge(cal: Calibre, x: float, y: float, angle: float, case_mat: str = "brass") -> list[Part]:
    """One round lying along ``angle`` with its base at (x, y): case, jacketed lead bullet."""
    r, cl = cal.case / 2, cal.case_len
    outer = [(0, r), (1.0, r), (1.05, r - 0.6), (1.9, r - 0.6), (2.6, r), (cl, r - 0.08)]
    bore = [(2.6, r - 0.38), (cl, r - 0.38)]
    rb, seated = cal.bore / 2, min(cal.bore / 2, r - 0.4)
    seat = cl - 6.0
    nose = cl + 1.5
    tip = rb * 0.35
    ogive = [
        (nose + (cal.oal - nose) * s, max(rb * math.sqrt(max(1 - s * s, 0)), tip))
        for s in (0.3, 0.55, 0.75, 0.9)
    ]
    bullet = [(seat, seated), (cl, seated), (cl + 0.3, rb), (nose, rb), *ogive, (cal.oal, tip)]
    # The jacket's closed tip: the lead core stops short of it by more than half a pixel.
    hollow = [(u, rr - 0.4) for u, rr in bullet[:-1]] + [(cal.oal - 0.6, max(tip - 0.4, 0.2))]
    end = cal.oal - 1.2
    core = [(u, rr) for u, rr in hollow if u < end] + [
        (end, float(np.interp(end, *zip(*hollow, strict=True))))
    ]
    pose_args = (x, y, angle)
    return [
        revolved(outer, bore, case_mat, *pose_args),
        revolved(bullet, hollow, "copper", *pose_args),
        revolved(core, [], "lead", *pose_args),
    ]
