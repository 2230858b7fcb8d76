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

from blockcheck.catalogue import load_data, require_tables
from blockcheck.lists._grouped import as_text, joined, joined_in_order
from blockcheck.lists.ids import strategy_id
from blockcheck.lists.strategies import strategy_catalogue

__all__ = ["POLICY_LIST_LAYER", "build_policy_list", "policy_catalogue"]

POLICY_LIST_LAYER = "policy_list"


@cache
def policy_catalogue() -> pd.DataFrame:
    """The 图6 catalogue: number, name, lead_departments, name_en, enables (strategy keys)."""
    return pd.DataFrame(require_tables(load_data("policies.toml"), "policy")).set_index("number")


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
    keyed = used.drop_duplicates(["catalogue_number", "strategy_key"]).sort_values("order")
    keyed = keyed.assign(code="【" + keyed["strategy_key"].map(codes) + "】")
    table = pd.DataFrame(
        {
            "strategy_codes": joined_in_order(keyed, ["catalogue_number"], "code", "、"),
            "strategy_ids": joined(used, ["catalogue_number"], "sid"),
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
        table["project_ids"] = joined(links, ["catalogue_number"], "project_id")
    if opened is not None and len(opened):
        named = (
            opened[["id", "block_id"]]
            .assign(catalogue_number=opened["unlock"].astype(object).fillna("").astype(str).str.split(","))
            .explode("catalogue_number")
        )
        named = named[named["catalogue_number"] != ""].astype({"catalogue_number": int})
        table = table.reindex(table.index.union(pd.Index(named["catalogue_number"].unique())))
        table["task_ids"] = joined_in_order(named.sort_values("id"), ["catalogue_number"], "id", ",")
        blocks = pd.concat([blocks, named[["catalogue_number", "block_id"]]])
    table["blocks"] = joined(blocks.assign(block_id=as_text(blocks["block_id"])), ["catalogue_number"], "block_id")
    table = table.sort_index().join(catalogue[["name", "lead_departments", "name_en"]])
    table = table.rename_axis("catalogue_number").reset_index()
    table["number"] = np.arange(1, len(table) + 1)
    return table.reindex(columns=columns)
