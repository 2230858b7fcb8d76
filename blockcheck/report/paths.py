"""Shapely geometries → matplotlib artists, vectorised (no loop over features).

Every group of features drawn in one style becomes ONE compound path (one
artist): polygons with holes as closed rings (holes wound against their
exterior, so they stay empty under the non-zero fill rule), lines as open
polylines, points as one scatter. This keeps per-page drawing cheap enough for
an atlas of thousands of blocks.
"""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)
from blockcheck.shapely_compat import orient_polygons

__all__ = ["add_lines", "add_points", "add_polygons", "line_path", "polygon_path", "representative_xy"]


def _parts(geoms: object, kinds: tuple[int, ...]) -> np.ndarray:
    """The single parts of `geoms` whose type id is in `kinds` (no empty ones)."""
    arr = np.asarray(geoms, dtype=object).ravel()
    arr = arr[~shapely.is_missing(arr)] if arr.size else arr
    parts = shapely.get_parts(arr) if arr.size else arr
    if parts.size:
        parts = parts[np.isin(shapely.get_type_id(parts), kinds) & ~shapely.is_empty(parts)]
    return parts


def polygon_path(geoms: object) -> Path | None:
    """One compound path of all (multi)polygons in `geoms`; None when there are none."""
    polys = _parts(geoms, (3,))
    if not polys.size:
        return None
    polys = orient_polygons(polys, exterior_cw=False)
    rings = shapely.get_rings(polys)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    codes[starts] = Path.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = Path.CLOSEPOLY
    return Path(coords, codes)


def line_path(geoms: object) -> Path | None:
    """One compound path of all (multi)linestrings (and polygon outlines) in `geoms`."""
    parts = _parts(geoms, (1, 2, 3))
    if not parts.size:
        return None
    is_poly = shapely.get_type_id(parts) == 3
    if is_poly.any():
        parts = np.concatenate([parts[~is_poly], shapely.get_rings(parts[is_poly])])
    coords, index = shapely.get_coordinates(parts, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[np.r_[0, np.flatnonzero(np.diff(index)) + 1]] = Path.MOVETO
    return Path(coords, codes)


def representative_xy(geoms: object) -> np.ndarray:
    """An (n, 2) array: a point on each geometry (centroid for points and lines, inside for polygons)."""
    arr = np.asarray(geoms, dtype=object).ravel()
    if not arr.size:
        return np.empty((0, 2))
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6))
    points = np.where(polygonal, shapely.point_on_surface(arr), shapely.centroid(arr))
    return shapely.get_coordinates(points).reshape(-1, 2)


def add_polygons(ax, geoms: object, *, gid: str | None = None, **style) -> PathPatch | None:
    """Draw all polygons of `geoms` as one patch (``facecolor``, ``edgecolor``, ``hatch`` … in `style`)."""
    path = polygon_path(geoms)
    if path is None:
        return None
    patch = PathPatch(path, **style)
    if gid:
        patch.set_gid(gid)
    ax.add_artist(patch)  # not add_patch: limits are always set explicitly, and add_patch's limit update is slow
    return patch


def add_lines(ax, geoms: object, *, gid: str | None = None, **style) -> PathPatch | None:
    """Draw all lines of `geoms` as one unfilled patch (``edgecolor``, ``linewidth``, ``linestyle`` …)."""
    path = line_path(geoms)
    if path is None:
        return None
    patch = PathPatch(path, fill=False, **style)
    if gid:
        patch.set_gid(gid)
    ax.add_artist(patch)
    return patch


def add_points(ax, xy: np.ndarray, *, gid: str | None = None, **style) -> PathCollection | None:
    """Scatter the points `xy` ((n, 2) array)."""
    if not len(xy):
        return None
    artist = ax.scatter(xy[:, 0], xy[:, 1], **style)
    if gid:
        artist.set_gid(gid)
    return artist
