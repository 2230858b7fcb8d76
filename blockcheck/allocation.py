"""Gap–resource allocation (缺口—资源配置): stock resources assigned to the facility gaps of blocks.

Step 1 of the method finds, per block, facility gaps (``gap_<key>`` of the
provision metrics) and a resource list of stock land and buildings. This
module answers "which resource closes which gap": every usable resource is
assigned — possibly split — to the gaps of blocks within walking reach, so
that as much of the gaps as possible is closed and, among all such
assignments, the walking distance carried is the least. What is left of each
gap is reported.

The catalogue (``data/allocation.toml``, loaded by :func:`allocation_rules`)
says, per provision key, which resource categories can serve it, how a
resource's area converts into the key's unit (through the standards'
``conversion.*`` values) and which walking radius (``radius_m.*``) limits the
distance from resource to block.

The optimisation is a linear programme solved exactly (HiGHS simplex via
:func:`scipy.optimize.linprog`), see :func:`allocate`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as _res
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .crs import is_metric
from .errors import BlockcheckError, CRSError, InputError
from .network import DISTANCE_TOLERANCE_M, WalkNetwork, snap_points
from .standards import Standards

__all__ = [
    "ALLOCATION_COLUMNS",
    "REMAINING_COLUMNS",
    "SUMMARY_COLUMNS",
    "USABLE_STATUSES",
    "AllocationError",
    "AllocationRule",
    "AllocationRules",
    "ResourcePool",
    "allocate",
    "allocation_rules",
    "allocation_summary",
]

#: Resource statuses that may be allocated (``rejected`` never is).
USABLE_STATUSES = ("candidate", "confirmed")
#: Every status the resource list may carry.
_STATUSES = (*USABLE_STATUSES, "rejected")
#: Columns of the allocation table, in order.
ALLOCATION_COLUMNS = (
    "allocation_id", "resource_id", "block_id", "provision_key", "amount", "unit",
    "resource_share", "area_used_m2", "walk_distance_m", "category",
)
#: Columns of the remaining-gap table, in order.
REMAINING_COLUMNS = ("block_id", "provision_key", "unit", "gap", "allocated", "remaining_gap")
#: Columns of :func:`allocation_summary`, in order.
SUMMARY_COLUMNS = (
    "block_id", "provision_key", "unit", "gap", "allocated", "remaining_gap", "closed_ratio",
    "resource_count", "mean_walk_distance_m", "max_walk_distance_m",
)
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
#: Remaining gaps below this fraction of the gap (or of 1 unit) are solver noise and set to 0.
_REST_NOISE = 1e-7
#: Dijkstra output cells (sources × nodes) held at once when computing walking distances.
_DIJKSTRA_CELLS = 1 << 22
_AREAS = ("floor", "land")


class AllocationError(BlockcheckError, ValueError):
    """The allocation catalogue is invalid, or the optimisation failed."""


# ------------------------------------------------------------ catalogue ----


@dataclass(frozen=True)
class ResourcePool:
    """How one resource category's capacity is measured (``[pools.<category>]``).

    Attributes
    ----------
    category
        Resource category (``idle_room``, ``idle_site`` …).
    field
        Resource column holding the pool area in m².
    geometry_fallback
        Use the polygon's area when `field` is empty.
    floor_m2_per_m2, land_m2_per_m2
        Floor / ground area provided by one m² of the pool: a number or a
        standards key; None when the pool provides none of it.
    exclude_subtypes
        Resources of these subtypes are not allocated.
    """

    category: str
    field: str
    geometry_fallback: bool = False
    floor_m2_per_m2: float | str | None = None
    land_m2_per_m2: float | str | None = None
    exclude_subtypes: tuple[str, ...] = ()

    def factor(self, area: str) -> float | str | None:
        """Floor (``area="floor"``) or land m² per m² of the pool (number, standards key or None)."""
        return self.floor_m2_per_m2 if area == "floor" else self.land_m2_per_m2


@dataclass(frozen=True)
class AllocationRule:
    """Which resources serve one provision key, and how (a ``[[rules]]`` entry).

    Attributes
    ----------
    key
        Provision key: the gap column is ``gap_<key>``.
    unit
        Unit of the key (for the tables).
    area
        ``"floor"`` or ``"land"``: the kind of area the key measures.
    m2_per_unit
        m² of that area per unit of the key: number or standards key.
    radius_m
        Maximum walking distance from resource to block: number or standards key.
    categories
        Resource categories that can serve the key.
    subtypes
        Category → subtypes: a resource of a category named here serves the
        key only if its ``subtype`` is listed (e.g. expandable facilities of
        kind ``elderly_care`` for elderly-care beds).
    facility_categories
        Facility categories a resource carrying a ``facility_category`` must
        have to serve the key; None: the key's categories in ``data/provision.toml``.
    """

    key: str
    unit: str
    area: str
    m2_per_unit: float | str
    radius_m: float | str
    categories: tuple[str, ...]
    facility_categories: tuple[str, ...] | None = None
    subtypes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AllocationRules:
    """The allocation catalogue: resource pools and one rule per provision key."""

    pools: Mapping[str, ResourcePool]
    rules: tuple[AllocationRule, ...]
    not_allocated: tuple[str, ...] = ()
    source: str = "blockcheck/data/allocation.toml"

    def rule(self, key: str) -> AllocationRule | None:
        """The rule of provision key `key`, or None."""
        return next((r for r in self.rules if r.key == key), None)


_POOL_FIELDS = {"field", "geometry_fallback", "floor_m2_per_m2", "land_m2_per_m2", "exclude_subtypes"}
_RULE_FIELDS = {"key", "unit", "area", "m2_per_unit", "radius_m", "categories", "facility_categories", "subtypes"}
_RULE_REQUIRED = _RULE_FIELDS - {"facility_categories", "subtypes"}


def _is_value(v: object) -> bool:
    return isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))


def _parse_rules(doc: dict, source: str) -> AllocationRules:
    problems: list[str] = []
    pools: dict[str, ResourcePool] = {}
    for category, entry in doc.get("pools", {}).items():
        unknown = set(entry) - _POOL_FIELDS
        if unknown:
            problems.append(f"pools.{category}: unknown fields {sorted(unknown)} (allowed: {sorted(_POOL_FIELDS)})")
            continue
        if not isinstance(entry.get("field"), str):
            problems.append(f"pools.{category}: needs field = the resource column of the pool area (e.g. \"floor_area_m2\")")
            continue
        factors = [entry.get(f) for f in ("floor_m2_per_m2", "land_m2_per_m2")]
        if all(f is None for f in factors) or not all(f is None or _is_value(f) for f in factors):
            problems.append(f"pools.{category}: needs floor_m2_per_m2 and/or land_m2_per_m2 (a number or a standards key)")
            continue
        pools[category] = ResourcePool(
            category=category,
            field=entry["field"],
            geometry_fallback=bool(entry.get("geometry_fallback", False)),
            floor_m2_per_m2=factors[0],
            land_m2_per_m2=factors[1],
            exclude_subtypes=tuple(entry.get("exclude_subtypes", ())),
        )
    rules: list[AllocationRule] = []
    for n, entry in enumerate(doc.get("rules", []), start=1):
        where = f"rules #{n} ({entry.get('key', '?')})"
        missing, unknown = _RULE_REQUIRED - set(entry), set(entry) - _RULE_FIELDS
        if missing or unknown:
            problems.append(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)} (fields: {sorted(_RULE_FIELDS)})")
            continue
        if entry["area"] not in _AREAS:
            problems.append(f"{where}: area = {entry['area']!r}, expected \"floor\" or \"land\"")
            continue
        if not (_is_value(entry["m2_per_unit"]) and _is_value(entry["radius_m"])):
            problems.append(f"{where}: m2_per_unit and radius_m must be numbers or standards keys")
            continue
        for category in entry["categories"]:
            pool = pools.get(category)
            if pool is None:
                problems.append(f"{where}: resource category {category!r} has no [pools.{category}]")
            elif pool.factor(entry["area"]) is None:
                problems.append(f"{where}: [pools.{category}] gives no {entry['area']} area ({entry['area']}_m2_per_m2 missing)")
        subtypes = entry.get("subtypes", {})
        if not isinstance(subtypes, dict) or not set(subtypes) <= set(entry["categories"]):
            problems.append(f"{where}: subtypes must be a table category → [subtypes] of categories the rule names")
            continue
        if any(r.key == entry["key"] for r in rules):
            problems.append(f"{where}: a second rule for key {entry['key']!r}")
        fc = entry.get("facility_categories")
        rules.append(AllocationRule(
            key=entry["key"], unit=entry["unit"], area=entry["area"], m2_per_unit=entry["m2_per_unit"],
            radius_m=entry["radius_m"], categories=tuple(entry["categories"]),
            facility_categories=None if fc is None else tuple(fc),
            subtypes={c: tuple(v) for c, v in subtypes.items()},
        ))
    if problems:
        raise AllocationError(f"Allocation catalogue {source}: " + "; ".join(problems) + ". Compare with the shipped blockcheck/data/allocation.toml.")
    return AllocationRules(pools=pools, rules=tuple(rules), not_allocated=tuple(doc.get("not_allocated", ())), source=source)


@cache
def _packaged_rules() -> AllocationRules:
    text = _res.files("blockcheck").joinpath("data/allocation.toml").read_text("utf-8")
    return _parse_rules(tomllib.loads(text), "blockcheck/data/allocation.toml")


def allocation_rules(path: str | PathLike | None = None) -> AllocationRules:
    """Load the allocation catalogue: the packaged one, or a TOML file in the same layout.

    Parameters
    ----------
    path
        A TOML file laid out like ``blockcheck/data/allocation.toml``; None for
        the packaged catalogue.

    Returns
    -------
    AllocationRules

    Raises
    ------
    AllocationError
        If the file is missing or unreadable, or a pool or rule is incomplete
        (all problems listed at once).
    """
    if path is None:
        return _packaged_rules()
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AllocationError(f"Allocation catalogue {path}: cannot be read ({err}).") from None
    return _parse_rules(doc, str(path))


def _resolve(value: float | str, standards: Standards, what: str) -> float:
    """A catalogue number, or the value of the standards key it names; must be finite and >= 0."""
    out = float(standards[value]) if isinstance(value, str) else float(value)
    if not np.isfinite(out) or out < 0:
        raise AllocationError(f"{what} = {out} ({value!r}) must be a finite number >= 0.")
    return out


def _default_facility_categories(key: str) -> tuple[str, ...] | None:
    from .metrics.provision import provision_specs

    spec = next((s for s in provision_specs() if s.key == key), None)
    return None if spec is None else spec.categories


# --------------------------------------------------------------- inputs ----


def _check_crs(network: WalkNetwork | None, **layers: object) -> None:
    named = {n: CRS.from_user_input(lay.crs) for n, lay in layers.items() if getattr(lay, "crs", None) is not None}
    if network is not None and network.crs is not None:
        named["walking network"] = CRS.from_user_input(network.crs)
    for name, crs in named.items():
        if not is_metric(crs):
            raise CRSError(f"The {name} are in {crs.to_string()}, which is not a projected CRS in metres. Re-project all layers once to the run's metric CRS (blockcheck.crs.reproject_layers).")
    first = next(iter(named.values()), None)
    if any(not crs.equals(first) for crs in named.values()):
        listing = ", ".join(f"{n}: {c.to_string()}" for n, c in named.items())
        raise CRSError(f"The layers are in different CRSs ({listing}). Re-project all layers once to one metric CRS.")


def _points(geoms: np.ndarray, what: str) -> np.ndarray:
    """Representative points of non-empty geometries (points stay as they are)."""
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        raise InputError(f"{int(bad.sum())} {what} have no geometry. Give every feature a geometry, or drop it.")
    return np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))


def _pool_area_m2(frame: gpd.GeoDataFrame, pools: Mapping[str, ResourcePool]) -> np.ndarray:
    """Pool area (m²) of each resource: its category's field, else its polygon area where allowed."""
    out = np.zeros(len(frame))
    category = frame["category"].to_numpy()
    geoms = frame.geometry.values
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    subtype = frame["subtype"] if "subtype" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    for cat, pool in pools.items():
        sel = category == cat
        if not sel.any():
            continue
        values = pd.to_numeric(frame[pool.field], errors="coerce").to_numpy("float64")[sel] if pool.field in frame.columns else np.full(int(sel.sum()), np.nan)
        if pool.geometry_fallback:
            values = np.where(np.isnan(values) & polygonal[sel], shapely.area(geoms[sel]), values)
        if pool.exclude_subtypes:
            values = np.where(subtype[sel].isin(pool.exclude_subtypes).to_numpy(), 0.0, values)
        out[sel] = np.nan_to_num(np.clip(values, 0.0, None))
    return out


# ------------------------------------------------------------ distances ----


def _pair_walk_distance_m(
    network: WalkNetwork, r_xy: np.ndarray, b_xy: np.ndarray, i: np.ndarray, j: np.ndarray, limit_m: float
) -> np.ndarray:
    """Walking distance between resource point ``i`` and block point ``j`` for each pair (inf beyond `limit_m`).

    d = snap_r + snap_b + min( |o_r − o_b| if same edge,
                               min over ends e of r's edge, f of b's edge: off_r(e) + D(e, f) + off_b(f) ),
    with off(u) = o, off(v) = L − o and D the node-to-node network distance
    (Dijkstra from the ends on the side with fewer distinct end nodes, cut at `limit_m`).
    """
    out = np.full(i.shape[0], np.inf)
    if i.size == 0:
        return out
    sr = snap_points(network, shapely.points(r_xy))
    sb = snap_points(network, shapely.points(b_xy))
    ok = sr.is_snapped[i] & sb.is_snapped[j]
    i, j, pos = i[ok], j[ok], np.flatnonzero(ok)
    if i.size == 0:
        return out

    def ends(s, idx):  # noqa: ANN001, ANN202 - (nodes (2, n), offsets to them (2, n))
        e = s.edge[idx]
        return np.stack([network.u[e], network.v[e]]), np.stack([s.offset_m[idx], network.length_m[e] - s.offset_m[idx]])

    (rn, ro), (bn, bo) = ends(sr, i), ends(sb, j)
    # Dijkstra from whichever side has fewer distinct end nodes (the network is undirected).
    if np.unique(rn).size > np.unique(bn).size:
        rn, ro, bn, bo = bn, bo, rn, ro
    src, src_row = np.unique(rn, return_inverse=True)
    dst, dst_col = np.unique(bn, return_inverse=True)
    src_row, dst_col = src_row.reshape(rn.shape), dst_col.reshape(bn.shape)
    node_d = np.empty((src.size, dst.size))
    batch = max(1, _DIJKSTRA_CELLS // max(network.n_nodes, 1))
    for start in range(0, src.size, batch):
        rows = dijkstra(network.adjacency, directed=True, indices=src[start : start + batch], limit=limit_m)
        node_d[start : start + batch] = rows[:, dst]
    best = np.full(i.shape[0], np.inf)
    for a in range(2):
        for b in range(2):
            best = np.minimum(best, ro[a] + node_d[src_row[a], dst_col[b]] + bo[b])
    same = sr.edge[i] == sb.edge[j]
    best[same] = np.minimum(best[same], np.abs(sr.offset_m[i[same]] - sb.offset_m[j[same]]))
    out[pos] = best + sr.snap_m[i] + sb.snap_m[j]
    return out


# ------------------------------------------------------------- optimise ----


def _solve(
    res: np.ndarray, dem: np.ndarray, gain: np.ndarray, dist: np.ndarray, pool_m2: np.ndarray, demand_m2: np.ndarray
) -> np.ndarray:
    """Lexicographic LP: max Σ gain·x, then min Σ dist·gain·x; returns x (pool m² per arc).

    Phase 1 gives ``Z*``. Phase 2 first solves the weighted LP min Σ (dist − M)·gain·x
    (fast: no dense row); if its solution closes ``Z*`` it is lexicographically optimal
    (for every x closing ``Z*``, cost(x_M) − M·Z* <= cost(x) − M·Z*). Otherwise M grows,
    and finally the LP with the explicit bound Σ gain·x >= Z* decides.
    """
    n = res.shape[0]
    ones = np.ones(n)
    a_pool = coo_matrix((ones, (res, np.arange(n))), shape=(pool_m2.shape[0], n))
    a_dem = coo_matrix((gain, (dem, np.arange(n))), shape=(demand_m2.shape[0], n))
    a_ub = vstack([a_pool, a_dem]).tocsr()
    b_ub = np.concatenate([pool_m2, demand_m2])
    first = linprog(-gain, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if first.status != 0:
        raise AllocationError(f"The allocation optimisation failed in phase 1 (max gap closed): {first.message}")
    closed = -first.fun
    if closed <= 0:
        return np.zeros(n)
    big_m = _BIG_M_FACTOR * (float(dist.max()) + 1.0)
    for _ in range(_BIG_M_TRIES):
        weighted = linprog((dist - big_m) * gain, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if weighted.status == 0 and gain @ weighted.x >= closed * (1 - _CLOSED_RTOL):
            return np.clip(weighted.x, 0.0, None)
        big_m *= _BIG_M_FACTOR
    a_ub2 = vstack([a_ub, coo_matrix(-gain[None, :])]).tocsr()
    for slack in _PHASE2_SLACK:
        second = linprog(dist * gain, A_ub=a_ub2, b_ub=np.append(b_ub, -closed * (1 - slack)), bounds=(0, None), method="highs")
        if second.status == 0:
            return np.clip(second.x, 0.0, None)
    raise AllocationError(f"The allocation optimisation failed in phase 2 (min walking distance): {second.message}")


# ----------------------------------------------------------------- main ----


def _empty_allocation() -> pd.DataFrame:
    types = {"amount": "float64", "resource_share": "float64", "area_used_m2": "float64", "walk_distance_m": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, object)) for c in ALLOCATION_COLUMNS})


def allocate(
    gaps: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
    *,
    rules: AllocationRules | None = None,
    block_points: gpd.GeoSeries | None = None,
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
    m_k``. Both phases are solved with HiGHS (:func:`scipy.optimize.linprog`);
    an optimum need not be unique, and the solver picks one vertex
    deterministically. Assigned areas are rounded to 1 mm² (solver noise).

    **Cost.** Candidate pairs are those within the largest radius in a
    straight line (a KD-tree; a walk is never shorter). Network distances then
    need one Dijkstra (:func:`scipy.sparse.csgraph.dijkstra`, cut at the
    largest radius) per distinct end node of the edges the blocks — or the
    resources, whichever are fewer — are attached to: about ``2 × min(n_blocks,
    n_resources)`` local searches. The LP has one variable per arc and
    dominates the time: on a synthetic grid district of 196 blocks and 1,000
    resources (about 24,000 arcs) ``allocate`` takes about 0.5 s with the
    network (0.9 s straight-line, twice the arcs); 900 blocks and 5,000
    resources (140,000 arcs) about 4 s (14 s straight-line).
    """
    rules = rules or allocation_rules()
    if not isinstance(resources, gpd.GeoDataFrame) or not isinstance(blocks, gpd.GeoDataFrame):
        raise InputError("allocate() needs the resources and blocks as GeoDataFrames.")
    _check_crs(network, resources=resources, blocks=blocks, **({"block points": block_points} if block_points is not None else {}))
    if not blocks.index.is_unique or not gaps.index.is_unique:
        raise InputError("The blocks' or the gaps' index (block_id) has duplicates. Give each block a unique block_id.")
    missing_blocks = gaps.index.difference(blocks.index)
    if len(missing_blocks):
        raise InputError(f"The gaps name {len(missing_blocks)} block(s) not in the blocks layer (e.g. {list(missing_blocks[:3])}). Compute gaps and allocate on the same blocks.")
    missing = [c for c in ("resource_id", "category", "status") if c not in resources.columns]
    if missing:
        raise InputError(f"The resources lack the column(s) {', '.join(missing)} (see the resource list schema).")
    if resources["resource_id"].duplicated().any():
        dup = resources.loc[resources["resource_id"].duplicated(), "resource_id"].unique()[:3].tolist()
        raise InputError(f"The resource list repeats resource_id values (e.g. {dup}). Give each resource a unique id.")
    known = set(rules.pools) | set(rules.not_allocated)
    unknown = sorted(set(resources["category"].dropna().astype(str)) - known)
    if unknown or resources["category"].isna().any():
        raise InputError(f"Resource categories {unknown or '[missing]'} are not in the allocation catalogue ({rules.source}; known: {sorted(known)}). Fix the resource list or add a [pools.<category>] entry.")
    bad_status = sorted(set(resources["status"].astype(str)) - set(_STATUSES))
    if bad_status:
        raise InputError(f"Resource statuses {bad_status} are not one of {list(_STATUSES)}.")

    # ---- gaps (in key units) and rule constants
    keys = [c[4:] for c in gaps.columns if isinstance(c, str) and c.startswith("gap_")]
    gap = {k: np.nan_to_num(pd.to_numeric(gaps[f"gap_{k}"], errors="coerce").to_numpy("float64")).clip(0.0, None) for k in keys}
    active = [r for r in rules.rules if r.key in gap and (gap[r.key] > 0).any()]
    m2_per_unit = {r.key: _resolve(r.m2_per_unit, standards, f"{r.key}: m2_per_unit") for r in active}
    radius = {r.key: _resolve(r.radius_m, standards, f"{r.key}: radius_m") for r in active}
    for k, v in m2_per_unit.items():
        if v <= 0:
            raise AllocationError(f"{k}: m2_per_unit must be > 0 (got {v}).")

    # ---- usable resources and their pools
    usable = resources[resources["status"].isin(USABLE_STATUSES).to_numpy() & resources["category"].isin(list(rules.pools)).to_numpy()]
    pool_m2 = _pool_area_m2(usable, rules.pools)
    usable, pool_m2 = usable[pool_m2 > 0], pool_m2[pool_m2 > 0]
    r_cat = usable["category"].to_numpy()
    fac = usable["facility_category"] if "facility_category" in usable.columns else pd.Series(None, index=usable.index, dtype=object)
    fac = fac.where(fac.notna() & (fac.astype(str).str.strip() != ""), None).to_numpy()
    r_sub = (usable["subtype"] if "subtype" in usable.columns else pd.Series(None, index=usable.index, dtype=object)).to_numpy()

    # ---- arcs (resource, block, key) within reach
    g_pos = blocks.index.get_indexer(gaps.index)
    arcs: list[tuple[np.ndarray, ...]] = []
    dist_kind = "network" if network is not None else "straight_line"
    if active and len(usable):
        b_geom = blocks.geometry.values if block_points is None else block_points.reindex(blocks.index).values
        if block_points is not None and pd.isna(block_points.reindex(blocks.index)).any():
            raise InputError("block_points lacks a point for some blocks. Give one point per block_id.")
        b_xy = shapely.get_coordinates(_points(np.asarray(b_geom, dtype=object)[g_pos], "blocks"))
        r_xy = shapely.get_coordinates(_points(np.asarray(usable.geometry.values, dtype=object), "resources"))
        max_radius = max(radius.values()) + DISTANCE_TOLERANCE_M
        pairs = cKDTree(r_xy).sparse_distance_matrix(cKDTree(b_xy), max_radius, output_type="ndarray")
        pi, pj = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
        pair_m = np.hypot(*(r_xy[pi] - b_xy[pj]).T)
        if network is not None:
            pair_m = _pair_walk_distance_m(network, r_xy, b_xy, pi, pj, max_radius)
        for rule in active:
            ok_cat = np.isin(r_cat, rule.categories)
            allowed = rule.facility_categories if rule.facility_categories is not None else _default_facility_categories(rule.key)
            if allowed is not None:
                ok_cat &= pd.isna(fac) | np.isin(fac.astype(str), list(allowed))
            for cat, subs in rule.subtypes.items():
                ok_cat &= (r_cat != cat) | pd.Series(r_sub).isin(subs).to_numpy()
            sel = ok_cat[pi] & (gap[rule.key][pj] > 0) & (pair_m <= radius[rule.key] + DISTANCE_TOLERANCE_M)
            if not sel.any():
                continue
            gain_by_cat = {c: _resolve(rules.pools[c].factor(rule.area), standards, f"pools.{c}: {rule.area}_m2_per_m2") for c in rule.categories}
            gain = np.array([gain_by_cat[c] for c in r_cat[pi[sel]]])
            keep = gain > 0
            arcs.append((pi[sel][keep], pj[sel][keep], np.full(int(keep.sum()), active.index(rule)), gain[keep], pair_m[sel][keep]))

    # ---- solve
    units = {r.key: r.unit for r in rules.rules}
    allocated = {k: np.zeros(len(gaps)) for k in keys}
    allocation = _empty_allocation()
    if arcs:
        a_r, a_b, a_k, a_g, a_d = (np.concatenate(parts) for parts in zip(*arcs, strict=True))
        dem_keys, a_dem = np.unique(np.stack([a_k, a_b]), axis=1, return_inverse=True)
        a_dem = a_dem.reshape(-1)
        m_k = np.array([m2_per_unit[r.key] for r in active])
        demand_m2 = np.array([gap[active[k].key][b] for k, b in dem_keys.T]) * m_k[dem_keys[0]]
        used_r, a_res = np.unique(a_r, return_inverse=True)
        x = _solve(a_res.reshape(-1), a_dem, a_g, a_d, pool_m2[used_r], demand_m2)
        x = np.round(x, _AREA_DECIMALS)
        x[x <= _FLOW_NOISE * pool_m2[a_r]] = 0.0
        on = x > 0
        amount = a_g[on] * x[on] / m_k[a_k[on]]
        key_names = np.array([r.key for r in active], dtype=object)[a_k[on]]
        for k in {r.key for r in active}:
            sel = key_names == k
            allocated[k] += np.bincount(a_b[on][sel], weights=amount[sel], minlength=len(gaps))
        allocation = pd.DataFrame({
            "resource_id": usable["resource_id"].to_numpy()[a_r[on]],
            "block_id": gaps.index.to_numpy()[a_b[on]],
            "provision_key": key_names,
            "amount": amount,
            "unit": [units[k] for k in key_names],
            "resource_share": np.minimum(x[on] / pool_m2[a_r[on]], 1.0),
            "area_used_m2": x[on],
            "walk_distance_m": a_d[on],
            "category": r_cat[a_r[on]],
            "_b": a_b[on],
            "_k": a_k[on],
        }).sort_values(["_b", "_k", "walk_distance_m", "resource_id"], kind="stable").drop(columns=["_b", "_k"]).reset_index(drop=True)
        allocation.insert(0, "allocation_id", [f"AL-{n:05d}" for n in range(1, len(allocation) + 1)])
        allocation = allocation[list(ALLOCATION_COLUMNS)]
    allocation.attrs["distance"] = dist_kind

    # ---- remaining gaps
    rows = []
    for k in keys:
        has = gap[k] > 0
        alloc = np.minimum(allocated[k][has], gap[k][has])
        rest = gap[k][has] - alloc
        rest[rest <= _REST_NOISE * np.maximum(gap[k][has], 1.0)] = 0.0
        rows.append(pd.DataFrame({"block_id": gaps.index.to_numpy()[has], "provision_key": k, "unit": units.get(k, ""), "gap": gap[k][has], "allocated": alloc, "remaining_gap": rest, "_b": np.flatnonzero(has)}))
    remaining = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({c: [] for c in (*REMAINING_COLUMNS, "_b")})
    remaining = remaining.sort_values("_b", kind="stable").drop(columns="_b").reset_index(drop=True)[list(REMAINING_COLUMNS)]
    for c in ("gap", "allocated", "remaining_gap"):
        remaining[c] = remaining[c].astype("float64")
    remaining.attrs["distance"] = dist_kind
    return allocation, remaining


def allocation_summary(allocation: pd.DataFrame, remaining: pd.DataFrame) -> pd.DataFrame:
    """Per block and provision key: gap, allocated, remaining, and how far the resources are.

    Parameters
    ----------
    allocation, remaining
        The two tables returned by :func:`allocate`.

    Returns
    -------
    pandas.DataFrame
        One row per row of `remaining`: ``block_id``, ``provision_key``,
        ``unit``, ``gap``, ``allocated``, ``remaining_gap``, ``closed_ratio =
        allocated / gap`` (in [0, 1]), ``resource_count`` (distinct resources
        used), ``mean_walk_distance_m = Σ amount·d / Σ amount`` and
        ``max_walk_distance_m`` (NaN where nothing was allocated).
    """
    out = remaining[["block_id", "provision_key", "unit", "gap", "allocated", "remaining_gap"]].copy()
    out["closed_ratio"] = np.where(out["gap"] > 0, out["allocated"] / out["gap"].where(out["gap"] > 0, 1.0), np.nan)
    if allocation.empty:
        stats = pd.DataFrame(columns=["block_id", "provision_key", "resource_count", "mean_walk_distance_m", "max_walk_distance_m"])
    else:
        a = allocation.assign(_ad=allocation["amount"] * allocation["walk_distance_m"])
        grouped = a.groupby(["block_id", "provision_key"], sort=False)
        stats = pd.DataFrame({
            "resource_count": grouped["resource_id"].nunique(),
            "mean_walk_distance_m": grouped["_ad"].sum() / grouped["amount"].sum(),
            "max_walk_distance_m": grouped["walk_distance_m"].max(),
        }).reset_index()
    out = out.merge(stats, on=["block_id", "provision_key"], how="left")
    out["resource_count"] = out["resource_count"].fillna(0).astype("int64")
    for c in ("mean_walk_distance_m", "max_walk_distance_m"):
        out[c] = out[c].astype("float64")
    return out[list(SUMMARY_COLUMNS)]
