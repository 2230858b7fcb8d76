"""Spatial tiles of a city's blocks, their halo, and what a tile's worker receives (issue 18.2).

A tile is a group of whole blocks: the blocks are cut by the x of their
centroids into columns of about equal count, each column by y into rows
(:func:`tile_of_blocks`). A tile's worker computes the metrics of its own
blocks ("core") from the features within the bounding box of those blocks
grown by a *halo* (:func:`halo_m`): the largest radius of the standards
(walking and straight-line service radii, life circles, parks) plus a slack
for the distance from a resident or a facility to the road it is attached to.
Whether the halo was wide enough is checked on the worker from the snapping
distances it found (:func:`blockcheck.tiles.compute.halo_shortfall_m`); a
tile whose check fails is computed again with a wider halo, so every block's
metrics equal the whole-city run's.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from blockcheck.errors import InputError
from blockcheck.standards import Standards

__all__ = [
    "AUTO_FEATURES_PER_TILE",
    "HALO_SLACK_M",
    "auto_tiles",
    "halo_m",
    "overlap_groups",
    "parse_tiles",
    "tile_of_blocks",
]

#: ``--tiles auto``: about this many input features (all layers) per tile, so a worker stays within a few GB.
AUTO_FEATURES_PER_TILE = 1_000_000
#: Added to the largest radius for the snapping distances of residents and facilities (metres; a first guess
#: that the worker checks: a tile whose points lie farther from the network is computed again with a wider halo).
HALO_SLACK_M = 250.0


def parse_tiles(value: object) -> int | str:
    """``--tiles`` as given: ``"auto"`` or a whole number of tiles ≥ 1.

    Raises
    ------
    blockcheck.errors.InputError
        Anything else.
    """
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1 or str(number) != text.lstrip("+"):
        msg = f"--tiles {value}: give 'auto' or a whole number of tiles (1 or more), e.g. --tiles 4."
        raise InputError(msg)
    return number


def auto_tiles(layers: dict[str, gpd.GeoDataFrame]) -> int:
    """Tiles for ``--tiles auto``: one per :data:`AUTO_FEATURES_PER_TILE` input features (at least 1)."""
    features = sum(len(frame) for frame in layers.values())
    return max(1, math.ceil(features / AUTO_FEATURES_PER_TILE))


def tile_of_blocks(blocks: gpd.GeoDataFrame, n_tiles: int) -> np.ndarray:
    """The tile (0 … n-1) of each block: columns by centroid x, rows by centroid y, about equal block counts.

    ``n_tiles`` is capped at the number of blocks; columns = ⌊√n⌋, the first
    ``n mod columns`` columns get one row more. Ties are broken by block position (deterministic).
    """
    n_blocks = len(blocks)
    n = max(1, min(int(n_tiles), n_blocks))
    centre = shapely.get_coordinates(shapely.centroid(np.asarray(blocks.geometry.values)))
    columns = max(1, math.isqrt(n))
    rows = np.full(columns, n // columns)
    rows[: n % columns] += 1
    tile = np.zeros(n_blocks, dtype=np.int64)
    position = np.arange(n_blocks)
    by_x = np.lexsort((position, centre[:, 0]))
    # column sizes proportional to their row counts
    bounds = np.round(np.r_[0, np.cumsum(rows)] / n * n_blocks).astype(np.int64)
    first = 0
    for c in range(columns):  # a handful of columns, not blocks
        members = by_x[bounds[c] : bounds[c + 1]]
        by_y = members[np.lexsort((members, centre[members, 1]))]
        cuts = np.round(np.arange(rows[c] + 1) / rows[c] * by_y.size).astype(np.int64)
        for r in range(rows[c]):
            tile[by_y[cuts[r] : cuts[r + 1]]] = first + r
        first += rows[c]
    return tile


def halo_m(standards: Standards) -> float:
    """The first halo of a tile: the largest radius of the standards (keys with ``radius``) + :data:`HALO_SLACK_M`.

    The largest radius bounds every search of the health check: life circles
    (``life_circle.radius_*``), service radii (``radius_m.*``, also the
    straight-line bus-stop, garbage-station and substation coverage and the
    catchment supply rule) and parks (``green.park_*_radius_m``).
    """
    radii = [float(v.value) for k, v in standards.values.items() if "radius" in k and _is_number(v.value)]
    return max(radii, default=0.0) + HALO_SLACK_M


def largest_radius_m(standards: Standards) -> float:
    """The largest radius of the standards (see :func:`halo_m`)."""
    return halo_m(standards) - HALO_SLACK_M


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def overlap_groups(frame: gpd.GeoDataFrame) -> np.ndarray:
    """A group label per feature: features that overlap or touch, directly or through others, share a label.

    A tile takes whole groups, so that metrics which union polygons (parks
    merged into one park, green and parcels dissolved) see the same unions as
    the whole-city run.
    """
    geoms = np.asarray(frame.geometry.values)
    n = geoms.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    graph = coo_matrix((np.ones(a.shape[0], dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(graph, directed=False)[1]


def features_in(
    frame: gpd.GeoDataFrame, tree: shapely.STRtree, box: shapely.Polygon, groups: np.ndarray | None = None
) -> gpd.GeoDataFrame:
    """The features of `frame` (`tree`: its STRtree) that intersect `box`, in their order; whole `groups` if given."""
    hit = tree.query(box, predicate="intersects")
    take = np.zeros(len(frame), dtype=bool)
    take[hit] = True
    if groups is not None and hit.size:
        take |= np.isin(groups, np.unique(groups[hit]))
    return frame.iloc[np.flatnonzero(take)]


def residents_of(residents: gpd.GeoDataFrame, block_ids: pd.Index) -> gpd.GeoDataFrame:
    """The residents whose ``block_id`` is one of `block_ids` (in their order)."""
    return residents[residents["block_id"].isin(block_ids).to_numpy()]
