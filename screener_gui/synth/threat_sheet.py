"""A contact sheet of every anomaly kind hidden in a laptop: look at what the generator makes."""

from __future__ import annotations

import numpy as np

from screener_gui.core.montage import contact_sheet, outline_truth
from screener_gui.synth.anomalies import ANOMALY_KINDS, FILLED_CELLS
from screener_gui.synth.scene import SyntheticScan, planted_scan

# Where each kind is tried, in order: the laptop's largest free cavity, then its bays.
_PLACES = (None, "optical_bay", "drive_internals", "battery_cells")
_MARGIN_PX = 12


def hidden_in_laptop(kind: str, *, shrink: float = 0.25, seeds: range = range(60)) -> SyntheticScan:
    """The first generated laptop (over ``seeds``) that can hide ``kind`` at ``shrink``.

    Raises:
        ValueError: No laptop of those seeds has room for the kind.
    """
    places = ("battery_cells",) if kind == FILLED_CELLS else _PLACES
    for seed in seeds:
        for slot in places:
            try:
                return planted_scan(seed, "laptop", kind, shrink=shrink, slot=slot)
            except ValueError:
                continue
    raise ValueError(f"no laptop of seeds {seeds.start}–{seeds.stop - 1} has room for {kind}")


def _crop(scan: SyntheticScan) -> tuple[np.ndarray, np.ndarray]:
    """The scan with its anomaly outlined, and without outline, both cropped to the item."""
    rows, cols = np.nonzero(scan.objects_mask)
    y0, y1 = max(rows.min() - _MARGIN_PX, 0), rows.max() + _MARGIN_PX + 1
    x0, x1 = max(cols.min() - _MARGIN_PX, 0), cols.max() + _MARGIN_PX + 1
    outlined = outline_truth(scan.rgb, np.zeros_like(scan.objects_mask), scan.anomalies_mask)
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
        captions += [f"{kind} ({where})", f"dE {anomaly.visibility.delta_e:.1f}: {anomaly.description[:40]}"]
    return contact_sheet(images, captions, columns=4, tile_width=360)
