"""The stages of a benchmarked command: which functions are timed, and the wrappers that time them.

:data:`STAGES` names, per command, the functions ``bench_run.py`` replaces by
timing wrappers (:class:`StageTimer`) in the module namespace the caller looks
them up in. A stage's time is exclusive: time spent in another wrapped function
called from it counts for that one, so the stages and "other" add up to the
command. Memory per stage: the peak and rise of :data:`measure.METER`.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections import defaultdict

import measure
from measure import GB

#: (command, module, function, stage): the wrapped functions, by command. The
#: module is the namespace the caller looks the name up in (a ``from x import f``
#: at the top of a module needs that module; a local import inside a function
#: looks up the defining module). Stages of the issue's list; a stage with more
#: than one function also gets a row per function.
STAGES: list[tuple[str, str, str, str]] = [
    ("run", "blockcheck.pipeline", "check_input", "read + validate"),
    ("run", "blockcheck.steps.health_check", "health_check", "health check"),
    ("run", "blockcheck.steps.health_check", "assess", "health check"),
    ("run", "blockcheck.steps.health_check", "build_problem_list", "health check"),
    # the resource search runs in a forked process beside the health check, the Excel file beside the
    # GeoPackage, written ahead during step 3 (blockcheck/parallel.py): the parent's stages are the fork
    # and the wait for the result
    ("run", "blockcheck.parallel", "start", "forked parts: fork (resources; Excel)"),
    ("run", "blockcheck.parallel", "Forked.result", "forked parts: wait for the result (resources; Excel)"),
    # the surveys are read before step 1 and matched while the forked search finishes (before its wait)
    ("run", "blockcheck.steps.consultation", "read_surveys", "surveys (step 2)"),
    ("run", "blockcheck.steps.consultation", "ask_needs", "surveys (step 2)"),
    ("run", "blockcheck.steps.strategy", "tag_planned_land", "allocation"),
    ("run", "blockcheck.steps.strategy", "allocate", "allocation"),
    ("run", "blockcheck.steps.strategy", "_second_passes", "allocation"),
    ("run", "blockcheck.steps.strategy", "build_strategy_list", "strategies"),
    ("run", "blockcheck.steps.strategy", "carried_strategies", "strategies"),
    ("run", "blockcheck.steps.strategy", "_with_ids", "strategies"),
    ("run", "blockcheck.steps.strategy", "block_needs", "siting"),
    ("run", "blockcheck.steps.strategy", "site_in_blocks", "siting"),
    ("run", "blockcheck.steps.strategy", "allocation_placements", "siting"),
    ("run", "blockcheck.steps.strategy", "road_placements", "siting"),
    ("run", "blockcheck.steps.strategy", "draft_projects", "projects draft"),
    ("run", "blockcheck.steps.strategy", "open_items", "policies"),
    ("run", "blockcheck.steps.strategy", "build_policy_list", "policies"),
    ("run", "blockcheck.steps.action", "rank_projects", "tasks + project ranking (step 4)"),
    ("run", "blockcheck.steps.action", "build_task_list", "tasks + project ranking (step 4)"),
    # the input's digest runs in a thread beside the reading (pipeline._digest_beside): shown, not summed
    ("run", "blockcheck.pipeline", "file_digest", "input SHA-256 (a thread beside read + validate; not summed)"),
    ("run", "blockcheck.pipeline", "read_snapshot", "previous workbook read"),
    ("run", "blockcheck.workbook.write", "read_workbook", "previous workbook read"),
    ("run", "blockcheck.pipeline", "merge_run", "workbook merge + gpkg write"),
    ("run", "blockcheck.workbook.write", "_write_pending", "workbook merge + gpkg write"),
    # the lists of steps 1–2 go to both files in a forked process during step 3 (workbook/write_ahead.py);
    # finish: the last layers written here and the wait for the forked writer's GeoPackage part
    ("run", "blockcheck.workbook.write_ahead", "WriteAhead.finish", "workbook merge + gpkg write"),
    ("run", "blockcheck.gpkg_inplace", "replace_layers", "workbook merge + gpkg write"),
    *(
        (command, module, name, stage)
        for command in ("maps", "atlas", "report")
        for module, name, stage in (
            ("blockcheck.report.workbook_data", "load_workbook", "read the workbook"),
            ("blockcheck.pipeline", "file_digest", "input SHA-256 (unchanged since the run?)"),
            ("blockcheck.report.workbook_data", "read_context", "input roads and green read (not validated)"),
        )
    ),
    ("maps", "blockcheck.report.maps", "export_maps", "maps: draw + write PNG and SVG"),
    ("atlas", "blockcheck.report.atlas", "export_atlas", "atlas: draw + write the PDF"),
    ("report", "blockcheck.report.hearing", "report_plan", "report plan"),
    ("report", "blockcheck.report.hearing", "export_report", "report: PDF pages"),
    ("report", "blockcheck.report.hearing", "export_maps", "report: maps of the HTML"),
    ("report", "blockcheck.report.hearing", "write_html", "report: HTML page"),
]
#: The commands of one scale, in order: (key, what).
COMMANDS = (
    ("run", "blockcheck run (empty folder)"),
    ("rerun", "blockcheck run (re-run into the same folder)"),
    ("maps", "blockcheck maps"),
    ("atlas", "blockcheck atlas"),
    ("report", "blockcheck report"),
    ("step1", "blockcheck run --until health (step 1 alone, as a user runs it)"),
)
OTHER = "other (imports inside the run, run tables, schema conform, summary, ...)"
#: Stages that run in a thread of their own beside the others: their time is not part of the command's sum.
BESIDE = ("input SHA-256 (a thread beside read + validate; not summed)",)
#: The commands the targets time: measured --repeats times, the median counts.
REPEATED = ("run", "rerun", "step1")


def stage_order(command: str) -> list[str]:
    """The stages of `command` in table order."""
    return list(dict.fromkeys(stage for c, _, _, stage in STAGES if c == command))


class StageTimer:
    """Timing wrappers around the functions of :data:`STAGES`, with exclusive time and RSS peaks."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.stats: dict[tuple[str, str], dict] = defaultdict(
            lambda: {"incl": 0.0, "excl": 0.0, "calls": 0, "peak": 0, "rise": 0, "nested_in": set()}
        )
        self._threads = threading.local()  # each thread nests its own calls (the digest runs in a thread)
        self.originals: list[tuple[object, str, object]] = []

    @property
    def stack(self) -> list[dict]:
        """The wrapped calls open in this thread, outermost first."""
        if not hasattr(self._threads, "stack"):
            self._threads.stack = []
        return self._threads.stack

    def install(self) -> None:
        """Replace every function of the command; stop with a message when a name is gone."""
        missing = []
        for command, module_name, name, stage in STAGES:
            if command != self.command:
                continue
            owner = importlib.import_module(module_name)
            *path, attr = name.split(".")  # "Class.method" wraps a method
            for part in path:
                owner = getattr(owner, part, None)
            fn = getattr(owner, attr, None)
            if not callable(fn):
                missing.append(f"{module_name}.{name}")
                continue
            self.originals.append((owner, attr, fn))
            setattr(owner, attr, self._wrap(fn, module_name, name, stage))
        if missing:
            self.restore()
            msg = (
                f"run_stages.py STAGES: {', '.join(missing)} not found (renamed or moved?). "
                "Update the STAGES table in benchmarks/run_stages.py to the functions the code calls now."
            )
            raise SystemExit(msg)

    def restore(self) -> None:
        for module, name, fn in reversed(self.originals):
            setattr(module, name, fn)
        self.originals.clear()

    def _wrap(self, fn, module_name: str, name: str, stage: str):
        key = (stage, f"{module_name}.{name}")

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            frame = {"children": 0.0, "name": key[1]}
            outer = self.stack[-1] if self.stack else None
            self.stack.append(frame)
            try:
                with measure.METER.measure() as rec:
                    return fn(*args, **kwargs)
            finally:
                self.stack.pop()
                s = self.stats[key]
                s["incl"] += rec["seconds"]
                s["excl"] += rec["seconds"] - frame["children"]
                s["calls"] += 1
                s["peak"] = max(s["peak"], rec["peak"])
                s["rise"] = max(s["rise"], rec["rise"])
                if outer is not None:
                    outer["children"] += rec["seconds"]
                    s["nested_in"].add(outer["name"])

        return timed

    def table(self, total_s: float) -> dict:
        """Stages (exclusive seconds, peak, rise, calls, functions) and what is left as "other"."""
        stages = []
        wrapped = [(stage, f"{m}.{n}") for c, m, n, stage in STAGES if c == self.command]
        for stage in stage_order(self.command):
            functions = []
            for s_name, fn_name in wrapped:
                if s_name != stage:
                    continue
                s = self.stats.get((stage, fn_name))
                functions.append(
                    {
                        "function": fn_name,
                        "seconds": s["excl"] if s else 0.0,
                        "seconds_inclusive": s["incl"] if s else 0.0,
                        "calls": s["calls"] if s else 0,
                        "peak_gb": s["peak"] / GB if s else None,
                        "rise_gb": s["rise"] / GB if s else None,
                        "nested_in": sorted(s["nested_in"]) if s else [],
                    }
                )
            called = [f for f in functions if f["calls"]]
            stages.append(
                {
                    "stage": stage,
                    "seconds": sum(f["seconds"] for f in functions),
                    "calls": sum(f["calls"] for f in functions),
                    "peak_gb": max((f["peak_gb"] for f in called), default=None),
                    "rise_gb": max((f["rise_gb"] for f in called), default=None),
                    "functions": functions,
                }
            )
        other = total_s - sum(s["seconds"] for s in stages if s["stage"] not in BESIDE)
        return {
            "stages": stages,
            "other_s": other,
            "uncalled": [f["function"] for s in stages for f in s["functions"] if not f["calls"]],
        }
