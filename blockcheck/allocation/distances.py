"""Distances from resources to block points: straight-line candidates, then walks along the network."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from blockcheck.network import Snapped, WalkNetwork, snap_points

#: Dijkstra output cells (sources × nodes) held at once when computing walking distances.
_DIJKSTRA_CELLS = 1 << 22

__all__ = ["pair_distances_m"]


def pair_distances_m(
    network: WalkNetwork | None, r_xy: np.ndarray, b_xy: np.ndarray, max_radius_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resource ``i`` – block point ``j`` pairs within `max_radius_m` in a straight line, with their distance.

    Candidates come from a KD-tree (a walk is never shorter than the straight
    line). The distance is the walk along `network` (:func:`_pair_walk_distance_m`,
    inf where a point is not attached), or the straight line without a network.
    """
    pairs = cKDTree(r_xy).sparse_distance_matrix(cKDTree(b_xy), max_radius_m, output_type="ndarray")
    pi, pj = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    pair_m = np.hypot(*(r_xy[pi] - b_xy[pj]).T)
    if network is not None:
        pair_m = _pair_walk_distance_m(network, r_xy, b_xy, pi, pj, max_radius_m)
    return pi, pj, pair_m


def _pair_walk_distance_m(
    network: WalkNetwork, r_xy: np.ndarray, b_xy: np.ndarray, i: np.ndarray, j: np.ndarray, limit_m: float
) -> np.ndarray:
    """Walking distance between resource point ``i`` and block point ``j`` for each pair (inf beyond `limit_m`).

    d = snap_r + snap_b + min( |o_r − o_b| if same edge,
                               min over ends e of r's edge, f of b's edge: off_r(e) + D(e, f) + off_b(f) ),
    with off(u) = o, off(v) = L − o and D the node-to-node network distance
    (Dijkstra from the ends on the side with fewer distinct end nodes, cut at `limit_m`).

    Only the pairs' node-to-node distances are read, batch by batch of Dijkstra
    sources: no source × destination matrix is held (memory grows with the
    pairs, not with sources × destinations).
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

    def ends(s: Snapped, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (nodes (2, n), offsets to them (2, n))
        e = s.edge[idx]
        return np.stack([network.u[e], network.v[e]]), np.stack(
            [s.offset_m[idx], network.length_m[e] - s.offset_m[idx]]
        )

    (rn, ro), (bn, bo) = ends(sr, i), ends(sb, j)
    # Dijkstra from whichever side has fewer distinct end nodes (the network is undirected).
    if np.unique(rn).size > np.unique(bn).size:
        rn, ro, bn, bo = bn, bo, rn, ro
    src, src_row = np.unique(rn, return_inverse=True)
    src_row = src_row.reshape(rn.shape)
    best = np.full(i.shape[0], np.inf)
    # pairs sorted by the Dijkstra row of each of their two source ends: one slice per batch
    orders = [np.argsort(src_row[a], kind="stable") for a in range(2)]
    batch = max(1, _DIJKSTRA_CELLS // max(network.n_nodes, 1))
    for start in range(0, src.size, batch):
        rows = dijkstra(network.adjacency, directed=True, indices=src[start : start + batch], limit=limit_m)
        for a in range(2):
            first, last = np.searchsorted(src_row[a], (start, start + batch), sorter=orders[a])
            at = orders[a][first:last]
            row = src_row[a][at] - start
            for b in range(2):
                best[at] = np.minimum(best[at], ro[a][at] + rows[row, bn[b][at]] + bo[b][at])
    same = sr.edge[i] == sb.edge[j]
    best[same] = np.minimum(best[same], np.abs(sr.offset_m[i[same]] - sb.offset_m[j[same]]))
    out[pos] = best + sr.snap_m[i] + sb.snap_m[j]
    return out
