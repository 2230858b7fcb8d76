"""Importing an edited eight_lists.xlsx into its workbook: explicit, checked, never undoing newer edits.

:func:`import_lists` takes the workbook's write lock, reads the edited file
(:func:`blockcheck.workbook.excel.read_eight_lists`: every bad cell named), and
compares the revision of the lists the file was written from with the
workbook's lists now — a file older than the workbook's last change (an edit
in QGIS, another import, a re-run) is refused, so it cannot put confirmed
resources back to candidate. Rows missing from a sheet are deletions only with
``delete_missing``; formulas, ids changed into new rows and cells cut at
Excel's 32,767-character limit are reported, not taken as edits. The plan of
changes is returned (and printed by the CLI) before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from blockcheck.errors import InputError, StaleImportError
from blockcheck.io import check_unpacked_size, write_gpkg
from blockcheck.lists.schema import EIGHT_LISTS, ListTable, conform, list_table
from blockcheck.workbook.excel import REVISION_PROPERTY, read_eight_lists, sheet_title
from blockcheck.workbook.excel_layout import split_ids
from blockcheck.workbook.history import HISTORY_LAYER, history_rows, lists_revision, record_project_changes, value_text
from blockcheck.workbook.lock import workbook_lock
from blockcheck.workbook.read import read_meta, read_other_layers, read_workbook, require_workbook

__all__ = ["EXCEL_CELL_LIMIT", "ImportPlan", "import_lists"]

#: Excel keeps at most this many characters in a cell; a longer text comes back cut.
EXCEL_CELL_LIMIT = 32_767


@dataclass
class ImportPlan:
    """What an import changes, per list: rows added, edited, deleted, and rows missing from the file but kept."""

    added: dict[str, int] = field(default_factory=dict)
    edited: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    kept_missing: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

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
            if self.kept_missing.get(name):
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
    return frame.map(value_text)


def _restore_cut_text(new: pd.DataFrame, old: pd.DataFrame, table: ListTable) -> pd.DataFrame:
    """Cells Excel cut at its limit take the workbook's full text back (a cut is no edit)."""
    old_i = old.set_index(table.key)
    new = new.copy()
    for f in table.fields:
        if f.type != "str" or f.name not in new or f.name not in old_i:
            continue
        cut = new[f.name].astype("string").str.len().fillna(0).ge(EXCEL_CELL_LIMIT) & new[table.key].isin(old_i.index)
        for i in new.index[cut.to_numpy()]:
            full = old_i.at[new.at[i, table.key], f.name]
            if isinstance(full, str) and full.startswith(str(new.at[i, f.name])):
                new.at[i, f.name] = full
    return new


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


def _formula_cells(xlsx: Path) -> list[str]:
    """Cells of the list sheets that hold a formula (a formula is not data; its cached value may be absent)."""
    import openpyxl

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
        Not a workbook of a run; the file unreadable, too large unpacked, with formulas, or not
        matching the schemas (every cell named); nothing is written.
    """
    workbook, xlsx = Path(workbook), Path(xlsx)
    _check_workbook(workbook)
    check_unpacked_size(xlsx)
    with workbook_lock(workbook, command="blockcheck import-lists"):
        formulas = _formula_cells(xlsx)
        if formulas:
            msg = (
                f"{xlsx}: {len(formulas)} cell(s) hold formulas, e.g. {', '.join(formulas[:5])}. The lists "
                "take values, not formulas: "
                "replace them by their values (Copy, Paste Special ▸ Values) and import again; nothing was changed."
            )
            raise InputError(msg)
        edited = read_eight_lists(xlsx)
        current = read_workbook(workbook)
        revision = edited["_revision"]["revision"].iloc[0] if "_revision" in edited else ""
        now = lists_revision(current)
        if revision != now:
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
                f"Write a fresh file with `blockcheck export-lists {workbook}`, make your edits there and import that."
            )
            raise StaleImportError(msg)
        plan, layers, history_changes = ImportPlan(notes=list(edited["_notes"]["note"])), {}, []
        for name in EIGHT_LISTS:
            if name not in edited or name not in current:
                continue
            table = list_table(name)
            old = current[name] if "provenance" in current[name] else current[name].assign(provenance="generated")
            old_attrs = conform(old.drop(columns="geometry", errors="ignore"), table)
            new_attrs = _restore_cut_text(edited[name], old_attrs, table)
            is_new, differs = _changed_rows(new_attrs, old_attrs, table)
            if len(new_attrs):
                new_attrs.loc[is_new, "provenance"] = "added"
                new_attrs.loc[differs, "provenance"] = "edited"
            missing = old_attrs[~old_attrs[table.key].isin(new_attrs[table.key])]
            if len(missing) and not delete_missing:
                plan.kept_missing[name] = len(missing)
                new_attrs = pd.concat([new_attrs, missing], ignore_index=True)
            elif len(missing):
                plan.deleted[name] = len(missing)
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
        if announce is not None:
            announce(plan)
        if dry_run or not any(plan.changed.values()):
            return plan.changed
        others = read_other_layers(workbook, exclude=set(layers))
        others[HISTORY_LAYER] = history_rows(history_changes, others.get(HISTORY_LAYER))
        write_gpkg(workbook, {**others, **layers})
    return plan.changed
