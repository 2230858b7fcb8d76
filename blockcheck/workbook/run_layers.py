"""What ``blockcheck run`` writes: the workbook's layers and the Excel file's tables, in their order."""

from __future__ import annotations

import pandas as pd

from blockcheck.lists.data_gaps import DATA_GAPS_LAYER
from blockcheck.lists.resources import RESOURCE_SUMMARY_LAYER
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.merge import MergedLists
from blockcheck.workbook.read import META_LAYER

__all__ = ["ALLOCATION_LAYERS", "AREA_METRICS_LAYER", "BLOCK_METRICS_LAYER", "excel_tables", "workbook_layers"]

#: Layers of the workbook written by ``blockcheck run`` besides the lists.
BLOCK_METRICS_LAYER = "block_metrics"
AREA_METRICS_LAYER = "area_metrics"
#: The allocation's tables (step 3), placed after the lists and the resource summary.
ALLOCATION_LAYERS = ("allocation", "allocation_remaining")


def workbook_layers(health, merged: MergedLists, run_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every layer ``run`` writes into the workbook, in order.

    The blocks' and the area's metrics of `health`, the merged lists, the resource summary, the
    allocation, the project history, then the run's own tables (`run_tables`, in their order).
    """
    layers = {
        BLOCK_METRICS_LAYER: health.block_metrics.reset_index(drop=True),
        AREA_METRICS_LAYER: health.area_metrics.reset_index(),
        **merged.lists,
    }
    if merged.resource_summary is not None:
        layers[RESOURCE_SUMMARY_LAYER] = merged.resource_summary
    layers.update({k: v for k, v in run_tables.items() if k in ALLOCATION_LAYERS})
    if merged.history is not None:
        layers[HISTORY_LAYER] = merged.history
    layers.update({k: v for k, v in run_tables.items() if k not in ALLOCATION_LAYERS})
    return layers


def excel_tables(merged: MergedLists, run_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables of ``eight_lists.xlsx``: the lists as written, the history, the data gaps and the metadata."""
    history = {HISTORY_LAYER: merged.history} if merged.history is not None else {}
    keep = (DATA_GAPS_LAYER, META_LAYER)
    return {**merged.lists, **history, **{k: run_tables[k] for k in keep}}
