"""Assigning features to blocks and summing per block (shared by the metric modules)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.errors import InputError

__all__ = ["block_index_of", "given_or_block_index_of", "overlap_area_m2", "sum_by_block"]


def block_index_of(blocks: gpd.GeoDataFrame, features: gpd.GeoDataFrame) -> np.ndarray:
    """Position (0..n-1) of the block holding each feature's representative point; -1 outside.

    A point on the edge between two blocks goes to the first block in `blocks`' order.
    """
    out = np.full(len(features), -1, dtype=np.int64)
    if features.empty or blocks.empty:
        return out
    geoms = np.asarray(features.geometry.values)
    is_point = shapely.get_type_id(geoms) == 0
    points = geoms if is_point.all() else np.where(is_point, geoms, shapely.point_on_surface(geoms))
    # a tree over the (many) points, queried with the (few) block polygons
    b_idx, f_idx = shapely.STRtree(points).query(np.asarray(blocks.geometry.values), predicate="intersects")
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
        msg = f"block_positions must hold one block position (or -1) per feature: got {positions.shape[0]} for {len(features)} features and {len(blocks)} blocks. Pass block_index_of(blocks, features) or leave it out."
        raise InputError(msg)
    return positions


def sum_by_block(blocks: gpd.GeoDataFrame, positions: np.ndarray, values) -> pd.Series:  # noqa: ANN001
    """Sum `values` per block position (features at -1 are ignored); 0.0 for empty blocks."""
    values = np.nan_to_num(np.asarray(values, dtype="float64"))
    inside = positions >= 0
    sums = np.bincount(positions[inside], weights=values[inside], minlength=len(blocks))
    return pd.Series(sums, index=blocks.index)


def overlap_area_m2(blocks: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Area of `polygons` inside each block (m²), overlaps between polygons not removed."""
    if polygons.empty or blocks.empty:
        return pd.Series(0.0, index=blocks.index)
    tree = shapely.STRtree(polygons.geometry.values)
    b_idx, p_idx = tree.query(blocks.geometry.values, predicate="intersects")
    areas = shapely.area(shapely.intersection(blocks.geometry.values[b_idx], polygons.geometry.values[p_idx]))
    return pd.Series(np.bincount(b_idx, weights=areas, minlength=len(blocks)), index=blocks.index)
