"""The policy list (政策清单, 图6): the policies the chosen strategies and the open problems need.

A policy of the catalogue (``data/policies.toml``, the method's 19 examples)
is listed when a strategy chosen for a block needs it (``enables``), or when it
would unlock a problem the projects leave open (``unlock`` in
``data/projects.toml``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from blockcheck.lists.ids import strategy_id
from blockcheck.lists.strategies import load_catalogue, strategy_catalogue

__all__ = ["POLICY_LIST_LAYER", "build_policy_list", "policy_catalogue"]

POLICY_LIST_LAYER = "policy_list"


@cache
def policy_catalogue() -> pd.DataFrame:
    """The 图6 catalogue: number, name, lead_departments, name_en, enables (strategy keys)."""
    return pd.DataFrame(load_catalogue("policies.toml")["policy"]).set_index("number")


def build_policy_list(
    strategy_list: pd.DataFrame, *, projects: pd.DataFrame | None = None, opened: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The policies (图6) the chosen strategies and the open problems need, numbered 1…n in 图6 order.

    Parameters
    ----------
    strategy_list
        The strategy list (``id`` optional, ``block_id``, ``strategy_key``).
    projects
        Optional project list (``project_id``, ``strategy_ids``): a project needs
        the policies enabling its strategies.
    opened
        Optional :func:`blockcheck.lists.tasks.open_items` (``id``, ``block_id``,
        ``unlock`` = 图6 numbers): a policy that would unlock an open problem is listed.

    Returns
    -------
    pandas.DataFrame
        ``number`` (1…n, consecutive over the policies listed), ``name``,
        ``lead_departments``, ``name_en``, ``strategy_codes`` (the chosen
        strategies it enables), ``blocks`` (block ids), ``catalogue_number``
        (its number in 图6), ``strategy_ids``, ``project_ids``, ``task_ids``
        (待落实 rows naming it), in 图6 order.
    """
    catalogue = policy_catalogue()
    codes = strategy_catalogue()["code"]
    columns = [
        "number",
        "name",
        "lead_departments",
        "name_en",
        "strategy_codes",
        "blocks",
        "catalogue_number",
        "strategy_ids",
        "project_ids",
        "task_ids",
    ]
    enables = catalogue["enables"].explode().rename("strategy_key").rename_axis("catalogue_number").reset_index()
    enables["order"] = np.arange(len(enables))
    s = strategy_list if not strategy_list.empty else pd.DataFrame(columns=["block_id", "strategy_key"])
    s = s.assign(sid=s["id"] if "id" in s else strategy_id(s["block_id"], s["strategy_key"]))
    used = enables.merge(s[["strategy_key", "block_id", "sid"]], on="strategy_key")
    by = used.groupby("catalogue_number")
    table = pd.DataFrame(
        {
            "strategy_codes": used.drop_duplicates(["catalogue_number", "strategy_key"])
            .sort_values("order")
            .groupby("catalogue_number")["strategy_key"]
            .agg(lambda k: "、".join(f"【{codes[x]}】" for x in k)),
            "strategy_ids": by["sid"].agg(lambda v: ",".join(sorted(set(v)))),
        }
    )
    blocks = used[["catalogue_number", "block_id"]]
    if projects is not None and len(projects):
        links = (
            projects[["project_id"]]
            .assign(sid=projects["strategy_ids"].astype(object).fillna("").astype(str).str.split(","))
            .explode("sid")
            .merge(used[["catalogue_number", "sid"]], on="sid")
        )
        table["project_ids"] = (
            links.drop_duplicates(["catalogue_number", "project_id"])
            .sort_values("project_id")
            .groupby("catalogue_number")["project_id"]
            .agg(",".join)
        )
    if opened is not None and len(opened):
        named = (
            opened[["id", "block_id"]]
            .assign(catalogue_number=opened["unlock"].astype(object).fillna("").astype(str).str.split(","))
            .explode("catalogue_number")
        )
        named = named[named["catalogue_number"] != ""].astype({"catalogue_number": int})
        table = table.reindex(table.index.union(pd.Index(named["catalogue_number"].unique())))
        table["task_ids"] = named.sort_values("id").groupby("catalogue_number")["id"].agg(",".join)
        blocks = pd.concat([blocks, named[["catalogue_number", "block_id"]]])
    table["blocks"] = blocks.groupby("catalogue_number")["block_id"].agg(lambda v: ",".join(sorted(set(map(str, v)))))
    table = table.sort_index().join(catalogue[["name", "lead_departments", "name_en"]])
    table = table.rename_axis("catalogue_number").reset_index()
    table["number"] = np.arange(1, len(table) + 1)
    return table.reindex(columns=columns)
