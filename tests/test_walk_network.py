"""Walk-only ways in the walking network (issue 19.1) and grade-separated noding (issue 19.2).

The ``shared`` tests read the real OSM extract of Xueyuan Road, Beijing, from
``../shared/realdata`` (see its SOURCE.md); the highway value of each imported
way is read back independently with pyogrio.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point

from blockcheck.inputs.field_mapping import load_mapping
from blockcheck.inputs.osm import import_osm
from blockcheck.inputs.validate import validate_input
from blockcheck.metrics.roads import road_network_metrics
from blockcheck.network import build_walk_network, nearest_source_distance_m, snap_points
from blockcheck.network.grade import crossings_without_shared_vertex
from test_network import _networkx_reference

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


# ------------------------------------------------------ grade separation ----
#
# A road along y = 0 and a bridge along x = 100 crossing it at (100, 0); the
# bridge reaches the road at grade by a detour (100, 50) → (200, 50) → (200, 0):
#
#        (100,50) ───────── (200,50)
#            │ bridge           │
#   (0,0) ───┼──────────────────┴──── (300,0)   road
#            │
#        (100,-50)
#
# From P = (100, 10) on the bridge to Q = (110, 0) on the road: 20 m through
# the crossing, 40 + 100 + 50 + 90 = 280 m by the detour.

CRS = "EPSG:4548"
ROAD = [(0, 0), (300, 0)]
BRIDGE = [(100, -50), (100, 50)]
DETOUR = [(100, 50), (200, 50), (200, 0)]


def _roads(lines, **fields) -> gpd.GeoDataFrame:
    n = len(lines)
    data = {"road_id": [f"r{i}" for i in range(n)], "class": ["branch"] * n, "status": ["built"] * n, **fields}
    return gpd.GeoDataFrame(data, geometry=[LineString(c) for c in lines], crs=CRS)


def _walk_m(roads: gpd.GeoDataFrame, a=(100, 10), b=(110, 0)) -> float:
    net = build_walk_network(roads)
    return float(nearest_source_distance_m(net, snap_points(net, [Point(a)]), snap_points(net, [Point(b)]))[0])


@pytest.mark.parametrize(
    ("fields", "expected_m"),
    [
        ({}, 20.0),  # no grade fields: every crossing is a junction
        ({"bridge": [None, None, None]}, 20.0),  # the field without values: the same
        ({"bridge": [None, "yes", None]}, 280.0),  # a bridge crosses without a shared vertex
        ({"tunnel": [None, "yes", None]}, 280.0),  # so does a tunnel
        ({"layer": [0, 1, 0]}, 280.0),  # and a way on another layer
        ({"layer": [None, 0, None]}, 20.0),  # empty layer = 0: same grade
        ({"bridge": [None, "no", None]}, 20.0),
    ],
)
def test_bridge_over_road_is_not_a_junction(fields, expected_m):
    assert _walk_m(_roads([ROAD, BRIDGE, DETOUR], **fields)) == pytest.approx(expected_m, abs=1e-9)


def test_grade_separated_ways_meet_at_a_shared_vertex():
    # both have a vertex at (100, 0): they share a node and meet there
    road = [(0, 0), (100, 0), (300, 0)]
    bridge = [(100, -50), (100, 0), (100, 50)]
    assert _walk_m(_roads([road, bridge, DETOUR], bridge=[None, "yes", None])) == pytest.approx(20.0, abs=1e-9)
    # a vertex on one of them only is not shared
    assert _walk_m(_roads([road, BRIDGE, DETOUR], bridge=[None, "yes", None])) == pytest.approx(280.0, abs=1e-9)
    # steps ending on the bridge's middle vertex reach it
    steps = [(130, 0), (100, 20)]
    bridge2 = [(100, -50), (100, 20), (100, 50)]
    net_m = _walk_m(_roads([ROAD, bridge2, steps], bridge=[None, "yes", None]), a=(100, 40), b=(200, 0))
    assert net_m == pytest.approx(20 + np.hypot(30, 20) + 70, abs=1e-9)


def test_two_bridges_crossing_do_not_meet():
    other = [(50, 10), (150, 10)]  # a second bridge crossing the first at (100, 10)
    roads = _roads([BRIDGE, other], bridge=["yes", "yes"])
    net = build_walk_network(roads)
    assert net.n_nodes == 6 and net.n_edges == 4  # both split at the crossing, as two separate nodes
    assert np.isinf(_walk_m(roads, a=(100, 30), b=(60, 10)))


def test_validation_reports_crossings_without_shared_vertex(tmp_path):
    # the user's own roads, moved into Beijing (EPSG:4548), with a field of their own mapped to bridge
    roads = _roads([ROAD, BRIDGE, DETOUR], 是否桥梁=["否", "是", "否"])
    roads = roads.set_geometry(roads.translate(500_000, 4_400_000))
    block = shapely.box(500_000, 4_399_940, 500_300, 4_400_060)
    path = tmp_path / "own.gpkg"
    gpd.GeoDataFrame({"block_id": ["AA01-0001"]}, geometry=[block], crs=CRS).to_file(path, layer="blocks")
    roads.to_file(path, layer="roads")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[layers.roads.fields]\nbridge = "是否桥梁"\n', encoding="utf-8")
    checked = validate_input(path, load_mapping(mapping))
    assert checked.ok, checked.report.format()
    assert checked.layers["roads"]["bridge"].tolist() == ["no", "yes", "no"]
    (note,) = [i for i in checked.report.issues if i.code == "grade_separated_crossings"]
    assert note.severity == "info" and note.layer == "roads"
    assert note.message.startswith("1 crossing(s)") and "(500100.0, 4400000.0) r0 / r1" in note.message
    assert set(note.ids) == {"r0", "r1"} and note.fix


@pytest.mark.shared
def test_shared_xueyuan_bridge_over_road_is_not_a_junction():
    roads = _xueyuan()["roads"]
    by_id = roads.set_index("road_id").geometry
    bridge, road = by_id["osm_w30784183"], by_id["osm_w48051223"]  # 科荟桥 (arterial bridge) over G6辅路
    assert roads.set_index("road_id").loc["osm_w30784183", ["bridge", "layer"]].tolist() == ["yes", 1]
    crossing = shapely.intersection(bridge, road)
    a, b = bridge.interpolate(bridge.project(crossing) + 5), road.interpolate(road.project(crossing) + 5)
    separated = _walk_m(roads, a=a.coords[0], b=b.coords[0])
    flat = _walk_m(roads.drop(columns=["bridge", "tunnel", "layer"]), a=a.coords[0], b=b.coords[0])
    assert flat == pytest.approx(10.0, abs=0.05)  # without grade fields: through the crossing
    assert separated == pytest.approx(602.45, abs=0.05)  # by the ramps, not through the crossing point
    # the OSM grade tags are imported
    assert (roads["bridge"] == "yes").groupby(roads["class"]).sum()[lambda s: s > 0].to_dict() == {
        "arterial": 4,
        "expressway": 1,
        "footway": 13,
        "secondary": 2,
    }
    assert (roads["tunnel"] == "yes").sum() == 1 and (roads["layer"] == -1).sum() == 1


@pytest.mark.shared
def test_shared_xueyuan_crossings_reported_and_networkx_agrees():
    roads = _xueyuan()["roads"]
    points, pairs = crossings_without_shared_vertex(roads)
    assert len(points) == 30
    assert "osm_w30784183 / osm_w48051223" in set(pairs)
    net = build_walk_network(roads)
    flat = build_walk_network(roads.drop(columns=["bridge", "tunnel", "layer"]))
    assert (net.n_edges, net.n_nodes, flat.n_nodes) == (730, 572, 552)  # crossing points become two nodes each
    rng = np.random.default_rng(19)
    lo, hi = net.node_xy_m.min(axis=0), net.node_xy_m.max(axis=0)
    sources = snap_points(net, shapely.points(rng.uniform(lo, hi, size=(5, 2))))
    targets = snap_points(net, shapely.points(rng.uniform(lo, hi, size=(200, 2))))
    np.testing.assert_allclose(
        nearest_source_distance_m(net, sources, targets), _networkx_reference(net, sources, targets), atol=1e-6, rtol=0
    )
