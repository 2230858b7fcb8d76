"""Batch benchmark (issue 18.3): ``blockcheck batch`` over generated districts with 1 and 2 worker processes.

Generates ``--districts`` small synthetic cities (:mod:`make_city`, scales cycled from ``--scales``, a seed
each, with their survey tables) and their manifest, then for each worker count of ``--workers`` runs
``blockcheck batch MANIFEST --out DIR --workers N`` in a fresh process into an empty folder, then once more
into the same folder (every district unchanged: skipped). Measured: wall time, the peak RSS of the
command's own process and of each of its child processes (the Dask worker processes), sampled every
0.1 s. The ``district_summary`` tables of the worker counts are compared (the same values, every district
``ok``). Not a test; results go to ``--json`` (kept out of git) and are printed.

Usage::

    .venv/bin/python benchmarks/bench_batch.py [--districts 24] [--scales 0.01,0.02] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
GB = 1024**3


def make_districts(work: Path, n: int, scales: list[float], seed: int) -> tuple[Path, dict]:
    """`n` generated districts under `work`/districts and their manifest (returned, with blocks per district)."""
    from make_city import gpkg_layers, make_city
    from make_surveys import make_surveys, write_surveys

    from blockcheck.io import write_gpkg

    folder = work / "districts"
    lines, blocks = [], {}
    for i in range(n):
        name = f"d{i + 1:02d}"
        city = make_city(scales[i % len(scales)], seed=seed + i)
        target = folder / name / "input.gpkg"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_gpkg(target, gpkg_layers(city))
        write_surveys(make_surveys(city, seed=seed + i), target.parent)
        blocks[name] = len(city["blocks"])
        lines += ["[[district]]", f'name = "{name}"', f'input = "districts/{name}/input.gpkg"', ""]
    manifest = work / "manifest.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest, blocks


def run_measured(cmd: list[str], log: Path) -> dict:
    """Run `cmd`, sampling the RSS of its process and of each child; wall time, exit code and the peaks (GB)."""
    peaks: dict[int, dict] = {}
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                try:
                    procs = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    return
                for p in procs:
                    try:
                        rss = p.memory_info().rss
                    except psutil.Error:
                        continue
                    rec = peaks.setdefault(p.pid, {"root": p.pid == root.pid, "peak": 0})
                    rec["peak"] = max(rec["peak"], rss)
                time.sleep(0.1)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        code = process.wait()
        done.set()
        thread.join()
    children = sorted((r["peak"] / GB for r in peaks.values() if not r["root"]), reverse=True)
    main_peak = max((r["peak"] / GB for r in peaks.values() if r["root"]), default=0.0)
    return {
        "seconds": time.perf_counter() - start,
        "exit_code": code,
        "main_peak_gb": main_peak,
        "child_peaks_gb": children,
    }


def summary_values(out: Path) -> list[dict]:
    """The district_summary rows without the columns that say how the run went (skipped, message)."""
    import pyogrio

    frame = pyogrio.read_dataframe(out / "batch_summary.gpkg", layer="district_summary", read_geometry=False)
    frame = frame.drop(columns=["skipped", "message"])
    return json.loads(frame.to_json(orient="records"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--districts", type=int, default=24, help="how many districts (at least 20 for issue 18)")
    parser.add_argument("--scales", default="0.01,0.02", help="make_city scales, cycled (0.01: 16 blocks)")
    parser.add_argument("--workers", default="1,2", help="worker counts of the local cluster")
    parser.add_argument("--seed", type=int, default=20241801)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_batch"))
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "bench_batch.json")
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    manifest, blocks = make_districts(args.work, args.districts, scales, args.seed)
    print(f"{args.districts} districts ({sum(blocks.values()):,} blocks) generated in {time.perf_counter() - t0:.1f} s")
    blockcheck = str(Path(sys.executable).with_name("blockcheck"))
    results, tables = [], {}
    for n in [int(w) for w in args.workers.split(",")]:
        out = args.work / f"out_{n}"
        subprocess.run(["rm", "-rf", str(out)], check=True)
        for label in ("first run", "re-run (unchanged)"):
            cmd = [blockcheck, "batch", str(manifest), "--out", str(out), "--workers", str(n), "--quiet"]
            got = run_measured(cmd, args.work / f"out_{n}_{label.split()[0]}.log")
            got.update(workers=n, run=label)
            results.append(got)
            workers = got["child_peaks_gb"][:n]
            print(
                f"workers {n}, {label:<19} {got['seconds']:7.1f} s  exit {got['exit_code']}  "
                f"main {got['main_peak_gb']:.2f} GB  worker peaks {', '.join(f'{w:.2f}' for w in workers)} GB"
            )
        tables[n] = summary_values(out)
    counts = list(tables)
    same = all(tables[n] == tables[counts[0]] for n in counts[1:])
    all_ok = all(row["status"] == "ok" for rows in tables.values() for row in rows)
    print(f"district_summary equal across worker counts: {same}; every district ok: {all_ok}")
    machine = {
        "cpus": psutil.cpu_count(),
        "memory_gb": psutil.virtual_memory().total / GB,
        "python": platform.python_version(),
    }
    report = {
        "districts": args.districts,
        "blocks": blocks,
        "scales": scales,
        "machine": machine,
        "results": results,
        "summary_equal": same,
        "all_ok": all_ok,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
