"""Accessibility: how many residents of each block reach parks, bus stops and life-circle facilities.

Every measure here is a population-weighted share of a block's residents:

    ratio(block) = Σ population of the block's residents that are covered
                   / Σ population of the block's residents,

with residents given as points (one per residential building, columns
``population`` and ``block_id``; see the population module). A resident is
covered when its distance to the nearest qualifying facility is at most the
radius — inclusive, with a slack of :data:`blockcheck.network.DISTANCE_TOLERANCE_M`
(1 µm) for floating-point error. Distances are walking distances over a
:class:`blockcheck.network.WalkNetwork` (snap + along the network + snap) or,
where the standard says so, straight-line distances.

Where a walk ends (one rule for parks and for every polygon facility,
:mod:`blockcheck.network.entries`): a polygon is entered at its gates (the
optional ``entrances`` layer) where they are mapped, otherwise at access points
along its outline where it fronts a walkable edge, and along its whole outline
when none of it does; a point facility at its point. The walking distance to a
category is the minimum over all entry points of all its features; a resident
inside one of its polygons is at distance 0.

NaN policy (all functions): a block without residents, or whose residents
total zero population, gets NaN (the share is undefined). Residents whose
``block_id`` is not in `blocks` are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from blockcheck.crs import require_same_metric_crs
from blockcheck.errors import InputError
from blockcheck.metrics.stock import park_polygons
from blockcheck.network import (
    DISTANCE_TOLERANCE_M,
    Entries,
    EntryRule,
    Snapped,
    WalkNetwork,
    feature_entries,
    nearest_source_distance_m,
    point_array,
    snap_points,
)

__all__ = [
    "DEFAULT_LIFE_CIRCLE_M",
    "bus_stop_coverage_ratio",
    "life_circle_coverage",
    "park_coverage_ratio",
    "park_polygons",
]

#: Walking distance of the 5-, 10- and 15-minute life circles (GB 50180-2018 §2.0.2–2.0.4), in metres.
DEFAULT_LIFE_CIRCLE_M: Mapping[int, float] = MappingProxyType({5: 300.0, 10: 500.0, 15: 1000.0})
#: The shipped value of the parameter ``network.entry_spacing_m`` (the largest spacing of the access points
#: along the outline of a park or polygon facility, in metres), for callers of the old name; the metrics
#: read the parameter (their ``entry_rule``), see :mod:`blockcheck.network.entries`.
PARK_ACCESS_SPACING_M = EntryRule.from_standards().spacing_m
#: Vertex spacing of the outlines used to bound straight-line distances to lines and polygons, in metres.
OUTLINE_SPACING_M = 10.0


# --------------------------------------------------------------- helpers ----


def _require_columns(frame: gpd.GeoDataFrame, what: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = (
            f"The {what} lack the column(s) {', '.join(missing)}. Add them (see docs/data-model.md) or map them with a "
            "field-mapping file."
        )
        raise InputError(msg)


def _residents(
    blocks: gpd.GeoDataFrame, residents: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points, population (persons), block position and the mask (over `residents`) of the residents that count.

    Residents outside `blocks` or with zero population are left out (they
    cannot change any ratio).
    """
    if not blocks.index.is_unique:
        dupes = blocks.index[blocks.index.duplicated()].unique()[:5].tolist()
        msg = (
            f"The blocks index (block_id) is not unique: {dupes} occur more than once. Give every block its own "
            "block_id."
        )
        raise InputError(msg)
    _require_columns(residents, "residents", ("population", "block_id"))
    population = pd.to_numeric(residents["population"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(population) | (population < 0)
    if bad.any():
        msg = (
            f"{int(bad.sum())} residents have a missing, non-numeric or negative population (e.g. at position "
            f"{int(np.flatnonzero(bad)[0])}). Populations must be numbers >= 0 (persons)."
        )
        raise InputError(msg)
    points = point_array(residents.geometry, what="residents")
    code = blocks.index.get_indexer(residents["block_id"])
    use = (code >= 0) & (population > 0)
    return points[use], population[use], code[use], use


def _snapped_targets(
    network: WalkNetwork,
    residents: gpd.GeoDataFrame,
    points: np.ndarray,
    use: np.ndarray,
    snapped_residents: Snapped | None,
    subset: np.ndarray,
) -> Snapped:
    """The counted residents (`points`, mask `use` over `residents`) at `subset`, snapped to `network`.

    Taken from `snapped_residents` when given, else snapped here.
    """
    if snapped_residents is None:
        return snap_points(network, points[subset])
    if len(snapped_residents) != len(residents):
        msg = (
            f"snapped_residents holds {len(snapped_residents)} points but there are {len(residents)} residents. Pass "
            "snap_points(network, residents.geometry) for the same residents, or leave it out."
        )
        raise InputError(msg)
    return snapped_residents.take(np.flatnonzero(use)[subset])


def _share(n_blocks: int, code: np.ndarray, population: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Population-weighted share of covered residents per block; NaN where the block has no population."""
    total = np.bincount(code, weights=population, minlength=n_blocks)
    hit = np.bincount(code, weights=population * covered, minlength=n_blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, hit / np.where(total > 0, total, 1.0), np.nan)


def _inside_pairs(points: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, feature) positions of every point lying inside or on a polygonal feature of `geoms` (1 µm slack)."""
    polygonal = np.flatnonzero(np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms))
    if polygonal.size == 0 or points.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    hits = shapely.STRtree(geoms[polygonal]).query(points, predicate="dwithin", distance=DISTANCE_TOLERANCE_M)
    return hits[0], polygonal[hits[1]]


def _within_m(points: np.ndarray, geoms: np.ndarray, radius_m: float) -> np.ndarray:
    """Boolean per point: straight-line distance to the nearest of `geoms` <= `radius_m` (inside = 0).

    Exact, without an all-pairs query: point geometries by one nearest-neighbour
    search; lines and polygons by a nearest-vertex search over their densified
    outlines, exact ``dwithin`` only for the points the vertex bound leaves
    open, and a point-in-polygon query for the rest.
    """
    covered = np.zeros(points.shape[0], dtype=bool)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if geoms.size == 0 or points.size == 0:
        return covered
    limit = float(radius_m) + DISTANCE_TOLERANCE_M
    if (shapely.get_type_id(geoms) == 0).all():  # points: one nearest-neighbour search (no all-pairs query)
        dist, _ = cKDTree(shapely.get_coordinates(geoms)).query(
            shapely.get_coordinates(points), k=1, distance_upper_bound=limit * (1 + 1e-12)
        )
        return dist <= limit
    kind = shapely.get_type_id(geoms)
    polygonal, linear = np.isin(kind, (3, 6)), np.isin(kind, (1, 2, 5))
    if not (polygonal | linear).all() or limit <= OUTLINE_SPACING_M:  # collections, short radii: all pairs (few)
        hits = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=limit)
        covered[hits[0]] = True
        return covered
    # Distance to the outline ~ distance to the nearest vertex of the outline densified to
    # OUTLINE_SPACING_M = s: d <= d_vertex <= d + s/2. One KD-tree query settles every point but
    # those in the band (limit, limit + s/2], which get the exact query; then, for polygons,
    # points inside count as at distance 0.
    outline = geoms.copy()
    outline[polygonal] = shapely.boundary(geoms[polygonal])
    vertices = shapely.get_coordinates(shapely.segmentize(outline, OUTLINE_SPACING_M))
    xy = shapely.get_coordinates(points)
    band_m = 0.5 * OUTLINE_SPACING_M
    dist, _ = cKDTree(vertices).query(xy, k=1, distance_upper_bound=(limit + band_m) * (1 + 1e-12))
    covered = dist <= limit
    band = np.flatnonzero(~covered & (dist <= limit + band_m))
    if band.size:
        hits = shapely.STRtree(geoms).query(points[band], predicate="dwithin", distance=limit)
        covered[band[hits[0]]] = True
    if polygonal.any():
        rest = np.flatnonzero(~covered)
        if rest.size:
            hits = shapely.STRtree(geoms[polygonal]).query(points[rest], predicate="intersects")
            covered[rest[hits[0]]] = True
    return covered


def _m(value_m: float) -> str:
    """A distance for a column name: whole metres (``500.0`` → ``"500"``)."""
    return str(int(value_m))


# --------------------------------------------------------------- metrics ----


def life_circle_coverage(
    blocks: gpd.GeoDataFrame,
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: WalkNetwork,
    *,
    radius_by_category_m: Mapping[str, float],
    minutes_to_m: Mapping[int, float] = DEFAULT_LIFE_CIRCLE_M,
    snapped_residents: Snapped | None = None,
    entrances: gpd.GeoDataFrame | None = None,
    entry_rule: EntryRule | None = None,
    entries: Entries | None = None,
) -> pd.DataFrame:
    """Share of block residents within walking distance of each facility category, per life circle.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    residents
        Resident points with ``population`` (persons) and ``block_id``.
    facilities
        Facility points or polygons with a ``category`` field.
    network
        Walking network (:func:`blockcheck.network.build_walk_network`) in the same CRS.
    radius_by_category_m
        Facility categories to measure, each with its service radius in metres
        (e.g. ``load_standards("beijing").with_prefix("radius_m")``).
    minutes_to_m
        Walking distance of each life circle, minutes → metres (default
        5 → 300, 10 → 500, 15 → 1000; ``life_circle.radius_{5,10,15}min_m``).
    snapped_residents
        ``snap_points(network, residents.geometry)``, when the caller has it
        already (the health check snaps the residents once for all walking
        metrics); snapped here when None.
    entrances
        The gates (the ``entrances`` layer, points): polygon facilities are
        entered at the gates on their outline. None: no gate is mapped.
    entry_rule
        The thresholds of the entry rule (``network.entry_*``); default the
        shipped parameters (:meth:`blockcheck.network.EntryRule.from_standards`).
    entries
        ``feature_entries(network, facilities, entrances, rule=entry_rule)``
        when the caller has it already; made here when None (then only for
        the categories measured).

    Returns
    -------
    pandas.DataFrame
        Indexed like `blocks`, float ratios in [0, 1]; per category (in the
        order given) the columns ``life_circle_{m}min_{category}_ratio`` for
        every life circle ``m`` (ascending), then
        ``{category}_coverage_{radius}m_walk_ratio`` for the category's own
        service radius. A category without any facility gets 0.0. NaN for
        blocks without population.

    Raises
    ------
    blockcheck.errors.InputError
        Missing ``category``, ``population`` or ``block_id`` columns; residents
        that are not points; invalid populations; duplicate block ids; `entries`
        made for other facilities.
    blockcheck.errors.CRSError
        If the layers or the network are not in one projected metric CRS.

    Notes
    -----
    Formula: ``ratio = Σ pop[d <= D] / Σ pop`` over a block's residents, where
    ``d`` is the walking distance (snap + network + snap, see
    :func:`blockcheck.network.nearest_source_distance_m`) from the resident's
    building to the nearest facility of the category and ``D`` the life-circle
    distance, inclusive. GB 50180-2018 (城市居住区规划设计标准) defines the 5-,
    10- and 15-minute life circles by walking distances of about 300, 500 and
    800–1000 m; the service radii per category come from the standards profile.

    Where a facility is entered — the same rule as for parks
    (:mod:`blockcheck.network.entries`, parameters ``network.entry_*``):

    - a point facility at its point;
    - a polygon facility (a school or hospital site, a sports ground) at its
      gates: the points of `entrances` within ``entry_gate_max_m`` (5 m) of its
      outline, where there are any;
    - otherwise at access points along its outline, at most
      ``entry_spacing_m`` (50 m) apart, where the outline fronts a walkable
      edge (an access point's nearest edge of the network within
      ``entry_frontage_max_m``, 30 m);
    - and along its whole outline when none of it fronts a walkable edge, so
      that no site becomes silently unreachable.

    ``d`` is the minimum over all entry points of all facilities of the
    category: one multi-source Dijkstra search per category (cut off at the
    largest distance needed) serves all life circles. A resident inside or on
    a polygon facility of the category is at ``d = 0``.
    """
    require_same_metric_crs(
        blocks=blocks, residents=residents, facilities=facilities, network=network, entrances=entrances
    )
    _require_columns(facilities, "facilities", ("category",))
    points, population, code, use = _residents(blocks, residents)
    levels = sorted((int(minutes), float(dist_m)) for minutes, dist_m in minutes_to_m.items())
    n_blocks = len(blocks)
    targets = _snapped_targets(network, residents, points, use, snapped_residents, slice(None)) if points.size else None

    geoms = np.asarray(facilities.geometry.values, dtype=object)
    category = facilities["category"].to_numpy()
    measured = np.isin(category, list(radius_by_category_m))
    if entries is None:
        entries = (
            feature_entries(network, np.where(measured, geoms, None), entrances, rule=entry_rule)
            if targets is not None
            else None
        )
    elif len(entries) != len(facilities):
        msg = (
            f"entries describe {len(entries)} features but there are {len(facilities)} facilities. Pass "
            "feature_entries(network, facilities, entrances) for the same facilities, or leave it out."
        )
        raise InputError(msg)
    entry_category = category[entries.feature] if entries is not None else category[:0]
    inside, inside_of = _inside_pairs(points, np.where(measured, geoms, None))
    columns: dict[str, np.ndarray] = {}
    for name, radius_m in radius_by_category_m.items():
        radius_m = float(radius_m)
        sources = np.flatnonzero(entry_category == name)
        if targets is not None and sources.size:
            cutoff_m = max([radius_m, *(dist_m for _, dist_m in levels)])
            dist_m = nearest_source_distance_m(network, entries.snapped.take(sources), targets, cutoff_m=cutoff_m)
        else:
            dist_m = np.full(points.shape[0], np.inf)
        dist_m[inside[category[inside_of] == name]] = 0.0
        for minutes, limit_m in levels:
            columns[f"life_circle_{minutes}min_{name}_ratio"] = _share(
                n_blocks, code, population, dist_m <= limit_m + DISTANCE_TOLERANCE_M
            )
        columns[f"{name}_coverage_{_m(radius_m)}m_walk_ratio"] = _share(
            n_blocks, code, population, dist_m <= radius_m + DISTANCE_TOLERANCE_M
        )
    return pd.DataFrame(columns, index=blocks.index, dtype=float)


def park_coverage_ratio(
    blocks: gpd.GeoDataFrame,
    residents: gpd.GeoDataFrame,
    green: gpd.GeoDataFrame,
    *,
    large_min_area_m2: float,
    large_radius_m: float,
    small_min_area_m2: float,
    small_radius_m: float,
    network: WalkNetwork | None = None,
    snapped_residents: Snapped | None = None,
    entrances: gpd.GeoDataFrame | None = None,
    entry_rule: EntryRule | None = None,
    parks: np.ndarray | None = None,
) -> pd.Series:
    """Share of block residents within the service radius of a park (公园绿地服务半径覆盖率).

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    residents
        Resident points with ``population`` (persons) and ``block_id``.
    green
        Green-space polygons with a ``kind`` field; only ``kind == "park"`` counts.
    large_min_area_m2, large_radius_m
        Parks of at least this area serve this radius
        (``green.park_large_min_area_m2`` = 5000, ``green.park_large_radius_m`` = 500).
    small_min_area_m2, small_radius_m
        Parks from ``small_min_area_m2`` up to (not including) `large_min_area_m2`
        serve ``small_radius_m`` (2000 m² and 300 m). Smaller parks are not counted.
    network
        Walking network. None (default): straight-line distances.
    snapped_residents
        ``snap_points(network, residents.geometry)`` when the caller has it
        already; snapped here when None (only with `network`).
    entrances
        The gates (the ``entrances`` layer, points), for walking: a park is
        entered at the gates on its outline. None: no gate is mapped.
    entry_rule
        The thresholds of the entry rule (``network.entry_*``), for walking;
        default the shipped parameters (:meth:`blockcheck.network.EntryRule.from_standards`).
    parks
        :func:`~blockcheck.metrics.stock.park_polygons` of `green` when the
        caller has them (made here otherwise).

    Returns
    -------
    pandas.Series
        Ratio in [0, 1] indexed like `blocks`, named
        ``park_coverage_{large_radius}m_ratio`` (straight line) or
        ``park_coverage_{large_radius}m_walk_ratio`` (walking), i.e.
        ``park_coverage_500m_ratio`` / ``park_coverage_500m_walk_ratio`` with the
        standard values. NaN for blocks without population.

    Raises
    ------
    blockcheck.errors.InputError
        Missing ``kind``, ``population`` or ``block_id`` columns, residents that
        are not points, invalid populations, or ``small_min_area_m2 > large_min_area_m2``.
    blockcheck.errors.CRSError
        If the layers (and network) are not in one projected metric CRS.

    Notes
    -----
    ``ratio = Σ pop[covered] / Σ pop``; a resident is covered when its distance
    to a counted park is at most that park's radius (inclusive), or when it lies
    inside or on a counted park. Park polygons are unioned first (as for
    :func:`blockcheck.metrics.stock.park_green_m2`): overlapping or touching
    polygons make one park, sized by its union — a garden drawn inside a park
    neither counts as a park of its own nor enlarges it. Size rule after the
    MOHURD 2021 city health-check indicator (≥ 5000 m² → 500 m; 2000–5000 m²
    → 300 m); GB/T 51346-2019 §4.3.4 asks for ≥ 90 % (80 % in old districts).

    Straight line: distance from the resident point to the park polygon.
    Walking: distance = walking distance from the nearest entry point of a
    park (one multi-source search for large and one for small parks), where a
    park — after the union — is entered by the rule shared with every polygon
    facility (:mod:`blockcheck.network.entries`, parameters ``network.entry_*``):
    at its gates (points of `entrances` within ``entry_gate_max_m``, 5 m, of
    its outline) where there are any; otherwise at access points along its
    outline, at most ``entry_spacing_m`` (50 m) apart, where the outline fronts
    a walkable edge (nearest edge within ``entry_frontage_max_m``, 30 m); and
    along its whole outline when none of it does.
    """
    require_same_metric_crs(blocks=blocks, residents=residents, green=green, network=network, entrances=entrances)
    _require_columns(green, "green spaces", ("kind",))
    if small_min_area_m2 > large_min_area_m2:
        msg = (
            f"small_min_area_m2 ({small_min_area_m2}) is larger than large_min_area_m2 ({large_min_area_m2}); the "
            "small-park class would be empty. Check the green.park_* standards."
        )
        raise InputError(msg)
    points, population, code, use = _residents(blocks, residents)
    if parks is None:
        parks = park_polygons(green)
    area_m2 = shapely.area(parks)
    groups = (
        (parks[area_m2 >= large_min_area_m2], float(large_radius_m)),
        (parks[(area_m2 >= small_min_area_m2) & (area_m2 < large_min_area_m2)], float(small_radius_m)),
    )
    if network is None:
        name = f"park_coverage_{_m(large_radius_m)}m_ratio"
        covered = np.zeros(points.shape[0], dtype=bool)
        for polys, radius_m in groups:
            covered |= _within_m(points, polys, radius_m)
    else:
        name = f"park_coverage_{_m(large_radius_m)}m_walk_ratio"
        covered = _within_m(points, np.concatenate([g for g, _ in groups]), 0.0)
        todo = ~covered
        targets = _snapped_targets(network, residents, points, use, snapped_residents, todo) if todo.any() else None
        counted = np.concatenate([g for g, _ in groups])
        entries = feature_entries(network, counted, entrances, rule=entry_rule) if targets is not None else None
        group = np.repeat(np.arange(len(groups)), [g.size for g, _ in groups])
        for i, (polys, radius_m) in enumerate(groups):
            if entries is None or polys.size == 0:
                continue
            dist_m = nearest_source_distance_m(network, entries.of(group == i), targets, cutoff_m=radius_m)
            covered[todo] |= dist_m <= radius_m + DISTANCE_TOLERANCE_M
    return pd.Series(_share(len(blocks), code, population, covered), index=blocks.index, name=name, dtype=float)


def bus_stop_coverage_ratio(
    blocks: gpd.GeoDataFrame,
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    radius_m: float,
) -> pd.Series:
    """Share of block residents within a straight-line radius of a bus stop (公交站点覆盖率).

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    residents
        Resident points with ``population`` (persons) and ``block_id``.
    facilities
        Facilities with a ``category`` field; ``category == "bus_stop"`` counts
        (points, or polygons measured from their outline).
    radius_m
        Service radius in metres, e.g. 300 or 500
        (``transit.bus_stop_coverage_{300,500}m_min_ratio``, ``radius_m.bus_stop``).

    Returns
    -------
    pandas.Series
        Ratio in [0, 1] indexed like `blocks`, named
        ``bus_stop_coverage_{radius}m_ratio`` (radius in whole metres). NaN for
        blocks without population; 0.0 everywhere else when there is no bus stop.

    Raises
    ------
    blockcheck.errors.InputError
        Missing ``category``, ``population`` or ``block_id`` columns, residents
        that are not points, invalid populations.
    blockcheck.errors.CRSError
        If the layers are not in one projected metric CRS.

    Notes
    -----
    ``ratio = Σ pop[d <= radius_m] / Σ pop`` with ``d`` the straight-line
    distance from the resident point to the nearest bus stop (inclusive).
    GB 50220-95 (城市道路交通规划设计规范) §3.3.2 measures the bus-stop service
    area with straight-line radii of 300 m (≥ 50 %) and 500 m (≥ 90 %).
    """
    require_same_metric_crs(blocks=blocks, residents=residents, facilities=facilities)
    _require_columns(facilities, "facilities", ("category",))
    points, population, code, _ = _residents(blocks, residents)
    stops = np.asarray(facilities.geometry.values, dtype=object)[(facilities["category"] == "bus_stop").to_numpy()]
    covered = _within_m(points, stops, radius_m)
    name = f"bus_stop_coverage_{_m(radius_m)}m_ratio"
    return pd.Series(_share(len(blocks), code, population, covered), index=blocks.index, name=name, dtype=float)
