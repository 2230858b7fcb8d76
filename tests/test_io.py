"""blockcheck.io: reading and writing through Arrow gives the same frames as row by row."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from blockcheck import io

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"


@pytest.fixture
def arrow_off(monkeypatch):
    """A function switching Arrow off (``BLOCKCHECK_ARROW=0``) for the rest of the test."""

    def switch() -> None:
        monkeypatch.setenv(io.ARROW_ENV, "0")
        io.arrow_io.cache_clear()

    yield switch
    io.arrow_io.cache_clear()


def test_arrow_is_used_when_pyarrow_is_installed_and_can_be_switched_off(arrow_off):
    pytest.importorskip("pyarrow", reason="the fast extra is installed by scripts/setup.sh")
    assert io.arrow_io() is (tuple(pyogrio.__gdal_version__[:2]) >= (3, 8))
    arrow_off()
    assert io.arrow_io() is False


def test_every_sample_layer_reads_the_same_with_and_without_arrow(arrow_off):
    layers = [name for name, _ in pyogrio.list_layers(SAMPLE)]
    with_arrow = {name: io.read_layer(SAMPLE, name) for name in layers}
    arrow_off()
    for name in layers:
        pd.testing.assert_frame_equal(io.read_layer(SAMPLE, name), with_arrow[name], check_exact=True)
    assert len(with_arrow["buildings"]) > 100  # a real layer was compared


def _odd_frame() -> gpd.GeoDataFrame:
    """Text with nulls and Chinese, integers, floats with NaN, a boolean, an all-null text column."""
    return gpd.GeoDataFrame(
        {
            "name": ["学院路", None, "Ω"],
            "count": [1, 2, 3],
            "share_ratio": [0.5, float("nan"), 1.0],
            "confirmed": [True, False, True],
            "note": pd.Series([None, None, None], dtype=object),
        },
        geometry=[shapely.Point(0, 0), None, shapely.box(0, 0, 1, 1)],
        crs="EPSG:4547",
    )


def test_a_workbook_written_with_arrow_reads_back_like_one_written_without(tmp_path, arrow_off):
    frames = {"odd": _odd_frame(), "table": pd.DataFrame({"key": ["a", "b"], "value_m": [1.5, None]})}
    io.write_gpkg(tmp_path / "arrow.gpkg", frames)
    arrow_off()
    io.write_gpkg(tmp_path / "rows.gpkg", frames)
    for name in frames:
        got = io.read_layer(tmp_path / "arrow.gpkg", name)
        pd.testing.assert_frame_equal(got, io.read_layer(tmp_path / "rows.gpkg", name), check_exact=True)
    odd = io.read_layer(tmp_path / "arrow.gpkg", "odd")
    assert odd["name"].tolist()[0] == "学院路" and pd.isna(odd["name"].iloc[1])
    assert odd["count"].tolist() == [1, 2, 3] and pd.isna(odd["share_ratio"].iloc[1])


def test_a_gbk_shapefile_reads_the_same_with_and_without_arrow(tmp_path, arrow_off):
    path = tmp_path / "blocks.shp"
    frame = _odd_frame().drop(columns=["note", "share_ratio"]).iloc[[0, 2]]
    pyogrio.write_dataframe(frame.set_geometry(frame.geometry.centroid), path, encoding="gbk")
    with_arrow = io.read_layer(path, encoding="gbk")
    assert with_arrow["name"].iloc[0] == "学院路"
    arrow_off()
    pd.testing.assert_frame_equal(io.read_layer(path, encoding="gbk"), with_arrow, check_exact=True)
