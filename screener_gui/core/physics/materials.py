"""Materials by chemical formula and density, with attenuation from ``xraydb``.

Formulas with fractional subscripts stand for mixtures (mass-weighted by ``xraydb``'s parser
through the molar amounts given). Densities are bulk densities in g/cm³. Effective atomic
numbers (``zeff``, power-law 2.94 rule) are only used for documentation and tests; the
physics uses the full energy-dependent attenuation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import xraydb


@dataclass(frozen=True)
class Material:
    """A homogeneous material.

    Attributes:
        name: Short identifier used in item definitions.
        formula: Chemical formula, as ``xraydb`` parses it (e.g. ``"C2H4"``, ``"Cu0.65Zn0.35"``).
        density: Bulk density in g/cm³.
        kind: "organic", "inorganic" or "metal", what a screener expects to see.
    """

    name: str
    formula: str
    density: float
    kind: str

    def mu(self, energies_kev: np.ndarray) -> np.ndarray:
        """Linear attenuation coefficient in 1/mm at the given energies (keV)."""
        return _mu_per_mm(self.formula, self.density, tuple(np.asarray(energies_kev, float).tolist()))

    @property
    def zeff(self) -> float:
        """Effective atomic number (electron-fraction weighted, exponent 2.94)."""
        return _zeff(self.formula)


@cache
def _mu_per_mm(formula: str, density: float, energies_kev: tuple[float, ...]) -> np.ndarray:
    energies_ev = np.asarray(energies_kev) * 1000.0
    mu_per_cm = xraydb.material_mu(formula, energies_ev, density=density)
    return np.asarray(mu_per_cm, dtype=np.float64) / 10.0


@cache
def _zeff(formula: str) -> float:
    counts = xraydb.chemparse(formula)
    electrons = {el: n * xraydb.atomic_number(el) for el, n in counts.items()}
    total = sum(electrons.values())
    weighted = sum(e / total * xraydb.atomic_number(el) ** 2.94 for el, e in electrons.items())
    return float(weighted ** (1 / 2.94))


def _m(name: str, formula: str, density: float, kind: str) -> Material:
    return Material(name, formula, density, kind)


# Approximate compositions; what matters for X-ray contrast is density and effective Z.
MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        # reference materials of the false-colour calibration
        _m("polyethylene", "C2H4", 0.94, "organic"),
        _m("pom", "CH2O", 1.41, "organic"),
        _m("aluminium", "Al", 2.70, "metal"),
        _m("iron", "Fe", 7.87, "metal"),
        # plastics, textiles, paper, liquids
        _m("abs", "C15H17N", 1.05, "organic"),
        _m("polycarbonate", "C16H14O3", 1.20, "organic"),
        _m("pvc", "C2H3Cl", 1.38, "inorganic"),
        _m("nylon", "C12H22N2O2", 1.14, "organic"),
        _m("polyester", "C10H8O4", 1.38, "organic"),
        _m("cotton", "C6H10O5", 1.50, "organic"),
        _m("paper", "C6H10O5", 0.80, "organic"),
        _m("rubber", "C5H8", 1.10, "organic"),
        _m("leather", "C5H9NO2", 0.90, "organic"),
        _m("water", "H2O", 1.00, "organic"),
        _m("gel", "H2O0.9C0.05Na0.01Cl0.01", 1.02, "organic"),
        _m("glass", "SiO2Na0.3Ca0.1", 2.50, "inorganic"),
        _m("fr4", "SiO2C3H4O", 1.85, "inorganic"),
        _m("silicon", "Si", 2.33, "inorganic"),
        _m("ceramic", "Al2O3", 3.90, "inorganic"),
        _m("lcd", "SiO2C2H2", 2.20, "inorganic"),
        # metals
        _m("magnesium", "Mg0.9Al0.1", 1.80, "metal"),
        _m("copper", "Cu", 8.96, "metal"),
        _m("brass", "Cu0.65Zn0.35", 8.50, "metal"),
        _m("steel", "Fe0.98C0.02", 7.85, "metal"),
        _m("stainless", "Fe0.7Cr0.18Ni0.08", 7.90, "metal"),
        _m("nickel", "Ni", 8.90, "metal"),
        _m("tin", "Sn0.96Ag0.04", 7.30, "metal"),
        _m("cupronickel", "Cu0.75Ni0.25", 8.90, "metal"),
        _m("zinc", "Zn", 7.10, "metal"),
        _m("neodymium_magnet", "Nd2Fe14B", 7.50, "metal"),
        _m("ferrite", "SrFe12O19", 4.90, "metal"),
        # battery internals: jelly roll of graphite, NMC cathode, Cu/Al foils and electrolyte
        _m("li_ion_cell", "C6LiNi0.5Mn0.2Co0.3O2", 2.60, "inorganic"),
        _m("alkaline_cell", "ZnMnO2KOH0.3", 3.20, "metal"),
        # concealed threats and simulants
        _m("plastic_explosive", "C3H6N6O6", 1.65, "organic"),
        _m("tnt", "C7H5N3O6", 1.65, "organic"),
        _m("marzipan", "C12H22O11", 1.30, "organic"),
        _m("powder", "C6H10O5", 0.70, "organic"),
        _m("black_powder", "K0.75N0.75O2.25C1.25S0.3", 1.10, "inorganic"),
        # weapons and their parts (threats.py): bullets and slugs, ceramic blades, gun frames
        _m("lead", "Pb", 11.34, "metal"),
        _m("zirconia", "ZrO2", 6.00, "inorganic"),
        _m("titanium", "Ti0.9Al0.06V0.04", 4.43, "metal"),
        _m("gf_nylon", "C6H11NOSi0.35O0.7", 1.40, "organic"),
        _m("wood", "C6H10O5", 0.75, "organic"),
        # PETN, a PETN sheet explosive with its plasticiser, and a detonator's primary charge
        _m("petn", "C5H8N4O12", 1.70, "organic"),
        _m("sheet_explosive", "C10H17N4O13.5", 1.48, "organic"),
        _m("lead_azide", "PbN6", 3.80, "inorganic"),
    )
}


def material(name: str) -> Material:
    """The material called ``name`` (see :data:`MATERIALS`)."""
    try:
        return MATERIALS[name]
    except KeyError:
        raise KeyError(f"unknown material {name!r}; known: {', '.join(sorted(MATERIALS))}") from None
