"""Road metrics: length, network density per class and the road implementation ratio.

Roads usually run *along* block edges, so a road centreline on the edge between
two blocks belongs to both. blockcheck counts a road length lying on a block's
boundary (within 1 cm, ``precision_m``) as one half for that block, and length
inside the block fully. Summed over the blocks of a district this counts every
interior road once, and splitting a block in two conserves road length.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = [
    "PUBLIC_ROAD_CLASSES",
    "road_density_km_per_km2",
    "road_implementation_ratio",
    "road_length_by_block_m",
    "road_network_metrics",
]

#: Classes of the public (city) road network; ``internal`` compound roads are excluded.
PUBLIC_ROAD_CLASSES = ("expressway", "arterial", "secondary", "branch")
_PRECISION_M = 0.01
#: Grid cells by which the grid and the exact overlay may differ on the edge length before the grid decides.
_EDGE_SLACK_GRIDS = 4.0
#: Around a road's end points (in grid cells), nearness to the edge is not looked at by the DE-9IM shortcuts.
_END_RADIUS_GRIDS = 10.0


def road_length_by_block_m(
    blocks: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    precision_m: float | None = _PRECISION_M,
    edge_share: float = 0.5,
) -> pd.Series:
    """Length of `roads` credited to each block, in metres.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    roads
        Road lines in the same metric CRS (already filtered to what should count).
    precision_m
        Snapping tolerance to block edges: a road within it of a block edge
        counts as lying on the edge (decided by a GEOS OverlayNG overlay on a
        grid of this size). Lengths are those of the exact overlay wherever the
        grid does not change what lies on an edge. None: exact floating-point
        overlay only (what GIS overlay tools do; roads meant to lie on an edge
        but off it by millimetres then fall on one side).
    edge_share
        Share of a road on the block's edge credited to the block: 0.5 (default,
        shared with the neighbour); 1.0 gives the plain ``road ∩ block`` length
        that GIS overlay tools (QGIS ``native:sumlinelengths``) report.

    Returns
    -------
    pandas.Series
        Metres per block (0.0 where none), indexed like `blocks`.

    Notes
    -----
    ``L_b = Σ_r |r ∩ b| − ½ · |r ∩ ∂b|``: full length inside, half of the
    length lying on the edge (within 1 cm of it). A road on the edge between two
    blocks counts half for each, a road crossing it is split at it, so the
    block totals add up to the district's road length.
    """
    b_idx, _, credited = credited_road_pairs(
        np.asarray(blocks.geometry.values),
        np.asarray(roads.geometry.values),
        precision_m=precision_m,
        edge_share=edge_share,
    )
    sums = np.bincount(b_idx, weights=credited, minlength=len(blocks))
    return pd.Series(np.clip(sums, 0.0, None), index=blocks.index, name="road_length_m")


# DE-9IM matrices of the common exact cases (road first, block second)
_ON_EDGE = "F1FF0F212"  # lies on the boundary
_INSIDE_END_ON_EDGE = "1FF00F212"  # inside, an end point on the boundary
_OUTSIDE_END_ON_EDGE = "FF1F00212"  # outside, an end point on the boundary


def credited_road_pairs(
    block_geom: np.ndarray,
    road_geom: np.ndarray,
    *,
    precision_m: float | None = _PRECISION_M,
    edge_share: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block position, road position and credited metres for every (block, road) pair that touches.

    Roads well inside a block (inside the block shrunk by 2 × `precision_m`) are
    credited their length without an overlay; roads touching the boundary are
    classified by their DE-9IM matrix (on the edge → `edge_share`, inside or
    outside with an end on the edge and nowhere else within the grid of it →
    all or nothing); only the rest (crossing,
    partly along the edge, within the grid of it) go through an overlay, exact
    unless the `precision_m` grid puts a different length on the edge (see
    :func:`_overlay_credit_m`). Lengths are measured on the input geometry, so
    a road the grid does not move onto or off an edge gets exactly the length
    a floating-point overlay (QGIS ``native:sumlinelengths``) gives it.
    """
    empty = np.zeros(0, dtype=np.int64)
    if block_geom.size == 0 or road_geom.size == 0:
        return empty, empty, np.zeros(0)
    tree = shapely.STRtree(road_geom)
    b, r = tree.query(block_geom, predicate="dwithin", distance=precision_m or 0.0)
    if precision_m:
        inner = shapely.buffer(block_geom, -2.0 * precision_m, join_style="mitre")
        keep = ~shapely.is_empty(inner)
        ib, ir = tree.query(inner[keep], predicate="contains_properly")
        ib = np.flatnonzero(keep)[ib]
    else:
        ib, ir = tree.query(block_geom, predicate="contains_properly")
    n = np.int64(road_geom.shape[0])
    simple = np.isin(b.astype(np.int64) * n + r, ib.astype(np.int64) * n + ir)

    credited = np.empty(b.shape[0])
    credited[simple] = shapely.length(road_geom[r[simple]])
    rest = np.flatnonzero(~simple)
    try:
        matrix = shapely.relate(road_geom[r[rest]], block_geom[b[rest]])
    except shapely.errors.GEOSException:
        # GEOS < 3.13 (QGIS 3.22 ships 3.11) can fail to relate valid, nearly collinear
        # lines; the shortcuts only save time, so every such pair goes through the overlay
        matrix = np.full(rest.shape[0], "", dtype=object)
    on_edge = rest[matrix == _ON_EDGE]
    credited[on_edge] = edge_share * shapely.length(road_geom[r[on_edge]])
    ends = np.isin(matrix, [_INSIDE_END_ON_EDGE, _OUTSIDE_END_ON_EDGE])
    if precision_m and ends.any():
        # exactly inside/outside, yet maybe within the grid of the edge along the way
        # (a road meant to lie on the edge): those go through the overlay
        at = rest[ends]
        ends[
            np.flatnonzero(ends)[_near_edge_between_ends(road_geom[r[at]], block_geom[b[at]], precision_m=precision_m)]
        ] = False
    inside = rest[ends & (matrix == _INSIDE_END_ON_EDGE)]
    credited[inside] = shapely.length(road_geom[r[inside]])
    credited[rest[ends & (matrix == _OUTSIDE_END_ON_EDGE)]] = 0.0
    other = rest[(matrix != _ON_EDGE) & ~ends]
    credited[other] = _overlay_credit_m(
        road_geom[r[other]], block_geom[b[other]], precision_m=precision_m, edge_share=edge_share
    )
    return b, r, credited


def _near_edge_between_ends(roads: np.ndarray, blocks: np.ndarray, *, precision_m: float) -> np.ndarray:
    """True where a road may come within 2 × `precision_m` of the block boundary away from its ends.

    "Away" is beyond :data:`_END_RADIUS_GRIDS` grid cells along the road from
    either end (a road ending on the edge is of course near it there): each
    road is trimmed by that length at both ends, by moving its end points
    along its first and last segments, and tested with ``dwithin``. Such a
    road may lie on the edge on the grid although it is exactly inside or
    outside. Roads whose first or last segment is too short to trim that way
    count as near (they go through the overlay, which is always right).
    """
    trim_m = _END_RADIUS_GRIDS * precision_m
    coords, part = shapely.get_coordinates(roads, return_index=True)
    counts = np.bincount(part, minlength=roads.shape[0])
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    usable = counts >= 2
    first, last = first[usable], last[usable]
    head = coords[first + 1] - coords[first]
    tail = coords[last] - coords[last - 1]
    head_m, tail_m = np.hypot(*head.T), np.hypot(*tail.T)
    two_points = counts[usable] == 2
    trimmable = np.where(two_points, head_m > 2.0 * trim_m, (head_m > trim_m) & (tail_m > trim_m))
    trimmed = coords.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        trimmed[first] = coords[first] + head * (trim_m / head_m)[:, None]
        trimmed[last] = coords[last] - tail * (trim_m / tail_m)[:, None]
    near = np.ones(roads.shape[0], dtype=bool)
    ok = np.flatnonzero(usable)[trimmable]
    if ok.size:
        keep = np.isin(part, ok)
        lines = shapely.linestrings(trimmed[keep], indices=part[keep], out=np.full(roads.shape[0], None, dtype=object))[
            ok
        ]
        near[ok] = shapely.dwithin(lines, shapely.boundary(blocks[ok]), 2.0 * precision_m)
    return near


def _overlay_credit_m(
    roads: np.ndarray, blocks: np.ndarray, *, precision_m: float | None, edge_share: float
) -> np.ndarray:
    """``|r ∩ b| − (1 − edge_share) · |r ∩ ∂b|`` for pairs the DE-9IM shortcuts do not settle.

    The exact (floating-point) overlay is used where the `precision_m` grid
    finds the same length on the edge (within :data:`_EDGE_SLACK_GRIDS` grid
    cells — the rounding of the vertices); where it finds more or less (a road
    meant to lie on the edge but off it by millimetres) the grid overlay is
    used, so that such a road counts as lying on the edge.
    """
    boundary = shapely.boundary(blocks)
    inside_m = shapely.length(shapely.intersection(roads, blocks))
    edge_m = shapely.length(shapely.intersection(roads, boundary))
    credit = inside_m - (1.0 - edge_share) * edge_m
    if not precision_m or roads.size == 0:
        return credit
    edge_grid_m = shapely.length(shapely.intersection(roads, boundary, grid_size=precision_m))
    snapped = np.abs(edge_grid_m - edge_m) > _EDGE_SLACK_GRIDS * precision_m
    if snapped.any():
        rr, bb = roads[snapped], blocks[snapped]
        inside_grid_m = shapely.length(shapely.intersection(rr, bb, grid_size=precision_m))
        credit[snapped] = inside_grid_m - (1.0 - edge_share) * edge_grid_m[snapped]
    return credit


def _sum_by_block(blocks: gpd.GeoDataFrame, pairs: tuple, mask: np.ndarray) -> pd.Series:
    b, r, credited = pairs
    take = mask[r]
    sums = np.bincount(b[take], weights=credited[take], minlength=len(blocks))
    return pd.Series(np.clip(sums, 0.0, None), index=blocks.index)


def _public_pairs(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> tuple[tuple, np.ndarray]:
    """One overlay pass over the public roads; pairs index into `roads`."""
    public = roads["class"].isin(PUBLIC_ROAD_CLASSES).to_numpy()
    b, r, credited = credited_road_pairs(np.asarray(blocks.geometry.values), np.asarray(roads.geometry.values)[public])
    return (b, np.flatnonzero(public)[r], credited), public


def road_density_km_per_km2(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Built public road length and density per block, in total and per road class.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id``.
    roads
        Roads with ``class`` and ``status`` (input model), same metric CRS.

    Returns
    -------
    pandas.DataFrame
        ``road_length_km`` and ``road_density_km_per_km2`` (built public roads:
        expressway, arterial, secondary, branch; internal compound roads
        excluded), and ``road_density_<class>_km_per_km2`` for each public class.

    Notes
    -----
    density = built public road length (km) ÷ block area (km²). Standard:
    GB 50180-2018 §6.0.2-1, 路网密度不应小于 8 km/km² (standards key
    ``roads.density_min_km_per_km2``).
    """
    return _density(blocks, roads, *_public_pairs(blocks, roads))


def _density(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, pairs: tuple, public: np.ndarray) -> pd.DataFrame:
    area_km2 = blocks.geometry.area / 1e6
    built = public & (roads["status"] == "built").to_numpy()
    length_km = _sum_by_block(blocks, pairs, built) / 1000.0
    out = pd.DataFrame(index=blocks.index)
    out["road_length_km"] = length_km
    out["road_density_km_per_km2"] = length_km / area_km2
    classes = roads["class"].to_numpy()
    for road_class in PUBLIC_ROAD_CLASSES:
        part = _sum_by_block(blocks, pairs, built & (classes == road_class)) / 1000.0
        out[f"road_density_{road_class}_km_per_km2"] = part / area_km2
    return out


def road_implementation_ratio(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.Series:
    """Share of the planned public road network that is built, per block.

    Returns
    -------
    pandas.Series
        ``road_implementation_ratio`` in [0, 1]; NaN where the block has no
        public road in the plan.

    Notes
    -----
    ratio = built length ÷ length of the whole planned network (built +
    under construction + planned) of public classes — the 道路实施率 of the
    method's problem list (Huitian 81.1 %).
    """
    return _implementation(blocks, roads, *_public_pairs(blocks, roads))


def _implementation(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, pairs: tuple, public: np.ndarray) -> pd.Series:
    planned_m = _sum_by_block(blocks, pairs, public)
    built_m = _sum_by_block(blocks, pairs, public & (roads["status"] == "built").to_numpy())
    ratio = (built_m / planned_m.where(planned_m > 0)).clip(upper=1.0)
    return ratio.rename("road_implementation_ratio")


def road_network_metrics(blocks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """:func:`road_density_km_per_km2` and :func:`road_implementation_ratio` from one overlay pass.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`road_density_km_per_km2` followed by
        ``road_implementation_ratio``, indexed like `blocks` (what the health
        check uses: the roads are overlaid with the blocks once, not twice).
    """
    pairs, public = _public_pairs(blocks, roads)
    return pd.concat([_density(blocks, roads, pairs, public), _implementation(blocks, roads, pairs, public)], axis=1)
