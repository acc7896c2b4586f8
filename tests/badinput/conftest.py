"""A corpus of broken scan inputs, built in a temporary folder (nothing binary is committed).

Each :class:`Case` is one entry of the corpus folder with what a user must be told about it:

* ``"error"``: a file the loader is given (directly, or found in a folder) and refuses; the
  message must name it and contain ``expect``;
* ``"skip"``: an entry a folder search passes over (a FIFO, a link loop, a ``.webp``…); ``check``
  names it with ``expect``, and given directly the loader refuses it with ``direct``;
* ``"good"``: an odd but valid scan (1x1, 20000x200, a NaN float TIFF, a name with a newline…)
  that must load and be screened.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from screener_gui.core.io import save_png_atomic


@dataclass(frozen=True)
class Case:
    """One corpus entry: its path, its kind ("error", "skip", "good") and the words expected."""

    id: str
    path: Path
    kind: str
    expect: str = ""
    direct: str = ""  # for "skip": what the loader says when given the entry itself
    named: str = ""  # the file the message names, when not this one (the faulty half of a pair)

    @property
    def name(self) -> str:
        return self.named or self.path.name


def png_bytes(array: np.ndarray, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def encoded(array: np.ndarray, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def tiff_bytes(array: np.ndarray, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, **kwargs)
    return buffer.getvalue()


def png_claiming(width: int, height: int, *, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    """A 4x4 grey PNG whose header claims another size and layout (its data then runs short)."""
    data = bytearray(png_bytes(np.zeros((4, 4), np.uint8)))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def noise(shape: tuple[int, ...], seed: int = 0, dtype: type = np.uint8) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, np.iinfo(dtype).max, shape, endpoint=True, dtype=dtype)


def raw_channel(level: int, shape: tuple[int, int] = (40, 50)) -> np.ndarray:
    """uint16 dual-energy channel: air at 60000 and a block of material at ``level``."""
    values = np.full(shape, 60000, np.uint16)
    values[10:30, 10:40] = level
    return values


def build_corpus(root: Path) -> list[Case]:
    """Write every broken (and odd but valid) input into ``root``; return the cases."""
    root.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def write(name: str, data: bytes, kind: str, expect: str = "") -> None:
        (root / name).write_bytes(data)
        cases.append(Case(name, root / name, kind, expect))

    rgb = noise((48, 64, 3))
    png, jpeg, tiff = png_bytes(rgb), encoded(rgb, "JPEG", quality=90), tiff_bytes(rgb)
    write("zero_bytes.png", b"", "error", "empty (0 bytes)")
    write("zero_bytes.tif", b"", "error", "empty (0 bytes)")
    for cut in (8, 20, 40, len(png) // 2, len(png) - 200):
        write(f"cut_{cut}.png", png[:cut], "error", "truncated")
    for cut in (2, 200, len(jpeg) // 2):
        write(f"cut_{cut}.jpg", jpeg[:cut], "error", "truncated" if cut > 2 else "not a readable image")
    for cut in (4, 9, len(tiff) // 2):
        write(f"cut_{cut}.tif", tiff[:cut], "error", "truncated")
    bmp = encoded(rgb, "BMP")
    write("cut.bmp", bmp[: len(bmp) // 2], "error", "truncated")
    write("notes.png", b"these are notes, not pixels\n" * 10, "error", "it holds text")
    write("random.jpg", bytes(noise((512,), seed=3)), "error", "not a readable image")
    write("bomb.png", png_claiming(30000, 30000), "error", "too large")
    header = bytearray(png)
    header[29] ^= 0xFF
    write("bad_crc.png", bytes(header), "error", "PNG header checksum is wrong")
    write("zero_width.png", png_claiming(0, 4), "error", "zero width")
    # Decoded, this pair would need ~1.6 GB: refused by the memory budget, not by its pixel count.
    write("budget_high.png", png_claiming(6000, 6000, bit_depth=16), "error", "too large to load")
    write("budget_low.png", png_claiming(6000, 6000, bit_depth=16), "skip")
    cases.pop()  # the _low half is listed through its _high partner
    pages = [Image.fromarray(np.full((6, 7), v, np.uint8)) for v in (10, 20)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    write("two_pages.tif", buffer.getvalue(), "error", "stack of 2 images")
    write("all_nan.tif", tiff_bytes(np.full((20, 30), np.nan, np.float32)), "error", "entirely black")
    write("mismatch_high.png", png_bytes(raw_channel(30000)), "error", "differs in size")
    (root / "mismatch_low.png").write_bytes(png_bytes(raw_channel(15000, (41, 50))))
    (root / "black_high.png").write_bytes(png_bytes(raw_channel(30000)))
    cases.append(
        Case("black_pair", root / "black_high.png", "error", "entirely black", named="black_low.png")
    )
    (root / "black_low.png").write_bytes(png_bytes(np.zeros((40, 50), np.uint16)))

    # Odd but valid.
    write("one_pixel.png", png_bytes(np.full((1, 1, 3), 200, np.uint8)), "good")
    write("wide.png", png_bytes(np.full((200, 20000), 180, np.uint8)), "good")
    write("grey16.tif", tiff_bytes(raw_channel(20000)), "good")
    nan_float = raw_channel(20000).astype(np.float32) / 60000
    nan_float[0, :5] = np.nan
    write("float_nan.tif", tiff_bytes(nan_float), "good")
    write("cmyk.jpg", _encode_mode("CMYK", "JPEG"), "good")
    write("palette.png", _encode_mode("P", "PNG"), "good")
    write("lone_high.png", png_bytes(raw_channel(25000)), "good")
    write("with space é ü 扫描.png", png, "good")
    write("new\nline.png", png, "good")
    deep = root.joinpath(*(f"{i:02d}" + "d" * 150 for i in range(18)))
    deep.mkdir(parents=True)
    (deep / "deep.png").write_bytes(png)
    cases.append(Case("long_path", deep / "deep.png", "good"))

    # Entries a folder search passes over.
    (root / "folder.png").mkdir()
    cases.append(Case("folder.png", root / "folder.png", "skip", "is a folder", "is a folder"))
    os.mkfifo(root / "fifo.png")
    cases.append(Case("fifo.png", root / "fifo.png", "skip", "FIFO (named pipe), not a regular file", "FIFO"))
    os.symlink("loop.png", root / "loop.png")
    cases.append(Case("loop.png", root / "loop.png", "skip", "symlink loop", "symlink loop"))
    os.symlink("nowhere.png", root / "dangling.png")
    cases.append(Case("dangling.png", root / "dangling.png", "skip", "dangling symbolic link", "dangling"))
    (root / "photo.webp").write_bytes(encoded(rgb, "WEBP"))
    cases.append(
        Case("photo.webp", root / "photo.webp", "skip", "'.webp' files are not supported", "not supported")
    )
    return cases


def _encode_mode(mode: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(noise((30, 40, 3), seed=7)).convert(mode).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """The broken-input corpus, built once per test session in its own folder (``cases[0].path.parent``
    is not always the root: use :func:`corpus_root`)."""
    root = tmp_path_factory.mktemp("badinput") / "corpus"
    return build_corpus(root)


@pytest.fixture(scope="session")
def corpus_root(corpus: list[Case]) -> Path:
    return corpus[0].path.parent


@pytest.fixture
def good_scan(tmp_path: Path) -> Path:
    """A generated bag with one tablet, saved as PNG (screened, not refused)."""
    from screener_gui.synth.scene import planted_scan

    path = tmp_path / "bag.png"
    save_png_atomic(path, planted_scan(31337, "tablet", "organic_slab").rgb)
    return path
