"""Facility provision against per-population standards (千人指标): supply, requirement, gap.

The catalogue of provision metrics is data (``data/provision.toml``): which
facility categories and capacity field make the supply, and which standard
(per 1,000 residents, per resident or per 100,000) makes the requirement.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..standards import Standards
from ._assign import block_index_of, sum_by_block

__all__ = ["ProvisionSpec", "facility_provision", "provision_specs"]


@dataclass(frozen=True)
class ProvisionSpec:
    """One provision metric (a row of ``data/provision.toml``)."""

    key: str
    label_zh: str
    categories: tuple[str, ...]
    capacity: str
    factor: float
    standard: str
    standard_factor: float
    per: float
    basis: str
    basis_standard: str = ""

    def basis_column(self, standards: Standards) -> str:
        """Population column the standard applies to."""
        if self.basis_standard and standards.get(self.basis_standard) == "elderly":
            return "elderly_population"
        if self.basis_standard:
            return "population"
        return self.basis


@cache
def provision_specs() -> tuple[ProvisionSpec, ...]:
    """The packaged provision catalogue."""
    text = resources.files("blockcheck").joinpath("data/provision.toml").read_text("utf-8")
    rows = tomllib.loads(text)["provision"]
    return tuple(ProvisionSpec(**{**row, "categories": tuple(row["categories"])}) for row in rows)


def _capacity(facilities: gpd.GeoDataFrame, spec: ProvisionSpec) -> np.ndarray:
    if not spec.capacity:
        return np.ones(len(facilities))
    values = pd.to_numeric(facilities.get(spec.capacity, pd.Series(np.nan, index=facilities.index)), errors="coerce").to_numpy(dtype="float64")
    if spec.capacity == "land_area_m2":  # polygons without a stated land area: their own area
        geom = facilities.geometry.values
        polygonal = np.isin(shapely.get_type_id(geom), (3, 6))
        values = np.where(np.isnan(values) & polygonal, shapely.area(geom), values)
    return np.nan_to_num(values) * spec.factor


def facility_provision(
    blocks: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    population: pd.DataFrame,
    standards: Standards,
    *,
    specs: tuple[ProvisionSpec, ...] | None = None,
) -> pd.DataFrame:
    """Supply, requirement and gap of each provision metric per block.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    facilities
        Facilities (points or polygons) with ``category`` and capacity fields;
        a facility belongs to the block holding its representative point.
    population
        Per-block ``population`` and ``elderly_population`` (index like `blocks`).
    standards
        The run's standards.

    Returns
    -------
    pandas.DataFrame
        ``supply_<key>``, ``required_<key>`` and ``gap_<key>`` for every
        catalogue entry (e.g. ``gap_elderly_care_beds``, ``gap_school_land_ha``).

    Notes
    -----
    required = basis population ÷ per × standard; gap = max(required − supply, 0).
    Counts (keys ending in ``_count``) round the requirement up. Supply counts
    only facilities inside the block (no catchment sharing).
    """
    specs = specs or provision_specs()
    positions = block_index_of(blocks, facilities)
    out = pd.DataFrame(index=blocks.index)
    for spec in specs:
        chosen = facilities["category"].isin(spec.categories).to_numpy() if not facilities.empty else np.zeros(0, bool)
        supply = sum_by_block(blocks, np.where(chosen, positions, -1), _capacity(facilities, spec))
        basis = population[spec.basis_column(standards)].astype("float64")
        required = basis / spec.per * float(standards[spec.standard]) * spec.standard_factor
        if spec.key.endswith("_count"):
            required = np.ceil(required - 1e-9)
        out[f"supply_{spec.key}"] = supply
        out[f"required_{spec.key}"] = required
        out[f"gap_{spec.key}"] = (required - supply).clip(lower=0.0)
    return out
