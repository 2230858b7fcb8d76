"""shapely functions newer than the oldest shapely blockcheck supports, with fallbacks that give the same result.

Inside QGIS 3.22 (GEOS 3.11) the plugin runs with shapely 2.0 (shapely ≥ 2.1 wheels need GEOS ≥ 3.12 and
clash with the GEOS QGIS has loaded), so the core must not call what 2.0 lacks. Each name here is the native
shapely function when the installed shapely has it and the vectorised fallback otherwise; the fallbacks are
public so the tests run them under any shapely and compare them with the native result.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["HAS_ORIENT_POLYGONS", "orient_polygons", "orient_polygons_fallback"]

#: shapely ≥ 2.1 has :func:`shapely.orient_polygons`.
HAS_ORIENT_POLYGONS = hasattr(shapely, "orient_polygons")


def orient_polygons_fallback(geometry: object, *, exterior_cw: bool = False) -> np.ndarray:
    """Polygons with every exterior ring wound one way and every interior ring the other.

    The same as shapely 2.1's ``shapely.orient_polygons(geometry, exterior_cw=exterior_cw)`` for Polygons and
    MultiPolygons (empty ones and missing values pass through unchanged): counter-clockwise exteriors and
    clockwise holes by default. Vectorised: one call per step over all rings, no loop over features.

    Parameters
    ----------
    geometry
        (Multi)polygons (an array or anything :func:`numpy.asarray` turns into one); other geometry types are
        returned as given.
    exterior_cw
        Wind exteriors clockwise (and holes counter-clockwise) instead.

    Returns
    -------
    numpy.ndarray
        An object array of the input's shape.
    """
    geoms = np.array(geometry, dtype=object)
    out = geoms.ravel().copy()
    present = np.flatnonzero(~shapely.is_missing(out))
    present = present[~shapely.is_empty(out[present])]
    kind = shapely.get_type_id(out[present])
    single, multi = present[kind == 3], present[kind == 6]
    if single.size:
        out[single] = _orient(out[single], exterior_cw)
    if multi.size:
        parts, owner = shapely.get_parts(out[multi], return_index=True)
        out[multi] = shapely.multipolygons(_orient(parts, exterior_cw), indices=owner)
    return out.reshape(geoms.shape)


def _orient(polygons: np.ndarray, exterior_cw: bool) -> np.ndarray:
    """Non-empty Polygons, each ring reversed where it winds the wrong way."""
    rings, owner = shapely.get_rings(polygons, return_index=True)
    exterior = np.r_[True, owner[1:] != owner[:-1]]
    ccw = shapely.is_ccw(rings)
    flip = np.where(exterior, ccw == exterior_cw, ccw != exterior_cw)
    if not flip.any():
        return polygons
    rings[flip] = shapely.reverse(rings[flip])
    return shapely.polygons(rings, indices=owner)


def orient_polygons(geometry: object, *, exterior_cw: bool = False) -> np.ndarray:
    """``shapely.orient_polygons`` where shapely has it (≥ 2.1), else :func:`orient_polygons_fallback`."""
    if HAS_ORIENT_POLYGONS:
        return shapely.orient_polygons(geometry, exterior_cw=exterior_cw)
    return orient_polygons_fallback(geometry, exterior_cw=exterior_cw)
