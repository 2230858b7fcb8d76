"""The walking network itself: roads noded into a graph (:class:`WalkNetwork`) and its networkx export."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from blockcheck.crs import is_metric
from blockcheck.errors import CRSError, InputError
from blockcheck.network.grade import edge_groups, grade_groups, node_keys

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


def piece_index(edges: np.ndarray, *, piece_max_m: float = SNAP_PIECE_MAX_M) -> _PieceIndex:
    """The edges cut into pieces of at most `piece_max_m` in a KD-tree of their midpoints (for snapping points)."""
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
    component, fragment
        Per edge: its connected component and whether that component is a
        fragment (points are not attached to fragments, see
        :func:`blockcheck.network.snap_points`).
    main_pieces, main_tree
        Snapping indexes over the edges outside fragments (edge numbers are
        those of the whole network); None when there is no fragment.
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
    #: Connected component of each edge (labels of :func:`scipy.sparse.csgraph.connected_components`).
    component: np.ndarray | None = field(default=None, repr=False)
    #: True for the edges of fragments (see :func:`build_walk_network`); all False when none.
    fragment: np.ndarray | None = field(default=None, repr=False)
    #: Snapping index and STRtree of the edges outside fragments (None when there is no fragment).
    main_pieces: _PieceIndex | None = field(default=None, repr=False)
    main_tree: shapely.STRtree | None = field(default=None, repr=False)
    #: CSR buffers of the adjacency plus a super-source row (see :func:`nearest_source_distance_m`).
    _super_source_buffers: list = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy_m.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.length_m.shape[0])

    def __repr__(self) -> str:
        total_m = float(self.length_m.sum())
        return f"WalkNetwork(n_nodes={self.n_nodes}, n_edges={self.n_edges}, total_length_m={total_m:.1f})"

    def to_networkx(self) -> nx.Graph:
        """The network as a :class:`networkx.Graph` (see :func:`to_networkx`)."""
        return to_networkx(self)


# ----------------------------------------------------------------- build ----


def _line_parts(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Single LineStrings of the roads (multi-parts exploded, empty/missing dropped) and their row positions."""
    geoms = np.asarray(roads.geometry.values, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    geoms = geoms[present]
    type_ids = shapely.get_type_id(geoms)
    bad = ~np.isin(type_ids, (1, 5))  # LineString, MultiLineString
    if bad.any():
        kinds = sorted(set(shapely.get_type_id(geoms[bad]).tolist()))
        names = ", ".join(shapely.GeometryType(k).name for k in kinds)
        msg = (
            f"The roads layer holds {int(bad.sum())} non-line geometries ({names}). Roads must be LineStrings or "
            "MultiLineStrings; remove or convert the other features."
        )
        raise InputError(msg)
    parts, index = shapely.get_parts(geoms, return_index=True)
    return parts, present[index]


def build_walk_network(
    roads: gpd.GeoDataFrame,
    *,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    exclude_classes: Iterable[str] = DEFAULT_EXCLUDE_CLASSES,
    node_precision_m: float = NODE_PRECISION_M,
    largest_component_only: bool = False,
    fragment_max_m: float = 0.0,
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
    fragment_max_m
        A connected component whose edges total less than this many metres,
        other than the longest component, is a *fragment*: it stays in the
        network but no point is attached to it (:func:`snap_points` takes the
        nearest edge outside fragments; see :mod:`blockcheck.network.fragments`
        for the rule; runs pass the parameter ``network.fragment_max_length_m``). Default 0: no
        fragment.

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
    Grade separation (:mod:`blockcheck.network.grade`): with the optional fields
    ``bridge``, ``tunnel`` and ``layer``, lines of different grades (a bridge
    or tunnel and anything else, or different layers) meet only where they
    share a vertex, not where they merely cross; without them every crossing
    becomes a junction, bridges and underpasses included (the simplification
    of centre-line networks). Edges of zero length are dropped; parallel edges
    between the same two nodes are kept as edges (points can snap to either)
    but the adjacency keeps only the shortest.
    """
    if roads.crs is not None and not is_metric(roads.crs):
        msg = (
            f"The roads are in {roads.crs.to_string()}, which is not a projected CRS in metres. Re-project all layers "
            "once to the run's metric CRS (blockcheck.crs.reproject_layers) before building the walking network."
        )
        raise CRSError(msg)
    missing = [c for c in ("class", "status") if c not in roads.columns]
    if missing:
        msg = (
            f"The roads layer lacks the field(s) {', '.join(missing)} needed to choose walkable roads. Add them (see "
            "docs/data-model.md) or map them with a field-mapping file."
        )
        raise InputError(msg)
    statuses = tuple(statuses)
    exclude_classes = tuple(exclude_classes)
    keep = roads["status"].isin(statuses).to_numpy() & ~roads["class"].isin(exclude_classes).to_numpy()
    walkable = roads.loc[keep]
    lines, feature = _line_parts(walkable) if keep.any() else (np.empty(0, dtype=object), np.empty(0, np.int64))
    if lines.size == 0:
        msg = (
            f"No walkable roads: none of the {len(roads)} roads has status in {list(statuses)} and class outside "
            f"{list(exclude_classes)}. "
            "Check the status and class values of the roads layer, or pass other statuses / exclude_classes."
        )
        raise InputError(msg)

    edges = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
    length_m = shapely.length(edges)
    edges, length_m = edges[length_m > 0], length_m[length_m > 0]

    # End nodes: first and last coordinate of each edge, merged on a grid of node_precision_m
    # (and, with grade fields, by grade: see blockcheck.network.grade).
    coords_xy, coord_edge = shapely.get_coordinates(edges, return_index=True)
    last = np.cumsum(np.bincount(coord_edge, minlength=edges.shape[0])) - 1
    first_coord = np.r_[0, last[:-1] + 1]
    ends_xy = np.concatenate([coords_xy[first_coord], coords_xy[last]])
    group = grade_groups(walkable, feature)
    if group is None:
        keys = np.round(ends_xy / node_precision_m).astype(np.int64)
    else:
        end_group = np.tile(edge_groups(edges, lines, group), 2)
        keys = node_keys(ends_xy, end_group, lines, group, node_precision_m)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    node_xy_m = ends_xy[first]
    n_edges = edges.shape[0]
    u, v = inverse[:n_edges], inverse[n_edges:]
    # A loop shorter than the node precision is a degenerate (zero-length) edge.
    ok = ~((u == v) & (length_m < node_precision_m))
    edges, length_m, u, v = edges[ok], length_m[ok], u[ok], v[ok]
    adjacency = adjacency_matrix(u, v, length_m, node_xy_m.shape[0])
    if largest_component_only:
        _, label = connected_components(adjacency, directed=False)
        main = np.argmax(np.bincount(label[u], weights=length_m))
        keep_edge = label[u] == main
        edges, length_m, u, v = edges[keep_edge], length_m[keep_edge], u[keep_edge], v[keep_edge]
        used, uv = np.unique(np.concatenate([u, v]), return_inverse=True)
        node_xy_m = node_xy_m[used]
        u, v = uv[: u.shape[0]], uv[u.shape[0] :]
        adjacency = adjacency_matrix(u, v, length_m, node_xy_m.shape[0])
    component, fragment = _fragments(adjacency, u, length_m, fragment_max_m)
    main = np.flatnonzero(~fragment)
    main_pieces = main_tree = None
    if main.size < edges.shape[0]:
        main_pieces = piece_index(edges[main])
        main_pieces = dataclasses.replace(main_pieces, edge=main[main_pieces.edge])
        main_tree = shapely.STRtree(edges[main])
    return WalkNetwork(
        node_xy_m=node_xy_m,
        u=u,
        v=v,
        length_m=length_m,
        geometry=edges,
        tree=shapely.STRtree(edges),
        adjacency=adjacency,
        crs=roads.crs,
        pieces=piece_index(edges),
        component=component,
        fragment=fragment,
        main_pieces=main_pieces,
        main_tree=main_tree,
    )


def _fragments(
    adjacency: csr_matrix, u: np.ndarray, length_m: np.ndarray, fragment_max_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Connected component of each edge, and True for edges of components shorter than `fragment_max_m`.

    The longest component is never a fragment (a network made of short pieces
    still has one part points are attached to).
    """
    _, label = connected_components(adjacency, directed=False)
    component = label[u]
    total_m = np.bincount(component, weights=length_m)
    short = total_m < float(fragment_max_m)
    if total_m.size:
        short[np.argmax(total_m)] = False
    return component, short[component]


def adjacency_matrix(u: np.ndarray, v: np.ndarray, length_m: np.ndarray, n_nodes: int) -> csr_matrix:
    """Symmetric CSR of edge lengths between `n_nodes` nodes; the shortest of parallel edges; no self-loops."""
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
        (
            int(network.u[i]),
            int(network.v[i]),
            {"length_m": float(network.length_m[i]), "geometry": network.geometry[i], "edge": int(i)},
        )
        for i in order
    )
    return graph
