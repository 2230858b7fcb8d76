"""Step 1's resource list found tile by tile on Dask workers (``blockcheck run --tiles``, issue 18.2).

Each tile's worker runs the whole run's :func:`blockcheck.lists.resources.locate_resources`
on the features around its own blocks and keeps the rows it owns: those in
one of its blocks, and those outside every block whose feature is *homed* in
the tile (the first tile whose box it crosses; features crossing no tile's box
go to one more task of their own). The driver joins the rows in tile order and
lists them as a whole run does (:func:`blockcheck.lists.resources.find_resources`:
retained land and buildings per block, analysts' decisions kept, the list's
order), so the rows and their ids (:mod:`blockcheck.lists.ids`, built from what
a row is) equal the whole run's.

Why a tile's rows are the city's: a row depends only on its feature, the
features within :func:`blockcheck.lists.resources.resource_reach_m` of it
(street frontages, enclave neighbours) and the features crossing those (the
buildings and facilities on a parcel under it), and on the blocks its feature
crosses. A tile's worker receives its candidates (the features crossing its
box, which holds its blocks), the features within that reach of them, the
features crossing those, and every block crossing a feature it receives.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.lists.resources import locate_resources, resource_reach_m, source_ids_of
from blockcheck.standards import Standards

__all__ = ["RESOURCE_LAYERS", "resource_payloads", "tile_resources"]

#: The layers the resource rules read (besides ``blocks``).
RESOURCE_LAYERS = ("parcels", "buildings", "roads", "green", "facilities", "parking")


def _ids(
    tree: shapely.STRtree,
    geoms: np.ndarray,
    predicate: str,
    distance: float | None = None,
    *,
    box: shapely.Polygon | None = None,
) -> np.ndarray:
    """Positions in `tree` of the features meeting any of `geoms` (``intersects`` or ``dwithin`` `distance`).

    With `box`, the geometries inside it are queried as the box itself (one query instead of one per
    feature), the others one by one: a superset of the same features, no larger than the box's, that gives
    a worker context around its tile but never rows of its own.
    """
    if not geoms.size:
        return np.empty(0, dtype=np.int64)
    if box is not None:
        inside = shapely.covered_by(geoms, box)
        geoms = np.concatenate([geoms[~inside], np.array([box] if inside.any() else [], dtype=object)])
    if predicate == "dwithin":
        return np.unique(tree.query(geoms, predicate="dwithin", distance=distance)[1])
    return np.unique(tree.query(geoms, predicate="intersects")[1])


def resource_payloads(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    tile: np.ndarray,
    *,
    as_of_year: int | None = None,
):
    """Yield what each tile's worker receives to find its resources: tiles 0 … n-1, then the features outside.

    `tile`: the tile of each block of ``layers["blocks"]`` (:func:`blockcheck.tiles.partition.tile_of_blocks`).
    """
    blocks = layers["blocks"]
    block_geoms = np.asarray(blocks.geometry.values)
    n = int(tile.max()) + 1 if len(tile) else 0
    boxes = np.array([shapely.box(*shapely.total_bounds(block_geoms[tile == t])) for t in range(n)], dtype=object)
    frames = {k: layers[k] for k in RESOURCE_LAYERS if k in layers and layers[k] is not None and len(layers[k])}
    geoms = {k: np.asarray(frame.geometry.values) for k, frame in frames.items()}
    trees = {k: shapely.STRtree(g) for k, g in geoms.items()}
    home = {}  # per layer: the first tile whose box the feature crosses, n where none
    for k, tree in trees.items():
        first = np.full(len(geoms[k]), n, dtype=np.int64)
        box_at, feature_at = tree.query(boxes, predicate="intersects") if n else (np.empty(0, int),) * 2
        np.minimum.at(first, feature_at, box_at)
        home[k] = first
    block_tree = shapely.STRtree(block_geoms)
    reach = resource_reach_m(layers, standards)
    block_ids = blocks["block_id"].astype(str).to_numpy(dtype=object)
    for t in range(n + 1):
        if t < n:
            candidates = {k: _ids(tree, boxes[t : t + 1], "intersects") for k, tree in trees.items()}
        else:
            candidates = {k: np.flatnonzero(home[k] == n) for k in trees}
        seeds = np.concatenate([geoms[k][candidates[k]] for k in trees] or [np.empty(0, dtype=object)])
        if t == n and not seeds.size:
            return
        # a tile's seeds inside its box (most) are queried as the box, the ring as the box grown by the reach
        inner = boxes[t] if t < n else None
        outer = shapely.box(*(np.asarray(inner.bounds) + [-reach, -reach, reach, reach])) if t < n else None
        near = {
            k: np.union1d(candidates[k], _ids(tree, seeds, "dwithin", reach, box=inner)) for k, tree in trees.items()
        }
        ring = np.concatenate([geoms[k][near[k]] for k in trees] or [np.empty(0, dtype=object)])
        taken = {k: np.union1d(near[k], _ids(tree, ring, "intersects", box=outer)) for k, tree in trees.items()}
        loaded = np.concatenate([geoms[k][taken[k]] for k in trees] or [np.empty(0, dtype=object)])
        around = np.union1d(np.flatnonzero(tile == t), _ids(block_tree, loaded, "intersects", box=outer))
        yield {
            "tile": t,
            "core": list(block_ids[tile == t]),
            "layers": {"blocks": blocks.iloc[around], **{k: frames[k].iloc[taken[k]] for k in trees}},
            "home": {k: home[k][taken[k]] == t for k in trees},
            "standards": standards,
            "as_of_year": as_of_year,
        }


def tile_resources(payload: dict) -> gpd.GeoDataFrame:
    """On a worker: the rows of :func:`~blockcheck.lists.resources.locate_resources` the tile owns.

    Rows in one of the tile's own blocks (``core``), and rows outside every
    block whose feature's ``home`` is this tile; in the order the rules give them.
    """
    layers = payload["layers"]
    found = locate_resources(layers, payload["standards"], as_of_year=payload["as_of_year"])
    if found.empty:
        return found
    keep = found["block_id"].isin(payload["core"]).to_numpy().copy()
    outside = found["block_id"].isna().to_numpy()
    if outside.any():
        owned = pd.Series(False, index=found.index)
        for k, homed in payload["home"].items():
            ids = source_ids_of(layers[k], k)[homed]
            owned |= (found["source_layer"] == k) & found["source_id"].isin(ids)
        keep |= outside & owned.to_numpy()
    return found[keep]


def merge_resources(parts: list[gpd.GeoDataFrame], crs: object) -> gpd.GeoDataFrame:
    """The tiles' rows joined in tile order (empty when no tile found any)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
