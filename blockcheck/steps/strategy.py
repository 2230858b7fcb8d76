"""Step 3, a whole-area strategy with its policies (整体策划配政策): the strategy list (图5) and the policy list (图6).

In order: planned new land takes the facility its plan designates
(:func:`~blockcheck.lists.siting.tag_planned_land`); the gap–resource LP
(:func:`blockcheck.allocation.allocate`) places the public-service gaps on the
resources; a second LP pass places bus terminals on what it left; strategies
are proposed by rule (:mod:`blockcheck.lists.strategies`); distribution rooms,
garbage stations, parking, parks, green upgrades and sponge retrofits are
sited in their blocks (:mod:`blockcheck.lists.siting`); the placements are
drafted into projects (:func:`blockcheck.lists.projects.draft_projects`) and
strategies carried by projects but proposed by no rule are added; what the
projects leave open (:func:`blockcheck.lists.tasks.open_items`) and the chosen
strategies decide the policies needed (:mod:`blockcheck.lists.policies`).
Step 4 (:mod:`blockcheck.steps.action`) ranks the drafted projects and makes the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from blockcheck.allocation import allocate, allocation_rules, unused_pool_m2
from blockcheck.allocation.distances import KnownDistances
from blockcheck.lists.ids import allocation_ids, remaining_gap_id, strategy_id
from blockcheck.lists.policies import build_policy_list
from blockcheck.lists.project_catalogue import project_settings
from blockcheck.lists.projects import ProjectDraft, draft_projects
from blockcheck.lists.schema import conform, list_table
from blockcheck.lists.siting import (
    allocation_placements,
    block_needs,
    remaining_pool_m2,
    road_placements,
    second_pass,
    site_in_blocks,
    tag_planned_land,
)
from blockcheck.lists.strategies import build_strategy_list, carried_strategies, strategy_catalogue
from blockcheck.lists.tasks import open_items
from blockcheck.network import WalkNetwork
from blockcheck.standards import Standards

__all__ = ["StrategyPlan", "plan_strategies"]


@dataclass(frozen=True)
class StrategyPlan:
    """The lists of step 3, the allocation tables, and what step 4 builds on."""

    strategy_list: pd.DataFrame
    policy_list: pd.DataFrame
    allocation: pd.DataFrame
    allocation_remaining: pd.DataFrame
    placements: gpd.GeoDataFrame  # every sited amount: allocation rows, facilities sited in blocks, roads
    needs: pd.DataFrame  # blockcheck.lists.siting.block_needs: each block's need by kind
    projects: ProjectDraft  # the placements grouped into projects, not yet ranked
    opened: pd.DataFrame  # blockcheck.lists.tasks.open_items: problems the projects leave open
    strategies: pd.DataFrame  # the strategy rows with working columns (for the task list)


def _with_ids(strategies: pd.DataFrame, *, sort: bool = False) -> pd.DataFrame:
    """Strategy rows with ``id`` ``ST-<block>-<key>``, ``code_point`` and provenance (sorted by block and 图5 order)."""
    out = strategies.assign(
        id=strategy_id(strategies["block_id"], strategies["strategy_key"]),
        code_point=strategies["code"] + strategies["point"],
        provenance="generated",
    )
    if sort:
        order = {k: i for i, k in enumerate(strategy_catalogue().index)}
        types = {t: i for i, t in enumerate(dict.fromkeys(strategy_catalogue()["type"]))}
        out = out.assign(_t=out["type"].map(types), _k=out["strategy_key"].map(order)).sort_values(
            ["block_id", "_t", "_k"], kind="stable"
        )
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
        pool_left = remaining_pool_m2(pool_left, used)
        extra.append(more)
    if not extra or all(e.empty for e in extra):
        return allocation, remaining, pool_left
    more = pd.concat([e for e in extra if not e.empty], ignore_index=True)
    start = len(allocation) + 1
    more["allocation_id"] = allocation_ids(start, len(more))
    allocation = pd.concat([allocation, more], ignore_index=True) if len(allocation) else more
    got = more.groupby(["block_id", "provision_key"])["amount"].sum()
    key = pd.MultiIndex.from_frame(remaining[["block_id", "provision_key"]])
    added = pd.Series(got.reindex(key).fillna(0.0).to_numpy(), index=remaining.index)
    allocated = (remaining["allocated"] + added).clip(upper=remaining["gap"])
    remaining = remaining.assign(allocated=allocated, remaining_gap=(remaining["gap"] - allocated).clip(lower=0.0))
    return allocation, remaining, pool_left


def plan_strategies(
    layers: dict[str, gpd.GeoDataFrame],
    health,  # blockcheck.steps.health_check.HealthCheck
    problems: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    demands: pd.DataFrame,
    standards: Standards,
    *,
    known_distances: KnownDistances | None = None,
) -> StrategyPlan:
    """Step 3: strategies matched from problems × resources × demands, sited, and the policies they need.

    Parameters
    ----------
    layers
        The checked input layers (``parcels``, ``parking``, ``roads`` are used when present).
    health
        Step 1's health check (block metrics with the facility gaps, the walking network).
    problems, resources, demands
        The problem list, the resource list (analysts' statuses decide what is usable) and the demand list.
    standards
        The run's standards.
    known_distances
        The allocation's walks computed ahead with the resources (``HealthCheckStep.resource_distances``).

    Returns
    -------
    StrategyPlan
        ``strategy_list`` and ``policy_list`` conform to their schema.
    """
    blocks = health.block_metrics
    gaps = blocks[[c for c in blocks.columns if c.startswith("gap_")]]
    tagged = tag_planned_land(resources, layers.get("parcels"))
    allocation, remaining = allocate(gaps, tagged, blocks, health.network, standards, known_distances=known_distances)
    needs = block_needs(blocks, problems, standards)
    allocation, remaining, pool_left = _second_passes(
        allocation, remaining, tagged, blocks, health.network, standards, needs
    )
    strategies = _with_ids(build_strategy_list(problems, resources, demands, allocation=allocation))
    sited, pool_left = site_in_blocks(
        blocks,
        tagged,
        pool_left,
        needs,
        strategies,
        demands,
        parking=layers.get("parking"),
        parcels=layers.get("parcels"),
    )
    placements = pd.concat(
        [allocation_placements(allocation, tagged), sited, road_placements(layers.get("roads"), blocks)],
        ignore_index=True,
    )
    placements = gpd.GeoDataFrame(placements, geometry="geometry", crs=blocks.crs)
    strategies = _with_ids(
        pd.concat([strategies, carried_strategies(strategies, placements, problems)], ignore_index=True), sort=True
    )
    projects = draft_projects(placements, blocks, strategies, demands, problems, needs)
    opened = open_items(problems, placements, needs, projects.frame)
    policies = build_policy_list(strategies, projects=projects.frame, opened=opened).assign(provenance="generated")
    remaining = remaining.assign(id=remaining_gap_id(remaining["block_id"], remaining["provision_key"]))
    return StrategyPlan(
        strategy_list=conform(strategies, list_table("strategy_list")),
        policy_list=conform(policies, list_table("policy_list")),
        allocation=conform(allocation, list_table("allocation")),
        allocation_remaining=conform(remaining, list_table("allocation_remaining")),
        placements=placements,
        needs=needs,
        projects=projects,
        opened=opened,
        strategies=strategies,
    )
