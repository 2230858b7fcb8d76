"""The walking network: roads noded into a graph, point snapping and nearest-source walking distances.

The network is kept as plain arrays (node coordinates, edge end nodes, edge
lengths and geometries, an STRtree over the edges and a scipy CSR adjacency),
so that distances are computed with one :func:`scipy.sparse.csgraph.dijkstra`
call per search, whatever the number of sources. :func:`to_networkx` exports
the same network as a :class:`networkx.Graph` for inspection and plotting; it
is never used for computation.

Points (residents, facilities, park access points) are attached to the network
on the nearest point of the nearest *edge* (not the nearest node): a point is
described by its edge, its offset along that edge from the edge's first node
``u`` and its straight-line snap distance. The walking distance between two
snapped points is

    snap(source) + along-network distance + snap(target),

where the along-network part starts and ends at the snapped positions, inside
the edges (see :func:`nearest_source_distance_m`).

All coordinates are in one projected CRS with metre units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from .crs import is_metric
from .errors import CRSError, InputError

__all__ = [
    "DEFAULT_EXCLUDE_CLASSES",
    "DEFAULT_STATUSES",
    "DISTANCE_TOLERANCE_M",
    "NODE_PRECISION_M",
    "SNAP_PIECE_MAX_M",
    "Snapped",
    "WalkNetwork",
    "build_walk_network",
    "nearest_source_distance_m",
    "snap_points",
    "to_networkx",
]

#: Road statuses walked on by default (planned roads cannot be walked yet).
DEFAULT_STATUSES = ("built",)
#: Road classes left out of the walking network by default (no pedestrians on expressways).
DEFAULT_EXCLUDE_CLASSES = ("expressway",)
#: Line ends closer than this (after rounding to this grid) become one node.
NODE_PRECISION_M = 0.01
#: Straight pieces of edges are cut to at most this length for the snapping index.
SNAP_PIECE_MAX_M = 50.0
#: Slack for floating-point error when a distance is compared with a limit
#: ("within 500 m" is ``d <= 500 + DISTANCE_TOLERANCE_M``).
DISTANCE_TOLERANCE_M = 1e-6


@dataclass(frozen=True, eq=False)
class _PieceIndex:
    """Straight pieces of all edges, with a KD-tree over their midpoints (for fast snapping).

    Coordinates are relative to `origin_m` (for precision with large CRS
    coordinates). Each piece runs from ``start_xy`` by ``delta_xy``; it lies on
    edge ``edge`` from offset ``start_offset_m`` for ``length_m`` metres.
    """

    origin_m: np.ndarray
    start_xy: np.ndarray
    delta_xy: np.ndarray
    length_m: np.ndarray
    start_offset_m: np.ndarray
    edge: np.ndarray
    half_length_max_m: float
    tree: cKDTree


def _piece_index(edges: np.ndarray, *, piece_max_m: float = SNAP_PIECE_MAX_M) -> _PieceIndex:
    xy, idx = shapely.get_coordinates(edges, return_index=True)
    origin_m = xy.min(axis=0)
    xy = xy - origin_m
    same = idx[1:] == idx[:-1]
    a, b, edge = xy[:-1][same], xy[1:][same], idx[:-1][same]
    seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    # Offset of each segment start along its edge: per-edge running sum (exact restart per edge).
    seg_start = pd.Series(seg_len).groupby(edge, sort=False).cumsum().to_numpy() - seg_len
    n_pieces = np.maximum(1, np.ceil(seg_len / piece_max_m).astype(np.int64))
    rep = np.repeat(np.arange(seg_len.shape[0]), n_pieces)
    k = np.arange(rep.shape[0]) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
    frac = (k / n_pieces[rep])[:, None]
    delta = (b - a)[rep] / n_pieces[rep][:, None]
    start = a[rep] + (b - a)[rep] * frac
    length_m = seg_len[rep] / n_pieces[rep]
    return _PieceIndex(
        origin_m=origin_m,
        start_xy=start,
        delta_xy=delta,
        length_m=length_m,
        start_offset_m=seg_start[rep] + seg_len[rep] * frac[:, 0],
        edge=edge[rep],
        half_length_max_m=float(length_m.max(initial=0.0)) / 2,
        tree=cKDTree(start + delta / 2),
    )


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected walking network as arrays.

    Attributes
    ----------
    node_xy_m
        ``(n_nodes, 2)`` float array of node coordinates (metres, the network CRS).
    u, v
        ``(n_edges,)`` int arrays: first and last node of each edge. Offsets along
        an edge are measured from ``u``.
    length_m
        ``(n_edges,)`` float array of edge lengths in metres (all > 0).
    geometry
        ``(n_edges,)`` array of shapely LineStrings, each running from ``u`` to ``v``.
    tree
        :class:`shapely.STRtree` over `geometry` (positions are edge indices).
    adjacency
        Symmetric ``n_nodes × n_nodes`` :class:`scipy.sparse.csr_matrix` of edge
        lengths in metres; parallel edges keep the shortest, self-loops are left out.
    crs
        CRS of the roads the network was built from, or None if they had none.
    pieces
        Private snapping index (edges cut into straight pieces of at most
        :data:`SNAP_PIECE_MAX_M`, KD-tree over their midpoints).
    """

    node_xy_m: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    geometry: np.ndarray
    tree: shapely.STRtree = field(repr=False)
    adjacency: csr_matrix = field(repr=False)
    crs: CRS | None = None
    pieces: _PieceIndex | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy_m.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.length_m.shape[0])

    def __repr__(self) -> str:
        return f"WalkNetwork(n_nodes={self.n_nodes}, n_edges={self.n_edges}, total_length_m={float(self.length_m.sum()):.1f})"

    def to_networkx(self) -> nx.Graph:
        """The network as a :class:`networkx.Graph` (see :func:`to_networkx`)."""
        return to_networkx(self)


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
    """

    edge: np.ndarray
    offset_m: np.ndarray
    snap_m: np.ndarray

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    @property
    def is_snapped(self) -> np.ndarray:
        """Boolean array: True where the point is attached to an edge."""
        return self.edge >= 0


# ----------------------------------------------------------------- build ----


def _line_parts(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Single LineStrings of the roads (multi-parts exploded, empty/missing dropped)."""
    geoms = np.asarray(roads.geometry.values, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    type_ids = shapely.get_type_id(geoms)
    bad = ~np.isin(type_ids, (1, 5))  # LineString, MultiLineString
    if bad.any():
        kinds = sorted(set(shapely.get_type_id(geoms[bad]).tolist()))
        names = ", ".join(shapely.GeometryType(k).name for k in kinds)
        msg = f"The roads layer holds {int(bad.sum())} non-line geometries ({names}). Roads must be LineStrings or MultiLineStrings; remove or convert the other features."
        raise InputError(msg)
    return shapely.get_parts(geoms)


def build_walk_network(
    roads: gpd.GeoDataFrame,
    *,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    exclude_classes: Iterable[str] = DEFAULT_EXCLUDE_CLASSES,
    node_precision_m: float = NODE_PRECISION_M,
    largest_component_only: bool = False,
) -> WalkNetwork:
    """Build the walking network from road centre lines.

    Parameters
    ----------
    roads
        Road lines (the ``roads`` layer) in a projected CRS with metre units,
        with the fields ``class`` and ``status`` of the input data model.
    statuses
        Road statuses that can be walked (default: only ``"built"``).
    exclude_classes
        Road classes left out (default: ``"expressway"``).
    node_precision_m
        Line ends and crossings are merged into one node when they fall on the
        same point of a grid of this spacing (default 0.01 m = 1 cm).
    largest_component_only
        Keep only the connected piece of network with the greatest total length.
        Default False: isolated pieces (e.g. a built road whose links are still
        planned) stay, and points snapped to them reach only what lies on them.

    Returns
    -------
    WalkNetwork
        Nodes at every crossing and line end, one edge per noded piece of line.

    Raises
    ------
    blockcheck.errors.InputError
        If ``class`` or ``status`` is missing, a geometry is not a line, or no
        road is left to walk on.
    blockcheck.errors.CRSError
        If the roads are in a geographic (degree) CRS.

    Notes
    -----
    Selected lines are noded with :func:`shapely.node` (GEOS noding): lines are
    split wherever they cross or touch, and overlapping duplicates are merged.
    Every crossing therefore becomes a junction, including bridges and
    underpasses that the data do not separate (a known simplification of
    centre-line networks). Edges of zero length are dropped; parallel edges
    between the same two nodes are kept as edges (points can snap to either)
    but the adjacency keeps only the shortest.
    """
    if roads.crs is not None and not is_metric(roads.crs):
        msg = f"The roads are in {roads.crs.to_string()}, which is not a projected CRS in metres. Re-project all layers once to the run's metric CRS (blockcheck.crs.reproject_layers) before building the walking network."
        raise CRSError(msg)
    missing = [c for c in ("class", "status") if c not in roads.columns]
    if missing:
        msg = f"The roads layer lacks the field(s) {', '.join(missing)} needed to choose walkable roads. Add them (see docs/data-model.md) or map them with a field-mapping file."
        raise InputError(msg)
    statuses = tuple(statuses)
    exclude_classes = tuple(exclude_classes)
    keep = roads["status"].isin(statuses).to_numpy() & ~roads["class"].isin(exclude_classes).to_numpy()
    lines = _line_parts(roads.loc[keep]) if keep.any() else np.empty(0, dtype=object)
    if lines.size == 0:
        msg = (
            f"No walkable roads: none of the {len(roads)} roads has status in {list(statuses)} and class outside {list(exclude_classes)}. "
            "Check the status and class values of the roads layer, or pass other statuses / exclude_classes."
        )
        raise InputError(msg)

    edges = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
    length_m = shapely.length(edges)
    edges, length_m = edges[length_m > 0], length_m[length_m > 0]

    # End nodes: first and last coordinate of each edge, merged on a grid of node_precision_m.
    coords_xy, coord_edge = shapely.get_coordinates(edges, return_index=True)
    last = np.cumsum(np.bincount(coord_edge, minlength=edges.shape[0])) - 1
    first_coord = np.r_[0, last[:-1] + 1]
    ends_xy = np.concatenate([coords_xy[first_coord], coords_xy[last]])
    keys = np.round(ends_xy / node_precision_m).astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    node_xy_m = ends_xy[first]
    n_edges = edges.shape[0]
    u, v = inverse[:n_edges], inverse[n_edges:]
    # A loop shorter than the node precision is a degenerate (zero-length) edge.
    ok = ~((u == v) & (length_m < node_precision_m))
    edges, length_m, u, v = edges[ok], length_m[ok], u[ok], v[ok]
    adjacency = _adjacency(u, v, length_m, node_xy_m.shape[0])
    if largest_component_only:
        _, label = connected_components(adjacency, directed=False)
        main = np.argmax(np.bincount(label[u], weights=length_m))
        keep_edge = label[u] == main
        edges, length_m, u, v = edges[keep_edge], length_m[keep_edge], u[keep_edge], v[keep_edge]
        used, uv = np.unique(np.concatenate([u, v]), return_inverse=True)
        node_xy_m = node_xy_m[used]
        u, v = uv[: u.shape[0]], uv[u.shape[0] :]
        adjacency = _adjacency(u, v, length_m, node_xy_m.shape[0])
    return WalkNetwork(
        node_xy_m=node_xy_m,
        u=u,
        v=v,
        length_m=length_m,
        geometry=edges,
        tree=shapely.STRtree(edges),
        adjacency=adjacency,
        crs=roads.crs,
        pieces=_piece_index(edges),
    )


def _adjacency(u: np.ndarray, v: np.ndarray, length_m: np.ndarray, n_nodes: int) -> csr_matrix:
    """Symmetric CSR of edge lengths; the shortest of parallel edges; no self-loops."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length_m, b, a))
    a, b, w = a[order], b[order], length_m[order]
    first = np.ones(a.shape[0], dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    first &= a != b
    a, b, w = a[first], b[first], w[first]
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    return csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(n_nodes, n_nodes))


def to_networkx(network: WalkNetwork) -> nx.Graph:
    """The walking network as a new :class:`networkx.Graph`.

    Parameters
    ----------
    network
        The walking network.

    Returns
    -------
    networkx.Graph
        Nodes are the integers ``0 … n_nodes-1`` with attributes ``x`` and
        ``y`` (metres); edges carry ``length_m``, ``geometry`` (a LineString)
        and the edge index ``edge``. Between two nodes joined by parallel edges
        the shortest is kept (a simple graph, like the CSR adjacency). The graph
        attribute ``crs`` holds the network CRS.

    Notes
    -----
    The export is for inspection, plotting and interoperability; blockcheck
    computes with the array form (scipy), which is much faster.
    """
    graph = nx.Graph(crs=network.crs)
    graph.add_nodes_from((i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(network.node_xy_m))
    # Longest first, so that the shortest of parallel edges is written last and kept.
    order = np.argsort(-network.length_m, kind="stable")
    graph.add_edges_from(
        (int(network.u[i]), int(network.v[i]), {"length_m": float(network.length_m[i]), "geometry": network.geometry[i], "edge": int(i)})
        for i in order
    )
    return graph


# ------------------------------------------------------------------ snap ----


def _point_array(points: object, *, what: str = "points") -> np.ndarray:
    """Shapely Point geometries of `points` as an object array; InputError otherwise."""
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
            f"{int(bad.sum())} of the {geoms.shape[0]} {what} are not non-empty Points (the first, at position {pos}, is {kind}). "
            "Snap points only: for polygons pass e.g. their representative points (shapely.point_on_surface), and drop missing geometries."
        )
        raise InputError(msg)
    return geoms


def _check_network_crs(network: WalkNetwork, points: object, what: str) -> None:
    crs = getattr(points, "crs", None)
    if crs is not None and network.crs is not None and not CRS.from_user_input(crs).equals(network.crs):
        msg = f"The {what} are in {crs.to_string()} but the walking network is in {network.crs.to_string()}. Re-project all layers once to one metric CRS."
        raise CRSError(msg)


def snap_points(network: WalkNetwork, points: object, *, max_snap_m: float = np.inf) -> Snapped:
    """Attach points to the nearest point of the nearest network edge.

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
        one entry per point, in input order.

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
    """
    _check_network_crs(network, points, "points")
    geoms = _point_array(points)
    n = geoms.shape[0]
    edge = np.full(n, -1, dtype=np.int64)
    offset_m = np.full(n, np.nan)
    snap_m = np.full(n, np.inf)
    if n == 0:
        return Snapped(edge, offset_m, snap_m)
    max_snap_m = float(max_snap_m)
    xy = shapely.get_coordinates(geoms)
    todo = np.arange(n)
    if network.pieces is not None:
        todo = _snap_by_pieces(network.pieces, xy, max_snap_m, edge, offset_m, snap_m)
    if todo.size:
        limit = {} if not np.isfinite(max_snap_m) else {"max_distance": max_snap_m}
        (ipt, iedge), dist = network.tree.query_nearest(geoms[todo], return_distance=True, all_matches=False, **limit)
        ipt = todo[ipt]
        edge[ipt] = iedge
        snap_m[ipt] = dist
        offset_m[ipt] = shapely.line_locate_point(network.geometry[iedge], geoms[ipt])
    ok = edge >= 0
    offset_m[ok] = np.clip(offset_m[ok], 0.0, network.length_m[edge[ok]])
    return Snapped(edge, offset_m, snap_m)


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


# -------------------------------------------------------------- distance ----


def _segmented_running_min(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running minimum of `values` restarting at each new value of `groups` (sorted)."""
    return pd.Series(values).groupby(groups, sort=False).cummin().to_numpy()


def _same_edge_distance_m(sources: Snapped, targets: Snapped, s_ok: np.ndarray, t_idx: np.ndarray) -> np.ndarray:
    """min over sources s on the target's edge of snap_s + |offset_t - offset_s| (inf if none).

    Sources and targets are sorted together by (edge, offset, sources first);
    a forward running minimum of ``snap_s - offset_s`` gives the best source at
    or before each target, a backward one of ``snap_s + offset_s`` the best
    source after it.
    """
    s_edge, s_off, s_snap = sources.edge[s_ok], sources.offset_m[s_ok], sources.snap_m[s_ok]
    t_edge, t_off = targets.edge[t_idx], targets.offset_m[t_idx]
    n_s = s_edge.shape[0]
    edge = np.concatenate([s_edge, t_edge])
    off = np.concatenate([s_off, t_off])
    is_target = np.concatenate([np.zeros(n_s, dtype=np.int8), np.ones(t_edge.shape[0], dtype=np.int8)])
    order = np.lexsort((is_target, off, edge))
    edge, off, is_target = edge[order], off[order], is_target[order].astype(bool)
    snap = np.concatenate([s_snap, np.full(t_edge.shape[0], np.inf)])[order]

    before = _segmented_running_min(edge, snap - off) + off
    after = _segmented_running_min(edge[::-1], (snap + off)[::-1])[::-1] - off
    best = np.minimum(before, after)

    out = np.empty(t_edge.shape[0])
    out[order[is_target] - n_s] = best[is_target]
    return out


def nearest_source_distance_m(
    network: WalkNetwork,
    sources: Snapped,
    targets: Snapped,
    *,
    cutoff_m: float | None = None,
) -> np.ndarray:
    """Walking distance from each target to its nearest source, in metres.

    Parameters
    ----------
    network
        The walking network.
    sources
        Snapped sources (e.g. facilities); unattached sources are ignored.
    targets
        Snapped targets (e.g. residents).
    cutoff_m
        Stop searching beyond this distance; targets farther than `cutoff_m`
        (plus :data:`DISTANCE_TOLERANCE_M`) get inf. Default: no limit.

    Returns
    -------
    numpy.ndarray
        Float array, one distance per target (m, >= 0); inf when the target is
        unattached, no source is attached, the target's network component holds
        no source, or the distance exceeds `cutoff_m`.

    Notes
    -----
    With snap distances ``s``, offsets ``o`` from the edge's node ``u`` and edge
    lengths ``L``, one Dijkstra search (:func:`scipy.sparse.csgraph.dijkstra`)
    runs from a virtual super-source joined to both end nodes of every source
    edge, with weights ``s + o`` (to ``u``) and ``s + L - o`` (to ``v``), the
    minimum per node. It yields ``D[node]``, the walking distance from the
    nearest source to each node. A target on edge ``(u, v)`` then gets

        d = min(D[u] + o_t, D[v] + L - o_t, min_{sources on the same edge} (s_s + |o_t - o_s|)) + s_t.

    The same-edge term is exact and vectorised (a sorted sweep over sources and
    targets sharing edges). The cost is one Dijkstra over the whole network,
    independent of the number of sources; `cutoff_m` bounds it further.
    """
    n = network.n_nodes
    t_ok = targets.edge >= 0
    s_ok = sources.edge >= 0
    out = np.full(len(targets), np.inf)
    if not s_ok.any() or not t_ok.any():
        return out
    limit_m = np.inf if cutoff_m is None else float(cutoff_m) + DISTANCE_TOLERANCE_M

    # Super-source edges: to u with s + o, to v with s + L - o; minimum per node.
    s_edge = sources.edge[s_ok]
    s_len = network.length_m[s_edge]
    nodes = np.concatenate([network.u[s_edge], network.v[s_edge]])
    weights = np.concatenate([sources.snap_m[s_ok] + sources.offset_m[s_ok], sources.snap_m[s_ok] + s_len - sources.offset_m[s_ok]])
    order = np.lexsort((weights, nodes))
    nodes, weights = nodes[order], weights[order]
    first = np.ones(nodes.shape[0], dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    first &= weights <= limit_m
    nodes, weights = nodes[first], weights[first]

    adj = network.adjacency
    graph = csr_matrix(
        (
            np.concatenate([adj.data, weights]),
            np.concatenate([adj.indices, nodes.astype(adj.indices.dtype)]),
            np.append(adj.indptr, adj.indptr[-1] + nodes.shape[0]).astype(adj.indptr.dtype),
        ),
        shape=(n + 1, n + 1),
    )
    if nodes.shape[0]:
        dist_node_m = dijkstra(graph, directed=True, indices=n, limit=limit_m)[:n]
    else:
        dist_node_m = np.full(n, np.inf)

    t_idx = np.flatnonzero(t_ok)
    t_edge, t_off = targets.edge[t_idx], targets.offset_m[t_idx]
    t_len = network.length_m[t_edge]
    along_m = np.minimum(dist_node_m[network.u[t_edge]] + t_off, dist_node_m[network.v[t_edge]] + t_len - t_off)

    shared = np.isin(t_edge, s_edge)
    if shared.any():
        along_m[shared] = np.minimum(along_m[shared], _same_edge_distance_m(sources, targets, s_ok, t_idx[shared]))

    d = along_m + targets.snap_m[t_idx]
    d[d > limit_m] = np.inf
    out[t_idx] = d
    return out
