"""Walking distances: blockcheck's searches vs bare scipy, networkx and pandana."""

from __future__ import annotations

import gc
import time

import geopandas as gpd
import measure
import numpy as np
import pandas as pd
import shapely
from make_city import make_city
from measure import fmt_row, quiet_fd1, row, say

CUTOFF_M = 1000.0
SOURCE_CATEGORY = "kindergarten"
#: Runs of each sub-second network search; the fastest counts (the first also reported).
SEARCH_REPEATS = 7


def node_snapped(network, nodes: np.ndarray):
    """Snapped points exactly at the given nodes (an incident edge, offset 0 or its length, snap 0)."""
    from blockcheck.network import Snapped

    n = network.n_nodes
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.zeros(n)
    ids = np.arange(network.n_edges)
    edge[network.v] = ids
    offset[network.v] = network.length_m
    edge[network.u] = ids
    offset[network.u] = 0.0
    return Snapped(edge[nodes], offset[nodes], np.zeros(nodes.size))


def _sources(city: dict, network) -> tuple[np.ndarray, np.ndarray]:
    """The kindergarten points and the unique nodes nearest to them."""
    from scipy.spatial import cKDTree

    fac = city["facilities"]
    pts = np.asarray(fac.geometry.values)[(fac["category"] == SOURCE_CATEGORY).to_numpy()]
    return pts, np.unique(cKDTree(network.node_xy_m).query(shapely.get_coordinates(pts))[1])


def _timed_network(name: str, fn, note: str = "", repeat: int = 1):
    gc.collect()
    times = []
    with measure.METER.measure() as rec:
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
    if repeat > 1:
        rec["seconds"] = min(times)
        note = f"best of {repeat} (first {times[0]:.3f} s, median {float(np.median(times)):.3f} s)" + (
            f"; {note}" if note else ""
        )
    r = row("network", name, rec, note=note)
    say(fmt_row(r))
    return value, rec["seconds"]


def network_comparison(city: dict, network, residents: gpd.GeoDataFrame, with_networkx: bool) -> dict:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from blockcheck.network import nearest_source_distance_m, snap_points

    say(f"== walking distances to the nearest {SOURCE_CATEGORY} (cutoff {CUTOFF_M:.0f} m) on {network!r}")
    pts, src = _sources(city, network)
    all_nodes = np.arange(network.n_nodes)
    say(f"  {pts.size} facilities → {src.size} source nodes; targets: all {network.n_nodes} nodes")
    out: dict[str, object] = {"n_nodes": network.n_nodes, "n_edges": network.n_edges, "n_sources": int(src.size)}
    timed = _timed_network
    adj = network.adjacency
    d_scipy, t_scipy = timed(
        "bare scipy dijkstra(indices=sources, min_only=True, limit)",
        lambda: dijkstra(adj, directed=True, indices=src, min_only=True, limit=CUTOFF_M),
        repeat=SEARCH_REPEATS,
    )
    s_src, s_all = node_snapped(network, src), node_snapped(network, all_nodes)
    d_bc, t_bc = timed(
        "blockcheck nearest_source_distance_m (points at nodes)",
        lambda: nearest_source_distance_m(network, s_src, s_all, cutoff_m=CUTOFF_M),
        repeat=SEARCH_REPEATS,
    )
    fin = np.isfinite(d_scipy)
    diff = float(np.max(np.abs(d_bc[fin] - d_scipy[fin]), initial=0.0))
    same = np.array_equal(fin, np.isfinite(d_bc)) and diff <= 1e-6
    say(
        f"  compare blockcheck vs scipy (nodes): reachable {int(fin.sum())}/{fin.size}, max |Δ| {diff:.2e} m "
        f"-> {'EQUAL' if same else 'DIFFERENT'}"
    )
    out.update(scipy_s=t_scipy, blockcheck_nodes_s=t_bc, blockcheck_equal_scipy=bool(same), blockcheck_max_diff_m=diff)

    # edge snapping, as the life circles do it (facility points → resident points)
    rpts = np.asarray(residents.geometry.values)
    s_fac, t_snap_f = timed(
        f"blockcheck snap_points ({pts.size} {SOURCE_CATEGORY} points)", lambda: snap_points(network, pts)
    )
    s_res, t_snap_r = timed(f"blockcheck snap_points ({rpts.size} resident points)", lambda: snap_points(network, rpts))
    _, t_edge = timed(
        f"blockcheck nearest_source_distance_m (edge-snapped, to {rpts.size} residents)",
        lambda: nearest_source_distance_m(network, s_fac, s_res, cutoff_m=CUTOFF_M),
        repeat=SEARCH_REPEATS,
    )
    out.update(
        snap_facilities_s=t_snap_f, snap_residents_s=t_snap_r, blockcheck_edge_s=t_edge, n_residents=int(rpts.size)
    )

    if with_networkx:
        graph, t_g = timed("networkx: WalkNetwork.to_networkx()", network.to_networkx)
        d_nx, t_nx = timed(
            "networkx multi_source_dijkstra_path_length(cutoff)",
            lambda: nx.multi_source_dijkstra_path_length(graph, set(src.tolist()), cutoff=CUTOFF_M, weight="length_m"),
        )
        keys = np.fromiter(d_nx.keys(), dtype=np.int64, count=len(d_nx))
        vals = np.fromiter(d_nx.values(), dtype=float, count=len(d_nx))
        d_nx_arr = np.full(network.n_nodes, np.inf)
        d_nx_arr[keys] = vals
        diff_nx = float(np.max(np.abs(d_nx_arr[fin] - d_scipy[fin]), initial=0.0))
        same_nx = np.array_equal(np.isfinite(d_nx_arr), fin) and diff_nx <= 1e-6
        say(f"  compare networkx vs scipy: max |Δ| {diff_nx:.2e} m -> {'EQUAL' if same_nx else 'DIFFERENT'}")
        out.update(to_networkx_s=t_g, networkx_s=t_nx, networkx_equal=bool(same_nx))
    return out


def pandana_comparison(scale: float, seed: int, city: dict | None = None, network=None) -> dict:
    """pandana vs scipy vs blockcheck on the network of a city of `scale` (its own scipy reference)."""
    import pandana
    from scipy.sparse.csgraph import dijkstra

    from blockcheck.network import build_walk_network, nearest_source_distance_m

    if network is None:
        city = make_city(scale, seed=seed)
        network = build_walk_network(city["roads"])
    say(f"== pandana at scale {scale}: nearest {SOURCE_CATEGORY} (cutoff {CUTOFF_M:.0f} m) on {network!r}")
    _, src = _sources(city, network)
    timed = _timed_network
    note = f"scale {scale}"
    d_scipy, t_scipy = timed(
        f"bare scipy dijkstra (scale {scale})",
        lambda: dijkstra(network.adjacency, directed=True, indices=src, min_only=True, limit=CUTOFF_M),
    )
    s_src, s_all = node_snapped(network, src), node_snapped(network, np.arange(network.n_nodes))
    _, t_bc = timed(
        f"blockcheck nearest_source_distance_m (scale {scale}, nodes)",
        lambda: nearest_source_distance_m(network, s_src, s_all, cutoff_m=CUTOFF_M),
    )
    coo = network.adjacency.tocoo()
    keep = coo.row < coo.col
    a, b, w = coo.row[keep], coo.col[keep], coo.data[keep]
    xy = network.node_xy_m
    nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=pd.RangeIndex(network.n_nodes))

    def build():
        with quiet_fd1():
            return pandana.Network(
                nodes["x"], nodes["y"], pd.Series(a), pd.Series(b), pd.DataFrame({"length_m": w}), twoway=True
            )

    pnet, t_ch = timed("pandana Network(...) (contraction hierarchy build)", build, note=note)

    def pre():
        with quiet_fd1():
            pnet.precompute(CUTOFF_M)

    _, t_pre = timed("pandana precompute(1000)", pre, note=note)

    def nearest():
        with quiet_fd1():
            pnet.set_pois("src", CUTOFF_M, 1, pd.Series(xy[src, 0]), pd.Series(xy[src, 1]))
            return pnet.nearest_pois(CUTOFF_M, "src", num_pois=1)

    got, t_np = timed("pandana set_pois + nearest_pois(num_pois=1)", nearest, note=note)
    d_pd = got[1].reindex(nodes.index).to_numpy(dtype=float)
    reach_pd = d_pd < CUTOFF_M - 1e-3
    reach = np.isfinite(d_scipy) & (d_scipy < CUTOFF_M - 1e-3)
    diff = float(np.max(np.abs(d_pd[reach] - d_scipy[reach]), initial=0.0))
    same_pd = np.array_equal(reach_pd, reach) and diff <= 0.05
    say(
        f"  compare pandana vs scipy: reachable {int(reach_pd.sum())} vs {int(reach.sum())}, max |Δ| "
        f"{diff:.4f} m -> {'EQUAL (0.05 m)' if same_pd else 'DIFFERENT'}"
    )
    return {
        "scale": scale,
        "n_nodes": network.n_nodes,
        "n_sources": int(src.size),
        "scipy_s": t_scipy,
        "blockcheck_nodes_s": t_bc,
        "pandana_ch_s": t_ch,
        "pandana_precompute_s": t_pre,
        "pandana_query_s": t_np,
        "pandana_max_diff_m": diff,
        "pandana_equal": bool(same_pd),
    }
