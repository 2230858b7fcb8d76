"""The ``blockcheck batch`` command (registered by :mod:`blockcheck.cli`): a thin front-end over
:func:`blockcheck.batch.run.run_batch`.
"""

from __future__ import annotations

import sys

import click

__all__ = ["batch", "cluster_options", "outcome_line"]


def cluster_options(*, scheduler_help: str, workers_help: str):
    """The ``--scheduler ADDRESS`` and ``--workers N`` options of the commands that run on Dask (batch, run --tiles)."""

    def add(command):
        command = click.option("--workers", type=click.IntRange(min=1), default=None, help=workers_help)(command)
        return click.option("--scheduler", default=None, metavar="ADDRESS", help=scheduler_help)(command)

    return add


def outcome_line(outcome: dict, done: int, total: int) -> str:
    """One progress line: ``[2/3] xicheng: ok (12.3 s)``, ``… skipped (unchanged)`` or ``… FAILED: message``."""
    seconds = f" ({outcome['seconds']:.1f} s)" if outcome.get("seconds") is not None else ""
    if outcome["status"] == "failed":
        first, *rest = str(outcome["message"]).splitlines() or [""]
        more = "".join(f"\n      {line}" for line in rest)
        return f"[{done}/{total}] {outcome['name']}: FAILED{seconds}: {first}{more}"
    state = "skipped (unchanged since the last run)" if outcome.get("skipped") else "ok"
    return f"[{done}/{total}] {outcome['name']}: {state}{seconds}"


@click.command("batch")
@click.argument("manifest", metavar="MANIFEST.toml", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for all results.")
@cluster_options(
    scheduler_help="A running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster of worker processes).",
    workers_help="Worker processes of the local cluster (default: the CPUs, at most 4). Ignored with --scheduler.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the summary."
)
@click.option("--quiet", is_flag=True, help="No progress lines.")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist and were not written by blockcheck.")
def batch(manifest, out_dir, scheduler, workers, lang, quiet, overwrite) -> None:
    """Run every district of MANIFEST.toml (one [[district]] table each) on a Dask cluster.

    Writes OUT/<name>/workbook.gpkg and eight_lists.xlsx per district, and
    OUT/batch_summary.gpkg (layer district_summary), batch_summary.xlsx and
    batch_summary.png. Districts whose files and settings did not change since
    their last run are skipped. Exits with 2 when a district failed (the
    others are finished).
    """
    from blockcheck.batch.run import run_batch

    def report(outcome: dict, done: int, total: int) -> None:
        if not quiet:
            click.echo(outcome_line(outcome, done, total), err=True)

    result = run_batch(
        manifest, out_dir, scheduler=scheduler, workers=workers, report=report, lang=lang, overwrite=overwrite
    )
    ok = len(result.outcomes) - len(result.failed)
    skipped = sum(bool(o.get("skipped")) for o in result.outcomes)
    click.echo(
        f"Districts: {len(result.outcomes)} · ok {ok} ({skipped} unchanged, skipped) · failed {len(result.failed)}"
    )
    for outcome in result.failed:
        message = str(outcome["message"]).replace("\n", "\n    ")
        click.echo(f"  {outcome['name']}: {message}", err=True)
    click.echo("Summary: " + ", ".join(str(p) for p in result.written.values()))
    if result.failed:
        sys.exit(2)
