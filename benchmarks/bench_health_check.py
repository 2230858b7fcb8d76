"""Benchmark of step 1 (``blockcheck.health_check.health_check``) on a synthetic city.

Not a test: it prints wall time and peak memory per stage, compares the
per-block overlay numbers with QGIS Processing and with a bare STRtree + GEOS
computation, the walking distances with scipy, networkx and pandana, and the
time at two sizes. See ``benchmarks/README.md``; results in ``RESULTS.md``.

Memory is the resident set size (RSS) of this process, sampled every 5 ms by
a thread (psutil): "peak" is the highest RSS seen during a stage, "+peak" the
rise over the RSS at the stage's start.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_health_check.py --scale 1.0 --json out/bench.json
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from make_city import FACILITY_CATEGORIES, make_city, summary  # noqa: E402

GB = 1024**3
CUTOFF_M = 1000.0
SOURCE_CATEGORY = "kindergarten"


# ------------------------------------------------------------- measuring ----


class Meter:
    """Wall time and RSS peaks of (possibly nested) code sections; a sampling thread."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.proc = psutil.Process()
        self.interval_s = interval_s
        self.active: list[dict] = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def rss(self) -> int:
        return self.proc.memory_info().rss

    def _run(self) -> None:
        while self.running:
            rss = self.rss()
            with self.lock:
                for rec in self.active:
                    rec["peak"] = max(rec["peak"], rss)
            time.sleep(self.interval_s)

    @contextlib.contextmanager
    def measure(self):  # noqa: ANN201
        rss = self.rss()
        rec = {"start": rss, "peak": rss}
        with self.lock:
            self.active.append(rec)
        t0 = time.perf_counter()
        try:
            yield rec
        finally:
            rec["seconds"] = time.perf_counter() - t0
            rss = self.rss()
            with self.lock:
                self.active.remove(rec)
                rec["peak"] = max(rec["peak"], rss)
            rec["end"] = rss
            rec["rise"] = rec["peak"] - rec["start"]


METER: Meter | None = None
ROWS: list[dict] = []  # every measured row, for the JSON


def row(section: str, name: str, rec: dict, **extra: object) -> dict:
    out = {"section": section, "name": name, "seconds": rec["seconds"], "peak_gb": rec["peak"] / GB, "rise_gb": rec["rise"] / GB, **extra}
    ROWS.append(out)
    return out


def say(text: str = "") -> None:
    print(text, flush=True)


def fmt_row(r: dict) -> str:
    extra = f"  {r['note']}" if r.get("note") else ""
    return f"  {r['name']:<58}{r['seconds']:>9.2f} s  peak {r['peak_gb']:5.2f} GB  +{r['rise_gb']:5.2f} GB{extra}"


@contextlib.contextmanager
def quiet_fd1():  # noqa: ANN201
    """Silence C-level stdout (pandana prints progress bars)."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)


# ------------------------------------------------- instrumented health check ----

#: (module, function) → stage of the health check. Functions are wrapped in the
#: module namespace health_check.py calls them from, so nothing runs twice.
STAGES = {
    ("blockcheck.health_check", "residents_from_communities"): "population distribution",
    ("blockcheck.health_check", "block_population"): "population distribution",
    ("blockcheck.health_check", "build_walk_network"): "network build",
    ("blockcheck.health_check", "road_network_metrics"): "road metrics",
    ("blockcheck.health_check", "block_index_of"): "overlay metrics",
    ("blockcheck.health_check", "park_green_m2"): "overlay metrics",
    ("blockcheck.health_check", "job_housing_ratio"): "overlay metrics",
    ("blockcheck.health_check", "underground_use_ratio"): "overlay metrics",
    ("blockcheck.health_check", "old_residential_buildings"): "overlay metrics",
    ("blockcheck.health_check", "parking_provision"): "overlay metrics",
    ("blockcheck.health_check", "industrial_land_ratio"): "overlay metrics",
    ("blockcheck.health_check", "facility_provision"): "provision",
    ("blockcheck.health_check", "park_coverage_ratio"): "park coverage (line + walk)",
    ("blockcheck.health_check", "bus_stop_coverage_ratio"): "bus/garbage/substation coverage (line)",
    ("blockcheck.health_check", "life_circle_coverage"): "life circles",
    ("blockcheck.health_check", "snap_points"): "snapping the residents (once)",
    ("blockcheck.metrics.accessibility", "snap_points"): "snapping facilities and park access points",
    ("blockcheck.metrics.accessibility", "nearest_source_distance_m"): "network searches",
}
NESTED = {"snapping facilities and park access points", "network searches"}  # called inside park coverage and life circles
STAGE_ORDER = [
    "population distribution", "network build", "road metrics", "overlay metrics", "provision", "snapping the residents (once)",
    "park coverage (line + walk)", "bus/garbage/substation coverage (line)", "life circles",
    "snapping facilities and park access points", "network searches",
]


def instrumented_health_check(layers: dict, standards) -> tuple[object, dict, dict]:  # noqa: ANN001
    """Run health_check with every stage function timed; returns (result, stage table, captured objects)."""
    stats: dict[tuple[str, str], dict] = defaultdict(lambda: {"seconds": 0.0, "peak": 0, "rise": 0, "calls": 0})
    captured: dict[str, object] = {}
    stack: list[str] = []
    originals = []

    def wrap(stage: str, fn, name: str):  # noqa: ANN001, ANN202
        @functools.wraps(fn)
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            first = args[0] if args else None
            if isinstance(first, gpd.GeoDataFrame):  # a metric: blocks, or the one-row district
                which = "ALL" if len(first) == 1 and str(first.index[0]) == "ALL" else "blocks"
            else:  # snapping / searches: the pass of the metric calling them
                which = stack[-1] if stack else "blocks"
            stack.append(which)
            try:
                with METER.measure() as rec:
                    out = fn(*args, **kwargs)
            finally:
                stack.pop()
            s = stats[(stage, which)]
            s["seconds"] += rec["seconds"]
            s["peak"] = max(s["peak"], rec["peak"])
            s["rise"] = max(s["rise"], rec["rise"])
            s["calls"] += 1
            if name == "build_walk_network":
                captured["network"] = out
            if name == "residents_from_communities":
                captured["residents"] = out
            return out

        return timed

    from blockcheck.health_check import health_check

    for (module_name, name), stage in STAGES.items():
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is None:
            say(f"  (note: {module_name}.{name} not found; its time counts as 'other')")
            continue
        originals.append((module, name, fn))
        setattr(module, name, wrap(stage, fn, name))
    try:
        with METER.measure() as total:
            result = health_check(layers, standards)
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)
    return result, {"total": total, "stages": dict(stats)}, captured


def stage_table(run: dict) -> list[dict]:
    """Rows per stage: blocks pass, ALL pass, total; plus 'other'."""
    out = []
    top = 0.0
    for stage in STAGE_ORDER:
        b = run["stages"].get((stage, "blocks"), {"seconds": 0.0, "peak": 0, "rise": 0, "calls": 0})
        a = run["stages"].get((stage, "ALL"), {"seconds": 0.0, "peak": 0, "rise": 0, "calls": 0})
        if not (b["calls"] or a["calls"]):
            continue
        total = b["seconds"] + a["seconds"]
        if stage not in NESTED:
            top += total
        out.append({
            "stage": stage, "nested": stage in NESTED, "blocks_s": b["seconds"], "all_s": a["seconds"], "total_s": total,
            "peak_gb": max(b["peak"], a["peak"]) / GB, "rise_gb": max(b["rise"], a["rise"]) / GB, "calls": b["calls"] + a["calls"],
        })
    t = run["total"]
    out.append({"stage": "other (district union, concat, ...)", "nested": False, "blocks_s": np.nan, "all_s": np.nan, "total_s": t["seconds"] - top, "peak_gb": np.nan, "rise_gb": np.nan, "calls": 0})
    return out


def print_stage_table(rows: list[dict], total: dict) -> None:
    say(f"  {'stage':<44}{'blocks':>9}{'ALL row':>9}{'total':>9}   {'peak RSS':>9} {'+peak':>8}")
    for r in rows:
        name = ("  within the two above: " if r["nested"] else "") + r["stage"]
        peak = "" if np.isnan(r["peak_gb"]) else f"{r['peak_gb']:7.2f} GB {r['rise_gb']:6.2f} GB"
        b = "" if np.isnan(r["blocks_s"]) else f"{r['blocks_s']:8.2f}s"
        a = "" if np.isnan(r["all_s"]) else f"{r['all_s']:8.2f}s"
        say(f"  {name:<44}{b:>9}{a:>9}{r['total_s']:8.2f}s   {peak}")
    say(f"  {'whole health_check(...)':<44}{'':>9}{'':>9}{total['seconds']:8.2f}s   {total['peak'] / GB:7.2f} GB {total['rise'] / GB:6.2f} GB")


def run_health_check(scale: float, seed: int) -> dict:
    """Generation + instrumented health check; the figures as a dict (also used by the scaling sub-run)."""
    from blockcheck.standards import load_standards

    say(f"== scale {scale}: generation")
    with METER.measure() as gen:
        city = make_city(scale, seed=seed)
    say(summary(city))
    row("generation", f"make_city(scale={scale})", gen)
    say(fmt_row(ROWS[-1]))
    standards = load_standards("beijing")
    gc.collect()
    say(f"== scale {scale}: health_check (instrumented)")
    result, run, captured = instrumented_health_check(dict(city), standards)
    table = stage_table(run)
    print_stage_table(table, run["total"])
    return {
        "scale": scale, "city": city, "result": result, "captured": captured, "generation": gen, "total": run["total"],
        "stages": table, "counts": {k: len(v) for k, v in city.items()},
    }


def _to_gpkg(path: Path, layers: dict) -> None:
    from blockcheck.io import write_gpkg

    write_gpkg(path, layers)


def _qgis():  # noqa: ANN202
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    return app, processing


def _qgis_layer(path: Path, name: str):  # noqa: ANN202
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    assert layer.isValid(), f"QGIS cannot open {path}|{name}"
    return layer


def _features_to_series(layer, key: str, value: str) -> pd.Series:  # noqa: ANN001
    keys, values = [], []
    for f in layer.getFeatures():
        keys.append(f[key])
        values.append(f[value])
    return pd.Series(values, index=keys, dtype=float)


def _compare(name: str, ours: pd.Series, theirs: pd.Series, rel: float = 1e-6) -> dict:
    theirs = theirs.reindex(ours.index).fillna(0.0)
    a, b = ours.to_numpy(dtype=float), theirs.to_numpy(dtype=float)
    scale = np.maximum(np.abs(b), 1.0)
    worst = float(np.max(np.abs(a - b) / scale)) if a.size else 0.0
    ok = worst <= rel
    worst_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
    say(f"  compare {name}: max relative difference {worst:.2e} (max |Δ| {worst_abs:.3g}) over {a.size} blocks (total {a.sum():,.1f} vs {b.sum():,.1f}) -> {'EQUAL' if ok else 'DIFFERENT'} (rel {rel:g})")
    return {"name": name, "max_rel_diff": worst, "max_abs_diff": worst_abs, "equal": ok, "ours_total": float(a.sum()), "theirs_total": float(b.sum())}


def bare_road_length(blocks: np.ndarray, roads: np.ndarray, edge_share: float) -> np.ndarray:
    """Floor: STRtree + one float overlay per (block, road) pair; half (edge_share) of the on-edge length."""
    tree = shapely.STRtree(roads)
    b, r = tree.query(blocks, predicate="intersects")
    inside = shapely.length(shapely.intersection(roads[r], blocks[b]))
    if edge_share != 1.0:
        inside = inside - (1.0 - edge_share) * shapely.length(shapely.intersection(roads[r], shapely.boundary(blocks)[b]))
    return np.bincount(b, weights=inside, minlength=blocks.size)


def bare_point_count(blocks: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Floor: STRtree over the points, queried with the (prepared) blocks."""
    b, _ = shapely.STRtree(points).query(blocks, predicate="intersects")
    return np.bincount(b, minlength=blocks.size).astype(float)


def bare_overlap_area(blocks: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Floor: STRtree + float intersection area per (block, polygon) pair."""
    b, p = shapely.STRtree(polys).query(blocks, predicate="intersects")
    return np.bincount(b, weights=shapely.area(shapely.intersection(blocks[b], polys[p])), minlength=blocks.size)


def overlay_comparison(city: dict, residents: gpd.GeoDataFrame, with_qgis: bool, workdir: Path) -> dict:  # noqa: C901, PLR0915
    from blockcheck.metrics.population import block_population
    from blockcheck.metrics.provision import ProvisionSpec, facility_provision
    from blockcheck.metrics.roads import road_length_by_block_m
    from blockcheck.metrics.stock import park_green_m2
    from blockcheck.standards import load_standards

    say("== per-block overlay numbers: blockcheck vs bare STRtree+GEOS vs QGIS Processing")
    blocks = city["blocks"].set_index("block_id", drop=False)
    blocks.index.name = "block_id"
    roads = city["roads"]
    green = city["green"]
    facilities = city["facilities"]
    on_edge = roads["class"].isin(["arterial", "secondary", "expressway"]).to_numpy()  # the generator puts exactly these on block edges
    pop = block_population(blocks, residents)
    standards = load_standards("beijing")
    count_spec = ProvisionSpec(
        key="all_facilities_count", label_zh="设施数", categories=tuple(FACILITY_CATEGORIES), capacity="", factor=1.0,
        standard="facilities.hospital_beds_per_1000", standard_factor=1.0, per=1000.0, basis="population",
    )
    params = inspect.signature(road_length_by_block_m).parameters
    has_variants = "edge_share" in params and "precision_m" in params
    res: dict[str, dict] = {}
    bg = np.asarray(blocks.geometry.values)
    rg = np.asarray(roads.geometry.values)

    def timed(section: str, name: str, fn, note: str = ""):  # noqa: ANN001, ANN202
        """Time `fn`; what runs in under a second runs SHORT_REPEATS times and the fastest counts."""
        gc.collect()
        with METER.measure() as rec:
            t0 = time.perf_counter()
            value = fn()
            times = [time.perf_counter() - t0]
            while times[0] < 1.0 and len(times) < SHORT_REPEATS:
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
        if len(times) > 1:
            rec["seconds"] = min(times)
            note = f"best of {len(times)} (first {times[0]:.3f} s)" + (f"; {note}" if note else "")
        r = row(section, name, rec, note=note)
        say(fmt_row(r))
        return value, rec["seconds"]

    # --- blockcheck
    ours: dict[str, tuple[pd.Series, float]] = {}
    ours["roads_half_default"] = timed("overlay", "blockcheck road_length_by_block_m (½ rule, default 1 cm grid)", lambda: road_length_by_block_m(blocks, roads))
    if has_variants:
        ours["roads_half_float"] = timed("overlay", "blockcheck road_length_by_block_m (½ rule, precision_m=None)", lambda: road_length_by_block_m(blocks, roads, precision_m=None))
        ours["roads_plain"] = timed("overlay", "blockcheck road_length_by_block_m (plain r∩b: edge_share=1, precision_m=None)", lambda: road_length_by_block_m(blocks, roads, precision_m=None, edge_share=1.0))
    ours["counts"] = timed("overlay", "blockcheck facility_provision (count of all facilities)", lambda: facility_provision(blocks, facilities, pop, standards, specs=(count_spec,))["supply_all_facilities_count"])
    ours["parks"] = timed("overlay", "blockcheck park_green_m2", lambda: park_green_m2(blocks, green, pop["population"])["park_green_m2"])

    # --- floor
    parks = np.asarray(green.geometry.values)[(green["kind"] == "park").to_numpy()]
    fpts = np.asarray(facilities.geometry.values)
    floor: dict[str, tuple[pd.Series, float]] = {}
    floor["roads_half_float"] = timed("overlay", "bare STRtree+GEOS road length (½ rule, float)", lambda: pd.Series(bare_road_length(bg, rg, 0.5), index=blocks.index))
    floor["roads_plain"] = timed("overlay", "bare STRtree+GEOS road length (plain r∩b, float)", lambda: pd.Series(bare_road_length(bg, rg, 1.0), index=blocks.index))
    floor["counts"] = timed("overlay", "bare STRtree point count (tree on points, prepared blocks)", lambda: pd.Series(bare_point_count(bg, fpts), index=blocks.index))
    floor["parks"] = timed("overlay", "bare STRtree+GEOS park area", lambda: pd.Series(bare_overlap_area(bg, parks), index=blocks.index))

    say("  -- equality with the floor")
    comp = []
    if has_variants:
        comp.append(_compare("road ½ rule float: blockcheck vs floor", ours["roads_half_float"][0], floor["roads_half_float"][0]))
        comp.append(_compare("road plain: blockcheck vs floor", ours["roads_plain"][0], floor["roads_plain"][0]))
    comp.append(_compare("road ½ rule: blockcheck default (1 cm grid) vs floor (float)", ours["roads_half_default"][0], floor["roads_half_float"][0]))
    comp.append(_compare("facility counts: blockcheck vs floor", ours["counts"][0], floor["counts"][0]))
    comp.append(_compare("park area: blockcheck vs floor", ours["parks"][0], floor["parks"][0]))
    res["floor_comparisons"] = comp
    res["ours"] = {k: v[1] for k, v in ours.items()}
    res["floor"] = {k: v[1] for k, v in floor.items()}

    if not with_qgis:
        return res

    # --- QGIS Processing
    say("  -- QGIS Processing (inputs written to a GeoPackage first; not timed)")
    gpkg = workdir / "qgis_inputs.gpkg"
    t0 = time.perf_counter()
    _to_gpkg(gpkg, {
        "blocks": city["blocks"][["block_id", "geometry"]],
        "roads": roads[["road_id", "class", "geometry"]],
        "roads_inner": roads.loc[~on_edge, ["road_id", "class", "geometry"]],
        "roads_edge": roads.loc[on_edge, ["road_id", "class", "geometry"]],
        "facilities": facilities[["facility_id", "category", "geometry"]],
        "parks": green.loc[green["kind"] == "park", ["green_id", "geometry"]],
    })
    say(f"  wrote {gpkg} in {time.perf_counter() - t0:.1f} s")
    _app, processing = _qgis()
    lay = {name: _qgis_layer(gpkg, name) for name in ("blocks", "roads", "roads_inner", "roads_edge", "facilities", "parks")}
    qgis: dict[str, tuple[pd.Series, float]] = {}

    def sumlines(lines: str) -> pd.Series:
        out = processing.run("native:sumlinelengths", {"POLYGONS": lay["blocks"], "LINES": lay[lines], "LEN_FIELD": "qgis_len", "COUNT_FIELD": "qgis_n", "OUTPUT": "TEMPORARY_OUTPUT"})["OUTPUT"]
        return _features_to_series(out, "block_id", "qgis_len")

    def count_points() -> pd.Series:
        out = processing.run("native:countpointsinpolygon", {"POLYGONS": lay["blocks"], "POINTS": lay["facilities"], "FIELD": "qgis_n", "OUTPUT": "TEMPORARY_OUTPUT"})["OUTPUT"]
        return _features_to_series(out, "block_id", "qgis_n")

    def park_area() -> pd.Series:
        out = processing.run("native:intersection", {"INPUT": lay["blocks"], "OVERLAY": lay["parks"], "INPUT_FIELDS": ["block_id"], "OVERLAY_FIELDS": ["green_id"], "OUTPUT": "TEMPORARY_OUTPUT"})["OUTPUT"]
        sums: dict[str, float] = defaultdict(float)
        for f in out.getFeatures():
            sums[f["block_id"]] += f.geometry().area()
        return pd.Series(sums, dtype=float)

    qgis["roads_plain"] = timed("overlay", "QGIS native:sumlinelengths (all roads = plain r∩b)", lambda: sumlines("roads"))
    inner = timed("overlay", "QGIS native:sumlinelengths (roads off block edges)", lambda: sumlines("roads_inner"))
    edge = timed("overlay", "QGIS native:sumlinelengths (roads on block edges)", lambda: sumlines("roads_edge"))
    idx = blocks.index
    qgis["roads_half"] = (inner[0].reindex(idx).fillna(0.0) + 0.5 * edge[0].reindex(idx).fillna(0.0), inner[1] + edge[1])
    qgis["counts"] = timed("overlay", "QGIS native:countpointsinpolygon (facilities)", count_points)
    qgis["parks"] = timed("overlay", "QGIS native:intersection + area sum per block (parks)", park_area)

    say("  -- equality with QGIS")
    comp = []
    if has_variants:
        comp.append(_compare("road plain: blockcheck (edge_share=1, float) vs QGIS all roads", ours["roads_plain"][0], qgis["roads_plain"][0]))
        comp.append(_compare("road ½ rule: blockcheck (float) vs QGIS inner + ½·edge", ours["roads_half_float"][0], qgis["roads_half"][0]))
    comp.append(_compare("road ½ rule: blockcheck default (1 cm grid) vs QGIS inner + ½·edge", ours["roads_half_default"][0], qgis["roads_half"][0]))
    comp.append(_compare("facility counts: blockcheck vs QGIS", ours["counts"][0], qgis["counts"][0]))
    comp.append(_compare("park area: blockcheck vs QGIS", ours["parks"][0], qgis["parks"][0]))
    res["qgis_comparisons"] = comp
    res["qgis"] = {k: v[1] for k, v in qgis.items()}
    return res


# -------------------------------------------------------------- network ----


def node_snapped(network, nodes: np.ndarray):  # noqa: ANN001, ANN201
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


def _sources(city: dict, network) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """The kindergarten points and the unique nodes nearest to them."""
    from scipy.spatial import cKDTree

    fac = city["facilities"]
    pts = np.asarray(fac.geometry.values)[(fac["category"] == SOURCE_CATEGORY).to_numpy()]
    return pts, np.unique(cKDTree(network.node_xy_m).query(shapely.get_coordinates(pts))[1])


#: Runs of each sub-second network search; the fastest counts (the first also reported).
SEARCH_REPEATS = 7
#: Runs of an overlay computation that takes under a second (both blockcheck's and the others').
SHORT_REPEATS = 5


def _timed_network(name: str, fn, note: str = "", repeat: int = 1):  # noqa: ANN001, ANN202
    gc.collect()
    times = []
    with METER.measure() as rec:
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t0)
    if repeat > 1:
        rec["seconds"] = min(times)
        note = f"best of {repeat} (first {times[0]:.3f} s, median {float(np.median(times)):.3f} s)" + (f"; {note}" if note else "")
    r = row("network", name, rec, note=note)
    say(fmt_row(r))
    return value, rec["seconds"]


def network_comparison(city: dict, network, residents: gpd.GeoDataFrame, with_networkx: bool) -> dict:  # noqa: ANN001
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
    d_scipy, t_scipy = timed("bare scipy dijkstra(indices=sources, min_only=True, limit)", lambda: dijkstra(adj, directed=True, indices=src, min_only=True, limit=CUTOFF_M), repeat=SEARCH_REPEATS)
    s_src, s_all = node_snapped(network, src), node_snapped(network, all_nodes)
    d_bc, t_bc = timed("blockcheck nearest_source_distance_m (points at nodes)", lambda: nearest_source_distance_m(network, s_src, s_all, cutoff_m=CUTOFF_M), repeat=SEARCH_REPEATS)
    fin = np.isfinite(d_scipy)
    diff = float(np.max(np.abs(d_bc[fin] - d_scipy[fin]), initial=0.0))
    same = np.array_equal(fin, np.isfinite(d_bc)) and diff <= 1e-6
    say(f"  compare blockcheck vs scipy (nodes): reachable {int(fin.sum())}/{fin.size}, max |Δ| {diff:.2e} m -> {'EQUAL' if same else 'DIFFERENT'}")
    out.update(scipy_s=t_scipy, blockcheck_nodes_s=t_bc, blockcheck_equal_scipy=bool(same), blockcheck_max_diff_m=diff)

    # edge snapping, as the life circles do it (facility points → resident points)
    rpts = np.asarray(residents.geometry.values)
    s_fac, t_snap_f = timed(f"blockcheck snap_points ({pts.size} {SOURCE_CATEGORY} points)", lambda: snap_points(network, pts))
    s_res, t_snap_r = timed(f"blockcheck snap_points ({rpts.size} resident points)", lambda: snap_points(network, rpts))
    _, t_edge = timed(f"blockcheck nearest_source_distance_m (edge-snapped, to {rpts.size} residents)", lambda: nearest_source_distance_m(network, s_fac, s_res, cutoff_m=CUTOFF_M), repeat=SEARCH_REPEATS)
    out.update(snap_facilities_s=t_snap_f, snap_residents_s=t_snap_r, blockcheck_edge_s=t_edge, n_residents=int(rpts.size))

    if with_networkx:
        graph, t_g = timed("networkx: WalkNetwork.to_networkx()", network.to_networkx)
        d_nx, t_nx = timed("networkx multi_source_dijkstra_path_length(cutoff)", lambda: nx.multi_source_dijkstra_path_length(graph, set(src.tolist()), cutoff=CUTOFF_M, weight="length_m"))
        keys = np.fromiter(d_nx.keys(), dtype=np.int64, count=len(d_nx))
        vals = np.fromiter(d_nx.values(), dtype=float, count=len(d_nx))
        d_nx_arr = np.full(network.n_nodes, np.inf)
        d_nx_arr[keys] = vals
        diff_nx = float(np.max(np.abs(d_nx_arr[fin] - d_scipy[fin]), initial=0.0))
        same_nx = np.array_equal(np.isfinite(d_nx_arr), fin) and diff_nx <= 1e-6
        say(f"  compare networkx vs scipy: max |Δ| {diff_nx:.2e} m -> {'EQUAL' if same_nx else 'DIFFERENT'}")
        out.update(to_networkx_s=t_g, networkx_s=t_nx, networkx_equal=bool(same_nx))
    return out


def pandana_comparison(scale: float, seed: int, city: dict | None = None, network=None) -> dict:  # noqa: ANN001
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
    d_scipy, t_scipy = timed(f"bare scipy dijkstra (scale {scale})", lambda: dijkstra(network.adjacency, directed=True, indices=src, min_only=True, limit=CUTOFF_M))
    s_src, s_all = node_snapped(network, src), node_snapped(network, np.arange(network.n_nodes))
    _, t_bc = timed(f"blockcheck nearest_source_distance_m (scale {scale}, nodes)", lambda: nearest_source_distance_m(network, s_src, s_all, cutoff_m=CUTOFF_M))
    coo = network.adjacency.tocoo()
    keep = coo.row < coo.col
    a, b, w = coo.row[keep], coo.col[keep], coo.data[keep]
    xy = network.node_xy_m
    nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=pd.RangeIndex(network.n_nodes))

    def build():  # noqa: ANN202
        with quiet_fd1():
            return pandana.Network(nodes["x"], nodes["y"], pd.Series(a), pd.Series(b), pd.DataFrame({"length_m": w}), twoway=True)

    pnet, t_ch = timed("pandana Network(...) (contraction hierarchy build)", build, note=note)

    def pre():  # noqa: ANN202
        with quiet_fd1():
            pnet.precompute(CUTOFF_M)

    _, t_pre = timed("pandana precompute(1000)", pre, note=note)

    def nearest():  # noqa: ANN202
        with quiet_fd1():
            pnet.set_pois("src", CUTOFF_M, 1, pd.Series(xy[src, 0]), pd.Series(xy[src, 1]))
            return pnet.nearest_pois(CUTOFF_M, "src", num_pois=1)

    got, t_np = timed("pandana set_pois + nearest_pois(num_pois=1)", nearest, note=note)
    d_pd = got[1].reindex(nodes.index).to_numpy(dtype=float)
    reach_pd = d_pd < CUTOFF_M - 1e-3
    reach = np.isfinite(d_scipy) & (d_scipy < CUTOFF_M - 1e-3)
    diff = float(np.max(np.abs(d_pd[reach] - d_scipy[reach]), initial=0.0))
    same_pd = np.array_equal(reach_pd, reach) and diff <= 0.05
    say(f"  compare pandana vs scipy: reachable {int(reach_pd.sum())} vs {int(reach.sum())}, max |Δ| {diff:.4f} m -> {'EQUAL (0.05 m)' if same_pd else 'DIFFERENT'}")
    return {
        "scale": scale, "n_nodes": network.n_nodes, "n_sources": int(src.size), "scipy_s": t_scipy, "blockcheck_nodes_s": t_bc,
        "pandana_ch_s": t_ch, "pandana_precompute_s": t_pre, "pandana_query_s": t_np, "pandana_max_diff_m": diff, "pandana_equal": bool(same_pd),
    }


# -------------------------------------------------------------- scaling ----


def scaling_subrun(scale: float, seed: int) -> dict:
    """Run generation + health check at another scale in a fresh process; its JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sub.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--scale", str(scale), "--seed", str(seed), "--health-check-only", "--json", str(path)]
        say(f"== scaling: {' '.join(cmd[1:])}")
        subprocess.run(cmd, check=True)
        return json.loads(path.read_text())


# ----------------------------------------------------------------- main ----


def versions() -> dict:
    import geopandas
    import networkx
    import scipy

    out = {
        "python": platform.python_version(), "shapely": shapely.__version__, "GEOS": shapely.geos_version_string,
        "geopandas": geopandas.__version__, "numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__,
        "networkx": networkx.__version__,
    }
    try:
        from importlib.metadata import version

        out["blockcheck"] = version("blockcheck")
    except Exception:  # noqa: BLE001
        out["blockcheck"] = "?"
    try:
        import pandana

        out["pandana"] = pandana.__version__
    except ImportError:
        out["pandana"] = "not installed"
    try:
        from qgis.core import Qgis

        out["QGIS"] = Qgis.QGIS_VERSION
    except ImportError:
        out["QGIS"] = "not importable"
    return out


def summary_json(hc: dict) -> dict:
    out = {
        "scale": hc["scale"], "counts": hc["counts"],
        "generation_s": hc["generation"]["seconds"], "generation_peak_gb": hc["generation"]["peak"] / GB,
        "health_check_s": hc["total"]["seconds"], "health_check_peak_gb": hc["total"]["peak"] / GB, "health_check_rise_gb": hc["total"]["rise"] / GB,
        "stages": hc["stages"],
    }
    return out


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915
    global METER  # noqa: PLW0603
    parser = argparse.ArgumentParser(description="Benchmark blockcheck's step 1 on a synthetic city.")
    parser.add_argument("--scale", type=float, default=1.0, help="city size (1.0: 1,600 blocks, 1M buildings, 320k roads)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--small-scale", type=float, default=0.25, help="the scale compared with --scale in the scaling check (0 to skip)")
    parser.add_argument("--no-qgis", action="store_true", help="skip the QGIS Processing comparison")
    parser.add_argument("--no-pandana", action="store_true", help="skip pandana")
    parser.add_argument("--no-networkx", action="store_true", help="skip networkx")
    parser.add_argument("--pandana-scale", type=float, default=0.25, help="city scale of the pandana comparison (its contraction hierarchy takes ~4 min at scale 1; 0: same as --scale)")
    parser.add_argument("--health-check-only", action="store_true", help="only generation + health check (used by the scaling sub-run)")
    parser.add_argument("--json", type=Path, help="write all figures here")
    args = parser.parse_args(argv)
    METER = Meter()
    t_start = time.perf_counter()
    info = {"argv": sys.argv, "versions": versions(), "cpu": platform.processor(), "cores": os.cpu_count(), "memory_gb": psutil.virtual_memory().total / GB, "loadavg_start": os.getloadavg()}
    say(f"blockcheck benchmark — {info['versions']}")

    hc = run_health_check(args.scale, args.seed)
    out: dict[str, object] = {"info": info, "main": summary_json(hc)}
    if args.health_check_only:
        out["rows"] = ROWS
        if args.json:
            args.json.write_text(json.dumps(out, indent=1, default=float))
        return 0

    city, residents, network = hc["city"], hc["captured"]["residents"], hc["captured"]["network"]
    del hc["result"]
    gc.collect()
    with tempfile.TemporaryDirectory() as tmp:
        out["overlay"] = overlay_comparison(city, residents, with_qgis=not args.no_qgis, workdir=Path(tmp))
    gc.collect()
    out["network"] = network_comparison(city, network, residents, with_networkx=not args.no_networkx)
    out["network"]["scale"] = args.scale
    del residents, hc
    gc.collect()
    if not args.no_pandana:
        pscale = args.pandana_scale or args.scale
        if pscale == args.scale:
            out["pandana"] = pandana_comparison(pscale, args.seed, city, network)
        else:
            del city, network
            gc.collect()
            out["pandana"] = pandana_comparison(pscale, args.seed)
    city = network = None
    gc.collect()

    if args.small_scale:
        sub = scaling_subrun(args.small_scale, args.seed)
        out["small"] = sub["main"]
        big, small = out["main"], sub["main"]
        data_ratio = big["counts"]["buildings"] / small["counts"]["buildings"]
        t_ratio = big["health_check_s"] / small["health_check_s"]
        out["scaling"] = {"data_ratio": data_ratio, "time_ratio": t_ratio, "generation_ratio": big["generation_s"] / small["generation_s"]}
        say(f"== scaling: {data_ratio:.2f}× the data → health_check {t_ratio:.2f}× the time ({small['health_check_s']:.1f} s → {big['health_check_s']:.1f} s)")

    out["rows"] = ROWS
    out["ru_maxrss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB
    out["bench_seconds"] = time.perf_counter() - t_start
    info["loadavg_end"] = os.getloadavg()
    say(f"== done in {out['bench_seconds']:.0f} s; process ru_maxrss {out['ru_maxrss_gb']:.2f} GB")
    targets(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=float))
    return 0


def targets(out: dict) -> None:
    """Print each target with met / not met."""
    m = out["main"]
    lines = [(f"whole step ≤ 60 s (scale {m['scale']})", f"{m['health_check_s']:.1f} s", m["health_check_s"] <= 60.0),
             (f"whole step ≤ 4 GB peak RSS (scale {m['scale']})", f"{m['health_check_peak_gb']:.2f} GB", m["health_check_peak_gb"] <= 4.0)]
    ov = out.get("overlay", {})
    if "qgis" in ov:
        pairs = [("roads (plain r∩b vs QGIS all)", ov["ours"].get("roads_plain"), ov["qgis"]["roads_plain"]),
                 ("roads (½ rule default vs QGIS inner+½edge)", ov["ours"]["roads_half_default"], ov["qgis"]["roads_half"]),
                 ("facility counts", ov["ours"]["counts"], ov["qgis"]["counts"]),
                 ("park area", ov["ours"]["parks"], ov["qgis"]["parks"])]
        for name, ours, theirs in pairs:
            if ours is not None:
                lines.append((f"blockcheck ≥ 3× faster than QGIS: {name}", f"{theirs / ours:.2f}× (QGIS {theirs:.2f} s / ours {ours:.2f} s)", theirs / ours >= 3.0))
        for c in ov["qgis_comparisons"]:
            lines.append((f"equal to QGIS: {c['name']}", f"max rel {c['max_rel_diff']:.1e}", c["equal"]))
    if "floor" in ov:
        pairs = [("roads ½ rule default (1 cm grid) vs float floor", ov["ours"]["roads_half_default"], ov["floor"]["roads_half_float"]),
                 ("roads ½ rule precision_m=None", ov["ours"].get("roads_half_float"), ov["floor"]["roads_half_float"]),
                 ("roads plain", ov["ours"].get("roads_plain"), ov["floor"]["roads_plain"]),
                 ("facility counts", ov["ours"]["counts"], ov["floor"]["counts"]),
                 ("park area", ov["ours"]["parks"], ov["floor"]["parks"])]
        for name, ours, fl in pairs:
            if ours is not None:
                lines.append((f"blockcheck ≤ 1.2× bare floor: {name}", f"{ours / fl:.2f}×", ours / fl <= 1.2))
    nw = out.get("network", {})
    if nw:
        lines.append(("blockcheck search ≤ 1.5× bare scipy (nodes)", f"{nw['blockcheck_nodes_s'] / nw['scipy_s']:.2f}×", nw["blockcheck_nodes_s"] / nw["scipy_s"] <= 1.5))
        lines.append(("blockcheck search edge-snapped ≤ 1.5× bare scipy", f"{nw['blockcheck_edge_s'] / nw['scipy_s']:.2f}×", nw["blockcheck_edge_s"] / nw["scipy_s"] <= 1.5))
    pa = out.get("pandana")
    if pa:
        lines.append((f"pandana distances equal to scipy within 0.05 m (scale {pa['scale']})", f"max |Δ| {pa['pandana_max_diff_m']:.3f} m", pa["pandana_equal"]))
    if "scaling" in out:
        s = out["scaling"]
        lines.append((f"{s['data_ratio']:.0f}× the data ≤ {1.1 * s['data_ratio']:.1f}× the time", f"{s['time_ratio']:.2f}×", s["time_ratio"] <= 1.1 * s["data_ratio"]))
    say("== targets")
    for name, value, ok in lines:
        say(f"  [{'met' if ok else 'NOT MET'}] {name}: {value}")
    out["targets"] = [{"target": n, "measured": v, "met": bool(ok)} for n, v, ok in lines]


if __name__ == "__main__":
    sys.exit(main())
