"""The analyst's decisions on an earlier resource list (图2), carried into a re-run.

A re-run lists the resources found again, all candidates. The status
(confirmed / rejected) and note an analyst gave a row of the earlier list
are copied onto the row with the same ``resource_id``; a confirmed row no
longer found is kept and says so. Only the rows that carry a decision
(:data:`DECIDED_ROWS`) are read from the earlier workbook.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.errors import BlockcheckWarning
from blockcheck.lists._resource_base import CATEGORIES, RESOURCE_LIST_LAYER
from blockcheck.lists.ids import aggregate_resource_id
from blockcheck.lists.resource_aggregate import AGGREGATED

__all__ = ["DECIDED_ROWS", "keep_decisions"]

_KEPT = ("status", "note")
_GONE = "本次运行未再检出，按已确认保留 / not detected in this run, kept as confirmed"


def _append_note(note: pd.Series, text: pd.Series) -> pd.Series:
    """`text` added to `note` (after ``；``) where it is not there yet; notes without a text stay as they are."""
    has = text.notna() & (text.astype(object).fillna("").astype(str) != "")
    if not has.any():
        return note
    old = note[has].astype(object).where(note[has].notna(), "").astype(str)
    new = text[has].astype(str)
    present = np.array([t in o for o, t in zip(old, new, strict=True)], dtype=bool)  # the few rows with a text
    joined = pd.Series(np.where(old != "", old + "；" + new, new), index=old.index, dtype=object)
    out = note.astype(object).copy()
    out.loc[old.index[~present]] = joined[~present]
    return out


def _folded(prev: pd.DataFrame, found: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """Rows of `prev` listing one retained feature that `found` lists in its block's row, and those rows' notes.

    An earlier resource list (before retained land and buildings were listed
    per block) has one row per feature; such a row is not "gone" when its
    block's row exists now. Its analyst's decision is summed up in a note of
    the block's row (by ``resource_id`` of that row).
    """
    if not {"category", "block_id"} <= set(prev.columns):
        return np.zeros(len(prev), dtype=bool), pd.Series(dtype=object)
    block_row = aggregate_resource_id(prev["category"].astype(object), prev["block_id"].astype(object))
    folded = (
        prev["category"].isin(AGGREGATED) & (block_row != prev["resource_id"]) & block_row.isin(found["resource_id"])
    ).to_numpy()
    decided = pd.DataFrame({"row": block_row[folded], "status": prev["status"][folded]})
    counts = decided[decided["status"] != "candidate"].groupby(["row", "status"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=["confirmed", "rejected"], fill_value=0)
    confirmed, rejected = counts["confirmed"].astype(str), counts["rejected"].astype(str)
    notes = (
        "上次运行逐项核实：已确认"
        + confirmed
        + "处、已否决"
        + rejected
        + "处 / earlier per-feature decisions: "
        + confirmed
        + " confirmed, "
        + rejected
        + " rejected"
    )
    return folded, notes


#: The rows of a resource list that carry an analyst's decision (SQL): all :func:`keep_decisions` reads of
#: an earlier list (other rows are candidates without a note, the default of every row found).
DECIDED_ROWS = "(status IS NOT NULL AND status <> 'candidate') OR (note IS NOT NULL AND note <> '')"


def keep_decisions(found: gpd.GeoDataFrame, previous: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Copy status and note of `previous` rows onto `found` by resource_id; keep confirmed rows no longer found.

    A block's row of retained land or buildings (:data:`AGGREGATED`) keeps its
    own decision like any row. Rows of an earlier list that named one retained
    feature each are not carried over when their block's row exists: their
    decisions are counted in that row's note.
    """
    found = found.assign(status="candidate", note=None)
    if previous is None or len(previous) == 0 or "resource_id" not in previous.columns:
        return found
    prev = previous[previous["resource_id"].notna()].copy()
    prev["resource_id"] = prev["resource_id"].astype(str)
    prev = prev.drop_duplicates("resource_id", keep="last")
    status = prev["status"].astype(object) if "status" in prev else pd.Series(None, index=prev.index, dtype=object)
    statuses = vocabulary.codes("resource_status")
    bad = status.notna() & ~status.isin(statuses)
    if bad.any():
        warnings.warn(
            f"resource_list of the earlier run: {int(bad.sum())} status value(s) not one of {', '.join(statuses)} "
            f"({', '.join(map(str, status[bad].unique()[:5]))}) were ignored; those resources are candidates again.",
            BlockcheckWarning,
            stacklevel=3,
        )
    prev["status"] = status.where(~bad & status.notna(), "candidate")
    if "note" not in prev:
        prev["note"] = None
    decisions = prev.set_index("resource_id")[list(_KEPT)]
    match = found["resource_id"].isin(decisions.index)
    for column in _KEPT:
        found.loc[match, column] = found.loc[match, "resource_id"].map(decisions[column]).to_numpy()
    folded, folded_notes = _folded(prev, found)
    if len(folded_notes):
        found["note"] = _append_note(found["note"], found["resource_id"].map(folded_notes))
    gone = prev[(prev["status"] == "confirmed") & ~prev["resource_id"].isin(found["resource_id"]) & ~folded]
    if "category" in gone:
        gone = gone[gone["category"].isin(list(CATEGORIES))]
    if len(gone) and isinstance(gone, gpd.GeoDataFrame):
        gone = (
            gone.to_crs(found.crs) if gone.crs is not None and found.crs is not None and gone.crs != found.crs else gone
        )
        note = gone["note"].astype(object).where(gone["note"].notna(), "").astype(str)
        flagged = note.str.contains(_GONE, regex=False)
        gone = gone.assign(note=np.where(flagged, note, np.where(note != "", note + "；" + _GONE, _GONE)))
        # rows an analyst drew by hand may lack the fields the rules fill
        fills = {
            "family": gone["category"].map(lambda c: CATEGORIES[c][0]),
            "source_layer": RESOURCE_LIST_LAYER,
            "source_id": gone["resource_id"],
            "reason": "分析人员确认的资源 / confirmed by an analyst",
            "member_count": 1,
        }
        for column, value in fills.items():
            current = gone[column] if column in gone else pd.Series(None, index=gone.index, dtype=object)
            gone[column] = current.where(current.notna() & (current.astype(str) != ""), value)
        gone = gpd.GeoDataFrame(
            gone.reindex(columns=[*found.columns.drop("geometry"), "geometry"]), geometry="geometry", crs=found.crs
        )
        found = gpd.GeoDataFrame(pd.concat([found, gone], ignore_index=True), geometry="geometry", crs=found.crs)
    return found
