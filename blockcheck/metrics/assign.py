"""Assigning features to blocks and summing per block (shared by the metric modules)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from blockcheck.errors import InputError

__all__ = [
    "block_index_of",
    "given_or_block_index_of",
    "given_or_representative_points",
    "overlap_area_m2",
    "representative_points",
    "sum_by_block",
]


def representative_points(features: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray | None) -> np.ndarray | None:
    """A point inside each feature (:func:`shapely.point_on_surface`; points stay as they are); None for no layer.

    `features`: a layer, or its geometries as an array. :func:`block_index_of`
    places features by these points; a caller that places the same features
    several times makes them once and passes them.
    """
    if features is None:
        return None
    geoms = np.asarray(features if isinstance(features, np.ndarray) else features.geometry.values, dtype=object)
    is_point = shapely.get_type_id(geoms) == 0
    return geoms if is_point.all() else np.where(is_point, geoms, shapely.point_on_surface(geoms))


def given_or_representative_points(features: gpd.GeoDataFrame, points: np.ndarray | None) -> np.ndarray:
    """`points` (one per feature of `features`, in their order) if given, else :func:`representative_points`.

    Raises
    ------
    blockcheck.errors.InputError
        If `points` does not hold one point per feature.
    """
    if points is None:
        return representative_points(features)
    if len(points) != len(features):
        msg = (
            f"{len(points)} representative points for {len(features)} features: give one point per feature, in "
            "their order (representative_points(features)), or leave them out."
        )
        raise InputError(msg)
    return np.asarray(points, dtype=object)


def block_index_of(
    blocks: gpd.GeoDataFrame,
    features: gpd.GeoDataFrame,
    *,
    points: np.ndarray | None = None,
    tree: shapely.STRtree | None = None,
) -> np.ndarray:
    """Position (0..n-1) of the block holding each feature's representative point; -1 outside.

    A point on the edge between two blocks goes to the first block in `blocks`' order.
    `points`: :func:`representative_points` of `features` when the caller has them. `tree`: an
    STRtree over those points, when the caller places the same features in several sets of
    polygons (the tree over a city's buildings takes seconds to build).

    Raises
    ------
    blockcheck.errors.InputError
        If `points` or `tree` does not hold one point per feature.
    """
    out = np.full(len(features), -1, dtype=np.int64)
    if features.empty or blocks.empty:
        return out
    if tree is None:
        tree = shapely.STRtree(given_or_representative_points(features, points))
    elif len(tree) != len(features):
        msg = (
            f"A tree over {len(tree)} points for {len(features)} features: build it over their representative "
            "points (shapely.STRtree(representative_points(features))), or leave it out."
        )
        raise InputError(msg)
    # a tree over the (many) points, queried with the (few) block polygons
    b_idx, f_idx = tree.query(np.asarray(blocks.geometry.values), predicate="intersects")
    # the first block (lowest position) of a point on a shared edge: a minimum per feature
    first = np.full(len(features), len(blocks), dtype=np.int64)
    np.minimum.at(first, f_idx, b_idx)
    found = first < len(blocks)
    out[found] = first[found]
    return out


def given_or_block_index_of(
    blocks: gpd.GeoDataFrame, features: gpd.GeoDataFrame, positions: np.ndarray | None
) -> np.ndarray:
    """`positions` (from :func:`block_index_of` on the same blocks and features) if given, else computed.

    Lets a caller that runs several metrics over the same features assign them
    to blocks once.
    """
    if positions is None:
        return block_index_of(blocks, features)
    positions = np.asarray(positions, dtype=np.int64)
    if positions.shape != (len(features),) or (positions >= len(blocks)).any():
        msg = (
            f"block_positions must hold one block position (or -1) per feature: got {positions.shape[0]} for "
            f"{len(features)} features and {len(blocks)} blocks. Pass block_index_of(blocks, features) or leave it "
            "out."
        )
        raise InputError(msg)
    return positions


def sum_by_block(blocks: gpd.GeoDataFrame, positions: np.ndarray, values: npt.ArrayLike) -> pd.Series:
    """Sum `values` per block position (features at -1 are ignored); 0.0 for empty blocks."""
    values = np.nan_to_num(np.asarray(values, dtype="float64"))
    inside = positions >= 0
    sums = np.bincount(positions[inside], weights=values[inside], minlength=len(blocks))
    return pd.Series(sums, index=blocks.index)


def overlap_area_m2(
    blocks: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, positions: np.ndarray | None = None
) -> pd.Series:
    """Area of `polygons` inside each block (m²), overlaps between polygons not removed.

    A polygon lying wholly inside the block that holds its representative
    point adds its own area there, without an overlay; only the polygons that
    cross block edges (or lie in a block overlapping another block) are cut
    with :func:`shapely.intersection`.

    Parameters
    ----------
    blocks
        The block (or parcel) polygons.
    polygons
        The polygons to measure (e.g. buildings, parks).
    positions
        Optional :func:`block_index_of` (`blocks`, `polygons`), when the caller has it already.

    Returns
    -------
    pandas.Series
        m² per block, indexed like `blocks` (0.0 where nothing lies).
    """
    if polygons.empty or blocks.empty:
        return pd.Series(0.0, index=blocks.index)
    block_geoms = np.asarray(blocks.geometry.values, dtype=object)
    geoms = np.asarray(polygons.geometry.values, dtype=object)
    positions = given_or_block_index_of(blocks, polygons, positions)
    held = np.flatnonzero(positions >= 0)
    held = held[~_overlapping(block_geoms)[positions[held]]]
    prepared = shapely.from_wkb(shapely.to_wkb(block_geoms))  # copies: the caller's geometries stay unprepared
    shapely.prepare(prepared)
    inside = held[shapely.contains(prepared[positions[held]], geoms[held])]
    sums = np.bincount(positions[inside], weights=shapely.area(geoms[inside]), minlength=len(blocks)).astype("float64")
    crossing = np.ones(len(geoms), dtype=bool)
    crossing[inside] = False
    rest = geoms[crossing]
    if len(rest):
        b_idx, p_idx = shapely.STRtree(rest).query(block_geoms, predicate="intersects")
        areas = shapely.area(shapely.intersection(block_geoms[b_idx], rest[p_idx]))
        sums += np.bincount(b_idx, weights=areas, minlength=len(blocks))
    return pd.Series(sums, index=blocks.index)


def _overlapping(geoms: np.ndarray) -> np.ndarray:
    """True for each polygon whose interior meets the interior of another polygon of `geoms`."""
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = a < b  # each pair once: the relation is symmetric
    a, b = a[pair], b[pair]
    meet = shapely.relate_pattern(geoms[a], geoms[b], "T********")
    out = np.zeros(len(geoms), dtype=bool)
    out[a[meet]] = True
    out[b[meet]] = True
    return out
