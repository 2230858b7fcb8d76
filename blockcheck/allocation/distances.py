"""Distances from resources to block points: straight-line candidates, then walks along the network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from blockcheck.allocation.dense import distinct_count, distinct_sorted
from blockcheck.network import Snapped, WalkNetwork, snap_points

#: Dijkstra output cells (sources × nodes) held at once when computing walking distances.
_DIJKSTRA_CELLS = 1 << 22
#: Pairs walked at once by :func:`known_distances` (its memory grows with this, not with all pairs).
_PAIRS_PER_CHUNK = 500_000

__all__ = ["KnownDistances", "known_distances", "pair_distances_m"]


def pair_distances_m(
    network: WalkNetwork | None,
    r_xy: np.ndarray,
    b_xy: np.ndarray,
    max_radius_m: float,
    *,
    known: KnownDistances | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resource ``i`` – block point ``j`` pairs within `max_radius_m` in a straight line, with their distance.

    Candidates come from a KD-tree (a walk is never shorter than the straight
    line). The distance is the walk along `network` (:func:`_pair_walk_distance_m`,
    inf where a point is not attached), or the straight line without a network.
    `known`: walks computed ahead (:func:`known_distances`) on the same network;
    used when they hold every pair, else the walks are computed here.
    """
    pairs = cKDTree(r_xy).sparse_distance_matrix(cKDTree(b_xy), max_radius_m, output_type="ndarray")
    pi, pj = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    del pairs
    if network is None:
        return pi, pj, np.hypot(*(r_xy[pi] - b_xy[pj]).T)
    looked_up = known.lookup(r_xy, b_xy, pi, pj, max_radius_m) if known is not None else None
    pair_m = looked_up if looked_up is not None else _pair_walk_distance_m(network, r_xy, b_xy, pi, pj, max_radius_m)
    return pi, pj, pair_m


@dataclass(frozen=True)
class KnownDistances:
    """Walking distances of resource–block point pairs computed ahead (beside the health check).

    :meth:`lookup` gives, for another caller's points and pairs, exactly what
    :func:`_pair_walk_distance_m` would compute there, or None when it cannot:
    a point or pair not held, a larger radius, or Dijkstra started on the
    other side (the sums would be added in another order). Beyond the
    caller's radius a held walk may be shorter than the caller's (which stops
    at its radius): both are beyond it.
    """

    r_xy: np.ndarray  # (n, 2) resource points
    b_xy: np.ndarray  # (m, 2) block points
    r_nodes: np.ndarray  # (2, n) end nodes of each resource point's edge (-1: not attached)
    b_nodes: np.ndarray  # (2, m)
    keys: np.ndarray  # sorted pair keys i * m + j of the pairs within radius_m in a straight line
    meters: np.ndarray  # the walk of each pair of keys
    radius_m: float
    from_blocks: bool  # Dijkstra started at the block points' edge ends

    def lookup(
        self, r_xy: np.ndarray, b_xy: np.ndarray, pi: np.ndarray, pj: np.ndarray, max_radius_m: float
    ) -> np.ndarray | None:
        """The walks of pairs (`pi`, `pj`) of the points `r_xy`, `b_xy`; None when they are not all held."""
        if max_radius_m > self.radius_m:
            return None
        ri, bj = _positions(self.r_xy, r_xy), _positions(self.b_xy, b_xy)
        if (ri < 0).any() or (bj < 0).any():
            return None
        i, j = ri[pi], bj[pj]
        ok = (self.r_nodes[0] >= 0)[i] & (self.b_nodes[0] >= 0)[j]
        if ok.any() and (_distinct_end_nodes(self.r_nodes, i[ok]) > _distinct_end_nodes(self.b_nodes, j[ok])) != (
            self.from_blocks
        ):
            return None  # _pair_walk_distance_m would start Dijkstra on the other side for these pairs
        keys = i * len(self.b_xy) + j
        at = np.searchsorted(self.keys, keys).clip(0, max(len(self.keys) - 1, 0))
        if len(keys) and (not len(self.keys) or (self.keys[at] != keys).any()):
            return None
        return self.meters[at] if len(keys) else np.zeros(0)


def _positions(held: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row of `held` with exactly the coordinates of each row of `wanted` (the first of equal points; -1: none)."""
    index = pd.Index(held[:, 0] + 1j * held[:, 1])
    first = np.flatnonzero(~index.duplicated())  # equal points have equal walks
    found = index[first].get_indexer(wanted[:, 0] + 1j * wanted[:, 1])
    return np.where(found >= 0, first[found], -1)


def known_distances(network: WalkNetwork, r_xy: np.ndarray, b_xy: np.ndarray, max_radius_m: float) -> KnownDistances:
    """The walks of every resource–block pair within `max_radius_m` in a straight line (for `lookup`)."""
    pairs = cKDTree(r_xy).sparse_distance_matrix(cKDTree(b_xy), max_radius_m, output_type="ndarray")
    pi, pj = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    del pairs
    sr = snap_points(network, shapely.points(r_xy))
    sb = snap_points(network, shapely.points(b_xy))
    r_nodes, b_nodes = _end_nodes(network, sr), _end_nodes(network, sb)
    ok = sr.is_snapped[pi] & sb.is_snapped[pj]
    from_blocks = (
        bool(_distinct_end_nodes(r_nodes, pi[ok]) > _distinct_end_nodes(b_nodes, pj[ok])) if ok.any() else True
    )
    del ok
    # in chunks of pairs grouped by their Dijkstra source point (each pair's sums are the same in any
    # chunk): the per-pair arrays of one chunk are held at a time, not those of millions of pairs
    by_source = np.argsort(pj if from_blocks else pi, kind="stable")
    meters = np.empty(len(pi))
    for chunk in np.array_split(by_source, max(1, len(pi) // _PAIRS_PER_CHUNK)):
        meters[chunk] = _pair_walk_distance_m(
            network, r_xy, b_xy, pi[chunk], pj[chunk], max_radius_m, from_blocks=from_blocks, snapped=(sr, sb)
        )
    del by_source
    keys = pi * len(b_xy) + pj
    order = np.argsort(keys, kind="stable")
    return KnownDistances(r_xy, b_xy, r_nodes, b_nodes, keys[order], meters[order], max_radius_m, from_blocks)


def _distinct_end_nodes(end_nodes: np.ndarray, points: np.ndarray) -> int:
    """How many distinct nodes end the edges of `points` (repeats allowed): ``np.unique(end_nodes[:, points]).size``."""
    used = np.zeros(end_nodes.shape[1], dtype=bool)
    used[points] = True
    return distinct_count(end_nodes[:, used])


def _end_nodes(network: WalkNetwork, snapped: Snapped) -> np.ndarray:
    """(2, n) end nodes of each point's edge; -1 for points not attached."""
    e = snapped.edge
    nodes = np.stack([network.u[np.where(snapped.is_snapped, e, 0)], network.v[np.where(snapped.is_snapped, e, 0)]])
    return np.where(snapped.is_snapped, nodes, -1)


def _pair_walk_distance_m(
    network: WalkNetwork,
    r_xy: np.ndarray,
    b_xy: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    limit_m: float,
    *,
    from_blocks: bool | None = None,
    snapped: tuple[Snapped, Snapped] | None = None,
) -> np.ndarray:
    """Walking distance between resource point ``i`` and block point ``j`` for each pair (inf beyond `limit_m`).

    d = snap_r + snap_b + min( |o_r − o_b| if same edge,
                               min over ends e of r's edge, f of b's edge: off_r(e) + D(e, f) + off_b(f) ),
    with off(u) = o, off(v) = L − o and D the node-to-node network distance
    (Dijkstra from the ends on the side with fewer distinct end nodes, cut at `limit_m`,
    each grid cell of sources on the part of the network within `limit_m` of them: the time
    grows with the sources, not with sources × nodes).

    Only the pairs' node-to-node distances are read, batch by batch of Dijkstra
    sources: no source × destination matrix is held (memory grows with the
    pairs, not with sources × destinations). `from_blocks` fixes the side
    (default: the one with fewer distinct end nodes); `snapped`: the points
    already snapped to `network`.
    """
    out = np.full(i.shape[0], np.inf)
    if i.size == 0:
        return out
    if snapped is None:
        snapped = snap_points(network, shapely.points(r_xy)), snap_points(network, shapely.points(b_xy))
    sr, sb = snapped
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
    if from_blocks is None:
        from_blocks = bool(distinct_count(rn) > distinct_count(bn))
    if from_blocks:
        rn, ro, bn, bo = bn, bo, rn, ro
    src, src_row = distinct_sorted(rn, network.node_xy_m.shape[0])
    # the sources by grid cell of the limit's size: a cell's Dijkstra runs on the part of the network within
    # the limit of its sources (a walk within the limit never leaves it; the distances are the same numbers)
    xy = network.node_xy_m
    cell = np.floor(xy[src] / max(limit_m, 1.0)).astype(np.int64)
    spatial = np.lexsort((cell[:, 1], cell[:, 0]))
    rank = np.empty_like(spatial)
    rank[spatial] = np.arange(spatial.size)
    src, cell = src[spatial], cell[spatial]
    src_row = rank[src_row].reshape(rn.shape)
    best = np.full(i.shape[0], np.inf)
    # pairs sorted by the Dijkstra row of each of their two source ends: one slice per batch
    orders = [np.argsort(src_row[a], kind="stable") for a in range(2)]
    by_x = np.argsort(xy[:, 0], kind="stable")
    x_sorted = xy[by_x, 0]
    changes = np.flatnonzero((cell[1:] != cell[:-1]).any(axis=1)) + 1
    for cell_start, cell_stop in zip(np.r_[0, changes], np.r_[changes, src.size], strict=True):
        reach = limit_m + 1.0  # a node walked to within the limit lies within it in a straight line
        low, high = xy[src[cell_start:cell_stop]].min(axis=0) - reach, xy[src[cell_start:cell_stop]].max(axis=0) + reach
        strip = by_x[np.searchsorted(x_sorted, low[0]) : np.searchsorted(x_sorted, high[0], side="right")]
        inside = np.sort(strip[(xy[strip, 1] >= low[1]) & (xy[strip, 1] <= high[1])])
        local = network.adjacency[inside][:, inside]
        batch = max(1, _DIJKSTRA_CELLS // max(inside.size, 1))
        for start in range(cell_start, cell_stop, batch):
            stop = min(start + batch, cell_stop)
            rows = dijkstra(local, directed=True, indices=np.searchsorted(inside, src[start:stop]), limit=limit_m)
            rows = np.hstack([rows, np.full((rows.shape[0], 1), np.inf)])  # the last column: nodes not inside
            for a in range(2):
                first, last = np.searchsorted(src_row[a], (start, stop), sorter=orders[a])
                at = orders[a][first:last]
                row = src_row[a][at] - start
                for b in range(2):
                    target = bn[b][at]
                    k = np.searchsorted(inside, target).clip(max=inside.size - 1)
                    column = np.where(inside[k] == target, k, inside.size)
                    best[at] = np.minimum(best[at], ro[a][at] + rows[row, column] + bo[b][at])
    same = sr.edge[i] == sb.edge[j]
    best[same] = np.minimum(best[same], np.abs(sr.offset_m[i[same]] - sb.offset_m[j[same]]))
    out[pos] = best + sr.snap_m[i] + sb.snap_m[j]
    return out
