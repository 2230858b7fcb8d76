"""Step 1, the block health check (体检评估): every metric for every block and for the whole area.

:func:`health_check` calls the pure metric functions of :mod:`blockcheck.metrics`
in order, once for the blocks and once for the district as a whole (block id
``ALL``), skipping — and saying so — what the available layers cannot support.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from .metrics.accessibility import bus_stop_coverage_ratio, life_circle_coverage, park_coverage_ratio
from .metrics.population import block_population, residents_from_communities, residents_from_raster
from .metrics.provision import facility_provision, facility_within_reach
from .metrics._assign import block_index_of
from .metrics.roads import road_network_metrics
from .metrics.stock import (
    industrial_land_ratio,
    job_housing_ratio,
    old_residential_buildings,
    park_green_m2,
    parking_provision,
    underground_use_ratio,
)
from .network import WalkNetwork, build_walk_network, snap_points
from .standards import Standards

__all__ = ["AREA_ID", "HealthCheck", "health_check"]

#: block_id of the whole-area row.
AREA_ID = "ALL"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class HealthCheck:
    """Results of step 1."""

    block_metrics: gpd.GeoDataFrame  # one polygon row per block, indexed by block_id
    area_metrics: pd.DataFrame  # one row, index ALL
    residents: gpd.GeoDataFrame
    skipped: tuple[str, ...]  # plain-words notes on what was not computed and why
    network: WalkNetwork | None = None  # the walking network (None without roads)


def _minutes_to_m(standards: Standards) -> dict[int, float]:
    return {m: float(standards[f"life_circle.radius_{m}min_m"]) for m in (5, 10, 15)}


def _metrics_for(
    blocks: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    residents: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
    say: Progress,
    *,
    coverage: bool = True,
) -> pd.DataFrame:
    """All metric columns for `blocks` (the per-block run or the one-row district).

    With ``coverage=False`` the shares of residents covered (park, bus stop,
    garbage station, substation) are left out: per resident they do not depend
    on the blocks, so the district's are the blocks' population-weighted mean.
    """
    empty = gpd.GeoDataFrame(geometry=[], crs=blocks.crs)
    roads = layers.get("roads")
    green = layers.get("green", empty.assign(kind=pd.Series(dtype=object)))
    facilities = layers.get("facilities")
    buildings = layers.get("buildings")
    parcels = layers.get("parcels")
    parking = layers.get("parking")
    pop = block_population(blocks, residents)
    parts = [pop]
    if roads is not None:
        say(0.30, "roads")
        parts.append(road_network_metrics(blocks, roads))  # density and implementation from one overlay pass
    say(0.40, "green")
    parts.append(park_green_m2(blocks, green, pop["population"]))
    rule = {
        "large_min_area_m2": float(standards["green.park_large_min_area_m2"]),
        "large_radius_m": float(standards["green.park_large_radius_m"]),
        "small_min_area_m2": float(standards["green.park_small_min_area_m2"]),
        "small_radius_m": float(standards["green.park_small_radius_m"]),
    }
    if coverage:
        parts.append(park_coverage_ratio(blocks, residents, green, **rule).to_frame())
    # the residents are snapped to the walking network once, for park coverage and every life circle
    snapped = snap_points(network, residents.geometry) if network is not None and len(residents) else None
    if network is not None:
        parts.append(park_coverage_ratio(blocks, residents, green, network=network, snapped_residents=snapped, **rule).to_frame())
    if facilities is not None:
        say(0.50, "facilities")
        # whole facilities (bus terminals): fractional per block, rounded up once for the district (coverage=False)
        parts.append(facility_provision(blocks, facilities, pop, standards, whole_units=not coverage))
        if coverage:  # district: the population-weighted mean (share of residents whose block has one within reach)
            reach_m = float(standards["life_circle.radius_15min_m"])
            parts.append(facility_within_reach(blocks, facilities, pop["population"], category="bus_terminal", radius_m=reach_m).to_frame())
        for radius in (300.0, 500.0) if coverage else ():
            parts.append(bus_stop_coverage_ratio(blocks, residents, facilities, radius_m=radius).to_frame())
        for category in ("garbage_station", "substation") if coverage else ():
            stations = facilities[facilities["category"] == category].assign(category="bus_stop")
            radius = float(standards[f"radius_m.{category}"])
            parts.append(bus_stop_coverage_ratio(blocks, residents, stations, radius_m=radius).rename(f"{category}_coverage_ratio").to_frame())
        if network is not None:
            say(0.60, "life circles (walking network)")
            radii = {k: float(v) for k, v in standards.with_prefix("radius_m").items()}
            parts.append(
                life_circle_coverage(
                    blocks, residents, facilities, network, radius_by_category_m=radii, minutes_to_m=_minutes_to_m(standards), snapped_residents=snapped
                )
            )
    if buildings is not None:
        say(0.80, "buildings")
        positions = block_index_of(blocks, buildings)  # buildings assigned to blocks once for the three metrics
        parts.append(job_housing_ratio(blocks, buildings, pop["resident_workers"], block_positions=positions))
        parts.append(underground_use_ratio(blocks, buildings, block_positions=positions))
        year = int(standards["housing.old_compound_built_before_year"])
        parts.append(old_residential_buildings(blocks, buildings, built_up_to_year=year, block_positions=positions))
    if parking is not None:
        parts.append(parking_provision(blocks, parking, pop["households"], spaces_per_household=float(standards["parking.spaces_per_household"])))
    if parcels is not None:
        parts.append(industrial_land_ratio(blocks, parcels).to_frame())
    out = pd.concat(parts, axis=1)
    out.insert(0, "area_ha", blocks.geometry.area / 1e4)
    return out


def _skipped(layers: dict[str, gpd.GeoDataFrame]) -> tuple[str, ...]:
    notes = []
    needs = {
        "roads": "road density, road implementation, walking distances (park walk coverage, life circles)",
        "facilities": "facility supply and gaps, bus-stop, garbage-station and substation coverage, life circles",
        "buildings": "dasymetric population, jobs and job–housing ratio, underground use, old housing",
        "parking": "parking supply and gap",
        "parcels": "industrial land share",
        "green": "park green area and coverage (computed as zero park green)",
        "communities": "population-based metrics (unless a population raster is given)",
    }
    for layer, what in needs.items():
        if layer not in layers:
            notes.append(f"no '{layer}' layer: {what} not computed")
    return tuple(notes)


def health_check(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    population_raster: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> HealthCheck:
    """Run the block health check on validated layers (one metric CRS).

    Parameters
    ----------
    layers
        The checked input layers (:func:`blockcheck.validation.validate_input`).
    standards
        The run's standards.
    population_raster
        A people-per-pixel GeoTIFF to use instead of the communities' figures
        (zonal sum with fractional pixel coverage).
    progress
        Callback ``(fraction, message)``.

    Returns
    -------
    HealthCheck
    """
    say = progress or (lambda fraction, message: None)
    blocks = layers["blocks"].set_index("block_id", drop=False)
    blocks.index.name = "block_id"
    say(0.05, "population")
    if population_raster is not None:
        residents = residents_from_raster(blocks, population_raster)
    elif "communities" in layers:
        residents = residents_from_communities(blocks, layers["communities"], layers.get("buildings"))
    else:
        residents = gpd.GeoDataFrame(
            {c: pd.Series(dtype="float64") for c in ("population", "households", "elderly_population", "resident_workers")}
            | {"block_id": pd.Series(dtype=object)},
            geometry=[], crs=blocks.crs,
        )
    network = None
    if "roads" in layers:
        say(0.20, "walking network")
        network = build_walk_network(layers["roads"])
    per_block = _metrics_for(blocks, layers, residents, network, standards, say)
    say(0.85, "whole area")
    district = gpd.GeoDataFrame(
        {"block_id": [AREA_ID]}, geometry=[shapely.union_all(blocks.geometry.values)], crs=blocks.crs, index=pd.Index([AREA_ID], name="block_id")
    )
    area_residents = residents.assign(block_id=AREA_ID)
    # coverage of the whole area = population-weighted mean of the blocks' (every resident lies in a
    # block; same residents, same distances): no second round of distance queries, snapping and searches
    per_area = _metrics_for(district, layers, area_residents, None, standards, say, coverage=False)
    shares = [c for c in per_block.columns if c not in per_area.columns]
    if shares:
        weight = per_block["population"].astype("float64")
        values = per_block[shares].astype("float64")
        counted = values.notna() & (weight > 0).to_numpy()[:, None]
        totals = values.where(counted).mul(weight, axis=0).sum()
        denominators = counted.mul(weight, axis=0).sum()
        area_shares = (totals / denominators.where(denominators > 0)).to_frame(AREA_ID).T
        per_area = pd.concat([per_area, area_shares], axis=1)[per_block.columns]
        per_area.index.name = "block_id"
    block_metrics = gpd.GeoDataFrame(
        pd.concat([blocks.reindex(columns=["block_id", "name", "subdistrict"]), per_block], axis=1),
        geometry=blocks.geometry, crs=blocks.crs,
    )
    say(1.0, "health check finished")
    return HealthCheck(block_metrics=block_metrics, area_metrics=per_area, residents=residents, skipped=_skipped(layers), network=network)
