"""Plausibility of the input's places: no silent wrong result from a stray feature or a mislabelled CRS.

Run by :func:`blockcheck.inputs.validate.validate_input` before the working CRS is
chosen (a stray point at (0, 0) would otherwise move the CRS and every length
and area with it). Three checks, each an error with the features named:

- a CRS that declares the Chinese web-map offsets (GCJ-02 "Mars", BD-09 Baidu):
  its coordinates are shifted by up to ~500 m from WGS 84 while it reads as plain
  longitude/latitude;
- features outside their CRS's area of use (e.g. metres read as degrees);
- features more than :data:`FAR_KM` km from the nearest block, and blocks more
  than :data:`FAR_KM` km from every other block.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
from pyproj import CRS

from blockcheck.crs import lonlat_transformer
from blockcheck.inputs.report import ERROR, ValidationReport

__all__ = ["FAR_KM", "check_places"]

#: A feature further than this from the nearest block is reported (km).
FAR_KM = 50.0
_EARTH_KM = 6371.0088
_OFFSET_CRS = re.compile(r"gcj[-_ ]?0?2|bd[-_ ]?0?9|mars|火星|百度|baidu", re.IGNORECASE)
_AREA_MARGIN_DEG = 1.0


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of each feature's bounding-box centre (NaN where not transformable)."""
    bounds = frame.geometry.bounds.to_numpy(dtype=float)
    x, y = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    crs = CRS.from_user_input(frame.crs)
    if crs.is_geographic and crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return x, y
    with np.errstate(all="ignore"):
        lon, lat = lonlat_transformer(crs).transform(x, y, errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat)
    lon[bad], lat[bad] = np.nan, np.nan
    return lon, lat


def _ids(frame: gpd.GeoDataFrame, id_field: str, mask: np.ndarray) -> list[str]:
    sub = frame[mask]
    if id_field in sub.columns and sub[id_field].notna().all():
        return [str(v) for v in sub[id_field]]
    return [f"fid {i}" for i in sub.index]


def check_places(layers: dict[str, gpd.GeoDataFrame], id_fields: dict[str, str], report: ValidationReport) -> None:
    """Report offset CRSs, features outside their CRS's area of use and features far from the blocks.

    Parameters
    ----------
    layers
        Checked layers in their own CRS (each with a CRS).
    id_fields
        Layer name → its id field (for the messages).
    report
        Where the errors go.
    """
    positions = {}
    for name, frame in layers.items():
        if frame.crs is None or frame.empty:
            continue
        crs = CRS.from_user_input(frame.crs)
        if _OFFSET_CRS.search(crs.name or "") or _OFFSET_CRS.search(crs.to_wkt()):
            report.add(
                ERROR,
                "offset_crs",
                name,
                f"the layer's CRS '{crs.name}' is a Chinese web-map offset system (GCJ-02 / BD-09): its coordinates "
                "are shifted by "
                "up to about 500 m from WGS 84 although they read as longitude/latitude.",
                fix=(
                    'Convert the layer to WGS 84 first (blockcheck.inputs.chinacoords.convert_frame(gdf, "gcj02" | '
                    '"bd09"), < 1 cm), then run again.'
                ),
            )
        lon, lat = _lonlat(frame)
        positions[name] = (lon, lat)
        area = crs.area_of_use
        if area is not None:
            m = _AREA_MARGIN_DEG
            outside = np.isfinite(lon) & (
                (lon < area.west - m) | (lon > area.east + m) | (lat < area.south - m) | (lat > area.north + m)
            )
            unplaceable = ~np.isfinite(lon)
            if (outside | unplaceable).any():
                report.add(
                    ERROR,
                    "outside_crs_area",
                    name,
                    f"{int((outside | unplaceable).sum())} feature(s) lie outside the area of use of the layer's CRS "
                    f"'{crs.name}' "
                    f"({area.west:g}…{area.east:g}°E, {area.south:g}…{area.north:g}°N): the CRS is probably not the "
                    "one the coordinates are in.",
                    ids=_ids(frame, id_fields.get(name, ""), outside | unplaceable),
                    fix=(
                        "Assign the CRS the coordinates were made in (QGIS: Layer Properties ▸ Source), or correct "
                        "those features."
                    ),
                )
    if "blocks" not in positions:
        return
    _check_far(layers, positions, id_fields, report)


def _local_km(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Equirectangular x/y in km around (lon0, lat0): good to a fraction of a percent at district scale."""
    x = np.radians(lon - lon0) * np.cos(np.radians(lat0)) * _EARTH_KM
    y = np.radians(lat - lat0) * _EARTH_KM
    return np.column_stack([x, y])


def _check_far(
    layers: dict[str, gpd.GeoDataFrame], positions: dict, id_fields: dict[str, str], report: ValidationReport
) -> None:
    """Features more than FAR_KM from the nearest block; blocks more than FAR_KM from every other block."""
    from scipy.spatial import cKDTree

    lon_b, lat_b = positions["blocks"]
    ok = np.isfinite(lon_b)
    if not ok.any():
        return
    lon0, lat0 = float(np.median(lon_b[ok])), float(np.median(lat_b[ok]))
    tree = cKDTree(_local_km(lon_b[ok], lat_b[ok], lon0, lat0))
    for name, (lon, lat) in positions.items():
        placed = np.isfinite(lon)
        far = np.zeros(len(lon), dtype=bool)
        if placed.any():
            xy = _local_km(lon[placed], lat[placed], lon0, lat0)
            if name == "blocks":  # the nearest *other* block (the first neighbour is the block itself)
                dist = tree.query(xy, k=2)[0][:, 1] if tree.n > 1 else np.zeros(len(xy))
            else:
                dist = tree.query(xy, k=1)[0]
            far[placed] = dist > FAR_KM
        if far.any():
            what = "from every other block" if name == "blocks" else "from the nearest block"
            report.add(
                ERROR,
                "far_feature",
                name,
                f"{int(far.sum())} feature(s) lie more than {FAR_KM:g} km {what}: a stray feature (e.g. at 0, 0) would "
                "move "
                "the working CRS and every length and area with it.",
                ids=_ids(layers[name], id_fields.get(name, ""), far),
                fix=(
                    "Delete or correct these features (check for coordinates of 0 or swapped x/y), or run each "
                    "district separately."
                ),
            )
