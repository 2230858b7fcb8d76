#!/usr/bin/env python3
"""Deterministic generator of the synthetic, Huitian-like sample district.

Run from the repository root::

    python data/sample_blocks/make_sample.py            # rewrite the files next to this script
    python data/sample_blocks/make_sample.py --out DIR  # write them elsewhere

It writes ``sample_district.gpkg`` (the eight input layers of
``blockcheck/data/input_model.toml``, EPSG:4548, and the ``dataset_info`` table
marking the data synthetic), ``demand_survey.csv`` (the
图3 demand list layout) and ``vision_survey.csv`` (图4 vision list), and prints
the summary numbers of the district.

Everything is SYNTHETIC. The district is modelled on the Huitian (回天) example
of the "four steps, eight lists" guideline: dense 1976–2010 residential
compounds, an unfinished branch-road network, few parks, short public
services and a low job–housing ratio. No real geometry is used: the blocks are
a jittered 4 × 4 grid placed between Huilongguan and Tiantongyuan.
See README.md for the assumptions and their numbers.

The generator itself is the package ``sample_generator/`` next to this script
(its numbers are in ``sample_generator/assumptions.py``); this file is its
command line and writes the files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the generator package next to this script
    sys.path.insert(0, str(HERE))
try:
    from blockcheck.inputs.read import DATASET_INFO_LAYER
    from blockcheck.io import write_gpkg
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(HERE.parents[1]))
    from blockcheck.inputs.read import DATASET_INFO_LAYER
    from blockcheck.io import write_gpkg

from sample_generator import (  # noqa: E402 - importable only once sys.path holds this folder (above)
    DEMAND_CSV,
    DEMAND_HEADERS,
    SEED,
    VISION_CSV,
    VISION_HEADERS,
    csv_bytes,
    dataset_info,
    generate,
    summarize,
)

__all__ = [
    "GPKG_NAME",
    "DEMAND_CSV",
    "VISION_CSV",
    "DEMAND_HEADERS",
    "VISION_HEADERS",
    "SEED",
    "build",
    "dataset_info",
    "generate",
    "summarize",
]

GPKG_NAME = "sample_district.gpkg"


def build(out_dir: str | Path = HERE, seed: int = SEED) -> dict[str, float]:
    """Generate the district and write the GeoPackage and the two CSVs into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layers, surveys = generate(seed)
    write_gpkg(out_dir / GPKG_NAME, {**layers, DATASET_INFO_LAYER: dataset_info(seed)})
    for name, frame in surveys.items():
        (out_dir / name).write_bytes(csv_bytes(frame))
    return summarize(layers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: next to this script)")
    parser.add_argument(
        "--seed", type=int, default=SEED, help=f"random seed (default {SEED}; other seeds are untested)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = build(args.out, args.seed)
    elapsed = time.perf_counter() - started
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    sizes = {name: (args.out / name).stat().st_size for name in (GPKG_NAME, DEMAND_CSV, VISION_CSV)}
    for name, size in sizes.items():
        print(f"{name:<{width}}  {size / 1024:.0f} KiB")
    print(f"{'total size':<{width}}  {sum(sizes.values()) / 1024 / 1024:.2f} MiB")
    print(f"{'generation time':<{width}}  {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
