"""Checking the inputs of :func:`~blockcheck.allocation.allocate`, and the resources' points and pool areas."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.allocation.rules import RESOURCE_STATUSES, AllocationRules, ResourcePool
from blockcheck.crs import require_same_metric_crs
from blockcheck.errors import InputError
from blockcheck.metrics.assign import representative_points as points_inside
from blockcheck.network import WalkNetwork

__all__ = ["check_allocation_inputs", "column_or_none", "pool_area_m2", "representative_points", "unused_pool_m2"]


def column_or_none(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column `name` of `frame`, or an all-None object column where `frame` has none."""
    return frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype=object)


def check_allocation_inputs(
    gaps: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    rules: AllocationRules,
    block_points: gpd.GeoSeries | None,
) -> None:
    """Raise InputError / CRSError for the first problem of :func:`~blockcheck.allocation.allocate`'s inputs.

    Parameters
    ----------
    gaps, resources, blocks, network, rules, block_points
        As :func:`~blockcheck.allocation.allocate` takes them.

    Raises
    ------
    blockcheck.errors.InputError
        Layers that are not GeoDataFrames, duplicate block or resource ids,
        gaps of blocks not in `blocks`, missing resource columns, categories
        not in the catalogue, unknown statuses.
    blockcheck.errors.CRSError
        Layers (and network) not in one projected metric CRS.
    """
    if not isinstance(resources, gpd.GeoDataFrame) or not isinstance(blocks, gpd.GeoDataFrame):
        raise InputError("allocate() needs the resources and blocks as GeoDataFrames.")
    require_same_metric_crs(
        **{"walking network": network},
        resources=resources,
        blocks=blocks,
        **({"block points": block_points} if block_points is not None else {}),
    )
    if not blocks.index.is_unique or not gaps.index.is_unique:
        raise InputError("The blocks' or the gaps' index (block_id) has duplicates. Give each block a unique block_id.")
    missing_blocks = gaps.index.difference(blocks.index)
    if len(missing_blocks):
        raise InputError(
            f"The gaps name {len(missing_blocks)} block(s) not in the blocks layer (e.g. {list(missing_blocks[:3])}). "
            "Compute gaps and allocate on the same blocks."
        )
    missing = [c for c in ("resource_id", "category", "status") if c not in resources.columns]
    if missing:
        raise InputError(f"The resources lack the column(s) {', '.join(missing)} (see the resource list schema).")
    if resources["resource_id"].duplicated().any():
        dup = resources.loc[resources["resource_id"].duplicated(), "resource_id"].unique()[:3].tolist()
        raise InputError(f"The resource list repeats resource_id values (e.g. {dup}). Give each resource a unique id.")
    known = set(rules.pools) | set(rules.not_allocated)
    unknown = sorted(set(resources["category"].dropna().astype(str)) - known)
    if unknown or resources["category"].isna().any():
        raise InputError(
            f"Resource categories {unknown or '[missing]'} are not in the allocation catalogue "
            f"({rules.source}; known: {sorted(known)}). Fix the resource list or add a [pools.<category>] entry."
        )
    bad_status = sorted(set(resources["status"].astype(str)) - set(RESOURCE_STATUSES))
    if bad_status:
        raise InputError(f"Resource statuses {bad_status} are not one of {list(RESOURCE_STATUSES)}.")


def representative_points(geoms: np.ndarray, what: str) -> np.ndarray:
    """:func:`blockcheck.metrics.assign.representative_points` of `geoms`, once none is missing or empty.

    Raises
    ------
    blockcheck.errors.InputError
        Naming `what` (``"blocks"``, ``"resources"``) when a geometry is missing or empty.
    """
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        raise InputError(f"{int(bad.sum())} {what} have no geometry. Give every feature a geometry, or drop it.")
    return points_inside(geoms)


def pool_area_m2(frame: gpd.GeoDataFrame, pools: Mapping[str, ResourcePool]) -> np.ndarray:
    """Pool area (m²) of each resource: its category's field, else its polygon area where allowed."""
    out = np.zeros(len(frame))
    category = frame["category"].to_numpy()
    geoms = frame.geometry.values
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    subtype = column_or_none(frame, "subtype")
    for cat, pool in pools.items():
        sel = category == cat
        if not sel.any():
            continue
        values = (
            pd.to_numeric(frame[pool.field], errors="coerce").to_numpy("float64")[sel]
            if pool.field in frame.columns
            else np.full(int(sel.sum()), np.nan)
        )
        if pool.geometry_fallback:
            values = np.where(np.isnan(values) & polygonal[sel], shapely.area(geoms[sel]), values)
        if pool.exclude_subtypes:
            values = np.where(subtype[sel].isin(pool.exclude_subtypes).to_numpy(), 0.0, values)
        out[sel] = np.nan_to_num(np.clip(values, 0.0, None))
    return out


def unused_pool_m2(resources: gpd.GeoDataFrame, allocation: pd.DataFrame, rules: AllocationRules) -> pd.Series:
    """Pool area (m²) of each resource that an allocation left unused.

    Parameters
    ----------
    resources
        The resource list given to :func:`~blockcheck.allocation.allocate`.
    allocation
        Its allocation table (``resource_id``, ``resource_share``).
    rules
        The catalogue the allocation used (its pools measure the resources).

    Returns
    -------
    pandas.Series
        Indexed by ``resource_id``: pool area × (1 − Σ resource_share), ≥ 0;
        0 for categories without a pool (retained land and buildings) and for
        rejected resources.
    """
    known = resources["category"].isin(list(rules.pools)).to_numpy()
    pool = np.zeros(len(resources))
    if known.any():
        pool[known] = pool_area_m2(resources[known], rules.pools)
    used = allocation.groupby("resource_id")["resource_share"].sum() if len(allocation) else pd.Series(dtype="float64")
    share = resources["resource_id"].map(used).fillna(0.0).to_numpy("float64")
    left = np.where(
        resources["status"].astype(str).to_numpy() == "rejected", 0.0, pool * np.clip(1.0 - share, 0.0, 1.0)
    )
    return pd.Series(left, index=resources["resource_id"].to_numpy(), name="pool_left_m2")
