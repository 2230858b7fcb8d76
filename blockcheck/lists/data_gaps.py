"""The data-gap list (数据缺口清单) and the data status of every metric.

Missing data is never a finding. From the completeness of the input
(:mod:`blockcheck.inputs.completeness`) this module decides, per metric and scope
(block or ``ALL``), whether the value is ``measured``, ``estimated`` (a
documented conversion filled a missing capacity) or ``no_data`` — and sets
``no_data`` values to null, so no problem can be raised from them. Each
missing layer, field or facility category becomes a row of ``data_gaps``:
what is missing, which metrics and problem rules it leaves unjudged, and how
to fix it, in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from blockcheck.inputs.completeness import category_metric_patterns, data_needs, metrics_needing
from blockcheck.lists.ids import AREA_SCOPE, data_gap_id, metric_status_id
from blockcheck.lists.problems import problem_rules
from blockcheck.lists.schema import conform, list_table
from blockcheck.metrics.assign import block_index_of
from blockcheck.metrics.provision import provision_specs

__all__ = ["DATA_GAPS_LAYER", "METRIC_STATUS_LAYER", "RULE_COLUMNS", "DataJudgement", "judge_data", "note_fragments"]

DATA_GAPS_LAYER = "data_gaps"
METRIC_STATUS_LAYER = "metric_status"
#: Text columns of the metric tables saying which rule made a figure (provision supply, parking rate): not metrics.
RULE_COLUMNS = ("provision_rule", "parking_rate")
_NOT_METRICS = ("geometry", "block_id", "name", "subdistrict", *RULE_COLUMNS)
#: Metrics measured on the walking network: those an isolated fragment of it can move.
WALK_METRIC_PATTERNS = ("life_circle_*", "*_walk_ratio")
_MISSING = ("absent", "none", "some")


@dataclass(frozen=True)
class DataJudgement:
    """Metrics with no-data values nulled, their status, and the data-gap list."""

    block_metrics: pd.DataFrame
    area_metrics: pd.DataFrame
    metric_status: pd.DataFrame  # schema metric_status
    data_gaps: pd.DataFrame  # schema data_gaps


@dataclass(frozen=True)
class _Gap:
    """One missing item: the metrics it affects, where (None: every scope) and its completeness row."""

    row: pd.Series
    metrics: list[str]
    blocks: np.ndarray | None  # positions of the blocks affected; None = all blocks and the area
    area: bool  # the whole-area value is affected too
    estimated: bool = False


def _item_id(row: pd.Series) -> str:
    return "-".join(p for p in (row["layer"], row["category"], row["field"]) if p)


def _spec_metrics(category: str, field: str) -> list[str]:
    """supply_/gap_ columns of the provision specs of `category` whose capacity is `field`."""
    out = []
    for spec in provision_specs():
        if category in spec.categories and spec.capacity == field:
            out += [f"supply_{spec.key}", f"gap_{spec.key}"]
    return out


def _absent_category_metrics(category: str, row_categories: set[str], columns: list[str]) -> list[str]:
    """Metrics of an absent category; a provision shared with a present category stays measured."""
    metrics = metrics_needing(category_metric_patterns(category), columns)
    shared = set()
    for spec in provision_specs():
        if category in spec.categories and any(c not in row_categories for c in spec.categories):
            shared |= {f"supply_{spec.key}", f"gap_{spec.key}"}
    return [m for m in metrics if m not in shared]


def _blocks_with(mask: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return np.unique(positions[mask & (positions >= 0)])


def _blocks_reached(mask: np.ndarray, positions: np.ndarray, reach: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """The blocks whose supply the `mask`ed facilities make: their own, and those their catchment reaches."""
    own = _blocks_with(mask, positions)
    if reach is None:
        return own
    facility, block = reach
    return np.union1d(own, block[mask[facility]])


def _gaps(
    completeness: pd.DataFrame,
    columns: list[str],
    layers: dict[str, gpd.GeoDataFrame],
    blocks: gpd.GeoDataFrame,
    capacity: pd.DataFrame | None,
    reach: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[_Gap]:
    needs = {(n.layer, n.field): n for n in data_needs()}
    absent_categories = set(
        completeness.loc[
            (completeness["category"] != "") & (completeness["field"] == "") & (completeness["coverage"] == "absent"),
            "category",
        ]
    )
    facilities = layers.get("facilities")
    fac_pos = block_index_of(blocks, facilities) if facilities is not None else None
    gaps: list[_Gap] = []
    for _, row in completeness.iterrows():
        layer, field, category = row["layer"], row["field"], row["category"]
        if category and not field:
            if row["coverage"] == "absent":
                gaps.append(_Gap(row, _absent_category_metrics(category, absent_categories, columns), None, True))
            continue
        if category:  # a capacity field of a category: blocks holding a feature without it
            status = (
                capacity.loc[(facilities["category"] == category).to_numpy(), field] if capacity is not None else None
            )
            mine = (facilities["category"] == category).to_numpy()
            metrics = [m for m in _spec_metrics(category, field) if m in columns]
            if status is None or not metrics:
                continue
            unknown = mine & (capacity[field] == "unknown").to_numpy()
            estimated = mine & (capacity[field] == "estimated").to_numpy()
            if unknown.any():
                gaps.append(_Gap(row, metrics, _blocks_reached(unknown, fac_pos, reach), True))
            if estimated.any():
                gaps.append(_Gap(row, metrics, _blocks_reached(estimated, fac_pos, reach), True, estimated=True))
            continue
        need = needs.get((layer, field))
        if need is None or row["coverage"] not in _MISSING:
            continue
        metrics = metrics_needing(need.metrics, columns)
        if layer == "facilities" and not field:  # the whole layer: every category's metrics
            metrics = metrics_needing(
                [p for c in completeness["category"].unique() if c for p in category_metric_patterns(c)], columns
            )
        if row["coverage"] == "some" and field and layer in layers:  # the blocks holding a feature without it
            frame = layers[layer]
            considered = (
                frame["use"].isin(need.applies_to_use).to_numpy() if need.applies_to_use else np.ones(len(frame), bool)
            )
            lacking = considered & frame[field].isna().to_numpy()
            gaps.append(_Gap(row, metrics, _blocks_with(lacking, block_index_of(blocks, frame)), True))
        else:
            gaps.append(_Gap(row, metrics, None, True))
    return [g for g in gaps if g.metrics]


def _rules_of(metrics: list[str]) -> list:
    return [r for r in problem_rules() if r.metric in metrics]


def _gap_rows(gaps: list[_Gap], block_ids: np.ndarray) -> tuple[pd.DataFrame, dict[int, str]]:
    rows, ids = [], {}
    for i, gap in enumerate(gaps):
        if gap.estimated:
            continue
        row = gap.row
        rules = _rules_of(gap.metrics)
        problems_zh = "、".join(dict.fromkeys(r.problem for r in rules)) or "无问题规则（仅指标）"
        problems_en = "; ".join(dict.fromkeys(r.problem_en for r in rules)) or "no problem rule (metrics only)"
        n = len(gap.metrics)
        scopes = [AREA_SCOPE] if gap.blocks is None else [AREA_SCOPE, *map(str, block_ids[gap.blocks])]
        coverage = "absent" if row["coverage"] == "absent" else row["coverage"]
        for scope in scopes:
            gid = data_gap_id(scope, _item_id(row))
            ids.setdefault(i, data_gap_id(AREA_SCOPE, _item_id(row)))
            where_zh = "" if scope == AREA_SCOPE or gap.blocks is None else "（本街区内）"
            rows.append(
                {
                    "id": gid,
                    "scope": scope,
                    "layer": row["layer"],
                    "item": row["label_zh"]
                    + (f"（{row['category']}.{row['field']}）" if row["category"] and row["field"] else ""),
                    "coverage": coverage,
                    "detail": row["note_zh"] + where_zh,
                    "detail_en": row["note_en"],
                    "effect": f"无法判断：{problems_zh}；相关指标{n}项为空值（无数据），不作为问题",
                    "effect_en": f"not judged: {problems_en}; {n} metric(s) left null (no data), not a problem",
                    "how_to_fix": row["fix_zh"],
                    "how_to_fix_en": row["fix_en"],
                    "metrics": ", ".join(gap.metrics),
                    "rules": ", ".join(r.id for r in rules),
                }
            )
    table = list_table(DATA_GAPS_LAYER)
    frame = pd.DataFrame(rows, columns=table.columns).drop_duplicates("id")
    return conform(frame, table), ids


def judge_data(
    block_metrics: pd.DataFrame,
    area_metrics: pd.DataFrame,
    *,
    blocks: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    completeness: pd.DataFrame,
    capacity: pd.DataFrame | None,
    provision_reach: tuple[np.ndarray, np.ndarray] | None = None,
) -> DataJudgement:
    """Null the metrics computed without data, and list their status and the data gaps.

    Parameters
    ----------
    block_metrics, area_metrics
        The health check's metric tables (indexed by block id; area: ``ALL``).
    blocks
        The block polygons, in the order and index of `block_metrics`.
    layers
        The checked input layers (facilities with capacities filled).
    completeness
        :func:`blockcheck.inputs.completeness.completeness_table` of the input.
    capacity
        Per-facility capacity status from :func:`blockcheck.inputs.completeness.estimate_capacities`.
    provision_reach
        Under the catchment supply rule, the (facility, block) position pairs of
        :func:`blockcheck.metrics.provision.catchment_pairs`: a facility without
        its capacity leaves every block it reaches without data, not only its own.
        None (the in-block rule): its own block.

    Returns
    -------
    DataJudgement
        Copies of the metric tables where every no-data value is null;
        ``metric_status`` (every metric once for ``ALL``, and each block whose
        status is not ``measured``) and ``data_gaps``.
    """
    columns = [c for c in area_metrics.columns if c not in _NOT_METRICS]
    block_ids = block_metrics.index.astype(str).to_numpy()
    gaps = _gaps(completeness, columns, layers, blocks, capacity, provision_reach)
    gap_rows, gap_ids = _gap_rows(gaps, block_ids)
    n = len(block_ids)
    status_blocks = pd.DataFrame("measured", index=range(n), columns=columns)
    status_area = pd.Series("measured", index=columns)
    notes: dict[tuple[str, str], tuple[str, str, str]] = {}
    # estimated first, so that no_data (the stronger verdict) wins where both apply
    for i, gap in sorted(enumerate(gaps), key=lambda ig: not ig[1].estimated):
        verdict = "estimated" if gap.estimated else "no_data"
        rows = np.arange(n) if gap.blocks is None else gap.blocks
        for metric in gap.metrics:
            status_blocks.loc[rows, metric] = verdict
            if gap.area:
                status_area[metric] = verdict
            note = (gap.row["note_zh"], gap.row["note_en"], gap_ids.get(i, ""))
            for scope in [AREA_SCOPE, *block_ids[rows]]:
                notes[(str(scope), metric)] = note
    # no-data values become null; the columns are replaced whole (counts become float to hold NaN)
    shared = [c for c in columns if c in block_metrics]
    masked = block_metrics[shared].astype("float64").mask(status_blocks[shared].eq("no_data").to_numpy())
    blocks_out = pd.concat([block_metrics.drop(columns=shared), masked], axis=1)[block_metrics.columns]
    area_masked = (
        area_metrics[columns]
        .astype("float64")
        .mask(np.broadcast_to(status_area.eq("no_data").to_numpy(), (len(area_metrics), len(columns))))
    )
    area_out = pd.concat([area_metrics.drop(columns=columns), area_masked], axis=1)[area_metrics.columns]
    records = [(AREA_SCOPE, m, status_area[m]) for m in columns]
    long = status_blocks.set_axis(block_ids).stack()
    records += [(b, m, s) for (b, m), s in long[long != "measured"].items()]
    frame = pd.DataFrame(records, columns=["scope", "metric_key", "status"])
    info = (
        frame.apply(lambda r: notes.get((r["scope"], r["metric_key"]), ("", "", "")), axis=1, result_type="expand")
        if len(frame)
        else None
    )
    frame["note"], frame["note_en"], frame["gap_id"] = (info[0], info[1], info[2]) if info is not None else ("", "", "")
    frame["id"] = metric_status_id(frame["scope"], frame["metric_key"])
    status = conform(frame, list_table(METRIC_STATUS_LAYER))
    return DataJudgement(block_metrics=blocks_out, area_metrics=area_out, metric_status=status, data_gaps=gap_rows)


def _joined(first: str, second: str, sep: str) -> str:
    return f"{first}{sep}{second}" if first else second


def note_fragments(metric_status: pd.DataFrame, fragments: pd.DataFrame, moved: pd.DataFrame | None) -> pd.DataFrame:
    """`metric_status` with a note on the walking metrics where the network's fragments moved points.

    The walking network's fragments (:mod:`blockcheck.network.fragments`) catch
    no resident or facility: those nearest to one are measured from the
    nearest connected road, so the values are measured, with a caveat. The
    status stays as it was; the note says it:

    - ``ALL``: every walking metric (``life_circle_*``, ``*_walk_ratio``) names
      the fragments (count, length; the validation report's
      ``walk_network_fragments``) and the resident points and facilities moved;
      a category's metrics also say how many of its facilities were moved;
    - each block with resident points moved: its walking metrics get a row
      (``measured`` unless a data gap made it otherwise) saying how many points
      and persons.

    Parameters
    ----------
    metric_status
        The table of :func:`judge_data` (schema ``metric_status``).
    fragments
        :func:`blockcheck.network.fragment_table` of the run's network (no note when empty).
    moved
        ``HealthCheck.fragment_moved``: kind (residents | facilities), key (block id |
        category), points, population.

    Returns
    -------
    pandas.DataFrame
        Conforming to the ``metric_status`` schema; existing notes kept, the fragment note appended.
    """
    if not len(fragments):
        return metric_status
    moved = moved if moved is not None else pd.DataFrame(columns=["kind", "key", "points", "population"])
    residents = moved[moved["kind"] == "residents"].set_index("key")
    facilities = moved[moved["kind"] == "facilities"].set_index("key")["points"]
    area = metric_status[metric_status["scope"] == AREA_SCOPE]
    walk = metrics_needing(WALK_METRIC_PATTERNS, area["metric_key"].tolist())
    if not walk:
        return metric_status
    n, length = len(fragments), float(fragments["length_m"].sum())
    points, persons = int(residents["points"].sum()), float(residents["population"].sum())
    sites = int(facilities.sum())
    zh = (
        f"步行网络有{n}处孤立片段（共{length:,.0f}米，见验证报告walk_network_fragments）：离片段最近的"
        f"{points}个居民点（{persons:,.0f}人）与{sites}处设施按最近的连通道路计算"
    )
    en = (
        f"{n} isolated piece(s) of the walking network ({length:,.0f} m; validation report walk_network_fragments): "
        f"{points} resident point(s) ({persons:,.0f} persons) and {sites} facility(ies) nearest to them are measured "
        "from the nearest connected road"
    )
    notes: dict[tuple[str, str], tuple[str, str]] = {(AREA_SCOPE, m): (zh, en) for m in walk}
    for category, count in facilities.items():
        for metric in metrics_needing(category_metric_patterns(str(category)), walk):
            notes[(AREA_SCOPE, metric)] = (
                f"{zh}，其中本类设施{int(count)}处",
                f"{en}, {int(count)} of them of this category",
            )
    for block, row in residents.iterrows():
        count, people = int(row["points"]), float(row["population"])
        text = (
            f"本街区{count}个居民点（{people:,.0f}人）离步行网络孤立片段最近，按最近的连通道路计算",
            (
                f"{count} resident point(s) of this block ({people:,.0f} persons) lie nearest to an isolated piece "
                "of the walking network and are measured from the nearest connected road"
            ),
        )
        notes.update({(str(block), m): text for m in walk})
    out = metric_status.copy()
    keys = list(zip(out["scope"].astype(str), out["metric_key"].astype(str), strict=True))
    present = set(keys)
    for i, key in enumerate(keys):
        if key in notes:
            zh_note, en_note = notes[key]
            out.iloc[i, out.columns.get_loc("note")] = _joined(str(out["note"].iloc[i] or ""), zh_note, "；")
            out.iloc[i, out.columns.get_loc("note_en")] = _joined(str(out["note_en"].iloc[i] or ""), en_note, "; ")
    added = [(scope, metric, *text) for (scope, metric), text in notes.items() if (scope, metric) not in present]
    if added:
        rows = pd.DataFrame(added, columns=["scope", "metric_key", "note", "note_en"]).assign(
            status="measured", gap_id=""
        )
        rows["id"] = metric_status_id(rows["scope"], rows["metric_key"])
        out = pd.concat([out, rows], ignore_index=True)
        order = out["scope"].ne(AREA_SCOPE).astype(int)
        out = out.iloc[np.lexsort((np.arange(len(out)), out["scope"].astype(str).where(order == 1, ""), order))]
    return conform(out.reset_index(drop=True), list_table(METRIC_STATUS_LAYER))
