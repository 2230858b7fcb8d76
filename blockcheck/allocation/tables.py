"""The allocation's output tables: columns, the remaining gaps, and :func:`allocation_summary`."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "ALLOCATION_COLUMNS",
    "REMAINING_COLUMNS",
    "SUMMARY_COLUMNS",
    "allocation_summary",
    "empty_allocation",
    "remaining_table",
]

#: Columns of the allocation table, in order.
ALLOCATION_COLUMNS = (
    "allocation_id",
    "resource_id",
    "block_id",
    "provision_key",
    "amount",
    "unit",
    "resource_share",
    "area_used_m2",
    "walk_distance_m",
    "category",
)
#: Columns of the remaining-gap table, in order.
REMAINING_COLUMNS = ("block_id", "provision_key", "unit", "gap", "allocated", "remaining_gap")
#: Columns of :func:`allocation_summary`, in order.
SUMMARY_COLUMNS = (
    "block_id",
    "provision_key",
    "unit",
    "gap",
    "allocated",
    "remaining_gap",
    "closed_ratio",
    "resource_count",
    "mean_walk_distance_m",
    "max_walk_distance_m",
)
#: Remaining gaps below this fraction of the gap (or of 1 unit) are solver noise and set to 0.
_REST_NOISE = 1e-7


def empty_allocation() -> pd.DataFrame:
    """An allocation table without rows: the columns of :data:`ALLOCATION_COLUMNS`, numbers as float64."""
    types = {"amount": "float64", "resource_share": "float64", "area_used_m2": "float64", "walk_distance_m": "float64"}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, object)) for c in ALLOCATION_COLUMNS})


def remaining_table(
    keys: list[str],
    gap: dict[str, np.ndarray],
    allocated: dict[str, np.ndarray],
    block_ids: np.ndarray,
    units: dict[str, str],
) -> pd.DataFrame:
    """One row per (block, key) whose gap is > 0: gap, allocated (capped at the gap) and what remains."""
    rows = []
    for k in keys:
        has = gap[k] > 0
        alloc = np.minimum(allocated[k][has], gap[k][has])
        rest = gap[k][has] - alloc
        rest[rest <= _REST_NOISE * np.maximum(gap[k][has], 1.0)] = 0.0
        rows.append(
            pd.DataFrame(
                {
                    "block_id": block_ids[has],
                    "provision_key": k,
                    "unit": units.get(k, ""),
                    "gap": gap[k][has],
                    "allocated": alloc,
                    "remaining_gap": rest,
                    "_b": np.flatnonzero(has),
                }
            )
        )
    remaining = (
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({c: [] for c in (*REMAINING_COLUMNS, "_b")})
    )
    remaining = (
        remaining.sort_values("_b", kind="stable").drop(columns="_b").reset_index(drop=True)[list(REMAINING_COLUMNS)]
    )
    for c in ("gap", "allocated", "remaining_gap"):
        remaining[c] = remaining[c].astype("float64")
    return remaining


def allocation_summary(allocation: pd.DataFrame, remaining: pd.DataFrame) -> pd.DataFrame:
    """Per block and provision key: gap, allocated, remaining, and how far the resources are.

    Parameters
    ----------
    allocation, remaining
        The two tables returned by :func:`allocate`.

    Returns
    -------
    pandas.DataFrame
        One row per row of `remaining`: ``block_id``, ``provision_key``,
        ``unit``, ``gap``, ``allocated``, ``remaining_gap``, ``closed_ratio =
        allocated / gap`` (in [0, 1]), ``resource_count`` (distinct resources
        used), ``mean_walk_distance_m = Σ amount·d / Σ amount`` and
        ``max_walk_distance_m`` (NaN where nothing was allocated).
    """
    out = remaining[["block_id", "provision_key", "unit", "gap", "allocated", "remaining_gap"]].copy()
    out["closed_ratio"] = np.where(out["gap"] > 0, out["allocated"] / out["gap"].where(out["gap"] > 0, 1.0), np.nan)
    if allocation.empty:
        stats = pd.DataFrame(
            columns=["block_id", "provision_key", "resource_count", "mean_walk_distance_m", "max_walk_distance_m"]
        )
    else:
        a = allocation.assign(_ad=allocation["amount"] * allocation["walk_distance_m"])
        grouped = a.groupby(["block_id", "provision_key"], sort=False)
        stats = pd.DataFrame(
            {
                "resource_count": grouped["resource_id"].nunique(),
                "mean_walk_distance_m": grouped["_ad"].sum() / grouped["amount"].sum(),
                "max_walk_distance_m": grouped["walk_distance_m"].max(),
            }
        ).reset_index()
    out = out.merge(stats, on=["block_id", "provision_key"], how="left")
    out["resource_count"] = out["resource_count"].fillna(0).astype("int64")
    for c in ("mean_walk_distance_m", "max_walk_distance_m"):
        out[c] = out[c].astype("float64")
    return out[list(SUMMARY_COLUMNS)]
