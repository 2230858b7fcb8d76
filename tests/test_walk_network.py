"""Walk-only ways in the walking network (issue 19.1) and grade-separated noding (issue 19.2).

The ``shared`` tests read the real OSM extract of Xueyuan Road, Beijing, from
``../shared/realdata`` (see its SOURCE.md); the highway value of each imported
way is read back independently with pyogrio.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from blockcheck.inputs.osm import import_osm
from blockcheck.metrics.roads import road_network_metrics
from blockcheck.network import build_walk_network

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
XUEYUAN = REALDATA / "beijing-xueyuanlu-osm" / "map.osm"


@cache
def _xueyuan() -> dict[str, gpd.GeoDataFrame]:
    if not XUEYUAN.exists():
        pytest.skip(f"real data not available: {XUEYUAN}")
    return import_osm(XUEYUAN)


@cache
def _highway_by_id() -> pd.Series:
    lines = pyogrio.read_dataframe(XUEYUAN, layer="lines", read_geometry=False)
    return pd.Series(lines["highway"].to_numpy(), index="osm_w" + lines["osm_id"].astype(str))


@pytest.mark.shared
def test_shared_xueyuan_pedestrian_ways_are_imported_as_walk_only():
    roads = _xueyuan()["roads"]
    walk = roads[roads["class"] == "footway"]
    # every footway, path, step and cycleway of the box: none carries access=private/no or foot=no
    assert walk["road_id"].map(_highway_by_id()).value_counts().to_dict() == {
        "footway": 64,
        "path": 24,
        "cycleway": 11,
        "steps": 2,
    }
    assert (walk["status"] == "built").all()
    assert walk.length.sum() == pytest.approx(14035, abs=1)  # metres inside the box
    # living streets stay branch roads (counted in road density as before)
    assert set(roads.loc[roads["road_id"].map(_highway_by_id()) == "living_street", "class"]) == {"branch"}


@pytest.mark.shared
def test_shared_xueyuan_road_metrics_unchanged_by_walk_only_ways():
    layers = _xueyuan()
    blocks = layers["blocks"].set_index("block_id")
    roads = layers["roads"]
    with_walk = road_network_metrics(blocks, roads)
    without = road_network_metrics(blocks, roads[roads["class"] != "footway"])
    pd.testing.assert_frame_equal(with_walk, without)
    assert with_walk["road_length_km"].sum() == pytest.approx(11.3766, abs=1e-4)


@pytest.mark.shared
def test_shared_xueyuan_walking_network_is_roads_plus_walk_only_ways():
    roads = _xueyuan()["roads"]
    full = build_walk_network(roads)
    streets = build_walk_network(roads[roads["class"] != "footway"])
    walk_m = roads.loc[roads["class"] == "footway"].length.sum()
    assert full.length_m.sum() == pytest.approx(streets.length_m.sum() + walk_m, rel=1e-9)
    assert full.n_nodes > streets.n_nodes
