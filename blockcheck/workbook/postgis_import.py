"""Importing an edited eight_lists.xlsx into a PostGIS workbook: the GeoPackage's rules, through the database's.

The file is checked and the plan made exactly as for a GeoPackage
(:func:`blockcheck.workbook.lists_import.plan_import`: formulas, cut cells,
rows missing from a sheet, a stale file refused by the lists' revision). The
changes are then written in ONE transaction as the login that imports, as an
editor in QGIS writes them, so the database's rules apply to every row:

* row-level security and the guard trigger: an analyst changes only the rows of
  the blocks of its sub-districts, a reviewer only statuses, a viewer nothing
  (:class:`blockcheck.errors.PermissionDeniedError`, nothing written);
* row versions: each update carries the version the plan was made from, so a
  row an editor changed since is refused naming who and when
  (:class:`blockcheck.errors.StaleEditError`); a deletion of such a row too;
* history: the triggers write ``change_log`` (one entry per row changed) and
  ``project_history`` (one per project field changed, ``--reason`` as its
  reason) and stamp them with the database login — on a PostGIS workbook the
  login is who changed it, so ``--who`` is not recorded there;
* provenance: the database marks rows an analyst changed ``edited`` and rows
  it added ``added`` (a row added earlier stays ``added`` when edited).

The import holds the workbook's run lock while it works (a run merges before
or after it, never in between); any error rolls everything back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import blockcheck.io as bio
from blockcheck.errors import InputError, StaleEditError
from blockcheck.lists.schema import EIGHT_LISTS, list_table, list_tables
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.lists_import import (
    UNPACKED_BYTES_PER_ROW,
    ListChanges,
    _comparable,
    check_revision,
    plan_import,
    read_edited,
)
from blockcheck.workbook.postgis import LOCK_WAIT_S, _ident, _read, _read_all, _values, require_workbook
from blockcheck.workbook.postgis_conn import connect, database_errors, psycopg_modules
from blockcheck.workbook.postgis_edit import last_change
from blockcheck.workbook.read import META_LAYER

__all__ = ["import_into_database"]


def import_into_database(
    workbook,
    xlsx,
    *,
    who: str = "",
    reason: str = "",
    delete_missing: bool = False,
    dry_run: bool = False,
    announce=None,
) -> dict[str, int]:
    """:func:`blockcheck.workbook.lists_import.import_lists` for a PostGIS workbook (see the module's description).

    Raises
    ------
    StaleImportError
        The file was written from an older state of the lists than the workbook holds now.
    StaleEditError
        A row the file changes was changed by an editor while the import worked (names who and when).
    PermissionDeniedError
        The login may not make one of the changes (another sub-district's row, a computed column …).
    InputError, DatabaseError
        As for a GeoPackage; the server cannot be reached. Nothing is written in any of these cases.
    """
    target = require_workbook(workbook)
    xlsx, schema = Path(xlsx), target.schema
    with database_errors(target), connect(target) as conn:
        meta = _read(conn, schema, META_LAYER)
        step = dict(zip(meta["key"].astype(str), meta["value"].astype(str), strict=True)).get("step")
        if step != "run":
            msg = f"{target}: this schema holds no workbook written by `blockcheck run`; nothing was changed."
            raise InputError(msg)
        rows = sum(_count(conn, schema, name) for name in (*EIGHT_LISTS, HISTORY_LAYER))
        conn.commit()
        bio.check_unpacked_size(xlsx, limit_bytes=max(bio.MAX_UNPACKED_BYTES, rows * UNPACKED_BYTES_PER_ROW))
        edited = read_edited(xlsx)
        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{LOCK_WAIT_S}s",))
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("blockcheck run " + schema,))
            current, versions = _read_lists(conn, schema)
            check_revision(edited, current, xlsx, target)
            plan, _, _, changes = plan_import(
                edited, current, xlsx, who=who, reason=reason, delete_missing=delete_missing
            )
            if announce is not None:
                announce(plan)
            if dry_run or not any(plan.changed.values()):
                return plan.changed
            conn.execute("SELECT set_config('blockcheck.reason', %s, true)", (reason,))
            for name, change in changes.items():
                _write(conn, schema, change, versions.get(name, {}))
    return plan.changed


def _count(conn, schema: str, name: str) -> int:
    _, sql = psycopg_modules()
    if conn.execute("SELECT to_regclass(%s)", (_ident(schema, name).as_string(conn),)).fetchone()[0] is None:
        return 0
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_ident(schema, name))).fetchone()[0]


def _read_lists(conn, schema: str) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """The workbook's list tables and, per list, key → row_version, each list read by one statement (the versions
    are those of the rows the plan is made from)."""
    current = _read_all(conn, schema, tuple(n for n in list_tables() if n not in EIGHT_LISTS))
    versions = {}
    for name in EIGHT_LISTS:
        frame = _read(conn, schema, name, with_version=True)
        if frame is None:
            continue
        key = list_table(name).key
        versions[name] = dict(zip(frame[key].tolist(), frame["row_version"].tolist(), strict=True))
        current[name] = frame.drop(columns=["fid", "row_version"])
    return current, versions


def _write(conn, schema: str, change: ListChanges, versions: dict) -> None:
    """Delete, update and insert the rows of `change`, each update and deletion checked by its row version."""
    _, sql = psycopg_modules()
    name = change.name
    key = list_table(name).key
    if not (change.added or change.edited or change.deleted):
        return
    table = _ident(schema, name)
    for row_key in change.deleted:
        deleted = conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = %s AND row_version = %s").format(table, _ident(key)),
            (row_key, versions.get(row_key)),
        ).rowcount
        if not deleted:
            raise _stale(conn, schema, name, row_key)
    for row_key, columns, values in _updates(change, key):
        statement = sql.SQL("UPDATE {} SET {}, row_version = %s WHERE {} = %s").format(
            table, sql.SQL(", ").join(sql.SQL("{} = %s").format(_ident(c)) for c in columns), _ident(key)
        )
        if not conn.execute(statement, (*values, versions.get(row_key), row_key)).rowcount:
            raise _stale(conn, schema, name, row_key)
    if change.added:
        new = change.rows[change.rows[key].isin(change.added)]
        columns = [c for c in new.columns if c != "provenance"]
        data = list(zip(*(_values(new[c]) for c in columns), strict=True))
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            table, sql.SQL(", ").join(_ident(c) for c in columns), sql.SQL(", ").join(sql.Placeholder() * len(columns))
        )
        with conn.cursor() as cur:
            cur.executemany(statement, data)


def _updates(change: ListChanges, key: str):
    """(key, changed columns, their new values) of every edited row: only the cells the file changed are sent."""
    if not change.edited:
        return []
    new = change.rows.drop_duplicates(key).set_index(key).loc[change.edited]
    old = change.old.set_index(key).loc[change.edited]
    columns = [c for c in new.columns if c != "provenance" and c in old.columns]
    table = list_table(change.name)
    differs = _comparable(new[columns], table).to_numpy() != _comparable(old[columns], table).to_numpy()
    out = []
    for i, row_key in enumerate(change.edited):
        changed = [c for c, d in zip(columns, differs[i], strict=True) if d]
        values = [_values(pd.Series([new.at[row_key, c]], dtype=object))[0] for c in changed]
        out.append((row_key, changed, values))
    return out


def _stale(conn, schema: str, name: str, row_key) -> StaleEditError:
    """The refusal of a change to a row that an editor changed or deleted while the import worked."""
    who, when = last_change(conn, schema, name, row_key)
    return StaleEditError(
        f"row {row_key} of {name} was changed or deleted by {who} at {when} while the file was imported. Nothing "
        "was changed. Write a fresh file with `blockcheck export-lists`, make your edits there and import that."
    )
