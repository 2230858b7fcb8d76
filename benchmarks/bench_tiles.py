"""Tiled-run benchmark (issue 18.2/18.3): ``blockcheck run`` whole vs ``--tiles N`` with 1 and 2 worker processes.

For each ``--city SCALE=PATH`` (a :mod:`make_city` GeoPackage with its survey tables next to it; reused,
never rebuilt here) runs, each in a fresh process into an empty folder, one after the other:
``blockcheck run CITY --out DIR`` (whole city) and ``blockcheck run CITY --out DIR --tiles N --workers K``
for each K of ``--workers``. Measured: wall time, the peak RSS of the command's own process (the driver)
and of each of its child processes (the Dask worker processes), sampled every 0.1 s
(:func:`bench_batch.run_measured`). Each tiled workbook is compared with the whole run's
(:func:`blockcheck.tiles.compare.compare_workbooks`: every layer but the run metadata, every row; numbers
to 1e-9 relative, NaN in the same places). Before each command the script waits until the machine has
``--min-available-gb`` of memory available (other sessions share it) and records the load average.
Not a test; results go to ``--json`` and ``--log``.

Usage::

    .venv/bin/python benchmarks/bench_tiles.py --city 1=/tmp/b1/city.gpkg --tiles 1=4 \\
        [--city 4=/tmp/bench_run/scale4/city.gpkg --tiles 4=16] [--workers 1,2] [--code DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
GB = 1024**3

from bench_batch import run_measured  # noqa: E402 - the benchmarks folder is on the path from here


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep:
            raise SystemExit(f"{what} {value}: give SCALE=VALUE, e.g. 1=4")
        out[key] = rest
    return out


def wait_for_memory(min_gb: float, max_wait_s: float, log) -> dict:
    """Wait until `min_gb` of memory is available (at most `max_wait_s`); what the machine had then."""
    start = time.perf_counter()
    while psutil.virtual_memory().available / GB < min_gb and time.perf_counter() - start < max_wait_s:
        time.sleep(10)
    state = {
        "available_gb": psutil.virtual_memory().available / GB,
        "waited_s": time.perf_counter() - start,
        "load_average": os.getloadavg(),
    }
    load = ", ".join(f"{x:.2f}" for x in state["load_average"])
    log(f"  memory available {state['available_gb']:.1f} GB (waited {state['waited_s']:.0f} s), load average {load}")
    return state


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city", action="append", required=True, help="SCALE=PATH of a make_city GeoPackage")
    parser.add_argument("--tiles", action="append", default=[], help="SCALE=N tiles of the tiled runs (default 4)")
    parser.add_argument("--workers", default="1,2", help="worker processes of the tiled runs")
    parser.add_argument("--code", type=Path, default=ROOT, help="the blockcheck source tree measured (PYTHONPATH)")
    parser.add_argument("--code-note", default="", help="what --code is (e.g. a worktree of commit X)")
    parser.add_argument("--min-available-gb", type=float, default=15.0, help="wait for this much free memory")
    parser.add_argument("--max-wait-s", type=float, default=900.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_tiles"))
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "bench_tiles.json")
    parser.add_argument("--log", type=Path, default=ROOT / "benchmarks" / "results" / "bench_tiles.log")
    args = parser.parse_args(argv)
    cities, tiles = _pairs(args.city, "--city"), _pairs(args.tiles, "--tiles")
    workers = [int(w) for w in args.workers.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    log_file = args.log.open("w", encoding="utf-8")

    def log(text: str) -> None:
        print(text, flush=True)
        log_file.write(text + "\n")
        log_file.flush()

    env = dict(os.environ, PYTHONPATH=str(args.code.resolve()), PYTHONWARNINGS="ignore")
    python = sys.executable
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cpus": psutil.cpu_count(),
        "memory_gb": psutil.virtual_memory().total / GB,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    log(f"bench_tiles {started.isoformat()} commit {commit} code {args.code} {args.code_note}")
    log(f"machine {machine}")
    results = []
    for scale, city in cities.items():
        n_tiles = int(tiles.get(scale, 4))
        log(f"== scale {scale}: {city} ({Path(city).stat().st_size / 1e6:,.0f} MB), tiled runs with {n_tiles} tiles")
        runs = [("whole", None, None)] + [(f"tiles {n_tiles}, {k} worker(s)", n_tiles, k) for k in workers]
        whole_out = None
        for label, n, k in runs:
            out = args.work / f"scale{scale}" / ("whole" if n is None else f"tiles{n}_workers{k}")
            shutil.rmtree(out, ignore_errors=True)
            cmd = [python, "-m", "blockcheck.cli", "run", city, "--out", str(out), "--quiet"]
            if n is not None:
                cmd += ["--tiles", str(n), "--workers", str(k)]
            before = wait_for_memory(args.min_available_gb, args.max_wait_s, log)
            got = run_measured_env(cmd, out.with_suffix(".log"), env)
            got.update(scale=scale, run=label, tiles=n, workers=k, before=before, load_after=os.getloadavg())
            peaks = got["child_peaks_gb"][: k or 0]
            log(
                f"  {label:<24} {got['seconds']:7.1f} s  exit {got['exit_code']}  driver {got['main_peak_gb']:.2f} GB"
                + (f"  worker peaks {', '.join(f'{p:.2f}' for p in peaks)} GB" if peaks else "")
            )
            if n is None:
                whole_out = out
            elif got["exit_code"] == 0 and whole_out is not None:
                from blockcheck.tiles.compare import compare_workbooks

                t0 = time.perf_counter()
                diff = compare_workbooks(whole_out / "workbook.gpkg", out / "workbook.gpkg")
                got["differences"] = diff
                log(
                    f"    equal to the whole run (every layer, 1e-9 relative): {not diff}"
                    f" ({time.perf_counter() - t0:.0f} s to compare)"
                    + ("" if not diff else f"; differs: {json.dumps(diff, ensure_ascii=False)[:2000]}")
                )
            results.append(got)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {
                        "started_utc": started.isoformat(),
                        "commit": commit,
                        "code": str(args.code),
                        "code_note": args.code_note,
                        "machine": machine,
                        "command": " ".join(sys.argv),
                        "results": results,
                    },
                    indent=1,
                ),
                encoding="utf-8",
            )
    log(f"finished {dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}; JSON {args.json}")


def run_measured_env(cmd: list[str], log: Path, env: dict) -> dict:
    """:func:`bench_batch.run_measured` with `env` for the command (PYTHONPATH of the code measured)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        return run_measured(cmd, log)
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    main()
