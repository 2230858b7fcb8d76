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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csc_array, csr_matrix

__all__ = ["LpSolution", "solve_min"]

#: linprog's check of a solution (its default ``tol`` 1e-9, widened as ``_check_result`` widens it).
_CHECK_TOL = np.sqrt(1e-9) * 10


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


def _direct(cost: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray) -> LpSolution | None:
    """The optimal solution straight from HiGHS, or None when ``linprog`` must decide."""
    binding = _binding()
    if binding is None:
        return None
    core, debug_level, model_status, highs_inf, simplex = binding
    try:
        c = np.array(cost, dtype=np.float64)
        rhs = np.array(b_ub, dtype=np.float64)
        matrix = csc_array(a_ub)
        n_rows, n_cols = rhs.size, c.size
        lp = core.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.a_matrix_.num_col_ = n_cols
        lp.a_matrix_.num_row_ = n_rows
        lp.a_matrix_.format_ = core.MatrixFormat.kColwise
        lp.col_cost_ = c
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.full(n_cols, highs_inf)
        lp.row_lower_ = np.full(n_rows, -highs_inf)
        lp.row_upper_ = np.where(np.isinf(rhs), np.sign(rhs) * highs_inf, rhs)
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        highs = core._Highs()
        options = core.HighsOptions()
        # the options linprog(method="highs") sets (the others it leaves at HiGHS's defaults)
        options.presolve = "on"
        options.highs_debug_level = debug_level.kHighsDebugLevelNone
        options.log_to_console = False
        options.output_flag = False
        options.simplex_strategy = simplex.SimplexStrategy.kSimplexStrategyDual
        if highs.passOptions(options) == core.HighsStatus.kError or highs.passModel(lp) == core.HighsStatus.kError:
            return None
        if highs.run() == core.HighsStatus.kError or highs.getModelStatus() != model_status.kOptimal:
            return None
        x = np.array(highs.getSolution().col_value)
        fun = float(highs.getInfo().objective_function_value)
    except (AttributeError, TypeError, ValueError):  # a binding whose API differs: linprog knows it
        return None
    slack = rhs - a_ub @ x
    if np.isnan(x).any() or np.isnan(fun) or np.isnan(slack).any():
        return None
    if not (np.all(x >= -_CHECK_TOL) and np.all(slack >= -_CHECK_TOL)):
        return None
    return LpSolution(0, x, fun, "Optimization terminated successfully. (HiGHS Status 7: Optimal)")


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
