"""Fragments of the walking network (issue 19.4): nothing is attached to a small isolated piece; it is reported.

Hand-drawn networks test the rule; the ``shared`` tests run the health check on
the real OSM extract of Xueyuan Road, Beijing (``../shared/realdata``, see its
SOURCE.md), where grade separation and expressways cut pieces off the walking
network: the G6 side road (709 m) is joined to the rest only by expressway
ramps, and both hospitals were attached to it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from blockcheck.network import build_walk_network, fragment_table, nearest_source_distance_m, snap_points

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
XUEYUAN = REALDATA / "beijing-xueyuanlu-osm" / "map.osm"
CRS = "EPSG:32650"
#: The fragment threshold proposed as the parameter network.fragment_max_length_m (not yet in the data).
FRAGMENT_MAX_M = 1000.0
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


def test_fragment_table():
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
