"""Freed memory goes back to the system after a bag, so a shift's resident memory stays flat."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from screener_gui.core.memory import release_freed, resident_bytes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_memory_freed_in_small_blocks_is_handed_back():
    blocks = [np.ones(12_000, np.float64) for _ in range(6000)]  # 96 KB each, 576 MB in all
    del blocks[:-1]  # the last one pins the top of the heap, as live data does during a shift
    held = resident_bytes()  # freed, yet still resident: what made a shift's memory creep up
    assert release_freed()
    assert held - resident_bytes() > 400 << 20


def test_resident_memory_is_reported():
    assert 10 << 20 < resident_bytes() < 1 << 40
