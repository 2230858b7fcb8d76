"""Street blocks (街区): deriving them from the road network, and numbering them.

A block is an area enclosed by the main roads (expressways, arterials and
secondary roads by default) and, where no road closes it, by the boundary of
the study area. :func:`derive_blocks` nodes the road lines together with the
boundary, polygonizes them, and keeps the polygons inside the boundary that are
large enough and not slivers (the strips between the two carriageways of a
divided road, or between a main road and its side road).

All geometry work is vectorised shapely 2; coordinates must be in a metric CRS.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from blockcheck.errors import BlockcheckWarning

__all__ = [
    "BLOCK_ID_PATTERN",
    "DEFAULT_BLOCK_CLASSES",
    "assign_block_ids",
    "block_ids",
    "derive_blocks",
]

#: Road classes whose lines bound blocks by default.
DEFAULT_BLOCK_CLASSES = ("expressway", "arterial", "secondary")

#: Pattern of block codes in the input model (e.g. ``CP02-0101``).
BLOCK_ID_PATTERN = re.compile(r"^[A-Z]{2}\d{2}-\d{4}$")

_PREFIX_PATTERN = re.compile(r"^[A-Z]{2}\d{2}$")
_PER_SERIES = 9999  # numbers 0001–9999 per prefix


def block_ids(n: int, prefix: str = "BK01") -> np.ndarray:
    """Return `n` block codes ``BK01-0001``, ``BK01-0002`` … in the model's pattern.

    Parameters
    ----------
    n
        How many codes.
    prefix
        Two capital letters and two digits. After 9999 codes the two digits
        count up (``BK02-0001`` follows ``BK01-9999``).

    Returns
    -------
    numpy.ndarray
        Array of `n` strings matching ``^[A-Z]{2}\\d{2}-\\d{4}$``.

    Raises
    ------
    ValueError
        If `prefix` is not two letters and two digits, or the codes run out.
    """
    if not _PREFIX_PATTERN.match(prefix):
        msg = f"block code prefix {prefix!r} must be two capital letters and two digits, e.g. 'BK01'"
        raise ValueError(msg)
    i = np.arange(int(n))
    series = int(prefix[2:]) + i // _PER_SERIES
    if n and series.max() > 99:
        msg = f"{n} blocks do not fit into codes starting at {prefix}-0001"
        raise ValueError(msg)
    number = i % _PER_SERIES + 1
    head = np.char.add(prefix[:2], np.char.zfill(series.astype(str), 2))
    return np.char.add(np.char.add(head, "-"), np.char.zfill(number.astype(str), 4)).astype(object)


def assign_block_ids(blocks: gpd.GeoDataFrame, *, prefix: str = "BK01") -> gpd.GeoDataFrame:
    """Return `blocks` with a ``block_id`` for every feature (existing codes are kept).

    Missing or empty codes get new codes that are not yet used; the model's
    ``name`` and ``subdistrict`` columns are added (empty) when absent.

    Parameters
    ----------
    blocks
        Block polygons, with or without a ``block_id`` column.
    prefix
        Prefix of generated codes (see :func:`block_ids`).
    """
    out = blocks.copy()
    for column in ("name", "subdistrict"):
        if column not in out.columns:
            out[column] = None
    if "block_id" not in out.columns:
        out["block_id"] = None
    ids = out["block_id"].astype(object).where(out["block_id"].notna(), None)
    text = ids.astype(str).str.strip()
    missing = ids.isna().to_numpy() | (text == "").to_numpy()
    if missing.any():
        used = text[~missing].to_numpy()
        candidates = block_ids(int(missing.sum()) + len(used), prefix)
        fresh = candidates[~np.isin(candidates, used)][: int(missing.sum())]
        ids = np.array(ids.tolist(), dtype=object)
        ids[missing] = fresh
        out["block_id"] = ids
    columns = ["block_id", "name", "subdistrict"] + [
        c for c in out.columns if c not in ("block_id", "name", "subdistrict")
    ]
    return out[columns]


def _boundary_geometry(boundary: object, crs: object) -> BaseGeometry:
    """One (multi)polygon from a shapely geometry, GeoSeries or GeoDataFrame."""
    if isinstance(boundary, BaseGeometry):
        geom = boundary
    else:
        series = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        if not isinstance(series, gpd.GeoSeries):
            msg = f"boundary must be a shapely polygon, a GeoSeries or a GeoDataFrame, not {type(boundary).__name__}"
            raise TypeError(msg)
        if crs is not None and series.crs is not None and series.crs != crs:
            series = series.to_crs(crs)
        geom = shapely.union_all(series.to_numpy())
    geom = shapely.make_valid(geom)
    if shapely.is_empty(geom) or shapely.area(geom) <= 0:
        msg = "the boundary for deriving blocks has no area"
        raise ValueError(msg)
    return geom


def derive_blocks(
    roads: gpd.GeoDataFrame,
    boundary: object,
    *,
    classes: Sequence[str] = DEFAULT_BLOCK_CLASSES,
    min_area_m2: float = 2000.0,
    min_width_m: float = 30.0,
    grid_size_m: float = 0.01,
    prefix: str = "BK01",
) -> gpd.GeoDataFrame:
    """Derive street blocks: the areas enclosed by the main roads and the boundary.

    Parameters
    ----------
    roads
        Road lines in a metric CRS with a ``class`` column (road_class keys).
    boundary
        The study area: a shapely polygon (in the roads' CRS), a GeoSeries or a
        GeoDataFrame (reprojected to the roads' CRS; several polygons are united).
    classes
        Road classes that bound blocks; other roads (branch, internal) lie inside blocks.
    min_area_m2
        Smaller polygons (traffic islands, corners cut off by a ramp) are dropped.
    min_width_m
        Slivers are dropped: polygons whose mean width ``2 · area / perimeter``
        is below this (the strip between two carriageways, or between a main
        road and its side road).
    grid_size_m
        Precision used to node the lines; ends closer than this to another line
        (e.g. roads clipped at the boundary) are joined to it.
    prefix
        Prefix of the block codes (see :func:`block_ids`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``block_id``, ``name``, ``subdistrict`` (both empty) and the
        polygons, in the roads' CRS, numbered from north to south (then west
        to east). When the roads do not divide the area, the whole boundary is
        one block and a :class:`~blockcheck.errors.BlockcheckWarning` says so.

    Notes
    -----
    Dangling roads (dead ends, roads that stop before reaching another road)
    do not create blocks: polygonizing ignores dangling edges.
    """
    crs = roads.crs
    area = _boundary_geometry(boundary, crs)
    if "class" in roads.columns:
        selected = roads.geometry.to_numpy()[roads["class"].isin(list(classes)).to_numpy()]
    else:
        selected = np.array([], dtype=object)
    selected = selected[~(shapely.is_missing(selected) | shapely.is_empty(selected))]
    polygons = np.array([], dtype=object)
    if len(selected):
        # roads crossing the boundary keep a stub outside it (so they cross the exterior), no more
        margin = max(1.0, 100.0 * grid_size_m)
        lines = shapely.intersection(selected, shapely.buffer(area, margin, join_style="mitre"))
        network = shapely.union_all(np.append(lines, shapely.boundary(area)), grid_size=grid_size_m)
        polygons = shapely.get_parts(shapely.polygonize(shapely.get_parts(network)))
    if len(polygons):
        poly_area = shapely.area(polygons)
        width = 2.0 * poly_area / np.maximum(shapely.length(polygons), 1e-12)
        inside = shapely.within(shapely.point_on_surface(polygons), area)
        polygons = polygons[inside & (poly_area >= min_area_m2) & (width >= min_width_m)]
    if len(polygons) <= 1:
        polygons = np.array([area], dtype=object)
        warnings.warn(
            f"The roads of classes {', '.join(classes)} ({len(selected)} lines) do not divide the area into "
            f"blocks of at least {min_area_m2:g} m²; the whole area is used as one block. Give block "
            "polygons (--blocks) for per-block results.",
            BlockcheckWarning,
            stacklevel=2,
        )
    points = shapely.point_on_surface(polygons)
    order = np.lexsort((shapely.get_x(points), -shapely.get_y(points)))
    polygons = polygons[order]
    return gpd.GeoDataFrame(
        {
            "block_id": block_ids(len(polygons), prefix),
            "name": pd.Series([None] * len(polygons), dtype=object),
            "subdistrict": pd.Series([None] * len(polygons), dtype=object),
        },
        geometry=gpd.GeoSeries(polygons, crs=crs),
        crs=crs,
    )
