"""Step 4, plans into action (制定计划推行动): the task list (图7) and the project list (图8).

The projects step 3 drafted are ranked — severity of the problems they answer,
residents' demand, how much of the gap they close, readiness of the site and
ease (:mod:`blockcheck.lists.priority`) — phased (近期 / 中期 / 远期) and numbered
by domain; they enter the life cycle as registered (入库). The task list gives
each block its construction tasks by type (三大设施, 道路, 绿化, 其他) with the
projects carrying them, and a 待落实 task for every problem the projects leave
open, naming the policy that would unlock it (:mod:`blockcheck.lists.tasks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from blockcheck.lists.projects import rank_projects
from blockcheck.lists.schema import conform, list_table
from blockcheck.lists.tasks import build_task_list
from blockcheck.steps.strategy import StrategyPlan

__all__ = ["ActionPlan", "plan_actions"]


@dataclass(frozen=True)
class ActionPlan:
    """The lists of step 4."""

    task_list: pd.DataFrame
    project_list: gpd.GeoDataFrame


def plan_actions(blocks: gpd.GeoDataFrame, strategy: StrategyPlan) -> ActionPlan:
    """Step 4: rank and phase the drafted projects, and make each block's tasks.

    Parameters
    ----------
    blocks
        The blocks (step 1's ``block_metrics``, indexed by ``block_id``).
    strategy
        Step 3's :class:`~blockcheck.steps.strategy.StrategyPlan`.

    Returns
    -------
    ActionPlan
        Both lists conform to their schema; provenance ``generated``, projects ``registered``.
    """
    projects = rank_projects(strategy.projects).assign(provenance="generated")
    tasks = build_task_list(
        blocks, strategy.placements, projects, strategy.opened, strategy.policy_list, strategy.strategies
    ).assign(provenance="generated")
    attrs = conform(projects.drop(columns="geometry"), list_table("project_list"))
    return ActionPlan(
        task_list=conform(tasks, list_table("task_list")),
        project_list=gpd.GeoDataFrame(attrs, geometry=projects.geometry.to_numpy(), crs=projects.crs),
    )
