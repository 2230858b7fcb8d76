"""Keeping analysts' work when a run regenerates the lists.

Every list has a stable key (:mod:`blockcheck.lists.ids`), so a re-run keeps
what analysts did: rows whose ``provenance`` is ``edited`` or ``added`` survive
and replace the regenerated row with the same key; resource statuses are kept
(:func:`blockcheck.lists.resource_decisions.keep_decisions`); the project history grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from blockcheck.errors import SchemaError
from blockcheck.lists.resource_decisions import keep_decisions
from blockcheck.lists.resources import RESOURCE_LIST_LAYER, resource_summary
from blockcheck.lists.schema import EIGHT_LISTS, conform, list_table
from blockcheck.workbook.history import HISTORY_LAYER, history_rows, record_project_changes

__all__ = ["ANALYST_PROVENANCE", "MergedLists", "keep_analyst_rows", "merge_run"]

#: Provenance of rows an analyst made or changed: a re-run keeps them.
ANALYST_PROVENANCE = ("edited", "added")


def keep_analyst_rows(name: str, generated: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Merge a regenerated list with the previous one: analysts' rows win.

    Rows of `previous` with provenance ``edited`` or ``added`` replace the
    generated row with the same key (or are appended); other previous rows
    are dropped, because the new run regenerates them.
    """
    if previous is None or previous.empty or "provenance" not in previous:
        return generated
    table = list_table(name)
    kept = previous[previous["provenance"].isin(ANALYST_PROVENANCE)]
    if kept.empty:
        return generated
    kept_keys = set(kept[table.key].astype(str))
    fresh = generated[~generated[table.key].astype(str).isin(kept_keys)]
    is_geo = isinstance(generated, gpd.GeoDataFrame)
    try:
        kept_attrs = conform(kept.drop(columns="geometry", errors="ignore"), table)
    except SchemaError as err:
        keys = ", ".join(kept[table.key].astype(str).head(10))
        msg = (
            f"{err} — in the analysts' rows (provenance edited or added: {keys}) the workbook holds. The run keeps "
            "them, so they must be complete: fill in the fields named (or delete the rows) in QGIS, then run again."
        )
        raise SchemaError(msg) from None
    if is_geo:
        geometry = kept.geometry.to_numpy() if isinstance(kept, gpd.GeoDataFrame) else [None] * len(kept)
        kept_frame = gpd.GeoDataFrame(kept_attrs, geometry=list(geometry), crs=generated.crs)
        merged = pd.concat([fresh, kept_frame], ignore_index=True)
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=generated.crs)
    return pd.concat([fresh, kept_attrs], ignore_index=True)


@dataclass(frozen=True)
class MergedLists:
    """A run's lists merged with the workbook's analysts' work."""

    lists: dict[str, pd.DataFrame]  # the lists as they are written, in the method's order
    resource_summary: pd.DataFrame | None
    history: pd.DataFrame | None

    def joined(self, other: MergedLists) -> MergedLists:
        """These lists and `other`'s (other lists, merged with the same workbook): as one :func:`merge_run` of all.

        Each list is merged on its own, so merging the lists in two parts gives what one call gives.
        """
        both = {**self.lists, **other.lists}
        return MergedLists(
            lists=_in_method_order(both),
            resource_summary=self.resource_summary if self.resource_summary is not None else other.resource_summary,
            history=self.history if self.history is not None else other.history,
        )


def _in_method_order(lists: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`lists` in the method's order (the eight lists first), other tables after them as they came."""
    return {name: lists[name] for name in (*EIGHT_LISTS, *lists) if name in lists}


def merge_run(
    generated: dict[str, pd.DataFrame], latest: dict[str, pd.DataFrame], *, block_ids: list[str]
) -> MergedLists:
    """The generated lists merged with analysts' work as the workbook (`latest`) holds it now.

    Parameters
    ----------
    generated
        The lists a run made, by layer name.
    latest
        The workbook's list tables as read just before writing (empty for a first run).
    block_ids
        All blocks, for the per-block resource summary.
    """
    lists = {
        name: keep_analyst_rows(name, frame, latest.get(name))
        for name, frame in generated.items()
        if name != RESOURCE_LIST_LAYER
    }
    summary = history = None
    if RESOURCE_LIST_LAYER in generated:
        resources = keep_decisions(generated[RESOURCE_LIST_LAYER], latest.get(RESOURCE_LIST_LAYER))
        lists[RESOURCE_LIST_LAYER] = resources
        summary = resource_summary(resources, block_ids=block_ids)
    lists = _in_method_order(lists)
    if "project_list" in lists:
        changes = record_project_changes(
            lists["project_list"].drop(columns="geometry"), latest.get("project_list"), who="blockcheck run", reason=""
        )
        history = history_rows(changes, latest.get(HISTORY_LAYER))
    return MergedLists(lists=lists, resource_summary=summary, history=history)
