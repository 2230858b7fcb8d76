"""``blockcheck db export|import``: a PostGIS workbook to a GeoPackage and a GeoPackage into a new schema.

Export reads every layer of the schema in one read-only snapshot (edits going
on meanwhile are either all in or all out) and writes them as a
``workbook.gpkg`` that every other command and QGIS open as usual. Import
writes every layer of a GeoPackage workbook into a schema that holds no
workbook yet, in one transaction, as a run would (analysts' provenance and the
history kept as they are); ``layer_styles`` (QGIS's styles) is left out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from blockcheck.errors import InputError
from blockcheck.lists.schema import EIGHT_LISTS
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.postgis_conn import DatabaseTarget, connect, database_errors, parse_target, psycopg_modules

__all__ = ["export_workbook", "import_workbook"]

#: The order of the layers in an exported GeoPackage (as ``blockcheck run`` writes them); others follow.
_FIRST = ("block_metrics", "area_metrics", *EIGHT_LISTS, "resource_summary", "allocation", "allocation_remaining")
#: GeoPackage tables that are not the workbook's (QGIS's styles): not imported.
_NOT_IMPORTED = ("layer_styles",)


def _ordered(names) -> list[str]:
    names = list(names)
    return [n for n in _FIRST if n in names] + [n for n in names if n not in _FIRST]


def export_workbook(target: DatabaseTarget | str, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write every layer of the PostGIS workbook `target` to the GeoPackage `out` (a consistent snapshot).

    Raises
    ------
    InputError
        The schema holds no workbook.
    blockcheck.errors.WouldOverwriteError
        `out` exists and was not written by blockcheck (use `overwrite`).
    """
    from blockcheck.io import write_gpkg
    from blockcheck.outputs import guard_output
    from blockcheck.workbook.edit_marks import mark_analyst_edits
    from blockcheck.workbook.postgis import _read, _table_names, require_workbook

    target = require_workbook(target)
    out = guard_output(Path(out), overwrite=overwrite)
    psycopg, _ = psycopg_modules()
    with database_errors(target), connect(target) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for every table
        with conn.transaction():
            layers = {name: _read(conn, target.schema, name) for name in _ordered(_table_names(conn, target.schema))}
    return write_gpkg(out, layers, finish=mark_analyst_edits)


def import_workbook(path: str | os.PathLike, target: DatabaseTarget | str) -> DatabaseTarget:
    """Write every layer of the GeoPackage workbook `path` into `target`, a schema without a workbook yet.

    Raises
    ------
    InputError
        `path` is no workbook, or the schema already holds one (import into a new schema).
    """
    from blockcheck.workbook.postgis import layer_names as database_layers
    from blockcheck.workbook.postgis import save_run
    from blockcheck.workbook.read import layer_names, read_table, require_workbook

    path = require_workbook(path)
    target = parse_target(target)
    names = [n for n in _ordered(layer_names(path)) if n not in _NOT_IMPORTED]
    if "block_metrics" not in names:
        msg = f"{path}: no block_metrics layer; this is not a workbook `blockcheck run` wrote."
        raise InputError(msg)
    if "block_metrics" in database_layers(target):
        msg = (
            f"{target}: this schema already holds a workbook; importing would mix two. Import into a new "
            "schema (?schema=NEW_NAME), or run `blockcheck run` into this one."
        )
        raise InputError(msg)
    layers: dict[str, pd.DataFrame] = {name: read_table(path, name) for name in names}
    if HISTORY_LAYER in layers:  # the history goes last, as a run writes it
        layers[HISTORY_LAYER] = layers.pop(HISTORY_LAYER)
    save_run(target, lambda latest: (layers, {}, None))
    return target
