"""Electronics item builders, one module per class, each with ``build(rng) -> Item``.

Items are built in their own frame (origin at the centre, mm) as they lie flat on the belt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from screener_gui.synth.item import Item
from screener_gui.synth.items import camera, hard_drive, laptop, phone, power_bank, tablet

CATEGORIES: tuple[str, ...] = ("laptop", "tablet", "phone", "hard_drive", "power_bank", "camera")

_BUILDERS: dict[str, Callable[[np.random.Generator], Item]] = {
    "laptop": laptop.build,
    "tablet": tablet.build,
    "phone": phone.build,
    "hard_drive": hard_drive.build,
    "power_bank": power_bank.build,
    "camera": camera.build,
}

# How often each class turns up in a bag: laptops are what the paper screens most.
_WEIGHTS = np.array([0.40, 0.14, 0.16, 0.08, 0.12, 0.10])


def build_item(category: str, rng: np.random.Generator) -> Item:
    """A random item of ``category`` (one of :data:`CATEGORIES`), deterministic for a given ``rng`` state."""
    try:
        builder = _BUILDERS[category]
    except KeyError:
        raise ValueError(f"unknown item category {category!r}; known: {', '.join(CATEGORIES)}") from None
    return builder(rng)


def random_category(rng: np.random.Generator) -> str:
    """A category drawn with the bag frequencies (laptops 40 %)."""
    return CATEGORIES[int(rng.choice(len(CATEGORIES), p=_WEIGHTS / _WEIGHTS.sum()))]
