"""Choosing the one metric CRS of a run, and reprojecting to it once, at the edge.

Rules (issue 2):

1. ``--crs`` given → that CRS (it must be projected, in metres).
2. the data's own CRS when projected in metres;
3. otherwise, inside China, the CGCS2000 3-degree Gauss–Krüger zone (central
   meridian every 3°, no zone prefix: EPSG:4534–4554; Beijing → EPSG:4548);
4. elsewhere, the UTM zone of the data's centre (WGS 84 / UTM, EPSG:326xx / 327xx).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as _PyprojCRSError

from blockcheck.errors import CRSError

__all__ = [
    "CHINA_BBOX_LONLAT",
    "cgcs2000_gk3_epsg",
    "is_metric",
    "lonlat_centre",
    "lonlat_transformer",
    "parse_crs",
    "require_same_metric_crs",
    "reproject_layers",
    "resolve_metric_crs",
    "utm_epsg",
]

log = logging.getLogger(__name__)

#: Rough bounding box of China used to pick CGCS2000 Gauss–Krüger zones
#: (the same box the public GCJ-02 algorithm uses).
CHINA_BBOX_LONLAT = (72.004, 0.8293, 137.8347, 55.8271)

# EPSG:4534 is "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; codes rise by one per 3°
# up to EPSG:4554 (CM 135E).
_GK3_FIRST_EPSG = 4534
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135


# Web Mercator is "metres" on paper but stretches lengths by 1/cos(lat) (≈1.3× in Beijing):
# never measured in; data in it get the local metric CRS instead.
_WEB_MERCATOR = {3857, 3785, 900913, 102100}


def parse_crs(value: object) -> CRS:
    """Parse a user-given CRS (``EPSG:4548``, ``4548``, WKT or PROJ string).

    Raises
    ------
    CRSError
        If pyproj cannot understand `value`.
    """
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            return CRS.from_epsg(int(value))
        return CRS.from_user_input(value)
    except _PyprojCRSError as err:
        msg = (
            f"The coordinate reference system {value!r} is not understood ({err}). "
            "Give it as EPSG:<code> (e.g. EPSG:4548 for Beijing), a WKT or a PROJ string."
        )
        raise CRSError(msg) from None


def is_metric(crs: CRS | None) -> bool:
    """True when `crs` is projected with metre units on both axes."""
    if crs is None or not crs.is_projected:
        return False
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    return units <= {"metre", "meter", "m"}


def cgcs2000_gk3_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger CRS (CM form) covering `lon`.

    >>> cgcs2000_gk3_epsg(116.4)   # Beijing
    4548
    """
    cm = int(round(lon / 3.0)) * 3
    cm = min(max(cm, _GK3_FIRST_CM), _GK3_LAST_CM)
    return _GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone containing (`lon`, `lat`)."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def lonlat_transformer(crs: object, *, inverse: bool = False) -> Transformer:
    """The transformer from `crs` to longitude/latitude (WGS 84, x = longitude), or back with `inverse`.

    Made once per CRS and kept: making one looks the CRS up in PROJ's database (about 60 ms), and a run
    asks for the same one per layer.
    """
    return _lonlat_transformers(CRS.from_user_input(crs).to_wkt())[int(inverse)]


@functools.cache
def _lonlat_transformers(crs_wkt: str) -> tuple[Transformer, Transformer]:
    crs = CRS.from_wkt(crs_wkt)
    return (
        Transformer.from_crs(crs, "EPSG:4326", always_xy=True),
        Transformer.from_crs("EPSG:4326", crs, always_xy=True),
    )


def lonlat_centre(layers: Mapping[str, gpd.GeoDataFrame]) -> tuple[float, float]:
    """Longitude/latitude of the centre of the union of the layers' bounds."""
    boxes = []
    for gdf in layers.values():
        if gdf is None or gdf.empty or gdf.crs is None:
            continue
        bounds = gdf.total_bounds
        if not np.all(np.isfinite(bounds)):
            continue
        xs, ys = lonlat_transformer(gdf.crs).transform([bounds[0], bounds[2]], [bounds[1], bounds[3]])
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    if not boxes:
        msg = "No layer has features with coordinates, so no working CRS can be chosen. Add features, or pass --crs."
        raise CRSError(msg)
    arr = np.array(boxes)
    return float((arr[:, 0].min() + arr[:, 2].max()) / 2), float((arr[:, 1].min() + arr[:, 3].max()) / 2)


def _in_china(lon: float, lat: float) -> bool:
    west, south, east, north = CHINA_BBOX_LONLAT
    return west <= lon <= east and south <= lat <= north


def resolve_metric_crs(layers: Mapping[str, gpd.GeoDataFrame], *, crs: object = None) -> CRS:
    """Choose the one metric CRS for a run (see the module docstring for the rules).

    Parameters
    ----------
    layers
        Input layers by name; each must carry a CRS.
    crs
        The user's choice (``--crs``); must be projected in metres.

    Returns
    -------
    pyproj.CRS
        A projected CRS in metres.

    Raises
    ------
    CRSError
        If `crs` is not metric, or no layer has coordinates.
    """
    if crs is not None:
        chosen = parse_crs(crs)
        if chosen.to_epsg() in _WEB_MERCATOR:
            msg = (
                f"--crs {crs} is Web Mercator, which stretches lengths by about 1.3× and areas by 1.7× in Beijing. "
                "Choose a true metric CRS, e.g. EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) in Beijing."
            )
            raise CRSError(msg)
        if not is_metric(chosen):
            msg = (
                f"--crs {crs} is not a projected CRS in metres; distances and areas would be wrong. "
                "Choose a metric CRS, e.g. EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) in Beijing."
            )
            raise CRSError(msg)
        return chosen
    # Deduplicate by equivalence, not by hash: the same CRS read from a GeoPackage
    # (EPSG code) and from a Shapefile (.prj, ESRI WKT) compares equal but hashes differently.
    own: list[CRS] = []
    for gdf in layers.values():
        if gdf is None or gdf.crs is None:
            continue
        layer_crs = CRS.from_user_input(gdf.crs)
        if not any(layer_crs == seen for seen in own):
            own.append(layer_crs)
    if len(own) == 1 and is_metric(own[0]) and own[0].to_epsg() not in _WEB_MERCATOR:
        return own[0]
    lon, lat = lonlat_centre(layers)
    epsg = cgcs2000_gk3_epsg(lon) if _in_china(lon, lat) else utm_epsg(lon, lat)
    log.info("working CRS: EPSG:%s (data centre %.4f, %.4f)", epsg, lon, lat)
    return CRS.from_epsg(epsg)


def reproject_layers(layers: Mapping[str, gpd.GeoDataFrame], target: CRS) -> dict[str, gpd.GeoDataFrame]:
    """Return new layers, all in `target` (layers already in it are returned as they are).

    Raises
    ------
    CRSError
        If a layer with features has no CRS.
    """
    out = {}
    for name, gdf in layers.items():
        if gdf is None:
            continue
        if gdf.crs is None:
            if gdf.empty:
                out[name] = gdf.set_crs(target)
                continue
            msg = (
                f"Layer {name!r} has no coordinate reference system, so it cannot be reprojected to "
                f"{target.name}. Set the CRS of the source file (e.g. EPSG:4326 for GPS longitude/latitude)."
            )
            raise CRSError(msg)
        out[name] = gdf if CRS.from_user_input(gdf.crs) == target else gdf.to_crs(target)
    return out


def require_same_metric_crs(**layers: object) -> None:
    """Check that every CRS given is projected in metres and that they are all equal.

    Keyword names are used in the message ("The residents are in EPSG:4326 …").
    Anything with a ``crs`` attribute counts (GeoDataFrames, the walking
    network); objects without a CRS are not checked.

    Raises
    ------
    CRSError
        A geographic or non-metre CRS, or layers in different CRSs.
    """
    named = {
        name: CRS.from_user_input(layer.crs)
        for name, layer in layers.items()
        if getattr(layer, "crs", None) is not None
    }
    for name, crs in named.items():
        if not is_metric(crs):
            msg = (
                f"The {name} are in {crs.to_string()}, which is not a projected CRS in metres. "
                "Re-project all layers once to the run's metric CRS (blockcheck.crs.reproject_layers)."
            )
            raise CRSError(msg)
    first = next(iter(named.values()), None)
    if any(not crs.equals(first) for crs in named.values()):
        listing = ", ".join(f"{name}: {crs.to_string()}" for name, crs in named.items())
        msg = f"The layers are in different CRSs ({listing}). Re-project all layers once to one metric CRS."
        raise CRSError(msg)
