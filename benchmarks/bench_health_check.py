"""Benchmark of step 1 (``blockcheck.steps.health_check.health_check``) on a synthetic city.

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
import functools
import gc
import importlib
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
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
sys.path.append(str(HERE.parent))  # last: a blockcheck on PYTHONPATH (bench_run.py --code) or installed comes first

import measure  # noqa: E402 - importable only after the sys.path line above
from compare_network import network_comparison, pandana_comparison  # noqa: E402 - importable only after the sys.path line above
from compare_overlay import overlay_comparison  # noqa: E402 - importable only after the sys.path line above
from make_city import make_city, summary  # noqa: E402 - importable only after the sys.path line above
from measure import GB, ROWS, Meter, fmt_row, row, say  # noqa: E402 - importable only after the sys.path line above

# ------------------------------------------------- instrumented health check ----

#: (module, function) → stage of the health check. Functions are wrapped in the
#: module namespace health_check.py calls them from (the network: health_parameters.walk_network's), so nothing
#: runs twice.
STAGES = {
    ("blockcheck.steps.health_check", "residents_from_communities"): "population distribution",
    ("blockcheck.steps.health_check", "block_population"): "population distribution",
    ("blockcheck.steps.health_parameters", "build_walk_network"): "network build",
    ("blockcheck.steps.health_check", "road_network_metrics"): "road metrics",
    ("blockcheck.steps.health_check", "block_index_of"): "overlay metrics",
    ("blockcheck.steps.health_check", "park_green_m2"): "overlay metrics",
    ("blockcheck.steps.health_check", "job_housing_ratio"): "overlay metrics",
    ("blockcheck.steps.health_check", "underground_use_ratio"): "overlay metrics",
    ("blockcheck.steps.health_check", "old_residential_buildings"): "overlay metrics",
    ("blockcheck.steps.health_check", "parking_provision"): "overlay metrics",
    ("blockcheck.steps.health_check", "industrial_land_ratio"): "overlay metrics",
    ("blockcheck.steps.health_check", "facility_provision"): "provision",
    ("blockcheck.steps.health_check", "park_coverage_ratio"): "park coverage (line + walk)",
    ("blockcheck.steps.health_check", "bus_stop_coverage_ratio"): "bus/garbage/substation coverage (line)",
    ("blockcheck.steps.health_check", "life_circle_coverage"): "life circles",
    ("blockcheck.steps.health_check", "snap_points"): "snapping the residents (once)",
    ("blockcheck.steps.health_check", "entry_table"): "entry report (how parks and facilities are entered)",
    ("blockcheck.metrics.accessibility", "feature_entries"): "entering facilities and parks (gates, frontage)",
    ("blockcheck.metrics.accessibility", "nearest_source_distance_m"): "network searches",
}
NESTED = {
    "entering facilities and parks (gates, frontage)",
    "network searches",
}  # called inside park coverage and life circles
STAGE_ORDER = [
    "population distribution",
    "network build",
    "road metrics",
    "overlay metrics",
    "provision",
    "snapping the residents (once)",
    "park coverage (line + walk)",
    "bus/garbage/substation coverage (line)",
    "life circles",
    "entering facilities and parks (gates, frontage)",
    "network searches",
    "entry report (how parks and facilities are entered)",
]


def instrumented_health_check(layers: dict, standards) -> tuple[object, dict, dict]:
    """Run health_check with every stage function timed; returns (result, stage table, captured objects)."""
    stats: dict[tuple[str, str], dict] = defaultdict(lambda: {"seconds": 0.0, "peak": 0, "rise": 0, "calls": 0})
    captured: dict[str, object] = {}
    stack: list[str] = []
    originals = []

    def wrap(stage: str, fn, name: str):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            first = args[0] if args else None
            if isinstance(first, gpd.GeoDataFrame):  # a metric: blocks, or the one-row district
                which = "ALL" if len(first) == 1 and str(first.index[0]) == "ALL" else "blocks"
            else:  # snapping / searches: the pass of the metric calling them
                which = stack[-1] if stack else "blocks"
            stack.append(which)
            try:
                with measure.METER.measure() as rec:
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

    from blockcheck.steps.health_check import health_check

    for (module_name, name), stage in STAGES.items():
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is None:
            say(f"  (note: {module_name}.{name} not found; its time counts as 'other')")
            continue
        originals.append((module, name, fn))
        setattr(module, name, wrap(stage, fn, name))
    try:
        with measure.METER.measure() as total:
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
        out.append(
            {
                "stage": stage,
                "nested": stage in NESTED,
                "blocks_s": b["seconds"],
                "all_s": a["seconds"],
                "total_s": total,
                "peak_gb": max(b["peak"], a["peak"]) / GB,
                "rise_gb": max(b["rise"], a["rise"]) / GB,
                "calls": b["calls"] + a["calls"],
            }
        )
    t = run["total"]
    out.append(
        {
            "stage": "other (district union, concat, ...)",
            "nested": False,
            "blocks_s": np.nan,
            "all_s": np.nan,
            "total_s": t["seconds"] - top,
            "peak_gb": np.nan,
            "rise_gb": np.nan,
            "calls": 0,
        }
    )
    return out


def print_stage_table(rows: list[dict], total: dict) -> None:
    say(f"  {'stage':<44}{'blocks':>9}{'ALL row':>9}{'total':>9}   {'peak RSS':>9} {'+peak':>8}")
    for r in rows:
        name = ("  within the two above: " if r["nested"] else "") + r["stage"]
        peak = "" if np.isnan(r["peak_gb"]) else f"{r['peak_gb']:7.2f} GB {r['rise_gb']:6.2f} GB"
        b = "" if np.isnan(r["blocks_s"]) else f"{r['blocks_s']:8.2f}s"
        a = "" if np.isnan(r["all_s"]) else f"{r['all_s']:8.2f}s"
        say(f"  {name:<44}{b:>9}{a:>9}{r['total_s']:8.2f}s   {peak}")
    peak = f"{total['peak'] / GB:7.2f} GB {total['rise'] / GB:6.2f} GB"
    say(f"  {'whole health_check(...)':<44}{'':>9}{'':>9}{total['seconds']:8.2f}s   {peak}")


def run_health_check(scale: float, seed: int, repeats: int = 2) -> dict:
    """Generation + instrumented health check; the figures as a dict (also used by the scaling sub-run).

    The health check runs `repeats` times on the same city and the fastest run
    is reported (the machine is a shared VM: single runs vary by ±10 %); the
    whole step's peak RSS is the first run's, when no earlier result is held.
    """
    from blockcheck.standards import load_standards

    say(f"== scale {scale}: generation")
    with measure.METER.measure() as gen:
        city = make_city(scale, seed=seed)
    say(summary(city))
    row("generation", f"make_city(scale={scale})", gen)
    say(fmt_row(ROWS[-1]))
    standards = load_standards("beijing")
    gc.collect()
    best = first_memory = None
    totals = []
    for attempt in range(1, max(1, repeats) + 1):
        say(f"== scale {scale}: health_check (instrumented), run {attempt} of {max(1, repeats)}")
        got = instrumented_health_check(dict(city), standards)
        totals.append(got[1]["total"]["seconds"])
        first_memory = first_memory or {k: got[1]["total"][k] for k in ("peak", "rise")}
        print_stage_table(stage_table(got[1]), got[1]["total"])
        if best is None or totals[-1] < best[1]["total"]["seconds"]:
            best = got
        got = None
        gc.collect()
    result, run, captured = best
    run["total"].update(first_memory)  # memory of the first run: later runs share the RSS with the kept result
    table = stage_table(run)
    say(f"   fastest of {len(totals)} runs: {min(totals):.2f} s (all: {', '.join(f'{t:.2f}' for t in totals)} s)")
    return {
        "scale": scale,
        "city": city,
        "result": result,
        "captured": captured,
        "generation": gen,
        "total": run["total"],
        "stages": table,
        "counts": {k: len(v) for k, v in city.items()},
        "runs_s": totals,
    }


# -------------------------------------------------------------- scaling ----


def scaling_subrun(scale: float, seed: int, repeats: int) -> dict:
    """Run generation + health check at another scale in a fresh process; its JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sub.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--scale",
            str(scale),
            "--seed",
            str(seed),
            "--health-check-only",
            "--health-check-repeats",
            str(repeats),
            "--json",
            str(path),
        ]
        say(f"== scaling: {' '.join(cmd[1:])}")
        subprocess.run(cmd, check=True)
        return json.loads(path.read_text())


# ----------------------------------------------------------------- main ----


def versions() -> dict:
    import geopandas
    import networkx
    import scipy

    out = {
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "GEOS": shapely.geos_version_string,
        "geopandas": geopandas.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "networkx": networkx.__version__,
    }
    try:
        from importlib.metadata import version

        out["blockcheck"] = version("blockcheck")
    except Exception:  # noqa: BLE001 - the version is informational; any failure shows "?"
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
    return {
        "scale": hc["scale"],
        "counts": hc["counts"],
        "generation_s": hc["generation"]["seconds"],
        "generation_peak_gb": hc["generation"]["peak"] / GB,
        "health_check_s": hc["total"]["seconds"],
        "health_check_peak_gb": hc["total"]["peak"] / GB,
        "health_check_rise_gb": hc["total"]["rise"] / GB,
        "stages": hc["stages"],
        "runs_s": hc["runs_s"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark blockcheck's step 1 on a synthetic city.")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="city size (1.0: 1,600 blocks, 1M buildings, 320k roads)"
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--small-scale",
        type=float,
        default=0.25,
        help="the scale compared with --scale in the scaling check (0 to skip)",
    )
    parser.add_argument("--no-qgis", action="store_true", help="skip the QGIS Processing comparison")
    parser.add_argument("--no-pandana", action="store_true", help="skip pandana")
    parser.add_argument("--no-networkx", action="store_true", help="skip networkx")
    parser.add_argument(
        "--pandana-scale",
        type=float,
        default=0.25,
        help="city scale of the pandana comparison (contraction hierarchy ~4 min at scale 1; 0: same as --scale)",
    )
    parser.add_argument(
        "--health-check-only", action="store_true", help="only generation + health check (used by the scaling sub-run)"
    )
    parser.add_argument(
        "--health-check-repeats",
        type=int,
        default=2,
        help="runs of the health check per scale; the fastest is reported",
    )
    parser.add_argument("--json", type=Path, help="write all figures here")
    args = parser.parse_args(argv)
    if not (args.no_pandana or args.health_check_only) and importlib.util.find_spec("pandana") is None:
        say(  # said before the minutes of work that would end in an ImportError
            "pandana is not installed, and the benchmark compares the walking distances with it. Install it "
            "(`.venv/bin/pip install pandana`, benchmark only) or put it on PYTHONPATH, or pass --no-pandana."
        )
        return 2
    measure.METER = Meter()
    t_start = time.perf_counter()
    info = {
        "argv": sys.argv,
        "versions": versions(),
        "cpu": platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": psutil.virtual_memory().total / GB,
        "loadavg_start": os.getloadavg(),
    }
    say(f"blockcheck benchmark — {info['versions']}")

    hc = run_health_check(args.scale, args.seed, args.health_check_repeats)
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
        sub = scaling_subrun(args.small_scale, args.seed, args.health_check_repeats)
        out["small"] = sub["main"]
        big, small = out["main"], sub["main"]
        data_ratio = big["counts"]["buildings"] / small["counts"]["buildings"]
        t_ratio = big["health_check_s"] / small["health_check_s"]
        out["scaling"] = {
            "data_ratio": data_ratio,
            "time_ratio": t_ratio,
            "generation_ratio": big["generation_s"] / small["generation_s"],
        }
        times = f"{small['health_check_s']:.1f} s → {big['health_check_s']:.1f} s"
        say(f"== scaling: {data_ratio:.2f}× the data → health_check {t_ratio:.2f}× the time ({times})")

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
    lines = [
        (f"whole step ≤ 60 s (scale {m['scale']})", f"{m['health_check_s']:.1f} s", m["health_check_s"] <= 60.0),
        (
            f"whole step ≤ 4 GB peak RSS (scale {m['scale']})",
            f"{m['health_check_peak_gb']:.2f} GB",
            m["health_check_peak_gb"] <= 4.0,
        ),
    ]
    ov = out.get("overlay", {})
    if "qgis" in ov:
        pairs = [
            ("roads (plain r∩b vs QGIS all)", ov["ours"].get("roads_plain"), ov["qgis"]["roads_plain"]),
            ("roads (½ rule default vs QGIS inner+½edge)", ov["ours"]["roads_half_default"], ov["qgis"]["roads_half"]),
            ("facility counts", ov["ours"]["counts"], ov["qgis"]["counts"]),
            ("park area", ov["ours"]["parks"], ov["qgis"]["parks"]),
        ]
        for name, ours, theirs in pairs:
            if ours is not None:
                lines.append(
                    (
                        f"blockcheck ≥ 3× faster than QGIS: {name}",
                        f"{theirs / ours:.2f}× (QGIS {theirs:.2f} s / ours {ours:.2f} s)",
                        theirs / ours >= 3.0,
                    )
                )
        for c in ov["qgis_comparisons"]:
            lines.append((f"equal to QGIS: {c['name']}", f"max rel {c['max_rel_diff']:.1e}", c["equal"]))
    if "floor" in ov:
        pairs = [
            (
                "roads ½ rule default (1 cm grid) vs float floor",
                ov["ours"]["roads_half_default"],
                ov["floor"]["roads_half_float"],
            ),
            ("roads ½ rule precision_m=None", ov["ours"].get("roads_half_float"), ov["floor"]["roads_half_float"]),
            ("roads plain", ov["ours"].get("roads_plain"), ov["floor"]["roads_plain"]),
            ("facility counts", ov["ours"]["counts"], ov["floor"]["counts"]),
            ("park area", ov["ours"]["parks"], ov["floor"]["parks"]),
        ]
        for name, ours, fl in pairs:
            if ours is not None:
                lines.append((f"blockcheck ≤ 1.2× bare floor: {name}", f"{ours / fl:.2f}×", ours / fl <= 1.2))
    nw = out.get("network", {})
    if nw:
        lines.append(
            (
                "blockcheck search ≤ 1.5× bare scipy (nodes)",
                f"{nw['blockcheck_nodes_s'] / nw['scipy_s']:.2f}×",
                nw["blockcheck_nodes_s"] / nw["scipy_s"] <= 1.5,
            )
        )
        lines.append(
            (
                "blockcheck search edge-snapped ≤ 1.5× bare scipy",
                f"{nw['blockcheck_edge_s'] / nw['scipy_s']:.2f}×",
                nw["blockcheck_edge_s"] / nw["scipy_s"] <= 1.5,
            )
        )
    pa = out.get("pandana")
    if pa:
        lines.append(
            (
                f"pandana distances equal to scipy within 0.05 m (scale {pa['scale']})",
                f"max |Δ| {pa['pandana_max_diff_m']:.3f} m",
                pa["pandana_equal"],
            )
        )
    if "scaling" in out:
        s = out["scaling"]
        lines.append(
            (
                f"{s['data_ratio']:.0f}× the data ≤ {1.1 * s['data_ratio']:.1f}× the time",
                f"{s['time_ratio']:.2f}×",
                s["time_ratio"] <= 1.1 * s["data_ratio"],
            )
        )
    say("== targets")
    for name, value, ok in lines:
        say(f"  [{'met' if ok else 'NOT MET'}] {name}: {value}")
    out["targets"] = [{"target": n, "measured": v, "met": bool(ok)} for n, v, ok in lines]


if __name__ == "__main__":
    sys.exit(main())
