"""An editor's changes to one row of a PostGIS workbook's list: read it with its version, write it back checked.

What the QGIS checklist editor does for a PostGIS workbook (through the
plugin's bridge), and what any other client of a team workbook should do:
read a row with its ``row_version`` (:func:`read_row`), and send an update
carrying that version (:func:`update_row`). The database bumps the version;
an update based on an older version is refused by its trigger with a message
naming who changed the row and when (:class:`blockcheck.errors.StaleEditError`),
and the editor reloads the row. Each call is one short transaction of its own
(an editor never keeps a transaction open, so a run's merge never waits on it).
Row-level security, column privileges and the history triggers apply as to
every change (:mod:`blockcheck.workbook.postgis_schema`).
"""

from __future__ import annotations

from blockcheck.errors import StaleEditError
from blockcheck.lists.schema import list_table
from blockcheck.workbook.postgis_conn import psycopg_modules
from blockcheck.workbook.postgis_schema import CHANGE_LOG

__all__ = ["last_change", "read_row", "update_row"]


def _ident(*parts: str):
    _, sql = psycopg_modules()
    return sql.Identifier(*parts)


def read_row(conn, schema: str, table: str, key: object, columns: list[str] | None = None) -> tuple[dict, int] | None:
    """Row `key` of list `table` as ``({column: value}, row_version)`` (geometry left out); None when it is gone.

    `columns` reads only those columns (default: the list's schema columns).
    """
    _, sql = psycopg_modules()
    columns = list(columns or list_table(table).columns)
    statement = sql.SQL("SELECT {}, row_version FROM {} WHERE {} = %s").format(
        sql.SQL(", ").join(_ident(c) for c in columns), _ident(schema, table), _ident(list_table(table).key)
    )
    with conn.transaction():
        row = conn.execute(statement, (key,)).fetchone()
    if row is None:
        return None
    return dict(zip(columns, row[:-1], strict=True)), int(row[-1])


def update_row(conn, schema: str, table: str, key: object, values: dict, *, version: int, reason: str = "") -> int:
    """Set `values` in row `key` of list `table`, based on `version`; returns the row's new version.

    Parameters
    ----------
    conn
        A psycopg connection of the editor's login (errors are psycopg's; wrap the call in
        :func:`blockcheck.workbook.postgis_conn.database_errors` for blockcheck's messages).
    values
        Column → new value (only the columns the editor changed).
    version
        The ``row_version`` the editor read the row at.
    reason
        Recorded in ``project_history`` for a change of a project.

    Raises
    ------
    StaleEditError
        The row was deleted since it was read (names who deleted it and when). A row changed since it was read is
        refused by the database (psycopg error of SQLSTATE ``BC002`` naming who and when).
    """
    _, sql = psycopg_modules()
    statement = sql.SQL("UPDATE {} SET {}, row_version = %s WHERE {} = %s RETURNING row_version").format(
        _ident(schema, table),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(_ident(c)) for c in values),
        _ident(list_table(table).key),
    )
    with conn.transaction():
        if reason:
            conn.execute("SELECT set_config('blockcheck.reason', %s, true)", (reason,))
        row = conn.execute(statement, (*values.values(), version, key)).fetchone()
        if row is None:
            who, when = last_change(conn, schema, table, key)
            msg = (
                f"row {key} of {table} was deleted by {who} at {when} after it was read. Nothing was changed. "
                "Reload the list."
            )
            raise StaleEditError(msg)
    return int(row[0])


def last_change(conn, schema: str, table: str, key: object) -> tuple[str, str]:
    """(who, when as ``YYYY-MM-DD HH:MM:SS UTC``) of the last logged change of row `key` of `table`."""
    _, sql = psycopg_modules()
    row = conn.execute(
        sql.SQL(
            "SELECT who, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"') FROM {} "
            "WHERE table_name = %s AND row_key = %s ORDER BY id DESC LIMIT 1"
        ).format(_ident(schema, CHANGE_LOG)),
        (table, str(key)),
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else ("someone", "an unknown time")
