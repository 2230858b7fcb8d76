"""Benchmark: the block atlas (``blockcheck atlas``) for the city-scale synthetic input.

Not a test. Three stages, each skipped when its output already exists:

1. ``benchmarks/make_city.py`` generates the city (``--scale 1``: 1,600 blocks,
   ~1 M buildings) and writes it as an input GeoPackage;
2. ``blockcheck.pipeline.run(..., until=UNTIL)`` writes the workbook;
3. ``blockcheck.report.export_atlas`` renders ``atlas.pdf`` — the timed part.

Target (issue 6): the atlas for ≥ 1,500 blocks in ≤ 10 minutes on the 2-core machine.
``bench_run.py`` times the atlas too (with the whole run and the other exports, at every scale).

Usage::

    .venv/bin/python benchmarks/bench_atlas.py --scale 1.0 --work /tmp/bench_atlas [--until lists]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_atlas"))
    parser.add_argument("--until", choices=["health", "resources", "lists"], default="lists")
    parser.add_argument("--stage", choices=["prepare", "atlas", "all"], default="all")
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--json", type=Path, default=None, help="write the timings here")
    args = parser.parse_args(argv)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    city_gpkg = work / f"city_{args.scale:g}.gpkg"
    out_dir = work / f"run_{args.scale:g}_{args.until}"
    workbook = out_dir / "workbook.gpkg"
    result: dict = {
        "scale": args.scale,
        "until": args.until,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }

    if args.stage in ("prepare", "all"):
        if not city_gpkg.exists():
            from make_city import make_city

            from blockcheck.io import write_gpkg

            t0 = time.perf_counter()
            city = make_city(args.scale)
            write_gpkg(city_gpkg, dict(city))
            result["generate_s"] = round(time.perf_counter() - t0, 1)
            print(f"generated {city_gpkg} in {result['generate_s']} s", flush=True)
        if not workbook.exists():
            from blockcheck.pipeline import run

            t0 = time.perf_counter()
            last = [0.0]

            def progress(fraction: float, message: str) -> None:
                now = time.perf_counter() - t0
                if now - last[0] > 30 or fraction >= 1.0:
                    print(f"  run {fraction:4.0%} {message} ({now:.0f} s)", flush=True)
                    last[0] = now

            run(city_gpkg, out_dir, until=args.until, progress=progress)
            result["pipeline_s"] = round(time.perf_counter() - t0, 1)
            print(f"pipeline.run(until={args.until!r}) in {result['pipeline_s']} s", flush=True)

    if args.stage in ("atlas", "all"):
        import pyogrio

        from blockcheck.report import export_atlas

        blocks = pyogrio.read_info(workbook, layer="block_metrics")["features"]
        out_pdf = out_dir / f"atlas_{args.lang}.pdf"
        t0 = time.perf_counter()
        export_atlas(workbook, out_pdf, lang=args.lang)
        seconds = time.perf_counter() - t0
        from pypdf import PdfReader

        pages = len(PdfReader(out_pdf).pages)
        result.update(
            {
                "blocks": blocks,
                "pages": pages,
                "atlas_s": round(seconds, 1),
                "s_per_page": round(seconds / pages, 3),
                "pdf_mb": round(out_pdf.stat().st_size / 1e6, 1),
                "peak_rss_gb": round(_peak_gb(), 2),
                "target_s": 600,
            }
        )
        verdict = "OK" if seconds <= 600 else "OVER"
        print(
            f"atlas: {blocks} blocks, {pages} pages, {seconds:.1f} s ({seconds / pages:.3f} s/page), "
            f"{result['pdf_mb']} MB, peak RSS {result['peak_rss_gb']} GB -> {verdict} (target 600 s)",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
