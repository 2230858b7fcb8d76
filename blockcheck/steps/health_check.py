"""Step 1, the block health check finds problems (体检评估找问题): the problem list (图1) and the resource list (图2).

:func:`health_check` calls the pure metric functions of :mod:`blockcheck.metrics`
in order, once for the blocks and once for the district as a whole (block id
``ALL``), skipping — and saying so — what the available layers cannot support.
:func:`assess` is the health check as the orchestrator runs it: missing
capacities are first estimated where a documented conversion allows
(:func:`blockcheck.inputs.completeness.estimate_capacities`), the metrics are
computed, then every metric whose input is missing is set to null and listed
(:func:`blockcheck.lists.data_gaps.judge_data`), so the problem list only states
what the data show. :func:`find_problems` is the whole step: the assessment,
the problem list (:mod:`blockcheck.lists.problems`) and the idle land and
buildings found as resources (:mod:`blockcheck.lists.resources`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck import parallel
from blockcheck.allocation.distances import KnownDistances
from blockcheck.inputs.completeness import completeness_table, estimate_capacities
from blockcheck.inputs.field_mapping import Mapping
from blockcheck.lists.data_gaps import judge_data, note_fragments
from blockcheck.lists.ids import AREA_SCOPE
from blockcheck.lists.problems import build_problem_list
from blockcheck.lists.resources import FoundResources, find_resources
from blockcheck.metrics.accessibility import (
    bus_stop_coverage_ratio,
    life_circle_coverage,
    park_coverage_ratio,
)
from blockcheck.metrics.assign import block_index_of, representative_points
from blockcheck.metrics.population import block_population, residents_from_communities
from blockcheck.metrics.population_raster import residents_from_raster
from blockcheck.metrics.provision import catchment_pairs, facility_provision, facility_within_reach
from blockcheck.metrics.roads import road_network_metrics
from blockcheck.metrics.stock import (
    industrial_land_ratio,
    job_housing_ratio,
    old_residential_buildings,
    park_green_m2,
    park_polygons,
    parking_provision,
    underground_use_ratio,
)
from blockcheck.network import (
    Entries,
    EntryRule,
    WalkNetwork,
    feature_entries,
    snap_points,
)
from blockcheck.progress import Progress, reporter
from blockcheck.standards import Standards
from blockcheck.steps.health_parameters import (
    PARKING_RATE_KEYS,
    catchment_radii,
    minutes_to_m,
    parking_rate_key,
    walk_network,
)
from blockcheck.steps.walk_notes import ENTRY_COLUMNS, entry_table, fragments_moved

__all__ = [
    "ENTRY_COLUMNS",
    "PARKING_RATE_KEYS",
    "Assessment",
    "HealthCheck",
    "HealthCheckStep",
    "assess",
    "catchment_radii",
    "entry_table",
    "find_problems",
    "health_check",
    "metrics_for",
    "parking_rate_key",
]


@dataclass(frozen=True)
class HealthCheck:
    """Results of step 1."""

    block_metrics: gpd.GeoDataFrame  # one polygon row per block, indexed by block_id
    area_metrics: pd.DataFrame  # one row, index ALL
    residents: gpd.GeoDataFrame
    skipped: tuple[str, ...]  # plain-words notes on what was not computed and why
    network: WalkNetwork | None = None  # the walking network (None without roads)
    fragments: pd.DataFrame | None = None  # blockcheck.network.fragment_table (None without roads)
    # points nearest to a fragment, measured from the connected network instead: columns kind
    # ("residents" | "facilities"), key (block id | facility category), points, population (None without roads)
    fragment_moved: pd.DataFrame | None = None
    # where parks and polygon facilities are entered (blockcheck.network.entries): one row per park and per
    # polygon facility of a category measured by walking, columns ENTRY_COLUMNS (None without roads)
    entries: pd.DataFrame | None = None


def metrics_for(
    blocks: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    residents: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
    say: Progress,
    *,
    coverage: bool = True,
    facility_entries: Entries | None = None,
    building_positions: np.ndarray | None = None,
    parks: np.ndarray | None = None,
) -> pd.DataFrame:
    """All metric columns for `blocks` (the per-block run or the one-row district).

    With ``coverage=False`` the shares of residents covered (park, bus stop,
    garbage station, substation) are left out: per resident they do not depend
    on the blocks, so the district's are the blocks' population-weighted mean.
    `facility_entries`: :func:`blockcheck.network.feature_entries` of all of
    ``layers["facilities"]`` on `network` when the caller has it (entered once
    per run, not once per use). `building_positions`: :func:`block_index_of`
    of `blocks` and ``layers["buildings"]`` when the caller has it; `parks`:
    :func:`blockcheck.metrics.stock.park_polygons` of ``layers["green"]`` likewise.
    """
    empty = gpd.GeoDataFrame(geometry=[], crs=blocks.crs)
    roads = layers.get("roads")
    green = layers.get("green", empty.assign(kind=pd.Series(dtype=object)))
    facilities = layers.get("facilities")
    buildings = layers.get("buildings")
    parcels = layers.get("parcels")
    parking = layers.get("parking")
    entrances = layers.get("entrances")  # gates: where parks and polygon facilities are entered
    entry_rule = EntryRule.from_standards(standards)
    pop = block_population(blocks, residents)
    parts = [pop]
    if roads is not None:
        say(0.30, "roads")
        parts.append(road_network_metrics(blocks, roads))  # density and implementation from one overlay pass
    say(0.40, "green")
    parts.append(park_green_m2(blocks, green, pop["population"], parks=parks))
    rule = {
        "large_min_area_m2": float(standards["green.park_large_min_area_m2"]),
        "large_radius_m": float(standards["green.park_large_radius_m"]),
        "small_min_area_m2": float(standards["green.park_small_min_area_m2"]),
        "small_radius_m": float(standards["green.park_small_radius_m"]),
    }
    if coverage:
        parts.append(park_coverage_ratio(blocks, residents, green, parks=parks, **rule).to_frame())
    # the residents are snapped to the walking network once, for park coverage and every life circle
    snapped = snap_points(network, residents.geometry) if network is not None and len(residents) else None
    if network is not None:
        parts.append(
            park_coverage_ratio(
                blocks,
                residents,
                green,
                network=network,
                snapped_residents=snapped,
                entrances=entrances,
                entry_rule=entry_rule,
                parks=parks,
                **rule,
            ).to_frame()
        )
    if facilities is not None:
        say(0.50, "facilities")
        # whole facilities (bus terminals): fractional per block, rounded up once for the district (coverage=False)
        # the catchment rule moves supply between blocks only: the district's figures are the same without it
        parts.append(
            facility_provision(
                blocks,
                facilities,
                pop,
                standards=standards,
                whole_units=not coverage,
                catchment_radius_m=catchment_radii(standards) if coverage else None,
            )
        )
        if coverage:  # district: the population-weighted mean (share of residents whose block has one within reach)
            reach_m = float(standards["life_circle.radius_15min_m"])
            parts.append(
                facility_within_reach(
                    blocks, facilities, pop["population"], category="bus_terminal", radius_m=reach_m
                ).to_frame()
            )
        for radius in (300.0, 500.0) if coverage else ():
            parts.append(bus_stop_coverage_ratio(blocks, residents, facilities, radius_m=radius).to_frame())
        for category in ("garbage_station", "substation") if coverage else ():
            stations = facilities[facilities["category"] == category].assign(category="bus_stop")
            radius = float(standards[f"radius_m.{category}"])
            parts.append(
                bus_stop_coverage_ratio(blocks, residents, stations, radius_m=radius)
                .rename(f"{category}_coverage_ratio")
                .to_frame()
            )
        if network is not None:
            say(0.60, "life circles (walking network)")
            radii = {k: float(v) for k, v in standards.with_prefix("radius_m").items()}
            parts.append(
                life_circle_coverage(
                    blocks,
                    residents,
                    facilities,
                    network,
                    radius_by_category_m=radii,
                    minutes_to_m=minutes_to_m(standards),
                    snapped_residents=snapped,
                    entrances=entrances,
                    entry_rule=entry_rule,
                    entries=facility_entries,
                )
            )
    if buildings is not None:
        say(0.80, "buildings")
        # buildings assigned to blocks once for the three metrics
        positions = block_index_of(blocks, buildings) if building_positions is None else building_positions
        parts.append(job_housing_ratio(blocks, buildings, pop["resident_workers"], block_positions=positions))
        parts.append(underground_use_ratio(blocks, buildings, block_positions=positions))
        year = int(standards["housing.old_compound_built_before_year"])
        parts.append(old_residential_buildings(blocks, buildings, built_up_to_year=year, block_positions=positions))
    if parking is not None:
        rate = parking_rate_key(standards)
        parts.append(parking_provision(blocks, parking, pop["households"], spaces_per_household=float(standards[rate])))
    if parcels is not None:
        parts.append(industrial_land_ratio(blocks, parcels).to_frame())
    out = pd.concat(parts, axis=1)
    out.insert(0, "area_ha", blocks.geometry.area / 1e4)
    if facilities is not None:  # which rules made the figures (text columns, the same in every row)
        out["provision_rule"] = str(standards.get("provision.supply_rule", "in_block"))
    if parking is not None:
        out["parking_rate"] = rate
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
    per_block: Callable[..., pd.DataFrame] | None = None,
    network: WalkNetwork | None = None,
) -> HealthCheck:
    """Run the block health check on validated layers (one metric CRS).

    Parameters
    ----------
    layers
        The checked input layers (:func:`blockcheck.inputs.validate.validate_input`).
    standards
        The run's standards.
    population_raster
        A people-per-pixel GeoTIFF to use instead of the communities' figures
        (zonal sum with fractional pixel coverage).
    progress
        Callback ``(fraction, message)``.
    per_block
        Computes the blocks' metric columns from ``(blocks, layers, residents,
        network, standards, progress)``; default: here, for all blocks at once
        (``blockcheck run --tiles`` passes :class:`blockcheck.tiles.TiledBlockMetrics`).
    network
        :func:`~blockcheck.network.build_walk_network` of ``layers["roads"]`` with the fragment length of
        `standards`, when the caller built it already (:func:`find_problems`: once for both processes);
        default: built here.

    Returns
    -------
    HealthCheck
    """
    say = reporter(progress)
    blocks = layers["blocks"].set_index("block_id", drop=False)
    blocks.index.name = "block_id"
    buildings = layers.get("buildings")
    # a point inside each building, made once: the block of each building, and where its residents live
    points = representative_points(buildings)
    in_block = block_index_of(blocks, buildings, points=points) if buildings is not None else None
    say(0.05, "population")
    if population_raster is not None:
        residents = residents_from_raster(blocks, population_raster)
    elif "communities" in layers:
        residents = residents_from_communities(blocks, layers["communities"], buildings, building_points=points)
    else:
        residents = gpd.GeoDataFrame(
            {
                c: pd.Series(dtype="float64")
                for c in ("population", "households", "elderly_population", "resident_workers")
            }
            | {"block_id": pd.Series(dtype=object)},
            geometry=[],
            crs=blocks.crs,
        )
    green = layers.get("green")
    # the parks' union, made once for every park metric, both passes and the entry table
    parks = park_polygons(green) if green is not None and "kind" in green.columns else None
    fragments = moved = entries = sites = None
    if "roads" not in layers:
        network = None
    else:
        say(0.20, "walking network")
        network = walk_network(layers, standards) if network is None else network
        facilities = layers.get("facilities")  # entered once: for the metrics and the two reports below
        if facilities is not None and len(facilities):
            sites = feature_entries(
                network, facilities, layers.get("entrances"), rule=EntryRule.from_standards(standards)
            )
        fragments, moved = fragments_moved(network, residents, facilities, sites)
        entries = entry_table(network, layers, standards, facility_entries=sites, parks=parks)
    del points
    if per_block is None:
        made = {"facility_entries": sites, "building_positions": in_block, "parks": parks}  # made once above
        per_block = metrics_for(blocks, layers, residents, network, standards, say, **made)
    else:
        per_block = per_block(blocks, layers, residents, network, standards, say)
    say(0.85, "whole area")
    district = gpd.GeoDataFrame(
        {"block_id": [AREA_SCOPE]},
        geometry=[shapely.union_all(blocks.geometry.values)],
        crs=blocks.crs,
        index=pd.Index([AREA_SCOPE], name="block_id"),
    )
    area_residents = residents.assign(block_id=AREA_SCOPE)
    # coverage of the whole area = population-weighted mean of the blocks' (every resident lies in a
    # block; same residents, same distances): no second round of distance queries, snapping and searches
    # a building is in the whole area when it is in a block (the area is the blocks' union)
    in_area = None if in_block is None else np.where(in_block >= 0, 0, -1)
    per_area = metrics_for(
        district, layers, area_residents, None, standards, say, coverage=False, building_positions=in_area, parks=parks
    )
    shares = [c for c in per_block.columns if c not in per_area.columns]
    if shares:
        weight = per_block["population"].astype("float64")
        values = per_block[shares].astype("float64")
        counted = values.notna() & (weight > 0).to_numpy()[:, None]
        totals = values.where(counted).mul(weight, axis=0).sum()
        denominators = counted.mul(weight, axis=0).sum()
        area_shares = (totals / denominators.where(denominators > 0)).to_frame(AREA_SCOPE).T
        per_area = pd.concat([per_area, area_shares], axis=1)[per_block.columns]
        per_area.index.name = "block_id"
    block_metrics = gpd.GeoDataFrame(
        pd.concat([blocks.reindex(columns=["block_id", "name", "subdistrict"]), per_block], axis=1),
        geometry=blocks.geometry,
        crs=blocks.crs,
    )
    say(1.0, "health check finished")
    return HealthCheck(
        block_metrics=block_metrics,
        area_metrics=per_area,
        residents=residents,
        skipped=_skipped(layers),
        network=network,
        fragments=fragments,
        fragment_moved=moved,
        entries=entries,
    )


@dataclass(frozen=True)
class Assessment:
    """The health check with no-data metrics nulled, and the evidence of what was missing."""

    health: HealthCheck  # block_metrics / area_metrics with no-data values null
    layers: dict[str, gpd.GeoDataFrame]  # the input layers with estimated capacities filled
    completeness: pd.DataFrame  # blockcheck.inputs.completeness.completeness_table
    metric_status: pd.DataFrame  # schema metric_status
    data_gaps: pd.DataFrame  # schema data_gaps


def with_capacities(
    layers: dict[str, gpd.GeoDataFrame], standards: Standards
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame | None]:
    """The layers with the facilities' missing capacities estimated, and the estimates' table (None: no facilities).

    The same call on the same layers gives the same frames: :func:`find_problems`
    hands its result to the resource search before the health check repeats it.
    """
    filled, capacity = dict(layers), None
    if "facilities" in layers:
        filled["facilities"], capacity = estimate_capacities(
            layers["facilities"], buildings=layers.get("buildings"), standards=standards
        )
    return filled, capacity


def assess(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    mapping: Mapping | None = None,
    population_raster: str | os.PathLike | None = None,
    progress: Progress | None = None,
    per_block: Callable[..., pd.DataFrame] | None = None,
    capacities: tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame | None] | None = None,
    network: WalkNetwork | None = None,
) -> Assessment:
    """Run the health check and judge which of its metrics the data support.

    Parameters
    ----------
    layers
        Checked input layers (one metric CRS).
    standards
        The run's standards (thresholds and the ``conversion.*`` factors of the estimates).
    mapping
        The mapping, for its ``[completeness]`` declarations (none: nothing declared).
    population_raster
        People-per-pixel raster replacing the communities' counts.
    progress
        Callback ``(fraction, message)``.
    per_block
        As :func:`health_check`.
    capacities
        :func:`with_capacities` of the same layers and standards when the caller has it.
    network
        As :func:`health_check`.

    Returns
    -------
    Assessment
    """
    mapping = mapping or Mapping()
    filled, capacity = capacities if capacities is not None else with_capacities(layers, standards)
    health = health_check(
        filled, standards, population_raster=population_raster, progress=progress, per_block=per_block, network=network
    )
    completeness = completeness_table(
        filled, mapping, standards, capacity=capacity, population_raster=population_raster is not None
    )
    blocks = filled["blocks"].set_index("block_id", drop=False)
    radii = catchment_radii(standards)
    judged = judge_data(
        health.block_metrics,
        health.area_metrics,
        blocks=blocks,
        layers=filled,
        completeness=completeness,
        capacity=capacity,
        provision_reach=catchment_pairs(blocks, filled["facilities"], radii)
        if radii is not None and "facilities" in filled
        else None,
    )
    block_metrics = gpd.GeoDataFrame(
        judged.block_metrics, geometry=health.block_metrics.geometry, crs=health.block_metrics.crs
    )
    health = dataclasses.replace(health, block_metrics=block_metrics, area_metrics=judged.area_metrics)
    status = judged.metric_status
    if health.fragments is not None and len(health.fragments):
        status = note_fragments(status, health.fragments, health.fragment_moved)
    return Assessment(
        health=health,
        layers=filled,
        completeness=completeness,
        metric_status=status,
        data_gaps=judged.data_gaps,
    )


@dataclass(frozen=True)
class HealthCheckStep:
    """The lists of step 1 with the assessment behind them."""

    assessment: Assessment
    problem_list: pd.DataFrame
    resource_list: gpd.GeoDataFrame | None  # None when the run stops after the problems
    resource_members: pd.DataFrame | None = None  # the features behind the per-block rows (resource_members)
    resource_distances: KnownDistances | None = None  # the allocation's walks, found with the resources
    while_searching: object = None  # what find_problems(while_searching=…) returned


def find_problems(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    mapping: Mapping | None = None,
    population_raster: str | os.PathLike | None = None,
    resources: bool = True,
    previous_resources: pd.DataFrame | None = None,
    as_of_year: int | None = None,
    progress: Progress | None = None,
    per_block: Callable[..., pd.DataFrame] | None = None,
    distances_ahead: bool = False,
    while_searching: Callable[[Assessment], object] | None = None,
) -> HealthCheckStep:
    """Step 1: the health check, the problem list and (unless `resources` is False) the resource list.

    Parameters
    ----------
    layers, standards, mapping, population_raster, progress, per_block
        As :func:`assess`. A `per_block` with ``problem_list`` and
        ``locate_resources`` methods (:class:`blockcheck.tiles.TiledBlockMetrics`)
        also builds the problem list and finds the resources, in place of
        :func:`blockcheck.lists.problems.build_problem_list` and
        :func:`blockcheck.lists.resources.locate_resources`.
    resources
        Also find the resources (idle land and buildings).
    previous_resources
        The resource list as the workbook holds it: analysts' status decisions are kept.
    as_of_year
        The year "idle for N years" is counted to (default: this year).
    distances_ahead
        When the resource search runs in a second process (:mod:`blockcheck.parallel`), let it also walk
        the allocation's resource–block pairs (:func:`blockcheck.allocation.ahead.distances_ahead`);
        ``resource_distances`` of the result holds them.
    while_searching
        Work of the caller's that needs the assessment but not the resources (a run's step 2): called
        once the problems are found, while the search's process still works, so neither core waits.
        Its value is ``while_searching`` of the result.

    Returns
    -------
    HealthCheckStep
    """
    located = getattr(per_block, "locate_resources", None)  # a tiled run finds them tile by tile
    searching = capacities = network = None
    if resources and located is None:  # independent of the health check: beside it, in a second process
        capacities = with_capacities(layers, standards)
        ahead = distances_ahead and "roads" in layers and parallel.fork_available()  # no time to gain otherwise
        # the walks ahead need the walking network too: built once, before the fork, both processes have it
        network = walk_network(layers, standards) if ahead else None
        searching = parallel.start(_search, capacities[0], standards, previous_resources, as_of_year, network)
    try:
        assessment = assess(
            layers,
            standards,
            mapping=mapping,
            population_raster=population_raster,
            progress=progress,
            per_block=per_block,
            capacities=capacities,
            network=network,
        )
        health = assessment.health
        # a tiled run's per-block step builds the blocks' rows tile by tile too (blockcheck.tiles.problems)
        problems = getattr(per_block, "problem_list", build_problem_list)(
            health.block_metrics.drop(columns="geometry"),
            health.area_metrics,
            standards,
            metric_status=assessment.metric_status,
        )
        beside = while_searching(assessment) if while_searching is not None else None
    except BaseException:
        if searching is not None:
            searching.cancel()
        raise
    found = distances = None
    if searching is not None:
        found, distances = searching.result()
    elif resources:
        found = find_resources(
            assessment.layers, standards, previous=previous_resources, as_of_year=as_of_year, located=located
        )
    return HealthCheckStep(
        assessment=assessment,
        problem_list=problems,
        resource_list=None if found is None else found.resource_list,
        resource_members=None if found is None else found.members,
        resource_distances=distances,
        while_searching=beside,
    )


def _search(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    previous: pd.DataFrame | None,
    as_of_year: int | None,
    network: WalkNetwork | None,
) -> tuple[FoundResources, KnownDistances | None]:
    """The resource search (and, given the walking `network`, the allocation's walks from what it found): one
    process's part.
    """
    found = find_resources(layers, standards, previous=previous, as_of_year=as_of_year)
    if network is None:
        return found, None
    from blockcheck.allocation.ahead import distances_ahead

    parallel.release_free_memory()  # what the search freed, before the walks take their own
    return found, distances_ahead(found.resource_list, layers["blocks"], network, standards)
