"""Markdown tables for RESULTS.md from a bench_health_check.py or a bench_run.py JSON.

Usage::

    python benchmarks/results_tables.py benchmarks/results/bench_scale1.json   # step 1: prints the tables
    python benchmarks/results_tables.py benchmarks/results/bench_run.json \
        [--before benchmarks/results/bench_run_before_scale1.json] [--update benchmarks/RESULTS.md]

A bench_run JSON gives the whole section "The whole run"; with ``--update`` it
replaces the text between the ``<!-- bench_run:begin -->`` and
``<!-- bench_run:end -->`` lines of RESULTS.md (``bench_run.py --update-results``
does the same at the end of a run).
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
from pathlib import Path

#: The lines around the generated section of RESULTS.md.
BEGIN, END = "<!-- bench_run:begin -->", "<!-- bench_run:end -->"


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
        cells = (r["blocks_s"], r["all_s"], r["total_s"], r["peak_gb"], r["rise_gb"])
        lines.append(f"| {name} | " + " | ".join(_s(x) for x in cells) + " |")
    total, peak, rise = (_s(main[k]) for k in ("health_check_s", "health_check_peak_gb", "health_check_rise_gb"))
    lines.append(f"| **whole `health_check(...)`** |  |  | **{total}** | **{peak}** | {rise} |")
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
        measured = t["measured"].replace("|", "\\|")  # a cell's own bars (|Δ|) must not end it
        lines.append(f"| {t['target'].strip()} | {measured} | {_verdict(t['met'])} |")
    return "\n".join(lines)


def step1_tables(data: dict) -> None:
    """Print the step-1 tables of a bench_health_check.py JSON."""
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


# ------------------------------------------------------ bench_run.py: the whole run ----

COMMAND_TITLES = {
    "run": "`blockcheck run` (empty folder)",
    "rerun": "`blockcheck run` again (re-run into the same folder)",
    "maps": "`blockcheck maps`",
    "atlas": "`blockcheck atlas`",
    "report": "`blockcheck report` (PDF + HTML)",
    "step1": "`blockcheck run --until health` (step 1 alone, empty folder)",
}


def _f(x: float | None, digits: int = 2) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def _ok(cmd: dict | None) -> bool:
    return bool(cmd) and not cmd.get("returncode") and "stages" in cmd


def _peak(cmd: dict) -> float:
    return cmd.get("maxrss_gb") or cmd["polled_peak_gb"]


def _prefault_text(info: dict) -> str:
    """What bench_run's pre-faulting of the memory took (a VM's first touch of memory is slow)."""
    runs = [info.get("prefault") or {}, (info.get("added") or {}).get("prefault") or {}]
    parts = [
        f"{r['gib']:.1f} GiB touched before the commands in {r['first_s']:.1f} s, again in {r['second_s']:.1f} s"
        for r in runs
        if "first_s" in r
    ]
    return "; then ".join(parts) if parts else "not pre-faulted before the commands"


def setup_table(data: dict) -> str:
    """Machine, date, commit, load and versions."""
    info = data["info"]
    loads = [c[k] for s in data["scales"] for c in s["commands"].values() for k in ("loadavg_start", "loadavg_end")]
    waits = [c.get("wait", {}) for s in data["scales"] for c in s["commands"].values()]
    others = sorted({o for w in waits for o in w.get("other_processes", [])})
    waited = sum(w.get("waited_s", 0.0) for w in waits)
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    rows = [
        ("date", info["date_utc"] + f" (the benchmark took {data.get('wall_s', 0) / 60:.0f} min)"),
        (
            "machine",
            (
                f"{info['cpu']}, {info['cores']} cores ({info.get('threads_per_core')} thread per core, "
                f"{info.get('hypervisor') or 'no'} hypervisor), {info['ram_gb']:.1f} GiB RAM, "
                f"swap {info['swap_gb']:.0f} GB; {info['os']}"
            ),
        ),
        ("load", f"load average {min(loads):.2f}–{max(loads):.2f} at the commands' starts and ends" if loads else ""),
        (
            "other runs",
            (
                f"waited {waited:.0f} s in all; over 2 GB meanwhile: {'; '.join(others)}"
                if others
                else f"none over 2 GB before the commands (waited {waited:.0f} s in all for a quiet CPU)"
            ),
        ),
        ("memory", _prefault_text(info)),
        ("commit", f"`{info['commit']}`" + (f" — {info['code_note']}" if info.get("code_note") else "")),
        ("code measured", f"`{info['code']}`"),
        ("versions", versions),
        ("command", "`" + shlex.join(info["argv"]) + "`"),
    ]
    if info.get("added"):
        rows.append(("then", f"{info['added']['date_utc']}: `" + shlex.join(info["added"]["argv"]) + "`"))
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def _verdict(met: bool | None) -> str:
    """A target's cell: met, **not met**, or "reference" for a figure shown beside the targets (``met`` None)."""
    return "reference" if met is None else "met" if met else "**not met**"


def targets_table(data: dict) -> str:
    lines = ["| target | measured | |", "| --- | --- | --- |"]
    for t in data.get("targets", []):
        lines.append(f"| {t['target']} | {t['measured']} | {_verdict(t['met'])} |")
    return "\n".join(lines)


def commands_table(data: dict) -> str:
    """Each command per scale: process wall time and peak RSS."""
    scales = data["scales"]
    head = "| command | " + " | ".join(f"scale {s['scale']:g}: s | GB | others / stolen" for s in scales) + " |"
    lines = [head, "| --- |" + " ---: | ---: | ---: |" * len(scales)]
    for key, title in COMMAND_TITLES.items():
        cells = []
        for s in scales:
            c = s["commands"].get(key)
            others = f"{_f(c.get('others_cores'), 1)} / {_f(c.get('steal_cores'), 1)}" if c else ""
            if not c:
                cells += ["", "", ""]
            elif c.get("stopped_over_gb"):
                cells += ["stopped", f"> {c['stopped_over_gb']:g}", others]
            elif c.get("returncode"):
                cells += ["failed", _f(c["polled_peak_gb"]), others]
            else:
                cells += [_f(c["wall_s"], 1), _f(_peak(c)), others]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    cells = []
    for s in scales:
        hc = s.get("health_check_alone") or {}
        others = f"{_f(hc.get('others_cores'), 1)} / {_f(hc.get('steal_cores'), 1)}" if hc else ""
        cells += [_f(hc.get("health_check_s")), _f(hc.get("health_check_peak_gb")), others]
    if any(cells):
        lines.append("| step 1 alone (`health_check`, in-process, fastest of 2) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_stage_table(scale: dict) -> str:
    """Stages of the run and of the re-run at one scale (exclusive seconds, peak RSS, rise)."""
    run, rerun = scale["commands"].get("run"), scale["commands"].get("rerun")
    cmds = [c for c in (run, rerun) if _ok(c)]
    if not cmds:
        return ""
    lines = [
        "| stage | run (s) | peak (GB) | +peak (GB) | re-run (s) | peak (GB) | +peak (GB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_cmd = [{st["stage"]: st for st in c["stages"]} if _ok(c) else {} for c in (run, rerun)]
    for st in cmds[0]["stages"]:
        cells = []
        for stages in by_cmd:
            got = stages.get(st["stage"])
            cells += [_f(got["seconds"]), _f(got["peak_gb"]), _f(got["rise_gb"])] if got else ["", "", ""]
        lines.append(f"| {st['stage']} | " + " | ".join(cells) + " |")
        if len(st["functions"]) > 1:
            for i, fn in enumerate(st["functions"]):
                fcells = []
                for stages in by_cmd:
                    got = stages.get(st["stage"])
                    fcells += [_f(got["functions"][i]["seconds"]), "", ""] if got else ["", "", ""]
                lines.append(f"| ↳ `{fn['function'].rsplit('.', 1)[1]}` | " + " | ".join(fcells) + " |")
    for label, key in (("other", "other_s"), ("imports (before the command)", "imports_s")):
        cells = []
        for c in (run, rerun):
            cells += [_f(c[key]) if _ok(c) else "", "", ""]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for c in (run, rerun):
        cells += [f"**{_f(c['wall_s'])}**", f"**{_f(_peak(c))}**", ""] if _ok(c) else ["", "", ""]
    lines.append("| **process (wall time, peak RSS)** | " + " | ".join(cells) + " |")
    cells = []
    for c in (run, rerun):
        cells += [f"{_f(c.get('others_cores'), 1)} / {_f(c.get('steal_cores'), 1)}" if _ok(c) else "", "", ""]
    lines.append("| cores used by others / stolen meanwhile | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth_table(data: dict) -> str:
    """Seconds per stage of the first run at every scale, and the ratio between successive scales."""
    scales = [s for s in data["scales"] if _ok(s["commands"].get("run"))]
    if len(scales) < 2:
        return ""
    stages = [
        {st["stage"]: st["seconds"] for st in s["commands"]["run"]["stages"]}
        | {"other": s["commands"]["run"]["other_s"], "**in-process total**": s["commands"]["run"]["command_s"]}
        for s in scales
    ]
    ratios = [(scales[i]["scale"], scales[i + 1]["scale"]) for i in range(len(scales) - 1)]
    head = (
        "| stage | "
        + " | ".join(f"scale {s['scale']:g} (s)" for s in scales)
        + " | "
        + " | ".join(f"{b:g} / {a:g}" for a, b in ratios)
        + " |"
    )
    lines = [head, "| --- |" + " ---: |" * (len(scales) + len(ratios))]
    for name in stages[0]:
        values = [st.get(name) for st in stages]
        growth = [
            (values[i + 1] / values[i]) if values[i] and values[i + 1] is not None and values[i] > 0.05 else None
            for i in range(len(ratios))
        ]
        lines.append(
            f"| {name} | "
            + " | ".join(_f(v) for v in values)
            + " | "
            + " | ".join(f"{g:.1f}×" if g else "" for g in growth)
            + " |"
        )
    return "\n".join(lines)


def export_stage_table(data: dict, key: str) -> str:
    """Stages of one export command at every scale."""
    scales = [s for s in data["scales"] if _ok(s["commands"].get(key))]
    if not scales:
        return ""
    head = "| stage | " + " | ".join(f"scale {s['scale']:g}: s | GB" for s in scales) + " |"
    lines = [head, "| --- |" + " ---: | ---: |" * len(scales)]
    first = scales[0]["commands"][key]
    for i, st in enumerate(first["stages"]):
        cells = []
        for s in scales:
            got = s["commands"][key]["stages"][i]
            cells += [_f(got["seconds"]), _f(got["peak_gb"])]
        lines.append(f"| {st['stage']} | " + " | ".join(cells) + " |")
    for label, k in (("other", "other_s"), ("imports (before the command)", "imports_s")):
        lines.append(f"| {label} | " + " | ".join(f"{_f(s['commands'][key][k])} | " for s in scales) + " |")
    lines.append(
        "| **process (wall time, peak RSS)** | "
        + " | ".join(f"**{_f(s['commands'][key]['wall_s'])}** | **{_f(_peak(s['commands'][key]))}**" for s in scales)
        + " |"
    )
    return "\n".join(lines)


def sizes_table(data: dict) -> str:
    """What the city holds and what the run wrote, per scale."""
    scales = data["scales"]
    rows: dict[str, list[str]] = {}

    def put(name: str, i: int, value: str) -> None:
        rows.setdefault(name, [""] * len(scales))[i] = value

    for i, s in enumerate(scales):
        for layer, n in s.get("input", {}).get("layers", {}).items():
            put(f"input: {layer}", i, f"{n:,}")
        inp = s.get("input", {})
        if inp:
            put(
                "input: demand survey rows (communities) / vision survey rows",
                i,
                f"{inp['demand_survey_rows']:,} / {inp['vision_survey_rows']:,}",
            )
            put("input GeoPackage (MB)", i, _f(inp["gpkg_mb"], 0))
        out = s.get("outputs_run", {})
        for layer in (
            "problem_list",
            "resource_list",
            "demand_list",
            "vision_list",
            "strategy_list",
            "policy_list",
            "task_list",
            "project_list",
            "allocation",
            "resource_summary",
        ):
            if layer in out.get("layers", {}):
                put(f"workbook: {layer}", i, f"{out['layers'][layer]:,}")
        if out:
            put("workbook.gpkg / eight_lists.xlsx (MB)", i, f"{_f(out['workbook_mb'], 0)} / {_f(out['excel_mb'], 0)}")
        ex = s.get("exports", {})
        if ex.get("atlas_pages") is not None:
            put("atlas pages (MB)", i, f"{ex['atlas_pages']:,} ({_f(ex['atlas_mb'], 0)})")
        if ex.get("report_pages") is not None:
            put("report pages (MB)", i, f"{ex['report_pages']:,} ({_f(ex['report_mb'], 0)})")
        if ex.get("maps_files") is not None:
            put("maps (PNG + SVG, MB)", i, f"{ex['maps_files']} ({_f(ex['maps_mb'], 0)})")
    lines = ["| | " + " | ".join(f"scale {s['scale']:g}" for s in scales) + " |", "| --- |" + " ---: |" * len(scales)]
    lines += [f"| {name} | " + " | ".join(values) + " |" for name, values in rows.items()]
    return "\n".join(lines)


def before_table(data: dict, before: dict) -> str:
    """Per stage at the scales both JSONs measured: before → now (seconds and peak RSS), run and re-run."""
    now = {s["scale"]: s for s in data["scales"]}
    parts = []
    for old in before["scales"]:
        new = now.get(old["scale"])
        if new is None:
            continue
        for key in ("run", "rerun"):
            a, b = old["commands"].get(key), new["commands"].get(key)
            if not (_ok(a) and _ok(b)):
                continue
            lines = [
                f"**{COMMAND_TITLES[key]}, scale {old['scale']:g}: before → now**",
                "",
                "| stage | before (s) | now (s) | before peak (GB) | now peak (GB) |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            b_st = {st["stage"]: st for st in b["stages"]}
            for st in a["stages"]:
                got = b_st.get(st["stage"], {})
                lines.append(
                    f"| {st['stage']} | {_f(st['seconds'])} | {_f(got.get('seconds'))} | {_f(st['peak_gb'])} | "
                    f"{_f(got.get('peak_gb'))} |"
                )
            lines.append(f"| other | {_f(a['other_s'])} | {_f(b['other_s'])} | | |")
            lines.append(
                f"| **process** | **{_f(a['wall_s'])}** | **{_f(b['wall_s'])}** | **{_f(_peak(a))}** | "
                f"**{_f(_peak(b))}** |"
            )
            cores = [f"{_f(c.get('others_cores'), 1)} / {_f(c.get('steal_cores'), 1)}" for c in (a, b)]
            lines.append(f"| cores used by others / stolen meanwhile | {cores[0]} | {cores[1]} | | |")
            parts.append("\n".join(lines))
        cells = []
        for key in ("maps", "atlas", "report"):
            a, b = old["commands"].get(key), new["commands"].get(key)
            if _ok(a) and _ok(b):
                values = (a["wall_s"], b["wall_s"], _peak(a), _peak(b))
                cells.append(f"| {COMMAND_TITLES[key]} | " + " | ".join(_f(v) for v in values) + " |")
        if cells:
            parts.append(
                "\n".join(
                    [
                        f"**exports, scale {old['scale']:g}: before → now**",
                        "",
                        "| command | before (s) | now (s) | before peak (GB) | now peak (GB) |",
                        "| --- | ---: | ---: | ---: | ---: |",
                        *cells,
                    ]
                )
            )
    return "\n\n".join(parts)


def _repeats_note(data: dict) -> str:
    """How often the run, the re-run and step 1 alone were measured, when more than once."""
    counts = sorted({len(v) for s in data["scales"] for v in s.get("repeats", {}).values()})
    if not counts or counts == [1]:
        return ""
    times = " or ".join(str(n) for n in counts)
    return (
        f" The run, the re-run and step 1 alone were measured {times} times at a scale (each run followed by its "
        "re-run); their rows and stage tables show the measurement of median wall time, and the targets table lists "
        "every one."
    )


def run_section(data: dict, before: dict | None = None, *, title: str | None = None) -> str:
    """The whole generated section for RESULTS.md."""
    parts = []
    if title:
        parts.append(title)
    parts += ["### Setup", setup_table(data), "### Targets (issue 15)", targets_table(data)]
    if data.get("notes"):
        parts.append("\n".join(f"- {n}" for n in data["notes"]))
    parts += [
        "### Every command per scale",
        (
            "Wall time of the process (what a user waits: interpreter start and imports included), its peak RSS "
            "(`ru_maxrss`), and the cores other processes on the machine used meanwhile and the hypervisor stole "
            "(on average; the machine has 2)." + _repeats_note(data)
        ),
        commands_table(data),
    ]
    for s in data["scales"]:
        table = run_stage_table(s)
        if table:
            parts += [f"### Stages of `blockcheck run`, scale {s['scale']:g}", table]
    growth = growth_table(data)
    if growth:
        parts += ["### Growth of the first run's stages with the data", growth]
    for key in ("maps", "atlas", "report"):
        table = export_stage_table(data, key)
        if table:
            parts += [f"### Stages of {COMMAND_TITLES[key]}", table]
    parts += ["### Sizes: the city and what the run wrote", sizes_table(data)]
    if before:
        info = before["info"]
        parts += [
            f"### Before the optimisations ({info['date_utc']}, commit `{info['commit']}`"
            + (f", {info['code_note']}" if info.get("code_note") else "")
            + ")",
            before_table(data, before),
        ]
    return "\n\n".join(p for p in parts if p)


def update_results(json_path: str | Path, results_md: str | Path, *, before: str | Path | None = None) -> None:
    """Replace the bench_run section of `results_md` (between :data:`BEGIN` and :data:`END`) by `json_path`'s tables."""
    data = json.loads(Path(json_path).read_text())
    old = json.loads(Path(before).read_text()) if before else None
    md = Path(results_md)
    text = md.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        msg = f"{md}: no {BEGIN} … {END} lines to replace"
        raise SystemExit(msg)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    md.write_text(f"{head}{BEGIN}\n\n{run_section(data, old)}\n\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", type=Path, help="a bench_health_check.py or bench_run.py JSON")
    parser.add_argument("--before", type=Path, help="bench_run: an earlier run's JSON to compare with")
    parser.add_argument("--update", type=Path, help="bench_run: rewrite this RESULTS.md's bench_run section")
    args = parser.parse_args(argv)
    data = json.loads(args.json.read_text())
    if data.get("kind") != "bench_run":
        step1_tables(data)
    elif args.update:
        update_results(args.json, args.update, before=args.before)
    else:
        old = json.loads(args.before.read_text()) if args.before else None
        print(run_section(data, old))


if __name__ == "__main__":
    main()
