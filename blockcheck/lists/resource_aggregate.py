"""Retained land and buildings (其他现状保留用地/建筑) as one resource row per block and category, as 图2 gives them.

:func:`aggregate_retained` turns the per-feature rows of the :data:`AGGREGATED` categories into one row per
(category, block) — count, land and floor area, the years in use, a MultiPolygon of the features — with the
features themselves in the ``resource_members`` table (issue 15.4: a city's 648,504 retained buildings were
listed one by one). Used by :func:`blockcheck.lists.resources.find_resources`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.lists._resource_base import _fmt
from blockcheck.lists.ids import aggregate_resource_id
from blockcheck.lists.schema import conform, list_table

__all__ = ["AGGREGATED", "RESOURCE_MEMBERS_LAYER", "aggregate_retained"]

#: The features behind the rows of :data:`AGGREGATED` categories (schema ``resource_members``).
RESOURCE_MEMBERS_LAYER = "resource_members"
#: Categories listed as one row per block (图2 gives them as one figure), with their features in
#: :data:`RESOURCE_MEMBERS_LAYER`: retained land (其他现状保留用地/空间) and buildings (其他现状保留建筑).
AGGREGATED = ("retained_land", "retained_building")


def _empty_members() -> pd.DataFrame:
    table = list_table(RESOURCE_MEMBERS_LAYER)
    return conform(pd.DataFrame(columns=table.columns), table)


def _range_text(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``20–61`` (or ``20`` where both ends agree, ``?`` where unknown) for whole numbers of years."""
    lo, hi = _fmt(low, ".0f"), _fmt(high, ".0f")
    return np.where(lo == hi, lo, lo + "–" + hi)


def _aggregate_reasons(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Chinese and English reasons of aggregated rows: what they hold, the years in use, the areas."""
    n = rows["member_count"].to_numpy()
    buildings = (rows["category"] == "retained_building").to_numpy()
    years = _range_text(rows["_age_min"].to_numpy("float64"), rows["_age_max"].to_numpy("float64"))
    unknown = rows["_age_unknown"].to_numpy()
    dated = unknown < n
    count = n.astype(str).astype(object)  # object text: numpy < 2 has no ``+`` for fixed-width text arrays
    unknown_count = unknown.astype(str).astype(object)
    land = _fmt(rows["land_area_m2"].to_numpy("float64"), ",.0f")
    floor = _fmt(rows["floor_area_m2"].to_numpy("float64"), ",.0f")
    ha = _fmt(rows["land_area_m2"].to_numpy("float64") / 1e4, ".2f")
    unknown_zh = np.where(unknown > 0, "，其中" + unknown_count + "块使用年限未知", "")
    unknown_en = np.where(unknown > 0, ", " + unknown_count + " of unknown age", "")
    zh = np.where(
        buildings,
        "现状正常使用的建筑"
        + count
        + "栋，已使用"
        + years
        + "年；建筑面积合计"
        + floor
        + "平方米，占地"
        + land
        + "平方米；随生命周期推进可能成为更新对象；逐栋见resource_members表",
        "现状保留用地"
        + count
        + "块"
        + np.where(dated, "，地块内建筑平均已使用" + years + "年", "")
        + unknown_zh
        + "；面积合计"
        + ha
        + "公顷；随生命周期推进将成为更新资源；逐块见resource_members表",
    )
    en = np.where(
        buildings,
        count
        + " buildings in normal use, "
        + years
        + " years in use; floor area "
        + floor
        + " m², footprint "
        + land
        + " m²; may become renewal objects as their life cycle advances; each is listed in resource_members",
        count
        + " retained parcels"
        + np.where(dated, ", buildings " + years + " years in use on average", "")
        + unknown_en
        + "; area "
        + ha
        + " ha; become renewal resources as their life cycle advances; each is listed in resource_members",
    )
    return zh, en


def aggregate_retained(found: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One row per block and category for the :data:`AGGREGATED` categories; their features as members.

    Parameters
    ----------
    found
        Resources one row per feature, with ``block_id`` and ``resource_id``
        (and ``age_yr`` for the aggregated categories, as :func:`detect_resources` gives them).

    Returns
    -------
    rows : geopandas.GeoDataFrame
        The rows of other categories as they were, then one row per (category,
        block) of the aggregated ones: ``resource_id`` ``RL-<category>-block-<block>``
        (:func:`blockcheck.lists.ids.aggregate_resource_id`), ``member_count``
        (features), ``land_area_m2`` and ``floor_area_m2`` summed, a reason
        giving the count, the years in use and the areas, ``source_layer``
        ``resource_members`` and ``source_id`` the row's own id (its features
        are the members with that ``resource_id``), and a MultiPolygon of the
        features' polygons. Every row has ``member_count`` (1 for a single feature).
    members : pandas.DataFrame
        Schema ``resource_members``: ``member_id`` (the feature's own resource
        id, :func:`blockcheck.lists.ids.resource_id`), ``resource_id`` (its
        row), ``source_layer``, ``source_id``, ``land_area_m2``,
        ``floor_area_m2``, ``age_yr``; sorted by row and source id.
    """
    is_member = found["category"].isin(AGGREGATED).to_numpy()
    single = found[~is_member].assign(member_count=1)
    if not is_member.any():
        return single, _empty_members()
    part = found[is_member]
    age = pd.to_numeric(part["age_yr"], errors="coerce").to_numpy("float64") if "age_yr" in part else None
    age = np.full(len(part), np.nan) if age is None else age
    # one row per (category, block) pair, its id composed once; rows in id order
    cat_code, cats = pd.factorize(part["category"].to_numpy(object))
    block_code, blocks = pd.factorize(part["block_id"].to_numpy(object), use_na_sentinel=False)
    pair, pair_of = np.unique(cat_code * len(blocks) + block_code, return_inverse=True)
    pair_category = np.asarray(cats, dtype=object)[pair // len(blocks)]
    pair_block = np.asarray(blocks, dtype=object)[pair % len(blocks)]
    pair_id = aggregate_resource_id(pd.Series(pair_category), pd.Series(pair_block)).to_numpy(object)
    row_pair = np.argsort(pair_id.astype(str), kind="stable")  # the pair of each row
    row_of_pair = np.empty(len(pair), dtype=np.int64)
    row_of_pair[row_pair] = np.arange(len(pair))
    # members by row, then by source id (a fixed order whatever the input's row order)
    group = row_of_pair[pair_of.reshape(-1)]
    order = np.argsort(part["source_id"].to_numpy(object).astype(str), kind="stable")
    order = order[np.argsort(group[order], kind="stable")]
    group = group[order]
    n_rows = len(pair)
    first = np.searchsorted(group, np.arange(n_rows))

    def column(name: str) -> np.ndarray:
        return part[name].to_numpy(object)[order]

    land = part["land_area_m2"].to_numpy("float64")[order]
    floor = part["floor_area_m2"].to_numpy("float64")[order]
    age = age[order]
    rows = pd.DataFrame(
        {
            "resource_id": pair_id[row_pair],
            "category": pair_category[row_pair],
            "block_id": pair_block[row_pair],
            "rule_id": column("rule_id")[first],
            "member_count": np.bincount(group, minlength=n_rows),
            "land_area_m2": _sum_by_row(group, land, n_rows),
            "floor_area_m2": _sum_by_row(group, floor, n_rows),
            "_age_min": pd.Series(age).groupby(group).min().reindex(range(n_rows)).to_numpy(),
            "_age_max": pd.Series(age).groupby(group).max().reindex(range(n_rows)).to_numpy(),
            "_age_unknown": np.bincount(group, weights=np.isnan(age), minlength=n_rows).astype(np.int64),
        }
    )
    rows["block_id"] = rows["block_id"].where(rows["block_id"].notna(), None)
    reason, reason_en = _aggregate_reasons(rows)
    rows = rows.drop(columns=["_age_min", "_age_max", "_age_unknown"]).assign(
        source_layer=RESOURCE_MEMBERS_LAYER, source_id=rows["resource_id"], reason=reason, reason_en=reason_en
    )
    # members sorted by row: the owners of the parts are non-decreasing row numbers, as multipolygons() needs
    geoms = part.geometry.to_numpy()[order]
    if (shapely.get_type_id(geoms) == 3).all():  # polygons (buildings, most parcels): no parts to split
        parts, owner = geoms, group
    else:
        parts, at = shapely.get_parts(geoms, return_index=True)
        polygonal = shapely.get_type_id(parts) == 3
        parts, owner = parts[polygonal], group[at[polygonal]]
    geometry = shapely.multipolygons(parts, indices=owner, out=np.full(n_rows, None, dtype=object))
    aggregated = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geometry, crs=found.crs), crs=found.crs)
    out = gpd.GeoDataFrame(pd.concat([single, aggregated], ignore_index=True), geometry="geometry", crs=found.crs)
    text = {  # object columns, as conform() types text
        "member_id": column("resource_id"),
        "resource_id": pair_id[row_pair][group],
        "source_layer": column("source_layer"),
        "source_id": column("source_id"),
    }
    members = pd.DataFrame(
        {
            **{name: pd.Series(values, dtype=object) for name, values in text.items()},
            "land_area_m2": land,
            "floor_area_m2": floor,
            "age_yr": age,
        }
    )
    return out, members[list_table(RESOURCE_MEMBERS_LAYER).columns]


def _sum_by_row(group: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
    """Sum of `values` per row number `group`, NaN counted as missing; NaN for a row without any value."""
    known = ~np.isnan(values)
    total = np.bincount(group, weights=np.where(known, values, 0.0), minlength=n_rows)
    return np.where(np.bincount(group, weights=known, minlength=n_rows) > 0, total, np.nan)
