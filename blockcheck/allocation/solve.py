"""The optimisation: arcs (resource, block, key) within reach and the lexicographic LP over them.

:func:`allocate` is the entry point. It reads the gaps and the rule numbers,
keeps the usable resources (:func:`_usable_resources`), finds every arc within
walking reach (:func:`_arcs_within_reach`), solves the two-phase LP over them
(:func:`_optimal_flows` → :func:`_solve`: most gap closed, then least walking
distance, with HiGHS) and writes the two tables (:func:`_allocation_table`,
:func:`~blockcheck.allocation.tables.remaining_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import breadth_first_order

from blockcheck.allocation.dense import distinct_sorted
from blockcheck.allocation.distances import KnownDistances, pair_distances_m
from blockcheck.allocation.highs import solve_min, solve_min_by_columns
from blockcheck.allocation.inputs import check_allocation_inputs, column_or_none, pool_area_m2, representative_points
from blockcheck.allocation.rules import (
    USABLE_STATUSES,
    AllocationRule,
    AllocationRules,
    allocation_rules,
    default_facility_categories,
    resolve_value,
)
from blockcheck.allocation.tables import ALLOCATION_COLUMNS, empty_allocation, remaining_table
from blockcheck.errors import AllocationError, InputError
from blockcheck.lists.ids import allocation_ids
from blockcheck.network import DISTANCE_TOLERANCE_M, WalkNetwork
from blockcheck.standards import Standards

__all__ = ["allocate"]

#: Relative slack on the phase-1 optimum when phase 2 minimises distance: tried in turn until
#: HiGHS (feasibility tolerance 1e-7) accepts the bound.
_PHASE2_SLACK = (0.0, 1e-9, 1e-7)
#: Phase 2 weight of gap closed against distance: M = factor × (largest distance + 1), grown
#: by the factor up to this many tries before the explicit-bound LP is used.
_BIG_M_FACTOR = 10.0
_BIG_M_TRIES = 2
#: A weighted solution is accepted when it closes the phase-1 optimum to this relative tolerance.
_CLOSED_RTOL = 1e-9
#: Assigned pool areas are rounded to this many decimals of m² (1 mm²: removes solver noise).
_AREA_DECIMALS = 6
#: Flows below this fraction of the resource's pool are solver noise and dropped.
_FLOW_NOISE = 1e-9
#: Residual capacity (m²) below which a pool, a gap or an arc's flow counts as used up when the
#: weighted solution is checked for an augmenting path: the larger of this and ``_CLOSED_RTOL`` × the capacity.
_RESIDUAL_M2 = 1e-6
#: LPs of up to this many arcs are solved whole, as before column generation (under 0.5 s), so that a
#: district's allocation stays the vertex it was where walks tie; larger ones by column generation from
#: each pool's nearest arc and each gap's two nearest (:func:`_nearest_arcs`): the same optimal value,
#: 0.83 → 0.17 s at 158,000 arcs, 8.6 → 1.1 s at 1.22 M (benchmark city, scale 1).
_WHOLE_LP_MAX_ARCS = 100_000


@dataclass(frozen=True)
class _UsableResources:
    """The resources that can be allocated (usable status, a category with a pool, a pool > 0 m²), in list order."""

    frame: gpd.GeoDataFrame
    pool_m2: np.ndarray
    category: np.ndarray
    facility_category: np.ndarray  # object: None where the resource names none
    subtype: np.ndarray


@dataclass(frozen=True)
class _Arcs:
    """Every arc (resource, block, key) within reach, as parallel arrays."""

    resource: np.ndarray  # position among the usable resources
    block: np.ndarray  # row of the gaps table
    rule: np.ndarray  # position among the active rules
    gain: np.ndarray  # m² of the key's kind of area one m² of the pool gives (γ)
    distance_m: np.ndarray  # walk (or straight line) from resource to block point

    def where(self, chosen: np.ndarray) -> _Arcs:
        """The arcs where the boolean array `chosen` is True."""
        return _Arcs(
            self.resource[chosen], self.block[chosen], self.rule[chosen], self.gain[chosen], self.distance_m[chosen]
        )


def _solve(
    arc_pool: np.ndarray,
    arc_demand: np.ndarray,
    gain: np.ndarray,
    distance_m: np.ndarray,
    pool_m2: np.ndarray,
    demand_m2: np.ndarray,
) -> np.ndarray:
    """Lexicographic LP: max Σ gain·x, then min Σ dist·gain·x; returns x (pool m² per arc).

    ``arc_pool`` and ``arc_demand`` give each arc's row in `pool_m2` and
    `demand_m2`. Phase 1 gives ``Z*``. Phase 2 first solves the weighted LP
    min Σ (dist − M)·gain·x (fast: no dense row); if its solution closes ``Z*``
    it is lexicographically optimal (for every x closing ``Z*``, cost(x_M) −
    M·Z* <= cost(x) − M·Z*). Otherwise M grows, and finally the LP with the
    explicit bound Σ gain·x >= Z* decides.

    Phase 1 is skipped when every gain is 1 and the weighted solution is a
    maximum flow (:func:`_is_max_flow`: no augmenting path): then it closes
    ``Z*`` and is the solution the comparison with phase 1 would accept.
    """
    n = arc_pool.shape[0]
    a_ub = _constraint_matrix(arc_pool, arc_demand, gain, pool_m2.shape[0], demand_m2.shape[0])
    b_ub = np.concatenate([pool_m2, demand_m2])
    big_m = _BIG_M_FACTOR * (float(distance_m.max()) + 1.0)
    first = _nearest_arcs(arc_pool, arc_demand, distance_m) if n > _WHOLE_LP_MAX_ARCS else None

    def lp(cost: np.ndarray):
        return solve_min(cost, a_ub, b_ub) if first is None else solve_min_by_columns(cost, a_ub, b_ub, first=first)

    def weighted_lp(m: float):
        return lp((distance_m - m) * gain)

    weighted = weighted_lp(big_m) if _BIG_M_TRIES else None
    if (
        weighted is not None
        and weighted.status == 0
        and _is_max_flow(weighted.x, arc_pool, arc_demand, gain, pool_m2, demand_m2)
    ):
        # Z* needs no phase 1: this is the x the comparison with phase 1 below would accept
        return np.clip(weighted.x, 0.0, None) if gain @ weighted.x > 0 else np.zeros(n)
    most = lp(-gain)
    if most.status != 0:
        raise AllocationError(f"The allocation optimisation failed in phase 1 (max gap closed): {most.message}")
    closed = -most.fun
    if closed <= 0:
        return np.zeros(n)
    for attempt in range(_BIG_M_TRIES):
        if attempt:  # M grows
            big_m *= _BIG_M_FACTOR
            weighted = weighted_lp(big_m)
        if weighted.status == 0 and gain @ weighted.x >= closed * (1 - _CLOSED_RTOL):
            return np.clip(weighted.x, 0.0, None)
    bounded = vstack([a_ub, coo_matrix(-gain[None, :])]).tocsr()
    for slack in _PHASE2_SLACK:
        second = solve_min(distance_m * gain, bounded, np.append(b_ub, -closed * (1 - slack)))
        if second.status == 0:
            return np.clip(second.x, 0.0, None)
    raise AllocationError(f"The allocation optimisation failed in phase 2 (min walking distance): {second.message}")


def _constraint_matrix(
    arc_pool: np.ndarray, arc_demand: np.ndarray, gain: np.ndarray, n_pools: int, n_demands: int
) -> csc_matrix:
    """The rows ``Σ x ≤ A_r`` (pools first) and ``Σ γ x ≤ G·m`` (demands), column by column: each arc has two entries.

    Built straight in compressed columns (the pool row above the demand row,
    as sorting would give): no sort of the arcs' entries.
    """
    n = arc_pool.shape[0]
    index_type = np.int32 if max(n_pools + n_demands, 2 * n) < np.iinfo(np.int32).max else np.int64
    rows = np.column_stack([arc_pool, n_pools + np.asarray(arc_demand)]).astype(index_type).reshape(-1)
    values = np.column_stack([np.ones(n), gain]).reshape(-1)
    starts = np.arange(0, 2 * n + 1, 2, dtype=index_type)
    return csc_matrix((values, rows, starts), shape=(n_pools + n_demands, n))


def _nearest_arcs(arc_pool: np.ndarray, arc_demand: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """The arcs column generation starts from: each pool's nearest arcs and each gap's two nearest (ties kept).

    Most flow goes along them (the optimum walks as little as it can), so
    few arcs enter later. Boolean, one per arc.
    """
    chosen = np.zeros(distance_m.shape[0], dtype=bool)
    for rows, nearest in ((arc_pool, 1), (arc_demand, 2)):
        left = np.ones(distance_m.shape[0], dtype=bool)
        for _ in range(nearest):
            least = np.full(int(rows.max()) + 1, np.inf)
            np.minimum.at(least, rows[left], distance_m[left])
            at_least = left & (distance_m <= least[rows])
            chosen |= at_least
            left &= ~at_least
    return chosen


def _is_max_flow(
    x: np.ndarray,
    arc_pool: np.ndarray,
    arc_demand: np.ndarray,
    gain: np.ndarray,
    pool_m2: np.ndarray,
    demand_m2: np.ndarray,
) -> bool:
    """Whether the flows `x` close the largest gap possible, shown by the absence of an augmenting path.

    With every gain 1 the LP of phase 1 is a maximum flow: source → pool
    (capacity ``pool_m2``) → (key, block) along the arcs (no capacity) → sink
    (capacity ``demand_m2``). A flow is maximal iff its residual graph has no
    path from the source to the sink (Ford–Fulkerson): a breadth-first search
    from the pools with area left, forward along every arc and backward along
    the arcs that carry flow, must reach no (key, block) with gap left.
    Capacities within ``max(_RESIDUAL_M2, _CLOSED_RTOL × capacity)`` of being
    used up count as used up (solver noise). False with any gain ≠ 1 (a
    generalised flow needs phase 1).
    """
    if not np.all(gain == 1.0):
        return False
    n_pools, n_demands = pool_m2.shape[0], demand_m2.shape[0]
    used_pool = np.bincount(arc_pool, weights=x, minlength=n_pools)
    used_demand = np.bincount(arc_demand, weights=x, minlength=n_demands)
    pool_left = pool_m2 - used_pool > np.maximum(_RESIDUAL_M2, _CLOSED_RTOL * pool_m2)
    demand_left = demand_m2 - used_demand > np.maximum(_RESIDUAL_M2, _CLOSED_RTOL * demand_m2)
    if not pool_left.any() or not demand_left.any():
        return True
    source = n_pools + n_demands  # nodes: pools, then (key, block) demands, then the source
    carries = x > _RESIDUAL_M2
    starts = np.flatnonzero(pool_left)
    rows = np.concatenate([arc_pool, n_pools + arc_demand[carries], np.full(starts.shape[0], source)])
    cols = np.concatenate([n_pools + arc_demand, arc_pool[carries], starts])
    graph = csr_matrix((np.ones(rows.shape[0], dtype=np.int8), (rows, cols)), shape=(source + 1, source + 1))
    reached = breadth_first_order(graph, source, directed=True, return_predecessors=False)
    reached_demands = reached[(reached >= n_pools) & (reached < source)] - n_pools
    return not demand_left[reached_demands].any()


def allocate(
    gaps: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
    *,
    rules: AllocationRules | None = None,
    block_points: gpd.GeoSeries | None = None,
    known_distances: KnownDistances | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign stock resources to the facility gaps of blocks within walking reach.

    Parameters
    ----------
    gaps
        Facility gaps per block: index ``block_id`` (a subset of `blocks`),
        columns ``gap_<key>`` in the key's unit (the provision metrics'
        output; other columns are ignored, NaN counts as no gap).
    resources
        The resource list: ``resource_id`` (unique), ``category``, ``status``
        (``candidate`` / ``confirmed`` / ``rejected``), the pool area fields
        named in the catalogue (``land_area_m2``, ``floor_area_m2``,
        ``potential_floor_area_m2``; a missing column counts as empty), optional
        ``subtype`` and ``facility_category``, geometry (points or polygons).
    blocks
        Block polygons indexed by ``block_id``.
    network
        Walking network; None for straight-line distances.
    standards
        The run's standards (conversions ``conversion.*``, radii ``radius_m.*``).
    rules
        Allocation catalogue; default :func:`allocation_rules` ().
    block_points
        Optional point per block (GeoSeries indexed by ``block_id``) that
        distances are measured to, e.g. population-weighted centres of its
        residents; default: a representative point inside each block polygon
        (:func:`shapely.point_on_surface`).
    known_distances
        Walks computed ahead on the same network (:func:`blockcheck.allocation.ahead.distances_ahead`,
        beside the health check); the same numbers, read instead of computed where they hold every pair.

    Returns
    -------
    allocation : pandas.DataFrame
        One row per (resource, block, key) with a positive assignment:
        ``allocation_id`` (``AL-00001`` …), ``resource_id``, ``block_id``,
        ``provision_key``, ``amount`` (gap closed, in the key's ``unit``),
        ``unit``, ``resource_share`` (fraction of the resource's pool used by
        the row, in (0, 1]; a resource's rows sum to <= 1), ``area_used_m2``
        (pool m² used), ``walk_distance_m`` (resource to block point, m) and
        the resource ``category``. Sorted by block, key, distance.
        ``attrs["distance"]`` is ``"network"`` or ``"straight_line"``.
    remaining : pandas.DataFrame
        One row per (block, key) whose gap is > 0, for every ``gap_<key>``
        column (keys without a catalogue rule included, with nothing
        allocated): ``block_id``, ``provision_key``, ``unit``, ``gap``,
        ``allocated``, ``remaining_gap = max(gap − allocated, 0)``, in the
        key's unit.

    Raises
    ------
    blockcheck.errors.InputError
        Missing columns, duplicate resource ids, unknown categories or
        statuses, gaps of blocks not in `blocks`, missing geometries.
    blockcheck.errors.CRSError
        Layers (and network) not in one projected metric CRS.
    blockcheck.errors.StandardsError
        A standards key named by the catalogue is not in the profile.
    AllocationError
        Invalid catalogue values, or a solver failure.

    Notes
    -----
    **Capacity.** Each usable resource ``r`` (status candidate or confirmed,
    category with a pool) is one pool of ``A_r`` m²: its category's pool field
    (``land_area_m2`` for land and roofs, ``floor_area_m2`` for rooms,
    buildings and underground space, ``potential_floor_area_m2`` for
    expandable facilities; the polygon's area where the catalogue allows and
    the field is empty). The pool is shared by every gap the resource can
    serve, so it is never used twice. One m² of the pool gives ``γ`` m² of the
    kind of area a key measures (floor or land): ``γ_floor = 1`` for
    buildings, ``conversion.floor_area_per_land_area_ratio`` for land,
    ``γ_land = 1`` for land and roofs. A key measures ``m_k`` m² per unit
    (``conversion.floor_m2_per_elderly_care_bed`` per bed, 10,000 per ha, 1
    per m²). An expandable facility serves only keys of its kind (its
    ``subtype``, per the rule's ``subtypes``; likewise a ``facility_category``
    column, where the resource list has one).

    **Reach.** An arc ``a = (r, b, k)`` exists when resource ``r`` can serve
    key ``k``, block ``b`` has ``G_bk > 0`` and the walking distance ``d_rb``
    from the resource's representative point to the block point is at most
    ``radius_k`` (``radius_m.*`` of the rule; inclusive, with
    :data:`~blockcheck.network.DISTANCE_TOLERANCE_M` slack). With a network,
    ``d`` = snap + along the network + snap between the two points attached
    to their nearest edges (as in :mod:`blockcheck.network`); without one, the
    straight-line distance (a lower bound of the walk: reach is overstated
    where streets detour).

    **Optimisation.** With ``x_a >= 0`` the pool m² of ``r`` assigned along ``a``:

        Σ_{a from r} x_a <= A_r                    (each pool once)
        Σ_{a into (b,k)} γ_a x_a <= G_bk · m_k     (no more than the gap)

    Phase 1 maximises the gap closed ``Z = Σ γ_a x_a``, measured in m² of the
    facility area each key needs (the one unit common to beds, seats, m² and
    ha): where a land pool gives more floor than ground (``γ_floor > 1``) it
    goes to floor keys first; otherwise every m² of pool closes one m² of some
    gap and distance decides. Phase 2 minimises the walking distance carried
    ``Σ d_a γ_a x_a`` (m² × m) among the solutions with ``Z = Z*`` (solved as
    the weighted LP ``min Σ (d_a − M) γ_a x_a``, whose solution is accepted
    only when it closes ``Z*``, else with the explicit bound ``Z >= Z*``).
    This lexicographic optimum is what a max-flow-min-cost on source →
    resource (capacity ``A_r``) → (block, key) (cost ``d``) → sink (capacity
    ``G·m``) gives when all ``γ = 1``; the LP also handles ``γ ≠ 1`` (a
    generalised flow) and non-integer areas, exactly. ``amount_a = γ_a x_a /
    m_k``. Both phases are solved with HiGHS as :func:`scipy.optimize.linprog`
    solves them (:func:`blockcheck.allocation.highs.solve_min`); an LP of
    more than 100,000 arcs by column generation
    (:func:`~blockcheck.allocation.highs.solve_min_by_columns`) from each
    pool's nearest arc and each gap's two nearest: the same optimal value
    (proven by the duals of every arc left out), in a fraction of the time
    (8.6 → 1.1 s on the 1.22 M arcs of the benchmark city at scale 1). An
    optimum need not be unique; the solver picks one vertex deterministically
    (where walks tie, column generation may pick another vertex than the whole
    LP would). Assigned areas are rounded to 1 mm² (solver noise).

    **Cost.** Candidate pairs are those within the largest radius in a
    straight line (a KD-tree; a walk is never shorter). Network distances then
    need one Dijkstra (:func:`scipy.sparse.csgraph.dijkstra`, cut at the
    largest radius) per distinct end node of the edges the blocks — or the
    resources, whichever are fewer — are attached to: about ``2 × min(n_blocks,
    n_resources)`` local searches, run in batches from which only the
    candidate pairs' distances are read (no blocks × resources matrix: memory
    grows with the pairs within reach). The LP has one variable per arc (a
    pair within the key's walking radius, never a pair out of reach) and
    dominates the time: on a synthetic grid district of 196 blocks and 1,000
    resources (about 24,000 arcs) ``allocate`` takes about 0.5 s with the
    network (0.9 s straight-line, twice the arcs); 900 blocks and 5,000
    resources (140,000 arcs) about 4 s (14 s straight-line).
    """
    rules = rules or allocation_rules()
    check_allocation_inputs(gaps, resources, blocks, network, rules, block_points)
    gap_by_key = _gaps_by_key(gaps)
    active = [r for r in rules.rules if r.key in gap_by_key and (gap_by_key[r.key] > 0).any()]
    m2_per_unit, radius_m = _rule_numbers(active, standards)
    usable = _usable_resources(resources, rules)
    arcs = None
    if active and len(usable.frame):
        block_xy = _block_xy(blocks, block_points, gaps.index)
        arcs = _arcs_within_reach(
            active, usable, gap_by_key, radius_m, block_xy, network, rules, standards, known=known_distances
        )

    units = {r.key: r.unit for r in rules.rules}
    allocated = {key: np.zeros(len(gaps)) for key in gap_by_key}
    allocation = empty_allocation()
    if arcs is not None:
        flow_m2 = _optimal_flows(arcs, usable.pool_m2, gap_by_key, active, m2_per_unit)
        carrying = flow_m2 > 0
        used, flow_m2 = arcs.where(carrying), flow_m2[carrying]
        per_unit = np.array([m2_per_unit[r.key] for r in active])
        amount = used.gain * flow_m2 / per_unit[used.rule]
        key_names = np.array([r.key for r in active], dtype=object)[used.rule]
        for key in {r.key for r in active}:
            of_key = key_names == key
            allocated[key] += np.bincount(used.block[of_key], weights=amount[of_key], minlength=len(gaps))
        allocation = _allocation_table(used, flow_m2, amount, key_names, usable, gaps.index, units)
    distance_kind = "network" if network is not None else "straight_line"
    allocation.attrs["distance"] = distance_kind
    remaining = remaining_table(list(gap_by_key), gap_by_key, allocated, gaps.index.to_numpy(), units)
    remaining.attrs["distance"] = distance_kind
    return allocation, remaining


def _gaps_by_key(gaps: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each ``gap_<key>`` column of `gaps` as an array in the key's unit (NaN and negative gaps count as 0)."""
    keys = [c[4:] for c in gaps.columns if isinstance(c, str) and c.startswith("gap_")]
    return {
        key: np.nan_to_num(pd.to_numeric(gaps[f"gap_{key}"], errors="coerce").to_numpy("float64")).clip(0.0, None)
        for key in keys
    }


def _rule_numbers(active: list[AllocationRule], standards: Standards) -> tuple[dict[str, float], dict[str, float]]:
    """m² per unit and walking radius (m) of each active rule's key, resolved against `standards`.

    Raises
    ------
    AllocationError
        If a key's m² per unit is not > 0 (or a value is negative or not finite).
    """
    m2_per_unit = {r.key: resolve_value(r.m2_per_unit, standards, f"{r.key}: m2_per_unit") for r in active}
    radius_m = {r.key: resolve_value(r.radius_m, standards, f"{r.key}: radius_m") for r in active}
    for key, value in m2_per_unit.items():
        if value <= 0:
            raise AllocationError(f"{key}: m2_per_unit must be > 0 (got {value}).")
    return m2_per_unit, radius_m


def _usable_resources(resources: gpd.GeoDataFrame, rules: AllocationRules) -> _UsableResources:
    """Resources of a usable status and a pooled category whose pool is > 0 m², with what decides what they serve."""
    usable = resources[
        resources["status"].isin(USABLE_STATUSES).to_numpy() & resources["category"].isin(list(rules.pools)).to_numpy()
    ]
    pool_m2 = pool_area_m2(usable, rules.pools)
    usable, pool_m2 = usable[pool_m2 > 0], pool_m2[pool_m2 > 0]
    facility = column_or_none(usable, "facility_category")
    facility = facility.where(facility.notna() & (facility.astype(str).str.strip() != ""), None).to_numpy()
    return _UsableResources(
        frame=usable,
        pool_m2=pool_m2,
        category=usable["category"].to_numpy(),
        facility_category=facility,
        subtype=column_or_none(usable, "subtype").to_numpy(),
    )


def _block_xy(blocks: gpd.GeoDataFrame, block_points: gpd.GeoSeries | None, gap_blocks: pd.Index) -> np.ndarray:
    """Coordinates (n, 2) of the point of each block of `gap_blocks`: its block point, else a point in its polygon.

    Raises
    ------
    blockcheck.errors.InputError
        If `block_points` lacks a point for some block.
    """
    if block_points is None:
        geoms = blocks.geometry.values
    else:
        geoms = block_points.reindex(blocks.index).values
        if pd.isna(block_points.reindex(blocks.index)).any():
            raise InputError("block_points lacks a point for some blocks. Give one point per block_id.")
    rows = blocks.index.get_indexer(gap_blocks)
    return shapely.get_coordinates(representative_points(np.asarray(geoms, dtype=object)[rows], "blocks"))


def _can_serve(rule: AllocationRule, usable: _UsableResources) -> np.ndarray:
    """Which usable resources may serve `rule`: its categories, facility categories and subtypes."""
    serves = np.isin(usable.category, rule.categories)
    allowed = (
        rule.facility_categories if rule.facility_categories is not None else default_facility_categories(rule.key)
    )
    if allowed is not None:
        facility = usable.facility_category
        serves &= pd.isna(facility) | np.isin(facility.astype(str), list(allowed))
    for category, subtypes in rule.subtypes.items():
        serves &= (usable.category != category) | pd.Series(usable.subtype).isin(subtypes).to_numpy()
    return serves


def _arcs_within_reach(
    active: list[AllocationRule],
    usable: _UsableResources,
    gap_by_key: dict[str, np.ndarray],
    radius_m: dict[str, float],
    block_xy: np.ndarray,
    network: WalkNetwork | None,
    rules: AllocationRules,
    standards: Standards,
    *,
    known: KnownDistances | None = None,
) -> _Arcs | None:
    """Every arc (resource, block, key) whose resource serves the key, whose block lacks it, within the key's radius.

    Arcs whose pool gives none of the key's kind of area (γ = 0) are left
    out. None when no rule has a resource within reach of a gap.
    """
    resource_xy = shapely.get_coordinates(
        representative_points(np.asarray(usable.frame.geometry.values, dtype=object), "resources")
    )
    reach_m = max(radius_m.values()) + DISTANCE_TOLERANCE_M
    pair_resource, pair_block, pair_m = pair_distances_m(network, resource_xy, block_xy, reach_m, known=known)
    groups = []
    for position, rule in enumerate(active):
        chosen = (
            _can_serve(rule, usable)[pair_resource]
            & (gap_by_key[rule.key][pair_block] > 0)
            & (pair_m <= radius_m[rule.key] + DISTANCE_TOLERANCE_M)
        )
        if not chosen.any():
            continue
        gain_by_category = {
            c: resolve_value(rules.pools[c].factor(rule.area), standards, f"pools.{c}: {rule.area}_m2_per_m2")
            for c in rule.categories
        }
        # γ of each resource's category (the rule serves only its categories: the others are never chosen)
        gain_by_resource = pd.Series(usable.category).map(gain_by_category).to_numpy(dtype=float, na_value=np.nan)
        gain = gain_by_resource[pair_resource[chosen]]
        gives_area = gain > 0
        if not gives_area.any():
            continue
        groups.append(
            _Arcs(
                resource=pair_resource[chosen][gives_area],
                block=pair_block[chosen][gives_area],
                rule=np.full(int(gives_area.sum()), position),
                gain=gain[gives_area],
                distance_m=pair_m[chosen][gives_area],
            )
        )
    if not groups:
        return None
    return _Arcs(
        *(
            np.concatenate([getattr(g, name) for g in groups])
            for name in ("resource", "block", "rule", "gain", "distance_m")
        )
    )


def _optimal_flows(
    arcs: _Arcs,
    pool_m2: np.ndarray,
    gap_by_key: dict[str, np.ndarray],
    active: list[AllocationRule],
    m2_per_unit: dict[str, float],
) -> np.ndarray:
    """Pool m² assigned along each arc by the lexicographic optimum (rounded to 1 mm², solver noise dropped).

    Each resource with an arc is one pool row; each (key, block) with an arc
    is one demand row of ``gap × m² per unit``.
    """
    # the (rule, block) pairs, sorted by rule then block, as numbers rule × blocks + block
    n_blocks = int(arcs.block.max()) + 1
    pair_keys, arc_demand = distinct_sorted(arcs.rule.astype(np.int64) * n_blocks + arcs.block)
    demands = np.stack([pair_keys // n_blocks, pair_keys % n_blocks])
    per_unit = np.array([m2_per_unit[r.key] for r in active])
    demand_m2 = np.array([gap_by_key[active[k].key][b] for k, b in demands.T]) * per_unit[demands[0]]
    pooled, arc_pool = distinct_sorted(arcs.resource)
    flow_m2 = _solve(
        arc_pool.reshape(-1), arc_demand.reshape(-1), arcs.gain, arcs.distance_m, pool_m2[pooled], demand_m2
    )
    flow_m2 = np.round(flow_m2, _AREA_DECIMALS)
    flow_m2[flow_m2 <= _FLOW_NOISE * pool_m2[arcs.resource]] = 0.0
    return flow_m2


def _allocation_table(
    used: _Arcs,
    flow_m2: np.ndarray,
    amount: np.ndarray,
    key_names: np.ndarray,
    usable: _UsableResources,
    gap_blocks: pd.Index,
    units: dict[str, str],
) -> pd.DataFrame:
    """The allocation table of the arcs that carry a flow, sorted by block, key and distance, with ids ``AL-…``."""
    table = (
        pd.DataFrame(
            {
                "resource_id": usable.frame["resource_id"].to_numpy()[used.resource],
                "block_id": gap_blocks.to_numpy()[used.block],
                "provision_key": key_names,
                "amount": amount,
                "unit": [units[k] for k in key_names],
                "resource_share": np.minimum(flow_m2 / usable.pool_m2[used.resource], 1.0),
                "area_used_m2": flow_m2,
                "walk_distance_m": used.distance_m,
                "category": usable.category[used.resource],
                "_block": used.block,
                "_rule": used.rule,
            }
        )
        .sort_values(["_block", "_rule", "walk_distance_m", "resource_id"], kind="stable")
        .drop(columns=["_block", "_rule"])
        .reset_index(drop=True)
    )
    table.insert(0, "allocation_id", allocation_ids(1, len(table)))
    return table[list(ALLOCATION_COLUMNS)]
