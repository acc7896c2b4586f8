"""Tests for the scan loader: every supported layout, every bad input, pairs, atomic PNG writes."""

from __future__ import annotations

import os
import struct
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from screener_gui.core import io
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.io import (
    MAX_PIXELS,
    estimate_air_level,
    load_dual_energy,
    load_scan,
    save_png_atomic,
)
from screener_gui.core.scan_files import SCAN_EXTENSIONS, find_scans

AIR = 60000  # air level of real raw scanner data, uint16


def _grey_render(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    grey = np.rint(np.sqrt(high * low) * 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


@pytest.fixture
def render(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real false colour when its module is there; a grey stand-in while it is not."""
    try:
        import screener_gui.core.false_colour  # noqa: F401
    except ImportError:
        monkeypatch.setattr(io, "_render", _grey_render)


def _save(path: Path, array: np.ndarray, **kwargs: object) -> Path:
    Image.fromarray(array).save(path, **kwargs)
    return path


def _raw_channel(object_level: int, seed: int, shape: tuple[int, int] = (40, 50)) -> np.ndarray:
    """uint16 raw channel: air at AIR with detector noise, a block of material, a dense bar."""
    rng = np.random.default_rng(seed)
    values = rng.normal(AIR, 120, shape)
    values[5:30, 10:40] = rng.normal(object_level, 80, (25, 30))
    values[32:36, :] = 300  # nearly opaque metal
    return np.clip(np.rint(values), 0, 65535).astype(np.uint16)


def _pair(folder: Path, stem: str = "bag", ext: str = ".png") -> tuple[Path, Path]:
    high = _save(folder / f"{stem}_high{ext}", _raw_channel(30000, seed=1))
    low = _save(folder / f"{stem}_low{ext}", _raw_channel(15000, seed=2))
    return high, low


def _png_claiming_size(width: int, height: int) -> bytes:
    """A 4x4 PNG whose header is rewritten to claim another size (its pixel data then runs short)."""
    buffer = BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _expect_error(path: Path, phrase: str) -> ScanLoadError:
    with pytest.raises(ScanLoadError) as caught:
        load_scan(path)
    message = str(caught.value)
    assert path.name in message
    assert phrase in message
    return caught.value


# --- plain images -----------------------------------------------------------------------------


def test_rgb_png_round_trips_exactly(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (12, 17, 3), dtype=np.uint8)
    path = _save(tmp_path / "bag.png", rgb)
    scan = load_scan(path)
    np.testing.assert_array_equal(scan.rgb, rgb)
    assert scan.high is None and scan.low is None
    assert scan.source == str(path)


def test_rgba_is_composited_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 0)  # fully transparent: air, so white
    rgba[0, 1] = (10, 20, 30, 255)  # opaque: unchanged
    rgba[0, 2] = (0, 0, 0, 128)  # half transparent black: mid grey
    scan = load_scan(_save(tmp_path / "rgba.png", rgba))
    np.testing.assert_array_equal(scan.rgb[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(scan.rgb[0, 1], (10, 20, 30))
    np.testing.assert_allclose(scan.rgb[0, 2], 127, atol=1)


def test_grey_8bit_becomes_equal_channels(tmp_path: Path) -> None:
    grey = np.arange(60, dtype=np.uint8).reshape(6, 10) * 4
    scan = load_scan(_save(tmp_path / "grey.png", grey))
    for channel in range(3):
        np.testing.assert_array_equal(scan.rgb[..., channel], grey)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_grey_16bit_is_scaled_by_its_air_level(tmp_path: Path, ext: str) -> None:
    raw = np.full((20, 30), AIR, np.uint16)
    raw[5:10, 5:10] = AIR // 2
    scan = load_scan(_save(tmp_path / f"raw{ext}", raw))
    assert (scan.rgb[0, 0] == 255).all()  # air is white, not 60000/65535 = 91 % grey
    np.testing.assert_allclose(scan.rgb[7, 7], 127.5, atol=1)  # half transmission: half grey


def test_float_grey_tiff_is_scaled_by_its_air_level(tmp_path: Path) -> None:
    raw = np.full((8, 9), 0.8, np.float32)
    raw[2, 2] = 0.4
    tifffile.imwrite(tmp_path / "float.tif", raw)
    scan = load_scan(tmp_path / "float.tif")
    assert scan.rgb[0, 0, 0] == 255
    np.testing.assert_allclose(scan.rgb[2, 2], 127.5, atol=1)


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_rgb_16bit_tiff_keeps_its_colours(tmp_path: Path, byteorder: str) -> None:
    rgb16 = np.random.default_rng(1).integers(0, 65536, (7, 9, 3)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "rgb16.tif", rgb16, photometric="rgb", byteorder=byteorder)
    scan = load_scan(tmp_path / "rgb16.tif")
    np.testing.assert_allclose(scan.rgb, rgb16 / 65535 * 255, atol=0.51)


def test_rgba_tiff_is_composited_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0, 3] = 0
    tifffile.imwrite(tmp_path / "rgba.tif", rgba, photometric="rgb")
    scan = load_scan(tmp_path / "rgba.tif")
    np.testing.assert_array_equal(scan.rgb[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(scan.rgb[1, 1], (0, 0, 0))


def test_palette_png_gives_its_colours(tmp_path: Path) -> None:
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:, :3] = (255, 128, 0)  # orange organic
    rgb[:, 3:] = (0, 64, 255)  # blue metal
    path = tmp_path / "palette.png"
    Image.fromarray(rgb).quantize(colors=4).save(path)
    assert Image.open(path).mode == "P"
    np.testing.assert_array_equal(load_scan(path).rgb, rgb)


@pytest.mark.parametrize(
    ("name", "convert"),
    [
        ("one_bit.png", "1"),
        ("cmyk.jpg", "CMYK"),
        ("palette.tif", "P"),
        ("cmyk.tif", "CMYK"),
        ("grey.tif", "L"),
    ],
)
def test_other_pil_modes_load_as_rgb(tmp_path: Path, name: str, convert: str) -> None:
    rgb = np.full((16, 16, 3), 255, np.uint8)
    rgb[8:, :] = 0
    Image.fromarray(rgb).convert(convert).save(tmp_path / name)
    scan = load_scan(tmp_path / name)
    assert scan.rgb.shape == (16, 16, 3)
    np.testing.assert_allclose(scan.rgb[2, 2], (255, 255, 255), atol=3)
    np.testing.assert_allclose(scan.rgb[12, 12], (0, 0, 0), atol=3)


def test_grey_alpha_is_composited_over_white(tmp_path: Path) -> None:
    grey = np.zeros((4, 4), np.uint8)  # black everywhere...
    alpha = np.full((4, 4), 255, np.uint8)
    alpha[:2] = 0  # ...but the top half is transparent, so air
    _save(tmp_path / "la.png", np.dstack([grey, alpha]))
    scan = load_scan(tmp_path / "la.png")
    assert (scan.rgb[:2] == 255).all() and (scan.rgb[2:] == 0).all()


def test_bmp_round_trips_exactly(tmp_path: Path) -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(load_scan(_save(tmp_path / "bag.bmp", rgb)).rgb, rgb)


@pytest.mark.parametrize("ext", [".jpg", ".jpeg", ".JPG"])
def test_jpeg_loads_close_to_what_was_written(tmp_path: Path, ext: str) -> None:
    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[:, :16] = (240, 150, 40)
    rgb[:, 16:] = (40, 90, 220)
    scan = load_scan(_save(tmp_path / f"bag{ext}", rgb, quality=95))
    np.testing.assert_allclose(scan.rgb[4:-4, 4:12], rgb[4:-4, 4:12], atol=8)
    np.testing.assert_allclose(scan.rgb[4:-4, 20:28], rgb[4:-4, 20:28], atol=8)


def test_lzw_tiff_loads(tmp_path: Path) -> None:
    grey = np.arange(48, dtype=np.uint8).reshape(6, 8)
    scan = load_scan(_save(tmp_path / "lzw.tiff", grey, compression="tiff_lzw"))
    np.testing.assert_array_equal(scan.rgb[..., 1], grey)


# --- dual energy -----------------------------------------------------------------------------


def test_dual_energy_pair_gives_transmissions(tmp_path: Path, render: None) -> None:
    high_path, low_path = _pair(tmp_path)
    scan = load_dual_energy(high_path, low_path)
    assert scan.is_dual_energy and scan.source == str(high_path)
    assert scan.high.dtype == np.float32 and scan.high.shape == (40, 50)
    for channel, level in ((scan.high, 30000), (scan.low, 15000)):
        assert channel.min() > 0 and channel.max() <= 1
        np.testing.assert_allclose(np.median(channel[0:4]), 1.0, atol=0.01)  # air
        np.testing.assert_allclose(np.median(channel[5:30, 10:40]), level / AIR, rtol=0.01)
    assert (scan.rgb[0:3, 45:] >= 245).all()  # air renders white (noise aside)
    assert scan.rgb[33, 20].max() < 64  # metal bar renders dark


@pytest.mark.parametrize("which", ["high", "low"])
def test_pair_is_found_from_either_file(tmp_path: Path, render: None, which: str) -> None:
    high_path, low_path = _pair(tmp_path)
    scan = load_scan(high_path if which == "high" else low_path)
    assert scan.is_dual_energy and scan.source == str(high_path)


def test_pair_detection_ignores_case_and_extension(tmp_path: Path, render: None) -> None:
    _save(tmp_path / "Bag_HIGH.tif", _raw_channel(30000, seed=1))
    _save(tmp_path / "Bag_LOW.png", _raw_channel(15000, seed=2))
    scan = load_scan(tmp_path / "Bag_LOW.png")
    assert scan.is_dual_energy and scan.source == str(tmp_path / "Bag_HIGH.tif")


def test_lone_high_file_loads_as_plain_grey(tmp_path: Path) -> None:
    path = _save(tmp_path / "bag_high.png", _raw_channel(30000, seed=1))
    scan = load_scan(path)
    assert not scan.is_dual_energy
    assert (scan.rgb[0:4, :45] > 240).all()  # air white, by air level
    np.testing.assert_array_equal(scan.rgb[..., 0], scan.rgb[..., 2])


def test_8bit_rgba_channel_pairs_with_16bit_channel(tmp_path: Path, render: None) -> None:
    high_path = _save(tmp_path / "bag_high.png", _raw_channel(30000, seed=1))
    grey8 = np.full((40, 50), 250, np.uint8)
    grey8[5:30, 10:40] = 125
    rgba = np.dstack([grey8, grey8, grey8, np.full_like(grey8, 255)])
    low_path = _save(tmp_path / "bag_low.png", rgba)
    scan = load_dual_energy(high_path, low_path)
    np.testing.assert_allclose(scan.low[0, 0], 1.0)
    np.testing.assert_allclose(scan.low[10, 20], 0.5, rtol=0.01)


def test_mismatched_pair_names_both_sizes(tmp_path: Path) -> None:
    high = _save(tmp_path / "bag_high.png", np.full((8, 10), AIR, np.uint16))
    low = _save(tmp_path / "bag_low.png", np.full((8, 12), AIR, np.uint16))
    with pytest.raises(ScanLoadError, match="differs in size") as caught:
        load_scan(low)
    assert "bag_high.png is 10x8" in str(caught.value) and "bag_low.png is 12x8" in str(caught.value)
    with pytest.raises(ScanLoadError, match="differs in size"):
        load_dual_energy(high, low)


def test_all_black_raw_channel_is_an_error(tmp_path: Path) -> None:
    _save(tmp_path / "bag_high.png", _raw_channel(30000, seed=1))
    low = _save(tmp_path / "bag_low.png", np.zeros((40, 50), np.uint16))
    _expect_error(low, "entirely black")


# --- air level -------------------------------------------------------------------------------


@pytest.mark.parametrize("air_fraction", [0.9, 0.5, 0.1])
def test_air_level_is_found_within_one_percent(air_fraction: float) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(AIR, 250, 100_000)
    n_material = int(values.size * (1 - air_fraction))
    values[:n_material] = rng.uniform(200, 50000, n_material)
    values[-50:] = 65535  # a few hot pixels (0.05 %)
    raw = np.clip(values, 0, 65535).astype(np.uint16)
    assert estimate_air_level(raw) == pytest.approx(AIR, rel=0.01)


def test_air_level_of_black_image_is_refused() -> None:
    with pytest.raises(ValueError, match="no pixel value above 0"):
        estimate_air_level(np.zeros((4, 4), np.uint16))
    with pytest.raises(ValueError, match="no pixel values"):
        estimate_air_level(np.full(3, np.nan))


# --- bad input -------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    _expect_error(tmp_path / "nowhere.png", "does not exist")


def test_folder_is_not_a_scan(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()
    _expect_error(tmp_path / "folder.png", "is a folder")


def test_unsupported_extension_lists_supported_ones(tmp_path: Path) -> None:
    path = _save(tmp_path / "bag.gif", np.zeros((4, 4), np.uint8))
    error = _expect_error(path, "'.gif' files are not supported")
    assert all(ext in error.reason for ext in SCAN_EXTENSIONS)


@pytest.mark.parametrize("name", ["notes.png", "notes.tif", "notes.jpg"])
def test_text_file_renamed_as_image(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("these are not pixels\n" * 20)
    _expect_error(tmp_path / name, "not a readable image")


def test_tiff_magic_with_garbage_after_it(tmp_path: Path) -> None:
    (tmp_path / "broken.tif").write_bytes(b"II*\x00" + b"\xff" * 40)
    _expect_error(tmp_path / "broken.tif", "corrupt")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".bmp"])
def test_truncated_file(tmp_path: Path, ext: str) -> None:
    rgb = np.random.default_rng(4).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    path = _save(tmp_path / f"cut{ext}", rgb)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _expect_error(path, "truncated")


def test_zero_byte_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    _expect_error(tmp_path / "empty.png", "empty (0 bytes)")


def test_zero_size_tiff(tmp_path: Path) -> None:
    with pytest.warns(UserWarning):
        tifffile.imwrite(tmp_path / "nothing.tif", np.zeros((0, 0), np.uint8))
    _expect_error(tmp_path / "nothing.tif", "zero size")


def test_huge_image_is_refused_from_its_header(tmp_path: Path) -> None:
    # 9000 x 9000 claimed, no pixel data: "too large" (not "truncated") shows the size was
    # checked before decoding.
    assert MAX_PIXELS < 9000 * 9000
    (tmp_path / "huge.png").write_bytes(_png_claiming_size(9000, 9000))
    _expect_error(tmp_path / "huge.png", "too large")


def test_huge_tiff_is_refused_from_its_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(io, "MAX_PIXELS", 100)
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((20, 20), np.uint16))
    _expect_error(tmp_path / "big.tif", "too large")


@pytest.mark.parametrize("pil_limit", [60, 10])  # 100 px: PIL warns above its limit, fails above twice it
def test_pil_decompression_bomb_guard_becomes_scan_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pil_limit: int
) -> None:
    path = _save(tmp_path / "bomb.png", np.zeros((10, 10), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pil_limit)
    _expect_error(path, "too large")


def test_two_channel_tiff_is_refused(tmp_path: Path) -> None:
    tifffile.imwrite(
        tmp_path / "two.tif", np.zeros((6, 7, 2), np.uint8), photometric="minisblack", planarconfig="contig"
    )
    _expect_error(tmp_path / "two.tif", "2 channels per pixel")


@pytest.mark.parametrize(("shape", "count"), [((2, 3, 6, 7), 6), ((2, 6, 7), 2)])
def test_tiff_stack_is_refused(tmp_path: Path, shape: tuple, count: int) -> None:
    tifffile.imwrite(tmp_path / "stack.tif", np.zeros(shape, np.uint16), photometric="minisblack")
    _expect_error(tmp_path / "stack.tif", f"stack of {count} images")


def test_multipage_tiff_written_by_pil_is_refused(tmp_path: Path) -> None:
    pages = [Image.fromarray(np.full((6, 7), value, np.uint8)) for value in (10, 20)]
    pages[0].save(tmp_path / "pages.tif", save_all=True, append_images=pages[1:])
    _expect_error(tmp_path / "pages.tif", "stack of 2 images")


def test_complex_pixels_are_refused(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "complex.tif", np.ones((4, 5), np.complex64))
    _expect_error(tmp_path / "complex.tif", "pixel type (complex64)")


def test_black_16bit_grey_is_an_error(tmp_path: Path) -> None:
    path = _save(tmp_path / "black.png", np.zeros((5, 5), np.uint16))
    _expect_error(path, "entirely black")


# --- finding scans in a folder ---------------------------------------------------------------


def test_find_scans_lists_each_pair_once(tmp_path: Path) -> None:
    tiny = np.zeros((2, 2), np.uint8)
    for name in ["a_high.png", "a_low.png", "b.jpg", "c_low.png", "d_high.tif", "E_HIGH.png", "E_low.bmp"]:
        _save(tmp_path / name, tiny)
    for name in ["notes.txt", ".a.png.x1y2.tmp", "._b.jpg"]:
        (tmp_path / name).write_text("x")
    (tmp_path / "sub.png").mkdir()
    _save(tmp_path / "sub.png" / "inner.png", tiny)
    names = [path.name for path in find_scans(tmp_path)]
    assert names == ["E_HIGH.png", "a_high.png", "b.jpg", "c_low.png", "d_high.tif"]


def test_find_scans_in_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ScanLoadError, match="does not exist"):
        find_scans(tmp_path / "nowhere")


# --- atomic PNG writes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.uint8).reshape(3, 4),
        np.arange(36, dtype=np.uint8).reshape(3, 4, 3),
        (np.arange(12, dtype=np.uint16) * 5000).reshape(3, 4),
    ],
    ids=["grey8", "rgb8", "grey16"],
)
def test_save_png_atomic_round_trips(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "out.png"
    save_png_atomic(path, array)
    save_png_atomic(path, array, compress_level=9)  # replacing works too
    with Image.open(path) as image:
        np.testing.assert_array_equal(np.asarray(image), array)
    assert os.listdir(tmp_path) == ["out.png"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_save_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "labels.png"
    old = np.full((3, 3), 7, np.uint8)
    save_png_atomic(path, old)

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        save_png_atomic(path, np.zeros((3, 3), np.uint8))
    monkeypatch.undo()
    with Image.open(path) as image:
        np.testing.assert_array_equal(np.asarray(image), old)
    assert os.listdir(tmp_path) == ["labels.png"]


def test_save_png_atomic_refuses_other_arrays(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot save float32"):
        save_png_atomic(tmp_path / "x.png", np.zeros((2, 2), np.float32))
    assert not (tmp_path / "x.png").exists()


def test_a_tiff_with_a_long_page_chain_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    import tifffile

    path = tmp_path / "stack.tif"
    with tifffile.TiffWriter(path) as tif:  # 3000 separate pages, as a damaged chain can claim
        for _ in range(3000):
            tif.write(np.zeros((4, 4), np.uint8), contiguous=False)
    with pytest.raises(ScanLoadError, match="more than 64 images"):
        load_scan(path)
