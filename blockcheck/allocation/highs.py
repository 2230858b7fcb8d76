"""The allocation's linear programs, solved by the HiGHS build SciPy ships, as ``linprog(method="highs")`` solves them.

``scipy.optimize.linprog(method="highs")`` passes the model to HiGHS and, once
HiGHS has solved it, computes the bounds' Lagrange multipliers in a Python loop
over every column. The allocation never reads them, and at city scale the loop
costs more than a second (1.2 M arcs at scale 1; 4× that at scale 4).
:func:`solve_min` passes the very model and options ``linprog`` passes (the same
constraint matrix in CSC form, ``-inf`` ≤ A·x ≤ b, 0 ≤ x ≤ inf, presolve on,
dual simplex strategy, silent) to the same HiGHS and reads the solution only,
so an optimal solution is the one ``linprog`` returns, bit for bit
(``tests/test_allocation_highs.py`` compares them on LPs with many optima).

Anything else goes through ``linprog`` itself: a SciPy without this binding
(its module is private), a solve HiGHS does not call optimal, or a solution
``linprog``'s own check would not pass. Its status and message are then
``linprog``'s.

Large allocation LPs are solved by column generation
(:func:`solve_min_by_columns`): the same HiGHS on the nearest arcs, arcs
added while any left out would lower the cost, until the rows' duals prove
the restricted optimum optimal for the whole LP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csc_array, csr_matrix

__all__ = ["LpSolution", "solve_min", "solve_min_by_columns"]

#: linprog's check of a solution (its default ``tol`` 1e-9, widened as ``_check_result`` widens it).
_CHECK_TOL = np.sqrt(1e-9) * 10
#: Column generation: a column left out enters when its reduced cost is below −this × the largest |cost|.
_PRICE_RTOL = 1e-9
#: Column generation: rounds of pricing before the whole LP is solved instead.
_MAX_ROUNDS = 100


@dataclass(frozen=True)
class LpSolution:
    """What the allocation reads of a solve: linprog's status code (0: optimal), x, the objective, the message."""

    status: int
    x: np.ndarray | None
    fun: float | None
    message: str


def _binding():
    """SciPy's HiGHS binding (private: None when this SciPy has another layout)."""
    try:
        from scipy.optimize._highspy import _core
        from scipy.optimize._highspy._core import HighsDebugLevel, HighsModelStatus, kHighsInf, simplex_constants
    except ImportError:
        return None
    return _core, HighsDebugLevel, HighsModelStatus, kHighsInf, simplex_constants


def _by_linprog(cost: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray) -> LpSolution:
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    return LpSolution(int(result.status), result.x, result.fun, str(result.message))


def _model(core, highs_inf, cost: np.ndarray, matrix: csc_array, rhs: np.ndarray):
    """The HighsLp of min cost·x, -inf <= matrix·x <= rhs, 0 <= x <= inf, as linprog passes it."""
    n_rows, n_cols = rhs.size, cost.size
    lp = core.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.format_ = core.MatrixFormat.kColwise
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.full(n_cols, highs_inf)
    lp.row_lower_ = np.full(n_rows, -highs_inf)
    lp.row_upper_ = np.where(np.isinf(rhs), np.sign(rhs) * highs_inf, rhs)
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    return lp


def _solver(binding, cost: np.ndarray, matrix: csc_array, rhs: np.ndarray):
    """A HiGHS instance holding the model with linprog's options (None when HiGHS refuses either)."""
    core, debug_level, _, highs_inf, simplex = binding
    highs = core._Highs()
    options = core.HighsOptions()
    # the options linprog(method="highs") sets (the others it leaves at HiGHS's defaults)
    options.presolve = "on"
    options.highs_debug_level = debug_level.kHighsDebugLevelNone
    options.log_to_console = False
    options.output_flag = False
    options.simplex_strategy = simplex.SimplexStrategy.kSimplexStrategyDual
    if highs.passOptions(options) == core.HighsStatus.kError:
        return None
    if highs.passModel(_model(core, highs_inf, cost, matrix, rhs)) == core.HighsStatus.kError:
        return None
    return highs


def _optimal(binding, highs) -> bool:
    """Run HiGHS (from its current basis, if any); whether it calls the model optimal."""
    core, _, model_status, _, _ = binding
    return highs.run() != core.HighsStatus.kError and highs.getModelStatus() == model_status.kOptimal


def _checked(x: np.ndarray, fun: float, a_ub: csr_matrix, rhs: np.ndarray) -> LpSolution | None:
    """The solution as an optimal LpSolution, or None where linprog's own check would not pass it."""
    slack = rhs - a_ub @ x
    if np.isnan(x).any() or np.isnan(fun) or np.isnan(slack).any():
        return None
    if not (np.all(x >= -_CHECK_TOL) and np.all(slack >= -_CHECK_TOL)):
        return None
    return LpSolution(0, x, fun, "Optimization terminated successfully. (HiGHS Status 7: Optimal)")


def _direct(cost: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray) -> LpSolution | None:
    """The optimal solution straight from HiGHS, or None when ``linprog`` must decide."""
    binding = _binding()
    if binding is None:
        return None
    try:
        rhs = np.array(b_ub, dtype=np.float64)
        highs = _solver(binding, np.array(cost, dtype=np.float64), csc_array(a_ub), rhs)
        if highs is None or not _optimal(binding, highs):
            return None
        x = np.array(highs.getSolution().col_value)
        fun = float(highs.getInfo().objective_function_value)
    except (AttributeError, TypeError, ValueError):  # a binding whose API differs: linprog knows it
        return None
    return _checked(x, fun, a_ub, rhs)


def _by_columns(cost: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray, first: np.ndarray) -> LpSolution | None:
    """Column generation from the columns `first` (see :func:`solve_min_by_columns`); None when it cannot decide."""
    binding = _binding()
    if binding is None:
        return None
    try:
        c = np.array(cost, dtype=np.float64)
        rhs = np.array(b_ub, dtype=np.float64)
        matrix = csc_array(a_ub)
        priced = matrix.T.tocsr()  # row j: column j's entries, for the reduced costs
        tolerance = _PRICE_RTOL * max(1.0, float(np.abs(c).max(initial=0.0)))
        chosen = np.array(first, dtype=bool)
        columns = np.flatnonzero(chosen)
        highs = _solver(binding, c[columns], matrix[:, columns], rhs)
        if highs is None or not _optimal(binding, highs):
            return None
        core, _, _, highs_inf, _ = binding
        for _round in range(_MAX_ROUNDS):
            reduced = c - priced @ np.array(highs.getSolution().row_dual)
            entering = np.flatnonzero((reduced < -tolerance) & ~chosen)
            if not entering.size:
                break
            chosen[entering] = True
            columns = np.concatenate([columns, entering])
            block = matrix[:, entering]
            status = highs.addCols(
                entering.size,
                c[entering],
                np.zeros(entering.size),
                np.full(entering.size, highs_inf),
                block.nnz,
                block.indptr[:-1].astype(np.int32),
                block.indices.astype(np.int32),
                block.data.astype(np.float64),
            )
            if status == core.HighsStatus.kError or not _optimal(binding, highs):
                return None
        else:
            return None
        x = np.zeros(c.size)
        x[columns] = np.array(highs.getSolution().col_value)
        fun = float(highs.getInfo().objective_function_value)
    except (AttributeError, TypeError, ValueError):
        return None
    return _checked(x, fun, a_ub, rhs)


def solve_min(cost: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray) -> LpSolution:
    """min cost·x subject to a_ub·x ≤ b_ub and x ≥ 0, as ``linprog(..., bounds=(0, None), method="highs")``.

    Parameters
    ----------
    cost
        The objective's coefficients (one per column).
    a_ub
        The constraint matrix (sparse).
    b_ub
        The right-hand sides.

    Returns
    -------
    LpSolution
        ``status`` 0 with ``x`` when HiGHS found the optimum; otherwise
        ``linprog``'s status and message.
    """
    return _direct(cost, a_ub, b_ub) or _by_linprog(cost, a_ub, b_ub)


def solve_min_by_columns(cost: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray, *, first: np.ndarray) -> LpSolution:
    """The LP of :func:`solve_min` solved by column generation, starting from the columns `first`.

    HiGHS (with :func:`solve_min`'s options) solves the LP restricted to the
    chosen columns; every column is then priced with the rows' duals ``y``
    (reduced cost ``c_j − a_jᵀ y``); the columns left out whose reduced cost
    is below ``−1e-9 × max |c|`` are added and HiGHS continues from its last
    basis, until no column enters. The restricted solution, padded with zeros,
    is then optimal for the whole LP: it is feasible, and ``y`` (≤ 0, the duals
    of ≤ rows of a minimisation) prices every column at ≥ 0 within the
    tolerance, the conditions of LP duality. It has the optimal value of
    :func:`solve_min`'s solution; where optima tie it may be another vertex.

    Worth it when few columns carry flow and `first` holds most of them (the
    allocation's nearest arcs): the scale-4 allocation LP (5.07 M columns)
    is solved by HiGHS in about 6 s (three solves, from 0.46 M columns) instead of 43 s.

    Parameters
    ----------
    cost, a_ub, b_ub
        As :func:`solve_min`.
    first
        Boolean array, one per column: the columns of the first restricted LP.

    Returns
    -------
    LpSolution
        As :func:`solve_min`. Where column generation cannot decide (no
        binding, HiGHS not optimal on a restricted LP, more than 100 rounds,
        a solution linprog's check would refuse) :func:`solve_min` solves the
        whole LP.
    """
    return _by_columns(cost, a_ub, b_ub, first) or solve_min(cost, a_ub, b_ub)
