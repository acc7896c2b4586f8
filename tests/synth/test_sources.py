"""The simulated scanner: the generator's bags as an endless, deterministic stream of scans."""

from __future__ import annotations

import numpy as np

from screener_gui.synth.scene import SynthSettings, generate_scan
from screener_gui.synth.sources import SimulatedScanner


def test_simulated_scanner_is_deterministic_per_seed() -> None:
    first = SimulatedScanner(5, width=480, height=384).next_scan()
    again = next(iter(SimulatedScanner(5, width=480, height=384)))
    np.testing.assert_array_equal(first.rgb, again.rgb)
    np.testing.assert_array_equal(first.high, again.high)
    assert first.shape == (384, 480) and first.is_dual_energy
    assert first.source == again.source == "simulated bag 0 (seed 5)"


def test_simulated_bags_differ_and_are_the_generators_scans() -> None:
    scanner = SimulatedScanner(7, width=480, height=384, anomaly_rate=1.0)
    first, second = next(scanner), scanner.next_scan()
    assert (first.source, second.source) == ("simulated bag 0 (seed 7)", "simulated bag 1 (seed 7)")
    assert not np.array_equal(first.rgb, second.rgb)
    written = generate_scan(7, 1, SynthSettings(width_px=480, height_px=384, anomaly_rate=1.0))
    np.testing.assert_array_equal(second.rgb, written.rgb)  # as `screener synth` would write it
