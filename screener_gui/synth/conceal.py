"""Hide anomalies in items so that each shows the visibility its subtlety asks for.

An anomaly goes into a free cavity or takes the place of a component (a :class:`Slot`): a bay
emptied and used as a cavity, or the cores of battery cells refilled in place. Its ``subtlety``
sets a target colour difference (:func:`~screener_gui.synth.visibility.target_delta_e`); the
builder's ``shrink`` is searched by bisection, each candidate measured noise-free in the
finished scene (:class:`~screener_gui.synth.visibility.Neighbourhood`). When no size of that kind
reaches the target where it is, another place and kind are drawn (a *redraw*); after
:data:`MAX_DRAWS` the item stays clean (*dropped*). Both are counted in the dataset manifest:
nothing is capped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screener_gui.core.physics import Scanner
from screener_gui.synth.anomalies import FILLED_CELLS, build_anomaly, fits, random_anomaly_kind
from screener_gui.synth.canvas import Canvas, Part, pose
from screener_gui.synth.item import Anomaly, Cavity, Item, Slot
from screener_gui.synth.items.item_shapes import Scaled
from screener_gui.synth.shapes import Box
from screener_gui.synth.visibility import (
    Neighbourhood,
    Visibility,
    on_target,
    target_delta_e,
    window_around,
)

MAX_DRAWS = 10
"""Places and kinds tried for one anomaly before the item is left clean."""
BISECTION_STEPS = 6
"""Measurements of ``shrink`` after the two ends, per draw."""
SLOT_SHARE = 0.3
"""Probability that an item with replaceable components hides its anomaly in one of them."""
REFILL_SHARE = 0.4
"""Probability that a slot with refillable cores gets them refilled (else it is emptied as a bay)."""

_FILLS = (("plastic_explosive", 0.4), ("tnt", 0.15), ("powder", 0.25), ("black_powder", 0.2))


@dataclass
class Tally:
    """Counts of a generation run: draws that missed their target, anomalies given up."""

    redraws: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class Concealed:
    """An anomaly built and measured in its host.

    Attributes:
        anomaly: Its kind, description and parts in the host item's frame.
        removed: Parts of the host (item frame) that it replaces; empty in a free cavity.
        concealment: ``"cavity"`` or ``"replaced:<slot name>"``.
        visibility: What it changes in the scan, measured noise-free.
    """

    anomaly: Anomaly
    removed: tuple[Part, ...]
    concealment: str
    visibility: Visibility


@dataclass(frozen=True)
class _Place:
    cavity: Cavity
    slot: Slot | None
    refill: bool


def conceal(
    item: Item,
    transform: np.ndarray,
    canvas: Canvas,
    host: int,
    subtlety: float,
    rng: np.random.Generator,
    scanner: Scanner,
    tally: Tally,
) -> Concealed | None:
    """An anomaly hidden in ``item`` (placed by ``transform`` on ``canvas``) at ``subtlety``.

    ``canvas`` must hold the finished scene without any anomaly, the item intact.
    Returns None (and counts a drop) when no place and kind reach the target.
    """
    target = target_delta_e(subtlety)
    for draw in range(MAX_DRAWS):
        # Thick organics need a replaced component's room: after three misses, prefer the slots.
        place = _draw_place(item, rng, prefer_slots=draw >= 3 and target > 10)
        kind = FILLED_CELLS if place is not None and place.refill else _draw_kind(place, rng)
        if place is None or kind is None:
            continue
        trial = _Trial(transform, canvas, host, place, kind, int(rng.integers(2**63)), scanner)
        found = _search(trial, target)
        if found is not None:
            tally.redraws += draw
            return found
    tally.redraws += MAX_DRAWS - 1
    tally.dropped += 1
    return None


def _draw_place(item: Item, rng: np.random.Generator, *, prefer_slots: bool) -> _Place | None:
    share = 0.6 if prefer_slots else SLOT_SHARE
    if item.slots and (not item.cavities or rng.random() < share):
        slot = item.slots[int(rng.integers(len(item.slots)))]
        return _Place(slot.room, slot, bool(slot.cores) and rng.random() < REFILL_SHARE)
    if not item.cavities:
        return None
    return _Place(item.cavities[int(rng.integers(len(item.cavities)))], None, False)


def _draw_kind(place: _Place | None, rng: np.random.Generator) -> str | None:
    if place is None:
        return None
    for _ in range(8):
        kind = random_anomaly_kind(rng)
        if fits(kind, place.cavity):
            return kind
    return None


class _Trial:
    """Builds one kind in one place at any ``shrink`` (same random choices) and measures it."""

    def __init__(
        self,
        transform: np.ndarray,
        canvas: Canvas,
        host: int,
        place: _Place,
        kind: str,
        seed: int,
        scanner: Scanner,
    ) -> None:
        self.transform, self.place, self.kind, self.seed = transform, place, kind, seed
        cavity = place.cavity
        room = Part(
            Box(cavity.width_mm, cavity.height_mm, 1.0),
            "air",
            transform @ pose(cavity.x_mm, cavity.y_mm, cavity.angle_deg),
        )
        slot_parts = tuple(p.moved(transform) for p in place.slot.parts) if place.slot else ()
        self.around = Neighbourhood(canvas, host, window_around((room, *slot_parts), canvas), scanner)

    def build(self, shrink: float) -> tuple[Anomaly, tuple[Part, ...]]:
        """The anomaly (item frame) at ``shrink`` and the host parts it takes the place of."""
        rng = np.random.default_rng(self.seed)
        place = self.place
        if place.refill:
            return _refill(place.slot, shrink, rng)
        anomaly = build_anomaly(self.kind, place.cavity, rng, shrink)
        return anomaly, place.slot.parts if place.slot else ()

    def __call__(self, shrink: float, target: float) -> Concealed | None:
        """The anomaly at ``shrink``, measured; None when none of it lies in its host's footprint."""
        anomaly, removed = self.build(shrink)
        try:
            visibility, _ = self.around.measure(
                [p.moved(self.transform) for p in anomaly.parts],
                [p.moved(self.transform) for p in removed],
                target,
            )
        except ValueError:
            return None
        concealment = f"replaced:{self.place.slot.name}" if self.place.slot else "cavity"
        return Concealed(anomaly, removed, concealment, visibility)


def _search(trial: _Trial, target: float) -> Concealed | None:
    """Bisect ``shrink`` until the build's ΔE is on target; None when the target is out of reach."""
    largest, smallest = trial(0.0, target), trial(1.0, target)
    if largest is None or smallest is None:
        return None
    for end in (largest, smallest):
        if on_target(end.visibility.delta_e, target):
            return end
    if largest.visibility.delta_e < target or smallest.visibility.delta_e > target:
        return None
    lo, hi = 0.0, 1.0  # ΔE at lo above the target, at hi below
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        found = trial(mid, target)
        if found is None:
            return None
        if on_target(found.visibility.delta_e, target):
            return found
        lo, hi = (mid, hi) if found.visibility.delta_e > target else (lo, mid)
    return None


def plant(
    item: Item,
    transform: np.ndarray,
    canvas: Canvas,
    host: int,
    kind: str,
    shrink: float,
    slot: str | None,
    rng: np.random.Generator,
    scanner: Scanner,
) -> Concealed:
    """An anomaly of ``kind`` built at ``shrink`` in the largest cavity or in place of ``slot``.

    Raises:
        ValueError: No such slot, no cores to refill, or the kind does not fit.
    """
    if slot is not None:
        named = [s for s in item.slots if s.name == slot]
        if not named:
            have = ", ".join(s.name for s in item.slots) or "none"
            raise ValueError(f"a {item.category} has no slot {slot!r} (it has: {have})")
        place = _Place(named[0].room, named[0], kind == FILLED_CELLS)
    elif kind == FILLED_CELLS:
        raise ValueError(f"{FILLED_CELLS} needs a slot with cells to refill")
    else:
        place = _Place(max(item.cavities, key=lambda c: c.width_mm * c.height_mm), None, False)
    if place.refill and not place.slot.cores:
        raise ValueError(f"the {item.category}'s {slot} has no cores to refill")
    if not place.refill and not fits(kind, place.cavity):
        raise ValueError(f"{kind} does not fit the {item.category}'s {slot or 'largest cavity'}")
    trial = _Trial(transform, canvas, host, place, kind, int(rng.integers(2**63)), scanner)
    found = trial(shrink, 0.0)
    if found is None:
        raise ValueError(f"the {kind} lies outside the {item.category}")
    return found


def _refill(slot: Slot, shrink: float, rng: np.random.Generator) -> tuple[Anomaly, tuple[Part, ...]]:
    """Some or all of a slot's cores emptied and refilled with an explosive or a powder.

    ``shrink`` sets how much of each core is replaced (all of it at 0, 10 % at 1); how many
    cores are refilled is drawn once (all of them half the time).
    """
    names, weights = zip(*_FILLS, strict=True)
    fill = str(rng.choice(names, p=np.array(weights) / sum(weights)))
    cores = list(slot.cores)
    n = len(cores) if rng.random() < 0.5 else int(rng.integers(1, len(cores) + 1))
    chosen = [cores[i] for i in sorted(rng.choice(len(cores), size=n, replace=False))]
    share = 1.0 - 0.9 * shrink
    parts: list[Part] = []
    for core in chosen:
        if share < 1.0:
            parts.append(Part(Scaled(core.shape, 1.0 - share), core.material, core.transform))
        parts.append(Part(Scaled(core.shape, share), fill, core.transform))
    text = f"{n} of {len(cores)} {slot.name.replace('_', ' ')} refilled {share:.0%} with {fill}"
    return Anomaly(FILLED_CELLS, text, tuple(parts)), tuple(chosen)
