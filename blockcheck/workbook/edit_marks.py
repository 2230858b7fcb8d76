"""Rows changed outside blockcheck are marked as analysts' work by the GeoPackage itself.

A re-run keeps the rows whose ``provenance`` is ``edited`` or ``added``
(:func:`blockcheck.workbook.merge.keep_analyst_rows`) and regenerates the
others. The checklist editor and ``import-lists`` set the provenance
themselves; an edit committed with QGIS's own attribute table, another GIS or
plain SQL does not. So every list table with a ``provenance`` column carries
two SQLite triggers that do it for any writer:

* after an UPDATE that changes any value of a ``generated`` row (the
  geometry included), the row becomes ``edited``; an update that changes
  nothing (a program re-saving the row as it was) or only the provenance
  (an analyst handing a row back to the run with ``generated``) leaves it;
* a row INSERTed with no provenance or ``generated`` becomes ``added``.

The run writes its tables into a new file first and adds the triggers after
(:func:`mark_analyst_edits`), so its own rows stay ``generated``; the
in-place replacement (:mod:`blockcheck.gpkg_inplace`) copies a table's
triggers with it. A PostGIS workbook does the same with its own trigger
(``bc_provenance`` in :mod:`blockcheck.workbook.postgis_schema`).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from blockcheck.lists.schema import EIGHT_LISTS, list_table
from blockcheck.workbook.merge import ANALYST_PROVENANCE

__all__ = ["EDIT_TRIGGERS", "mark_analyst_edits", "provenance_tables"]

EDITED, ADDED = ANALYST_PROVENANCE
GENERATED = "generated"
#: Name suffixes of the two triggers on a list table (``project_list_bc_mark_edited`` …).
EDIT_TRIGGERS = ("bc_mark_edited", "bc_mark_added")


def provenance_tables() -> tuple[str, ...]:
    """The list tables that carry a ``provenance`` column (all but the resource list, whose decisions are statuses)."""
    return tuple(n for n in EIGHT_LISTS if any(f.name == "provenance" for f in list_table(n).fields))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _trigger_sql(con: sqlite3.Connection, table: str) -> list[str]:
    """The CREATE TRIGGER statements for `table` as it is in the file (its own columns and primary key)."""
    info = con.execute(f"PRAGMA table_info({_q(table)})").fetchall()  # cid, name, type, notnull, default, pk
    columns = [row[1] for row in info]
    keys = [row[1] for row in info if row[5]]
    if "provenance" not in columns or len(keys) != 1:
        return []
    key = keys[0]
    changed = " OR ".join(f"OLD.{_q(c)} IS NOT NEW.{_q(c)}" for c in columns if c not in (key, "provenance"))
    is_generated = f"coalesce(NEW.provenance, '{GENERATED}') = '{GENERATED}'"
    edited, added = (_q(f"{table}_{suffix}") for suffix in EDIT_TRIGGERS)
    mark = f"UPDATE {_q(table)} SET provenance = '{{}}' WHERE {_q(key)} = NEW.{_q(key)}"
    on_update = f"AFTER UPDATE ON {_q(table)} FOR EACH ROW WHEN {is_generated} AND ({changed or '0'})"
    on_insert = f"AFTER INSERT ON {_q(table)} FOR EACH ROW WHEN {is_generated}"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {edited} {on_update} BEGIN {mark.format(EDITED)}; END",
        f"CREATE TRIGGER IF NOT EXISTS {added} {on_insert} BEGIN {mark.format(ADDED)}; END",
    ]


def mark_analyst_edits(path: str | Path) -> None:
    """Add the edit-marking triggers to the list tables of the GeoPackage `path` (after its rows are written).

    Tables already carrying them keep theirs; a file without list tables is left as it is.
    """
    with closing(sqlite3.connect(str(path))) as con:
        present = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        statements = [sql for table in provenance_tables() if table in present for sql in _trigger_sql(con, table)]
        if statements:
            with con:
                for sql in statements:
                    con.execute(sql)
