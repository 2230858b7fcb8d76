"""Reading and writing a workbook kept in PostgreSQL/PostGIS (one schema per workbook).

The same layers as a ``workbook.gpkg``, as tables named like its layers
(``project_list``, ``block_metrics`` …) in the schema of the target
(:mod:`blockcheck.workbook.postgis_conn`). :mod:`blockcheck.workbook.read`
and :mod:`blockcheck.workbook.write` hand a database target to the functions
here, so every caller of those reads and writes either backend.

A run computes outside the database and then, in ONE transaction, takes the
workbook's run lock, locks the lists against writes (readers go on), reads the
lists as they are now, merges its own with them (``build``, i.e.
:func:`blockcheck.workbook.merge.merge_run`) and writes the result: list rows
are upserted by key (an analyst's row keeps its ``fid`` and gets a new
``row_version`` only when it changed), ``project_history`` gets the new
entries appended, the other layers are replaced. Any error rolls the whole
transaction back: a failed run changes nothing. Bulk writes use ``COPY``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blockcheck.lists.schema import EIGHT_LISTS
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.postgis_conn import DatabaseTarget, connect, database_errors, parse_target, psycopg_modules
from blockcheck.workbook.postgis_schema import CHANGE_LOG, GRANTS_TABLE, ensure_workbook

__all__ = [
    "INTERNAL_TABLES",
    "LOCK_WAIT_S",
    "layer_names",
    "read_merged",
    "read_table",
    "read_workbook",
    "require_workbook",
    "save_run",
]

#: Tables of the schema that are no workbook layer.
INTERNAL_TABLES = (CHANGE_LOG, GRANTS_TABLE)
#: Columns the database adds to list tables (not layer fields): QGIS's key and the row version.
_BOOKKEEPING = ("fid", "row_version")
#: The dtype pandas gives text (object before pandas 3, ``str`` from 3 on): as pyogrio reads GeoPackage text.
_TEXT_DTYPE = pd.Series(["text"]).dtype
#: Seconds a run waits for editors' open transactions before it gives up (nothing is written then).
LOCK_WAIT_S = 60


def _ident(*parts: str):
    _, sql = psycopg_modules()
    return sql.Identifier(*parts)


def _gis_schema(conn) -> str | None:
    row = conn.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'postgis'").fetchone()
    return row[0].strip('"') if row else None


def _table_names(conn, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v') ORDER BY c.oid",
        (schema,),
    ).fetchall()
    return [r[0] for r in rows if r[0] not in INTERNAL_TABLES]


def _columns(conn, schema: str, name: str) -> list[tuple[str, str]]:
    """(column, type) of `name`: type ``geometry`` for PostGIS geometries, else the SQL data type."""
    return conn.execute(
        "SELECT column_name, CASE WHEN udt_name = 'geometry' THEN 'geometry' ELSE data_type END "
        "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (schema, name),
    ).fetchall()


def _srid(conn, schema: str, name: str, column: str) -> int:
    row = conn.execute(
        "SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s AND f_geometry_column = %s",
        (schema, name, column),
    ).fetchone()
    return int(row[0]) if row and row[0] else 0


def _read(conn, schema: str, name: str, columns: list[str] | None = None, *, with_version: bool = False):
    """Layer `name` of the workbook in `schema` as pyogrio reads it from a GeoPackage (None when absent)."""
    import geopandas as gpd
    import shapely
    from psycopg import sql

    found = _columns(conn, schema, name)
    if not found:
        return None
    skip = () if with_version else _BOOKKEEPING
    fields = [(c, t) for c, t in found if c not in skip and (columns is None or c in columns or t == "geometry")]
    geometry = next((c for c, t in fields if t == "geometry"), None)
    gis = _gis_schema(conn) if geometry else None
    selected = [
        sql.SQL("{}({}) AS {}").format(_ident(gis, "st_asbinary"), _ident(c), _ident(c))
        if t == "geometry"
        else _ident(c)
        for c, t in fields
    ]
    order = sql.SQL(" ORDER BY fid") if any(c == "fid" for c, _ in found) else sql.SQL("")
    query = sql.SQL("SELECT {} FROM {}{}").format(sql.SQL(", ").join(selected), _ident(schema, name), order)
    rows = conn.execute(query).fetchall()
    data = {}
    for i, (column, kind) in enumerate(fields):
        values = [r[i] for r in rows]
        if kind == "geometry":
            continue
        data[column] = _column(values, kind)
    frame = pd.DataFrame(data, columns=[c for c, t in fields if t != "geometry"])
    if geometry is None:
        return frame
    i = [c for c, _ in fields].index(geometry)
    geoms = shapely.from_wkb(np.array([bytes(r[i]) if r[i] is not None else None for r in rows], dtype=object))
    srid = _srid(conn, schema, name, geometry)
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=f"EPSG:{srid}" if srid else None)


def _column(values: list, kind: str) -> pd.Series:
    """Database values as pyogrio gives a GeoPackage column: int64 (float64 with gaps), float64, objects."""
    if kind in ("bigint", "integer", "smallint"):
        if any(v is None for v in values):
            return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        return pd.Series(values, dtype="int64")
    if kind in ("double precision", "real", "numeric"):
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if kind == "boolean":
        return pd.Series(values, dtype="object" if any(v is None for v in values) else "bool")
    text = kind in ("text", "character varying") and any(v is not None for v in values)
    return pd.Series(values, dtype=_TEXT_DTYPE if text else "object")


def layer_names(target: DatabaseTarget | str) -> set[str]:
    """The layers and tables of the workbook (empty when the schema does not exist)."""
    target = parse_target(target)
    with database_errors(target), connect(target) as conn:
        return set(_table_names(conn, target.schema))


def read_table(
    target: DatabaseTarget | str, name: str, *, columns: list[str] | None = None, with_version: bool = False
) -> pd.DataFrame | None:
    """One layer of the workbook (a GeoDataFrame for layers with geometry), None when absent.

    `columns` reads only those present of the listed columns; `with_version`
    also gives the database's ``fid`` and ``row_version`` of list rows.
    """
    target = parse_target(target)
    with database_errors(target), connect(target) as conn:
        if name in INTERNAL_TABLES:
            return None
        return _read(conn, target.schema, name, columns, with_version=with_version)


def read_workbook(target: DatabaseTarget | str, layers: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """The list tables of the workbook (default: every table of ``data/lists.toml``); missing ones left out."""
    from blockcheck.lists.schema import list_tables

    target = parse_target(target)
    with database_errors(target), connect(target) as conn:
        return _read_all(conn, target.schema, layers or tuple(list_tables()))


def _read_all(conn, schema: str, layers: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    present = set(_table_names(conn, schema))
    return {name: _read(conn, schema, name) for name in layers if name in present}


def _merged_tables(conn, schema: str, layers: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The tables a run merges with; empty lists left out (a schema made by ``db init`` holds empty lists, which
    a run treats as a first run, like a missing GeoPackage).
    """
    tables = _read_all(conn, schema, layers)
    return {name: frame for name, frame in tables.items() if len(frame)}


def read_merged(target: DatabaseTarget | str, layers: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The tables of `layers` a run merges with, read once before it computes (:func:`_merged_tables`)."""
    target = parse_target(target)
    with database_errors(target), connect(target) as conn:
        return _merged_tables(conn, target.schema, layers)


def require_workbook(target: DatabaseTarget | str) -> DatabaseTarget:
    """`target` parsed, when its schema holds a workbook (a run wrote ``block_metrics`` there).

    Raises
    ------
    blockcheck.errors.InputError
        No run has written into the schema yet (says how to make one).
    """
    from blockcheck.errors import InputError

    target = parse_target(target)
    if "block_metrics" not in layer_names(target):
        msg = f"{target}: no workbook in this schema yet. Make it with `blockcheck run INPUT --out '{target}'`."
        raise InputError(msg)
    return target


# --------------------------------------------------------------------- writing


def save_run(target: DatabaseTarget | str, build, *, snapshot=None) -> tuple[DatabaseTarget, None, object]:
    """Merge a run into the workbook at `target` in one transaction (see the module's description).

    Parameters
    ----------
    target
        The database workbook.
    build
        As for :func:`blockcheck.workbook.write.save_run`: called with the
        workbook's merged tables as they are inside the transaction; returns the
        layers to write, the Excel tables (not written for a database workbook)
        and a value handed back.
    snapshot
        Unused: the lists are read again inside the transaction, under lock.

    Returns
    -------
    target, None, value
        The workbook, no Excel file, and the value of `build`.

    Raises
    ------
    blockcheck.errors.DatabaseError
        The server cannot be reached, editors held their transactions longer than
        :data:`LOCK_WAIT_S`, or a write failed; nothing was changed.
    """
    from blockcheck.workbook.write import MERGED_LAYERS

    target = parse_target(target)
    schema = target.schema
    with database_errors(target), connect(target) as conn, conn.transaction():
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{LOCK_WAIT_S}s",))
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("blockcheck run " + schema,))
        gis = ensure_workbook(conn, schema)
        _, sql = psycopg_modules()
        locked = sql.SQL(", ").join(_ident(schema, n) for n in (*EIGHT_LISTS, HISTORY_LAYER))
        conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(locked))
        latest = _merged_tables(conn, schema, MERGED_LAYERS)
        layers, _sheets, value = build(latest)
        conn.execute("SELECT set_config('blockcheck.run', 'on', true)")
        history_before = len(latest.get(HISTORY_LAYER, ()))
        for name, frame in layers.items():
            if name in EIGHT_LISTS:
                _upsert_list(conn, schema, gis, name, frame)
            elif name == HISTORY_LAYER:
                _append_history(conn, schema, frame.iloc[history_before:])
            else:
                _replace_table(conn, schema, gis, name, frame)
        conn.execute(sql.SQL("INSERT INTO {} (table_name, op) VALUES ('*', 'RUN')").format(_ident(schema, CHANGE_LOG)))
    return target, None, value


def _values(series: pd.Series) -> list:
    """A column as Python values for COPY (None for missing)."""
    values = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _geometry_values(frame, srid: int) -> list:
    import shapely

    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    if srid:
        geoms = shapely.set_srid(geoms, srid)
    return [None if g is None else shapely.to_wkb(g, hex=True, include_srid=bool(srid)) for g in geoms]


def _frame_srid(frame) -> int:
    crs = getattr(frame, "crs", None)
    epsg = crs.to_epsg() if crs is not None else None
    return int(epsg or 0)


def _copy(conn, schema: str, name: str, frame: pd.DataFrame, columns: list[str], *, geometry: str | None) -> None:
    """COPY the `columns` of `frame` (and its geometry into column `geometry`) into table `name`."""
    from psycopg import sql

    data = [_values(frame[c]) for c in columns]
    names = list(columns)
    if geometry is not None:
        data.append(_geometry_values(frame, _frame_srid(frame)))
        names.append(geometry)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        _ident(schema, name) if schema else _ident(name), sql.SQL(", ").join(_ident(c) for c in names)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in zip(*data, strict=True) if data else ():
            copy.write_row(row)


def _sql_type(series: pd.Series) -> str:
    kind = series.dtype.kind
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double precision"
    if kind == "b":
        return "boolean"
    if kind == "M":
        return "timestamptz"
    return "text"


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` without its geometry; text columns as text (objects that are not None become ``str``)."""
    out = pd.DataFrame(frame).drop(columns=[c for c in ("geometry",) if c in frame.columns])
    if hasattr(frame, "geometry") and getattr(frame, "_geometry_column_name", None) in out.columns:
        out = out.drop(columns=frame._geometry_column_name)
    for column in out.columns:
        if _sql_type(out[column]) == "text":
            out[column] = out[column].map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
    return out


def _is_geo(frame) -> bool:
    import geopandas as gpd

    return isinstance(frame, gpd.GeoDataFrame)


def _replace_table(conn, schema: str, gis: str, name: str, frame: pd.DataFrame) -> None:
    """Drop and create table `name` for `frame` (a run's own layer: nobody edits it) and COPY its rows."""
    from psycopg import sql

    attrs = _attributes(frame)
    columns = [sql.SQL("fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")]
    columns += [sql.SQL("{} {}").format(_ident(c), sql.SQL(_sql_type(attrs[c]))) for c in attrs.columns]
    geo = _is_geo(frame)
    if geo:
        srid = _frame_srid(frame)
        columns.append(sql.SQL("geometry {}(Geometry, {})").format(_ident(gis, "geometry"), sql.Literal(srid)))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(_ident(schema, name)))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(_ident(schema, name), sql.SQL(", ").join(columns)))
    frame_out = attrs.assign(geometry=frame.geometry.to_numpy()) if geo else attrs
    if geo:
        import geopandas as gpd

        frame_out = gpd.GeoDataFrame(frame_out, geometry="geometry", crs=frame.crs)
    _copy(conn, schema, name, frame_out, list(attrs.columns), geometry="geometry" if geo else None)
    if geo:
        conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geometry)").format(_ident(schema, name)))


def _ensure_columns(conn, schema: str, name: str, attrs: pd.DataFrame) -> None:
    """Add columns of `attrs` the list table lacks (a longer schema than the table was made with)."""
    from psycopg import sql

    have = {c for c, _ in _columns(conn, schema, name)}
    for column in attrs.columns:
        if column not in have:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                    _ident(schema, name), _ident(column), sql.SQL(_sql_type(attrs[column]))
                )
            )


def _set_srid(conn, schema: str, gis: str, name: str, srid: int) -> None:
    from psycopg import sql

    if _srid(conn, schema, name, "geometry") == srid:
        return
    conn.execute(
        sql.SQL("ALTER TABLE {t} ALTER COLUMN geometry TYPE {g}(Geometry, {s}) USING {f}(geometry, {s})").format(
            t=_ident(schema, name), g=_ident(gis, "geometry"), s=sql.Literal(srid), f=_ident(gis, "st_setsrid")
        )
    )


def _upsert_list(conn, schema: str, gis: str, name: str, frame: pd.DataFrame) -> None:
    """Make list `name` hold exactly the rows of `frame`, by key: new rows inserted, changed rows updated (their
    version bumped by the trigger), unchanged rows left as they are, rows no longer there deleted.
    """
    from psycopg import sql

    from blockcheck.lists.schema import list_table

    key = list_table(name).key
    attrs = _attributes(frame)
    _ensure_columns(conn, schema, name, attrs)
    geo = _is_geo(frame)
    if geo:
        _set_srid(conn, schema, gis, name, _frame_srid(frame))
    columns = list(attrs.columns)
    every = [*columns, "geometry"] if geo else columns
    listed = sql.SQL(", ").join(_ident(c) for c in every)
    conn.execute("DROP TABLE IF EXISTS bc_incoming")
    conn.execute(
        sql.SQL("CREATE TEMP TABLE bc_incoming ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
            listed, _ident(schema, name)
        )
    )
    if geo:
        import geopandas as gpd

        attrs = gpd.GeoDataFrame(attrs, geometry=list(frame.geometry.to_numpy()), crs=frame.crs)
    _copy(conn, "", "bc_incoming", attrs, columns, geometry="geometry" if geo else None)
    table = _ident(schema, name)
    conn.execute(
        sql.SQL("DELETE FROM {t} WHERE {k} NOT IN (SELECT {k} FROM bc_incoming)").format(t=table, k=_ident(key))
    )
    others = [c for c in every if c != key]
    changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("{}.{}").format(table, _ident(c)) for c in others),
        sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(_ident(c)) for c in others),
    )
    update = sql.SQL(", ").join(sql.SQL("{} = EXCLUDED.{}").format(_ident(c), _ident(c)) for c in others)
    conn.execute(
        sql.SQL(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM bc_incoming ON CONFLICT ({k}) DO UPDATE SET {u} WHERE {c}"
        ).format(t=table, cols=listed, k=_ident(key), u=update, c=changed)
        if others
        else sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM bc_incoming ON CONFLICT ({k}) DO NOTHING").format(
            t=table, cols=listed, k=_ident(key)
        )
    )
    conn.execute("DROP TABLE bc_incoming")


def _append_history(conn, schema: str, new: pd.DataFrame) -> None:
    """Append the run's new history entries (ids from the schema's sequence: never one already given)."""
    if new.empty:
        return
    attrs = _attributes(new).drop(columns=["history_id"])
    _copy(conn, schema, HISTORY_LAYER, attrs, list(attrs.columns), geometry=None)
