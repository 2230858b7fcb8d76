"""Tests of blockcheck.allocation.solve: the allocation's LP is optimal, solved whole or by column generation.

The scenes are those of test_allocation.py (block points and resources on the
road y = 0, so walking distances are plain differences of x; the national
standards profile). The allocation is checked against networkx's
max-flow-min-cost and against every integer assignment of tiny instances,
and the solver's parts (the start of column generation, the constraint
matrix, the max-flow check) on hand-checkable arrays.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from blockcheck.allocation import allocate
from blockcheck.standards import load_standards
from test_allocation import blocks_at, gaps_of, hand_case, resources, road_network


@pytest.fixture(scope="module")
def standards():
    return load_standards("national")


@pytest.fixture(scope="module")
def line_net():
    return road_network([(-2000, 0), (4000, 0)])


@pytest.mark.parametrize("by_columns", [False, True], ids=["whole_lp", "column_generation"])
def test_explicit_bound_phase_gives_the_same_optimum(line_net, standards, monkeypatch, by_columns) -> None:
    """Without the weighted shortcut, phase 2 with the explicit bound Z >= Z* finds the hand-case optimum."""
    import blockcheck.allocation.solve as allocation_module

    monkeypatch.setattr(allocation_module, "_BIG_M_TRIES", 0)
    if by_columns:  # phase 1 by column generation
        monkeypatch.setattr(allocation_module, "_WHOLE_LP_MAX_ARCS", 0)
    blocks, points, res = hand_case()
    allocation, _ = allocate(
        gaps_of(blocks, elderly_care_beds=[10.0, 10.0]), res, blocks, line_net, standards, block_points=points
    )
    assert allocation["amount"].sum() == pytest.approx(20.0)
    assert (allocation["amount"] * allocation["walk_distance_m"]).sum() == pytest.approx(9000.0)


# ---------------------------------------------------------- optimality ----


def _random_instance(seed: int, *, n_res: int, n_blocks: int, max_area: int):
    """Integer positions on the line y = 0, integer floor areas (m²) and culture/bed gaps."""
    rng = np.random.default_rng(seed)
    xs = rng.choice(np.arange(0, 2500, 10), n_res + n_blocks, replace=False)
    blocks, points = blocks_at({f"B{i}": (float(x), 0.0) for i, x in enumerate(xs[:n_blocks])})
    cats = rng.choice(["idle_room", "underground", "low_efficiency_building"], n_res)
    res = resources(
        *(
            {"id": f"R{i}", "x": float(x), "floor": float(a), "category": c}
            for i, (x, a, c) in enumerate(zip(xs[n_blocks:], rng.integers(1, max_area + 1, n_res), cats, strict=True))
        )
    )
    gaps = gaps_of(
        blocks,
        culture_floor_m2=rng.integers(0, 2 * max_area, n_blocks).astype(float),
        elderly_care_beds=rng.integers(0, 3, n_blocks).astype(float),
    )
    return blocks, points, res, gaps


def _arcs(blocks, points, res, gaps, standards):
    """(resource, block, key, distance m, capacity m², m² per unit) of every arc within reach, recomputed here."""
    serve = {
        "culture_floor_m2": {"idle_room", "underground", "low_efficiency_building"},
        "elderly_care_beds": {"idle_room", "low_efficiency_building"},
    }
    radius = {
        "culture_floor_m2": standards["radius_m.culture"],
        "elderly_care_beds": standards["radius_m.elderly_care"],
    }
    per = {"culture_floor_m2": 1.0, "elderly_care_beds": standards["conversion.floor_m2_per_elderly_care_bed"]}
    out = []
    for r in res.itertuples():
        for b in blocks.index:
            d = abs(r.geometry.x - points[b].x)
            for k in serve:
                if r.category in serve[k] and gaps.loc[b, f"gap_{k}"] > 0 and d <= radius[k]:
                    out.append((r.resource_id, b, k, d))
    return out, per


@pytest.mark.parametrize("by_columns", [False, True], ids=["whole_lp", "column_generation"])
@pytest.mark.parametrize("seed", range(6))
def test_optimal_against_networkx_max_flow_min_cost(standards, seed, by_columns, monkeypatch) -> None:
    """Integer data, one m² conversion per key: the LP optimum equals networkx's max-flow-min-cost.

    Flow unit = 1 m² of resource floor: source → resource (capacity = floor
    area) → (block, key) (cost = straight-line distance, integer on the
    line) → sink (capacity = gap × m² per unit). Solved whole and, as city-scale
    LPs are, by column generation from the nearest arcs.
    """
    import blockcheck.allocation.solve as allocation_module

    if by_columns:
        monkeypatch.setattr(allocation_module, "_WHOLE_LP_MAX_ARCS", 0)
    blocks, points, res, gaps = _random_instance(seed, n_res=12, n_blocks=6, max_area=400)
    allocation, remaining = allocate(gaps, res, blocks, None, standards, block_points=points)
    arcs, per = _arcs(blocks, points, res, gaps, standards)
    g = nx.DiGraph()
    for r in res.itertuples():
        g.add_edge("s", r.resource_id, capacity=int(r.floor_area_m2), weight=0)
    for rid, b, k, d in arcs:
        g.add_edge(rid, (b, k), weight=int(d))
        g.add_edge((b, k), "t", capacity=int(round(gaps.loc[b, f"gap_{k}"] * per[k])), weight=0)
    flow = nx.max_flow_min_cost(g, "s", "t") if arcs else {}
    nx_closed = sum(flow.get("s", {}).values())
    nx_cost = nx.cost_of_flow(g, flow) if arcs else 0
    m2 = allocation["amount"] * allocation["provision_key"].map(per)
    assert m2.sum() == pytest.approx(nx_closed, abs=1e-6)
    assert (m2 * allocation["walk_distance_m"]).sum() == pytest.approx(nx_cost, rel=1e-9, abs=1e-4)
    # and the tables agree with each other
    assert remaining["allocated"].sum() == pytest.approx(allocation["amount"].sum())
    assert (allocation.groupby("resource_id")["resource_share"].sum() <= 1 + 1e-9).all()


@pytest.mark.parametrize("seed", range(5))
def test_optimal_against_brute_force(standards, seed) -> None:
    """Every integer assignment (m² of floor per arc) of a tiny instance enumerated; lexicographic best."""
    rng = np.random.default_rng(100 + seed)
    blocks, points, res, gaps = _random_instance(seed, n_res=3, n_blocks=2, max_area=4)
    gaps = gaps.assign(gap_elderly_care_beds=0.0, gap_culture_floor_m2=rng.integers(1, 6, len(gaps)).astype(float))
    arcs, per = _arcs(blocks, points, res, gaps, standards)
    cap = res.set_index("resource_id")["floor_area_m2"].astype(int).to_dict()
    best = (0, 0.0)
    for x in itertools.product(*(range(cap[rid] + 1) for rid, *_ in arcs)):
        used = dict.fromkeys(cap, 0)
        got = dict.fromkeys(blocks.index, 0)
        for (rid, b, _, _), v in zip(arcs, x, strict=True):
            used[rid] += v
            got[b] += v
        if any(used[r] > cap[r] for r in cap) or any(got[b] > gaps.loc[b, "gap_culture_floor_m2"] for b in got):
            continue
        closed, cost = sum(x), sum(v * d for (*_, d), v in zip(arcs, x, strict=True))
        if closed > best[0] or (closed == best[0] and cost < best[1]):
            best = (closed, cost)
    allocation, _ = allocate(gaps, res, blocks, None, standards, block_points=points)
    assert allocation["amount"].sum() == pytest.approx(best[0])
    assert (allocation["amount"] * allocation["walk_distance_m"]).sum() == pytest.approx(best[1])


# ------------------------------------------------------- the solver's parts ----


def test_column_generation_starts_from_each_pools_nearest_and_each_gaps_two_nearest_arcs() -> None:
    from blockcheck.allocation.solve import _nearest_arcs

    pools = np.array([0, 0, 1, 1, 1, 2])
    gaps = np.array([0, 1, 0, 1, 1, 1])
    walk = np.array([500.0, 300.0, 200.0, 200.0, 700.0, 900.0])
    # pool 0: arc 1 (300 m); pool 1: arcs 2 and 3 (tied at 200 m); pool 2: arc 5 (its only arc)
    # gap 0: arcs 0 and 2 (its only two); gap 1: arcs 3 (200 m) and 1 (300 m) — not 4 (700 m), not 5 (900 m)
    assert _nearest_arcs(pools, gaps, walk).tolist() == [True, True, True, True, False, True]


def test_the_constraint_matrix_built_by_columns_is_the_one_sorting_the_entries_gives() -> None:
    from scipy.sparse import coo_matrix, csc_array, vstack

    from blockcheck.allocation.solve import _constraint_matrix

    pools, gaps, gain = np.array([2, 0, 1, 0]), np.array([1, 1, 0, 2]), np.array([1.0, 1.5, 0.5, 1.0])
    arc = np.arange(4)
    sorted_entries = vstack(
        [coo_matrix((np.ones(4), (pools, arc)), shape=(3, 4)), coo_matrix((gain, (gaps, arc)), shape=(3, 4))]
    ).tocsr()
    expected, built = csc_array(sorted_entries), csc_array(_constraint_matrix(pools, gaps, gain, 3, 3))
    assert built.toarray().tolist() == [
        [0, 1, 0, 1],
        [0, 0, 1, 0],
        [1, 0, 0, 0],
        [0, 0, 0.5, 0],
        [1, 1.5, 0, 0],
        [0, 0, 0, 1],
    ]
    # the same arrays HiGHS is given, so a whole LP is solved exactly as before
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(built, name), getattr(expected, name))


def test_a_maximum_flow_is_recognised_by_its_residual_graph() -> None:
    """Pools of 10 and 5 m², gaps of 8 and 7 m²; arcs p0→d0, p0→d1, p1→d1: the largest flow is 15 m²."""
    from blockcheck.allocation.solve import _is_max_flow

    pool, demand = np.array([0, 0, 1]), np.array([0, 1, 1])
    pools, gaps, ones = np.array([10.0, 5.0]), np.array([8.0, 7.0]), np.ones(3)
    assert _is_max_flow(np.array([8.0, 2.0, 5.0]), pool, demand, ones, pools, gaps)  # 15 m²
    # 10 m²: p1's 5 m² reach d1 (full), back along p0→d1 to p0, on to d0 (5 m² of gap left): an augmenting path
    assert not _is_max_flow(np.array([3.0, 7.0, 0.0]), pool, demand, ones, pools, gaps)
    # solver noise (a nanometre² short of 15 m²) is no augmenting path; a millimetre² more than noise is
    assert _is_max_flow(np.array([8.0, 2.0, 5.0 - 1e-9]), pool, demand, ones, pools, gaps)
    assert not _is_max_flow(np.array([8.0, 2.0, 5.0 - 1e-3]), pool, demand, ones, pools, gaps)
    # a gain other than 1 is a generalised flow: phase 1 decides
    assert not _is_max_flow(np.array([8.0, 2.0, 5.0]), pool, demand, np.array([1.0, 1.0, 2.0]), pools, gaps)
