"""Step 1's problem list built tile by tile on Dask workers (``blockcheck run --tiles``, issue 18.2).

A problem rule judges one block's metric row at a time
(:func:`blockcheck.lists.problems.build_problem_list`), so each tile's worker
builds the rows of its own blocks from their metrics and the metric status of
those blocks; the driver builds the whole-area rows and joins the tiles' rows
after them in block-id order, as the whole run orders them (area rows first,
then blocks by id, within a block as the rules). The ids
(:func:`blockcheck.lists.ids.problem_id`: block and rule) are the whole run's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blockcheck.lists.problems import build_problem_list
from blockcheck.standards import Standards

__all__ = ["merge_problems", "problem_payloads", "tile_problems"]


def problem_payloads(
    block_metrics: pd.DataFrame, standards: Standards, tile: np.ndarray, metric_status: pd.DataFrame | None
):
    """Yield each tile's blocks' metric rows (and their metric status) as its worker receives them."""
    n = int(np.max(tile)) + 1 if len(tile) else 0
    scope = metric_status["scope"].astype(str) if metric_status is not None and len(metric_status) else None
    for t in range(n):
        own = block_metrics[tile == t]
        status = metric_status[scope.isin(own.index.astype(str)).to_numpy()] if scope is not None else metric_status
        yield {"tile": t, "metrics": own, "status": status, "standards": standards}


def tile_problems(payload: dict) -> pd.DataFrame:
    """On a worker: the problem rows of the tile's blocks (no whole-area rows)."""
    metrics = payload["metrics"]
    return build_problem_list(metrics, pd.DataFrame(), payload["standards"], metric_status=payload["status"])


def merge_problems(area: pd.DataFrame, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The whole-area rows, then the tiles' rows by block id (stable: within a block as the rules)."""
    blocks = [p for p in parts if len(p)]
    if not blocks:
        return area
    rows = pd.concat(blocks, ignore_index=True)
    rows = rows.iloc[np.argsort(rows["scope"].astype(str).to_numpy(), kind="stable")]
    return pd.concat([area, rows], ignore_index=True) if len(area) else rows.reset_index(drop=True)
