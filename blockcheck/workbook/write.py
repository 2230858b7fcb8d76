"""Writing a workbook: atomically, one writer at a time, never over an analyst's commit, never under QGIS.

:func:`save_run` is how ``blockcheck run`` writes ``workbook.gpkg`` and
``eight_lists.xlsx``: the workbook is read as it is just before writing, the
caller merges its lists with it, the run's layers are written to a temporary
GeoPackage and the Excel file under a temporary name, and both take effect only
if nobody committed to the workbook meanwhile (a program that does not take
the lock, e.g. QGIS saving edits); otherwise the merge is done again.

An existing workbook is changed in place, in one SQLite transaction that
replaces the run's tables (:mod:`blockcheck.gpkg_inplace`): QGIS may hold it
open, and a file renamed over an open GeoPackage is read through the old file's
write-ahead log and breaks. Layers the run did not make (an analyst's own
layers, QGIS's ``layer_styles``, lists of an earlier, longer run) are left as
they are. Only a new workbook is written under a temporary name and renamed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from blockcheck import gpkg_inplace, parallel
from blockcheck.errors import OutputError
from blockcheck.io import write_gpkg, write_layers
from blockcheck.lists.resource_decisions import DECIDED_ROWS
from blockcheck.lists.resources import RESOURCE_LIST_LAYER
from blockcheck.lists.schema import EIGHT_LISTS
from blockcheck.workbook.edit_marks import mark_analyst_edits
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.postgis_conn import is_database_target
from blockcheck.workbook.read import read_workbook

if TYPE_CHECKING:
    from blockcheck.workbook.write_ahead import WriteAhead

__all__ = [
    "EXCEL_FILE",
    "MERGE_ATTEMPTS",
    "MERGED_LAYERS",
    "WORKBOOK_FILE",
    "Snapshot",
    "read_snapshot",
    "save_run",
    "write_workbook",
]

#: The workbook file ``run`` writes into its --out folder, and the Excel lists beside it.
WORKBOOK_FILE = "workbook.gpkg"
EXCEL_FILE = "eight_lists.xlsx"
#: How often a run merges again when the workbook changes while it is being written.
MERGE_ATTEMPTS = 5

#: The workbook tables a run merges with (analysts' rows, resource decisions, the history): the only ones it reads.
MERGED_LAYERS = (*EIGHT_LISTS, HISTORY_LAYER)

#: ``build(latest)`` → (layers to write, tables for the Excel file, anything the caller wants back).
Build = Callable[[dict[str, pd.DataFrame]], tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], object]]


def _stamp(path: Path) -> tuple:
    """What changes when anyone commits to the workbook: size and time of the file and of its SQLite WAL.

    An empty WAL counts as none: opening the file in WAL mode (QGIS, this writer) creates one.
    """
    out = []
    for p in (path, path.with_name(path.name + "-wal")):
        st = p.stat() if p.exists() else None
        out.append((st.st_mtime_ns, st.st_size) if st and (st.st_size or p == path) else None)
    return tuple(out)


@dataclass(frozen=True)
class Snapshot:
    """The merged tables of a workbook as read once (:func:`read_snapshot`), and the file's state then."""

    stamp: tuple
    tables: dict[str, pd.DataFrame]


def read_snapshot(path: Path) -> Snapshot:
    """The :data:`MERGED_LAYERS` of the workbook `path` (``{}`` when there is none) with its state.

    A run reads this once, before it starts, under the lock: the earlier run's
    resource decisions steer step 1 and :func:`save_run` merges with the same
    tables unless someone committed to the workbook meanwhile. A PostGIS
    workbook (`path` a database target) is read the same way.
    """
    if is_database_target(path):
        from blockcheck.workbook.postgis import read_merged

        return Snapshot(stamp=(), tables=read_merged(path, MERGED_LAYERS))
    stamp = _stamp(path)
    # of the resource list only the analysts' decisions: the rest is found again
    decided = {RESOURCE_LIST_LAYER: DECIDED_ROWS}
    return Snapshot(stamp=stamp, tables=read_workbook(path, MERGED_LAYERS, where=decided) if path.exists() else {})


def write_workbook(path: str | os.PathLike, layers: dict[str, pd.DataFrame]) -> Path:
    """Write `layers` as the whole workbook at `path`, atomically (no partial file if it fails)."""
    return write_gpkg(path, layers, finish=mark_analyst_edits)


def _unchanged(path: Path, stamp: tuple) -> bool:
    """Whether nobody committed to the workbook since `stamp` was taken."""
    return _stamp(path) == stamp


def _write_pending(path: Path, layers: dict[str, pd.DataFrame]) -> None:
    """Write `layers` into the new GeoPackage `path` (the run's tables, before they go into the workbook)."""
    try:
        write_layers(path, layers, finish=mark_analyst_edits)
    except Exception as err:  # noqa: BLE001 - GDAL/pyogrio raise their own error types on a full disk etc.
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        msg = (
            f"{path.with_name(WORKBOOK_FILE)}: the run's tables cannot be written ({reason}). Nothing already "
            "saved was changed; free disk space or choose a writable folder."
        )
        raise OutputError(msg) from None


def _finished(ahead: WriteAhead | None, layers: dict, sheets: dict) -> tuple[Path, Path] | None:
    """The pending files `ahead` completes with `layers` and `sheets`; None (and nothing left) if it cannot."""
    if ahead is None:
        return None
    try:
        return ahead.finish(layers, sheets)
    except Exception:  # noqa: BLE001 - anything the forked part met: both files are written here instead
        ahead.close()
        return None


def _write_both(gpkg: Path, layers: dict, xlsx: Path, sheets: dict, write_excel: Callable) -> None:
    """The run's tables into the new GeoPackage `gpkg`, and the Excel file `xlsx` beside it (a forked process)."""
    excel_part = parallel.start(write_excel, xlsx, sheets)
    try:
        _write_pending(gpkg, layers)
    except BaseException:
        excel_part.cancel()
        raise
    excel_part.result()


def save_run(
    target: Path, build: Build, *, snapshot: Snapshot | None = None, ahead: WriteAhead | None = None
) -> tuple[Path, Path, object]:
    """Replace the workbook `target` and its Excel lists with what `build` makes of the workbook as it is now.

    Parameters
    ----------
    target
        ``…/workbook.gpkg`` (the caller holds its lock, :func:`blockcheck.workbook.lock.workbook_lock`).
    build
        Called with the workbook's list tables as they are just before writing;
        returns the layers to write, the tables of ``eight_lists.xlsx`` and a
        value handed back. Tables of the old workbook it does not return are kept.
    snapshot
        The workbook as the caller read it (:func:`read_snapshot`): used as it
        is when the file has not changed since, so a re-run reads it once.
    ahead
        The lists of steps 1–2 already being written (:mod:`blockcheck.workbook.write_ahead`), merged
        with `snapshot`: completed and used when the workbook has not changed since; otherwise, or when
        it fails, both files are written here.

    Returns
    -------
    workbook, excel, value
        The two files written and the value of the `build` call that was written.

    Raises
    ------
    OutputError
        The workbook kept changing during :data:`MERGE_ATTEMPTS` attempts; nothing was replaced.
    """
    if is_database_target(target):  # merged and written in one database transaction (workbook/postgis.py)
        from blockcheck.workbook.postgis import save_run as save_database_run

        return save_database_run(target, build, snapshot=snapshot)
    from blockcheck.workbook.excel import write_eight_lists

    excel = target.with_name(EXCEL_FILE)
    for _ in range(MERGE_ATTEMPTS):
        stamp = _stamp(target)
        if snapshot is not None and snapshot.stamp == stamp:
            latest = snapshot.tables
        else:
            latest = read_snapshot(target).tables
        if ahead is not None and ahead.stamp != stamp:  # its lists were merged with an older workbook
            ahead.close()
            ahead = None
        snapshot = None  # a second attempt means the file changed: read it again
        layers, sheets, value = build(latest)
        written = _finished(ahead, layers, sheets)
        ahead = None
        # both files under names of their own first: if either cannot be written, neither takes effect
        tag = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
        pending_xlsx = excel.with_name(f".{excel.stem}.{tag}.tmp{excel.suffix}")
        pending_gpkg = target.with_name(f".{target.stem}.{tag}.pending{target.suffix}")
        if written is not None:
            pending_gpkg, pending_xlsx = written
        try:
            if written is None:
                _write_both(pending_gpkg, layers, pending_xlsx, sheets, write_eight_lists)
            if not target.exists():  # a new workbook: written whole, then named
                if _stamp(target) == stamp:
                    gpkg_inplace.remove_stale_sidecars(target)
                    os.replace(pending_gpkg, target)
                    os.replace(pending_xlsx, excel)
                    return target, excel, value
                continue
            # tables this run did not rebuild (an earlier, longer run's lists; an analyst's own layers;
            # layer_styles) stay in the file as they are
            if gpkg_inplace.replace_layers(target, pending_gpkg, still_current=partial(_unchanged, target, stamp)):
                os.replace(pending_xlsx, excel)
                return target, excel, value
        finally:
            pending_gpkg.unlink(missing_ok=True)
            pending_xlsx.unlink(missing_ok=True)
    msg = (
        f"{target}: the workbook kept changing while the run wrote it ({MERGE_ATTEMPTS} attempts); nothing "
        "was replaced. "
        "Stop the other program writing to it (or let it finish) and run again."
    )
    raise OutputError(msg)
