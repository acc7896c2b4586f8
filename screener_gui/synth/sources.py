"""A simulated scanner: an endless stream of generated bags for the GUI's queue.

It keeps no time: the GUI calls :meth:`SimulatedScanner.next_scan` from its own timer (belt pacing
is the GUI's job). It lives beside the generator because it is one; the core never imports it.
"""

from __future__ import annotations

from screener_gui.core.scan import Scan
from screener_gui.synth.scene import SynthSettings, generate_scan, transmissions


class SimulatedScanner:
    """An endless stream of generated dual-energy bag scans, deterministic for a seed.

    Scan ``i`` is the generator's scan ``i`` of the dataset with ``seed`` (as ``screener synth``
    would write it), with its transmissions, so the pipeline sees what a real scanner gives.

    Args:
        seed: Generator seed.
        width, height: Scan size in pixels (0.8 mm each). Below about 480 x 384 a bag may not
            fit, and the generator then raises ValueError.
        anomaly_rate: Probability that an electronics item hides an anomaly.
    """

    def __init__(self, seed: int, *, width: int = 1000, height: int = 800, anomaly_rate: float = 0.5) -> None:
        self.seed = int(seed)
        self.settings = SynthSettings(width_px=width, height_px=height, anomaly_rate=anomaly_rate)
        self.index = 0  # the next scan's index

    def next_scan(self) -> Scan:
        """Generate the next bag (about a second at 1000 x 800 on one core)."""
        index = self.index
        synthetic = generate_scan(self.seed, index, self.settings)
        high, low = transmissions(synthetic.raw_high, synthetic.raw_low, self.settings.scanner.air_level)
        self.index += 1
        return Scan(rgb=synthetic.rgb, high=high, low=low, source=f"simulated bag {index} (seed {self.seed})")

    def __iter__(self) -> SimulatedScanner:
        return self

    def __next__(self) -> Scan:
        return self.next_scan()
