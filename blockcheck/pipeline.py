"""The orchestrator: the one sequence of steps the CLI, the notebooks and the QGIS plugin call.

So far: load the standards and the mapping, validate the input, and write the
checked input with its run metadata. Later steps (health check, lists,
exports) extend :func:`run` here, never in a front-end.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from blockcheck import __version__, parallel
from blockcheck.errors import ValidationError, WouldOverwriteError
from blockcheck.inputs.completeness import COMPLETENESS_LAYER, completeness_table, format_completeness
from blockcheck.inputs.field_mapping import Mapping, load_mapping
from blockcheck.inputs.model import input_model
from blockcheck.inputs.network_notes import report_entries, report_fragments
from blockcheck.inputs.read import dataset_meta, is_synthetic
from blockcheck.inputs.report import ValidationReport
from blockcheck.inputs.validate import CheckedInput, validate_input
from blockcheck.io import write_gpkg
from blockcheck.lists.data_gaps import DATA_GAPS_LAYER, METRIC_STATUS_LAYER
from blockcheck.lists.resources import RESOURCE_LIST_LAYER, RESOURCE_MEMBERS_LAYER
from blockcheck.network import EntryRule
from blockcheck.outputs import MARK, guard_output
from blockcheck.progress import Progress, reporter
from blockcheck.report.settings import text
from blockcheck.standards import PROFILES, Standards, load_standards, standards_table
from blockcheck.workbook.lock import lock_path, workbook_lock
from blockcheck.workbook.merge import MergedLists, merge_run
from blockcheck.workbook.postgis_conn import is_database_target, parse_target
from blockcheck.workbook.read import META_LAYER
from blockcheck.workbook.run_layers import excel_tables, workbook_layers
from blockcheck.workbook.write import EXCEL_FILE, WORKBOOK_FILE, read_snapshot, save_run
from blockcheck.workbook.write_ahead import WriteAhead

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

#: Output tables written with every result (and META_LAYER, blockcheck_meta).
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
        return completeness_table(
            self.checked.layers, self.mapping, self.standards, population_raster=population_raster
        )


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
    say = reporter(progress)
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


def _digest_beside(path: str | os.PathLike) -> Callable[[], str]:
    """:func:`file_digest` of `path`, computed in a thread while the caller reads and checks the input.

    Reading a file and hashing it release the GIL, and reading the layers keeps one core only, so the digest
    costs the run nothing (1.3 s at scale 1 when it came last). Returns the function that waits for it; call it
    before forking (:mod:`blockcheck.parallel`): no thread is then left to a child.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blockcheck-digest")
    future = pool.submit(file_digest, path)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return future.result


def run_metadata(result: CheckResult, *, step: str, input_sha256: str | None = None) -> pd.DataFrame:
    """The ``blockcheck_meta`` table: what produced an output, from what, with which standards (and whether it is
    synthetic).

    ``input_sha256`` is :func:`file_digest` of the input when the caller has it already (None: computed here).
    """
    std = result.standards
    rows = {
        "blockcheck_version": __version__,
        "step": step,
        "run_at_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "input": result.input_path,
        "input_sha256": file_digest(result.input_path) if input_sha256 is None else input_sha256,
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


#: The validation report as text, written by ``validate --out`` and, with the notes of step 1, by ``run``.
VALIDATION_TEXT_FILE = "validation_report.txt"


def write_validation_text(path: Path, report: ValidationReport, completeness: pd.DataFrame) -> Path:
    """Write `report` and the completeness table as text to `path` (marked as blockcheck's own file)."""
    text = report.format() + ("\n\n" + format_completeness(completeness) if len(completeness) else "")
    text += f"\n\n— {MARK} {__version__}"
    path.write_text(text + "\n", encoding="utf-8")
    return path


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
    written = {"report": out / VALIDATION_TEXT_FILE}
    completeness = result.completeness()
    write_validation_text(written["report"], result.checked.report, completeness)
    if not result.ok:
        raise ValidationError(result.checked.report)
    layers: dict = dict(result.checked.layers)
    layers[META_LAYER] = run_metadata(result, step="validate")
    layers[STANDARDS_LAYER] = standards_table(result.standards)
    layers[VALIDATION_LAYER] = result.checked.report.to_frame()
    layers[COMPLETENESS_LAYER] = completeness
    from blockcheck.inputs.read import DATASET_INFO_LAYER, dataset_info_frame, read_dataset_info

    info = read_dataset_info(result.input_path)
    if info:  # carried on, so a run on input_checked.gpkg is still marked synthetic
        layers[DATASET_INFO_LAYER] = dataset_info_frame(info)
    written["gpkg"] = write_gpkg(out / "input_checked.gpkg", layers)
    return written


# --------------------------------------------------------------------- run

#: The problem list's layer in the workbook (the others: blockcheck.workbook.run_layers).
PROBLEM_LIST_LAYER = "problem_list"
#: How far ``run`` goes: step 1 metrics and problems, plus resources, or all four steps.
UNTIL = ("health", "resources", "lists")


@dataclass(frozen=True)
class RunResult:
    """What ``blockcheck run`` produced."""

    check: CheckResult
    health: object  # blockcheck.steps.health_check.HealthCheck
    problem_list: pd.DataFrame
    workbook: Path | None
    resource_list: pd.DataFrame | None = None  # GeoDataFrame, schema resource_list (图2)
    resource_summary: pd.DataFrame | None = None  # schema resource_summary
    consultation: object = None  # blockcheck.steps.consultation.Consultation (step 2)
    strategy: object = None  # blockcheck.steps.strategy.StrategyPlan (step 3)
    action: object = None  # blockcheck.steps.action.ActionPlan (step 4)
    lists: dict | None = None  # the eight lists as written (analysts' rows kept)
    excel: Path | None = None
    synthetic: bool = False  # blockcheck_meta says so (the input's dataset_info)

    def summary(self) -> str:
        """A few lines for the end of a CLI run."""
        area = self.health.area_metrics.iloc[0]
        blocks = self.health.block_metrics
        # said first, as on every page and sheet
        lines = [f"{text('zh', 'synthetic_notice')} / {text('en', 'synthetic_notice')}"] if self.synthetic else []
        lines += [
            f"Blocks: {len(blocks)} · area {area['area_ha']:,.0f} ha · population {area['population']:,.0f}",
            (
                f"Problems: {len(self.problem_list)} rows ({(self.problem_list['scope'] == 'ALL').sum()} for the "
                "whole area)"
            ),
        ]
        for _, row in self.problem_list[self.problem_list["scope"] == "ALL"].iterrows():
            lines.append(f"  [{row['type']}] {row['problem']}: {row['situation']}")
        if self.resource_summary is not None:
            area_rows = self.resource_summary[self.resource_summary["scope"] == "ALL"]
            counts = " · ".join(f"{r.category_zh} {r.count:,}" for r in area_rows.itertuples() if r.count)
            lines.append(f"Resources: {int(area_rows['count'].sum()):,} (not rejected) — {counts or 'none found'}")
        if self.lists is not None:
            from blockcheck.lists.schema import list_table

            counts = " · ".join(f"{list_table(n).title_zh} {len(f)}" for n, f in self.lists.items())
            lines.append(f"Eight lists: {counts}")
        if self.consultation is not None:
            lines += [f"  survey: {w}" for w in self.consultation.warnings]
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
    as_of_year: int | None = None,
    tiles: int | str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> RunResult:
    """All four steps: validate, health check, lists; write ``out_dir/workbook.gpkg`` and ``eight_lists.xlsx``.

    ``out_dir/validation_report.txt`` is written too (over the one of ``validate --out``):
    the input check and the notes of step 1 (the walking network's fragments), as
    the workbook's ``validation_report`` layer holds them, and the completeness table.

    ``out_dir`` may instead name a PostGIS workbook (``postgresql://…/DB?schema=NAME``
    or ``service=NAME schema=NAME``): the same layers go into that schema, merged in
    one transaction (no Excel file; :mod:`blockcheck.workbook.postgis`).

    Survey tables default to ``demand_survey.xlsx|csv`` and ``vision_survey.xlsx|csv``
    next to the input (the sample district has them). Re-running keeps what
    analysts did: resource statuses, rows marked edited or added, the project history.
    ``until`` stops early: ``"health"`` (metrics and the problem list), ``"resources"``
    (also the resource list) or ``"lists"`` (all four steps, the default).
    ``as_of_year`` is the year "idle for N years" counts to (default: this year).
    ``tiles`` (``"auto"`` or a number) computes the blocks' metrics tile by tile on
    Dask workers — a LocalCluster of ``workers`` processes, or the running
    ``scheduler`` (``tcp://host:8786``) — with the same results (:mod:`blockcheck.tiles`).

    Raises
    ------
    ValidationError
        When the input has validation errors (nothing is written over earlier results).
    """
    if until not in UNTIL:
        msg = f"until={until!r}: choose one of {', '.join(UNTIL)}"
        raise ValueError(msg)
    if tiles is not None:
        from blockcheck.tiles import parse_tiles

        tiles = parse_tiles(tiles)  # a bad value stops the run before any work
    if is_database_target(out_dir):  # a PostGIS workbook: the database's own locks and one transaction
        target, lock = parse_target(out_dir), nullcontext()
    else:
        target = Path(out_dir) / WORKBOOK_FILE if out_dir is not None else None
        lock = workbook_lock(target, command="blockcheck run") if target is not None else nullcontext()
    if isinstance(target, Path):
        refuse_to_overwrite_input(input_path, target)
        for output in (
            target,
            target.with_name(EXCEL_FILE),
            target.with_name(VALIDATION_TEXT_FILE),
        ):  # a user's own file of that name is never replaced silently
            guard_output(output, overwrite=overwrite)
    # a folder this run makes is not left behind, empty but for the lock file, when the run fails
    new_folder = target.parent if isinstance(target, Path) and not target.parent.exists() else None
    # one writer at a time: the lock is held from reading the earlier workbook to writing the new one
    with lock, _removed_if_left_empty(new_folder):
        return _run_locked(
            input_path,
            target,
            mapping=mapping,
            standards=standards,
            crs=crs,
            repair=repair,
            population_raster=population_raster,
            demands=demands,
            visions=visions,
            until=until,
            progress=progress,
            as_of_year=as_of_year if as_of_year is not None else _dt.date.today().year,
            tiles=tiles,
            scheduler=scheduler,
            workers=workers,
        )


@contextmanager
def _removed_if_left_empty(folder: Path | None) -> Iterator[None]:
    """Remove `folder` (made by this run) when the run fails and it holds nothing but the workbook's lock file."""
    try:
        yield
    except BaseException:
        if folder is not None and folder.is_dir():
            with suppress(OSError):
                if {p.name for p in folder.iterdir()} <= {lock_path(folder / WORKBOOK_FILE).name}:
                    lock_path(folder / WORKBOOK_FILE).unlink(missing_ok=True)
                    folder.rmdir()
        raise


def refuse_to_overwrite_input(input_path: str | os.PathLike, output: str | os.PathLike) -> None:
    """Stop when a command would write `output` over its own input.

    Raises
    ------
    WouldOverwriteError
        `output` is the input file itself.
    """
    source, out = Path(input_path), Path(output)
    if source.exists() and out.exists() and source.resolve() == out.resolve():
        msg = (
            f"{out}: this is the input itself; writing the results there would replace it. "
            "Choose another --out folder (or rename the input)."
        )
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
    as_of_year: int,
    tiles: int | str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> RunResult:
    """The body of :func:`run`, with the workbook lock held (`target` None: nothing is written): the four steps
    in order.
    """
    from blockcheck.steps.action import plan_actions  # the steps are imported when a run needs them
    from blockcheck.steps.consultation import ask_needs, default_survey, read_surveys
    from blockcheck.steps.health_check import find_problems
    from blockcheck.steps.strategy import plan_strategies

    say = reporter(progress)
    digest = _digest_beside(input_path)  # the input's SHA-256 for blockcheck_meta, while it is read
    checked = check_input(
        input_path, mapping=mapping, standards=standards, crs=crs, repair=repair, progress=lambda f, m: say(0.1 * f, m)
    )
    if not checked.ok:
        raise ValidationError(checked.checked.report)
    surveys = (  # read before the long part: a survey table that cannot be used stops the run at once
        read_surveys(
            demands_path=demands if demands is not None else default_survey(input_path, "demands"),
            visions_path=visions if visions is not None else default_survey(input_path, "visions"),
        )
        if until == "lists"
        else None
    )

    with_resources = until in ("resources", "lists")
    snapshot = read_snapshot(target) if target is not None else None  # read once: steers step 1, merged at the end
    previous = snapshot.tables.get(RESOURCE_LIST_LAYER) if with_resources and snapshot is not None else None
    input_sha256 = digest()  # before step 1 forks its resource search
    with ExitStack() as cluster:  # a tiled run's Dask client, closed once the blocks' metrics are in
        per_block = None
        if tiles is not None:
            from blockcheck.batch.run import cluster_client
            from blockcheck.tiles import TiledBlockMetrics

            per_block = TiledBlockMetrics(cluster_client(cluster, scheduler, workers), tiles)
        step1 = find_problems(  # analysts' resource statuses steer the plan
            checked.checked.layers,
            checked.standards,
            mapping=checked.mapping,
            population_raster=population_raster,
            resources=with_resources,
            previous_resources=previous,
            as_of_year=as_of_year,
            progress=lambda f, m: say(0.1 + 0.8 * f, m),
            per_block=per_block,
            distances_ahead=until == "lists",
            # step 2: the surveys are matched to the blocks while the forked resource search finishes
            while_searching=None
            if surveys is None
            else lambda assessment: ask_needs(
                assessment.layers.get("communities"),
                assessment.health.block_metrics,
                surveys=surveys,
                progress=lambda f, m: say(0.9 + 0.02 * f, m),
            ),
        )
    generated = {PROBLEM_LIST_LAYER: step1.problem_list}
    if with_resources:
        generated[RESOURCE_LIST_LAYER] = step1.resource_list
    run_tables = _run_tables(
        checked, step1.assessment, population_raster=population_raster, as_of_year=as_of_year, input_sha256=input_sha256
    )
    if step1.resource_members is not None:  # workbook only: not a sheet of eight_lists.xlsx
        run_tables[RESOURCE_MEMBERS_LAYER] = step1.resource_members
    block_ids = [str(b) for b in step1.assessment.health.block_metrics["block_id"]]
    step2 = step3 = step4 = ahead = early = None
    if until == "lists":
        step2 = step1.while_searching
        generated.update({"demand_list": step2.demand_list, "vision_list": step2.vision_list})
        if target is not None and not is_database_target(target) and parallel.fork_available():
            # steps 1–2's lists go to the files while step 3's allocation keeps this core busy
            early = merge_run(generated, snapshot.tables, block_ids=block_ids)
            ahead = WriteAhead(
                target,
                snapshot.stamp,
                workbook_layers(step1.assessment.health, early, run_tables),
                excel_tables(early, run_tables),
                excel_name=EXCEL_FILE,
            )
    try:
        if until == "lists":
            health, layers = step1.assessment.health, step1.assessment.layers
            say(0.93, "strategies and policies")
            step3 = plan_strategies(
                layers,
                health,
                step1.problem_list,
                step1.resource_list,
                step2.demand_list,
                checked.standards,
                known_distances=step1.resource_distances,
            )
            if ahead is not None:  # step 3's lists go to the Excel file while step 4 works
                step3_lists = {"strategy_list": step3.strategy_list, "policy_list": step3.policy_list}
                early = early.joined(merge_run(step3_lists, snapshot.tables, block_ids=block_ids))
                ahead.send(excel_tables(early, run_tables))
            say(0.94, "tasks and projects")
            step4 = plan_actions(health.block_metrics, step3)
            allocation = {"allocation": step3.allocation, "allocation_remaining": step3.allocation_remaining}
            run_tables = {**allocation, **run_tables}
        later = (
            {
                "strategy_list": step3.strategy_list,
                "policy_list": step3.policy_list,
                "task_list": step4.task_list,
                "project_list": step4.project_list,
            }
            if step4 is not None
            else {}
        )
        say(0.95, "writing the workbook")
        workbook = excel = None
        if target is None:
            merged = merge_run({**generated, **later}, {}, block_ids=block_ids)
        else:

            def build(latest: dict[str, pd.DataFrame]) -> tuple[dict, dict, MergedLists]:
                if early is not None and latest is snapshot.tables:  # lists merged with it already
                    rest = {k: v for k, v in later.items() if k not in early.lists}
                    merged = early.joined(merge_run(rest, latest, block_ids=block_ids))
                else:
                    merged = merge_run({**generated, **later}, latest, block_ids=block_ids)
                health = step1.assessment.health
                return workbook_layers(health, merged, run_tables), excel_tables(merged, run_tables), merged

            workbook, excel, merged = save_run(target, build, snapshot=snapshot, ahead=ahead)
            if isinstance(target, Path):  # the text agrees with the workbook's validation_report (notes of step 1 too)
                write_validation_text(
                    target.with_name(VALIDATION_TEXT_FILE),
                    _validation_with_network_notes(checked, step1.assessment.health),
                    step1.assessment.completeness,
                )
    finally:
        if ahead is not None:
            ahead.close()  # no child and no pending file left, whatever happened
    say(1.0, "done")
    return RunResult(
        check=checked,
        health=step1.assessment.health,
        problem_list=merged.lists[PROBLEM_LIST_LAYER],
        workbook=workbook,
        resource_list=merged.lists.get(RESOURCE_LIST_LAYER),
        resource_summary=merged.resource_summary,
        consultation=step2,
        strategy=step3,
        action=step4,
        lists=merged.lists,
        excel=excel,
        synthetic=is_synthetic(dict(zip(run_tables[META_LAYER]["key"], run_tables[META_LAYER]["value"], strict=True))),
    )


def _validation_with_network_notes(checked: CheckResult, health) -> ValidationReport:
    """The input's validation report and the walking network's notes: its fragments (when it has any) and
    where parks and polygon facilities are entered (when there are any)."""
    report = checked.checked.report
    fragments = health.fragments is not None and len(health.fragments)
    entries = health.entries is not None and len(health.entries)
    if not (fragments or entries):
        return report
    report = ValidationReport(report.source, list(report.issues))
    if fragments:
        report_fragments(report, health.fragments, health.network.crs)
    if entries:
        report_entries(report, health.entries, EntryRule.from_standards(checked.standards))
    return report


def _run_tables(checked: CheckResult, assessment, *, population_raster, as_of_year: int, input_sha256: str) -> dict:
    """The run's own tables (not merged with analysts' work): metadata, standards, validation, evidence."""
    health = assessment.health
    meta = run_metadata(checked, step="run", input_sha256=input_sha256)
    notes = pd.DataFrame(
        {"key": [f"skipped_{i + 1}" for i in range(len(health.skipped))], "value": list(health.skipped)}
    )
    source = str(population_raster) if population_raster else "communities (dasymetric by residential floor area)"
    extra = pd.DataFrame({"key": ["population_source", "resources_as_of_year"], "value": [source, str(as_of_year)]})
    return {
        DATA_GAPS_LAYER: assessment.data_gaps,
        METRIC_STATUS_LAYER: assessment.metric_status,
        COMPLETENESS_LAYER: assessment.completeness,
        META_LAYER: pd.concat([meta, extra, notes], ignore_index=True),
        STANDARDS_LAYER: standards_table(checked.standards),
        VALIDATION_LAYER: _validation_with_network_notes(checked, health).to_frame(),
    }
