"""GeoPackages written by blockcheck open in QGIS 3.22 (GDAL 3.6) without warnings."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from blockcheck.pipeline import check_input, write_checked_input

pytestmark = pytest.mark.qgis


def _gdal_messages(path: Path) -> list[str]:
    """Open every layer with QGIS's own GDAL (Debian's osgeo) and collect its warnings."""
    from osgeo import gdal

    messages: list[str] = []

    def handler(level, number, message):
        if level >= gdal.CE_Warning:
            messages.append(message)

    gdal.PushErrorHandler(handler)
    try:
        ds = gdal.OpenEx(str(path), gdal.OF_VECTOR)
        assert ds is not None
        for i in range(ds.GetLayerCount()):
            layer = ds.GetLayer(i)
            layer.GetFeatureCount()
            for _ in layer:
                pass
        ds = None
    finally:
        gdal.PopErrorHandler()
    return messages


def test_checked_sample_opens_in_qgis_without_warnings(qgis_app, sample_gpkg: Path, tmp_path: Path) -> None:
    from osgeo import gdal
    from qgis.core import QgsVectorLayer

    assert gdal.__version__.startswith("3.6"), "this test is about QGIS 3.22's GDAL 3.6"
    result = check_input(sample_gpkg)
    assert result.ok, result.checked.report.format()
    out = write_checked_input(result, tmp_path)["gpkg"]
    assert _gdal_messages(out) == []
    for name, _gtype in pyogrio.list_layers(out):
        layer = QgsVectorLayer(f"{out}|layername={name}", name, "ogr")
        assert layer.isValid(), name
        assert layer.featureCount() == pyogrio.read_info(out, layer=name)["features"]
    blocks = QgsVectorLayer(f"{out}|layername=blocks", "blocks", "ogr")
    assert blocks.crs().authid() == "EPSG:4548"
    subdistricts = {f["subdistrict"] for f in blocks.getFeatures()}
    assert all(s.endswith(("街道", "镇")) for s in subdistricts), subdistricts  # Chinese text intact


def test_a_geopackage_14_would_warn_so_the_check_is_real(qgis_app, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "v14.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4548).to_file(path, engine="pyogrio")
    assert any("GeoPackage" in m for m in _gdal_messages(path))
