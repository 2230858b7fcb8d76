"""Markdown tables from a bench_health_check.py JSON (for RESULTS.md).

Usage::

    python benchmarks/results_tables.py benchmarks/results/bench_scale1.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path


def _s(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def stages(main: dict, title: str) -> str:
    lines = [
        f"**{title}**",
        "",
        "| stage | blocks pass (s) | ALL row (s) | total (s) | peak RSS (GB) | +peak (GB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in main["stages"]:
        name = ("↳ " if r["nested"] else "") + r["stage"]
        lines.append(
            f"| {name} | {_s(r['blocks_s'])} | {_s(r['all_s'])} | {_s(r['total_s'])} | {_s(r['peak_gb'])} | {_s(r['rise_gb'])} |"
        )
    lines.append(
        f"| **whole `health_check(...)`** |  |  | **{_s(main['health_check_s'])}** | **{_s(main['health_check_peak_gb'])}** | {_s(main['health_check_rise_gb'])} |"
    )
    return "\n".join(lines)


def rows(data: dict, section: str) -> str:
    lines = ["| what | time (s) | peak RSS (GB) | +peak (GB) | note |", "| --- | ---: | ---: | ---: | --- |"]
    for r in data["rows"]:
        if r["section"] == section:
            lines.append(
                f"| {r['name']} | {r['seconds']:.2f} | {r['peak_gb']:.2f} | {r['rise_gb']:.2f} | {r.get('note', '')} |"
            )
    return "\n".join(lines)


def comparisons(data: dict) -> str:
    lines = ["| comparison | max rel. diff | max abs diff | equal |", "| --- | ---: | ---: | --- |"]
    ov = data.get("overlay", {})
    for c in ov.get("floor_comparisons", []) + ov.get("qgis_comparisons", []):
        lines.append(
            f"| {c['name']} | {c['max_rel_diff']:.1e} | {c['max_abs_diff']:.3g} | {'yes' if c['equal'] else 'no'} |"
        )
    return "\n".join(lines)


def targets(data: dict) -> str:
    lines = ["| target | measured | |", "| --- | --- | --- |"]
    for t in data.get("targets", []):
        lines.append(f"| {t['target'].strip()} | {t['measured']} | {'met' if t['met'] else '**not met**'} |")
    return "\n".join(lines)


def main(path: str) -> None:
    data = json.loads(Path(path).read_text())
    print(stages(data["main"], f"scale {data['main']['scale']}, current code"))
    if "small" in data:
        print()
        print(stages(data["small"], f"scale {data['small']['scale']}, current code"))
    for section in ("generation", "overlay", "network"):
        print()
        print(rows(data, section))
    print()
    print(comparisons(data))
    print()
    print(targets(data))


if __name__ == "__main__":
    main(sys.argv[1])
