"""Reading and writing GeoPackages (pyogrio), the one place file formats are handled.

GeoPackages are written as version 1.2 so that QGIS 3.22 (GDAL 3.6) opens
them without a warning; attribute-only tables (lists, metadata) are written
as GeoPackage attribute tables.
"""

from __future__ import annotations

import os
import re
import uuid
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from blockcheck import gpkg_inplace
from blockcheck.errors import InputError, OutputError

__all__ = [
    "GPKG_VERSION",
    "list_layers",
    "read_layer",
    "write_gpkg",
    "write_layers",
]

#: GeoPackage version written by blockcheck (1.4, pyogrio's default, warns in GDAL 3.6).
GPKG_VERSION = "1.2"


def list_layers(path: str | os.PathLike) -> dict[str, str | None]:
    """Layer names of a vector file with their geometry type (None for attribute tables).

    Raises
    ------
    InputError
        If the file is missing or GDAL cannot open it.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path (relative paths start from {Path.cwd()})."
        raise InputError(msg)
    try:
        return {str(name): (None if gtype is None else str(gtype)) for name, gtype in pyogrio.list_layers(path)}
    except Exception as err:  # noqa: BLE001 - pyogrio raises DataSourceError and friends
        msg = (
            f"{path}: cannot be opened as a vector dataset ({err}). Give a GeoPackage (.gpkg), a shapefile or "
            "another GDAL vector format."
        )
        raise InputError(msg) from None


def read_layer(
    path: str | os.PathLike,
    layer: str | None = None,
    *,
    encoding: str | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read one layer with pyogrio; attribute tables come back as DataFrames.

    The GeoPackage feature id is kept in a column ``fid`` so that messages can
    name features as the user sees them in QGIS.
    """
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True, encoding=encoding)
    except Exception as err:  # noqa: BLE001 - GDAL/pyogrio raise their own error types for unreadable data
        where = f"{path}" + (f", layer {layer!r}" if layer else "")
        msg = f"{where}: cannot be read ({err})."
        raise InputError(msg) from None
    frame.index.name = "fid"
    return frame


#: An .xlsx or other zip container unpacking to more than this many bytes is refused (a "zip bomb").
MAX_UNPACKED_BYTES = int(float(os.environ.get("BLOCKCHECK_XLSX_MAX_MB", "512")) * 1e6)
#: Control characters no spreadsheet cell or XML file may hold (tab, newline, return are kept).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_unpacked_size(path: str | os.PathLike, *, limit_bytes: int | None = None) -> None:
    """Refuse a zip container (.xlsx) whose members unpack to more than `limit_bytes`
    (default :data:`MAX_UNPACKED_BYTES`).

    Raises
    ------
    InputError
        Not a zip file, or too large unpacked — before anything is decompressed.
    """
    limit = MAX_UNPACKED_BYTES if limit_bytes is None else limit_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as err:
        msg = (
            f"{path}: cannot be read as an Excel .xlsx workbook ({err}). Open it in Excel and save it again "
            "as .xlsx (or as CSV UTF-8)."
        )
        raise InputError(msg) from None
    if unpacked > limit:
        msg = (
            f"{path}: the workbook unpacks to {unpacked / 1e6:,.0f} MB, more than the {limit / 1e6:,.0f} MB "
            "blockcheck reads "
            "(a damaged or malicious file?). Save the needed sheets alone as a new .xlsx or CSV, or raise "
            "BLOCKCHECK_XLSX_MAX_MB."
        )
        raise InputError(msg)


def clean_text(value: object) -> object:
    """`value` without control characters (text only; other values unchanged)."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def write_gpkg(
    path: str | os.PathLike,
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    overwrite: bool = True,
    finish: Callable[[Path], None] | None = None,
) -> Path:
    """Write `layers` into a GeoPackage (version 1.2), one layer per item, in order.

    Every layer is first written to a temporary file next to `path`, so a
    failed write never changes what was saved before. A new file then takes
    the name `path`; an existing GeoPackage is changed in place, in one SQLite
    transaction (:func:`blockcheck.gpkg_inplace.replace_layers`), never
    replaced: QGIS may hold it open, and its ``-wal`` / ``-shm`` files belong
    to that file.

    Parameters
    ----------
    path
        Target file.
    layers
        Layer name → GeoDataFrame (spatial layer) or DataFrame (attribute table).
    overwrite
        The file then holds only `layers` (default). With False, `layers` are
        added to / replaced in the existing file and its other layers kept.
    finish
        Called with the temporary file once every layer is in it, before it
        takes effect (e.g. :func:`blockcheck.workbook.edit_marks.mark_analyst_edits`).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = (
            f"{path.parent}: the output folder cannot be created ({err.strerror or err}). Choose a folder you "
            "can write to."
        )
        raise OutputError(msg) from None
    # a temporary name of this writer's own: two writers never share (or delete) each other's file
    pending = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        write_layers(pending, layers, finish=finish)
        if path.exists() and gpkg_inplace.is_geopackage(path):
            gpkg_inplace.replace_layers(path, pending, drop_others=overwrite)
        elif path.exists() and not overwrite:
            msg = f"{path}: not a GeoPackage, so no layers can be added to it. Choose another file name."
            raise OutputError(msg)
        else:
            gpkg_inplace.remove_stale_sidecars(path)
            os.replace(pending, path)
    except BaseException as err:
        if isinstance(err, OSError | pyogrio.errors.DataSourceError | pyogrio.errors.DataLayerError):
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            msg = (
                f"{path}: cannot be written ({reason}). Nothing already saved was changed; free disk space or "
                "choose a writable folder."
            )
            raise OutputError(msg) from None
        raise
    finally:
        pending.unlink(missing_ok=True)  # a failed write (full disk, no permission) leaves no partial file
    return path


def write_layers(
    path: Path,
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    finish: Callable[[Path], None] | None = None,
    append: bool = False,
) -> None:
    """Write `layers` as a new GeoPackage (version 1.2) at `path` (which must not exist yet), then `finish(path)`.

    With `append`, `path` is a GeoPackage this function wrote before, and `layers` are added to it.
    """
    first = not append
    for name, frame in layers.items():
        options = {"dataset_options": {"VERSION": GPKG_VERSION}} if first else {}
        frame = _prepare_for_writing(frame)
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", **options)
        first = False
    if finish is not None:
        finish(path)


def _prepare_for_writing(frame: gpd.GeoDataFrame | pd.DataFrame) -> gpd.GeoDataFrame | pd.DataFrame:
    """Drop the index (pyogrio does not write it) and make object columns writable."""
    frame = frame.reset_index(drop=frame.index.name in (None, "fid"))
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", None):
            continue
        values = frame[column]
        if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "bytes", "empty"):
            if values.dtype == object and values.isna().any():  # NaN in a text column: written as null
                frame[column] = values.astype(object).where(values.notna(), None)
            continue
        frame[column] = values.map(_writable)
    return frame


def _writable(value: object) -> object:
    """A value of a mixed object column as GDAL takes it: text kept, missing as None, anything else as text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str | bytes) else str(value)
