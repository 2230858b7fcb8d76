"""Reading a workbook: its layer names, list tables, metadata and any other layer.

Every module that needs something from a ``workbook.gpkg`` reads it through
these functions (the report, the what-if, the Excel export and import, the run
merging analysts' work), so the storage can change in one place.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyogrio
import pyogrio.errors

from blockcheck.errors import InputError
from blockcheck.gpkg_inplace import readable
from blockcheck.lists.schema import list_tables
from blockcheck.workbook.postgis_conn import is_database_target

__all__ = [
    "META_LAYER",
    "layer_names",
    "read_meta",
    "read_table",
    "read_workbook",
    "require_workbook",
]

#: The table saying what produced a workbook (key/value rows).
META_LAYER = "blockcheck_meta"


def require_workbook(path: str | os.PathLike) -> Path:
    """`path` as a Path, when it is a file.

    Raises
    ------
    InputError
        The file does not exist (says how to make one).
    """
    if is_database_target(path):  # a PostGIS workbook (postgresql://…?schema=NAME)
        from blockcheck.workbook.postgis import require_workbook as require_database

        return require_database(path)
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: workbook not found. Make it with `blockcheck run INPUT --out DIR` (gives DIR/workbook.gpkg)."
        raise InputError(msg)
    return path


def layer_names(path: str | os.PathLike) -> set[str]:
    """The names of the layers and tables in `path` (empty when there is no such file).

    Raises
    ------
    InputError
        The file exists but is not a readable GeoPackage.
    """
    if is_database_target(path):
        from blockcheck.workbook import postgis

        return postgis.layer_names(path)
    path = Path(path)
    if not path.is_file():
        return set()
    with readable(path) as copy:
        return _layer_names(copy, path)


def _layer_names(copy: Path, path: Path) -> set[str]:
    """:func:`layer_names` of `copy`, a readable copy of `path` (named in messages)."""
    try:
        return {str(name) for name, _ in pyogrio.list_layers(copy)}
    except Exception as err:  # noqa: BLE001 - GDAL raises its own error types for a file that is not a GeoPackage
        msg = (
            f"{path}: not a readable workbook GeoPackage ({err}). Restore it, or give the workbook.gpkg "
            "`blockcheck run` wrote."
        )
        raise InputError(msg) from None


def read_table(path: str | os.PathLike, name: str, *, columns: list[str] | None = None) -> pd.DataFrame | None:
    """One layer or table of the workbook (a GeoDataFrame for layers with geometry), None when absent.

    `columns` reads only those present of the listed columns.
    """
    if is_database_target(path):
        from blockcheck.workbook import postgis

        return postgis.read_table(path, name, columns=columns)
    path = Path(path)
    if not path.is_file():
        return None
    with readable(path) as copy:
        if name not in _layer_names(copy, path):
            return None
        if columns is not None:
            present = set(pyogrio.read_info(copy, layer=name)["fields"])
            columns = [c for c in columns if c in present]
        return pyogrio.read_dataframe(copy, layer=name, columns=columns)


def read_workbook(
    path: str | os.PathLike, layers: tuple[str, ...] | None = None, *, where: dict[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    """The list tables of a workbook (default: every table of ``data/lists.toml``); missing file or layers are
    left out.

    `where`: an SQL condition per layer name (GeoPackage only) selecting the rows read; a layer whose
    condition does not apply (a column missing) is read whole.
    """
    if is_database_target(path):
        from blockcheck.workbook import postgis

        return postgis.read_workbook(path, layers)
    path = Path(path)
    if not path.is_file():
        return {}
    wanted = layers or tuple(list_tables())
    where = where or {}

    def read(copy: Path, name: str) -> pd.DataFrame:
        if name in where:
            try:
                return pyogrio.read_dataframe(copy, layer=name, where=where[name])
            except pyogrio.errors.DataLayerError:  # the condition names a column the layer lacks
                pass
        return pyogrio.read_dataframe(copy, layer=name)

    with readable(path) as copy:
        present = _layer_names(copy, path)
        return {name: read(copy, name) for name in wanted if name in present}


def read_meta(path: str | os.PathLike) -> dict[str, str]:
    """``blockcheck_meta`` as a dict (empty when the table is missing): what produced the workbook."""
    meta = read_table(path, META_LAYER)
    if meta is None:
        return {}
    return dict(zip(meta["key"].astype(str), meta["value"].fillna("").astype(str), strict=True))
