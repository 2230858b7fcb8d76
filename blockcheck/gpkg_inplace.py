"""Replacing layers of a GeoPackage in place, in one SQLite transaction — never a new file under an open one.

QGIS keeps a workbook open while the analyst edits it, in SQLite's WAL mode:
the ``-wal`` and ``-shm`` files beside the GeoPackage belong to *that* file.
Renaming a new file over it leaves them behind, and SQLite then applies the old
file's log to the new one ("malformed database schema … already exists"). So
a writer of an existing GeoPackage lets GDAL write the new layers into a
temporary GeoPackage first and then, in one transaction on the file itself
(the temporary one attached), drops the old tables and copies the new ones
over with their GeoPackage bookkeeping: ``gpkg_contents``,
``gpkg_geometry_columns``, ``gpkg_extensions``, ``gpkg_ogr_contents`` (feature
counts), ``gpkg_data_columns``, the R-tree spatial index and the triggers that
keep it. Readers see the old tables until the commit and the new ones after
it; a failure rolls back and changes nothing. The write-ahead log is
checkpointed at the end.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from blockcheck.errors import OutputError

__all__ = [
    "SIDECARS",
    "file_identity",
    "is_geopackage",
    "order_layers",
    "readable",
    "remove_stale_sidecars",
    "replace_layers",
]

#: Files SQLite keeps beside a database while it is open or being written.
SIDECARS = ("-wal", "-shm", "-journal")
#: GeoPackage tables that describe a layer, by table name (copied with it, ``gpkg_contents`` first).
_BOOKKEEPING = ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents", "gpkg_data_columns")
#: Milliseconds a checkpoint waits for readers still on an older snapshot (then the log is checkpointed later).
_CHECKPOINT_WAIT_MS = 200


def is_geopackage(path: str | os.PathLike) -> bool:
    """Whether `path` is a GeoPackage (an SQLite database with ``gpkg_contents``) — asked through SQLite itself.

    The file is never opened with ``open()``: closing any descriptor of a
    database file drops all of this process's SQLite locks on it (POSIX), and
    QGIS may hold the file open in this very process.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        found = _read_only_value(path, "SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_contents'")
    except sqlite3.DatabaseError as err:
        return "not a database" not in str(err)  # a database that is busy is still one
    return bool(found)


def file_identity(path: str | os.PathLike) -> tuple:
    """What changes when a run rewrites a workbook's tables: the file (device, inode) and its SQLite schema version.

    A run writes into an existing workbook in place (the file stays; its tables
    are replaced in one transaction, which changes the schema version); row
    edits change neither. The version is None when the file cannot be read.
    """
    stat = os.stat(path)
    try:
        version = _read_only_value(path, "PRAGMA schema_version")
    except sqlite3.Error:
        version = None
    return stat.st_dev, stat.st_ino, version


def _read_only_value(path: str | os.PathLike, sql: str) -> object:
    """The first value `sql` gives on the database `path`, opened read-only through SQLite (never ``open()``)."""
    con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def remove_stale_sidecars(path: str | os.PathLike) -> None:
    """Remove ``-wal`` / ``-shm`` / ``-journal`` files left beside a database file that no longer exists.

    A new file put in its place would otherwise be read through the old file's log.
    """
    path = Path(path)
    if path.exists():
        return
    for suffix in SIDECARS:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@contextmanager
def readable(path: str | os.PathLike) -> Iterator[Path]:
    """`path` for GDAL to read — or, while a program holds it open in WAL mode, a consistent copy of it.

    pyogrio's GDAL links an SQLite of its own. In a process that also has the
    file open through the system's SQLite (QGIS running the plugin) the two
    libraries never see each other's locks, and when GDAL closes the file it
    drops all of the process's locks on it and on its WAL index (POSIX locks
    belong to the process): another program then takes the file for unused,
    checkpoints it and deletes the index under QGIS ("disk I/O error"). So while
    a ``-wal`` file lies beside `path`, the sqlite3 module (the SQLite QGIS
    uses) copies the database with its backup API, as one consistent snapshot,
    and GDAL reads the copy.
    """
    from blockcheck.workbook.postgis_conn import is_database_target

    if is_database_target(path):  # a PostGIS workbook: the database gives consistent reads itself
        yield path
        return
    path = Path(path)
    if not path.with_name(path.name + "-wal").exists():
        yield path
        return
    handle, name = tempfile.mkstemp(prefix="blockcheck-read-", suffix=path.suffix)
    os.close(handle)
    copy = Path(name)
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # the copy is read without a log of its own
        except sqlite3.DatabaseError as err:
            if "not a database" not in str(err):
                raise
            copy = path  # not SQLite at all: GDAL reads it as it is
        finally:
            target.close()
            source.close()
        yield copy
    finally:
        for suffix in ("", *SIDECARS):
            Path(name + suffix).unlink(missing_ok=True)


def _q(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def replace_layers(
    target: str | os.PathLike,
    source: str | os.PathLike,
    *,
    drop_others: bool = False,
    still_current: Callable[[], bool] | None = None,
    wait_s: float | None = None,
) -> bool:
    """Put every layer of the GeoPackage `source` into the GeoPackage `target`, in place, in one transaction.

    Parameters
    ----------
    target
        The existing GeoPackage (it may be open in QGIS meanwhile).
    source
        A GeoPackage holding the new layers (written by GDAL); layers of the same
        name in `target` are replaced, the others kept (``layer_styles``,
        analysts' own layers) unless `drop_others`.
    drop_others
        Also remove the layers of `target` that `source` does not hold (the file
        then holds what `source` holds, as if it had been replaced).
    still_current
        Called once the write lock on `target` is held: when it returns False
        nothing is written and the function returns False.
    wait_s
        Seconds to wait for another program's write transaction on `target`
        (default ``BLOCKCHECK_LOCK_WAIT_S`` or 60).

    Raises
    ------
    OutputError
        `target` stayed locked by another writer, or could not be written; nothing was changed.
    """
    if wait_s is None:
        wait_s = float(os.environ.get("BLOCKCHECK_LOCK_WAIT_S", "60"))
    target = Path(target)
    try:
        con = sqlite3.connect(str(target), timeout=wait_s, isolation_level=None)
    except sqlite3.Error as err:
        raise _error(target, err) from None
    try:
        try:
            con.execute("PRAGMA cache_size = -65536")  # 64 MB (default 2 MB): dropping and copying big tables
            con.execute("ATTACH DATABASE ? AS src", (str(source),))
            names = [r[0] for r in con.execute("SELECT table_name FROM src.gpkg_contents ORDER BY rowid")]
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise _error(target, err) from None
        try:
            if still_current is not None and not still_current():
                con.execute("ROLLBACK")
                return False
            wanted = {n.lower() for n in names}
            places = {}  # a replaced layer keeps its place in gpkg_contents (the order GDAL lists layers in)
            for name, place in _layers(con, "main"):
                if name.lower() in wanted or drop_others:
                    _drop_layer(con, name)
                    places[name.lower()] = place
            srs = _copy_srs(con)
            for name in sorted(names, key=lambda n: n.lower() not in places):  # new layers after: rowids free
                _copy_layer(con, name, srs, place=places.get(name.lower()))
            con.execute("COMMIT")
        except BaseException as err:
            if con.in_transaction:
                con.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise _error(target, err) from None
            raise
        try:  # committed: the rest is tidying, never a reason to report a failed write
            con.execute("DETACH DATABASE src")
            _checkpoint(con)
        except sqlite3.Error:
            pass
    finally:
        con.close()
    return True


def _error(target: Path, err: sqlite3.Error) -> OutputError:
    if "locked" in str(err) or "busy" in str(err):
        msg = (
            f"{target}: another program holds a write transaction on this GeoPackage ({err}); nothing was changed. "
            "In QGIS, save or discard the edits of its layers (toggle editing off), then run again."
        )
    else:
        msg = (
            f"{target}: cannot be written ({err}). Nothing already saved was changed; free disk space, choose a "
            "writable folder, or check the file with `ogrinfo`."
        )
    return OutputError(msg)


def _exists(con: sqlite3.Connection, schema: str, name: str) -> bool:
    row = con.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE lower(name) = lower(?)", (name,)).fetchone()
    return row is not None


def _layers(con: sqlite3.Connection, schema: str) -> list[tuple[str, int]]:
    """(table name, row id in gpkg_contents) of every layer of `schema`."""
    if not _exists(con, schema, "gpkg_contents"):
        return []
    return con.execute(f"SELECT table_name, rowid FROM {schema}.gpkg_contents").fetchall()


def _columns(con: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA {schema}.table_info({_q(table)})")]


def _rtrees(con: sqlite3.Connection, schema: str, name: str) -> list[str]:
    """The R-tree tables indexing layer `name` (``rtree_<table>_<geometry column>``)."""
    if not _exists(con, schema, "gpkg_geometry_columns"):
        return []
    columns = con.execute(
        f"SELECT table_name, column_name FROM {schema}.gpkg_geometry_columns WHERE lower(table_name) = lower(?)",
        (name,),
    ).fetchall()
    trees = [f"rtree_{table}_{column}" for table, column in columns]
    return [tree for tree in trees if _exists(con, schema, tree)]


def _drop_layer(con: sqlite3.Connection, name: str) -> None:
    """Remove layer `name` from the main database: index, bookkeeping rows, the table (its triggers with it)."""
    for tree in _rtrees(con, "main", name):
        con.execute(f"DROP TABLE main.{_q(tree)}")
    for table in (*reversed(_BOOKKEEPING), "gpkg_metadata_reference"):
        if _exists(con, "main", table):
            con.execute(f"DELETE FROM main.{table} WHERE lower(table_name) = lower(?)", (name,))
    row = con.execute("SELECT type, name FROM main.sqlite_master WHERE lower(name) = lower(?)", (name,)).fetchone()
    if row is not None and row[0] in ("table", "view"):
        con.execute(f"DROP {row[0].upper()} main.{_q(row[1])}")


def _copy_srs(con: sqlite3.Connection) -> dict[int, int]:
    """Make sure every CRS of the source's layers is in the target; source srs_id → target srs_id."""
    mapping: dict[int, int] = {}
    common = [
        c for c in _columns(con, "src", "gpkg_spatial_ref_sys") if c in _columns(con, "main", "gpkg_spatial_ref_sys")
    ]
    listed = ", ".join(_q(c) for c in common)
    used = {r[0] for r in con.execute("SELECT srs_id FROM src.gpkg_contents WHERE srs_id IS NOT NULL")}
    for srs_id in sorted(used):
        row = con.execute(f"SELECT {listed} FROM src.gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)).fetchone()
        if row is None:
            mapping[srs_id] = srs_id
            continue
        values = dict(zip(common, row, strict=True))
        same = con.execute(
            "SELECT srs_id FROM main.gpkg_spatial_ref_sys WHERE srs_id = ? AND definition = ?",
            (srs_id, values["definition"]),
        ).fetchone() or (
            con.execute(
                "SELECT srs_id FROM main.gpkg_spatial_ref_sys WHERE lower(organization) = lower(?) "
                "AND organization_coordsys_id = ? AND lower(organization) NOT IN ('none', 'undefined') "
                "ORDER BY srs_id = ? DESC LIMIT 1",
                (values["organization"], values["organization_coordsys_id"], srs_id),
            ).fetchone()
        )
        if same is not None:
            mapping[srs_id] = same[0]
            continue
        taken = con.execute("SELECT 1 FROM main.gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)).fetchone()
        new_id = srs_id
        if taken is not None:
            top = con.execute("SELECT max(srs_id) FROM main.gpkg_spatial_ref_sys").fetchone()[0] or 0
            new_id = max(top + 1, 100000)
        values["srs_id"] = new_id
        con.execute(
            f"INSERT INTO main.gpkg_spatial_ref_sys ({listed}) VALUES ({', '.join('?' * len(common))})",
            [values[c] for c in common],
        )
        mapping[srs_id] = new_id
    return mapping


def _ensure_table(con: sqlite3.Connection, table: str) -> bool:
    """Create bookkeeping table `table` in the target like the source's; False when the source has none."""
    if not _exists(con, "src", table):
        return False
    if not _exists(con, "main", table):
        sql = con.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        con.execute(sql[0])
    return True


def _copy_layer(con: sqlite3.Connection, name: str, srs: dict[int, int], *, place: int | None = None) -> None:
    """Copy layer `name` from the attached source into the main database (rows, index, triggers, bookkeeping)."""
    objects = con.execute(
        "SELECT type, name, sql FROM src.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY rowid", (name,)
    ).fetchall()
    table = next(sql for kind, obj, sql in objects if kind == "table" and obj == name)
    con.execute(table)  # an unqualified CREATE TABLE makes it in main
    con.execute(f"INSERT INTO main.{_q(name)} SELECT * FROM src.{_q(name)}")
    for tree in _rtrees(con, "src", name):
        sql = con.execute("SELECT sql FROM src.sqlite_master WHERE name = ?", (tree,)).fetchone()[0]
        con.execute(sql)
        _copy_rtree(con, tree)
    # the triggers last: they keep the R-tree and the feature count from now on (their ST_ functions are GDAL's)
    for kind, _, sql in objects:
        if kind in ("index", "trigger"):
            con.execute(sql)
    for meta in _BOOKKEEPING:
        if not _ensure_table(con, meta):
            continue
        columns = [c for c in _columns(con, "src", meta) if c in _columns(con, "main", meta)]
        listed = ", ".join(_q(c) for c in columns)
        rows = con.execute(f"SELECT {listed} FROM src.{meta} WHERE table_name = ?", (name,)).fetchall()
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            if values.get("srs_id") is not None:
                values["srs_id"] = srs.get(values["srs_id"], values["srs_id"])
            if meta == "gpkg_contents" and place is not None:
                values["rowid"] = place
            con.execute(
                f"INSERT INTO main.{meta} ({', '.join(map(_q, values))}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )


def order_layers(path: str | os.PathLike, names: list[str]) -> None:
    """List the layers of the GeoPackage `path` in the order of `names` (others after them, as they were).

    GDAL and QGIS list a GeoPackage's layers in the order of its bookkeeping
    rows (``gpkg_contents`` …, spatial layers first): a file written in two
    parts (:mod:`blockcheck.workbook.write_ahead`) is put in the order a file
    written at once has. The layers themselves are not touched. For a file no
    one else has open (a run's pending workbook).
    """
    rank = {name: i for i, name in enumerate(names)}
    with closing(sqlite3.connect(str(path))) as con, con:
        for meta in _BOOKKEEPING:
            if not _exists(con, "main", meta):
                continue
            columns = _columns(con, "main", meta)
            listed = ", ".join(_q(c) for c in columns)
            rows = con.execute(f"SELECT {listed} FROM main.{meta} ORDER BY rowid").fetchall()
            at = columns.index("table_name")
            rows.sort(key=lambda row: rank.get(row[at], len(rank)))  # stable: the others keep their order
            con.execute(f"DELETE FROM main.{meta}")
            con.executemany(f"INSERT INTO main.{meta} ({listed}) VALUES ({', '.join('?' * len(columns))})", rows)


#: The tables an SQLite R-tree keeps its tree in (``<rtree>_node`` …).
_RTREE_PARTS = ("node", "parent", "rowid")


def _copy_rtree(con: sqlite3.Connection, tree: str) -> None:
    """Fill the new (empty) R-tree `tree` like the source's: its tree copied as it is, not built again.

    Copying the tables the R-tree module keeps its nodes in takes a fraction of
    inserting every box again (0.7 s for 50,000 features); when their layout
    differs (another SQLite version), the boxes are inserted.
    """
    parts = [f"{tree}_{part}" for part in _RTREE_PARTS]
    if all(_exists(con, "src", p) and _columns(con, "src", p) == _columns(con, "main", p) for p in parts):
        for part in parts:
            con.execute(f"DELETE FROM main.{_q(part)}")
            con.execute(f"INSERT INTO main.{_q(part)} SELECT * FROM src.{_q(part)}")
    else:
        con.execute(f"INSERT INTO main.{_q(tree)} SELECT * FROM src.{_q(tree)}")


def _checkpoint(con: sqlite3.Connection) -> None:
    """Move the write-ahead log into the file and empty it (when no reader holds an older snapshot)."""
    if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        return
    con.execute(f"PRAGMA busy_timeout = {_CHECKPOINT_WAIT_MS}")
    busy, *_ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:  # a reader is still on the old snapshot: copy what can be copied, the rest at a later checkpoint
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")


#: QGIS's table of styles saved in a GeoPackage (as the OGR provider creates it).
STYLES_TABLE = "layer_styles"
_STYLES_DDL = (
    'CREATE TABLE "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "f_table_catalog" TEXT(256), '
    '"f_table_schema" TEXT(256), "f_table_name" TEXT(256), "f_geometry_column" TEXT(256), "styleName" TEXT(30), '
    '"styleQML" TEXT, "styleSLD" TEXT, "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), '
    "\"ui\" TEXT(30), \"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)


def replace_styles(target: str | os.PathLike, styles: list[tuple[str, str, str, bool]], *, description: str) -> int:
    """Replace the rows of `description` in QGIS's ``layer_styles`` of GeoPackage `target` by `styles`.

    `styles` holds (table, style name, QML, default) rows. In one SQLite
    transaction, through the SQLite QGIS itself uses (not GDAL: a second GDAL
    writing into a file QGIS holds open in this process corrupts memory): the
    table is created and registered when missing, earlier rows with
    `description` of the tables named are deleted (other styles — the user's —
    are kept), the new rows inserted, and a new default row makes the table's
    other rows no default, as QGIS's own "save as default" does. Returns the rows written.

    Raises
    ------
    OutputError
        `target` stayed locked by another writer, or could not be written; nothing was changed.
    """
    target = Path(target)
    try:
        con = sqlite3.connect(str(target), timeout=float(os.environ.get("BLOCKCHECK_LOCK_WAIT_S", "60")))
    except sqlite3.Error as err:
        raise _error(target, err) from None
    try:
        with con:
            con.execute("BEGIN IMMEDIATE")
            if not _exists(con, "main", STYLES_TABLE):
                con.execute(_STYLES_DDL)
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                    "VALUES (?, 'attributes', ?, '', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                    (STYLES_TABLE, STYLES_TABLE),
                )
            geometry = dict(con.execute("SELECT lower(table_name), column_name FROM gpkg_geometry_columns"))
            for table in dict.fromkeys(t for t, *_ in styles):
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND description = ?", (table, description))
            for table, name, qml, default in styles:
                column = geometry.get(table.lower(), "")
                if default:
                    con.execute(
                        "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ? AND f_geometry_column = ?",
                        (table, column),
                    )
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                    "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL)",
                    (table, column, name, qml, int(default), description),
                )
            if _exists(con, "main", "gpkg_ogr_contents"):
                con.execute(
                    "UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM layer_styles) "
                    "WHERE lower(table_name) = 'layer_styles'"
                )
    except sqlite3.Error as err:
        raise _error(target, err) from None
    finally:
        con.close()
    return len(styles)
