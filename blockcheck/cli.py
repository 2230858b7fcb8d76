"""The ``blockcheck`` command line: a thin front-end over :mod:`blockcheck.pipeline`.

Exit codes: 0 success; 2 a problem with the input or options (a clear
message, no traceback); 1 an unexpected internal error (a short message; the
traceback goes to ``blockcheck-error.log`` in the current folder).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from blockcheck import __version__
from blockcheck.batch.command import cluster_options
from blockcheck.errors import BlockcheckError, ValidationError

__all__ = ["cli", "main"]

_MAPPING = click.option(
    "--mapping",
    type=click.Path(dir_okay=False),
    help="TOML field-mapping file (your layer, field and category names → the model).",
)
_STANDARDS = click.option(
    "--standards",
    default=None,
    help="Standards profile (beijing, national) or a TOML file overriding single values. Default: beijing.",
)
_CRS = click.option(
    "--crs",
    default=None,
    help=(
        "Working CRS in metres, e.g. EPSG:4548. Default: the data's own when metric, "
        "else CGCS2000 3° Gauss–Krüger (China) or UTM."
    ),
)


class _Progress:
    """Maps the core's progress callback to a tqdm bar on stderr."""

    def __init__(self, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=100,
            file=sys.stderr,
            disable=not enabled or not sys.stderr.isatty(),
            bar_format="{desc}: {percentage:3.0f}%|{bar}|",
            leave=False,
        )

    def __call__(self, fraction: float, message: str) -> None:
        self.bar.n = int(round(fraction * 100))
        self.bar.set_description_str(message)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="blockcheck")
def cli() -> None:
    """blockcheck — block health checks and the eight lists (四步走 八清单) of urban renewal."""


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@_MAPPING
@_STANDARDS
@_CRS
@click.option("--repair", is_flag=True, help="Repair invalid geometries with make_valid and report what changed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write validation_report.txt and, when valid, input_checked.gpkg here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def validate(input_path, mapping, standards, crs, repair, out_dir, as_json, quiet, overwrite) -> None:
    """Check INPUT (a GeoPackage or a folder of layer files) against the data model.

    Every problem is reported at once: layer, field, feature ids and how to fix it.
    Exits with 2 when there are errors; warnings alone exit with 0.
    """
    from blockcheck.pipeline import check_input, write_checked_input

    progress = _Progress(not quiet and not as_json)
    try:
        result = check_input(
            input_path, mapping=mapping, standards=standards, crs=crs, repair=repair, progress=progress
        )
    finally:
        progress.close()
    report = result.checked.report
    click.echo(report.to_json() if as_json else report.format())
    if report.ok and not as_json:
        from blockcheck.inputs.completeness import format_completeness

        click.echo("\n" + format_completeness(result.completeness()))
    if out_dir is not None:
        try:
            written = write_checked_input(result, out_dir, overwrite=overwrite)
        except ValidationError:
            click.echo(
                f"Report written to {Path(out_dir) / 'validation_report.txt'}; no checked input written "
                "because of the errors above.",
                err=True,
            )
            sys.exit(2)
        if not as_json:
            click.echo(
                f"Checked input (metric CRS {result.checked.crs.to_string()}, standards "
                f"{result.standards.profile}) written to {written['gpkg']}"
            )
    if not report.ok:
        sys.exit(2)


@cli.command("run")
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for workbook.gpkg.")
@_MAPPING
@_STANDARDS
@_CRS
@click.option(
    "--population-raster",
    type=click.Path(dir_okay=False),
    default=None,
    help="People-per-pixel GeoTIFF (e.g. WorldPop) instead of the communities' population.",
)
@click.option(
    "--demands",
    type=click.Path(dir_okay=False),
    default=None,
    help="Demand survey (图3 layout, CSV or XLSX). Default: demand_survey.xlsx|csv next to INPUT.",
)
@click.option(
    "--visions",
    type=click.Path(dir_okay=False),
    default=None,
    help="Vision survey (街道, 社区, 愿景; CSV or XLSX). Default: vision_survey.xlsx|csv next to INPUT.",
)
@click.option(
    "--until",
    type=click.Choice(["health", "resources", "lists"]),
    default="lists",
    show_default=True,
    help="Stop after the health check (problem list), after the resource list, or run all four steps.",
)
@click.option("--repair", is_flag=True, help="Repair invalid geometries with make_valid and report what changed.")
@click.option(
    "--tiles",
    default=None,
    metavar="auto|N",
    help="Compute the blocks' metrics in N spatial tiles (or 'auto': by data size) on Dask workers; same results.",
)
@cluster_options(
    scheduler_help=(
        "With --tiles: a running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster of processes)."
    ),
    workers_help="With --tiles: worker processes of the local cluster (default: the CPUs, at most 4).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def run_cmd(
    input_path,
    out_dir,
    mapping,
    standards,
    crs,
    population_raster,
    demands,
    visions,
    until,
    repair,
    tiles,
    scheduler,
    workers,
    quiet,
    overwrite,
) -> None:
    """All four steps for every block of INPUT: writes OUT/workbook.gpkg and OUT/eight_lists.xlsx.

    Layers: block_metrics, area_metrics (block_id ALL), the eight lists (problem_list 图1,
    resource_list 图2, demand_list 图3, vision_list 图4, strategy_list 图5, policy_list 图6,
    task_list 图7, project_list 图8), allocation, allocation_remaining, project_history,
    resource_summary, blockcheck_meta, standards_used and validation_report.

    With --tiles the blocks' metrics are computed tile by tile on a Dask cluster
    (docs/scale-out.md); the results equal those of a run without it.
    """
    from blockcheck.pipeline import run

    if (scheduler or workers) and tiles is None:
        raise click.UsageError("--scheduler and --workers go with --tiles (e.g. --tiles auto).")
    progress = _Progress(not quiet)
    try:
        result = run(
            input_path,
            out_dir,
            mapping=mapping,
            standards=standards,
            crs=crs,
            repair=repair,
            overwrite=overwrite,
            population_raster=population_raster,
            demands=demands,
            visions=visions,
            until=until,
            progress=progress,
            tiles=tiles,
            scheduler=scheduler,
            workers=workers,
        )
    finally:
        progress.close()
    warnings = result.check.checked.report.warnings
    if warnings:
        click.echo(f"Validation: {len(warnings)} warning(s) (run `blockcheck validate` for details).")
    click.echo(result.summary())


@cli.command("import-lists")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.argument("xlsx", type=click.Path(dir_okay=False))
@click.option("--who", default="", help="Who made the edits (recorded in project_history).")
@click.option("--reason", default="", help="Why (recorded in project_history).")
@click.option(
    "--delete-missing", is_flag=True, help="Delete rows that are missing from a sheet (default: keep them and say so)."
)
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
def import_lists_cmd(workbook, xlsx, who, reason, delete_missing, dry_run) -> None:
    """Merge an edited eight_lists.xlsx back into WORKBOOK (checked; shows what changes before writing)."""
    from blockcheck.workbook.lists_import import import_lists

    def announce(plan) -> None:
        click.echo(f"{'Would change' if dry_run else 'Changes'} from {xlsx}:")
        click.echo("\n".join(plan.lines()))

    changed = import_lists(
        workbook, xlsx, who=who, reason=reason, delete_missing=delete_missing, dry_run=dry_run, announce=announce
    )
    if not dry_run and any(changed.values()):
        from blockcheck.workbook.postgis_conn import redact

        click.echo(
            f"Imported into {redact(workbook)}. Write a fresh Excel file with `blockcheck export-lists "
            f"{redact(workbook)}` before editing again."
        )


@cli.command("export-lists")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The .xlsx to write (default: eight_lists.xlsx next to WORKBOOK).",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of headers and labels."
)
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def export_lists_cmd(workbook, out_path, lang, overwrite) -> None:
    """Write the lists of WORKBOOK as they are now (QGIS edits and imports included) to an Excel file for editing."""
    from blockcheck.workbook.lists_export import export_lists

    written = export_lists(workbook, out_path, lang=lang, overwrite=overwrite)
    click.echo(f"Lists of {workbook} written to {written}")


@cli.command("whatif")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option(
    "--projects", "project_ids", multiple=True, required=True, help="Project id (repeat, or separate with commas)."
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Before/after table (.csv or .xlsx). Default: whatif.xlsx next to WORKBOOK.",
)
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def whatif_cmd(workbook, project_ids, out_path, overwrite) -> None:
    """Re-run the health check as if the chosen projects were built; write a before/after gap table."""
    import pandas as pd

    from blockcheck.outputs import MARK, guard_output
    from blockcheck.whatif import what_if

    ids = [p.strip() for value in project_ids for p in value.split(",") if p.strip()]
    from blockcheck.workbook.postgis_conn import is_database_target

    if out_path is None:  # beside the workbook; a PostGIS workbook has no folder: the current one
        out_path = "whatif.xlsx" if is_database_target(workbook) else Path(workbook).with_name("whatif.xlsx")
    out = guard_output(Path(out_path), overwrite=overwrite)
    table = what_if(workbook, ids)
    if out.suffix.lower() == ".csv":
        table.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        with pd.ExcelWriter(out, engine="openpyxl") as writer:
            table.to_excel(writer, index=False)
            writer.book.properties.creator = (
                MARK  # marks the file as blockcheck's (may be replaced by the next what-if)
            )
    area = table[(table["scope"] == "ALL") & (table["change"].abs() > 1e-9)]
    for row in area.itertuples():
        click.echo(f"ALL {row.metric_key}: {row.before:,.2f} → {row.after:,.2f} ({row.change:+,.2f})")
    click.echo(f"Before/after table: {out}")


@cli.command("maps")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the maps (one PNG and one SVG each).",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of titles and legends."
)
@click.option(
    "--dpi", type=click.IntRange(min=200), default=200, show_default=True, help="PNG resolution (at least 200)."
)
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def maps_cmd(workbook, out_dir, lang, dpi, overwrite) -> None:
    """Hearing maps of WORKBOOK: overview, metric choropleths, problems, resources, demands, projects."""
    from blockcheck.report.maps import export_maps

    written = export_maps(workbook, out_dir, lang=lang, dpi=dpi, overwrite=overwrite)
    click.echo(f"{len(written) // 2} maps (PNG {dpi} dpi + SVG) written to {out_dir}")


@cli.command("atlas")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--out", "out_pdf", required=True, type=click.Path(dir_okay=False), help="The atlas PDF to write.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the pages.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def atlas_cmd(workbook, out_pdf, lang, quiet, overwrite) -> None:
    """Block atlas of WORKBOOK: cover, district overview, then one page per block (map + its eight lists)."""
    from blockcheck.report.atlas import FIXED_PAGES, export_atlas
    from blockcheck.report.workbook_data import load_workbook

    progress = _Progress(not quiet)
    try:
        wb = load_workbook(workbook)
        export_atlas(wb, out_pdf, lang=lang, progress=progress, overwrite=overwrite)
    finally:
        progress.close()
    click.echo(f"Atlas: {FIXED_PAGES + len(wb.blocks)} pages ({len(wb.blocks)} blocks) written to {out_pdf}")


@cli.command("report")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_pdf",
    required=True,
    type=click.Path(dir_okay=False),
    help="The report PDF; report.html is written next to it.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of headers and texts."
)
@click.option("--no-html", is_flag=True, help="Write the PDF only.")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def report_cmd(workbook, out_pdf, lang, no_html, overwrite) -> None:
    """Hearing report of WORKBOOK: the eight lists (图1–图8), key maps, method note, standards used."""
    from blockcheck.report.hearing import export_report

    written = export_report(workbook, out_pdf, lang=lang, html=not no_html, overwrite=overwrite)
    click.echo("Report: " + ", ".join(str(p) for p in written[:2]))


@cli.command("import-osm")
@click.argument("osm_file", metavar="FILE.osm|FILE.osm.pbf", type=click.Path())
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Input GeoPackage to write.")
@click.option(
    "--blocks",
    "blocks_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Block polygons to use instead of deriving them from arterial and secondary roads.",
)
@_CRS
@click.option(
    "--overwrite", is_flag=True, help="Replace OUT if it exists (otherwise an existing file is never touched)."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_osm(osm_file, out_path, blocks_path, crs, overwrite, quiet) -> None:
    """Turn an OpenStreetMap extract into an input GeoPackage of the data model."""
    from blockcheck.inputs.osm import write_osm_import

    progress = _Progress(not quiet)
    try:
        layers = write_osm_import(
            osm_file, out_path, blocks=blocks_path, crs=crs, progress=progress, overwrite=overwrite
        )
    finally:
        progress.close()
    counts = ", ".join(f"{name} {len(frame)}" for name, frame in layers.items())
    click.echo(f"Wrote {out_path}: {counts}")


@cli.group()
def standards() -> None:
    """List and show the planning standards profiles."""


@standards.command("list")
def standards_list() -> None:
    """The shipped profiles, with their standards by grade and their parameters."""
    from collections import Counter

    from blockcheck.standards import GRADES, PROFILES, load_standards

    for name in PROFILES:
        std = load_standards(name)
        entries = std.values.values()
        grades = Counter(e.grade for e in entries if e.kind == "standard")
        params = sum(e.kind == "parameter" for e in entries)
        counts = ", ".join(f"{g} {grades[g]}" for g in GRADES)
        click.echo(
            f"{name:10s} {std.title} ({len(std.values)} values: {sum(grades.values())} standards — {counts}; "
            f"{params} parameters)"
        )


@standards.command("show")
@click.argument("profile", default="beijing")
def standards_show(profile) -> None:
    """Every value of PROFILE (a profile name or an overrides file): standards with grade and source, then
    parameters.
    """
    from blockcheck.pipeline import load_run_standards
    from blockcheck.standards import GRADES, grade_label, threshold_term

    std = load_run_standards(profile)
    click.echo(f"# {std.profile}: {std.title}")
    click.echo(
        "# grades: "
        + "; ".join(grade_label(g, "en") for g in GRADES)
        + ". Parameters are blockcheck's own defaults, not standards."
    )
    for kind, heading in (("standard", "standards"), ("parameter", "parameters")):
        entries = [e for e in std.values.values() if e.kind == kind]
        click.echo(f"\n## {heading} ({len(entries)})")
        for entry in entries:
            year = f", {entry.year}" if entry.year else ""
            tag = threshold_term(entry, "en") if kind == "parameter" else f"{entry.grade} {threshold_term(entry, 'en')}"
            value = "(no value)" if entry.value != entry.value else entry.value  # nan: the profile leaves it unset
            click.echo(f"{entry.key} = {value} {entry.unit}  [{tag}] {entry.label('en')}{year}")
            click.echo(f"    source: {entry.source}")
            for name, value in (
                ("supersedes", entry.supersedes),
                ("superseded by", entry.superseded_by),
                ("verify", entry.verify),
            ):
                if value:
                    click.echo(f"    {name}: {value}")


def _add_db_commands() -> None:
    """``blockcheck db …`` (a PostGIS team workbook; blockcheck/workbook/postgis_cli.py)."""
    from blockcheck.workbook.postgis_cli import db

    cli.add_command(db)


_add_db_commands()


def _add_batch_command() -> None:
    """``blockcheck batch MANIFEST.toml --out DIR`` (many districts on Dask; blockcheck/batch/command.py)."""
    from blockcheck.batch.command import batch

    cli.add_command(batch)


_add_batch_command()


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns errors into messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="blockcheck", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except ValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except BlockcheckError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # a read-only folder, a full disk, a file in use: the user's to fix, not a bug
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(
            f"Error: cannot read or write{where}: {exc.strerror or exc}. Choose a folder you can write to, "
            "free disk space, "
            "or close the file in other programs; files saved before were not changed.",
            err=True,
        )
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback on screen
        log = Path("blockcheck-error.log")
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f" The details are in {log.resolve()}."
        except OSError:
            where = ""
        click.echo(f"Internal error: {type(exc).__name__}: {exc}.{where} Please report it with that file.", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
