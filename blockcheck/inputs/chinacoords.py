"""Chinese web-map coordinates: WGS-84 ↔ GCJ-02 ↔ BD-09.

Maps published in mainland China do not use plain WGS-84 longitude/latitude.
Gaode/AMap, Tencent and Google's China tiles use **GCJ-02** (国测局坐标, "Mars
coordinates"): WGS-84 with a deliberate, smoothly varying offset of a few
hundred metres. Baidu adds a second shift on top of GCJ-02, **BD-09**. Data
digitised from, or downloaded from, those maps must be converted back to
WGS-84 before it can be combined with anything else.

The conversions below implement the public GCJ-02 obfuscation algorithm, as
documented in e.g. wandergis/coordTransform (and many other open
descriptions), written from those published formulas with numpy so that whole
coordinate arrays are converted at once.

Forward WGS-84 → GCJ-02
-----------------------
With ``x = lon - 105`` and ``y = lat - 35`` (degrees)::

    T_lat(x, y) = -100 + 2x + 3y + 0.2y² + 0.1xy + 0.2·√|x|
                  + (20 sin 6πx + 20 sin 2πx)·2/3
                  + (20 sin πy + 40 sin(πy/3))·2/3
                  + (160 sin(πy/12) + 320 sin(πy/30))·2/3
    T_lon(x, y) =  300 + x + 2y + 0.1x² + 0.1xy + 0.1·√|x|
                  + (20 sin 6πx + 20 sin 2πx)·2/3
                  + (20 sin πx + 40 sin(πx/3))·2/3
                  + (150 sin(πx/12) + 300 sin(πx/30))·2/3

The two polynomials (nominally metres) are scaled to degrees on the
Krasovsky 1940 ellipsoid (``a = 6378245.0``, ``ee = 0.00669342162296594323``)::

    φ = lat·π/180,  M = 1 - ee·sin²φ
    Δlat = T_lat·180 / (a(1 - ee) / (M·√M) · π)
    Δlon = T_lon·180 / (a / √M · cos φ · π)
    gcj = (lon + Δlon, lat + Δlat)

The offset is applied only inside the rectangle lon 72.004–137.8347,
lat 0.8293–55.8271 (:data:`blockcheck.crs.CHINA_BBOX_LONLAT`); points outside
it are returned unchanged.

GCJ-02 → BD-09
--------------
With ``x_pi = π·3000/180``::

    z = √(x² + y²) + 2e-5·sin(y·x_pi)
    θ = atan2(y, x) + 3e-6·cos(x·x_pi)
    bd = (z cos θ + 0.0065, z sin θ + 0.006)

The BD-09 shift is applied everywhere (as in the public algorithm), not only
inside China.

Inverses
--------
Neither offset has a closed-form inverse. GCJ-02 → WGS-84 is solved by the
fixed-point iteration ``w ← w - (f(w) - g)``, starting from ``g - (f(g) - g)``;
the offset varies slowly (its derivative is of the order 1e-3), so a few
iterations reach the default tolerance of 1e-10° (about 0.01 mm). BD-09 →
GCJ-02 starts from the usual published closed form (``x = lon - 0.0065``,
``y = lat - 0.006``, ``z = √(x²+y²) - 2e-5 sin(y·x_pi)``,
``θ = atan2(y, x) - 3e-6 cos(x·x_pi)``), which is only accurate to about a
metre, and refines it with the same iteration.

Array conventions
-----------------
All point functions accept scalars, lists or numpy arrays for `lon` and `lat`
(broadcast against each other) and return a pair of ``float64`` numpy arrays
of the broadcast shape; scalar input gives ``numpy.float64`` scalars (a
subclass of ``float``). NaN coordinates stay NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from blockcheck.crs import CHINA_BBOX_LONLAT
from blockcheck.errors import BlockcheckWarning, CRSError

__all__ = [
    "SOURCES",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_frame",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84_geometries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Accepted `source` names of :func:`to_wgs84_geometries` and :func:`convert_frame`.
SOURCES = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_PI = np.pi
_X_PI = np.pi * 3000.0 / 180.0

_DEFAULT_TOL_DEG = 1e-10
_DEFAULT_MAX_ITER = 30

ArrayPair = tuple[np.ndarray, np.ndarray]


def _as_arrays(lon: object, lat: object) -> ArrayPair:
    lon_arr = np.asarray(lon, dtype=np.float64)
    lat_arr = np.asarray(lat, dtype=np.float64)
    return tuple(np.broadcast_arrays(lon_arr, lat_arr))  # type: ignore[return-value]


def _result(lon: np.ndarray, lat: np.ndarray) -> ArrayPair:
    """Arrays as they are; 0-d results as numpy.float64 scalars."""
    return np.asarray(lon, dtype=np.float64)[()], np.asarray(lat, dtype=np.float64)[()]


def out_of_china(lon: object, lat: object) -> np.ndarray:
    """True where a point lies outside the rectangle the GCJ-02 offset applies to.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees (scalars or array-like).

    Returns
    -------
    numpy.ndarray of bool
        Element-wise (``numpy.bool_`` for scalar input); NaN coordinates count
        as outside.
    """
    lon_arr, lat_arr = _as_arrays(lon, lat)
    west, south, east, north = CHINA_BBOX_LONLAT
    inside = (lon_arr >= west) & (lon_arr <= east) & (lat_arr >= south) & (lat_arr <= north)
    return (~inside)[()]


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * _PI) + 320.0 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> ArrayPair:
    """GCJ-02 offset (Δlon, Δlat) in degrees at WGS-84 (lon, lat); zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    dlat = _transform_lat(x, y)
    dlon = _transform_lon(x, y)
    radlat = lat / 180.0 * _PI
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * _PI)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * _PI)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _iterate_inverse(
    forward: Callable[[np.ndarray, np.ndarray], ArrayPair],
    target_lon: np.ndarray,
    target_lat: np.ndarray,
    start_lon: np.ndarray,
    start_lat: np.ndarray,
    *,
    tol_deg: float,
    max_iter: int,
    what: str,
) -> ArrayPair:
    """Solve ``forward(x) = target`` by ``x ← x - (forward(x) - target)``."""
    x_lon = np.array(start_lon, dtype=np.float64)
    x_lat = np.array(start_lat, dtype=np.float64)
    finite = np.isfinite(x_lon) & np.isfinite(x_lat)
    if not finite.any():
        return _result(x_lon, x_lat)
    change = np.inf
    for _ in range(max_iter):
        f_lon, f_lat = forward(x_lon, x_lat)
        d_lon = np.asarray(f_lon - target_lon)
        d_lat = np.asarray(f_lat - target_lat)
        x_lon = x_lon - d_lon
        x_lat = x_lat - d_lat
        change = float(max(np.abs(d_lon[finite]).max(), np.abs(d_lat[finite]).max()))
        if change < tol_deg:
            break
    else:
        # Only near the edge of the China rectangle, where the offset jumps to zero
        # and the inverse is not defined, can the iteration fail to settle.
        warnings.warn(
            f"{what}: the iterative inverse did not converge to {tol_deg:g}° in {max_iter} "
            f"iterations (last change {change:.3g}°); points near the edge of the area "
            "where the offset applies may be off by the offset (a few hundred metres).",
            BlockcheckWarning,
            stacklevel=3,
        )
    return _result(x_lon, x_lat)


def wgs84_to_gcj02(lon: object, lat: object) -> ArrayPair:
    """Convert WGS-84 longitude/latitude to GCJ-02.

    Uses the public GCJ-02 obfuscation algorithm (see the module docstring for
    the formulas); points outside China's rectangle are returned unchanged.

    Parameters
    ----------
    lon, lat
        WGS-84 longitude and latitude in degrees; scalars or array-like,
        broadcast against each other.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        GCJ-02 longitude and latitude (``numpy.float64`` for scalar input).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.3975, 39.9087)
    >>> round(float(lon), 4), round(float(lat), 4)
    (116.4037, 39.9101)
    """
    lon_arr, lat_arr = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_arr, lat_arr)
    return _result(lon_arr + dlon, lat_arr + dlat)


def gcj02_to_wgs84(
    lon: object,
    lat: object,
    *,
    tol_deg: float = _DEFAULT_TOL_DEG,
    max_iter: int = _DEFAULT_MAX_ITER,
) -> ArrayPair:
    """Convert GCJ-02 longitude/latitude to WGS-84 by iteration.

    Starts from ``g - (f(g) - g)`` (the usual one-step approximation, good to a
    few metres) and iterates ``w ← w - (f(w) - g)``, where ``f`` is
    :func:`wgs84_to_gcj02`, until the largest correction is below `tol_deg`.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees; scalars or array-like.
    tol_deg
        Stop when no coordinate moves by more than this (degrees). The default
        1e-10° is about 0.01 mm.
    max_iter
        Upper bound on iterations; a :class:`~blockcheck.errors.BlockcheckWarning`
        is issued if it is reached (possible only at the edge of China's
        rectangle, where the offset is discontinuous).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        WGS-84 longitude and latitude (``numpy.float64`` for scalar input).
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    f_lon, f_lat = wgs84_to_gcj02(g_lon, g_lat)
    return _iterate_inverse(
        wgs84_to_gcj02,
        g_lon,
        g_lat,
        g_lon - (f_lon - g_lon),
        g_lat - (f_lat - g_lat),
        tol_deg=tol_deg,
        max_iter=max_iter,
        what="GCJ-02 → WGS-84",
    )


def gcj02_to_bd09(lon: object, lat: object) -> ArrayPair:
    """Convert GCJ-02 longitude/latitude to Baidu BD-09.

    ``z = √(x²+y²) + 2e-5·sin(y·x_pi)``, ``θ = atan2(y, x) + 3e-6·cos(x·x_pi)``,
    ``bd = (z cos θ + 0.0065, z sin θ + 0.006)`` with ``x_pi = π·3000/180``.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees; scalars or array-like.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        BD-09 longitude and latitude (``numpy.float64`` for scalar input).
    """
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 2e-5 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 3e-6 * np.cos(x * _X_PI)
    return _result(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def _bd09_to_gcj02_closed_form(lon: np.ndarray, lat: np.ndarray) -> ArrayPair:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 2e-5 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 3e-6 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(
    lon: object,
    lat: object,
    *,
    tol_deg: float = _DEFAULT_TOL_DEG,
    max_iter: int = _DEFAULT_MAX_ITER,
) -> ArrayPair:
    """Convert Baidu BD-09 longitude/latitude to GCJ-02.

    The published closed form (``x = lon - 0.0065``, ``y = lat - 0.006``,
    ``z = √(x²+y²) - 2e-5 sin(y·x_pi)``, ``θ = atan2(y, x) - 3e-6 cos(x·x_pi)``,
    ``gcj = (z cos θ, z sin θ)``) evaluates the perturbations at the BD-09
    rather than the GCJ-02 point and is therefore off by up to about a metre;
    it is used as the starting point of the iteration
    ``g ← g - (bd(g) - target)`` with :func:`gcj02_to_bd09` as ``bd``.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees; scalars or array-like.
    tol_deg, max_iter
        As for :func:`gcj02_to_wgs84`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        GCJ-02 longitude and latitude (``numpy.float64`` for scalar input).
    """
    b_lon, b_lat = _as_arrays(lon, lat)
    s_lon, s_lat = _bd09_to_gcj02_closed_form(b_lon, b_lat)
    return _iterate_inverse(
        gcj02_to_bd09,
        b_lon,
        b_lat,
        s_lon,
        s_lat,
        tol_deg=tol_deg,
        max_iter=max_iter,
        what="BD-09 → GCJ-02",
    )


def wgs84_to_bd09(lon: object, lat: object) -> ArrayPair:
    """Convert WGS-84 longitude/latitude to BD-09 (via GCJ-02).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        BD-09 longitude and latitude (``numpy.float64`` for scalar input).
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(
    lon: object,
    lat: object,
    *,
    tol_deg: float = _DEFAULT_TOL_DEG,
    max_iter: int = _DEFAULT_MAX_ITER,
) -> ArrayPair:
    """Convert BD-09 longitude/latitude to WGS-84 (iterative BD-09 → GCJ-02 → WGS-84).

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees; scalars or array-like.
    tol_deg, max_iter
        As for :func:`gcj02_to_wgs84`; used for both steps.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        WGS-84 longitude and latitude (``numpy.float64`` for scalar input).
    """
    g_lon, g_lat = bd09_to_gcj02(lon, lat, tol_deg=tol_deg, max_iter=max_iter)
    return gcj02_to_wgs84(g_lon, g_lat, tol_deg=tol_deg, max_iter=max_iter)


_TO_WGS84: dict[str, Callable[[np.ndarray, np.ndarray], ArrayPair] | None] = {
    "wgs84": None,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


def _normalise_source(source: object) -> str:
    key = str(source).strip().lower().replace("-", "").replace("_", "")
    if key not in _TO_WGS84:
        msg = (
            f"Unknown coordinate source {source!r}. "
            f"Accepted names: {', '.join(repr(s) for s in SOURCES)} "
            "(WGS-84, Gaode/AMap/Tencent GCJ-02, Baidu BD-09)."
        )
        raise CRSError(msg)
    return key


def _xy_func(convert: Callable[[np.ndarray, np.ndarray], ArrayPair]) -> Callable[[np.ndarray], np.ndarray]:
    def func(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=np.float64, copy=True)
        if out.size:
            out[:, 0], out[:, 1] = convert(out[:, 0], out[:, 1])
        return out

    return func


def to_wgs84_geometries(geoms: object, source: str) -> object:
    """Convert geometries from `source` coordinates to WGS-84, vertex by vertex.

    All coordinates of all geometries are converted in one vectorised call
    through :func:`shapely.transform`; Z values are kept as they are.

    Parameters
    ----------
    geoms
        A shapely geometry, or an array-like of them (numpy array, list,
        :class:`geopandas.GeoSeries`), with longitude/latitude coordinates.
    source
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (case, ``-`` and ``_`` ignored,
        so ``"GCJ-02"`` works too).

    Returns
    -------
    numpy.ndarray or shapely.Geometry
        New geometries (an object array of the input's shape; a single
        geometry for a single geometry). Vertex counts are unchanged.

    Raises
    ------
    CRSError
        If `source` is not one of the accepted names.
    """
    key = _normalise_source(source)
    if isinstance(geoms, shapely.Geometry):
        arr = np.array(geoms, dtype=object)
    else:
        arr = np.array(np.asarray(geoms, dtype=object), dtype=object, copy=True)
    convert = _TO_WGS84[key]
    if convert is not None and arr.size:
        func = _xy_func(convert)
        # Transform 2-D and 3-D geometries separately so that each keeps its
        # dimensionality (shapely < 2.1 has no include_z=None).
        has_z = np.asarray(shapely.has_z(arr), dtype=bool)
        present = ~np.asarray(shapely.is_missing(arr), dtype=bool)
        flat, flat_z, flat_present = arr.reshape(-1), has_z.reshape(-1), present.reshape(-1)
        for want_z in (False, True):
            sel = flat_present & (flat_z == want_z)
            if sel.any():
                flat[sel] = shapely.transform(flat[sel], func, include_z=want_z)
        arr = flat.reshape(arr.shape)
    if arr.ndim == 0:
        return arr.item()
    return arr


def convert_frame(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Return a copy of `gdf` with its active geometry converted to WGS-84 (EPSG:4326).

    Parameters
    ----------
    gdf
        Layer whose coordinates are longitude/latitude in `source`. Data from
        Chinese web maps is often labelled EPSG:4326 although it is GCJ-02 or
        BD-09, so any geographic CRS, or none, is accepted.
    source
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``. With ``"wgs84"`` a layer in a
        projected CRS is reprojected to EPSG:4326 instead.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326; attributes and index unchanged.

    Raises
    ------
    CRSError
        If `source` is unknown, or a GCJ-02/BD-09 layer has a projected CRS.
    """
    key = _normalise_source(source)
    crs = None if gdf.crs is None else CRS.from_user_input(gdf.crs)
    if key == "wgs84":
        if crs is not None and not crs.is_geographic:
            return gdf.to_crs("EPSG:4326")
        return gdf.set_crs("EPSG:4326", allow_override=True)
    if crs is not None and not crs.is_geographic:
        msg = (
            f"The layer is in the projected CRS {crs.name!r}, but {key.upper()} coordinates "
            "are longitude/latitude. Convert from the original longitude/latitude data, "
            "or choose source 'wgs84'."
        )
        raise CRSError(msg)
    out = gdf.copy()
    geom_col = out.geometry.name
    converted = to_wgs84_geometries(out.geometry.values, key)
    out[geom_col] = gpd.GeoSeries(converted, index=out.index, crs="EPSG:4326")
    return out.set_crs("EPSG:4326", allow_override=True)
