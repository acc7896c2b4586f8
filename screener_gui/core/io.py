"""Reading scans (the one scan loader) and writing PNGs atomically.

Whatever is wrong with a file comes back as a :class:`ScanLoadError` naming the file and the
problem, never as a decoder's traceback, so the queue can move on. White is air. Grey beyond
8 bit is scaled by its own air level, not by its type's maximum: scanners put air well below
it (about 60000 of 65535 in real data). Multi-page TIFF stacks are refused, not shown one page
at a time: a stack is often a high / low pair, and its first page alone would pass for a scan.

Memory is budgeted, not only pixels: before any pixel is decoded, the bytes the whole load will
hold at its peak (the decoded pixels, the decoder's copy, the output and, for a pair, the
transmissions and the false-colour rendering) are estimated from the header and a load above
:data:`MAX_LOAD_BYTES` is refused. Conversions to float run in strips of rows, so no full-size
float copy of a plain image is ever made and the estimate holds.
"""

from __future__ import annotations

import os
import stat
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from screener_gui.core.atomic import write_bytes_atomic
from screener_gui.core.errors import ScanLoadError, display_path
from screener_gui.core.png import encode_png
from screener_gui.core.scan import Scan
from screener_gui.core.scan_files import (
    SCAN_EXTENSIONS,
    dual_energy_pair,
    is_dicos,
    not_regular,
    stat_problem,
    unsupported,
)

MAX_PIXELS: int = 80_000_000  # larger is no bag scan; refused from the header, before decoding
MAX_LOAD_BYTES: int = 1 << 30
"""The most memory (bytes) one scan's load may hold at its peak, estimated from the header before
decoding (see :func:`load_cost`). 1 GiB: an 8900 x 8900 RGBA PNG (871 MB) loads, an 80-megapixel
float TIFF or a pair above about 30 megapixels is refused."""
_MIN_TRANSMISSION = 1.0 / 65535.0  # keeps ln(T) finite where nothing got through
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
_MAX_TIFF_PAGES = 64  # a scan is one page (perhaps with a few previews); more is a stack or damage
# Decoders report damaged data with a grab bag of exception types; all of them mean the same thing
# to the person at the screen. Besides the expected kinds: arithmetic and type errors from header
# fields that make no sense (a zero strip length, a tuple where a number goes), found by the
# property-based tests (tests/badinput/test_loaders_hypothesis.py).
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    ArithmeticError,
    NotImplementedError,
    struct.error,
    zlib.error,
)
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601, as PIL's "L" conversion
_STRIP_PIXELS = 1 << 18  # pixels converted at a time: float temporaries stay a few MB whatever the size
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAGIC_NAMES = ((_PNG_SIGNATURE, "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"BM", "BMP"))
_RENDER_BYTES_PER_PIXEL = 24  # measured peak of render_dual_energy beyond its inputs and output
# Bytes per pixel PIL holds for a decoded image of each mode, and the mode it is converted to.
_PIL_BYTES = {
    "1": 1,
    "L": 1,
    "P": 1,
    "LA": 2,
    "La": 2,
    "PA": 2,
    "I": 4,
    "F": 4,
    "RGB": 3,
    "YCbCr": 3,
    "LAB": 3,
    "HSV": 3,
}
_PIL_CONVERTED = {
    "1": 1,
    "P": 4,
    "PA": 4,
    "LA": 4,
    "La": 4,
    "RGBa": 4,
    "CMYK": 3,
    "YCbCr": 3,
    "LAB": 3,
    "HSV": 3,
    "RGBX": 3,
}


def load_scan(path: str | os.PathLike[str]) -> Scan:
    """Load a plain image, or either file of a dual-energy pair.

    A stem ending in ``_high`` / ``_low`` (any case) whose partner exists (same extension
    first, then any of :data:`SCAN_EXTENSIONS`) goes to :func:`load_dual_energy`; without a
    partner the file is a plain image (a lone ``*_high.png`` is legitimate). Plain images: RGB,
    RGBA (over white), grey 8 / 16 bit / float, grey + alpha, palette, 1-bit, CMYK, 16-bit RGB.

    Returns:
        The scan (``high`` / ``low`` only for a pair); ``source`` is the path (the ``_high`` one).

    Raises:
        ScanLoadError: Missing, not a regular file (folder, FIFO, symlink loop…), not an image,
            truncated, empty, too large for :data:`MAX_PIXELS` or :data:`MAX_LOAD_BYTES`, or not a
            scan layout.
    """
    path = Path(path)
    if is_dicos(path):
        from screener_gui.core.dicos import load_dicos  # pydicom only when a DICOS file comes

        return load_dicos(path)
    _check_scan_file(path)
    pair = dual_energy_pair(path)
    if pair is not None:
        return load_dual_energy(*pair)
    return Scan(rgb=_to_rgb8(_read_pixels(path, dual=False), path), source=str(path))


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
    high = _transmission(_read_pixels(high_path, dual=True), high_path)
    low_pixels = _read_pixels(low_path, dual=True)
    if high.shape != low_pixels.shape[:2]:
        raise ScanLoadError(
            high_path,
            f"the dual-energy pair differs in size: {display_path(high_path.name)} is {_size(high)} pixels "
            f"but {display_path(low_path.name)} is {_size(low_pixels)} pixels",
        )
    low = _transmission(low_pixels, low_path)
    del low_pixels
    return Scan(rgb=_render(high, low), high=high, low=low, source=str(high_path))


def estimate_air_level(values: np.ndarray) -> float:
    """Air (no attenuation) level of a raw grey image, in its own units (e.g. ~60000 of uint16).

    Rule: ``p`` = 99.9th percentile of the finite values; air = median of the values
    ``>= 0.98 * p``. The percentile ignores a few hot pixels; the median of that bright band
    sits on the air plateau (noise included) when there is air, and on the brightest material
    when there is none, so objects are then rendered a little too bright, never too dark.
    8- and 16-bit values are counted in a histogram (same result, no copy of the image).

    Returns:
        The air level, always > 0.

    Raises:
        ValueError: No value is above 0 (an empty or entirely black image).
    """
    values = np.asarray(values)
    if values.dtype.kind in "bu" and values.dtype.itemsize <= 2:
        return _air_from_counts(_histogram(values))
    values = values.ravel()
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no pixel values")
    top = float(np.percentile(values, 99.9))
    if not top > 0:
        raise ValueError("no pixel value above 0")
    return float(np.median(values[values >= 0.98 * top]))


def save_png_atomic(path: str | os.PathLike[str], array: np.ndarray, *, compress_level: int = 1) -> None:
    """Write uint8 (H, W) / (H, W, 3) or uint16 (H, W) as PNG: ``path`` is old or complete, never half.

    A hidden temporary file in the same folder is written, fsynced and renamed over ``path``.
    A replaced file keeps its permissions; a new one gets 0o644. ``compress_level``: zlib 0-9.

    Raises:
        ValueError: ``array`` has another dtype or shape.
        OSError: The file cannot be written (the old one is then untouched).
    """
    write_bytes_atomic(path, encode_png(array, compress_level))


def load_cost(
    width: int, height: int, decoded_bytes: int, converted_bytes: int, *, dual: bool, float_grey: bool = False
) -> int:
    """Bytes a scan's load holds at its peak, estimated before decoding.

    Args:
        width, height: Image size in pixels.
        decoded_bytes: Bytes per pixel of the decoded image (e.g. 4 for RGBA, 2 for 16-bit grey).
        converted_bytes: Bytes per pixel of the array it is converted to (PIL palette → RGBA: 4).
        dual: One file of a dual-energy pair (two float32 transmissions and the rendering follow).
        float_grey: A float or 32-bit grey image (its air level needs a cleaned float copy).

    Returns:
        The decoder's image and the array it is converted to, plus the uint8 RGB output; for a pair file also
        both transmissions and the false-colour rendering's working memory.
    """
    per_pixel = decoded_bytes + converted_bytes + 3
    if dual:
        per_pixel += 8 + _RENDER_BYTES_PER_PIXEL
    if float_grey:
        per_pixel += 4
    return width * height * per_pixel


def _render(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    # Imported on use: false colour pulls in the physics calibration, which plain images and
    # tools that only list or save files do not need.
    from screener_gui.core.false_colour import render_dual_energy

    return render_dual_energy(high, low)


def _check_scan_file(path: Path) -> None:
    # One stat, never an open, before the type is known: opening a FIFO blocks until a writer comes.
    try:
        info = path.stat()
    except OSError as exc:
        raise ScanLoadError(path, stat_problem(path, exc)) from exc
    except ValueError as exc:  # a NUL byte in the name
        raise ScanLoadError(path, f"it is not a valid file name ({exc})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise ScanLoadError(path, "it is a folder, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise ScanLoadError(path, not_regular(info.st_mode))
    if path.suffix.lower() not in SCAN_EXTENSIONS:
        raise ScanLoadError(path, unsupported(path))
    if info.st_size == 0:
        raise ScanLoadError(path, "the file is empty (0 bytes)")


def _check_size(path: Path, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ScanLoadError(path, f"the image has zero size ({width}x{height} pixels)")
    if width * height > MAX_PIXELS:
        raise ScanLoadError(
            path,
            f"the image is too large ({width}x{height} = {width * height:,} pixels; "
            f"the limit is {MAX_PIXELS:,})",
        )


def _check_cost(
    path: Path, size: tuple[int, int], decoded: int, converted: int, *, dual: bool, float_grey: bool
) -> None:
    width, height = size
    _check_size(path, width, height)
    cost = load_cost(width, height, decoded, converted, dual=dual, float_grey=float_grey)
    if cost > MAX_LOAD_BYTES:
        what = "as one file of a dual-energy pair " if dual else ""
        raise ScanLoadError(
            path,
            f"the image is too large to load {what}({width}x{height} pixels would take about "
            f"{cost / 2**20:,.0f} MiB of memory; the limit is {MAX_LOAD_BYTES / 2**20:,.0f} MiB)",
        )


def _read_pixels(path: Path, *, dual: bool) -> np.ndarray:
    """Decoded pixels, (H, W) or (H, W, C), in the file's own dtype."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise ScanLoadError(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    if head[:4] in _TIFF_MAGIC:
        pixels = _read_tiff(path, dual)
        if pixels is not None:
            return pixels
    elif head.startswith(_PNG_SIGNATURE):
        _check_png_header(path, head)
    return _read_with_pil(path, head, dual)


def _check_png_header(path: Path, head: bytes) -> None:
    """Say what is wrong with a PNG's first chunk, which PIL only reports as 'cannot identify'."""
    if len(head) < 33:
        raise ScanLoadError(path, f"the file is truncated: a PNG of {len(head)} bytes ends inside its header")
    length, kind = struct.unpack(">I4s", head[8:16])
    if kind != b"IHDR" or length != 13:
        raise ScanLoadError(path, "its PNG header is corrupt (the first chunk is not a 13-byte IHDR)")
    (crc,) = struct.unpack(">I", head[29:33])
    if zlib.crc32(head[12:29]) != crc:
        raise ScanLoadError(path, "its PNG header checksum is wrong (the file is damaged)")
    width, height = struct.unpack(">II", head[16:24])
    if width == 0 or height == 0:
        which = " and ".join(n for n, v in (("zero width", width), ("zero height", height)) if v == 0)
        raise ScanLoadError(path, f"its PNG header says {which} ({width}x{height} pixels)")


def _read_tiff(path: Path, dual: bool) -> np.ndarray | None:
    """Check a TIFF's layout from its header; decode it when tifffile gives the pixels as they are.

    tifffile reads grey and RGB(A) samples of any depth exactly (PIL cuts 16-bit RGB to 8 bit
    and cannot read float RGB). Returns None for what PIL must convert: palette, min-is-white,
    CMYK, YCbCr, premultiplied alpha, and compressions tifffile has no codec for here.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            try:  # looks up at most this many pages: a damaged chain can lead through millions
                tif.pages[_MAX_TIFF_PAGES]
            except IndexError:
                pass
            else:
                reason = f"it holds more than {_MAX_TIFF_PAGES} images (or a damaged page chain)"
                raise ScanLoadError(path, f"{reason}; a scan is one image")
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
            decoded = channels * series.dtype.itemsize
            float_grey = channels == 1 and (series.dtype.kind == "f" or series.dtype.itemsize > 2)
            _check_cost(path, (sizes["X"], sizes["Y"]), decoded, decoded, dual=dual, float_grey=float_grey)
            page = series.keyframe
            exact = (
                page.photometric in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB)
                and page.compression in tifffile.TIFF.DECOMPRESSORS
                and (channels != 4 or tuple(page.extrasamples) == (tifffile.EXTRASAMPLE.UNASSALPHA,))
            )
            if not exact:
                return None
            kept = [axis for axis in axes if axis in "YX" or (axis == "S" and sizes[axis] > 1)]
            # A damaged file can decode to fewer values than its header promised: the reshape says so.
            pixels = series.asarray().reshape([sizes[axis] for axis in kept])  # drops length-1 axes
    except ScanLoadError:
        raise
    except (tifffile.TiffFileError, MemoryError, *_DECODE_ERRORS) as exc:
        raise ScanLoadError(path, f"the file is truncated or its TIFF data is corrupt ({exc})") from exc
    return np.transpose(pixels, [kept.index(axis) for axis in "YXS" if axis in kept])


def _read_with_pil(path: Path, head: bytes, dual: bool) -> np.ndarray:
    try:
        # Scoped to this call: with warnings as errors, PIL's decompression-bomb warning
        # stops the open itself, before any pixel is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ScanLoadError(path, f"the image is too large to load safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        kind = next((name for magic, name in _MAGIC_NAMES if head.startswith(magic)), None)
        if kind is not None:  # the format is known from its first bytes: its data is what is wrong
            raise ScanLoadError(path, f"the file is truncated or its {kind} data is corrupt") from exc
        raise ScanLoadError(path, f"the file is not a readable image ({_unreadable_contents(head)})") from exc
    except _DECODE_ERRORS as exc:  # the decoder knew the format, then found its header damaged
        raise ScanLoadError(path, f"the file is truncated or its image header is corrupt ({exc})") from exc
    with image:
        mode = image.mode
        decoded = _PIL_BYTES.get(mode, 2 if mode.startswith("I;16") else 4)
        converted = _PIL_CONVERTED.get(mode, decoded)
        _check_cost(path, image.size, decoded, converted, dual=dual, float_grey=mode in ("I", "F"))
        try:
            image.load()
        except (MemoryError, *_DECODE_ERRORS) as exc:
            raise ScanLoadError(path, f"the file is truncated or its image data is corrupt ({exc})") from exc
        return _pil_pixels(image)


def _pil_pixels(image: Image.Image) -> np.ndarray:
    """A decoded PIL image as an array of the mode scans use, converted a strip of rows at a time
    (a whole-image conversion would hold a second full-size image, and its array a third)."""
    mode = image.mode
    if mode == "1":
        target: str | None = "L"
    elif mode in ("P", "PA", "LA", "La", "RGBa"):  # palette transparency and alpha → RGBA
        target = "RGBA"
    elif mode not in ("L", "RGB", "RGBA", "I", "F") and not mode.startswith("I;16"):
        target = "RGB"  # CMYK, YCbCr, LAB, HSV, RGBX
    else:
        target = None
    width, height = image.size
    step = _strip_height(width)
    out = None
    for y in range(0, height, step):
        strip = image.crop((0, y, width, min(y + step, height)))
        block = np.asarray(strip.convert(target) if target else strip)
        if out is None:
            out = np.empty((height, *block.shape[1:]), block.dtype)
        out[y : y + block.shape[0]] = block
    return out


def _unreadable_contents(head: bytes) -> str:
    """What the first bytes of a file no decoder recognises look like."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the sample is still text
        text = head[: exc.start].decode("utf-8") if exc.start >= len(head) - 3 else ""
    if text.strip() and all(c.isprintable() or c in "\t\n\r" for c in text):
        return "it holds text, not PNG, JPEG, TIFF or BMP data"
    return "its contents are not PNG, JPEG, TIFF or BMP data"


def _as_float(values: np.ndarray, path: Path) -> np.ndarray:
    if values.dtype.kind not in "biuf":
        raise ScanLoadError(path, f"its pixel type ({values.dtype}) is not supported")
    values = values.astype(np.float32)  # a copy: cleaned in place
    return np.nan_to_num(values, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


def _strip_height(width: int) -> int:
    return max(1, _STRIP_PIXELS // max(width, 1))


def _unit_colour(pixels: np.ndarray, path: Path) -> np.ndarray:
    """(h, W, 3 or 4) colour strip → float32 RGB in [0, 1], composited over white when there is alpha."""
    scale = np.iinfo(pixels.dtype).max if pixels.dtype.kind in "iu" else 1.0  # floats: 0-1 already
    colour = np.clip(_as_float(pixels, path) / np.float32(scale), 0.0, 1.0)
    if colour.shape[2] == 4:
        alpha = colour[..., 3:]
        return colour[..., :3] * alpha + (1.0 - alpha)
    return colour


def _grey_air(values: np.ndarray, path: Path) -> float:
    if values.dtype.kind not in "biuf":
        raise ScanLoadError(path, f"its pixel type ({values.dtype}) is not supported")
    if values.dtype.kind == "f":  # non-finite pixels count as black, as they are shown
        values = np.nan_to_num(values.astype(np.float32), copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    try:
        return estimate_air_level(values)
    except ValueError as exc:
        raise ScanLoadError(
            path, "the image is entirely black or empty (no pixel above 0), so it holds no X-ray data"
        ) from exc


def _to_rgb8(pixels: np.ndarray, path: Path) -> np.ndarray:
    """Decoded pixels → the uint8 (H, W, 3) image shown to the operator, converted strip by strip."""
    height, width = pixels.shape[:2]
    if pixels.ndim == 2 and pixels.dtype == np.uint8:
        return np.repeat(pixels[..., None], 3, axis=2)
    if pixels.ndim == 3 and pixels.dtype == np.uint8 and pixels.shape[2] == 3:
        return np.ascontiguousarray(pixels)
    out = np.empty((height, width, 3), np.uint8)
    air = np.float32(_grey_air(pixels, path)) if pixels.ndim == 2 else None
    step = _strip_height(width)
    for y in range(0, height, step):
        strip = pixels[y : y + step]
        if air is not None:
            unit = np.clip(_as_float(strip, path) / air, 0.0, 1.0)[..., None]
        else:
            unit = _unit_colour(strip, path)
        out[y : y + step] = np.rint(unit * 255)
    return out


def _transmission(pixels: np.ndarray, path: Path) -> np.ndarray:
    """Decoded pixels of one energy → ``T = clip(raw / air, 1/65535, 1)``, float32 (H, W).

    An RGB / RGBA file gives its luminance (RGBA over white) first. Converted strip by strip.
    """
    height, width = pixels.shape[:2]
    step = _strip_height(width)
    if pixels.ndim == 3:
        raw = np.empty((height, width), np.float32)
        for y in range(0, height, step):
            raw[y : y + step] = _unit_colour(pixels[y : y + step], path) @ _LUMA
        pixels = raw
    air = np.float32(_grey_air(pixels, path))
    out = np.empty((height, width), np.float32)
    for y in range(0, height, step):
        out[y : y + step] = np.clip(_as_float(pixels[y : y + step], path) / air, _MIN_TRANSMISSION, 1.0)
    return out


def _histogram(values: np.ndarray) -> np.ndarray:
    """Counts of each value of a uint8 / uint16 / bool image, counted strip by strip."""
    flat = values.reshape(-1)
    counts = np.zeros(256 if values.dtype.itemsize == 1 else 65536, np.int64)
    for start in range(0, flat.size, _STRIP_PIXELS):
        counts += np.bincount(flat[start : start + _STRIP_PIXELS], minlength=counts.size)
    return counts


def _air_from_counts(counts: np.ndarray) -> float:
    """:func:`estimate_air_level` of the image whose value histogram is ``counts``: numpy's
    linear-interpolated percentile and its median, computed from order statistics."""
    total = int(counts.sum())
    if total == 0:
        raise ValueError("no pixel values")
    cumulative = np.cumsum(counts)

    def order(k: int, cum: np.ndarray = cumulative) -> float:  # the k-th smallest value (0-based)
        return float(np.searchsorted(cum, k, side="right"))

    position = 0.999 * (total - 1)
    low = int(np.floor(position))
    top = order(low) + (position - low) * (order(min(low + 1, total - 1)) - order(low))
    if not top > 0:
        raise ValueError("no pixel value above 0")
    bright = counts.copy()
    bright[: int(np.ceil(0.98 * top))] = 0
    cumulative = np.cumsum(bright)
    n = int(cumulative[-1])
    middle = order(n // 2, cumulative)
    return middle if n % 2 else (order(n // 2 - 1, cumulative) + middle) / 2


def _size(pixels: np.ndarray) -> str:
    return f"{pixels.shape[1]}x{pixels.shape[0]}"
