"""Importing an edited eight_lists.xlsx into its workbook: explicit, checked, never undoing newer edits.

:func:`import_lists` takes the workbook's write lock, reads the edited file
(:func:`blockcheck.workbook.excel.read_eight_lists`: every bad cell named), and
compares the revision of the lists the file was written from with the
workbook's lists now — a file older than the workbook's last change (an edit
in QGIS, another import, a re-run) is refused, so it cannot put confirmed
resources back to candidate. Rows missing from a sheet are deletions only with
``delete_missing``; formulas, ids changed into new rows and cells cut at
Excel's 32,767-character limit are reported, not taken as edits (a cell the
writer cut, ending in its marker, takes the workbook's full text back; edited,
it is refused). A sheet showing only the first rows of a list too long for
Excel never deletes the rows it does not show: they are kept, and
``delete_missing`` is refused for such a file. The plan of changes is returned
(and printed by the CLI) before anything is written.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

import blockcheck.io as bio
from blockcheck.errors import InputError, StaleImportError
from blockcheck.io import check_unpacked_size, write_gpkg
from blockcheck.lists.schema import EIGHT_LISTS, ListTable, conform, list_table
from blockcheck.workbook.edit_marks import mark_analyst_edits
from blockcheck.workbook.excel import REVISION_PROPERTY, read_eight_lists, sheet_title
from blockcheck.workbook.excel_layout import EXCEL_MAX_CHARS, cut_length, split_ids
from blockcheck.workbook.history import HISTORY_LAYER, history_rows, lists_revision, record_project_changes, value_text
from blockcheck.workbook.lock import workbook_lock
from blockcheck.workbook.postgis_conn import is_database_target, redact
from blockcheck.workbook.read import layer_names, read_meta, read_table, read_workbook, require_workbook

__all__ = [
    "EXCEL_CELL_LIMIT",
    "UNPACKED_BYTES_PER_ROW",
    "ImportPlan",
    "ListChanges",
    "check_revision",
    "import_lists",
    "plan_import",
    "read_edited",
]

#: Excel keeps at most this many characters in a cell; a longer text comes back cut.
EXCEL_CELL_LIMIT = EXCEL_MAX_CHARS
# a formula element in a sheet's XML (any namespace prefix): files without one need no cell-by-cell search
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_SCAN_BYTES = 1 << 20
#: Bytes an edited file may unpack to per row of the workbook's lists, when that is more than the default limit
#: of :func:`blockcheck.io.check_unpacked_size` (a row and its links take about 1 kB of sheet XML).
UNPACKED_BYTES_PER_ROW = 4_000


@dataclass
class ImportPlan:
    """What an import changes, per list: rows added, edited, deleted, and rows missing from the file but kept."""

    added: dict[str, int] = field(default_factory=dict)
    edited: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    kept_missing: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Per list whose sheet shows only its first rows (Excel's row limit): (rows of the list, rows shown).
    shown_only: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, int]:
        """Per list, rows marked added or edited plus rows deleted."""
        names = set(self.added) | set(self.edited) | set(self.deleted)
        return {
            n: self.added.get(n, 0) + self.edited.get(n, 0) + self.deleted.get(n, 0) for n in EIGHT_LISTS if n in names
        }

    def lines(self) -> list[str]:
        """The plan in words, one line per list that changes, then the notes."""
        out = []
        for name in EIGHT_LISTS:
            parts = [
                f"{n} {what}"
                for n, what in (
                    (self.added.get(name, 0), "added"),
                    (self.edited.get(name, 0), "edited"),
                    (self.deleted.get(name, 0), "deleted"),
                )
                if n
            ]
            if self.kept_missing.get(name) and name in self.shown_only:
                total, shown = self.shown_only[name]
                parts.append(
                    f"{self.kept_missing[name]} not in the file kept (the sheet shows the first {shown:,} of "
                    f"{total:,} rows)"
                )
            elif self.kept_missing.get(name):
                parts.append(f"{self.kept_missing[name]} not in the file kept (--delete-missing deletes them)")
            if parts:
                out.append(f"  {sheet_title(name)}: " + ", ".join(parts))
        return (out or ["  no changes"]) + [f"  note: {n}" for n in self.notes]


def _comparable(frame: pd.DataFrame, table: ListTable) -> pd.DataFrame:
    """Values as compared on import: id lists as sorted ids (the order of ids is no edit)."""
    frame = frame.astype(object).where(frame.notna(), None)
    for f in table.fields:
        if f.is_id_list and f.name in frame:
            frame[f.name] = [",".join(sorted(split_ids(v))) or None for v in frame[f.name]]
    # column by column: pandas 2.0 has no DataFrame.map
    return pd.DataFrame({c: frame[c].map(value_text) for c in frame.columns}, index=frame.index)


def _restore_cut_text(new: pd.DataFrame, old: pd.DataFrame, table: ListTable) -> tuple[pd.DataFrame, list[str]]:
    """Cells cut at Excel's cell limit take the workbook's full text back (a cut is no edit).

    A cell ending in the writer's marker (:func:`blockcheck.workbook.excel_layout.cut_text`)
    whose text no longer starts the workbook's text cannot be merged: it is
    returned as a problem (its full text is not in the file). So is a cell
    Excel (or another program) cut at the limit, unless the workbook's text
    starts with it (then that text is taken back).
    """
    old_i = old.set_index(table.key)
    new, problems = new.copy(), []
    for f in table.fields:
        if f.type != "str" or f.name not in new or f.name not in old_i:
            continue
        candidates = [  # Excel's own cut (a full cell) or the writer's marker at the end
            i
            for i, v in zip(new.index, new[f.name].tolist(), strict=True)
            if isinstance(v, str) and (len(v) >= EXCEL_CELL_LIMIT or v.endswith(("】", "]")))
        ]
        for i in candidates:
            value, key = new.at[i, f.name], new.at[i, table.key]
            full = old_i.at[key, f.name] if key in old_i.index else None
            marked = cut_length(value)
            if marked is not None:
                kept, n = marked
                if isinstance(full, str) and len(full) == n and full.startswith(kept):
                    new.at[i, f.name] = full
                else:
                    problems.append(
                        f"{sheet_title(table.name)}, row {key}, column {f.label_zh}: the cell was cut at Excel's "
                        f"limit of {EXCEL_CELL_LIMIT:,} characters (it ends in the marker saying so) and no longer "
                        "matches the workbook's text; edit this text in the workbook (QGIS), or replace the whole "
                        "cell, marker included"
                    )
            elif len(value) >= EXCEL_CELL_LIMIT and isinstance(full, str) and full.startswith(value):
                new.at[i, f.name] = full
            elif len(value) >= EXCEL_CELL_LIMIT:
                problems.append(
                    f"{sheet_title(table.name)}, row {key}, column {f.label_zh}: the cell holds Excel's maximum of "
                    f"{EXCEL_CELL_LIMIT:,} characters, so its end was probably cut, and it does not match the "
                    "workbook's text; edit this text in the workbook (QGIS), or shorten the cell"
                )
    return new, problems


def _changed_rows(new: pd.DataFrame, old: pd.DataFrame, table: ListTable) -> tuple[pd.Series, pd.Series]:
    """Masks over `new`: rows whose key is new, rows whose values differ from `old`."""
    key = table.key
    old_i = old.set_index(key)
    is_new = ~new[key].isin(old_i.index)
    common = new[~is_new]
    cols = [c for c in new.columns if c not in (key, "provenance") and c in old_i.columns]
    a = _comparable(common[cols], table).to_numpy()
    b = _comparable(old_i.loc[common[key], cols], table).to_numpy()
    differs = pd.Series(False, index=new.index)
    differs[common.index] = (a != b).any(axis=1)
    return is_new, differs


def _has_formula_tags(xlsx: Path) -> bool:
    """True when a part of the file may hold a formula element (a quick scan of its XML, no parsing).

    Every XML part is scanned, wherever a program put its sheets; a part with a
    formula that is no cell (a chart's) only costs the cell-by-cell search.
    """
    with zipfile.ZipFile(xlsx) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(".xml"):
                continue
            tail = b""
            with archive.open(info) as fh:
                while block := fh.read(_SCAN_BYTES):
                    block = tail + block
                    if any(tag in block for tag in (b"<f>", b"<f ", b"<f/")) or (
                        b":f" in block and _FORMULA_TAG.search(block)  # a namespace prefix: <x:f>
                    ):
                        return True
                    tail = block[-64:]
    return False


def _formula_cells(xlsx: Path) -> list[str]:
    """Cells of the list sheets that hold a formula (a formula is not data; its cached value may be absent)."""
    import openpyxl

    if not _has_formula_tags(xlsx):  # the usual case: no sheet holds one, no cell-by-cell search
        return []
    titles = {sheet_title(n, lang) for n in EIGHT_LISTS for lang in ("zh", "en")}
    book = openpyxl.load_workbook(xlsx, read_only=True, data_only=False)
    try:
        found = []
        for ws in book.worksheets:
            if ws.title not in titles:
                continue
            for row in ws.iter_rows():
                found += [f"'{ws.title}'!{c.coordinate}" for c in row if getattr(c, "data_type", None) == "f"]
    finally:
        book.close()
    return found


def _refuse_delete_missing(xlsx: Path, truncated: pd.DataFrame) -> None:
    """--delete-missing with a sheet showing only the first rows of its list: the rest would look deleted."""
    sheets = "; ".join(
        f"sheet '{r.sheet}' shows the first {int(r.shown):,} of the {int(r.rows):,} rows of {r.list}"
        for r in truncated.itertuples()
    )
    msg = (
        f"{xlsx}: {sheets} (an Excel sheet holds 1,048,576 rows), so rows missing from it cannot be told from "
        "rows not shown; --delete-missing was refused and nothing was changed. Import without --delete-missing "
        "(rows not in the file are kept), and delete rows in the workbook (QGIS) instead."
    )
    raise InputError(msg)


def _unpacked_limit(workbook: Path) -> int:
    """The most an edited file of `workbook` may unpack to: the default zip-bomb limit, or more for a workbook
    whose lists are long (the file of a city's lists unpacks to more than 512 MB)."""
    names = layer_names(workbook)
    rows = sum(
        int(pyogrio.read_info(workbook, layer=n)["features"]) for n in (*EIGHT_LISTS, HISTORY_LAYER) if n in names
    )
    return max(bio.MAX_UNPACKED_BYTES, rows * UNPACKED_BYTES_PER_ROW)


def _check_workbook(workbook: Path) -> None:
    require_workbook(workbook)
    try:
        step = read_meta(workbook).get("step")
    except InputError:  # not a GeoPackage: not a workbook of ours
        step = None
    if step != "run":
        msg = (
            f"{workbook}: this is not a workbook written by `blockcheck run` (an input GeoPackage?). "
            "Give DIR/workbook.gpkg of a run; nothing was changed."
        )
        raise InputError(msg)


def import_lists(
    workbook: str | os.PathLike,
    xlsx: str | os.PathLike,
    *,
    who: str = "",
    reason: str = "",
    delete_missing: bool = False,
    dry_run: bool = False,
    announce=None,
) -> dict[str, int]:
    """Merge an edited eight_lists.xlsx into the workbook GeoPackage.

    Parameters
    ----------
    workbook, xlsx
        The run's ``workbook.gpkg`` and the edited Excel file.
    who, reason
        Recorded in ``project_history`` for project changes.
    delete_missing
        Rows of a list missing from its sheet are deleted (default: kept and reported).
    dry_run
        Check and plan only; write nothing.
    announce
        Called with the plan before the workbook is written (the CLI prints it).

    Returns
    -------
    dict
        Per list read from the file, the rows added, edited or deleted
        (:attr:`ImportPlan.changed`; the whole plan goes to `announce`).

    Raises
    ------
    StaleImportError
        The file was written from an older state of the lists than the workbook holds now.
    InputError
        Not a workbook of a run; the file unreadable, too large unpacked (more than the default limit
        and than :data:`UNPACKED_BYTES_PER_ROW` per row of the workbook's lists), with formulas, or not
        matching the schemas (every cell named); a cell cut at Excel's limit and then edited;
        ``delete_missing`` with a sheet showing only the first rows of its list; nothing is written.
    """
    if is_database_target(workbook):
        from blockcheck.workbook.postgis_import import import_into_database

        return import_into_database(
            workbook, xlsx, who=who, reason=reason, delete_missing=delete_missing, dry_run=dry_run, announce=announce
        )
    workbook, xlsx = Path(workbook), Path(xlsx)
    _check_workbook(workbook)
    check_unpacked_size(xlsx, limit_bytes=_unpacked_limit(workbook))
    with workbook_lock(workbook, command="blockcheck import-lists"):
        edited = read_edited(xlsx)
        current = read_workbook(workbook)
        check_revision(edited, current, xlsx, workbook)
        plan, layers, history_changes, _ = plan_import(
            edited, current, xlsx, who=who, reason=reason, delete_missing=delete_missing
        )
        if announce is not None:
            announce(plan)
        if dry_run or not any(plan.changed.values()):
            return plan.changed
        # in place, in one transaction: the lists changed and the history; every other layer stays as it is
        layers[HISTORY_LAYER] = history_rows(history_changes, read_table(workbook, HISTORY_LAYER))
        write_gpkg(workbook, layers, overwrite=False, finish=mark_analyst_edits)
    return plan.changed


def read_edited(xlsx: Path) -> dict[str, pd.DataFrame]:
    """The edited file's lists (:func:`read_eight_lists`), refused when a list cell holds a formula."""
    formulas = _formula_cells(xlsx)
    if formulas:
        msg = (
            f"{xlsx}: {len(formulas)} cell(s) hold formulas, e.g. {', '.join(formulas[:5])}. The lists "
            "take values, not formulas: "
            "replace them by their values (Copy, Paste Special ▸ Values) and import again; nothing was changed."
        )
        raise InputError(msg)
    return read_eight_lists(xlsx)


def check_revision(edited: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame], xlsx, workbook) -> None:
    """Refuse a file written from another revision of the lists than `current` (:class:`StaleImportError`)."""
    revision = edited["_revision"]["revision"].iloc[0] if "_revision" in edited else ""
    now = lists_revision(current)
    if revision == now:
        return
    what = (
        f"written from revision {revision}"
        if revision
        else f"written without the document property {REVISION_PROPERTY} that names its revision"
    )
    msg = (
        f"{xlsx} was {what}, but the workbook's lists are now at revision {now}: they changed after "
        "this file was written "
        "(edits in QGIS, another import or a re-run). Importing it would undo those changes, so "
        "nothing was changed. "
        f"Write a fresh file with `blockcheck export-lists {redact(workbook)}`, make your edits there and import that."
    )
    raise StaleImportError(msg)


@dataclass(frozen=True)
class ListChanges:
    """The rows of one list an import changes: its table as imported and the keys added, edited and deleted."""

    name: str
    rows: pd.DataFrame  # attributes as imported (rows kept though missing from the file included)
    old: pd.DataFrame  # attributes as the workbook holds them now
    added: list
    edited: list
    deleted: list


def plan_import(
    edited: dict[str, pd.DataFrame],
    current: dict[str, pd.DataFrame],
    xlsx,
    *,
    who: str,
    reason: str,
    delete_missing: bool,
) -> tuple[ImportPlan, dict[str, pd.DataFrame], list[dict], dict[str, ListChanges]]:
    """What importing `edited` into the workbook's lists `current` changes.

    Returns the plan, the lists as they are written (with geometry where the
    list has one), the project history entries and, per list, the rows added,
    edited and deleted. Raises :class:`InputError` as :func:`import_lists` does.
    """
    truncated = edited.get("_truncated")
    if truncated is not None and len(truncated) and delete_missing:
        _refuse_delete_missing(xlsx, truncated)
    plan, layers, history_changes, changes = ImportPlan(notes=list(edited["_notes"]["note"])), {}, [], {}
    if truncated is not None:
        plan.shown_only = {r.list: (int(r.rows), int(r.shown)) for r in truncated.itertuples()}
    problems: list[str] = []
    for name in EIGHT_LISTS:
        if name not in edited or name not in current:
            continue
        table = list_table(name)
        old = current[name] if "provenance" in current[name] else current[name].assign(provenance="generated")
        old_attrs = conform(old.drop(columns="geometry", errors="ignore"), table)
        new_attrs, cut_problems = _restore_cut_text(edited[name], old_attrs, table)
        problems += cut_problems
        is_new, differs = _changed_rows(new_attrs, old_attrs, table)
        changes_added = new_attrs.loc[is_new, table.key].tolist()
        changes_edited = new_attrs.loc[differs, table.key].tolist()
        if len(new_attrs) and "provenance" in table.columns:  # resource_list keeps its decisions in its status
            new_attrs.loc[is_new, "provenance"] = "added"
            new_attrs.loc[differs, "provenance"] = "edited"
        missing = old_attrs[~old_attrs[table.key].isin(new_attrs[table.key])]
        if len(missing) and not delete_missing:
            plan.kept_missing[name] = len(missing)
            new_attrs = pd.concat([new_attrs, missing], ignore_index=True)
        elif len(missing):
            plan.deleted[name] = len(missing)
        changes[name] = ListChanges(
            name=name,
            rows=new_attrs,
            old=old_attrs,
            added=changes_added,
            edited=changes_edited,
            deleted=missing[table.key].tolist() if delete_missing else [],
        )
        plan.added[name], plan.edited[name] = int(is_new.sum()), int(differs.sum())
        if isinstance(old, gpd.GeoDataFrame):
            geometry = old.set_index(table.key).geometry.reindex(new_attrs[table.key])
            unplaced = new_attrs.loc[is_new.reindex(new_attrs.index, fill_value=False).to_numpy(), table.key]
            if len(unplaced):
                plan.notes.append(
                    f"{sheet_title(name)}: {len(unplaced)} new row(s) have no site on the map "
                    f"({', '.join(map(str, unplaced[:5]))}); "
                    "draw them in QGIS (a changed id makes a new row)"
                )
            layers[name] = gpd.GeoDataFrame(new_attrs, geometry=list(geometry.to_numpy()), crs=old.crs)
        else:
            layers[name] = new_attrs
        if name == "project_list":
            history_changes += record_project_changes(new_attrs, old_attrs, who=who, reason=reason)
    if problems:
        msg = f"{xlsx}: " + "; ".join(problems) + ". Nothing was changed."
        raise InputError(msg)
    return plan, layers, history_changes, changes
