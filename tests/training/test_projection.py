"""Threat image projection: physically ordered transmissions, objects kept inside the item,
labels that follow the colour change, and training windows that hold projected objects."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from screener_gui.core.false_colour import render_dual_energy
from screener_gui.core.physics import default_scanner
from screener_gui.core.training import projection
from screener_gui.core.training.item_cache import IGNORE
from screener_gui.core.training.projection import SHAPES, _draw_shape, object_transmissions, project


def _item(size: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square window holding a flat item (1 mm steel-ish grey: T ~ 0.6) on air."""
    item = np.zeros((size, size), bool)
    item[16:-16, 16:-16] = True
    high = np.where(item, 0.6, 1.0).astype(np.float32)
    low = np.where(item, 0.45, 1.0).astype(np.float32)
    return high, low, item


def test_thicker_and_denser_objects_transmit_less_and_metal_darkens_the_low_channel_more():
    scanner = default_scanner()
    thin = object_transmissions(np.full((8, 8), 1.0, np.float32), "steel", scanner)
    thick = object_transmissions(np.full((8, 8), 4.0, np.float32), "steel", scanner)
    aluminium = object_transmissions(np.full((8, 8), 1.0, np.float32), "aluminium", scanner)
    organic = object_transmissions(np.full((8, 8), 10.0, np.float32), "plastic_explosive", scanner)
    assert thick[0].mean() < thin[0].mean() < aluminium[0].mean() < 1.0
    # Low energy is absorbed more, and more so for metal than for an organic of like attenuation.
    ratio_steel = np.log(thin[1].mean()) / np.log(thin[0].mean())
    ratio_organic = np.log(organic[1].mean()) / np.log(organic[0].mean())
    assert ratio_steel > ratio_organic > 1.0
    nothing = object_transmissions(np.zeros((8, 8), np.float32), "steel", scanner)
    assert np.allclose(nothing[0], 1.0) and np.allclose(nothing[1], 1.0)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_draws_something_inside_its_box(shape):
    rng = np.random.default_rng(1)
    for _ in range(5):
        mask = _draw_shape(shape, 120, rng)
        assert mask.shape == (120, 120) and mask.sum() >= 4
        assert not mask[0].any() and not mask[-1].any()


def test_projected_objects_lie_in_the_item_and_are_labelled_by_how_much_they_change_the_colour():
    high, low, item = _item()
    target = np.zeros(item.shape, np.uint8)
    rgb = render_dual_energy(high, low)
    rng = np.random.default_rng(0)
    seen_visible = seen_faint = 0
    for _ in range(30):
        projected = project(rgb, high, low, item, target, rng, min_delta_e=5.0)
        assert projected is not None
        changed = (projected.target != 0) & (projected.target != IGNORE)
        assert projected.rgb.shape == (*item.shape, 3) and projected.rgb.dtype == np.uint8
        assert not (projected.target[~item] == 1).any(), "an object was drawn outside its item"
        if projected.delta_e >= 5.0:
            seen_visible += 1
            assert changed.sum() >= 12
            # The colour changes where the object lies, not elsewhere in the window.
            far = ~ndimage.binary_dilation(projected.target != 0, iterations=4)
            assert (projected.rgb[far] == rgb[far]).all()
            # Where it changed, the colours are those of rendering the whole window with the object.
            assert np.abs(projected.rgb[~far].astype(int) - rgb[~far]).max() > 20
        else:
            seen_faint += 1
            assert not changed.any() and (projected.target == IGNORE).any()
    assert seen_visible >= 10 and seen_faint >= 1


def test_an_item_too_small_to_hold_an_object_gets_none():
    high, low, _ = _item(32)
    item = np.zeros((32, 32), bool)
    item[10:12, 10:12] = True
    rgb = render_dual_energy(high, low)
    nothing = project(
        rgb, high, low, item, np.zeros((32, 32), np.uint8), np.random.default_rng(0), min_delta_e=5
    )
    assert nothing is None


def test_composite_objects_join_parts_of_other_materials_and_hold_small_metal_parts():
    body = np.zeros((160, 160), bool)
    body[50:110, 30:130] = True  # a steel slab
    rng = np.random.default_rng(2)
    joined = inside = 0
    for _ in range(40):
        parts = projection._attachments(body, "steel", rng)
        assert parts
        for mask, (name, mm) in parts:
            assert mask.any() and mm > 0
            if (mask & ~body).any():  # a part joined at the edge, reaching out of the body
                joined += 1
                assert projection._group(name) != "metal"
                assert (ndimage.binary_dilation(mask) & body).any(), "a handle that does not touch"
            else:  # pins and screws over the body
                inside += 1
                assert projection._group(name) == "metal" and mask.sum() < body.sum() / 4
    assert joined >= 10 and inside >= 10


def test_composites_are_projected_whole_into_the_item():
    high, low, item = _item(160)
    rgb = render_dual_energy(high, low)
    rng = np.random.default_rng(3)
    for _ in range(15):
        projected = project(
            rgb, high, low, item, np.zeros(item.shape, np.uint8), rng, min_delta_e=2.0, composite_share=1.0
        )
        materials = projected.material.split("+")
        assert projected.shape.endswith("composite") and len(set(materials)) == len(materials) >= 2
        assert not (projected.target[~item] == 1).any()
