"""Reading scans (the one scan loader) and writing PNGs atomically.

Whatever is wrong with a file comes back as a :class:`ScanLoadError` naming the file and the
problem, never as a decoder's traceback, so the queue can move on. White is air. Grey beyond
8 bit is scaled by its own air level, not by its type's maximum: scanners put air well below
it (about 60000 of 65535 in real data). Multi-page TIFF stacks are refused, not shown one page
at a time: a stack is often a high / low pair, and its first page alone would pass for a scan.
"""

from __future__ import annotations

import os
import re
import struct
import warnings
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from screener_gui.core.atomic import write_bytes_atomic
from screener_gui.core.errors import ScanLoadError
from screener_gui.core.png import encode_png
from screener_gui.core.scan import Scan

SCAN_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
MAX_PIXELS: int = 80_000_000  # larger is no bag scan; refused from the header, before decoding

_MIN_TRANSMISSION = 1.0 / 65535.0  # keeps ln(T) finite where nothing got through
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
SUPERPIXELS_SUFFIX = ".superpixels.png"  # an annotator's superpixel map beside its scan
ENERGY_STEM = re.compile(r"(?P<base>.+)_(?P<energy>high|low)", re.IGNORECASE)
# Decoders report damaged data with a grab bag of exception types; all of them mean the same
# thing to the person at the screen.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error, zlib.error)
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601, as PIL's "L" conversion


def load_scan(path: str | os.PathLike[str]) -> Scan:
    """Load a plain image, or either file of a dual-energy pair.

    A stem ending in ``_high`` / ``_low`` (any case) whose partner exists (same extension
    first, then any of :data:`SCAN_EXTENSIONS`) goes to :func:`load_dual_energy`; without a
    partner the file is a plain image (a lone ``*_high.png`` is legitimate). Plain images: RGB,
    RGBA (over white), grey 8 / 16 bit / float, grey + alpha, palette, 1-bit, CMYK, 16-bit RGB.

    Returns:
        The scan (``high`` / ``low`` only for a pair); ``source`` is the path (the ``_high`` one).

    Raises:
        ScanLoadError: Missing, not an image, truncated, empty, too large, or not a scan layout.
    """
    path = Path(path)
    _check_scan_file(path)
    pair = dual_energy_pair(path)
    if pair is not None:
        return load_dual_energy(*pair)
    return Scan(rgb=_to_rgb8(_read_pixels(path), path), source=str(path))


def load_dual_energy(high_path: str | os.PathLike[str], low_path: str | os.PathLike[str]) -> Scan:
    """Load two raw grey images (8 / 16 bit) as transmissions plus their false colour.

    An RGB / RGBA file gives its luminance (RGBA over white). Each channel becomes
    ``T = clip(value / air, 1/65535, 1)`` (float32) with its own :func:`estimate_air_level`.

    Raises:
        ScanLoadError: Either file cannot be loaded or is entirely black, or the sizes differ.
    """
    high_path, low_path = Path(high_path), Path(low_path)
    _check_scan_file(high_path)
    _check_scan_file(low_path)
    high_raw = _grey_channel(_read_pixels(high_path), high_path)
    low_raw = _grey_channel(_read_pixels(low_path), low_path)
    if high_raw.shape != low_raw.shape:
        raise ScanLoadError(
            high_path,
            f"the dual-energy pair differs in size: {high_path.name} is {_size(high_raw)} pixels "
            f"but {low_path.name} is {_size(low_raw)} pixels",
        )
    high = _transmission(high_raw, high_path)
    low = _transmission(low_raw, low_path)
    return Scan(rgb=_render(high, low), high=high, low=low, source=str(high_path))


def estimate_air_level(values: np.ndarray) -> float:
    """Air (no attenuation) level of a raw grey image, in its own units (e.g. ~60000 of uint16).

    Rule: ``p`` = 99.9th percentile of the finite values; air = median of the values
    ``>= 0.98 * p``. The percentile ignores a few hot pixels; the median of that bright band
    sits on the air plateau (noise included) when there is air, and on the brightest material
    when there is none, so objects are then rendered a little too bright, never too dark.

    Returns:
        The air level, always > 0.

    Raises:
        ValueError: No value is above 0 (an empty or entirely black image).
    """
    values = np.asarray(values).ravel()
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no pixel values")
    top = float(np.percentile(values, 99.9))
    if not top > 0:
        raise ValueError("no pixel value above 0")
    return float(np.median(values[values >= 0.98 * top]))


def expand_scan_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given; folders searched recursively for scans (:func:`find_scans` in each)."""
    out: list[Path] = []
    for root in map(Path, paths):
        if root.is_dir():
            folders = sorted(
                {root, *(p.parent for p in root.rglob("*") if p.suffix.lower() in SCAN_EXTENSIONS)}
            )
            out += [p for folder in folders for p in find_scans(folder)]
        else:
            out.append(root)
    return out


def find_scans(folder: str | os.PathLike[str]) -> list[Path]:
    """The scan files directly inside a folder, sorted by name.

    A dual-energy pair is listed once, as its ``_high`` file; a ``_low`` file without a
    ``_high`` partner is listed (it loads as a plain grey image). Hidden files (names starting
    with ".", such as macOS "._" files or :func:`save_png_atomic`'s temporary files) are skipped.

    Raises:
        ScanLoadError: The folder does not exist or is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ScanLoadError(folder, "it is not a folder" if folder.exists() else "the folder does not exist")
    scans = []
    for path in sorted(folder.iterdir()):
        if not is_scan_name(path.name) or not path.is_file():
            continue
        pair = dual_energy_pair(path)
        if pair is None or pair[0] == path:
            scans.append(path)
    return scans


def is_scan_name(name: str) -> bool:
    """True for a file name a scan can have: an image extension, not hidden, and not an
    annotator's superpixel map (``<scan>.superpixels.png``, see docs/label_format.md)."""
    lower = name.lower()
    return (
        not name.startswith(".")
        and Path(lower).suffix in SCAN_EXTENSIONS
        and not lower.endswith(SUPERPIXELS_SUFFIX)
    )


def save_png_atomic(path: str | os.PathLike[str], array: np.ndarray, *, compress_level: int = 1) -> None:
    """Write uint8 (H, W) / (H, W, 3) or uint16 (H, W) as PNG: ``path`` is old or complete, never half.

    A hidden temporary file in the same folder is written, fsynced and renamed over ``path``.
    A replaced file keeps its permissions; a new one gets 0o644. ``compress_level``: zlib 0-9.

    Raises:
        ValueError: ``array`` has another dtype or shape.
        OSError: The file cannot be written (the old one is then untouched).
    """
    write_bytes_atomic(path, encode_png(array, compress_level))


def _render(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    # Imported on use: false colour pulls in the physics calibration, which plain images and
    # tools that only list or save files do not need.
    from screener_gui.core.false_colour import render_dual_energy

    return render_dual_energy(high, low)


def _check_scan_file(path: Path) -> None:
    if not path.exists():
        raise ScanLoadError(path, "the file does not exist")
    if path.is_dir():
        raise ScanLoadError(path, "it is a folder, not an image file")
    if path.suffix.lower() not in SCAN_EXTENSIONS:
        supported = ", ".join(SCAN_EXTENSIONS)
        raise ScanLoadError(
            path, f"'{path.suffix}' files are not supported; scans must be one of {supported}"
        )
    if path.stat().st_size == 0:
        raise ScanLoadError(path, "the file is empty (0 bytes)")


def dual_energy_pair(path: Path) -> tuple[Path, Path] | None:
    """(high, low) when ``path`` is one half of a pair whose other half exists, else None."""
    match = ENERGY_STEM.fullmatch(path.stem)
    if match is None:
        return None
    other = "low" if match["energy"].lower() == "high" else "high"
    suffixes = dict.fromkeys([path.suffix, *SCAN_EXTENSIONS, *(s.upper() for s in SCAN_EXTENSIONS)])
    for word in (other, other.upper(), other.capitalize()):
        for suffix in suffixes:
            partner = path.with_name(f"{match['base']}_{word}{suffix}")
            if partner.is_file():
                return (path, partner) if other == "low" else (partner, path)
    return None


def _check_size(path: Path, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ScanLoadError(path, f"the image has zero size ({width}x{height} pixels)")
    if width * height > MAX_PIXELS:
        raise ScanLoadError(
            path,
            f"the image is too large ({width}x{height} = {width * height:,} pixels; "
            f"the limit is {MAX_PIXELS:,})",
        )


def _read_pixels(path: Path) -> np.ndarray:
    """Decoded pixels, (H, W) or (H, W, C), in the file's own dtype."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ScanLoadError(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    if magic in _TIFF_MAGIC:
        pixels = _read_tiff(path)
        if pixels is not None:
            return pixels
    return _read_with_pil(path)


def _read_tiff(path: Path) -> np.ndarray | None:
    """Check a TIFF's layout from its header; decode it when tifffile gives the pixels as they are.

    tifffile reads grey and RGB(A) samples of any depth exactly (PIL cuts 16-bit RGB to 8 bit
    and cannot read float RGB). Returns None for what PIL must convert: palette, min-is-white,
    CMYK, YCbCr, premultiplied alpha, and compressions tifffile has no codec for here.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes, shape = series.axes, series.shape
            stack = [n for axis, n in zip(axes, shape, strict=True) if axis not in "YXS" and n != 1]
            if stack:
                raise ScanLoadError(
                    path,
                    f"it holds a stack of {int(np.prod(stack))} images (axes {axes}, shape {shape}); "
                    "only single images are supported, so save each image in its own file",
                )
            sizes = dict(zip(axes, shape, strict=True))
            if "Y" not in sizes or "X" not in sizes:
                raise ScanLoadError(path, f"its layout (axes {axes}, shape {shape}) is not an image")
            channels = sizes.get("S", 1)
            if channels not in (1, 3, 4):
                reason = f"it has {channels} channels per pixel; scans have 1 (grey), 3 (RGB) or 4 (RGBA)"
                raise ScanLoadError(path, reason)
            _check_size(path, sizes["X"], sizes["Y"])
            page = series.keyframe
            exact = (
                page.photometric in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB)
                and page.compression in tifffile.TIFF.DECOMPRESSORS
                and (channels != 4 or tuple(page.extrasamples) == (tifffile.EXTRASAMPLE.UNASSALPHA,))
            )
            if not exact:
                return None
            pixels = series.asarray()
    except ScanLoadError:
        raise
    except (tifffile.TiffFileError, *_DECODE_ERRORS) as exc:
        raise ScanLoadError(path, f"the file is truncated or its TIFF data is corrupt ({exc})") from exc
    kept = [axis for axis in axes if axis in "YX" or (axis == "S" and sizes[axis] > 1)]
    pixels = pixels.reshape([sizes[axis] for axis in kept])  # drops the length-1 axes
    return np.transpose(pixels, [kept.index(axis) for axis in "YXS" if axis in kept])


def _read_with_pil(path: Path) -> np.ndarray:
    try:
        # Scoped to this call: with warnings as errors, PIL's decompression-bomb warning
        # stops the open itself, before any pixel is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ScanLoadError(path, f"the image is too large to load safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ScanLoadError(
            path, "the file is not a readable image (its contents are not PNG, JPEG, TIFF or BMP data)"
        ) from exc
    except _DECODE_ERRORS as exc:
        raise ScanLoadError(path, f"the file is not a readable image ({exc})") from exc
    with image:
        _check_size(path, *image.size)
        try:
            image.load()
        except _DECODE_ERRORS as exc:
            raise ScanLoadError(path, f"the file is truncated or its image data is corrupt ({exc})") from exc
        mode = image.mode
        if mode == "1":
            image = image.convert("L")
        elif mode in ("P", "PA", "LA", "La", "RGBa"):  # palette transparency and alpha → RGBA
            image = image.convert("RGBA")
        elif mode not in ("L", "RGB", "RGBA", "I", "F") and not mode.startswith("I;16"):
            image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX
        return np.asarray(image)


def _as_float(values: np.ndarray, path: Path) -> np.ndarray:
    if values.dtype.kind not in "biuf":
        raise ScanLoadError(path, f"its pixel type ({values.dtype}) is not supported")
    return np.nan_to_num(values.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)


def _unit_colour(pixels: np.ndarray, path: Path) -> np.ndarray:
    """(H, W, 3 or 4) colour → float32 RGB in [0, 1], composited over white when there is alpha."""
    scale = np.iinfo(pixels.dtype).max if pixels.dtype.kind in "iu" else 1.0  # floats: 0-1 already
    colour = np.clip(_as_float(pixels, path) / np.float32(scale), 0.0, 1.0)
    if colour.shape[2] == 4:
        alpha = colour[..., 3:]
        return colour[..., :3] * alpha + (1.0 - alpha)
    return colour


def _grey_air(values: np.ndarray, path: Path) -> float:
    try:
        return estimate_air_level(values)
    except ValueError as exc:
        raise ScanLoadError(
            path, "the image is entirely black or empty (no pixel above 0), so it holds no X-ray data"
        ) from exc


def _to_rgb8(pixels: np.ndarray, path: Path) -> np.ndarray:
    """Decoded pixels → the uint8 (H, W, 3) image shown to the operator."""
    if pixels.ndim == 2:
        if pixels.dtype == np.uint8:
            grey = pixels
        else:
            values = _as_float(pixels, path)
            unit = np.clip(values / np.float32(_grey_air(values, path)), 0.0, 1.0)
            grey = np.rint(unit * 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if pixels.dtype == np.uint8 and pixels.shape[2] == 3:
        return np.ascontiguousarray(pixels)
    return np.rint(_unit_colour(pixels, path) * 255).astype(np.uint8)


def _grey_channel(pixels: np.ndarray, path: Path) -> np.ndarray:
    """Decoded pixels → one float32 raw energy channel, (H, W)."""
    if pixels.ndim == 2:
        return _as_float(pixels, path)
    return _unit_colour(pixels, path) @ _LUMA


def _transmission(raw: np.ndarray, path: Path) -> np.ndarray:
    air = np.float32(_grey_air(raw, path))
    return np.clip(raw / air, _MIN_TRANSMISSION, 1.0).astype(np.float32)


def _size(pixels: np.ndarray) -> str:
    return f"{pixels.shape[1]}x{pixels.shape[0]}"
