"""Walks computed ahead (beside the health check) read back exactly as the allocation would compute them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString

from blockcheck.allocation import distances
from blockcheck.allocation.distances import known_distances, pair_distances_m
from blockcheck.network import build_walk_network

CRS = "EPSG:4548"


@pytest.fixture(scope="module")
def grid():
    """A 100 m street grid over [0, 400]², with a dead end sticking out east."""
    lines = [[(x, 0), (x, 400)] for x in range(0, 401, 100)] + [[(0, y), (400, y)] for y in range(0, 401, 100)]
    lines.append([(400, 200), (700, 200)])
    roads = gpd.GeoDataFrame(
        {"class": ["branch"] * len(lines), "status": ["built"] * len(lines)},
        geometry=[LineString(c) for c in lines],
        crs=CRS,
    )
    return build_walk_network(roads)


def _points(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points near the grid (off the streets by up to 20 m: they are snapped)."""
    return np.column_stack([rng.uniform(-10, 650, n), rng.uniform(-10, 410, n)]).round(2)


@pytest.mark.parametrize("seed", range(3))
def test_walks_read_ahead_are_the_walks_computed_here_for_every_pair_within_reach(grid, seed, monkeypatch):
    rng = np.random.default_rng(seed)
    r_all, b_xy = _points(rng, 120), _points(rng, 12)
    ahead = known_distances(grid, r_all, b_xy, 420.0)  # more resources and a larger radius than asked later
    monkeypatch.setattr(distances, "_PAIRS_PER_CHUNK", 7)  # walked in many chunks: the same numbers
    assert np.array_equal(known_distances(grid, r_all, b_xy, 420.0).meters, ahead.meters)
    r_xy = r_all[rng.permutation(120)[:80]]  # the allocation's usable ones, in another order
    limit = 300.0
    pi, pj, computed = pair_distances_m(grid, r_xy, b_xy, limit)
    spied = []
    real = distances.KnownDistances.lookup
    monkeypatch.setattr(distances.KnownDistances, "lookup", lambda self, *a: spied.append(real(self, *a)) or spied[-1])
    qi, qj, read = pair_distances_m(grid, r_xy, b_xy, limit, known=ahead)
    assert spied[0] is not None  # read, not computed again
    assert np.array_equal(pi, qi) and np.array_equal(pj, qj)
    within = computed <= limit
    assert within.sum() > 50
    assert np.array_equal(read[within], computed[within])  # bit for bit: the same sums in the same order
    assert (read[~within] > limit).all()  # beyond the radius both are (the ahead walk may be shorter)


def test_a_walk_is_computed_here_when_the_ahead_table_cannot_answer(grid):
    rng = np.random.default_rng(7)
    r_xy, b_xy = _points(rng, 40), _points(rng, 6)
    ahead = known_distances(grid, r_xy, b_xy, 300.0)
    pi, pj, _ = pair_distances_m(grid, r_xy, b_xy, 300.0)
    assert ahead.lookup(r_xy, b_xy, pi, pj, 300.0) is not None
    assert ahead.lookup(r_xy, b_xy, pi, pj, 350.0) is None  # a larger radius than walked ahead
    moved = r_xy.copy()
    moved[0] += 0.01  # a point not walked ahead
    assert ahead.lookup(moved, b_xy, pi, pj, 300.0) is None
    # Dijkstra started on the other side: the sums would be added in another order
    other = distances.KnownDistances(**{**ahead.__dict__, "from_blocks": not ahead.from_blocks})
    assert other.lookup(r_xy, b_xy, pi, pj, 300.0) is None
