"""GeoPackage bookkeeping changed in place (blockcheck.gpkg_inplace); replacing layers is tested in
test_workbook_write.py."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import Point

from blockcheck.gpkg_inplace import order_layers
from blockcheck.io import write_layers


def test_order_layers_lists_the_layers_as_asked_and_leaves_their_rows(tmp_path):
    path = tmp_path / "two_parts.gpkg"
    points = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs=4547)
    table = pd.DataFrame({"n": [3]})
    write_layers(path, {"s_late": points, "t_early": table})
    write_layers(path, {"s_early": points, "t_late": table, "t_other": table}, append=True)
    assert [str(n) for n, _ in pyogrio.list_layers(path)] == ["s_late", "s_early", "t_early", "t_late", "t_other"]
    order_layers(path, ["s_early", "t_early", "s_late", "t_late"])
    # GDAL lists spatial layers first, each kind in the order asked; a layer not named stays after them
    assert [str(n) for n, _ in pyogrio.list_layers(path)] == ["s_early", "s_late", "t_early", "t_late", "t_other"]
    assert pyogrio.read_dataframe(path, layer="s_late")["n"].tolist() == [1, 2]
    assert pyogrio.read_info(path, layer="s_early")["features"] == 2  # the feature count kept
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM gpkg_contents").fetchone()[0] == 5
