"""Benchmark of the whole ``blockcheck run`` and the hearing exports on the synthetic city.

Not a test. For every scale asked (default 0.25, 1 and 4) it generates the
city with its survey tables (``make_city.py --surveys``), then runs, each in a
fresh process, exactly what a user types:

1. ``blockcheck run CITY --out OUT`` into an empty folder;
2. the same again into the same folder (the re-run: the previous workbook is read);
3. ``blockcheck maps``, ``blockcheck atlas`` and ``blockcheck report`` of that workbook;

and at the scales of ``--health-check-scales`` (default 0.25) step 1 alone
(``bench_health_check.py --health-check-only``), one after the other on the
same machine, for the ratio whole run / health check.

Every command runs in-process in a child (``--child``) through
``blockcheck.cli``; the functions in ``run_stages.STAGES`` are replaced by timing
wrappers in the module namespace they are called from for that run (a name
that no longer exists stops the benchmark with a message: update the table).
A stage's time is *exclusive*: time spent in another wrapped function called
from it counts for that one, so the stages and "other" add up to the command.
Memory is the process RSS plus the unique memory (USS) of the parts a run
forks (blockcheck/parallel.py: the resource search, the Excel file): sampled
every 5 ms during each stage (``Meter``); for the command the larger of that
peak and the process's own high-water mark (``ru_maxrss``). The parent
polls every child's RSS and stops one that exceeds ``--max-gb`` (default 20).

Before a child starts, the parent waits until no other process on the machine
holds more than ``--other-gb`` (default 2) GB (from scale ``--memory-scale``, 1,
up; at most ``--max-wait-s``, 3600) and the others use at most ``--other-cpu``
(default 1) cores (from scale ``--quiet-scale``, 0.25, up; at most
``--max-cpu-wait-s``, 600):
other people's runs share the 2 cores and the RAM (blockcheck runs on one core,
so one free core is the least for numbers that can be compared). The CPU time
other processes took during each command (and the time the hypervisor stole) is
recorded, so a number measured on a busy machine shows it.

Before the first command the machine's free memory (``--prefault-gb``, default
all but 2 GiB of what is available) is touched once, in a child process that then
frees it: a virtual machine's hypervisor backs guest memory on first touch, which
on a freshly started VM made the first scale-4 run pay for it (2026-12-03:
touching 18 GiB took 37.3 s the first time, 4.8–6.9 s after). The times of two
passes are recorded.

Usage (see README.md)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_run.py --scales 0.25,1,4 --update-results
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402 - importable only after the sys.path line above
from machine import (  # noqa: E402 - importable only after the sys.path line above
    REPO,
    Log,
    machine_info,
    prefault_memory,
    run_child,
    wait_for_machine,
)
from measure import GB, Meter  # noqa: E402 - importable only after the sys.path line above
from run_stages import (  # noqa: E402 - importable only after the sys.path line above
    COMMANDS,
    REPEATED,
    StageTimer,
)


def _plan(commands: list[str], repeats: int) -> list[tuple[str, str, int]]:
    """(key, what, turn) in the order measured: run and re-run alternate `repeats` times, the exports once (on the
    last re-run's workbook), step 1 alone `repeats` times."""
    wanted = [(k, w) for k, w in COMMANDS if k in commands]
    pairs = [(k, w, t) for t in range(repeats) for k, w in wanted if k in ("run", "rerun")]
    once = [(k, w, 0) for k, w in wanted if k not in REPEATED]
    step1 = [(k, w, t) for t in range(repeats) for k, w in wanted if k == "step1"]
    return pairs + once + step1


def _median_run(runs: list[dict]) -> dict:
    """The measurement of median wall time (of an even number, the slower middle one); failures count as slowest."""
    ranked = sorted(runs, key=lambda r: (bool(r.get("returncode")), r.get("wall_s", float("inf"))))
    return ranked[len(ranked) // 2]


def _brief(run: dict) -> dict:
    """What the targets table quotes of each measurement."""
    keys = ("wall_s", "command_s", "maxrss_gb", "returncode", "others_cores", "steal_cores")
    return {k: run.get(k) for k in keys}


def child_main(command: str, cli_args: list[str], json_path: Path) -> int:
    """One command in this process, every stage timed; the figures go to `json_path`."""
    t0 = time.perf_counter()
    measure.METER = Meter()
    start_rss = measure.METER.rss()
    import blockcheck
    import blockcheck.cli

    timer = StageTimer("run" if command in ("rerun", "step1") else command)
    timer.install()
    imports_s = time.perf_counter() - t0
    error = None
    try:
        with measure.METER.measure() as total:
            try:
                blockcheck.cli.cli.main(args=cli_args, prog_name="blockcheck", standalone_mode=False)
            except SystemExit as exit_:
                if exit_.code not in (0, None):
                    error = f"exit code {exit_.code}"
    finally:
        timer.restore()
        measure.METER.running = False
    out = {
        "command": command,
        "cli_args": cli_args,
        "blockcheck": str(Path(blockcheck.__file__).parent),
        "imports_s": imports_s,
        "command_s": total["seconds"],
        "command_peak_gb": total["peak"] / GB,
        "start_gb": start_rss / GB,
        # the process's high-water mark, or the sampled peak with the forked parts' own memory when higher
        "maxrss_gb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, total["peak"]) / GB,
        "process_maxrss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB,
        "error": error,
        **timer.table(total["seconds"]),
    }
    json_path.write_text(json.dumps(out, indent=1, default=list))
    return 0 if error is None else 1


# --------------------------------------------------------------- the parent ----


def layer_counts(workbook: Path) -> dict[str, int]:
    """Features per layer of the workbook."""
    import pyogrio

    return {
        str(name): int(pyogrio.read_info(workbook, layer=name)["features"]) for name, _ in pyogrio.list_layers(workbook)
    }


def pdf_pages(path: Path) -> int | None:
    """Pages of a PDF written by matplotlib (its page objects are plain text)."""
    if not path.is_file():
        return None
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def _mb(path: Path) -> float | None:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6 if path.exists() else None


def scale_dir(work: Path, scale: float) -> Path:
    return work / f"scale{scale:g}"


def bench_scale(scale: float, args: argparse.Namespace, env: dict, say: Log, save: Callable[[dict], None]) -> dict:
    """Generation, run, re-run, exports and (optionally) step 1 alone at one scale; `save` after every command."""
    folder = scale_dir(args.work, scale)
    city, out = folder / "city.gpkg", folder / "out"
    result: dict = {"scale": scale, "commands": {}}
    careful = scale >= args.quiet_scale

    def child(cmd: list[str]) -> dict:
        waited = wait_for_machine(args, say, memory=scale >= args.memory_scale) if careful else {}
        got = run_child(cmd, env=env, max_gb=args.max_gb, say=say)
        return {**got, **({"wait": waited} if waited else {})}

    say(f"== scale {scale:g}: city and surveys")
    if not (args.reuse_city and city.exists()):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        gen = child(
            [sys.executable, str(HERE / "make_city.py"), "--scale", str(scale), "--seed", str(args.seed)]
            + ["--out", str(city), "--surveys"]
        )
        result["generation"] = gen
        if gen["returncode"]:
            result["error"] = "generation failed"
            return result
    result["input"] = {
        "layers": layer_counts(city),
        "gpkg_mb": _mb(city),
        "demand_survey_rows": sum(1 for _ in (folder / "demand_survey.csv").open(encoding="utf-8-sig")) - 1,
        "vision_survey_rows": sum(1 for _ in (folder / "vision_survey.csv").open(encoding="utf-8-sig")) - 1,
    }
    if out.exists() and "run" in args.commands:  # the first run writes into an empty folder
        shutil.rmtree(out)
    workbook = out / "workbook.gpkg"
    cli_args = {
        "run": ["run", str(city), "--out", str(out), "--quiet"],
        "rerun": ["run", str(city), "--out", str(out), "--quiet"],
        "maps": ["maps", str(workbook), "--out", str(out / "maps")],
        "atlas": ["atlas", str(workbook), "--out", str(out / "atlas.pdf"), "--quiet"],
        "report": ["report", str(workbook), "--out", str(out / "report.pdf")],
        "step1": ["run", str(city), "--out", str(folder / "out_step1"), "--until", "health", "--quiet"],
    }
    runs: dict[str, list[dict]] = {}
    for key, what, turn in _plan(args.commands, args.repeats):
        if key == "step1":  # step 1 alone reads the city, not the workbook, and writes into an empty folder
            shutil.rmtree(folder / "out_step1", ignore_errors=True)
        elif key == "run" and turn:  # every run writes into an empty folder
            shutil.rmtree(out, ignore_errors=True)
        elif key != "run" and not workbook.exists():
            say(f"   (no workbook: {what} skipped)")
            continue
        say(f"== scale {scale:g}: {what}" + (f" (measurement {turn + 1} of {args.repeats})" if key in REPEATED else ""))
        child_json = folder / f"child_{key}.json"
        child_json.unlink(missing_ok=True)
        got = child(
            [sys.executable, str(Path(__file__).resolve()), "--child", key, "--child-json", str(child_json)]
            + ["--", *cli_args[key]]
        )
        if child_json.exists():
            got.update(json.loads(child_json.read_text()))
        runs.setdefault(key, []).append(got)
        result["commands"][key] = _median_run(runs[key])
        if key in REPEATED:
            result.setdefault("repeats", {})[key] = [_brief(r) for r in runs[key]]
        _say_command(key, got, say)
        save(result)
        if key in ("run", "rerun") and workbook.exists():
            result[f"outputs_{key}"] = {
                "layers": layer_counts(workbook),
                "workbook_mb": _mb(workbook),
                "excel_mb": _mb(out / "eight_lists.xlsx"),
            }
        if got.get("stopped_over_gb"):
            say(f"   stopped: over {args.max_gb:g} GB")
            break
    result["exports"] = {
        "maps_mb": _mb(out / "maps"),
        "maps_files": len(list((out / "maps").glob("*.png"))) if (out / "maps").is_dir() else None,
        "atlas_pages": pdf_pages(out / "atlas.pdf"),
        "atlas_mb": _mb(out / "atlas.pdf"),
        "report_pages": pdf_pages(out / "report.pdf"),
        "report_mb": _mb(out / "report.pdf"),
    }
    if scale in args.health_check_scales:
        say(f"== scale {scale:g}: step 1 alone (bench_health_check.py --health-check-only)")
        hc_json = folder / "health_check.json"
        got = child(
            [sys.executable, str(HERE / "bench_health_check.py"), "--scale", str(scale), "--seed", str(args.seed)]
            + ["--health-check-only", "--health-check-repeats", str(args.health_check_repeats), "--json", str(hc_json)]
        )
        if hc_json.exists():
            main = json.loads(hc_json.read_text())["main"]
            got.update({k: main[k] for k in ("health_check_s", "health_check_peak_gb", "runs_s", "generation_s")})
        result["health_check_alone"] = got
    if not args.keep:
        for path in (out / "maps", out / "atlas.pdf", out / "report.pdf", out / "report.html", out / "report_files"):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    return result


def _say_command(key: str, got: dict, say: Log) -> None:
    if got.get("returncode"):
        say(f"   FAILED ({key}, exit {got['returncode']}): see the output above")
    if "stages" not in got:
        return
    say(f"   {'stage':<62}{'s':>9}{'peak GB':>9}{'+GB':>7}{'calls':>6}")
    for s in got["stages"]:
        peak = "" if s["peak_gb"] is None else f"{s['peak_gb']:9.2f}{s['rise_gb']:7.2f}"
        say(f"   {s['stage']:<62}{s['seconds']:9.2f}{peak:>16}{s['calls']:6d}")
        if len(s["functions"]) > 1:
            for f in s["functions"]:
                say(f"     ↳ {f['function']:<58}{f['seconds']:9.2f}{'':>16}{f['calls']:6d}")
    say(f"   {'other':<62}{got['other_s']:9.2f}")
    say(
        f"   command {got['command_s']:.2f} s in-process (+{got['imports_s']:.2f} s imports), process wall "
        f"{got['wall_s']:.2f} s, peak RSS {got['maxrss_gb']:.2f} GB"
    )
    if got["uncalled"] and key != "step1":  # step 1 alone calls none of the stages of steps 2–4
        say(f"   WARNING: wrapped but never called: {', '.join(got['uncalled'])} (update STAGES if they are gone)")


def targets(scales: list[dict]) -> list[dict]:
    """The issue's targets, from the figures measured."""
    by = {s["scale"]: s for s in scales}
    out = []

    def cmd(scale: float, key: str) -> dict | None:
        got = by.get(scale, {}).get("commands", {}).get(key)
        return got if got and not got.get("returncode") else None

    def measured(scale: float, key: str) -> list[dict]:
        """The measurements of `key` that succeeded, in the order taken."""
        return [r for r in by.get(scale, {}).get("repeats", {}).get(key, []) if not r.get("returncode")]

    def each(scale: float, key: str) -> str:
        """' (median of 3: a, b, c s)' — every wall time (nothing for a single measurement)."""
        got = measured(scale, key)
        times = ", ".join(f"{r['wall_s']:.1f}" for r in got)
        return f" (median of {len(got)}: {times} s)" if len(got) > 1 else ""

    def medians(scale: float, key: str) -> str:
        return ", medians)" if len(measured(scale, key)) > 1 else ")"

    for key, what in (("run", "whole run"), ("rerun", "re-run into the same folder")):
        got = cmd(1.0, key)
        if got:
            out.append(
                {
                    "target": f"{what} ≤ 60 s at scale 1",
                    "measured": f"{got['wall_s']:.1f} s" + each(1.0, key),
                    "met": got["wall_s"] <= 60,
                }
            )
            peaks = [r["maxrss_gb"] for r in by[1.0].get("repeats", {}).get(key, []) if r.get("maxrss_gb")]
            peak = max(peaks or [got["maxrss_gb"]])  # memory: the highest of the measurements, not the median
            out.append(
                {
                    "target": f"{what} ≤ 4 GB peak RSS at scale 1",
                    "measured": f"{peak:.2f} GB" + (f" (the highest of {len(peaks)})" if len(peaks) > 1 else ""),
                    "met": peak <= 4,
                }
            )
    for small, large in ((0.25, 1.0), (1.0, 4.0)):
        a, b = cmd(small, "run"), cmd(large, "run")
        if a and b:
            data = by[large]["input"]["layers"]["buildings"] / by[small]["input"]["layers"]["buildings"]
            ratio = b["command_s"] / a["command_s"]
            out.append(
                {
                    "target": f"{data:.2f}× the data ≤ 4.4× the time (run in-process, scale {small:g} → {large:g})",
                    "measured": f"{ratio:.2f}× ({a['command_s']:.1f} s → {b['command_s']:.1f} s"
                    + medians(large, "run"),
                    "met": ratio <= 4.4,
                }
            )
    for scale, s in by.items():
        hc, run = s.get("health_check_alone", {}), cmd(scale, "run")
        if run and hc.get("health_check_s"):
            ratio = run["command_s"] / hc["health_check_s"]
            out.append(  # not the target's reading: the function alone neither reads the city nor writes
                {
                    "target": (
                        f"for reference: whole run (in-process) / `health_check()` on layers already in memory "
                        f"(scale {scale:g})"
                    ),
                    "measured": (
                        f"{ratio:.2f}× ({run['command_s']:.1f} s / {hc['health_check_s']:.2f} s; "
                        f"process wall {run['wall_s']:.1f} s: {run['wall_s'] / hc['health_check_s']:.2f}×)"
                    ),
                    "met": None,
                }
            )
    for scale in by:
        run, step1 = cmd(scale, "run"), cmd(scale, "step1")
        if run and step1:
            ratio = run["wall_s"] / step1["wall_s"]
            out.append(
                {
                    "target": (
                        f"whole run ≤ 2× the health check alone, both as a user runs them (`blockcheck run` and "
                        f"`blockcheck run --until health`, process wall; scale {scale:g})"
                    ),
                    "measured": f"{ratio:.2f}× ({run['wall_s']:.1f} s / {step1['wall_s']:.1f} s"
                    + medians(scale, "step1"),
                    "met": ratio <= 2,
                }
            )
    for key in ("maps", "atlas", "report"):
        got = cmd(1.0, key)
        if got:
            out.append(
                {
                    "target": f"`blockcheck {key}` at scale 1 timed",
                    "measured": f"{got['wall_s']:.1f} s, {got['maxrss_gb']:.2f} GB",
                    "met": True,
                }
            )
    return out


def parent_main(args: argparse.Namespace) -> int:
    args.work.mkdir(parents=True, exist_ok=True)
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text("")
    say = Log(args.log)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    # always: an editable install of blockcheck elsewhere (another checkout) would otherwise win in the children
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.code.resolve()), env.get("PYTHONPATH")]))
    info = machine_info(args.code)
    if args.code_note:
        info["code_note"] = args.code_note
    say(f"bench_run — {info['date_utc']}, {info['cpu']}, {info['cores']} cores, {info['ram_gb']:.1f} GB RAM")
    say(f"commit {info['commit']}, code {info['code']}; {info['versions']}")
    gib = args.prefault_gb if args.prefault_gb is not None else psutil.virtual_memory().available / 2**30 - 2
    info["prefault"] = prefault_memory(min(gib, args.max_gb), say)
    data: dict = {"kind": "bench_run", "info": info, "scales": [], "notes": []}
    if args.add and args.json and args.json.exists():  # keep the scales measured earlier, replace those measured now
        earlier = json.loads(args.json.read_text())
        data["scales"] = [s for s in earlier["scales"] if s["scale"] not in args.scales]
        data["notes"] = [  # notes on the scales measured again, and the earlier note on when which was measured, go
            n
            for n in earlier.get("notes", [])
            if not any(f"scale {x:g}" in n for x in args.scales) and "(a second invocation with --add)" not in n
        ]
        kept = ", ".join(f"{x['scale']:g}" for x in data["scales"])
        now = ", ".join(f"{x:g}" for x in args.scales)
        data["notes"].append(
            f"scale(s) {kept} measured from {earlier['info']['date_utc']}, scale(s) {now} from {info['date_utc']} "
            "(a second invocation with --add)"
        )
        data["info"] = earlier["info"] | {"added": info, "wall_s_earlier": earlier.get("wall_s")}
    t0 = time.perf_counter()

    def save(partial: dict | None = None) -> None:
        if not args.json:
            return
        scales = sorted([*data["scales"], *([partial] if partial else [])], key=lambda s: s["scale"])
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data | {"scales": scales, "targets": targets(scales)}, indent=1, default=list))

    for scale in args.scales:
        done = [s for s in data["scales"] if s["commands"]]
        if scale > 1 and done:
            biggest = max(done, key=lambda s: s["scale"])
            peak = max(
                (c.get("maxrss_gb") or c["polled_peak_gb"]) for c in biggest["commands"].values() if "wall_s" in c
            )
            predicted = peak * scale / biggest["scale"]
            if predicted > args.max_gb:
                note = (
                    f"scale {scale:g} skipped: memory would exceed {args.max_gb:g} GB (peak {peak:.2f} GB at scale "
                    f"{biggest['scale']:g} × {scale / biggest['scale']:g} = {predicted:.1f} GB predicted)"
                )
                say(f"== {note}")
                data["notes"].append(note)
                continue
        got = bench_scale(scale, args, env, say, save)  # the JSON is written after every command
        data["scales"] = sorted([*data["scales"], got], key=lambda s: s["scale"])
        stopped = [k for k, c in got["commands"].items() if c.get("stopped_over_gb")]
        if stopped:
            data["notes"].append(f"scale {scale:g}: {', '.join(stopped)} stopped over {args.max_gb:g} GB")
        save()
    data["wall_s"] = time.perf_counter() - t0 + (data["info"].get("wall_s_earlier") or 0.0)
    data["loadavg_end"] = os.getloadavg()
    data["targets"] = targets(data["scales"])
    say("== targets")
    for t in data["targets"]:
        verdict = "reference" if t["met"] is None else "met" if t["met"] else "NOT MET"
        say(f"   {t['target']:<70} {t['measured']:<40} {verdict}")
    for note in data["notes"]:
        say(f"   note: {note}")
    say(f"benchmark wall time {data['wall_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, default=list))
        say(f"JSON: {args.json}")
    if args.update_results and args.json:
        import results_tables

        results_tables.update_results(args.json, HERE / "RESULTS.md", before=args.before)
        say(f"RESULTS.md: section between the bench_run markers rewritten from {args.json}")
    return 0


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--child" in argv:  # bench_run.py --child KEY --child-json PATH -- CLI ARGS...
        split = argv.index("--")
        own, cli_args = argv[:split], argv[split + 1 :]
        key, json_path = own[own.index("--child") + 1], Path(own[own.index("--child-json") + 1])
        return child_main(key, cli_args, json_path)
    parser = argparse.ArgumentParser(description="Benchmark the whole blockcheck run and the hearing exports.")
    parser.add_argument("--scales", type=_floats, default=[0.25, 1.0, 4.0], help="comma-separated (default 0.25,1,4)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_run"), help="city and outputs per scale")
    parser.add_argument(
        "--commands",
        type=lambda t: t.split(","),
        default=[k for k, _ in COMMANDS],
        help="subset of run,rerun,maps,atlas,report,step1 (default all)",
    )
    parser.add_argument(
        "--health-check-scales",
        type=_floats,
        default=[0.25],
        help="scales at which step 1 alone is measured too (default 0.25; empty: none)",
    )
    parser.add_argument("--health-check-repeats", type=int, default=2, help="as in bench_health_check.py")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="times the run, the re-run and step 1 alone are measured per scale (each run followed by its re-run); "
        "the targets read the median (default 3: the VM's speed moves by more than the targets' margins)",
    )
    parser.add_argument(
        "--max-gb", type=float, default=20.0, help="stop a command above this RSS; skip scales predicted above"
    )
    parser.add_argument("--other-gb", type=float, default=2.0, help="wait while another process holds more than this")
    parser.add_argument(
        "--other-cpu", type=float, default=1.0, help="wait while other processes use more than this many cores"
    )
    parser.add_argument(
        "--quiet-scale", type=float, default=0.25, help="wait for a quiet CPU before commands from this scale up"
    )
    parser.add_argument(
        "--memory-scale", type=float, default=1.0, help="wait for --other-gb before commands from this scale up"
    )
    parser.add_argument(
        "--max-wait-s", type=float, default=3600.0, help="go ahead after waiting this long for memory (per command)"
    )
    parser.add_argument(
        "--max-cpu-wait-s", type=float, default=600.0, help="go ahead after waiting this long for CPU (per command)"
    )
    parser.add_argument(
        "--prefault-gb",
        type=float,
        default=None,
        help="GiB of memory to touch once before the commands (default: available − 2; 0: none)",
    )
    parser.add_argument("--reuse-city", action="store_true", help="keep an existing city of the same scale in --work")
    parser.add_argument("--keep", action="store_true", help="keep the maps, atlas and report files")
    parser.add_argument("--code", type=Path, default=REPO, help="folder holding the blockcheck package to measure")
    parser.add_argument("--code-note", default="", help="what --code is, for RESULTS.md")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "bench_run.json")
    parser.add_argument("--log", type=Path, default=HERE / "results" / "bench_run.log")
    parser.add_argument("--update-results", action="store_true", help="rewrite RESULTS.md's bench_run section")
    parser.add_argument(
        "--add", action="store_true", help="keep the other scales of an existing --json (e.g. after an interruption)"
    )
    parser.add_argument(
        "--before", type=Path, default=None, help="a JSON of an earlier run to compare with in RESULTS.md"
    )
    return parent_main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
