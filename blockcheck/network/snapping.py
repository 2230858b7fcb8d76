"""Attaching points to the walking network: nearest point of the nearest edge, and the costs to its end nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from blockcheck.errors import CRSError, InputError
from blockcheck.network.graph import WalkNetwork, _PieceIndex

__all__ = ["Access", "Snapped", "access_costs", "point_array", "snap_points"]


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points attached to a :class:`WalkNetwork`, in the order they were given.

    Attributes
    ----------
    edge
        Index of the edge each point is attached to; ``-1`` when the point is
        farther than the snapping limit from every edge.
    offset_m
        Distance along the edge from its node ``u`` to the attachment point, in
        metres (``0 <= offset_m <= length_m``; NaN when not attached).
    snap_m
        Straight-line distance from the point to its attachment point, in metres
        (inf when not attached).
    fragment_edge
        The fragment edge each point is nearest to when that moved it farther
        to an edge outside fragments, else ``-1``; None when the network has no
        fragment (see :func:`snap_points`).
    """

    edge: np.ndarray
    offset_m: np.ndarray
    snap_m: np.ndarray
    fragment_edge: np.ndarray | None = None
    #: Cache of :func:`access_costs` per network (filled on first use).
    _access: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    def take(self, positions: np.ndarray) -> Snapped:
        """The points at `positions` (indices or a boolean mask), with their cached access costs."""
        frag = None if self.fragment_edge is None else self.fragment_edge[positions]
        out = Snapped(self.edge[positions], self.offset_m[positions], self.snap_m[positions], frag)
        for key, (network, access) in self._access.items():
            out._access[key] = (
                network,
                Access(
                    access.node_u[positions],
                    access.node_v[positions],
                    access.cost_u_m[positions],
                    access.cost_v_m[positions],
                ),
            )
        return out

    @property
    def is_snapped(self) -> np.ndarray:
        """Boolean array: True where the point is attached to an edge."""
        return self.edge >= 0


@dataclass(frozen=True, eq=False)
class Access:
    """How snapped points reach the network's nodes: the two end nodes of their edge and the cost to each.

    ``cost_u_m = snap_m + offset_m`` and ``cost_v_m = snap_m + length_m - offset_m``
    (inf, with node 0, where the point is not attached), so that the walking
    distance from the point to anything through node ``u`` is ``cost_u_m + D[u]``.
    """

    node_u: np.ndarray
    node_v: np.ndarray
    cost_u_m: np.ndarray
    cost_v_m: np.ndarray


def access_costs(network: WalkNetwork, snapped: Snapped) -> Access:
    """The :class:`Access` of `snapped` on `network`, computed once per network and cached on `snapped`.

    Searches from the same snapped points (one per facility category for the
    same residents) then only gather node distances.
    """
    cached = snapped._access.get(id(network))
    if cached is not None and cached[0] is network:
        return cached[1]
    ok = snapped.edge >= 0
    edge = np.where(ok, snapped.edge, 0)
    snap_m = np.where(ok, snapped.snap_m, np.inf)
    offset_m = np.where(ok, snapped.offset_m, 0.0)
    access = Access(
        node_u=network.u[edge],
        node_v=network.v[edge],
        cost_u_m=snap_m + offset_m,
        cost_v_m=snap_m + (network.length_m[edge] - offset_m),
    )
    snapped._access.clear()
    snapped._access[id(network)] = (network, access)
    return access


# ------------------------------------------------------------------ snap ----


def point_array(points: object, *, what: str = "points") -> np.ndarray:
    """Shapely Point geometries of `points` as an object array.

    Parameters
    ----------
    points
        A GeoDataFrame, GeoSeries, one shapely geometry or a sequence of them.
    what
        What the points are (``"residents"``), for the message.

    Returns
    -------
    numpy.ndarray
        One-dimensional object array of shapely Points.

    Raises
    ------
    blockcheck.errors.InputError
        If a geometry is missing, empty or not a Point (the first one is named).
    """
    if isinstance(points, gpd.GeoDataFrame):
        points = points.geometry
    if isinstance(points, gpd.GeoSeries):
        geoms = np.asarray(points.values, dtype=object)
    elif isinstance(points, shapely.Geometry):
        geoms = np.array([points], dtype=object)
    else:
        geoms = np.asarray(points, dtype=object).reshape(-1)
    bad = (shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        kind = "missing" if geoms[pos] is None else ("empty" if shapely.is_empty(geoms[pos]) else geoms[pos].geom_type)
        msg = (
            f"{int(bad.sum())} of the {geoms.shape[0]} {what} are not non-empty Points (the first, at position {pos}, "
            f"is {kind}). "
            "Snap points only: for polygons pass their entry points (blockcheck.network.feature_entries) or "
            "representative points (shapely.point_on_surface), and drop missing geometries."
        )
        raise InputError(msg)
    return geoms


def _check_network_crs(network: WalkNetwork, points: object, what: str) -> None:
    crs = getattr(points, "crs", None)
    if crs is not None and network.crs is not None and not CRS.from_user_input(crs).equals(network.crs):
        msg = (
            f"The {what} are in {crs.to_string()} but the walking network is in {network.crs.to_string()}. Re-project "
            "all layers once to one metric CRS."
        )
        raise CRSError(msg)


def snap_points(network: WalkNetwork, points: object, *, max_snap_m: float = np.inf) -> Snapped:
    """Attach points to the nearest point of the nearest network edge outside fragments.

    Parameters
    ----------
    network
        The walking network.
    points
        Point geometries (GeoSeries, GeoDataFrame, shapely array or list) in the
        network CRS.
    max_snap_m
        Points farther than this from every edge stay unattached
        (``edge == -1``, ``snap_m == inf``). Default: no limit.

    Returns
    -------
    Snapped
        Edge index, offset along the edge from ``u`` (m) and snap distance (m),
        one entry per point, in input order; the points' end nodes and costs to
        them (:func:`access_costs`) are computed here too.

    Raises
    ------
    blockcheck.errors.InputError
        If a geometry is not a non-empty Point (pass representative points of polygons).
    blockcheck.errors.CRSError
        If `points` carry a CRS different from the network's.

    Notes
    -----
    Exact nearest-point snapping onto edges (not nodes), computed in bulk:
    edges are cut into straight pieces of at most :data:`SNAP_PIECE_MAX_M`; a
    KD-tree gives each point the ``k`` pieces with the nearest midpoints and
    the point-to-segment distance is computed for those. Since a piece of
    half-length ``<= h`` whose midpoint is ``m`` away is at least ``m - h``
    away, the result is proven nearest when it is no farther than
    ``m_k - h`` (``m_k``: the k-th midpoint distance). Points not proven so
    are retried with a larger ``k`` and finally with
    :meth:`shapely.STRtree.query_nearest` and :func:`shapely.line_locate_point`.
    Among equidistant edges one is chosen arbitrarily.

    Fragments (issue 19.4): no point is attached to an edge of a fragment
    (a small connected component, :func:`build_walk_network`'s
    ``fragment_max_m``). A point whose nearest edge lies in a fragment is
    attached to the nearest edge outside fragments instead, by the same rule
    and within the same `max_snap_m` (beyond it: unattached); when that moves
    it farther, ``fragment_edge`` keeps the fragment edge it was nearest to
    (for the report), otherwise -1. Points nearest to an edge outside
    fragments are attached exactly as without fragments.
    """
    _check_network_crs(network, points, "points")
    geoms = point_array(points)
    max_snap_m = float(max_snap_m)
    edge, offset_m, snap_m = _nearest(network.pieces, network.tree, None, network, geoms, max_snap_m)
    fragment_edge = None
    if network.main_pieces is not None:
        fragment_edge = np.full(edge.shape[0], -1, dtype=np.int64)
        on = np.flatnonzero((edge >= 0) & network.fragment[np.maximum(edge, 0)])
        if on.size:
            main_edge = np.flatnonzero(~network.fragment)
            e, o, d = _nearest(network.main_pieces, network.main_tree, main_edge, network, geoms[on], max_snap_m)
            moved = d > snap_m[on]  # equidistant with an edge outside fragments: not moved, not counted
            fragment_edge[on[moved]] = edge[on]
            edge[on], offset_m[on], snap_m[on] = e, o, d
    snapped = Snapped(edge, offset_m, snap_m, fragment_edge)
    if edge.shape[0]:
        access_costs(network, snapped)  # end nodes and costs, reused by every search
    return snapped


def _nearest(
    pieces: _PieceIndex | None,
    tree: shapely.STRtree,
    tree_edge: np.ndarray | None,
    network: WalkNetwork,
    geoms: np.ndarray,
    max_snap_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge, offset along it and distance of the nearest point on the edges of `pieces` / `tree`.

    `tree_edge` maps the tree's positions to edge numbers (None: the same).
    """
    n = geoms.shape[0]
    edge = np.full(n, -1, dtype=np.int64)
    offset_m = np.full(n, np.nan)
    snap_m = np.full(n, np.inf)
    if n == 0:
        return edge, offset_m, snap_m
    xy = shapely.get_coordinates(geoms)
    todo = np.arange(n)
    if pieces is not None:
        todo = _snap_by_pieces(pieces, xy, max_snap_m, edge, offset_m, snap_m)
    if todo.size:
        limit = {} if not np.isfinite(max_snap_m) else {"max_distance": max_snap_m}
        (ipt, iedge), dist = tree.query_nearest(geoms[todo], return_distance=True, all_matches=False, **limit)
        ipt = todo[ipt]
        iedge = iedge if tree_edge is None else tree_edge[iedge]
        edge[ipt] = iedge
        snap_m[ipt] = dist
        offset_m[ipt] = shapely.line_locate_point(network.geometry[iedge], geoms[ipt])
    ok = edge >= 0
    offset_m[ok] = np.clip(offset_m[ok], 0.0, network.length_m[edge[ok]])
    return edge, offset_m, snap_m


#: Numbers of nearest pieces tried in turn by the KD-tree snapping.
_SNAP_K = (4, 16, 64)
#: Candidate (point × piece) pairs handled at once (bounds memory use).
_SNAP_PAIRS_PER_CHUNK = 1 << 20


def _snap_by_pieces(
    pieces: _PieceIndex,
    xy: np.ndarray,
    max_snap_m: float,
    edge: np.ndarray,
    offset_m: np.ndarray,
    snap_m: np.ndarray,
) -> np.ndarray:
    """Fill edge/offset_m/snap_m (in place) where the KD-tree bound proves the nearest piece.

    Returns the positions of the points left unresolved.
    """
    n_pieces = pieces.length_m.shape[0]
    half_m = pieces.half_length_max_m
    p_all = xy - pieces.origin_m
    todo = np.arange(xy.shape[0])
    for k_try in _SNAP_K:
        if todo.size == 0:
            break
        k = min(k_try, n_pieces)
        left = []
        n_chunks = max(1, -(-todo.size * k // _SNAP_PAIRS_PER_CHUNK))
        for chunk in np.array_split(todo, n_chunks):
            p = p_all[chunk]
            mid_m, cand = pieces.tree.query(p, k=k, distance_upper_bound=max_snap_m + half_m, workers=-1)
            mid_m, cand = mid_m.reshape(len(chunk), k), cand.reshape(len(chunk), k)
            missing = cand >= n_pieces
            cand = np.where(missing, 0, cand)
            dx, dy = pieces.delta_xy[cand, 0], pieces.delta_xy[cand, 1]
            px = p[:, 0, None] - pieces.start_xy[cand, 0]
            py = p[:, 1, None] - pieces.start_xy[cand, 1]
            len2 = dx * dx + dy * dy
            t = np.clip((px * dx + py * dy) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
            dist = np.hypot(px - t * dx, py - t * dy)
            dist[missing] = np.inf
            j = dist.argmin(axis=1)
            rows = np.arange(len(chunk))
            best_m = dist[rows, j]
            proven = best_m <= mid_m[:, -1] - half_m if k < n_pieces else np.ones(len(chunk), dtype=bool)
            hit = proven & (best_m <= max_snap_m)
            piece = cand[rows, j][hit]
            at = chunk[hit]
            edge[at] = pieces.edge[piece]
            snap_m[at] = best_m[hit]
            offset_m[at] = pieces.start_offset_m[piece] + t[rows, j][hit] * pieces.length_m[piece]
            left.append(chunk[~proven])
        todo = np.concatenate(left)
    return todo
