"""Metrics of the building and land stock: green, jobs, parking, underground space, old housing, land use."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.metrics.assign import block_index_of, given_or_block_index_of, overlap_area_m2, sum_by_block

__all__ = [
    "industrial_land_ratio",
    "job_housing_ratio",
    "old_residential_buildings",
    "park_green_m2",
    "park_polygons",
    "parking_provision",
    "underground_use_ratio",
]


def park_polygons(green: gpd.GeoDataFrame) -> np.ndarray:
    """The parks of `green` (``kind == "park"``) as the parts of their union: overlapping polygons make one park.

    Every park metric counts these: :func:`park_green_m2` their area in a
    block, :func:`blockcheck.metrics.accessibility.park_coverage_ratio` their
    size class and reach, and the entry table where they are entered. The
    union is the costly part (4 s for 16,000 green spaces), so a caller that
    needs several of them makes the parks once and passes them (``parks=``).

    Parameters
    ----------
    green
        Green-space polygons with a ``kind`` field.

    Returns
    -------
    numpy.ndarray
        Polygons (object array): the union's polygonal parts, invalid outlines
        repaired first (``make_valid``) and the lines it may leave dropped.
    """
    parks = np.asarray(green.geometry.values, dtype=object)[(green["kind"] == "park").to_numpy()]
    parks = parks[~(shapely.is_missing(parks) | shapely.is_empty(parks))]
    if parks.size:  # overlapping park polygons are one park (its size decides the class)
        parks = shapely.get_parts(
            shapely.union_all(np.where(shapely.is_valid(parks), parks, shapely.make_valid(parks)))
        )
        parks = parks[np.isin(shapely.get_type_id(parks), (3, 6))]
    return parks


def park_green_m2(
    blocks: gpd.GeoDataFrame,
    green: gpd.GeoDataFrame,
    population: pd.Series,
    *,
    parks: np.ndarray | None = None,
) -> pd.DataFrame:
    """Park green area per block and per resident.

    `parks`: :func:`park_polygons` of `green` when the caller has them
    (made here otherwise).

    Returns
    -------
    pandas.DataFrame
        ``park_green_m2`` (area of ``kind == "park"`` green inside the block) and
        ``park_green_m2_per_capita`` (÷ block population; NaN without residents).

    Notes
    -----
    The park polygons are unioned first: ground covered by several of them (a
    garden drawn inside a park, overlapping park outlines) counts once, so a
    100 × 100 m park with a 20 × 20 m garden inside is 10,000 m², not 10,400.
    park_green_m2 = area(block ∩ ⋃ parks).

    Standard: GB 55014-2021 §2.1.3 人均公园绿地 > 8 m² (national profile);
    Beijing 16.5 m² (standards key ``green.park_per_capita_min_m2``).
    """
    if parks is None:
        parks = park_polygons(green) if not green.empty else np.empty(0, dtype=object)
    area = overlap_area_m2(blocks, gpd.GeoDataFrame(geometry=parks, crs=green.crs))
    pop = population.astype("float64")
    return pd.DataFrame(
        {"park_green_m2": area, "park_green_m2_per_capita": area / pop.where(pop > 0)}, index=blocks.index
    )


def job_housing_ratio(
    blocks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    resident_workers: pd.Series,
    *,
    block_positions: np.ndarray | None = None,
) -> pd.DataFrame:
    """Jobs per employed resident (职住比) per block.

    Parameters
    ----------
    block_positions
        Position of each building's block (:func:`blockcheck.metrics.assign.block_index_of`),
        when the caller has it already; computed when None.

    Returns
    -------
    pandas.DataFrame
        ``jobs`` (Σ building ``employees`` in the block) and ``job_housing_ratio``
        = jobs ÷ resident workers (NaN without resident workers).

    Notes
    -----
    No official threshold exists; the Beijing profile compares with the city
    average 0.53 quoted in the method's Huitian problem list.
    """
    employees = buildings["employees"] if "employees" in buildings else pd.Series(np.nan, index=buildings.index)
    jobs = sum_by_block(
        blocks,
        given_or_block_index_of(blocks, buildings, block_positions),
        employees.to_numpy(dtype="float64", na_value=0.0),
    )
    workers = resident_workers.astype("float64")
    return pd.DataFrame({"jobs": jobs, "job_housing_ratio": jobs / workers.where(workers > 0)}, index=blocks.index)


def parking_provision(
    blocks: gpd.GeoDataFrame, parking: gpd.GeoDataFrame, households: pd.Series, *, spaces_per_household: float
) -> pd.DataFrame:
    """Parking requirement, supply and gap per block.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    parking
        Car parks (points or polygons) with ``spaces`` (null: capacity not known) and ``access``.
    households
        Households per block (index like `blocks`).
    spaces_per_household
        The rate of the requirement. The health check passes the existing-fabric
        rate ``parking.spaces_per_household_existing`` when the standards give
        it a value, else ``parking.spaces_per_household`` (完整居住社区建设标准:
        ≥ 1 space per household, a minimum for new communities), and records
        which in ``block_metrics.parking_rate``.

    Returns
    -------
    pandas.DataFrame
        ``parking_required_spaces`` = households × spaces_per_household,
        ``parking_supply_spaces`` (Σ spaces of the car parks in the block, public and private),
        ``parking_public_spaces`` (Σ spaces of the public ones) and
        ``parking_gap_spaces`` = max(required − supply, 0).

    Notes
    -----
    A car park without a capacity is not 0 spaces: the supply of its block is
    NaN (a sum over the known car parks would understate the supply and
    overstate the gap), and so is the gap; the public spaces are NaN where a
    public car park lacks its capacity. Blocks without car parks supply 0.
    """
    positions = block_index_of(blocks, parking)
    given = parking["spaces"] if "spaces" in parking else pd.Series(np.nan, index=parking.index)  # absent: unknown
    spaces = pd.to_numeric(given, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    public = (parking["access"] == "public").to_numpy() if not parking.empty else np.zeros(0, bool)
    unknown = np.isnan(spaces)

    def total(chosen: np.ndarray) -> pd.Series:
        """Σ known spaces of the `chosen` car parks per block; NaN where one of them has no capacity."""
        known = sum_by_block(blocks, np.where(chosen, positions, -1), spaces)
        lacking = sum_by_block(blocks, np.where(chosen & unknown, positions, -1), np.ones(len(spaces)))
        return known.where(lacking == 0)

    supply = total(np.ones(len(spaces), bool))
    required = households.astype("float64") * spaces_per_household
    return pd.DataFrame(
        {
            "parking_required_spaces": required,
            "parking_supply_spaces": supply,
            "parking_public_spaces": total(public),
            "parking_gap_spaces": (required - supply).clip(lower=0.0),
        },
        index=blocks.index,
    )


def underground_use_ratio(
    blocks: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, block_positions: np.ndarray | None = None
) -> pd.DataFrame:
    """Share of the available underground floor area that is in use.

    Parameters
    ----------
    block_positions
        Position of each building's block (:func:`blockcheck.metrics.assign.block_index_of`),
        when the caller has it already; computed when None.

    Returns
    -------
    pandas.DataFrame
        ``underground_area_m2``, ``underground_used_m2`` and ``underground_use_ratio``
        = used ÷ available (NaN where the block has no underground space).

    Notes
    -----
    No standard threshold; the Huitian problem list reports 40 % use as a problem.
    """
    positions = given_or_block_index_of(blocks, buildings, block_positions)

    def col(name: str) -> np.ndarray:
        """Column `name` of the buildings as floats (0 where missing or absent)."""
        if name not in buildings:
            return np.zeros(len(buildings))
        return buildings[name].to_numpy(dtype="float64", na_value=0.0)

    area = sum_by_block(blocks, positions, col("underground_area_m2"))
    used = sum_by_block(blocks, positions, np.minimum(col("underground_used_m2"), col("underground_area_m2")))
    return pd.DataFrame(
        {
            "underground_area_m2": area,
            "underground_used_m2": used,
            "underground_use_ratio": used / area.where(area > 0),
        },
        index=blocks.index,
    )


def old_residential_buildings(
    blocks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    built_up_to_year: int,
    block_positions: np.ndarray | None = None,
) -> pd.DataFrame:
    """Old residential buildings (built up to `built_up_to_year`) per block.

    Parameters
    ----------
    block_positions
        Position of each building's block (:func:`blockcheck.metrics.assign.block_index_of`),
        when the caller has it already; computed when None.

    Returns
    -------
    pandas.DataFrame
        ``old_residential_buildings_count`` and ``old_residential_floor_ratio``
        (their share of residential floor area; NaN without residential floor area).
    """
    positions = given_or_block_index_of(blocks, buildings, block_positions)
    residential = (
        buildings["use"].isin(["residential", "mixed"]).to_numpy() if not buildings.empty else np.zeros(0, bool)
    )
    year = (
        buildings["year_built"].to_numpy(dtype="float64", na_value=np.nan)
        if "year_built" in buildings
        else np.full(len(buildings), np.nan)
    )
    floors = (
        buildings["floors"].to_numpy(dtype="float64", na_value=1.0)
        if "floors" in buildings
        else np.ones(len(buildings))
    )
    floor_m2 = buildings.geometry.area.to_numpy() * np.maximum(floors, 1.0)
    old = residential & (year <= built_up_to_year)
    count = sum_by_block(blocks, np.where(old, positions, -1), np.ones(len(buildings)))
    old_m2 = sum_by_block(blocks, np.where(old, positions, -1), floor_m2)
    res_m2 = sum_by_block(blocks, np.where(residential, positions, -1), floor_m2)
    return pd.DataFrame(
        {"old_residential_buildings_count": count, "old_residential_floor_ratio": old_m2 / res_m2.where(res_m2 > 0)},
        index=blocks.index,
    )


def industrial_land_ratio(blocks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> pd.Series:
    """Share of block area in industrial land use (GB 50137 class M), NaN without parcels.

    ``industrial_land_ratio = area(block ∩ parcels with land_use M…) / area(block)``.

    Parameters
    ----------
    blocks
        Block polygons (metric CRS).
    parcels
        Parcels with ``land_use`` (GB 50137 codes; ``M``, ``M1`` … are industrial).

    Returns
    -------
    pandas.Series
        ``industrial_land_ratio`` (0–1) per block, aligned with `blocks`; NaN
        where there are no parcels (no data is not a finding).

    Notes
    -----
    The Huitian problem list reports industrial land of only 7 %, with low yield.
    """
    industrial = parcels[parcels["land_use"].astype(str).str.startswith("M")] if not parcels.empty else parcels
    share = overlap_area_m2(blocks, industrial) / blocks.geometry.area
    return share.rename("industrial_land_ratio")
