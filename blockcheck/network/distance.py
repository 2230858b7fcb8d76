"""Nearest-source walking distances: one multi-source Dijkstra from a virtual super-source per search."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from blockcheck.network.graph import DISTANCE_TOLERANCE_M, WalkNetwork
from blockcheck.network.snapping import Snapped, access_costs


def _segmented_running_min(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running minimum of `values` restarting at each new value of `groups` (sorted).

    A doubling scan: after the step with shift ``s`` each entry holds the
    minimum of the ``2s`` entries ending at it within its group, so
    ``ceil(log2(longest group))`` vectorised steps suffice.
    """
    out = np.array(values, dtype=float, copy=True)
    n = out.shape[0]
    if n < 2:
        return out
    start = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    pos = np.arange(n) - np.repeat(start, np.diff(np.r_[start, n]))
    shift = 1
    longest = int(pos.max()) + 1
    while shift < longest:
        take = pos[shift:] >= shift
        np.minimum(out[shift:], np.where(take, out[:-shift], np.inf), out=out[shift:])
        shift *= 2
    return out


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


def _with_super_source(network: WalkNetwork, nodes: np.ndarray, weights: np.ndarray) -> csr_matrix:
    """The adjacency with one more node (index ``n_nodes``) joined to `nodes` by `weights` (directed, out of it).

    The CSR arrays are written into buffers kept on the network (room for an
    edge to every node), so a search costs no copy of the whole graph.
    """
    adj = network.adjacency
    n, nnz, k = network.n_nodes, adj.nnz, nodes.shape[0]
    buffers = network._super_source_buffers
    if not buffers:
        data = np.empty(nnz + n, dtype=adj.data.dtype)
        indices = np.empty(nnz + n, dtype=adj.indices.dtype)
        data[:nnz], indices[:nnz] = adj.data, adj.indices
        indptr = np.append(adj.indptr, adj.indptr[-1]).astype(adj.indptr.dtype)
        buffers.extend([data, indices, indptr])
    data, indices, indptr = buffers
    data[nnz : nnz + k] = weights
    indices[nnz : nnz + k] = nodes
    indptr[-1] = nnz + k
    graph = csr_matrix((n + 1, n + 1), dtype=data.dtype)
    graph.data, graph.indices, graph.indptr = data[: nnz + k], indices[: nnz + k], indptr
    return graph


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
    independent of the number of sources; `cutoff_m` bounds it further. The
    end nodes and access costs of the points (:func:`access_costs`) are
    computed once per snapped set and network, and the super-source row is
    written into buffers kept on the network, so repeated searches (one per
    facility category) do not copy the graph; searches on one network are
    therefore not to be run from several threads at once.
    """
    n = network.n_nodes
    out = np.full(len(targets), np.inf)
    s_ok = sources.edge >= 0
    if not s_ok.any() or not (targets.edge >= 0).any():
        return out
    limit_m = np.inf if cutoff_m is None else float(cutoff_m) + DISTANCE_TOLERANCE_M

    # Super-source edges: to u with s + o, to v with s + L - o; minimum per node.
    src = access_costs(network, sources)
    nodes = np.concatenate([src.node_u[s_ok], src.node_v[s_ok]])
    weights = np.concatenate([src.cost_u_m[s_ok], src.cost_v_m[s_ok]])
    order = np.lexsort((weights, nodes))
    nodes, weights = nodes[order], weights[order]
    first = np.ones(nodes.shape[0], dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    first &= weights <= limit_m
    nodes, weights = nodes[first], weights[first]
    if nodes.shape[0] == 0:
        return out
    dist_node_m = dijkstra(_with_super_source(network, nodes, weights), directed=True, indices=n, limit=limit_m)

    tgt = access_costs(network, targets)
    d = np.minimum(dist_node_m[tgt.node_u] + tgt.cost_u_m, dist_node_m[tgt.node_v] + tgt.cost_v_m)
    source_edge = np.zeros(network.n_edges + 1, dtype=bool)  # the last entry stands for edge -1 (unattached)
    source_edge[sources.edge[s_ok]] = True
    shared = np.flatnonzero(source_edge[targets.edge])
    if shared.size:
        same_m = _same_edge_distance_m(sources, targets, s_ok, shared) + targets.snap_m[shared]
        d[shared] = np.minimum(d[shared], same_m)
    d[d > limit_m] = np.inf
    return d
