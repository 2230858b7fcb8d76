"""Tests of blockcheck.inputs.chinacoords (WGS-84 ↔ GCJ-02 ↔ BD-09)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from blockcheck.errors import CRSError
from blockcheck.inputs import chinacoords as cc

GEOD = Geod(ellps="WGS84")
TIANANMEN = (116.3975, 39.9087)


# --- an independent, plain-Python (math module, one point at a time) reference ---


def _ref_wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """Hand evaluation of the published GCJ-02 formula, written separately from the module."""
    a = 6378245.0
    ee = 0.00669342162296594323
    pi = math.pi
    if not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lng, lat
    x = lng - 105.0
    y = lat - 35.0
    tlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y**2 + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    tlat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    tlat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    tlat += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    tlng = 300.0 + x + 2.0 * y + 0.1 * x**2 + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    tlng += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    tlng += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    tlng += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - ee * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = tlat * 180.0 / ((a * (1.0 - ee)) / (magic * sqrtmagic) * pi)
    dlng = tlng * 180.0 / (a / sqrtmagic * math.cos(radlat) * pi)
    return lng + dlng, lat + dlat


def _ref_gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    x_pi = math.pi * 3000.0 / 180.0
    z = math.hypot(lng, lat) + 2e-5 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lng) + 3e-6 * math.cos(lng * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    return np.asarray(GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())[2])


@pytest.fixture(scope="module")
def beijing_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(115.5, 117.5, 41), np.linspace(39.5, 41.0, 41))
    return lon, lat


# --- known values against the reference ---


def test_tiananmen_matches_scalar_reference():
    lon, lat = cc.wgs84_to_gcj02(*TIANANMEN)
    ref_lon, ref_lat = _ref_wgs84_to_gcj02(*TIANANMEN)
    assert abs(float(lon) - ref_lon) < 1e-9
    assert abs(float(lat) - ref_lat) < 1e-9
    # about 530 m north-east, the well-known size of the offset in Beijing
    assert ref_lon - TIANANMEN[0] == pytest.approx(0.00624, abs=5e-5)
    assert ref_lat - TIANANMEN[1] == pytest.approx(0.00140, abs=5e-5)


def test_vectorised_equals_scalar_reference_over_grid(beijing_grid):
    lon, lat = beijing_grid
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    ref = np.array([_ref_wgs84_to_gcj02(x, y) for x, y in zip(lon.ravel(), lat.ravel(), strict=True)])
    np.testing.assert_allclose(g_lon.ravel(), ref[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(g_lat.ravel(), ref[:, 1], rtol=0, atol=1e-9)
    b_lon, b_lat = cc.gcj02_to_bd09(g_lon, g_lat)
    ref_bd = np.array([_ref_gcj02_to_bd09(x, y) for x, y in ref])
    np.testing.assert_allclose(b_lon.ravel(), ref_bd[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(b_lat.ravel(), ref_bd[:, 1], rtol=0, atol=1e-9)


# --- round trips ---


def test_gcj_round_trip_within_5_cm(beijing_grid):
    lon, lat = beijing_grid
    back = cc.gcj02_to_wgs84(*cc.wgs84_to_gcj02(lon, lat))
    err = _metres(lon, lat, *back)
    assert err.size == 41 * 41
    assert err.max() < 0.05


def test_bd_round_trip_within_5_cm(beijing_grid):
    lon, lat = beijing_grid
    back = cc.bd09_to_wgs84(*cc.wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.05


def test_bd_to_gcj_is_refined_to_millimetres(beijing_grid):
    g_lon, g_lat = cc.wgs84_to_gcj02(*beijing_grid)
    back = cc.bd09_to_gcj02(*cc.gcj02_to_bd09(g_lon, g_lat))
    assert _metres(g_lon, g_lat, *back).max() < 0.001


# --- offset sizes ---


def test_gcj_offset_size_over_beijing(beijing_grid):
    lon, lat = beijing_grid
    offset = _metres(lon, lat, *cc.wgs84_to_gcj02(lon, lat))
    assert offset.min() > 100
    assert offset.max() < 800


def test_bd_offset_at_tiananmen():
    offset = _metres(*TIANANMEN, *cc.wgs84_to_bd09(*TIANANMEN))[0]
    assert 1300 < offset < 1500


# --- shapes, scalars, outside China ---


def test_scalars_lists_and_arrays():
    lon, lat = cc.wgs84_to_gcj02(*TIANANMEN)
    assert isinstance(lon, float) and isinstance(lat, float)
    lons, lats = cc.wgs84_to_gcj02([116.0, 116.5], [39.9, 40.0])
    assert lons.shape == lats.shape == (2,)
    lons, lats = cc.wgs84_to_gcj02(np.full((3, 2), 116.4), 39.9)  # broadcast
    assert lons.shape == (3, 2)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(2.3522, 48.8566), (-74.006, 40.7128), (139.6917, 35.6895), (24.94, 60.17), (150.0, -33.0)],
)
def test_outside_china_unchanged(lon, lat):
    assert cc.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert cc.gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert bool(cc.out_of_china(lon, lat))


def test_mixed_inside_and_outside_vectorised():
    lon = np.array([116.3975, 2.3522, 121.47])
    lat = np.array([39.9087, 48.8566, 31.23])
    g_lon, g_lat = cc.wgs84_to_gcj02(lon, lat)
    assert (g_lon[1], g_lat[1]) == (lon[1], lat[1])
    assert g_lon[0] != lon[0] and g_lon[2] != lon[2]
    back = cc.gcj02_to_wgs84(g_lon, g_lat)
    assert _metres(lon, lat, *back).max() < 0.05


def test_nan_stays_nan():
    lon, lat = cc.gcj02_to_wgs84([np.nan, 116.4], [39.9, 39.9])
    assert np.isnan(lon[0]) and np.isfinite(lon[1]) and np.isfinite(lat).all()


# --- geometries and frames ---


def _beijing_polygon() -> shapely.Polygon:
    shell = [(116.39, 39.90), (116.41, 39.90), (116.41, 39.92), (116.40, 39.925), (116.39, 39.92), (116.39, 39.90)]
    hole = [(116.395, 39.905), (116.40, 39.905), (116.40, 39.91), (116.395, 39.905)]
    return shapely.Polygon(shell, [hole])


@pytest.mark.parametrize("source", ["gcj02", "bd09"])
def test_polygon_conversion_keeps_vertices(source):
    poly = _beijing_polygon()
    out = cc.to_wgs84_geometries(np.array([poly, shapely.Point(116.4, 39.9)]), source)
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert shapely.get_num_coordinates(out[0]) == shapely.get_num_coordinates(poly)
    assert len(out[0].interiors) == 1 and out[0].is_valid
    # every vertex equals the point conversion
    inverse = cc.gcj02_to_wgs84 if source == "gcj02" else cc.bd09_to_wgs84
    coords = shapely.get_coordinates(poly)
    exp_lon, exp_lat = inverse(coords[:, 0], coords[:, 1])
    np.testing.assert_allclose(shapely.get_coordinates(out[0]), np.column_stack([exp_lon, exp_lat]), atol=1e-12)
    # shifted back by the offset (hundreds of metres), and round-trips
    assert _metres(*coords[0], *shapely.get_coordinates(out[0])[0])[0] > 100


def test_geoseries_single_geometry_z_and_missing():
    poly = _beijing_polygon()
    series = gpd.GeoSeries([poly, None, shapely.Point(116.4, 39.9, 42.0)], crs="EPSG:4326")
    out = cc.to_wgs84_geometries(series, "GCJ-02")
    assert out[1] is None
    assert shapely.has_z(out[2]) and out[2].z == 42.0
    assert not shapely.has_z(out[0])
    single = cc.to_wgs84_geometries(poly, "gcj02")
    assert isinstance(single, shapely.Polygon) and single.equals_exact(out[0], 1e-12)
    assert cc.to_wgs84_geometries([poly], "wgs84")[0].equals(poly)


def test_convert_frame():
    gdf = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[_beijing_polygon(), shapely.Point(116.4, 39.9)], crs=None)
    out = cc.convert_frame(gdf, "bd09")
    assert out is not gdf
    assert out.crs.to_epsg() == 4326
    assert list(out["name"]) == ["a", "b"]
    assert gdf.crs is None and gdf.geometry.iloc[1].equals(shapely.Point(116.4, 39.9))  # input untouched
    assert _metres(116.4, 39.9, out.geometry.iloc[1].x, out.geometry.iloc[1].y)[0] > 1000
    projected = gdf.set_crs("EPSG:4326").to_crs("EPSG:4548")
    assert cc.convert_frame(projected, "wgs84").crs.to_epsg() == 4326
    with pytest.raises(CRSError, match="projected"):
        cc.convert_frame(projected, "gcj02")


@pytest.mark.parametrize("bad", ["utm", "EPSG:4326", "", "bd-10"])
def test_unknown_source_raises(bad):
    with pytest.raises(CRSError, match="wgs84.*gcj02.*bd09"):
        cc.to_wgs84_geometries([shapely.Point(116.4, 39.9)], bad)
    with pytest.raises(CRSError):
        cc.convert_frame(gpd.GeoDataFrame(geometry=[shapely.Point(116.4, 39.9)]), bad)
