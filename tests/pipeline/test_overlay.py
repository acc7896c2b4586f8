"""Overlays: red / green contours, heat map, object outlines, panels."""

from __future__ import annotations

import numpy as np
import pytest

from screener_gui.core.pipeline.overlay import (
    ANOMALY_RGB,
    BENIGN_RGB,
    HEAT_LUT,
    PALETTES,
    composite,
    contour_layer,
    contours,
    default_thickness,
    heat_layer,
    heatmap,
    outline_layer,
    outlines,
    side_by_side,
)

GREY = 128


@pytest.fixture
def scene() -> tuple[np.ndarray, np.ndarray]:
    """A grey scan with two side-by-side 40 x 40 superpixels."""
    rgb = np.full((60, 100, 3), GREY, np.uint8)
    labels = np.zeros((60, 100), np.int32)
    labels[10:50, 10:50] = 1
    labels[10:50, 50:90] = 2
    return rgb, labels


def _pixels_of(image: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    return (image == np.array(colour, np.uint8)).all(axis=2)


def test_anomaly_superpixels_get_red_borders_and_benign_green(scene):
    rgb, labels = scene
    out = contours(rgb, labels, np.array([1, 0], np.int8), thickness=2)
    red, green = _pixels_of(out, ANOMALY_RGB), _pixels_of(out, BENIGN_RGB)
    assert red.any() and green.any()
    assert (labels[red] == 1).all() and (labels[green] == 2).all()
    # The whole border of superpixel 1, two pixels wide, and nothing of its inside.
    assert red[10:50, 10:12].all() and red[10:50, 48:50].all() and red[10:12, 10:50].all()
    assert not red[12:48, 12:48].any()
    assert (out[labels == 0] == GREY).all()
    assert (rgb == GREY).all(), "the input changed"


def test_no_red_when_all_benign_and_nothing_when_hidden(scene):
    rgb, labels = scene
    benign = contours(rgb, labels, np.array([0, 0], np.int8))
    assert not _pixels_of(benign, ANOMALY_RGB).any()
    assert _pixels_of(benign, BENIGN_RGB).any()
    hidden = contours(rgb, labels, np.array([-1, -1], np.int8))
    assert np.array_equal(hidden, rgb)


def test_contours_need_a_state_per_superpixel(scene):
    rgb, labels = scene
    with pytest.raises(ValueError, match="states"):
        contours(rgb, labels, np.array([1], np.int8))


def test_contour_width_scales_with_the_scan():
    assert default_thickness((800, 1000, 3)) == 2
    assert default_thickness((1600, 2000)) == 4
    assert default_thickness((80, 100)) == 1


def test_heatmap_colours_only_where_heat_is_finite(scene):
    rgb, _ = scene
    heat = np.full(rgb.shape[:2], np.nan)
    heat[:, 50:] = np.linspace(0.0, 1.5, 50)  # beyond 1 is clipped
    out = heatmap(rgb, heat, alpha=0.5)
    assert np.array_equal(out[:, :50], rgb[:, :50])
    assert not (out[:, 50:] == GREY).all(axis=2).any()
    hot = np.round(0.5 * GREY + 0.5 * HEAT_LUT[255].astype(float)).astype(np.uint8)
    assert np.array_equal(out[0, -1], hot)
    assert np.array_equal(heatmap(rgb, heat, alpha=0.0), rgb)


def test_heat_colours_run_from_blue_through_yellow_to_red():
    assert HEAT_LUT.shape == (256, 3) and HEAT_LUT.dtype == np.uint8
    r, g, b = HEAT_LUT.astype(int).T
    assert b[0] > r[0] and b[0] > g[0]  # cold: blue
    yellow = HEAT_LUT[int(0.7 * 255)].astype(int)
    assert yellow[0] > 200 and yellow[1] > 200 and yellow[2] < 120
    assert r[255] > 150 and g[255] < 80 and b[255] < 80  # hot: red


def test_outlines_red_with_a_frame_when_alarmed_green_otherwise():
    rgb = np.full((100, 200, 3), GREY, np.uint8)
    alarmed = np.zeros((100, 200), bool)
    alarmed[30:70, 20:80] = True
    quiet = np.zeros((100, 200), bool)
    quiet[30:70, 120:180] = True
    out = outlines(rgb, [alarmed, quiet, np.zeros_like(quiet)], [True, False, True], width=3)
    red, green = _pixels_of(out, ANOMALY_RGB), _pixels_of(out, BENIGN_RGB)
    assert red[30:33, 20:80].all() and not red[33:67, 23:77].any()  # outline, inside untouched
    assert red[24:27, 14:86].all()  # the frame, 2 x width outside the box
    assert green[30:33, 120:180].all() and not green[:, :100].any()
    assert not red[:, 100:].any()
    with pytest.raises(ValueError, match="alarm"):
        outlines(rgb, [alarmed], [True, False])


def test_side_by_side_puts_white_gaps_between_panels():
    a = np.zeros((20, 30, 3), np.uint8)
    b = np.zeros((10, 40), np.uint8)
    out = side_by_side([a, b], gap=8)
    assert out.shape == (20, 30 + 8 + 40, 3) and out.dtype == np.uint8
    assert (out[:, 30:38] == 255).all()
    assert (out[5:15, 38:] == 0).all() and (out[:5, 38:] == 255).all()


def test_layers_are_transparent_off_their_lines_and_composite_to_the_drawn_overlays(scene):
    rgb, labels = scene
    states = np.array([1, 0])
    layer = contour_layer(labels, states, thickness=2)
    assert layer.shape == (60, 100, 4) and layer[0, 0, 3] == 0 and layer[30, 30, 3] == 0
    assert tuple(layer[30, 10]) == (*ANOMALY_RGB, 255) and tuple(layer[30, 89]) == (*BENIGN_RGB, 255)
    assert np.array_equal(composite(rgb, layer), contours(rgb, labels, states, thickness=2))
    masks, alarms = [labels == 1, labels == 2], [True, False]
    lines = outline_layer(rgb.shape[:2], masks, alarms, width=2)
    assert np.array_equal(composite(rgb, lines), outlines(rgb, masks, alarms, width=2))


def test_the_heat_layer_fades_with_the_evidence():
    heat = np.array([[np.nan, 0.0, 0.5, 1.0]], np.float32)
    layer = heat_layer(heat)
    assert list(layer[0, :, 3]) == [0, 0, 128, 255]
    assert tuple(layer[0, 3, :3]) == tuple(HEAT_LUT[255])


def test_the_colour_blind_palette_changes_only_the_colours(scene):
    _, labels = scene
    states = np.array([1, 0])
    red_green = contour_layer(labels, states, thickness=2)
    orange_blue = contour_layer(labels, states, thickness=2, palette="orange_blue")
    assert np.array_equal(red_green[..., 3], orange_blue[..., 3])
    assert tuple(orange_blue[30, 10, :3]) == PALETTES["orange_blue"][0]
    assert tuple(orange_blue[30, 89, :3]) == PALETTES["orange_blue"][1]
