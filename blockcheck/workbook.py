"""The workbook: the eight lists and their link tables in one GeoPackage, written atomically.

Every list has a stable key, so a re-run can keep what analysts did: rows whose
``provenance`` is ``edited`` or ``added`` survive and replace the regenerated
row with the same key; resource statuses are kept by the resource builder; the
``project_history`` table only ever grows.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import InputError
from .lists.schema import conform, list_table, list_tables

__all__ = [
    "EIGHT_LISTS",
    "HISTORY_LAYER",
    "read_other_layers",
    "history_rows",
    "keep_analyst_rows",
    "lists_revision",
    "read_workbook",
    "record_project_changes",
]

#: The eight lists in the order of the method (图1–图8).
EIGHT_LISTS = ("problem_list", "resource_list", "demand_list", "vision_list", "strategy_list", "policy_list", "task_list", "project_list")
HISTORY_LAYER = "project_history"
_ANALYST = ("edited", "added")


def read_workbook(path: str | os.PathLike, layers: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Read the list tables of a workbook (missing file or layers → left out).

    Raises
    ------
    InputError
        When the file exists but is not a readable GeoPackage.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        present = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception as err:  # noqa: BLE001
        msg = f"{path}: not a readable workbook GeoPackage ({err}). Restore it or choose another --out folder."
        raise InputError(msg) from None
    wanted = layers or tuple(list_tables())
    out = {}
    for name in wanted:
        if name in present:
            frame = pyogrio.read_dataframe(path, layer=name)
            out[name] = frame
    return out


def read_other_layers(path: str | os.PathLike, *, exclude: set[str]) -> dict[str, pd.DataFrame]:
    """Every layer and table of `path` not named in `exclude` (an analyst's own layers, QGIS's ``layer_styles``).

    A writer that replaces the file carries these over unchanged, so nothing
    it did not make is lost. Missing file → ``{}``.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    out = {}
    for name, _ in pyogrio.list_layers(path):
        if str(name) not in exclude:
            out[str(name)] = pyogrio.read_dataframe(path, layer=str(name))
    return out


def keep_analyst_rows(name: str, generated: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Merge a regenerated list with the previous one: analysts' rows win.

    Rows of `previous` with provenance ``edited`` or ``added`` replace the
    generated row with the same key (or are appended); other previous rows
    are dropped, because the new run regenerates them.
    """
    if previous is None or previous.empty or "provenance" not in previous:
        return generated
    table = list_table(name)
    kept = previous[previous["provenance"].isin(_ANALYST)]
    if kept.empty:
        return generated
    kept_keys = set(kept[table.key].astype(str))
    fresh = generated[~generated[table.key].astype(str).isin(kept_keys)]
    is_geo = isinstance(generated, gpd.GeoDataFrame)
    kept_attrs = conform(kept.drop(columns="geometry", errors="ignore"), table)
    if is_geo:
        geometry = kept.geometry.to_numpy() if isinstance(kept, gpd.GeoDataFrame) else [None] * len(kept)
        kept_frame = gpd.GeoDataFrame(kept_attrs, geometry=list(geometry), crs=generated.crs)
        merged = pd.concat([fresh, kept_frame], ignore_index=True)
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=generated.crs)
    return pd.concat([fresh, kept_attrs], ignore_index=True)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def history_rows(changes: list[dict], previous: pd.DataFrame | None) -> pd.DataFrame:
    """Append `changes` (project_id, field, from_value, to_value, changed_by, reason) to the history.

    The previous history is kept as it is; new entries get the next ids.
    """
    table = list_table(HISTORY_LAYER)
    base = conform(previous, table) if previous is not None and not previous.empty else conform(pd.DataFrame(columns=table.columns), table)
    if not changes:
        return base
    start = len(base) + 1
    when = _now()
    new = pd.DataFrame(changes)
    new["history_id"] = [f"H{start + i:06d}" for i in range(len(new))]
    new["changed_at"] = new.get("changed_at", pd.Series(when, index=new.index)).fillna(when)
    return pd.concat([base, conform(new, table)], ignore_index=True)


def record_project_changes(
    new: pd.DataFrame,
    old: pd.DataFrame | None,
    *,
    who: str,
    reason: str,
    fields: tuple[str, ...] | None = None,
) -> list[dict]:
    """History entries for projects created, removed or changed between `old` and `new`."""
    key = "project_id"
    fields = fields or tuple(c for c in list_table("project_list").columns if c not in (key, "number", "provenance"))
    new_i = new.set_index(key)
    if old is None or old.empty:
        return [{"project_id": pid, "field": "status", "from_value": "", "to_value": str(new_i.at[pid, "status"]),
                 "changed_by": who, "reason": reason or "registered (入库)"} for pid in new_i.index]
    old_i = old.set_index(key)
    changes = []
    for pid in new_i.index.difference(old_i.index):
        changes.append({"project_id": pid, "field": "status", "from_value": "", "to_value": str(new_i.at[pid, "status"]), "changed_by": who, "reason": reason or "registered (入库)"})
    for pid in old_i.index.difference(new_i.index):
        changes.append({"project_id": pid, "field": "status", "from_value": str(old_i.at[pid, "status"]), "to_value": "removed", "changed_by": who, "reason": reason or "no longer generated"})
    common = new_i.index.intersection(old_i.index)
    for column in fields:
        if column not in new_i or column not in old_i:
            continue
        a = old_i.loc[common, column].astype(object).where(old_i.loc[common, column].notna(), None).map(_text)
        b = new_i.loc[common, column].astype(object).where(new_i.loc[common, column].notna(), None).map(_text)
        for pid in common[(a != b).to_numpy()]:
            changes.append({"project_id": pid, "field": column, "from_value": a[pid], "to_value": b[pid], "changed_by": who, "reason": reason})
    return changes


def lists_revision(tables: dict[str, pd.DataFrame]) -> str:
    """A digest of the eight lists' contents (attributes, rows in key order): what an Excel export was made from.

    ``eight_lists.xlsx`` carries the revision of the lists it shows; an import
    compares it with the workbook's lists now, so a stale file never undoes
    newer edits (from QGIS or another import).
    """
    digest = hashlib.sha256()
    for name in EIGHT_LISTS:
        frame = tables.get(name)
        if frame is None:
            continue
        table = list_table(name)
        rows = conform(pd.DataFrame(frame).drop(columns="geometry", errors="ignore"), table)
        rows = rows.sort_values(table.key, kind="stable").astype(object).where(rows.notna(), None).map(_text)
        digest.update(name.encode("utf-8"))
        digest.update(rows.to_csv(index=False, header=True, lineterminator="\n").encode("utf-8"))
    return digest.hexdigest()[:16]


def _text(value: object) -> str:
    """A value as compared between versions (numbers to 6 significant digits)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return f"{float(value):.6g}"
    return str(value)
