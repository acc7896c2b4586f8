"""A contact sheet of every anomaly kind hidden in a laptop: look at what the generator makes."""

from __future__ import annotations

import numpy as np

from screener_gui.core.montage import contact_sheet, outline_truth
from screener_gui.synth.anomalies import ANOMALY_KINDS, FILLED_CELLS
from screener_gui.synth.scene import SyntheticScan, planted_scan

# Where each kind is tried, in order: the laptop's largest free cavity, then its bays.
_PLACES = (None, "optical_bay", "drive_internals", "battery_cells")
_MARGIN_PX = 40


def hidden_in_laptop(kind: str, *, shrink: float = 0.25, seeds: range = range(6)) -> SyntheticScan:
    """``kind`` at ``shrink`` in the laptop (over ``seeds``) and place where it is built largest.

    Raises:
        ValueError: No laptop of those seeds has room for the kind.
    """
    places = ("battery_cells",) if kind == FILLED_CELLS else _PLACES
    best: SyntheticScan | None = None
    for seed in seeds:
        for slot in places:
            try:
                scan = planted_scan(seed, "laptop", kind, shrink=shrink, slot=slot)
            except ValueError:
                continue
            if best is None or scan.anomalies_mask.sum() > best.anomalies_mask.sum():
                best = scan
    if best is None:
        raise ValueError(f"no laptop of seeds {seeds.start}–{seeds.stop - 1} has room for {kind}")
    return best


def _crop(scan: SyntheticScan) -> tuple[np.ndarray, np.ndarray]:
    """The anomaly's neighbourhood (4:3, its box plus a margin), plain and with the true outline."""
    rows, cols = np.nonzero(scan.anomalies_mask)
    cy, cx = (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2
    half_w = max((cols.max() - cols.min()) / 2, (rows.max() - rows.min()) / 2 * 4 / 3) + _MARGIN_PX
    half_h = half_w * 3 / 4
    height, width = scan.objects_mask.shape
    y0, y1 = int(max(cy - half_h, 0)), int(min(cy + half_h, height))
    x0, x1 = int(max(cx - half_w, 0)), int(min(cx + half_w, width))
    outlined = outline_truth(scan.rgb, np.zeros_like(scan.objects_mask), scan.anomalies_mask, width_px=2)
    return scan.rgb[y0:y1, x0:x1], outlined[y0:y1, x0:x1]


def threat_sheet(kinds: tuple[str, ...] = ANOMALY_KINDS, *, shrink: float = 0.25) -> np.ndarray:
    """Each kind hidden in a laptop: as the operator sees it, and with its true outline.

    Captions give the kind, where it is hidden and its measured colour difference ΔE.
    """
    images, captions = [], []
    for kind in kinds:
        scan = hidden_in_laptop(kind, shrink=shrink)
        plain, outlined = _crop(scan)
        anomaly = scan.anomalies[0]
        where = anomaly.concealment.removeprefix("replaced:")
        images += [plain, outlined]
        captions += [f"{kind} ({where})", f"dE {anomaly.visibility.delta_e:.1f}: {anomaly.description[:44]}"]
    return contact_sheet(images, captions, columns=4, tile_width=260)
