"""Tests of blockcheck.network: building, snapping and nearest-source walking distances.

The main fixture is a cross of two roads (metres, EPSG:4548 offsets omitted)::

                 (500, 500)
                     |
                     |  road B (vertical, 1000 m)
    (0,0) -----------+------------ (1000, 0)      road A (horizontal, 1000 m)
                     |
                     |
                 (500, -500)

Noded, it has 5 nodes and 4 edges of 500 m. A facility at (100, 10) snaps
10 m onto A at x = 100; a resident at (400, 20) snaps 20 m onto A at x = 400,
so the walk between them is 10 + 300 + 20 = 330 m (both on the same edge).
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from blockcheck.errors import CRSError, InputError
from blockcheck.network import (
    Snapped,
    WalkNetwork,
    build_walk_network,
    nearest_source_distance_m,
    snap_points,
    to_networkx,
)

CRS = "EPSG:4548"


def roads_frame(lines, *, classes=None, statuses=None, crs=CRS, shift=(0.0, 0.0)) -> gpd.GeoDataFrame:
    """Roads layer from coordinate lists (all built branch roads unless told)."""
    geoms = [shapely.transform(LineString(c), lambda xy: xy + np.asarray(shift)) for c in lines]
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"class": classes or ["branch"] * n, "status": statuses or ["built"] * n},
        geometry=geoms,
        crs=crs,
    )


CROSS = [[(0, 0), (1000, 0)], [(500, -500), (500, 500)]]


def pts(*xy, shift=(0.0, 0.0)) -> np.ndarray:
    return shapely.points(np.asarray(xy, dtype=float) + np.asarray(shift))


@pytest.fixture
def cross() -> WalkNetwork:
    return build_walk_network(roads_frame(CROSS))


# ------------------------------------------------------------------ build ----


def test_cross_is_noded_into_four_edges(cross: WalkNetwork) -> None:
    assert cross.n_nodes == 5
    assert cross.n_edges == 4
    np.testing.assert_allclose(np.sort(cross.length_m), [500.0] * 4)
    assert cross.adjacency.shape == (5, 5)
    assert cross.adjacency.nnz == 8  # symmetric
    # every edge geometry runs from node u to node v
    start = shapely.get_coordinates(shapely.get_point(cross.geometry, 0))
    end = shapely.get_coordinates(shapely.get_point(cross.geometry, -1))
    np.testing.assert_allclose(start, cross.node_xy_m[cross.u])
    np.testing.assert_allclose(end, cross.node_xy_m[cross.v])


def test_three_by_three_grid() -> None:
    """4 horizontal + 4 vertical roads of 300 m, 100 m apart: 16 nodes, 24 edges of 100 m."""
    lines = [[(0, y), (300, y)] for y in range(0, 301, 100)] + [[(x, 0), (x, 300)] for x in range(0, 301, 100)]
    net = build_walk_network(roads_frame(lines))
    assert (net.n_nodes, net.n_edges) == (16, 24)
    np.testing.assert_allclose(net.length_m, 100.0)
    # corner to opposite corner: 600 m
    src = snap_points(net, pts((0, 0)))
    tgt = snap_points(net, pts((300, 300), (150, 100)))
    np.testing.assert_allclose(nearest_source_distance_m(net, src, tgt), [600.0, 250.0])


def test_status_and_class_filters() -> None:
    roads = roads_frame(
        [[(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)]],
        classes=["branch", "expressway", "branch"],
        statuses=["built", "built", "planned"],
    )
    assert build_walk_network(roads).n_edges == 1
    assert build_walk_network(roads, exclude_classes=()).n_edges == 2
    assert build_walk_network(roads, statuses=("built", "planned"), exclude_classes=()).n_edges == 3


def test_no_walkable_roads_is_an_input_error() -> None:
    roads = roads_frame([[(0, 0), (100, 0)]], statuses=["planned"])
    with pytest.raises(InputError, match="No walkable roads"):
        build_walk_network(roads)


def test_missing_fields_and_non_lines() -> None:
    roads = roads_frame([[(0, 0), (100, 0)]]).drop(columns="status")
    with pytest.raises(InputError, match="status"):
        build_walk_network(roads)
    roads = roads_frame([[(0, 0), (100, 0)]])
    roads.loc[1] = ["branch", "built", Point(5, 5)]
    with pytest.raises(InputError, match="non-line"):
        build_walk_network(roads)


def test_geographic_crs_is_refused() -> None:
    with pytest.raises(CRSError):
        build_walk_network(roads_frame([[(116.3, 40.0), (116.4, 40.0)]], crs="EPSG:4326"))


def test_ends_within_a_centimetre_merge_and_zero_length_lines_drop() -> None:
    """Road 2 starts 4 mm from road 1's end: one node (1 cm grid); a zero-length road vanishes."""
    roads = roads_frame([[(0, 0), (500, 0)], [(500.004, 0), (1000, 0)], [(700, 300), (700, 300)]])
    net = build_walk_network(roads)
    assert (net.n_nodes, net.n_edges) == (3, 2)
    assert (net.length_m > 0).all()
    d = nearest_source_distance_m(net, snap_points(net, pts((0, 0))), snap_points(net, pts((1000, 0))))
    assert d[0] == pytest.approx(1000.0, abs=0.01)


def test_multilinestrings_are_exploded() -> None:
    roads = gpd.GeoDataFrame(
        {"class": ["branch"], "status": ["built"]},
        geometry=[shapely.MultiLineString([[(0, 0), (100, 0)], [(0, 50), (100, 50)]])],
        crs=CRS,
    )
    assert build_walk_network(roads).n_edges == 2


def test_to_networkx(cross: WalkNetwork) -> None:
    g = to_networkx(cross)
    assert isinstance(g, nx.Graph)
    assert g.number_of_nodes() == 5
    assert g.number_of_edges() == 4
    assert sum(d["length_m"] for *_, d in g.edges(data=True)) == pytest.approx(2000.0)
    centre = next(n for n, d in g.nodes(data=True) if (d["x"], d["y"]) == (500.0, 0.0))
    assert g.degree(centre) == 4
    assert all(isinstance(d["geometry"], LineString) for *_, d in g.edges(data=True))
    assert cross.to_networkx().number_of_edges() == 4


# ------------------------------------------------------------------- snap ----


def test_snap_to_nearest_point_of_nearest_edge_not_node(cross: WalkNetwork) -> None:
    """(250, 30) is 251.8 m from both nodes (0,0)/(500,0) but 30 m from road A at x = 250."""
    s = snap_points(cross, pts((250, 30), (520, 300)))
    assert isinstance(s, Snapped)
    np.testing.assert_allclose(s.snap_m, [30.0, 20.0])
    along = np.abs(cross.node_xy_m[cross.u[s.edge]] - [[250, 0], [500, 300]]).sum(axis=1)
    np.testing.assert_allclose(s.offset_m, along)


def test_snap_max_distance(cross: WalkNetwork) -> None:
    s = snap_points(cross, pts((250, 30), (250, 10)), max_snap_m=20.0)
    assert s.edge[0] == -1
    assert np.isinf(s.snap_m[0])
    assert np.isnan(s.offset_m[0])
    assert s.edge[1] >= 0
    assert s.snap_m[1] == pytest.approx(10.0)
    np.testing.assert_array_equal(s.is_snapped, [False, True])


def test_snap_accepts_geoseries_and_checks_crs(cross: WalkNetwork) -> None:
    gs = gpd.GeoSeries(pts((250, 30)), crs=CRS)
    assert snap_points(cross, gs).snap_m[0] == pytest.approx(30.0)
    assert snap_points(cross, gpd.GeoDataFrame(geometry=gs)).snap_m[0] == pytest.approx(30.0)
    with pytest.raises(CRSError):
        snap_points(cross, gs.set_crs("EPSG:32650", allow_override=True))


def test_snap_refuses_polygons_and_missing(cross: WalkNetwork) -> None:
    with pytest.raises(InputError, match="Polygon"):
        snap_points(cross, [Point(0, 0), shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputError, match="missing"):
        snap_points(cross, np.array([None], dtype=object))
    assert len(snap_points(cross, np.array([], dtype=object))) == 0


def test_snap_matches_shapely_exactly_on_random_points() -> None:
    """Bulk KD-tree snapping equals STRtree.query_nearest + line_locate_point."""
    rng = np.random.default_rng(7)
    lines = [rng.uniform(0, 2000, size=(rng.integers(2, 6), 2)) for _ in range(60)]
    net = build_walk_network(roads_frame(lines))
    p = shapely.points(rng.uniform(-300, 2300, size=(3000, 2)))
    s = snap_points(net, p)
    (_, e), d = net.tree.query_nearest(p, return_distance=True, all_matches=False)
    np.testing.assert_allclose(s.snap_m, d, atol=1e-9)
    snapped_xy = shapely.line_interpolate_point(net.geometry[s.edge], s.offset_m)
    np.testing.assert_allclose(shapely.distance(snapped_xy, p), d, atol=1e-9)


# --------------------------------------------------------------- distance ----


def test_same_edge_distance_is_exact(cross: WalkNetwork) -> None:
    """Facility (100, 10) → resident (400, 20): 10 + 300 + 20 = 330 m."""
    d = nearest_source_distance_m(cross, snap_points(cross, pts((100, 10))), snap_points(cross, pts((400, 20))))
    assert d[0] == pytest.approx(330.0, abs=1e-9)


def test_distances_across_nodes(cross: WalkNetwork) -> None:
    """(600, -20): 10 + 500 + 20 = 530 m; (520, 300) on road B: 10 + 400 + 300 + 20 = 730 m."""
    d = nearest_source_distance_m(
        cross, snap_points(cross, pts((100, 10))), snap_points(cross, pts((600, -20), (520, 300)))
    )
    np.testing.assert_allclose(d, [530.0, 730.0], atol=1e-9)


def test_nearest_of_two_sources(cross: WalkNetwork) -> None:
    """(520, 300): from (100, 10) 730 m, from (900, 5) 5 + 400 + 300 + 20 = 725 m → 725 m."""
    src = snap_points(cross, pts((100, 10), (900, 5)))
    d = nearest_source_distance_m(cross, src, snap_points(cross, pts((520, 300), (150, 0))))
    np.testing.assert_allclose(d, [725.0, 60.0], atol=1e-9)


def test_same_edge_weighs_snap_distances() -> None:
    """On one 1000 m road: sources (100, 60) and (150, 0); targets at x = 80, 110, 400.

    x=80:  min(60 + 20, 0 + 70)  = 70
    x=110: min(60 + 10, 0 + 40)  = 40
    x=400: min(60 + 300, 0 + 250) = 250
    """
    net = build_walk_network(roads_frame([[(0, 0), (1000, 0)]]))
    src = snap_points(net, pts((100, 60), (150, 0)))
    d = nearest_source_distance_m(net, src, snap_points(net, pts((80, 0), (110, 0), (400, 0))))
    np.testing.assert_allclose(d, [70.0, 40.0, 250.0], atol=1e-9)


def test_unreachable_component_is_inf() -> None:
    roads = roads_frame([*CROSS, [(0, 2000), (100, 2000)]])
    net = build_walk_network(roads)
    d = nearest_source_distance_m(net, snap_points(net, pts((100, 10))), snap_points(net, pts((50, 2010), (400, 20))))
    assert np.isinf(d[0])
    assert d[1] == pytest.approx(330.0)


def test_largest_component_only() -> None:
    """The 100 m road at y = 2000 is dropped; points near it snap to the cross instead."""
    roads = roads_frame([*CROSS, [(0, 2000), (100, 2000)]])
    net = build_walk_network(roads, largest_component_only=True)
    assert (net.n_nodes, net.n_edges) == (5, 4)
    assert net.adjacency.shape == (5, 5)
    d = nearest_source_distance_m(net, snap_points(net, pts((100, 10))), snap_points(net, pts((500, 2010))))
    assert d[0] == pytest.approx(10 + 400 + 500 + 1510)


def test_cutoff_is_inclusive(cross: WalkNetwork) -> None:
    src = snap_points(cross, pts((100, 10)))
    tgt = snap_points(cross, pts((400, 20), (600, -20), (520, 300)))
    np.testing.assert_allclose(nearest_source_distance_m(cross, src, tgt, cutoff_m=600.0), [330.0, 530.0, np.inf])
    np.testing.assert_allclose(nearest_source_distance_m(cross, src, tgt, cutoff_m=530.0), [330.0, 530.0, np.inf])
    np.testing.assert_allclose(nearest_source_distance_m(cross, src, tgt, cutoff_m=529.9), [330.0, np.inf, np.inf])
    # sources whose snap alone exceeds the cutoff reach nothing
    far = snap_points(cross, pts((100, 400)))
    assert np.isinf(nearest_source_distance_m(cross, far, tgt, cutoff_m=300.0)).all()


def test_no_sources_or_unsnapped_targets_give_inf(cross: WalkNetwork) -> None:
    tgt = snap_points(cross, pts((400, 20)))
    none = snap_points(cross, np.array([], dtype=object))
    assert np.isinf(nearest_source_distance_m(cross, none, tgt)).all()
    unsnapped = snap_points(cross, pts((400, 200)), max_snap_m=50.0)
    assert np.isinf(nearest_source_distance_m(cross, snap_points(cross, pts((100, 10))), unsnapped)).all()


def test_translation_invariance() -> None:
    shift = (1e5, 1e5)
    base = build_walk_network(roads_frame(CROSS))
    moved = build_walk_network(roads_frame(CROSS, shift=shift))
    src, tgt = [(100, 10), (900, 5)], [(400, 20), (600, -20), (520, 300), (480, -450)]
    d0 = nearest_source_distance_m(base, snap_points(base, pts(*src)), snap_points(base, pts(*tgt)))
    d1 = nearest_source_distance_m(
        moved, snap_points(moved, pts(*src, shift=shift)), snap_points(moved, pts(*tgt, shift=shift))
    )
    np.testing.assert_allclose(d1, d0, atol=1e-6)


def _networkx_reference(net: WalkNetwork, sources: Snapped, targets: Snapped) -> np.ndarray:
    """Brute force: split every edge at the snapped positions, add the points as nodes, run networkx."""
    g = nx.Graph()
    stops: dict[int, list[tuple[float, object]]] = {}
    for kind, snapped in (("s", sources), ("t", targets)):
        for i, (e, off, snap) in enumerate(zip(snapped.edge, snapped.offset_m, snapped.snap_m, strict=True)):
            stops.setdefault(int(e), []).append((float(off), (kind, i, "on")))
            g.add_edge((kind, i, "on"), (kind, i), weight=float(snap))
    for e in range(net.n_edges):
        chain = [
            (0.0, int(net.u[e])),
            *sorted(stops.get(e, []), key=lambda t: t[0]),
            (float(net.length_m[e]), int(net.v[e])),
        ]
        for (o1, a), (o2, b) in zip(chain[:-1], chain[1:], strict=True):
            w = o2 - o1
            if a != b and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
                g.add_edge(a, b, weight=w)
    for i in range(len(sources)):
        g.add_edge("super", ("s", i), weight=0.0)
    dist = nx.single_source_dijkstra_path_length(g, "super", weight="weight")
    return np.array([dist.get(("t", i), np.inf) for i in range(len(targets))])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_networkx_on_random_grid(seed: int) -> None:
    """A jittered 6×6 grid with some roads removed, random sources and targets (some on source edges)."""
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(6) * 100.0, np.arange(6) * 100.0), axis=-1) + rng.normal(0, 15, size=(6, 6, 2))
    lines = [[xy[i, j], xy[i, j + 1]] for i in range(6) for j in range(5)] + [
        [xy[i, j], xy[i + 1, j]] for i in range(5) for j in range(6)
    ]
    lines = [line for line in lines if rng.random() > 0.2]
    lines.append([(1000, 1000), (1100, 1000)])  # a separate component
    net = build_walk_network(roads_frame(lines))
    src_xy = rng.uniform(0, 500, size=(4, 2))
    tgt_xy = np.concatenate([rng.uniform(-50, 1150, size=(60, 2)), src_xy + rng.normal(0, 20, size=(4, 2))])
    sources, targets = snap_points(net, shapely.points(src_xy)), snap_points(net, shapely.points(tgt_xy))
    expected = _networkx_reference(net, sources, targets)
    got = nearest_source_distance_m(net, sources, targets)
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
    assert np.isinf(got).any() and np.isfinite(got).any()
    cutoff = float(np.median(expected[np.isfinite(expected)]))
    clipped = np.where(expected <= cutoff, expected, np.inf)
    np.testing.assert_allclose(
        nearest_source_distance_m(net, sources, targets, cutoff_m=cutoff), clipped, atol=1e-6, rtol=0
    )


def test_repeated_searches_on_one_network_do_not_leak_sources() -> None:
    """The super-source row lives in buffers kept on the network: a later search with fewer sources must not see
    earlier ones.
    """
    rng = np.random.default_rng(7)
    lines = [[(x, y), (x + 100, y)] for x in range(0, 500, 100) for y in range(0, 600, 100)]
    lines += [[(x, y), (x, y + 100)] for x in range(0, 600, 100) for y in range(0, 500, 100)]
    net = build_walk_network(roads_frame(lines))
    targets = snap_points(net, shapely.points(rng.uniform(0, 500, size=(40, 2))))
    many = snap_points(net, shapely.points(rng.uniform(0, 500, size=(12, 2))))
    few = snap_points(net, pts((480, 490)))
    first_few = nearest_source_distance_m(build_walk_network(roads_frame(lines)), few, targets)
    nearest_source_distance_m(net, many, targets)
    np.testing.assert_array_equal(nearest_source_distance_m(net, few, targets), first_few)
    np.testing.assert_allclose(
        nearest_source_distance_m(net, few, targets), _networkx_reference(net, few, targets), atol=1e-6, rtol=0
    )


def test_access_costs_are_cached_per_network() -> None:
    """Snapped points carry their end nodes and costs; a different network recomputes them."""
    from blockcheck.network import access_costs

    a = build_walk_network(roads_frame([[(0, 0), (100, 0)]]))
    b = build_walk_network(roads_frame([[(0, 0), (0, 100)], [(0, 100), (100, 100)]]))
    s = snap_points(a, pts((30, 10)))
    on_a = access_costs(a, s)
    assert access_costs(a, s) is on_a
    assert on_a.cost_u_m[0] + on_a.cost_v_m[0] == pytest.approx(10 + 10 + 100)
    hand = Snapped(np.array([1, -1]), np.array([40.0, np.nan]), np.array([5.0, np.inf]))
    on_b = access_costs(b, hand)
    assert {on_b.cost_u_m[0], on_b.cost_v_m[0]} == {45.0, 65.0}
    assert np.isinf(on_b.cost_u_m[1]) and np.isinf(on_b.cost_v_m[1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(-1e6, 1e6) | st.just(float("inf"))), min_size=0, max_size=80))
def test_segmented_running_min_matches_pandas(rows: list[tuple[int, float]]) -> None:
    from blockcheck.network.distance import _segmented_running_min

    rows = sorted(rows, key=lambda r: r[0])
    groups = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=float)
    expected = pd.Series(values, dtype=float).groupby(groups, sort=False).cummin().to_numpy() if rows else values
    np.testing.assert_array_equal(_segmented_running_min(groups, values), expected)
