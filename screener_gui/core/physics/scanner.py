"""A dual-energy line scanner: tube spectrum, two detector layers, noise and line-scan artefacts.

The model follows common baggage scanners: a tungsten tube at 140–160 kVp; a thin front
scintillator (the low-energy channel) and, behind a copper filter, a thick rear scintillator
(the high-energy channel). Both are energy-integrating, so each channel's response weights the
spectrum by photon energy times the absorbed fraction. Transmission through an object is
Beer–Lambert integrated over that response, so beam hardening and the non-multiplicative
behaviour of overlapping objects in polychromatic light come out by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import ndimage

from screener_gui.core.physics.materials import Material, material

# Tungsten characteristic lines (keV) with rough relative intensities behind 2–3 mm Al.
_W_LINES_KEV = ((58.0, 0.35), (59.3, 0.60), (67.2, 0.25))


@dataclass(frozen=True)
class Scanner:
    """Physical settings of the simulated scanner.

    Attributes:
        kvp: Tube voltage in kV (peak photon energy in keV).
        energy_bins: Number of energy bins used to integrate over the spectrum. Bins widen
            geometrically with energy, because attenuation changes fastest at low energy; 18
            bins keep transmissions within 1.5 % of a fine (0.5 keV) integration down to
            T = 0.001 (tested).
        min_energy_kev: Lowest energy bin; below it the filtered beam carries nothing.
        monochromatic_kev: If set, an ideal monochromatic beam at this energy (tests, calibration
            checks); otherwise the polychromatic spectrum.
        tube_filter_al_mm: Inherent + added tube filtration, mm of aluminium.
        front_csi_mm: Front (low-energy) scintillator thickness, mm of CsI.
        copper_filter_mm: Copper filter between the layers, mm.
        rear_csi_mm: Rear (high-energy) scintillator thickness, mm of CsI.
        quanta_low: Effective detected quanta per pixel in air, low channel (sets photon noise).
        quanta_high: Same for the high channel (fewer photons reach the rear layer).
        air_level: Raw 16-bit value that air reads (real scanners: ~60000).
        dark_noise: Electronic noise, raw counts (1 sigma).
        pixel_mm: Pixel pitch in mm (both along the detector line and along the belt).
        blur_px: Detector blur, Gaussian sigma in pixels.
        gain_jitter: Residual relative gain variation per detector element and per scan line.
    """

    kvp: float = 150.0
    energy_bins: int = 18
    min_energy_kev: float = 15.0
    monochromatic_kev: float | None = None
    tube_filter_al_mm: float = 2.5
    front_csi_mm: float = 0.3
    copper_filter_mm: float = 0.6
    rear_csi_mm: float = 4.0
    quanta_low: float = 20000.0
    quanta_high: float = 9000.0
    air_level: float = 60000.0
    dark_noise: float = 15.0
    pixel_mm: float = 0.8
    blur_px: float = 0.6
    gain_jitter: float = 0.003

    @cached_property
    def energy_edges(self) -> np.ndarray:
        """Edges of the energy bins in keV (geometric from ``min_energy_kev`` to ``kvp``)."""
        return np.geomspace(self.min_energy_kev, self.kvp, self.energy_bins + 1)

    @cached_property
    def _fine(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Energies (keV, 0.5 keV steps) and unnormalised (high, low) channel responses."""
        e = np.arange(self.min_energy_kev + 0.25, self.kvp, 0.5)
        # Kramers' law for the bremsstrahlung photon number per keV, plus tungsten K lines.
        photons = np.clip(self.kvp - e, 0, None) / e
        for line_kev, share in _W_LINES_KEV:
            if line_kev < self.kvp:
                photons[np.argmin(np.abs(e - line_kev))] += share * 10 * photons[np.argmin(np.abs(e - 60))]
        photons *= np.exp(-material("aluminium").mu(e) * self.tube_filter_al_mm)
        # Energy-integrating layers: signal = photons x energy x absorbed fraction.
        csi = Material("csi", "CsI", 4.51, "inorganic").mu(e)
        front_absorbed = 1 - np.exp(-csi * self.front_csi_mm)
        after_filter = np.exp(-csi * self.front_csi_mm - material("copper").mu(e) * self.copper_filter_mm)
        rear_absorbed = after_filter * (1 - np.exp(-csi * self.rear_csi_mm))
        return e, photons * e * rear_absorbed, photons * e * front_absorbed

    @cached_property
    def _binned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(energies, high weights, low weights) of the integration bins."""
        if self.monochromatic_kev is not None:
            return np.array([float(self.monochromatic_kev)]), np.ones(1), np.ones(1)
        e, high, low = self._fine
        high, low = high / high.sum(), low / low.sum()
        which = np.clip(np.searchsorted(self.energy_edges, e) - 1, 0, self.energy_bins - 1)
        both = high + low
        # Each bin is represented by the mean energy of the photons the detectors see in it.
        weight = np.bincount(which, both, self.energy_bins)
        energies = np.bincount(which, both * e, self.energy_bins) / np.maximum(weight, 1e-30)
        keep = weight > 0
        return (
            energies[keep],
            np.bincount(which, high, self.energy_bins)[keep],
            np.bincount(which, low, self.energy_bins)[keep],
        )

    @property
    def energies(self) -> np.ndarray:
        """Representative energy of each integration bin in keV."""
        return self._binned[0]

    @property
    def responses(self) -> tuple[np.ndarray, np.ndarray]:
        """Normalised spectral weights (high, low) of the two energy-integrating channels."""
        return self._binned[1], self._binned[2]

    def mean_energies(self) -> tuple[float, float]:
        """Response-weighted mean energies (high, low) in keV, for documentation."""
        high, low = self.responses
        return float(high @ self.energies), float(low @ self.energies)

    def transmission(self, path_mm: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free transmissions (high, low) through the given material path lengths.

        Args:
            path_mm: Material name → path length in mm, all arrays of one shape.

        Returns:
            float32 arrays (high, low) in (0, 1] of that shape; 1 where nothing is in the beam.
        """
        if not path_mm:
            raise ValueError("transmission needs at least one material")
        names = list(path_mm)
        flat = [np.asarray(path_mm[n], np.float32).reshape(-1) for n in names]
        shape = np.shape(path_mm[names[0]])
        # Only pixels with something in the beam need the spectral integral.
        in_beam = flat[0] != 0
        for path in flat[1:]:
            in_beam |= path != 0
        occupied = np.flatnonzero(in_beam)
        # Materials along rows: gathering and the spectral sums then run over contiguous memory.
        lengths = np.empty((len(flat), occupied.size), np.float32)
        for row, path in zip(lengths, flat, strict=True):
            np.take(path, occupied, out=row)
        mu_t = np.stack([material(n).mu(self.energies) for n in names], axis=1).astype(np.float32)
        high_w, low_w = (w.astype(np.float32) for w in self.responses)
        out_high = np.ones(flat[0].size, np.float32)
        out_low = np.ones(flat[0].size, np.float32)
        for start in range(0, occupied.size, 1 << 15):
            chunk = slice(start, start + (1 << 15))
            per_energy = np.exp(-(mu_t @ lengths[:, chunk]))  # (energies, pixels)
            out_high[occupied[chunk]] = high_w @ per_energy
            out_low[occupied[chunk]] = low_w @ per_energy
        floor = np.float32(1e-7)
        return (
            np.maximum(out_high, floor).reshape(shape),
            np.maximum(out_low, floor).reshape(shape),
        )

    def acquire(
        self, high: np.ndarray, low: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw 16-bit detector images (high, low) from noise-free transmissions.

        Photon noise with Poisson statistics in each channel, scintillator blur, per-detector-element and
        per-line gain variation (the detector line runs along image rows' axis 0; the belt
        moves along axis 1), electronic noise, then quantisation to uint16 with air at
        :attr:`air_level`.
        """
        raws = []
        rows, cols = high.shape
        for transmission, quanta in ((high, self.quanta_high), (low, self.quanta_low)):
            signal = _photon_noise(transmission, quanta, rng)
            if self.blur_px > 0:
                signal = ndimage.gaussian_filter(signal, self.blur_px, mode="nearest")
            element_gain = 1 + self.gain_jitter * rng.standard_normal(rows).astype(np.float32)
            line_gain = 1 + self.gain_jitter * rng.standard_normal(cols).astype(np.float32)
            signal *= element_gain[:, None]
            signal *= line_gain[None, :]
            counts = signal * np.float32(self.air_level)
            counts += np.float32(self.dark_noise) * rng.standard_normal(counts.shape, dtype=np.float32)
            raws.append(np.clip(np.rint(counts), 0, 65535).astype(np.uint16))
        return raws[0], raws[1]


def _photon_noise(transmission: np.ndarray, quanta: float, rng: np.random.Generator) -> np.ndarray:
    """Transmission measured with ``quanta`` photons in air: Poisson statistics.

    Where many quanta arrive the Gaussian limit (variance = mean) is used, which is 5x faster
    and indistinguishable there; where fewer than 30 arrive, exact Poisson draws.
    """
    mean = np.asarray(transmission, np.float32) * np.float32(quanta)
    counts = mean + np.sqrt(mean) * rng.standard_normal(mean.shape, dtype=np.float32)
    few = mean < 30
    if few.any():
        counts[few] = rng.poisson(mean[few])
    return np.clip(counts, 0, None) / np.float32(quanta)


def default_scanner() -> Scanner:
    """The scanner the generator and the false-colour calibration use unless told otherwise."""
    return _DEFAULT


_DEFAULT = Scanner()
