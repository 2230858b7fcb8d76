"""The orchestrator: the one sequence of steps the CLI, the notebooks and the QGIS plugin call.

So far: load the standards and the mapping, validate the input, and write the
checked input with its run metadata. Later steps (health check, lists,
exports) extend :func:`run` here, never in a front-end.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import os
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import OutputError, ValidationError, WouldOverwriteError
from .input_model import input_model
from .locking import workbook_lock
from .outputs import MARK, guard_output
from .io import write_gpkg
from .mapping import Mapping, load_mapping
from .standards import PROFILES, Standards, load_standards, standards_table
from .completeness import COMPLETENESS_LAYER, completeness_table, format_completeness
from .lists.data_gaps import DATA_GAPS_LAYER, METRIC_STATUS_LAYER
from .validation import CheckedInput, validate_input

__all__ = [
    "CheckResult",
    "META_LAYER",
    "STANDARDS_LAYER",
    "VALIDATION_LAYER",
    "check_input",
    "file_digest",
    "RunResult",
    "load_run_standards",
    "run",
    "write_checked_input",
]

Progress = Callable[[float, str], None]

#: Output tables written with every result.
META_LAYER = "blockcheck_meta"
STANDARDS_LAYER = "standards_used"
VALIDATION_LAYER = "validation_report"


@dataclass(frozen=True)
class CheckResult:
    """A validated input with the standards and mapping it was checked with."""

    checked: CheckedInput
    standards: Standards
    mapping: Mapping
    input_path: str

    @property
    def ok(self) -> bool:
        """True when the input has no validation error."""
        return self.checked.ok

    def completeness(self, *, population_raster: bool = False) -> pd.DataFrame:
        """What the input holds of each layer, field and facility category the metrics need (empty when invalid)."""
        if not self.ok:
            return pd.DataFrame()
        return completeness_table(self.checked.layers, self.mapping, self.standards, population_raster=population_raster)


def load_run_standards(standards: str | os.PathLike | None) -> Standards:
    """``--standards`` as the CLI takes it: a profile name or a TOML overrides file."""
    if standards is None:
        return load_standards("beijing")
    if str(standards) in PROFILES:
        return load_standards(str(standards))
    return load_standards("beijing", overrides=standards)


def check_input(
    input_path: str | os.PathLike,
    *,
    mapping: str | os.PathLike | None = None,
    standards: str | os.PathLike | None = None,
    crs: object = None,
    repair: bool = False,
    progress: Progress | None = None,
) -> CheckResult:
    """Load standards and mapping, then validate the input (nothing is raised for data problems).

    Raises
    ------
    blockcheck.errors.BlockcheckError
        For unusable standards or mapping files and unreadable inputs; data
        problems are collected in ``result.checked.report`` instead.
    """
    say = progress or (lambda fraction, message: None)
    say(0.0, "loading standards and mapping")
    used_standards = load_run_standards(standards)
    used_mapping = load_mapping(mapping)
    say(0.2, "reading and validating the input")
    checked = validate_input(input_path, used_mapping, crs=crs, repair=repair)
    say(1.0, "validation finished")
    return CheckResult(checked=checked, standards=used_standards, mapping=used_mapping, input_path=str(input_path))


def file_digest(path: str | os.PathLike) -> str:
    """Short SHA-256 of a file (empty when it is not a file): recorded as ``input_sha256`` in ``blockcheck_meta``."""
    p = Path(path)
    if not p.is_file():
        return ""
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def run_metadata(result: CheckResult, *, step: str) -> pd.DataFrame:
    """The ``blockcheck_meta`` table: what produced an output, from what, with which standards (and whether it is synthetic)."""
    from .inputs import dataset_meta

    std = result.standards
    rows = {
        "blockcheck_version": __version__,
        "step": step,
        "run_at_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "input": result.input_path,
        "input_sha256": file_digest(result.input_path),
        "input_model_version": input_model().version,
        "mapping_file": result.mapping.path or "",
        "crs": result.checked.crs.to_string() if result.checked.crs is not None else "",
        "standards_profile": std.profile,
        "standards_overrides": std.overrides_file or "",
        "standards_digest": std.digest,
        "layers_present": ", ".join(result.checked.layers),
        "layers_absent": ", ".join(n for n in input_model().layers if n not in result.checked.sources),
        "validation_errors": str(len(result.checked.report.errors)),
        "validation_warnings": str(len(result.checked.report.warnings)),
        **dataset_meta(result.input_path),  # synthetic, dataset_description(_en): from the input's dataset_info
    }
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())})


def write_checked_input(result: CheckResult, out_dir: str | os.PathLike, *, overwrite: bool = False) -> dict[str, Path]:
    """Write the validation report (text) and, when valid, the normalised input with its metadata.

    Files: ``validation_report.txt`` always; ``input_checked.gpkg`` (the model
    layers in the metric CRS, plus ``blockcheck_meta``, ``standards_used`` and
    ``validation_report`` tables) when there is no error.

    Raises
    ------
    ValidationError
        After writing the report, when the input has errors.
    """
    out = Path(out_dir)
    refuse_to_overwrite_input(result.input_path, out / "input_checked.gpkg")
    for output in (out / "input_checked.gpkg", out / "validation_report.txt"):
        guard_output(output, overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    written = {"report": out / "validation_report.txt"}
    completeness = result.completeness()
    text = result.checked.report.format() + ("\n\n" + format_completeness(completeness) if len(completeness) else "")
    text += f"\n\n— {MARK} {__version__}"
    written["report"].write_text(text + "\n", encoding="utf-8")
    if not result.ok:
        raise ValidationError(result.checked.report)
    layers: dict = dict(result.checked.layers)
    layers[META_LAYER] = run_metadata(result, step="validate")
    layers[STANDARDS_LAYER] = standards_table(result.standards)
    layers[VALIDATION_LAYER] = result.checked.report.to_frame()
    layers[COMPLETENESS_LAYER] = completeness
    from .inputs import DATASET_INFO_LAYER, dataset_info_frame, read_dataset_info

    info = read_dataset_info(result.input_path)
    if info:  # carried on, so a run on input_checked.gpkg is still marked synthetic
        layers[DATASET_INFO_LAYER] = dataset_info_frame(info)
    written["gpkg"] = write_gpkg(out / "input_checked.gpkg", layers)
    return written


# --------------------------------------------------------------------- run

#: Layers of the workbook written by ``blockcheck run``.
BLOCK_METRICS_LAYER = "block_metrics"
AREA_METRICS_LAYER = "area_metrics"
PROBLEM_LIST_LAYER = "problem_list"
#: The workbook file ``run`` writes into its --out folder.
WORKBOOK_FILE = "workbook.gpkg"
#: How far ``run`` goes: step 1 metrics and problems, plus resources, or all four steps.
UNTIL = ("health", "resources", "lists")


@dataclass(frozen=True)
class RunResult:
    """What ``blockcheck run`` produced."""

    check: CheckResult
    health: object  # blockcheck.health_check.HealthCheck
    problem_list: pd.DataFrame
    workbook: Path | None
    resource_list: pd.DataFrame | None = None  # GeoDataFrame, schema resource_list (图2)
    resource_summary: pd.DataFrame | None = None  # schema resource_summary
    plan: object = None  # blockcheck.plan.Plan (steps 2–4)
    lists: dict | None = None  # the eight lists as written (analysts' rows kept)
    excel: Path | None = None

    def summary(self) -> str:
        """A few lines for the end of a CLI run."""
        area = self.health.area_metrics.iloc[0]
        blocks = self.health.block_metrics
        lines = [
            f"Blocks: {len(blocks)} · area {area['area_ha']:,.0f} ha · population {area['population']:,.0f}",
            f"Problems: {len(self.problem_list)} rows ({(self.problem_list['scope'] == 'ALL').sum()} for the whole area)",
        ]
        for _, row in self.problem_list[self.problem_list["scope"] == "ALL"].iterrows():
            lines.append(f"  [{row['type']}] {row['problem']}: {row['situation']}")
        if self.resource_summary is not None:
            area_rows = self.resource_summary[self.resource_summary["scope"] == "ALL"]
            counts = " · ".join(f"{r.category_zh} {r.count:,}" for r in area_rows.itertuples() if r.count)
            lines.append(f"Resources: {int(area_rows['count'].sum()):,} (not rejected) — {counts or 'none found'}")
        if self.lists is not None:
            from .lists.schema import list_table

            counts = " · ".join(f"{list_table(n).title_zh} {len(f)}" for n, f in self.lists.items())
            lines.append(f"Eight lists: {counts}")
        if self.plan is not None:
            lines += [f"  survey: {w}" for w in self.plan.warnings]
        lines += [f"  note: {note}" for note in self.health.skipped]
        if self.workbook is not None:
            lines.append(f"Workbook: {self.workbook}")
        if self.excel is not None:
            lines.append(f"Excel: {self.excel}")
        return "\n".join(lines)


def run(
    input_path: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    mapping: str | os.PathLike | None = None,
    standards: str | os.PathLike | None = None,
    crs: object = None,
    repair: bool = False,
    population_raster: str | os.PathLike | None = None,
    demands: str | os.PathLike | None = None,
    visions: str | os.PathLike | None = None,
    until: str = "lists",
    progress: Progress | None = None,
    overwrite: bool = False,
) -> RunResult:
    """All four steps: validate, health check, lists; write ``out_dir/workbook.gpkg`` and ``eight_lists.xlsx``.

    Survey tables default to ``demand_survey.xlsx|csv`` and ``vision_survey.xlsx|csv``
    next to the input (the sample district has them). Re-running keeps what
    analysts did: resource statuses, rows marked edited or added, the project history.
    ``until`` stops early: ``"health"`` (metrics and the problem list), ``"resources"``
    (also the resource list) or ``"lists"`` (all four steps, the default).

    Raises
    ------
    ValidationError
        When the input has validation errors (nothing is written over earlier results).
    """
    if until not in UNTIL:
        msg = f"until={until!r}: choose one of {', '.join(UNTIL)}"
        raise ValueError(msg)
    target = Path(out_dir) / WORKBOOK_FILE if out_dir is not None else None
    if target is not None:
        refuse_to_overwrite_input(input_path, target)
        for output in (target, target.with_name("eight_lists.xlsx")):  # a user's own file of that name is never replaced silently
            guard_output(output, overwrite=overwrite)
    # one writer at a time: the lock is held from reading the earlier workbook to writing the new one
    with workbook_lock(target, command="blockcheck run") if target is not None else nullcontext():
        return _run_locked(input_path, target, mapping=mapping, standards=standards, crs=crs, repair=repair,
                           population_raster=population_raster, demands=demands, visions=visions, until=until, progress=progress)


def refuse_to_overwrite_input(input_path: str | os.PathLike, output: str | os.PathLike) -> None:
    """Stop when a command would write `output` over its own input.

    Raises
    ------
    WouldOverwriteError
        `output` is the input file itself.
    """
    source, out = Path(input_path), Path(output)
    if source.exists() and out.exists() and source.resolve() == out.resolve():
        msg = (f"{out}: this is the input itself; writing the results there would replace it. "
               "Choose another --out folder (or rename the input).")
        raise WouldOverwriteError(msg)


def _run_locked(
    input_path: str | os.PathLike,
    target: Path | None,
    *,
    mapping: str | os.PathLike | None,
    standards: str | os.PathLike | None,
    crs: object,
    repair: bool,
    population_raster: str | os.PathLike | None,
    demands: str | os.PathLike | None,
    visions: str | os.PathLike | None,
    until: str,
    progress: Progress | None,
) -> RunResult:
    """The body of :func:`run`, with the workbook lock held (`target` None: nothing is written)."""
    from .health_assessment import assess
    from .lists.problems import build_problem_list
    from .lists.resources import RESOURCE_LIST_LAYER, build_resource_list, read_resource_list

    say = progress or (lambda fraction, message: None)
    checked = check_input(input_path, mapping=mapping, standards=standards, crs=crs, repair=repair,
                          progress=lambda f, m: say(0.1 * f, m))
    if not checked.ok:
        raise ValidationError(checked.checked.report)
    assessment = assess(checked.checked.layers, checked.standards, mapping=checked.mapping, population_raster=population_raster,
                        progress=lambda f, m: say(0.1 + 0.8 * f, m))
    health = assessment.health
    problems = build_problem_list(health.block_metrics.drop(columns="geometry"), health.area_metrics, checked.standards,
                                  metric_status=assessment.metric_status)
    from .plan import build_plan, default_survey

    generated = {PROBLEM_LIST_LAYER: problems}
    resources = plan = None
    as_of_year = _dt.date.today().year
    if until in ("resources", "lists"):
        say(0.92, "resource list")
        previous = read_resource_list(target) if target is not None else None  # analysts' statuses steer the plan
        resources = build_resource_list(assessment.layers, checked.standards, previous=previous, as_of_year=as_of_year)
        generated[RESOURCE_LIST_LAYER] = resources
    if until == "lists":
        say(0.94, "demands, strategies, tasks and projects")
        demands = demands if demands is not None else default_survey(input_path, "demands")
        visions = visions if visions is not None else default_survey(input_path, "visions")
        plan = build_plan(assessment.layers, health, problems, resources, checked.standards, demands_path=demands, visions_path=visions)
        missing = [f"no {kind} survey was given (--{kind}s) or found next to the input: the {title} is empty"
                   for kind, title, path in (("demand", "demand list (需求清单)", demands), ("vision", "vision list (愿景清单)", visions))
                   if path is None]
        if missing:
            plan = dataclasses.replace(plan, warnings=(*plan.warnings, *missing))
        generated.update({"demand_list": plan.demand_list, "vision_list": plan.vision_list, "strategy_list": plan.strategy_list,
                          "policy_list": plan.policy_list, "task_list": plan.task_list, "project_list": plan.project_list})
    say(0.95, "writing the workbook")
    result = _write_run(checked, assessment, generated, plan, target, population_raster=population_raster, as_of_year=as_of_year)
    say(1.0, "done")
    return result


#: How often a run re-merges when the workbook changes while it is being written.
_MERGE_ATTEMPTS = 5


def _stamp(path: Path) -> tuple:
    """What changes when anyone commits to the workbook: size and time of the file and of its SQLite WAL."""
    out = []
    for p in (path, path.with_name(path.name + "-wal")):
        st = p.stat() if p.exists() else None
        out.append((st.st_mtime_ns, st.st_size) if st else None)
    return tuple(out)


def _merge_latest(generated: dict, target: Path | None, health) -> tuple:  # noqa: ANN001
    """The generated lists merged with analysts' work as the workbook holds it now."""
    from .lists.resources import RESOURCE_LIST_LAYER, keep_decisions, read_resource_list, resource_summary
    from .workbook import HISTORY_LAYER, history_rows, keep_analyst_rows, read_workbook, record_project_changes

    latest = read_workbook(target) if target is not None else {}
    lists = {name: keep_analyst_rows(name, frame, latest.get(name)) for name, frame in generated.items() if name != RESOURCE_LIST_LAYER}
    resources = resources_by_block = history = None
    if RESOURCE_LIST_LAYER in generated:
        resources = generated[RESOURCE_LIST_LAYER]
        if target is not None:
            resources = keep_decisions(resources, read_resource_list(target))
        lists = {PROBLEM_LIST_LAYER: lists[PROBLEM_LIST_LAYER], RESOURCE_LIST_LAYER: resources,
                 **{n: f for n, f in lists.items() if n != PROBLEM_LIST_LAYER}}
        resources_by_block = resource_summary(resources, block_ids=[str(b) for b in health.block_metrics["block_id"]])
    if "project_list" in lists:
        changes = record_project_changes(lists["project_list"].drop(columns="geometry"), latest.get("project_list"), who="blockcheck run", reason="")
        history = history_rows(changes, latest.get(HISTORY_LAYER))
    return lists, resources, resources_by_block, history, latest


def _write_run(checked: CheckResult, assessment, generated: dict, plan, target: Path | None, *,  # noqa: ANN001
               population_raster: str | os.PathLike | None, as_of_year: int) -> RunResult:
    """Merge analysts' work from the workbook as it is now, then write the workbook and the Excel lists.

    The workbook is read again at this point (the lock is held): status
    decisions, edited and added rows and history entries committed while the
    run computed — e.g. from the QGIS editor — are kept, not reverted. Both
    files are written under temporary names; if the workbook changed while
    they were written (a commit by a program that does not take the lock),
    the merge is done again, so that commit is kept too. Layers and tables the
    run does not make (an analyst's own layers, QGIS's ``layer_styles``) are
    carried over unchanged.
    """
    from .excel import write_eight_lists
    from .lists.resources import RESOURCE_SUMMARY_LAYER
    from .workbook import HISTORY_LAYER, read_other_layers

    health = assessment.health
    workbook = excel = None
    for _ in range(_MERGE_ATTEMPTS):
        stamp = _stamp(target) if target is not None else None
        lists, resources, resources_by_block, history, latest = _merge_latest(generated, target, health)
        if target is None:
            break
        meta = run_metadata(checked, step="run")
        notes = pd.DataFrame({"key": [f"skipped_{i + 1}" for i in range(len(health.skipped))], "value": list(health.skipped)})
        extra = pd.DataFrame({"key": ["population_source", "resources_as_of_year"],
                              "value": [str(population_raster) if population_raster else "communities (dasymetric by residential floor area)", str(as_of_year)]})
        layers = {
            BLOCK_METRICS_LAYER: health.block_metrics.reset_index(drop=True),
            AREA_METRICS_LAYER: health.area_metrics.reset_index(),
            **lists,
            **({RESOURCE_SUMMARY_LAYER: resources_by_block} if resources_by_block is not None else {}),
            **({"allocation": plan.allocation, "allocation_remaining": plan.allocation_remaining, HISTORY_LAYER: history} if plan is not None else {}),
            DATA_GAPS_LAYER: assessment.data_gaps,
            METRIC_STATUS_LAYER: assessment.metric_status,
            COMPLETENESS_LAYER: assessment.completeness,
            META_LAYER: pd.concat([meta, extra, notes], ignore_index=True),
            STANDARDS_LAYER: standards_table(checked.standards),
            VALIDATION_LAYER: checked.checked.report.to_frame(),
        }
        # tables this run did not rebuild (an earlier, longer run's lists; an analyst's own layers; layer_styles) are kept
        layers.update({name: frame for name, frame in latest.items() if name not in layers})
        layers.update(read_other_layers(target, exclude=set(layers)))
        # both files under names of their own first: if either cannot be written, neither is replaced
        excel = target.with_name("eight_lists.xlsx")
        pending_xlsx = excel.with_name(f".eight_lists.{os.getpid()}.tmp.xlsx")
        pending_gpkg = target.with_name(f".{target.stem}.{os.getpid()}.pending{target.suffix}")
        try:
            write_eight_lists(pending_xlsx, {**lists, **({HISTORY_LAYER: history} if history is not None else {}),
                                             DATA_GAPS_LAYER: assessment.data_gaps, META_LAYER: layers[META_LAYER]})
            write_gpkg(pending_gpkg, layers)
            if _stamp(target) == stamp:  # nobody committed meanwhile: replace both
                os.replace(pending_gpkg, target)
                os.replace(pending_xlsx, excel)
                workbook = target
                break
        finally:
            pending_gpkg.unlink(missing_ok=True)
            pending_xlsx.unlink(missing_ok=True)
    else:
        msg = (f"{target}: the workbook kept changing while the run wrote it ({_MERGE_ATTEMPTS} attempts); nothing was replaced. "
               "Stop the other program writing to it (or let it finish) and run again.")
        raise OutputError(msg)
    return RunResult(check=checked, health=health, problem_list=lists[PROBLEM_LIST_LAYER], workbook=workbook,
                     resource_list=resources, resource_summary=resources_by_block, plan=plan, lists=lists, excel=excel)
