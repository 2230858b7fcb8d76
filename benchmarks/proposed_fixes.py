"""Prototypes of the speed fixes recommended in RESULTS.md, for measuring them (not used by blockcheck).

Fixes 1–3 (and the skip of ``point_on_surface`` for points) were taken into
blockcheck in commit 0f32ca92 ("Faster health check at city scale"); against
that code the patches below still add: one road pair pass shared by
``road_density_km_per_km2`` and ``road_implementation_ratio`` (blockcheck
runs it once in each), the building positions computed once instead of three
times, and the residents snapped once instead of four times (fix 4).

Each function is a drop-in for a blockcheck function and must give the same
numbers; :func:`patched` swaps them in for one ``health_check`` run so the
benchmark can time the whole step with them and compare every metric column
with the unpatched run (``bench_health_check.py --proposed``).

1. roads: one overlay pass per (blocks, roads) for all classes and statuses
   (was 7 passes), and no overlay at all for pairs whose road lies more than
   two grid cells inside the block (prepared ``contains_properly`` on the
   block shrunk by 2 · precision; credited length = the road's length on the
   grid, exactly what the 1 cm overlay returns for it); of the pairs left
   (roads touching the boundary), those on the edge, inside with an end on
   it, or outside with an end on it are recognised by their DE-9IM matrix
   (``shapely.relate``) and credited ½, all or nothing of their length; only
   the others (crossing, partly along the edge, within 1 cm of it) go through
   the fixed-precision overlay.
2. (now in blockcheck) accessibility ``_within_m``: a KD-tree nearest-neighbour query for point
   facilities instead of an all-pairs ``dwithin`` query (tens of millions of
   pairs at city scale); polygons (parks) as before.
3. ``block_index_of``: STRtree over the feature points, queried with the
   (prepared) block polygons, instead of a tree over the blocks queried with
   a million points against unprepared polygons (the one-row district polygon
   has thousands of vertices); memoised, since the health check assigns the
   same buildings three times.
4. ``snap_points`` as called by the accessibility metrics: memoised on the
   point coordinates, so the residents are snapped once, not four times
   (park walk coverage and life circles, for the blocks and the ALL row).
"""

from __future__ import annotations

import contextlib
import importlib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

PUBLIC_ROAD_CLASSES = ("expressway", "arterial", "secondary", "branch")
PRECISION_M = 0.01
DISTANCE_TOLERANCE_M = 1e-6


# ----------------------------------------------------------------- roads ----


def credited_pairs(block_geom: np.ndarray, road_geom: np.ndarray, *, precision_m: float | None = PRECISION_M, edge_share: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(block position, road position, credited metres) for every pair within `precision_m`."""
    tree = shapely.STRtree(road_geom)
    b, r = tree.query(block_geom, predicate="dwithin", distance=precision_m or 0.0)
    if precision_m:
        inner = shapely.buffer(block_geom, -2.0 * precision_m, join_style="mitre")
        ib, ir = tree.query(inner[~shapely.is_empty(inner)], predicate="contains_properly")
        ib = np.flatnonzero(~shapely.is_empty(inner))[ib]
    else:
        ib, ir = tree.query(block_geom, predicate="contains_properly")
    n = np.int64(road_geom.shape[0])
    simple = np.isin(b.astype(np.int64) * n + r, ib.astype(np.int64) * n + ir)
    credited = np.empty(b.shape[0])
    lines = road_geom[r[simple]]
    credited[simple] = shapely.length(shapely.set_precision(lines, precision_m) if precision_m else lines)
    # the pairs left touch the block's boundary; the common exact cases are told apart by
    # their DE-9IM matrix (a few µs, versus ~80 µs for each fixed-precision overlay)
    rest = np.flatnonzero(~simple)
    matrix = shapely.relate(road_geom[r[rest]], block_geom[b[rest]])
    length = lambda idx: shapely.length(shapely.set_precision(road_geom[r[idx]], precision_m) if precision_m else road_geom[r[idx]])  # noqa: E731
    on_edge = rest[matrix == "F1FF0F212"]  # lies on the boundary: inside = on edge = its length
    credited[on_edge] = edge_share * length(on_edge)
    inside = rest[matrix == "1FF00F212"]  # inside, an end point on the boundary
    credited[inside] = length(inside)
    outside = rest[matrix == "FF1F00212"]  # outside, an end point on the boundary
    credited[outside] = 0.0
    other = rest[~np.isin(matrix, ["F1FF0F212", "1FF00F212", "FF1F00212"])]  # crossing, partly on the edge, or near it: the overlay
    rr, bb = road_geom[r[other]], block_geom[b[other]]
    inside_m = shapely.length(shapely.intersection(rr, bb, grid_size=precision_m))
    on_edge_m = shapely.length(shapely.intersection(rr, shapely.boundary(bb), grid_size=precision_m))
    credited[other] = inside_m - (1.0 - edge_share) * on_edge_m
    return b, r, credited


_PAIRS: dict[tuple[int, int], tuple] = {}


def _public_pairs(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> tuple:
    key = (id(blocks), id(roads))
    if key not in _PAIRS:
        public = roads["class"].isin(PUBLIC_ROAD_CLASSES).to_numpy()
        road_geom = np.asarray(roads.geometry.values)
        b, r, credited = credited_pairs(np.asarray(blocks.geometry.values), road_geom[public])
        _PAIRS.clear()
        _PAIRS[key] = (b, np.flatnonzero(public)[r], credited)
    return _PAIRS[key]


def _sum(blocks: gpd.GeoDataFrame, pairs: tuple, mask: np.ndarray) -> pd.Series:
    b, r, credited = pairs
    take = mask[r]
    sums = np.bincount(b[take], weights=credited[take], minlength=len(blocks))
    return pd.Series(np.clip(sums, 0.0, None), index=blocks.index, name="road_length_m")


def road_density_km_per_km2(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Same columns as blockcheck.metrics.roads.road_density_km_per_km2, one overlay pass."""
    pairs = _public_pairs(blocks, roads)
    area_km2 = blocks.geometry.area / 1e6
    built = (roads["class"].isin(PUBLIC_ROAD_CLASSES) & (roads["status"] == "built")).to_numpy()
    length_km = _sum(blocks, pairs, built) / 1000.0
    out = pd.DataFrame(index=blocks.index)
    out["road_length_km"] = length_km
    out["road_density_km_per_km2"] = length_km / area_km2
    cls = roads["class"].to_numpy()
    for road_class in PUBLIC_ROAD_CLASSES:
        out[f"road_density_{road_class}_km_per_km2"] = _sum(blocks, pairs, built & (cls == road_class)) / 1000.0 / area_km2
    return out


def road_implementation_ratio(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.Series:
    """Same as blockcheck.metrics.roads.road_implementation_ratio, sharing the overlay pass."""
    pairs = _public_pairs(blocks, roads)
    public = roads["class"].isin(PUBLIC_ROAD_CLASSES).to_numpy()
    planned_m = _sum(blocks, pairs, public)
    built_m = _sum(blocks, pairs, public & (roads["status"] == "built").to_numpy())
    return (built_m / planned_m.where(planned_m > 0)).clip(upper=1.0).rename("road_implementation_ratio")


# --------------------------------------------------------- accessibility ----


# ------------------------------------------------------------------ snap ----

_SNAPS: dict[tuple, object] = {}


def snap_points(network, points, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """blockcheck.network.snap_points, memoised on the point coordinates (residents are snapped once)."""
    import hashlib

    from blockcheck.network import snap_points as snap

    xy = shapely.get_coordinates(np.asarray(getattr(points, "values", points), dtype=object).reshape(-1))
    key = (id(network), xy.shape, hashlib.blake2b(np.ascontiguousarray(xy).tobytes(), digest_size=16).digest(), tuple(sorted(kwargs.items())))
    if key not in _SNAPS:
        if len(_SNAPS) > 64:
            _SNAPS.clear()
        _SNAPS[key] = snap(network, points, **kwargs)
    return _SNAPS[key]


# ---------------------------------------------------------------- assign ----

_POSITIONS: dict[tuple[int, int], np.ndarray] = {}


def block_index_of(blocks: gpd.GeoDataFrame, features: gpd.GeoDataFrame) -> np.ndarray:
    """blockcheck.metrics._assign.block_index_of (its point-tree form is now in the core), memoised:
    the health check assigns the same buildings three times (recommendation 7)."""
    from blockcheck.metrics._assign import block_index_of as core

    key = (id(blocks), id(features))
    if key not in _POSITIONS:
        if len(_POSITIONS) > 16:
            _POSITIONS.clear()
        _POSITIONS[key] = core(blocks, features)
    return _POSITIONS[key]


# ----------------------------------------------------------------- patch ----

PATCHES = {
    ("blockcheck.health_check", "road_density_km_per_km2"): road_density_km_per_km2,
    ("blockcheck.health_check", "road_implementation_ratio"): road_implementation_ratio,
    ("blockcheck.metrics.stock", "block_index_of"): block_index_of,
    ("blockcheck.metrics.provision", "block_index_of"): block_index_of,
    ("blockcheck.metrics.accessibility", "snap_points"): snap_points,
}


@contextlib.contextmanager
def patched():  # noqa: ANN201
    """Swap the prototypes into blockcheck's modules for the duration of the block."""
    saved = []
    for (module_name, name), fn in PATCHES.items():
        module = importlib.import_module(module_name)
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, fn)
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
        _PAIRS.clear()
        _POSITIONS.clear()
        _SNAPS.clear()
