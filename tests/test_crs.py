"""Tests of blockcheck.crs (choosing and applying the one metric CRS of a run)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from blockcheck import crs as bcrs
from blockcheck.errors import CRSError


def _lonlat_layer(lon: float, lat: float, d: float = 0.01, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """A tiny block polygon and a point around (lon, lat), in longitude/latitude."""
    return gpd.GeoDataFrame(
        {"id": [1, 2]},
        geometry=[shapely.box(lon - d, lat - d, lon + d, lat + d), shapely.Point(lon, lat)],
        crs=crs,
    )


def _central_meridian(epsg: int) -> float:
    conv = CRS.from_epsg(epsg).coordinate_operation
    (cm,) = [p.value for p in conv.params if "longitude of natural origin" in p.name.lower()]
    return cm


def test_gk3_epsg_table_matches_pyproj():
    for cm in range(75, 136, 3):
        epsg = bcrs.cgcs2000_gk3_epsg(cm)
        crs = CRS.from_epsg(epsg)
        assert crs.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"
        assert _central_meridian(epsg) == cm
    assert _central_meridian(4548) == 117
    assert _central_meridian(4549) == 120


def test_beijing_lonlat_gets_cgcs2000_cm117():
    chosen = bcrs.resolve_metric_crs({"blocks": _lonlat_layer(116.40, 39.91)})
    assert chosen.to_epsg() == 4548
    assert bcrs.is_metric(chosen)


def test_shanghai_lonlat_gets_cgcs2000_cm120():
    # 121.47 E is 1.47° from CM 120E and 1.53° from CM 123E → the CM 120E zone
    chosen = bcrs.resolve_metric_crs({"blocks": _lonlat_layer(121.47, 31.23)})
    assert chosen.to_epsg() == 4549
    assert _central_meridian(4549) == 120


def test_cgcs2000_geographic_input_also_works():
    chosen = bcrs.resolve_metric_crs({"blocks": _lonlat_layer(116.40, 39.91, crs="EPSG:4490")})
    assert chosen.to_epsg() == 4548


def test_helsinki_gets_utm_35n():
    chosen = bcrs.resolve_metric_crs({"blocks": _lonlat_layer(24.94, 60.17)})
    assert chosen.to_epsg() == 32635


def test_southern_hemisphere_utm():
    assert bcrs.resolve_metric_crs({"b": _lonlat_layer(151.21, -33.87)}).to_epsg() == 32756  # Sydney


def test_data_already_in_4548_is_kept():
    blocks = _lonlat_layer(116.40, 39.91).to_crs("EPSG:4548")
    roads = _lonlat_layer(116.42, 39.93).to_crs("EPSG:4548")
    layers = {"blocks": blocks, "roads": roads}
    chosen = bcrs.resolve_metric_crs(layers)
    assert chosen == CRS.from_epsg(4548)
    out = bcrs.reproject_layers(layers, chosen)
    assert out["blocks"] is blocks and out["roads"] is roads


def test_own_metric_crs_kept_even_outside_its_zone():
    # the data's own metric CRS wins over the zone rule (rule 2 before rule 3)
    layer = _lonlat_layer(116.40, 39.91).to_crs("EPSG:32650")
    assert bcrs.resolve_metric_crs({"b": layer}).to_epsg() == 32650


def test_same_crs_written_differently_counts_as_one():
    # a GeoPackage layer (EPSG code) and a Shapefile layer (.prj, ESRI WKT) in the same UTM zone
    utm = CRS.from_epsg(32650)
    esri = CRS.from_wkt(utm.to_wkt("WKT1_ESRI"))
    a = _lonlat_layer(116.40, 39.91).to_crs(utm)
    b = _lonlat_layer(116.42, 39.93).to_crs(utm).set_crs(esri, allow_override=True)
    chosen = bcrs.resolve_metric_crs({"a": a, "b": b})
    assert chosen == utm  # not the CGCS2000 zone
    out = bcrs.reproject_layers({"a": a, "b": b}, chosen)
    assert out["a"] is a and out["b"] is b


def test_user_crs_geographic_is_rejected():
    with pytest.raises(CRSError, match="not a projected CRS in metres"):
        bcrs.resolve_metric_crs({"b": _lonlat_layer(116.40, 39.91)}, crs="EPSG:4326")


def test_user_crs_unknown_code_is_rejected_with_message():
    with pytest.raises(CRSError, match="999999") as info:
        bcrs.resolve_metric_crs({"b": _lonlat_layer(116.40, 39.91)}, crs="EPSG:999999")
    assert "EPSG:<code>" in str(info.value)
    with pytest.raises(CRSError, match="999999"):
        bcrs.parse_crs("999999")
    with pytest.raises(CRSError):
        bcrs.parse_crs("not a crs")


def test_user_crs_forms_accepted():
    layers = {"b": _lonlat_layer(24.94, 60.17)}
    for value in ("EPSG:4548", "4548", 4548, CRS.from_epsg(4548).to_wkt()):
        assert bcrs.resolve_metric_crs(layers, crs=value) == CRS.from_epsg(4548)


def test_user_crs_in_feet_is_rejected():
    with pytest.raises(CRSError):
        bcrs.resolve_metric_crs({"b": _lonlat_layer(-74.0, 40.7)}, crs="EPSG:2263")  # NY, US feet


def test_mixed_crs_layers_use_centre_of_all():
    # alone, the west layer (113.6E) → CM 114E and the east layer (120.6E, kept in its own
    # metric CRS) → its own CRS; together the centre 117.1E → CM 117E
    west = _lonlat_layer(113.6, 39.9)
    east = _lonlat_layer(120.6, 39.9).to_crs("EPSG:4549")
    assert bcrs.resolve_metric_crs({"w": west}).to_epsg() == 4547
    assert bcrs.resolve_metric_crs({"e": east}).to_epsg() == 4549
    lon, lat = bcrs.lonlat_centre({"w": west, "e": east})
    assert lon == pytest.approx(117.1, abs=1e-3)  # projected bounds → lon/lat: not exact
    assert lat == pytest.approx(39.9, abs=0.02)
    chosen = bcrs.resolve_metric_crs({"w": west, "e": east})
    assert chosen.to_epsg() == 4548
    out = bcrs.reproject_layers({"w": west, "e": east}, chosen)
    assert all(CRS.from_user_input(g.crs) == chosen for g in out.values())
    # coordinates really moved, attributes kept
    assert out["w"].geometry.iloc[1].x > 1000
    assert list(out["e"]["id"]) == [1, 2]


def test_empty_layers_are_ignored_for_the_centre():
    empty = gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    chosen = bcrs.resolve_metric_crs({"blocks": _lonlat_layer(116.40, 39.91), "pois": empty, "none": None})
    assert chosen.to_epsg() == 4548


def test_no_coordinates_raises():
    empty = gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    with pytest.raises(CRSError, match="--crs"):
        bcrs.resolve_metric_crs({"pois": empty})


def test_layer_without_crs_cannot_be_reprojected():
    naive = _lonlat_layer(116.40, 39.91).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="'naive'.*no coordinate reference system"):
        bcrs.reproject_layers({"naive": naive}, CRS.from_epsg(4548))
    empty = gpd.GeoDataFrame({"id": []}, geometry=[])
    assert bcrs.reproject_layers({"e": empty}, CRS.from_epsg(4548))["e"].crs == CRS.from_epsg(4548)


def test_is_metric_and_utm_helpers():
    assert bcrs.is_metric(CRS.from_epsg(4548))
    assert not bcrs.is_metric(CRS.from_epsg(4326))
    assert not bcrs.is_metric(None)
    assert not bcrs.is_metric(CRS.from_epsg(2263))
    assert bcrs.utm_epsg(24.94, 60.17) == 32635
    assert bcrs.utm_epsg(-0.1, 51.5) == 32630
    assert bcrs.utm_epsg(179.99, 0.0) == 32660
    assert bcrs.cgcs2000_gk3_epsg(60.0) == 4534  # clamped to the table
    assert bcrs.cgcs2000_gk3_epsg(140.0) == 4554


def test_web_mercator_is_never_the_working_crs() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from blockcheck.crs import resolve_metric_crs
    from blockcheck.errors import CRSError

    layer = gpd.GeoDataFrame(geometry=[Point(116.35, 40.0)], crs=4326).to_crs(3857)
    assert resolve_metric_crs({"blocks": layer}).to_epsg() == 4548
    with pytest.raises(CRSError, match="Web Mercator"):
        resolve_metric_crs({"blocks": layer}, crs="EPSG:3857")


def test_the_lonlat_transformer_is_made_once_per_crs_and_goes_both_ways() -> None:
    # CGCS2000 / 3-degree GK CM 117E (scale 1 on it): x = 500,000 m (false easting) is 117°E, and y the
    # meridian arc of GRS 80 from the equator, 4,429,529 m to 40°N
    there = bcrs.lonlat_transformer("EPSG:4548")
    assert bcrs.lonlat_transformer(CRS.from_epsg(4548)) is there  # the same CRS, however given: made once
    lon, lat = there.transform(500_000.0, 4_429_529.0)
    assert lon == pytest.approx(117.0, abs=1e-9) and lat == pytest.approx(40.0, abs=1e-5)
    x, y = bcrs.lonlat_transformer("EPSG:4548", inverse=True).transform(lon, lat)
    assert (x, y) == (pytest.approx(500_000.0, abs=1e-6), pytest.approx(4_429_529.0, abs=1e-6))
    assert bcrs.lonlat_transformer("EPSG:32650") is not there
