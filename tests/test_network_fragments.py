"""Fragments of the walking network (issue 19.4): nothing is attached to a small isolated piece; it is reported.

Hand-drawn networks test the rule; the ``shared`` tests run the health check on
the real OSM extract of Xueyuan Road, Beijing (``../shared/realdata``, see its
SOURCE.md), where grade separation and expressways cut pieces off the walking
network: the G6 side road (709 m) is joined to the rest only by expressway
ramps, and both hospitals were attached to it.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point

from blockcheck.inputs.network_notes import report_fragments
from blockcheck.inputs.report import ValidationReport
from blockcheck.io import write_gpkg
from blockcheck.metrics.accessibility import life_circle_coverage
from blockcheck.network import build_walk_network, fragment_table, nearest_source_distance_m, snap_points
from blockcheck.pipeline import check_input
from blockcheck.standards import load_standards
from blockcheck.steps import health_check as hc
from blockcheck.steps.walk_notes import fragments_moved
from districts import XUEYUAN, xueyuan_layers

CRS = "EPSG:32650"
#: The fragment threshold: the parameter network.fragment_max_length_m.
FRAGMENT_MAX_M = float(load_standards("national")["network.fragment_max_length_m"])
X0, Y0 = 500_000.0, 4_400_000.0


def _roads(*lines) -> gpd.GeoDataFrame:
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in lines]
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"road_id": [f"r{i}" for i in range(n)], "class": ["branch"] * n, "status": ["built"] * n},
        geometry=geoms,
        crs=CRS,
    )


def _pt(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


#: A 2 km main street along y = 0 and a 50 m piece at y = 40 (x 500–550), not connected.
MAIN_AND_PIECE = _roads([(0, 0), (2000, 0)], [(500, 40), (550, 40)])


def test_the_threshold_is_one_parameter():
    assert FRAGMENT_MAX_M == 1000.0
    entry = load_standards("beijing").entry("network.fragment_max_length_m")
    assert entry.value == 1000.0 and entry.kind == "parameter" and entry.grade == "C"


def test_components_and_fragments():
    net = build_walk_network(MAIN_AND_PIECE, fragment_max_m=FRAGMENT_MAX_M)
    assert net.fragment.tolist() == [False, True]
    assert net.component[0] != net.component[1]
    plain = build_walk_network(MAIN_AND_PIECE)
    assert not plain.fragment.any() and plain.main_pieces is None and plain.main_tree is None


def test_a_point_nearer_a_50m_fragment_snaps_to_the_main_network():
    point = _pt(520, 35)  # 5 m from the piece, 35 m from the main street
    before = snap_points(build_walk_network(MAIN_AND_PIECE), [point])
    assert before.edge.tolist() == [1] and before.snap_m[0] == pytest.approx(5.0)
    net = build_walk_network(MAIN_AND_PIECE, fragment_max_m=FRAGMENT_MAX_M)
    after = snap_points(net, [point])
    assert after.edge.tolist() == [0]
    assert after.snap_m[0] == pytest.approx(35.0) and after.offset_m[0] == pytest.approx(520.0)
    assert after.fragment_edge.tolist() == [1]  # counted: it was moved farther
    # it now reaches the main street: 35 m snap + 480 m along it to a point at x = 1000
    target = snap_points(net, [_pt(1000, 0)])
    assert nearest_source_distance_m(net, after, target)[0] == pytest.approx(515.0)
    assert np.isinf(nearest_source_distance_m(build_walk_network(MAIN_AND_PIECE), before, target)[0])


def test_points_nearer_the_main_network_are_attached_as_before():
    points = [_pt(100, 10), _pt(1500, -20), _pt(520, 10)]  # the last: 10 m from main, 30 m from the piece
    old = snap_points(build_walk_network(MAIN_AND_PIECE), points)
    new = snap_points(build_walk_network(MAIN_AND_PIECE, fragment_max_m=FRAGMENT_MAX_M), points)
    assert new.edge.tolist() == old.edge.tolist() == [0, 0, 0]
    np.testing.assert_array_equal(new.snap_m, old.snap_m)
    np.testing.assert_array_equal(new.offset_m, old.offset_m)
    assert new.fragment_edge.tolist() == [-1, -1, -1]


def test_a_tie_is_not_counted_and_the_limit_still_holds():
    net = build_walk_network(MAIN_AND_PIECE, fragment_max_m=FRAGMENT_MAX_M)
    tie = snap_points(net, [_pt(520, 20)])  # 20 m from both
    assert tie.edge.tolist() == [0] and tie.snap_m[0] == pytest.approx(20.0) and tie.fragment_edge.tolist() == [-1]
    far = snap_points(net, [_pt(520, 45)], max_snap_m=30.0)  # 5 m from the piece, 45 m from main: unattached
    assert far.edge.tolist() == [-1] and np.isinf(far.snap_m[0])
    assert snap_points(net, [_pt(520, 35)]).take(np.array([0])).fragment_edge.tolist() == [1]


def test_the_longest_component_is_never_a_fragment():
    roads = _roads([(0, 0), (300, 0)], [(0, 100), (50, 100)])
    net = build_walk_network(roads, fragment_max_m=FRAGMENT_MAX_M)
    assert net.fragment.tolist() == [False, True]
    assert snap_points(net, [_pt(10, 90)]).edge.tolist() == [0]


def test_fragment_table_and_note():
    net = build_walk_network(MAIN_AND_PIECE, fragment_max_m=FRAGMENT_MAX_M)
    people = snap_points(net, [_pt(520, 35), _pt(530, 45), _pt(100, 5)])
    sites = snap_points(net, [_pt(540, 42)])
    table = fragment_table(net, people, np.array([10.0, 20.0, 40.0]), sites)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["length_m"] == pytest.approx(50.0) and row["n_edges"] == 1
    assert (row["x"], row["y"]) == pytest.approx((X0 + 525, Y0 + 40))
    assert (row["residents"], row["population"], row["facilities"]) == (2, 30.0, 1)
    assert fragment_table(build_walk_network(MAIN_AND_PIECE)).empty
    report = ValidationReport("test")
    report_fragments(report, table, net.crs)
    (note,) = report.issues
    assert note.severity == "info" and note.code == "walk_network_fragments" and note.layer == "roads"
    assert note.message.startswith("1 isolated piece(s) of the walking network, 50 m in all")
    assert "2 resident point(s) (30 persons) and 1 facility(ies)" in note.message
    assert "(500525.0, 4400040.0) 50 m" in note.message and "network.fragment_max_length_m" in note.fix
    empty = ValidationReport("test")
    report_fragments(empty, table.iloc[:0], net.crs)
    assert not empty.issues


# ------------------------------------------------------------- real data ----


@cache
def _xueyuan() -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """The checked layers of the Xueyuan extract (one community over it) and its resident points."""
    if not XUEYUAN.exists():
        pytest.skip(f"real data not available: {XUEYUAN}")
    layers = xueyuan_layers()
    folder = Path(tempfile.mkdtemp(prefix="xueyuan-fragments-"))
    checked = check_input(write_gpkg(folder / "input.gpkg", layers))
    health = hc.health_check(checked.checked.layers, checked.standards)
    return checked.checked.layers, health.residents


def _coverage(fragment_max_m: float) -> tuple[dict[str, float], float, object]:
    """Whole-area walking coverage (hospital 1000 m, bus stop 500 m), the share of residential buildings on
    pieces other than the longest, and the network."""
    layers, residents = _xueyuan()
    net = build_walk_network(layers["roads"], fragment_max_m=fragment_max_m)
    area = gpd.GeoDataFrame(geometry=[shapely.union_all(layers["blocks"].geometry.values)], crs=net.crs)
    area.index = ["ALL"]
    ratios = life_circle_coverage(
        area,
        residents.assign(block_id="ALL"),
        layers["facilities"],
        net,
        radius_by_category_m={"hospital": 1000.0, "bus_stop": 500.0},
    )
    snapped = snap_points(net, residents.geometry)
    longest = np.argmax(np.bincount(net.component, weights=net.length_m))
    cut_off = float((net.component[snapped.edge[snapped.is_snapped]] != longest).mean())
    coverage = {
        "hospital": float(ratios["hospital_coverage_1000m_walk_ratio"].iloc[0]),
        "bus_stop": float(ratios["bus_stop_coverage_500m_walk_ratio"].iloc[0]),
    }
    return coverage, cut_off, net


@pytest.mark.shared
def test_shared_xueyuan_hospitals_reach_residents_and_no_building_is_cut_off():
    layers, residents = _xueyuan()
    assert len(residents) == 58
    before, cut_before, _ = _coverage(0.0)  # no fragment: the nearest edge, as before issue 19.4
    after, cut_after, _ = _coverage(FRAGMENT_MAX_M)
    assert cut_before == pytest.approx(8 / 58)  # 13.8 % of residential buildings on cut-off pieces
    assert cut_after == 0.0
    assert before["hospital"] == pytest.approx(0.301, abs=0.001)
    assert after["hospital"] == pytest.approx(0.732, abs=0.001)
    assert before["bus_stop"] == pytest.approx(0.580, abs=0.001)
    assert after["bus_stop"] == pytest.approx(0.837, abs=0.001)


@pytest.mark.shared
def test_shared_xueyuan_fragments_are_reported():
    layers, residents = _xueyuan()
    _, _, net = _coverage(FRAGMENT_MAX_M)
    table, moved = fragments_moved(net, residents, layers["facilities"])
    assert len(table) == 14
    assert table["length_m"].sum() == pytest.approx(2537.5, abs=0.5)
    g6 = table.iloc[0]  # the G6 side road, joined to the rest only by expressway ramps
    assert g6["length_m"] == pytest.approx(708.7, abs=0.1) and g6["facilities"] == 3
    assert table["length_m"].iloc[1:].max() < 340
    # facilities count by their entry points (issue 19.3): the two hospitals (entered along their whole outline,
    # all of it next to the G6 side road), two bus stops and the sports ground osm_w608651739, one of whose five
    # frontage entries was nearest to a 224 m footbridge (footways on bridge, layer 1)
    assert int(table["residents"].sum()) == 8 and int(table["facilities"].sum()) == 5
    # the same points by block and by category (HealthCheck.fragment_moved, for the metric_status notes)
    assert moved.loc[moved["kind"] == "residents", "points"].sum() == 8
    assert moved.loc[moved["kind"] == "facilities"].set_index("key")["points"].to_dict() == {
        "bus_stop": 2.0,
        "hospital": 2.0,
        "sports": 1.0,
    }
    report = ValidationReport("xueyuan")
    report_fragments(report, table, net.crs)
    assert report.issues[0].message.startswith("14 isolated piece(s) of the walking network, 2,537 m in all")


@pytest.mark.shared
def test_shared_xueyuan_run_notes_the_fragments(tmp_path):
    from blockcheck.pipeline import run

    layers, _ = _xueyuan()
    hull = shapely.union_all(layers["blocks"].geometry.to_numpy())
    communities = gpd.GeoDataFrame(
        {"community_id": ["C1"], "name": ["学院路社区"], "population": [30000], "households": [11000]},
        geometry=[hull],
        crs=layers["blocks"].crs,
    )
    path = write_gpkg(tmp_path / "input.gpkg", {**layers, "communities": communities})
    result = run(path, tmp_path / "out", until="health")
    report = pyogrio.read_dataframe(tmp_path / "out" / "workbook.gpkg", layer="validation_report")
    (note,) = report.loc[report["code"] == "walk_network_fragments", "message"]
    assert note.startswith("14 isolated piece(s) of the walking network, 2,537 m in all")
    assert "8 resident point(s)" in note and "5 facility(ies)" in note
    assert float(result.health.area_metrics["hospital_coverage_1000m_walk_ratio"].iloc[0]) == pytest.approx(
        0.732, abs=0.001
    )
