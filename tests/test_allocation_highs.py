"""HiGHS called as linprog calls it gives linprog's solution, bit for bit (blockcheck.allocation.highs)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack

from blockcheck.allocation import highs
from blockcheck.allocation.highs import solve_min, solve_min_by_columns


def _transport(seed: int, n_pools: int, n_gaps: int) -> tuple[np.ndarray, csr_matrix, np.ndarray]:
    """An allocation-shaped LP with many optima: pools and gaps on a grid, Manhattan walks (ties everywhere)."""
    rng = np.random.default_rng(seed)
    pools = rng.integers(0, 6, size=(n_pools, 2))
    gaps = rng.integers(0, 6, size=(n_gaps, 2))
    pool, gap = np.meshgrid(np.arange(n_pools), np.arange(n_gaps), indexing="ij")
    pool, gap = pool.ravel(), gap.ravel()
    walk = 100.0 * np.abs(pools[pool] - gaps[gap]).sum(axis=1)
    near = walk <= 400.0
    pool, gap, walk = pool[near], gap[near], walk[near]
    n = pool.size
    a_ub = vstack(
        [
            coo_matrix((np.ones(n), (pool, np.arange(n))), shape=(n_pools, n)),
            coo_matrix((np.ones(n), (gap, np.arange(n))), shape=(n_gaps, n)),
        ]
    ).tocsr()
    b_ub = np.concatenate([rng.integers(1, 5, n_pools) * 250.0, rng.integers(1, 5, n_gaps) * 300.0])
    big_m = 10.0 * (walk.max() + 1.0)
    return walk - big_m, a_ub, b_ub


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_solution_is_linprogs_bit_for_bit_where_many_optima_tie(seed: int) -> None:
    cost, a_ub, b_ub = _transport(seed, 40, 60)
    ours = solve_min(cost, a_ub, b_ub)
    theirs = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert ours.status == theirs.status == 0
    assert highs._direct(cost, a_ub, b_ub) is not None  # HiGHS was called directly, not through linprog
    assert np.array_equal(ours.x, theirs.x)  # the same vertex among the tied optima, not just the same value
    assert ours.fun == theirs.fun
    # the ties are real: another optimum of the same value exists (moving flow around a zero-cost cycle)
    assert len(np.unique(cost)) < cost.size


def test_a_problem_highs_does_not_solve_to_optimality_gets_linprogs_status_and_message() -> None:
    # the second column is in no constraint and lowers the cost without end: unbounded
    a_ub = csr_matrix(np.array([[1.0, 0.0]]))
    cost, b_ub = np.array([-1.0, -1.0]), np.array([5.0])
    ours = solve_min(cost, a_ub, b_ub)
    theirs = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert ours.status == theirs.status == 3
    assert ours.message == theirs.message


def test_without_the_binding_linprog_solves_it(monkeypatch) -> None:
    cost, a_ub, b_ub = _transport(3, 10, 12)
    monkeypatch.setattr(highs, "_binding", lambda: None)
    ours = solve_min(cost, a_ub, b_ub)
    theirs = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert ours.status == 0 and np.array_equal(ours.x, theirs.x)
    assert ours.message == theirs.message  # linprog's own words: it was called


@pytest.mark.parametrize("seed", [0, 1, 2, 4])
def test_column_generation_reaches_the_optimum_of_the_whole_lp(seed: int, monkeypatch) -> None:
    cost, a_ub, b_ub = _transport(seed, 40, 60)
    whole = solve_min(cost, a_ub, b_ub)
    first = np.zeros(cost.size, dtype=bool)
    first[:: max(1, cost.size // 20)] = True  # about 20 of the columns: most must enter by their reduced cost
    monkeypatch.setattr(highs, "solve_min", lambda *args: pytest.fail("column generation gave up"))
    ours = solve_min_by_columns(cost, a_ub, b_ub, first=first)
    assert ours.status == 0
    assert ours.fun == pytest.approx(whole.fun, rel=1e-12)
    assert cost @ ours.x == pytest.approx(whole.fun, rel=1e-12)
    assert np.all(ours.x >= 0) and np.all(a_ub @ ours.x <= b_ub + 1e-9)
    assert np.count_nonzero(ours.x) > np.count_nonzero(ours.x[first])  # columns that entered carry flow


def test_column_generation_from_every_column_is_the_whole_lps_solution_bit_for_bit() -> None:
    cost, a_ub, b_ub = _transport(5, 30, 40)
    ours = solve_min_by_columns(cost, a_ub, b_ub, first=np.ones(cost.size, dtype=bool))
    assert np.array_equal(ours.x, solve_min(cost, a_ub, b_ub).x)  # the same model given to the same HiGHS


def test_column_generation_without_the_binding_is_linprogs_whole_solve(monkeypatch) -> None:
    cost, a_ub, b_ub = _transport(6, 10, 12)
    monkeypatch.setattr(highs, "_binding", lambda: None)
    ours = solve_min_by_columns(cost, a_ub, b_ub, first=np.zeros(cost.size, dtype=bool))
    theirs = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert ours.status == 0 and np.array_equal(ours.x, theirs.x) and ours.message == theirs.message
