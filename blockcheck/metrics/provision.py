"""Facility provision against per-population standards (千人指标): supply, requirement, gap.

The catalogue of provision metrics is data (``data/provision.toml``): which
facility categories and capacity field make the supply, and which standard
(per 1,000 residents, per resident or per 100,000) makes the requirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.catalogue import build, load_data, require_tables
from blockcheck.metrics.assign import block_index_of, sum_by_block
from blockcheck.standards import Standards

__all__ = [
    "SUPPLY_RULES",
    "ProvisionSpec",
    "catchment_pairs",
    "facility_provision",
    "facility_within_reach",
    "provision_specs",
]

#: Which facilities make a block's supply (the parameter ``provision.supply_rule``): those inside the
#: block, or those whose catchment (service radius) reaches it, their capacity shared by residents reached.
SUPPLY_RULES = ("in_block", "catchment")


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


_SPEC_TYPES = {"categories": list, "factor": float, "standard_factor": float, "per": float}


@cache
def provision_specs() -> tuple[ProvisionSpec, ...]:
    """The packaged provision catalogue (``data/provision.toml``).

    Raises
    ------
    blockcheck.errors.CatalogueError
        An entry lacks a field, has an unknown one or a value of the wrong
        type (the message names the file, the entry and the field).
    """
    rows = require_tables(load_data("provision.toml"), "provision")
    return tuple(build(ProvisionSpec, row, _SPEC_TYPES) for row in rows)


def _capacity(facilities: gpd.GeoDataFrame, spec: ProvisionSpec) -> np.ndarray:
    if not spec.capacity:
        return np.ones(len(facilities))
    values = pd.to_numeric(
        facilities.get(spec.capacity, pd.Series(np.nan, index=facilities.index)), errors="coerce"
    ).to_numpy(dtype="float64")
    if spec.capacity == "land_area_m2":  # polygons without a stated land area: their own area
        geom = facilities.geometry.values
        polygonal = np.isin(shapely.get_type_id(geom), (3, 6))
        values = np.where(np.isnan(values) & polygonal, shapely.area(geom), values)
    return np.nan_to_num(values) * spec.factor


def facility_provision(
    blocks: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    standards: Standards,
    specs: tuple[ProvisionSpec, ...] | None = None,
    whole_units: bool = False,
    catchment_radius_m: Mapping[str, float] | None = None,
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
    specs
        The catalogue entries to compute (default: :func:`provision_specs`).
    whole_units
        Round the requirement of whole-unit facilities (keys ending in
        ``_count``, e.g. bus terminals) up to a whole number. False (default)
        for blocks: each block's requirement is its fractional share of the
        area's; True for the whole-area row only, so the area is rounded once.
    catchment_radius_m
        None (default): the in-block rule — a facility supplies only the block
        holding its representative point. Given (service radius in metres by
        category, the standards' ``radius_m.<category>``): the catchment rule
        below. Categories without a radius keep the in-block rule.

    Returns
    -------
    pandas.DataFrame
        ``supply_<key>``, ``required_<key>`` and ``gap_<key>`` for every
        catalogue entry (e.g. ``gap_elderly_care_beds``, ``gap_school_land_ha``).

    Notes
    -----
    required = basis population ÷ per × standard; gap = max(required − supply, 0).
    A whole facility (``_count``) cannot be split between blocks: a block's
    requirement is fractional — its share of the basis of the area's
    requirement — and only the area's is rounded up (``whole_units=True``), so
    Σ blocks equals the area figure before rounding (within 1 after). E.g. two
    bus terminals per 100,000 residents: a block of 3,000 requires 0.06. A NaN
    basis gives a NaN requirement and gap.

    Supply, in-block rule (default): supply_b = Σ capacity of the facilities
    whose representative point lies in block b.

    Supply, catchment rule (`catchment_radius_m` given): a facility f of
    category c inside the area reaches every block whose polygon lies within
    r_c (the category's service radius, straight line, inclusive) of f's
    geometry — its own block always. Its capacity is shared among the blocks
    reached in proportion to their basis population P (the spec's basis:
    residents, or the elderly):

        supply_b = Σ_f cap_f × P_b ÷ Σ_{b' reached by f} P_b'

    So capacity is counted once, never whole in every block it reaches (that
    would count one kindergarten's seats for every block around it and hide
    real shortfalls): Σ_b supply_b equals the in-block total, and the
    whole-area row is the same under both rules. A facility that reaches no
    resident (Σ P = 0) stays in its own block; facilities outside every block
    count for none (the residents beyond the area, who share them too, are not
    known). E.g. a kindergarten of 180 seats in block A, 100 m from block B
    (radius 300 m), A 3,000 and B 2,000 residents: A 108, B 72 seats.
    """
    specs = specs or provision_specs()
    positions = block_index_of(blocks, facilities)
    pairs = catchment_pairs(blocks, facilities, catchment_radius_m) if catchment_radius_m is not None else None
    out = pd.DataFrame(index=blocks.index)
    for spec in specs:
        chosen = facilities["category"].isin(spec.categories).to_numpy() if not facilities.empty else np.zeros(0, bool)
        basis = population[spec.basis_column(standards)].astype("float64")
        capacity = _capacity(facilities, spec)
        if pairs is None:
            supply = sum_by_block(blocks, np.where(chosen, positions, -1), capacity)
        else:
            supply = _shared_supply(blocks, positions, pairs, np.where(chosen, capacity, 0.0), basis)
        required = basis / spec.per * float(standards[spec.standard]) * spec.standard_factor
        if whole_units and spec.key.endswith("_count"):
            required = np.ceil(required - 1e-9)  # NaN stays NaN
        out[f"supply_{spec.key}"] = supply
        out[f"required_{spec.key}"] = required
        out[f"gap_{spec.key}"] = (required - supply).clip(lower=0.0)
    return out


def catchment_pairs(
    blocks: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, radius_by_category_m: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(facility positions, block positions): each facility in a block with every block its catchment reaches.

    A facility reaches a block whose polygon lies within the service radius of
    its category (straight line from its geometry, inclusive), and always the
    block holding its representative point (:func:`blockcheck.metrics.assign.block_index_of`).
    Facilities outside every block, or of a category without a radius, reach
    only their own block (none when outside). Pairs are sorted by facility.
    """
    positions = block_index_of(blocks, facilities)
    own_f = np.flatnonzero(positions >= 0)
    own = (own_f, positions[own_f])
    if facilities.empty or blocks.empty:
        return own
    radius = facilities["category"].map(dict(radius_by_category_m)).to_numpy(dtype="float64")
    geoms = np.asarray(facilities.geometry.values, dtype=object)
    usable = (positions >= 0) & ~np.isnan(radius) & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    idx = np.flatnonzero(usable)
    if idx.size == 0:
        return own
    hit_f, hit_b = shapely.STRtree(np.asarray(blocks.geometry.values)).query(
        geoms[idx], predicate="dwithin", distance=radius[idx]
    )
    f = np.concatenate([own[0], idx[hit_f]])
    b = np.concatenate([own[1], hit_b])
    key = np.unique(f * len(blocks) + b)  # one pair per facility and block, sorted by facility
    return key // len(blocks), key % len(blocks)


def _shared_supply(
    blocks: gpd.GeoDataFrame,
    positions: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray],
    capacity: np.ndarray,
    basis: pd.Series,
) -> pd.Series:
    """The catchment rule's supply: each facility's capacity shared by the basis population of the blocks reached."""
    f, b = pairs
    weight = np.nan_to_num(basis.reindex(blocks.index).to_numpy(dtype="float64"))[b]
    total = np.bincount(f, weights=weight, minlength=len(positions))[f]
    own = positions[f] == b
    share = np.where(total > 0, weight / np.where(total > 0, total, 1.0), own.astype("float64"))
    values = np.nan_to_num(capacity)[f] * share
    return pd.Series(np.bincount(b, weights=values, minlength=len(blocks)), index=blocks.index)


def facility_within_reach(
    blocks: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    population: pd.Series,
    *,
    category: str,
    radius_m: float,
) -> pd.Series:
    """Whether a facility of `category` lies within `radius_m` of each block (1.0 / 0.0).

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    facilities
        Facilities (points or polygons) with a ``category`` field.
    population
        Block population (index like `blocks`); blocks without residents get NaN.
    category
        The facility category, e.g. ``"bus_terminal"``.
    radius_m
        Reach in metres, straight line; the health check uses the 15-minute
        life circle (``life_circle.radius_15min_m``, 1000 m) for bus terminals,
        there being no service-radius standard for them.

    Returns
    -------
    pandas.Series
        Float 1.0 / 0.0 indexed like `blocks`, named ``{category}_within_reach``
        (e.g. ``bus_terminal_within_reach``); NaN where the population is 0 or
        NaN. 0.0 everywhere when there is no facility of the category.

    Notes
    -----
    1.0 when the straight-line distance between the block polygon and the
    nearest facility of the category is at most `radius_m` (inside the block =
    0; inclusive). With the fractional requirement of whole-unit facilities
    (:func:`facility_provision`), this tells a block whose share is under one
    unit but which no such facility serves at all.
    """
    reach = np.zeros(len(blocks))
    if not facilities.empty:
        geoms = np.asarray(facilities.geometry.values, dtype=object)[(facilities["category"] == category).to_numpy()]
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if geoms.size:
            hit, _ = shapely.STRtree(geoms).query(
                np.asarray(blocks.geometry.values), predicate="dwithin", distance=float(radius_m)
            )
            reach[hit] = 1.0
    pop = pd.to_numeric(population, errors="coerce").astype("float64").reindex(blocks.index)
    return pd.Series(
        np.where(pop.to_numpy() > 0, reach, np.nan), index=blocks.index, name=f"{category}_within_reach", dtype=float
    )
