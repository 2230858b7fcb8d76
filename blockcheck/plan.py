"""Steps 2–4 after the health check: demands and visions, strategies and policies, tasks and projects.

:func:`build_plan` turns the surveys, the problem list and the resource list
into the remaining six lists and the allocation tables, all linked by ids:
a project names the strategy, problems and resources behind it; a strategy
names its problems, resources and demands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .allocation import allocate, allocation_rules, unused_pool_m2
from .lists.project_catalogue import project_settings
from .lists.schema import conform, list_table
from .lists.siting import (
    allocation_placements,
    block_needs,
    road_placements,
    second_pass,
    site_in_blocks,
    tag_planned_land,
)
from .lists.strategies import (
    build_policy_list,
    build_strategy_list,
    carried_strategies,
    strategy_catalogue,
)
from .lists.tasks_and_projects import build_project_list, build_task_list, open_items
from .network import WalkNetwork
from .standards import Standards
from .surveys import (
    match_communities,
    read_demand_survey,
    read_vision_survey,
    vision_keywords,
)

__all__ = ["Plan", "build_plan", "default_survey", "demand_list_from_survey", "vision_list_from_survey"]

_SURVEY_NAMES = {"demands": ("demand_survey.xlsx", "demand_survey.csv"), "visions": ("vision_survey.xlsx", "vision_survey.csv")}


@dataclass(frozen=True)
class Plan:
    """The lists of steps 2–4 and the allocation tables."""

    demand_list: pd.DataFrame
    vision_list: pd.DataFrame
    strategy_list: pd.DataFrame
    policy_list: pd.DataFrame
    allocation: pd.DataFrame
    allocation_remaining: pd.DataFrame
    task_list: pd.DataFrame
    project_list: gpd.GeoDataFrame
    warnings: tuple[str, ...]


def default_survey(input_path: str | os.PathLike, kind: str) -> Path | None:
    """A survey table next to the input (``demand_survey.xlsx|csv``, ``vision_survey.xlsx|csv``), if any."""
    folder = Path(input_path).parent
    for name in _SURVEY_NAMES[kind]:
        if (folder / name).is_file():
            return folder / name
    return None


def _survey_table(reader, path, communities: gpd.GeoDataFrame | None, blocks: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:  # noqa: ANN001
    """Read a survey with `reader` and match its communities to blocks (unknown names kept, reported)."""
    table = reader(path)
    warnings = list(table.attrs.get("warnings", []))
    if communities is None:
        warnings.append("no communities layer: survey rows are not matched to blocks")
        return table.assign(community_id=None, block_id=None), warnings
    table, more = match_communities(table, communities, blocks)
    return table, warnings + list(more)


def demand_list_from_survey(path: str | os.PathLike, communities: gpd.GeoDataFrame | None, blocks: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The demand list (图3): one row per community, category and need, matched to blocks."""
    table, warnings = _survey_table(read_demand_survey, path, communities, blocks)
    categories = {"public_service": "公共服务设施", "public_space": "公共空间", "municipal": "市政公用设施", "traffic_parking": "交通停车问题"}
    table = table.assign(
        category_zh=table["category"].map(categories),
        id="DM-" + table["community"].astype(str) + "-" + table["category"] + "-" + table["need_code"] + "-" + table["source_row"].astype(str),
        provenance="generated",
    ).drop_duplicates("id")
    return conform(table, list_table("demand_list")), warnings


def vision_list_from_survey(path: str | os.PathLike, communities: gpd.GeoDataFrame | None, blocks: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The vision list (图4): residents' hopes with their categories, matched to blocks."""
    table, warnings = _survey_table(read_vision_survey, path, communities, blocks)
    labels = {c.code: c.label_zh for c in vision_keywords().categories}
    zh = table["categories"].fillna("").map(lambda codes: "、".join(labels.get(c, c) for c in str(codes).split(",") if c))
    table = table.assign(categories_zh=zh, id="VS-" + table["community"].astype(str) + "-" + table["source_row"].astype(str), provenance="generated")
    return conform(table.drop_duplicates("id"), list_table("vision_list")), warnings


def _with_ids(strategies: pd.DataFrame, *, sort: bool = False) -> pd.DataFrame:
    """Strategy rows with ``id`` ``ST-<block>-<key>``, ``code_point`` and provenance (sorted by block and 图5 order)."""
    out = strategies.assign(
        id="ST-" + strategies["block_id"].astype(str) + "-" + strategies["strategy_key"].astype(str),
        code_point=strategies["code"] + strategies["point"],
        provenance="generated",
    )
    if sort:
        order = {k: i for i, k in enumerate(strategy_catalogue().index)}
        types = {t: i for i, t in enumerate(dict.fromkeys(strategy_catalogue()["type"]))}
        out = out.assign(_t=out["type"].map(types), _k=out["strategy_key"].map(order)).sort_values(["block_id", "_t", "_k"], kind="stable")
        out = out.drop(columns=["_t", "_k"]).reset_index(drop=True)
    return out


def _second_passes(
    allocation: pd.DataFrame,
    remaining: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
    needs: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Kinds sited by a second LP pass (``siting = "allocation2"``, e.g. bus terminals) on the pools the first left.

    Their rows are appended to the allocation (ids continue) and their amounts
    move from ``remaining_gap`` to ``allocated``. Returns the allocation, the
    remaining table and the pools still unused (by resource id).
    """
    pool_left = unused_pool_m2(resources, allocation, allocation_rules())
    extra = []
    for kind, entry in project_settings()["kinds"].items():
        if entry["siting"] != "allocation2" or kind not in needs:
            continue
        more, _ = second_pass(kind, needs[kind], resources, pool_left, blocks, network, standards)
        used = more.groupby("resource_id")["area_used_m2"].sum()
        pool_left = pool_left.sub(used.reindex(pool_left.index).fillna(0.0)).clip(lower=0.0)
        extra.append(more)
    if not extra or all(e.empty for e in extra):
        return allocation, remaining, pool_left
    more = pd.concat([e for e in extra if not e.empty], ignore_index=True)
    start = len(allocation) + 1
    more["allocation_id"] = [f"AL-{n:05d}" for n in range(start, start + len(more))]
    allocation = pd.concat([allocation, more], ignore_index=True) if len(allocation) else more
    got = more.groupby(["block_id", "provision_key"])["amount"].sum()
    key = pd.MultiIndex.from_frame(remaining[["block_id", "provision_key"]])
    added = pd.Series(got.reindex(key).fillna(0.0).to_numpy(), index=remaining.index)
    allocated = (remaining["allocated"] + added).clip(upper=remaining["gap"])
    remaining = remaining.assign(allocated=allocated, remaining_gap=(remaining["gap"] - allocated).clip(lower=0.0))
    return allocation, remaining, pool_left


def build_plan(
    layers: dict[str, gpd.GeoDataFrame],
    health,  # noqa: ANN001 - blockcheck.health_check.HealthCheck
    problems: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    standards: Standards,
    *,
    demands_path: str | os.PathLike | None = None,
    visions_path: str | os.PathLike | None = None,
) -> Plan:
    """Steps 2–4 from the health check, the resource list and the surveys.

    Returns
    -------
    Plan
        Every table conforms to its schema (``data/lists.toml``).

    Notes
    -----
    In order: planned new land takes the facility its plan designates
    (:func:`~blockcheck.lists.siting.tag_planned_land`); the gap–resource LP
    places the public-service gaps; a second LP pass places bus terminals on
    what it left; strategies are proposed by rule; distribution rooms, garbage
    stations, parking, parks, green upgrades and sponge retrofits are sited in
    their blocks (:mod:`blockcheck.lists.siting`); every placement becomes part
    of a project (strategies carried by projects but proposed by no rule are
    added); what the projects leave open becomes 待落实 tasks naming the
    policies that would unlock it; the policy list numbers the policies needed.
    """
    blocks = health.block_metrics
    communities = layers.get("communities")
    warnings: list[str] = []
    empty_d = conform(pd.DataFrame(columns=list_table("demand_list").columns), list_table("demand_list"))
    empty_v = conform(pd.DataFrame(columns=list_table("vision_list").columns), list_table("vision_list"))
    demands, visions = empty_d, empty_v
    if demands_path is not None:
        demands, more = demand_list_from_survey(demands_path, communities, blocks)
        warnings += more
    if visions_path is not None:
        visions, more = vision_list_from_survey(visions_path, communities, blocks)
        warnings += more
    gaps = blocks[[c for c in blocks.columns if c.startswith("gap_")]]
    tagged = tag_planned_land(resources, layers.get("parcels"))
    allocation, remaining = allocate(gaps, tagged, blocks, health.network, standards)
    needs = block_needs(blocks, problems, standards)
    allocation, remaining, pool_left = _second_passes(allocation, remaining, tagged, blocks, health.network, standards, needs)
    strategies = _with_ids(build_strategy_list(problems, resources, demands, allocation=allocation))
    sited, pool_left = site_in_blocks(blocks, tagged, pool_left, needs, strategies, demands, parking=layers.get("parking"), parcels=layers.get("parcels"))
    placements = pd.concat([allocation_placements(allocation, tagged), sited, road_placements(layers.get("roads"), blocks)], ignore_index=True)
    placements = gpd.GeoDataFrame(placements, geometry="geometry", crs=blocks.crs)
    strategies = _with_ids(pd.concat([strategies, carried_strategies(strategies, placements, problems)], ignore_index=True), sort=True)
    projects = build_project_list(placements, blocks, strategies, demands, problems, needs).assign(provenance="generated")
    opened = open_items(problems, placements, needs, projects)
    policies = build_policy_list(strategies, projects=projects, opened=opened).assign(provenance="generated")
    tasks = build_task_list(blocks, placements, projects, opened, policies, strategies).assign(provenance="generated")
    remaining = remaining.assign(id="RG-" + remaining["block_id"].astype(str) + "-" + remaining["provision_key"].astype(str))
    project_attrs = conform(projects.drop(columns="geometry"), list_table("project_list"))
    return Plan(
        demand_list=demands,
        vision_list=visions,
        strategy_list=conform(strategies, list_table("strategy_list")),
        policy_list=conform(policies, list_table("policy_list")),
        allocation=conform(allocation, list_table("allocation")),
        allocation_remaining=conform(remaining, list_table("allocation_remaining")),
        task_list=conform(tasks, list_table("task_list")),
        project_list=gpd.GeoDataFrame(project_attrs, geometry=projects.geometry.to_numpy(), crs=projects.crs),
        warnings=tuple(warnings),
    )

