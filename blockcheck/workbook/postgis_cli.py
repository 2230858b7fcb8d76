"""``blockcheck db init|grant|revoke``: set up a team workbook on PostgreSQL/PostGIS and say who may do what.

The commands run as the login that owns the workbook's schema (it needs the
right to create roles). Errors are :class:`~blockcheck.errors.BlockcheckError`
messages (the CLI prints them without a traceback); passwords are never shown.
"""

from __future__ import annotations

import click

__all__ = ["db"]

_URL = click.argument("url", metavar="URL")


@click.group()
def db() -> None:
    """A team workbook on PostgreSQL/PostGIS: create it, grant and revoke roles.

    URL is a libpq connection string with the workbook's schema, e.g.
    postgresql://owner@dbhost:5432/planning?schema=huilongguan or
    "service=planning schema=huilongguan" (passwords belong in ~/.pgpass, not in the URL).
    """


def _in_transaction(url: str, work) -> object:
    """Run ``work(conn, schema)`` in one transaction on the workbook `url`; its value."""
    from blockcheck.workbook.postgis_conn import connect, database_errors, parse_target

    target = parse_target(url)
    with database_errors(target), connect(target) as conn, conn.transaction():
        return work(conn, target.schema), target


@db.command("init")
@_URL
def init_cmd(url) -> None:
    """Create the workbook's schema, its tables, triggers, group roles and row-level security policies."""
    from blockcheck.workbook.postgis_schema import init_access

    roles, target = _in_transaction(url, init_access)
    click.echo(f"Workbook schema ready: {target}")
    click.echo(f"Group roles: {', '.join(roles)}. Give them to logins with `blockcheck db grant URL --user …`.")


@db.command("grant")
@_URL
@click.option("--user", "login", required=True, help="An existing login (CREATE ROLE … LOGIN) to give the role to.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["analyst", "reviewer", "viewer"]),
    help="analyst: edits list rows of its sub-districts' blocks; reviewer: project and resource status anywhere; "
    "viewer: reads.",
)
@click.option(
    "--subdistricts",
    default=None,
    help="Analysts only: comma-separated sub-districts (the blocks' subdistrict values). Default: all.",
)
def grant_cmd(url, login, role, subdistricts) -> None:
    """Give the login USER a ROLE on the workbook at URL (replacing its earlier role there)."""
    from blockcheck.workbook.postgis_schema import grant

    names = [s.strip() for s in subdistricts.split(",") if s.strip()] if subdistricts else None
    _, target = _in_transaction(url, lambda conn, schema: grant(conn, schema, login, role, names))
    where = f" for sub-districts {', '.join(names)}" if names else ""
    click.echo(f"{login} is now {role}{where} of {target}")


@db.command("revoke")
@_URL
@click.option("--user", "login", required=True, help="The login to take the workbook's roles from.")
def revoke_cmd(url, login) -> None:
    """Take every role on the workbook at URL from the login USER."""
    from blockcheck.workbook.postgis_schema import revoke

    _, target = _in_transaction(url, lambda conn, schema: revoke(conn, schema, login))
    click.echo(f"{login} has no role on {target} any more")


@db.command("export")
@_URL
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="The GeoPackage to write.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists and was not written by blockcheck.")
def export_cmd(url, out_path, overwrite) -> None:
    """Write the workbook at URL to a GeoPackage (one consistent snapshot of every table)."""
    from blockcheck.workbook.postgis_transfer import export_workbook

    written = export_workbook(url, out_path, overwrite=overwrite)
    click.echo(f"Workbook exported to {written}")


@db.command("import")
@_URL
@click.argument("gpkg", metavar="WORKBOOK.gpkg", type=click.Path(dir_okay=False))
def import_cmd(url, gpkg) -> None:
    """Write a GeoPackage workbook into the schema of URL (which must not hold a workbook yet)."""
    from blockcheck.workbook.postgis_transfer import import_workbook

    target = import_workbook(gpkg, url)
    click.echo(f"{gpkg} imported into {target}")
