"""Step 4: the task list (任务清单, 图7) and what no resource can carry yet (待落实).

Per block, four rows in the 图7 layout say what its projects build: the three
facilities (三大设施: public service, municipal and transport facilities), roads
(道路), green (绿化) and other works (其他). Every problem the projects leave
(partly) open becomes a further row with status ``open`` (待落实) that names the
policies (政策清单, 图6) that would unlock it (``[unlock]`` of
``data/projects.toml``), so each problem of the problem list is answered by a
project, or by a task saying what is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.lists._grouped import joined, joined_in_order
from blockcheck.lists.amounts import format_amount, whole_units
from blockcheck.lists.ids import AREA_SCOPE, open_task_id, placement_project_id, task_id
from blockcheck.lists.project_catalogue import project_settings

__all__ = ["OPEN_COLUMNS", "TASK_COLUMNS", "TASK_TYPES", "build_task_list", "open_items"]

#: The task types of 图7 in order (``data/vocabulary.toml`` domain ``task_type``).
TASK_TYPES = vocabulary.codes("task_type")
#: Columns of :func:`build_task_list`, in order.
TASK_COLUMNS = (
    "id",
    "block_id",
    "task_type",
    "land_area_ha",
    "contents",
    "status",
    "strategy_codes",
    "project_ids",
    "problem_ids",
    "policy_numbers",
    "open_amount",
    "amount_unit",
)
#: Columns of :func:`open_items`, in order.
OPEN_COLUMNS = (
    "id",
    "block_id",
    "rule_id",
    "problem_id",
    "problem",
    "kind",
    "task_type",
    "need",
    "closed",
    "open_amount",
    "unlock",
    "project_ids",
)
_TOLERANCE = 1e-6


def _rule_kinds() -> pd.DataFrame:
    """Rule → the kind whose need measures it (first ``answers`` rule of a kind with a ``need``) and a task type."""
    kinds = project_settings()["kinds"]
    measured = pd.DataFrame(
        [(v["answers"][0], k) for k, v in kinds.items() if v.get("need") and v["answers"]], columns=["rule_id", "kind"]
    )
    typed = pd.DataFrame(
        [(r, v["task_type"]) for v in kinds.values() for r in v["answers"]], columns=["rule_id", "task_type"]
    ).drop_duplicates("rule_id")
    return typed.merge(measured, on="rule_id", how="outer").drop_duplicates("rule_id")


def open_items(
    problems: pd.DataFrame, placements: pd.DataFrame, needs: pd.DataFrame, projects: pd.DataFrame
) -> pd.DataFrame:
    """The problems the projects leave open, one row per problem row (block, or ``ALL`` for area-only problems).

    A block's problem measured by a kind's need (``gap_…``, parking, coverage
    counts, park m²) stays open by ``need − Σ placements serving the block``;
    any other problem row is open when no project answers it (its id is in
    no project's ``problem_ids``). An area row (``ALL``) is open when no
    project answers it and it has no block rows (job–housing, industry).

    Returns
    -------
    pandas.DataFrame
        :data:`OPEN_COLUMNS`: ``id`` ``TK-<block>-待落实-<rule>``, ``need``,
        ``closed`` and ``open_amount`` in the kind's unit (NaN when not
        measured), ``unlock`` (图6 policy numbers), ``project_ids`` (projects
        answering it in part).
    """
    cfg = project_settings()
    rows = problems[["id", "scope", "rule_id", "problem"]].rename(columns={"id": "problem_id", "scope": "block_id"})
    answered = (
        projects[["project_id", "problem_ids"]]
        .assign(problem_id=projects["problem_ids"].astype(object).fillna("").astype(str).str.split(","))
        .explode("problem_id")
    )
    by_problem = joined_in_order(
        answered[answered["problem_id"] != ""].sort_values("project_id"), ["problem_id"], "project_id", ","
    )
    rows = rows.assign(project_ids=rows["problem_id"].map(by_problem)).merge(_rule_kinds(), on="rule_id", how="left")
    stacked = (
        needs.rename_axis(index="block_id", columns="kind")
        .stack()
        .rename("need")
        .reset_index()
        .astype({"block_id": str})
    )
    closed = (
        placements.groupby([placements["served_block"].astype(str).rename("block_id"), "kind"])["amount"]
        .sum()
        .rename("closed")
        .reset_index()
    )
    rows = rows.merge(stacked, on=["block_id", "kind"], how="left").merge(closed, on=["block_id", "kind"], how="left")
    measured = rows["kind"].notna() & rows["need"].gt(0)
    rows["closed"] = rows["closed"].fillna(0.0).where(measured)
    rows["open_amount"] = (rows["need"] - rows["closed"]).clip(lower=0.0).where(measured)
    open_measured = measured & (rows["open_amount"] > _TOLERANCE * rows["need"].clip(lower=1.0))
    area_only = (rows["block_id"] == AREA_SCOPE) & ~rows["rule_id"].isin(
        rows.loc[rows["block_id"] != AREA_SCOPE, "rule_id"]
    )
    unanswered = ~measured & rows["project_ids"].isna() & ((rows["block_id"] != AREA_SCOPE) | area_only)
    out = rows[open_measured | unanswered].copy()
    out["task_type"] = out["task_type"].fillna("其他")
    unlock = {rule: ",".join(str(n) for n in numbers) for rule, numbers in cfg["unlock"].items()}
    out["unlock"] = out["rule_id"].map(unlock).fillna("")
    out["id"] = open_task_id(out["block_id"], out["rule_id"])
    return out[list(OPEN_COLUMNS)].reset_index(drop=True)


def _policy_text(unlock: pd.Series, policies: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Listed policy numbers (comma text) and ``政策3「…」、政策7「…」`` for 图6 numbers in `unlock`."""
    listed = (
        policies.set_index("catalogue_number")
        if len(policies) and "catalogue_number" in policies
        else pd.DataFrame(columns=["number", "name"])
    )
    pairs = unlock.astype(object).fillna("").astype(str).str.split(",").explode()
    pairs = pairs[pairs != ""].astype(int)
    hit = pd.DataFrame({"row": pairs.index, "cat": pairs.to_numpy()}).merge(
        listed[["number", "name"]], left_on="cat", right_index=True
    )
    hit = hit.sort_values(["row", "number"])
    hit = hit.assign(n=hit["number"].astype(int).astype(str))
    hit = hit.assign(t="政策" + hit["n"] + "「" + hit["name"] + "」")
    numbers = joined_in_order(hit, ["row"], "n", ",").reindex(unlock.index)
    text = joined_in_order(hit, ["row"], "t", "、").reindex(unlock.index)
    return numbers, text


def _carried(placements: pd.DataFrame, projects: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """Four 图7 rows per block with projects: what they build, their land and strategies."""
    from blockcheck.lists.strategies import strategy_catalogue

    kinds = pd.DataFrame(project_settings()["kinds"]).T[["task_type", "task_label"]]
    p = placements.join(kinds, on="kind").assign(block_id=placements["site_block"].astype(str))
    p["project_id"] = placement_project_id(p["block_id"], p["kind"], p["source"], p["group"])
    p = p[p["project_id"].isin(projects["project_id"])]
    labels = (
        p[p["kind"] != "road_km"]
        .groupby(["block_id", "task_type", "task_label"], sort=False)["site_id"]
        .nunique()
        .rename("n")
        .reset_index()
    )
    labels["t"] = labels["task_label"] + " " + labels["n"].astype(str) + " 处"
    text = joined_in_order(labels, ["block_id", "task_type"], "t", "，")
    roads = p[p["kind"] == "road_km"].groupby("block_id").agg(n=("site_id", "nunique"), km=("amount", "sum"))
    road_text = (
        "规划道路 " + roads["n"].astype(str) + " 条，共 " + roads["km"].map(lambda v: format_amount(v, "km", sep=" "))
    )
    text = pd.concat(
        [
            text,
            road_text.set_axis(
                pd.MultiIndex.from_arrays([road_text.index, ["道路"] * len(road_text)], names=["block_id", "task_type"])
            ),
        ]
    )
    land = p.groupby(["block_id", "task_type"])["land_m2"].sum() / 1e4
    codes = strategy_catalogue()["code"]
    order = {k: i for i, k in enumerate(codes.index)}
    keyed = (
        p[["block_id", "task_type", "strategy_key"]]
        .drop_duplicates()
        .assign(o=lambda f: f["strategy_key"].map(order))
        .sort_values("o")
    )
    strategy_codes = joined_in_order(
        keyed.assign(c="【" + keyed["strategy_key"].map(codes) + "】"), ["block_id", "task_type"], "c", ""
    )
    ids = joined(p, ["block_id", "task_type"], "project_id")
    with_projects = blocks.index.astype(str)[blocks.index.astype(str).isin(p["block_id"])]
    grid = pd.MultiIndex.from_product([with_projects, TASK_TYPES], names=["block_id", "task_type"])
    out = pd.DataFrame(index=grid).reset_index()
    key = pd.MultiIndex.from_frame(out[["block_id", "task_type"]])
    out["contents"] = text.reindex(key).fillna("——").to_numpy()
    out["land_area_ha"] = whole_units(land.reindex(key).fillna(0.0).to_numpy(), "ha")
    out["strategy_codes"] = strategy_codes.reindex(key).to_numpy()
    out["project_ids"] = ids.reindex(key).to_numpy()
    out["status"] = np.where(out["contents"] != "——", "carried", None)
    out["id"] = task_id(out["block_id"], out["task_type"])
    return out


def build_task_list(
    blocks: pd.DataFrame,
    placements: pd.DataFrame,
    projects: pd.DataFrame,
    opened: pd.DataFrame,
    policies: pd.DataFrame,
    strategies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The task list: 图7 rows per block from its projects, then one 待落实 row per open problem.

    Parameters
    ----------
    blocks
        Blocks indexed by ``block_id`` (their order is the list's).
    placements, projects
        As given to and returned by :func:`blockcheck.lists.projects.build_project_list`.
    opened
        :func:`open_items`.
    policies
        The policy list (``number``, ``catalogue_number``, ``name``): 待落实
        rows name the listed numbers.
    strategies
        The strategy list: a 待落实 row lists the codes of the block's
        strategies answering its problem.

    Returns
    -------
    pandas.DataFrame
        :data:`TASK_COLUMNS`. ``status`` is ``carried`` (projects carry it),
        ``open`` (待落实) or empty (a ``——`` row). A 待落实 row's ``contents``
        says what is open and which policies would unlock it, e.g.
        ``停车位缺口大：缺口约2,300个待落实；需出台政策9「…」``.
    """
    carried = _carried(placements, projects, blocks)
    o = opened.copy()
    numbers, names = _policy_text(o["unlock"], policies)
    kind = o["kind"].fillna("")
    amount = _amount_text(o["open_amount"], kind)
    done = _amount_text(o["closed"].where(o["closed"] > 0), kind)
    still_open = vocabulary.label("task_status", "open")  # 待落实
    what = pd.Series(np.where(amount != "", "缺口约" + amount + still_open, still_open), index=o.index)
    what = what + np.where(done != "", "（已有项目补足" + done + "）", "")
    rest = np.where(done != "", "其余部分现有资源无法承载", "现有资源无法承载")
    o["contents"] = (
        o["problem"] + "：" + what + "；" + rest + np.where(names.notna(), "，需出台" + names.fillna(""), "")
    )
    o["policy_numbers"] = numbers
    o["status"] = "open"
    o["problem_ids"] = o["problem_id"]
    o["amount_unit"] = o["kind"]
    o["land_area_ha"] = np.nan
    o["strategy_codes"] = _answering_codes(o, strategies)
    type_order = {t: i for i, t in enumerate(TASK_TYPES)}
    block_order = {b: i for i, b in enumerate([AREA_SCOPE, *blocks.index.astype(str)])}
    out = pd.concat([carried.assign(_open=0), o.assign(_open=1)], ignore_index=True)
    out = out.assign(_b=out["block_id"].map(block_order).fillna(len(block_order)), _t=out["task_type"].map(type_order))
    out = out.sort_values(["_b", "_open", "_t", "id"], kind="stable")
    return out.reindex(columns=list(TASK_COLUMNS)).reset_index(drop=True)


def _amount_text(values: pd.Series, kinds: pd.Series) -> pd.Series:
    """Each amount rounded as a project carries it and in words (:func:`format_amount`), ``""`` where NaN.

    The rounding is one vectorised call per kind; each value is then written once.
    """
    rounded = pd.Series(np.nan, index=values.index)
    for kind, rows in kinds.groupby(kinds, sort=False).indices.items():  # one rounding per kind (catalogue)
        rounded.iloc[rows] = whole_units(values.iloc[rows].to_numpy("float64"), kind)
    text = [format_amount(v, k) if pd.notna(v) else "" for v, k in zip(rounded, kinds, strict=True)]
    return pd.Series(text, index=values.index, dtype=object)


def _answering_codes(opened: pd.DataFrame, strategies: pd.DataFrame | None) -> pd.Series:
    """Codes (【…】) of the strategies whose problem ids include each open row's problem."""
    if strategies is None or strategies.empty:
        return pd.Series(None, index=opened.index, dtype=object)
    pairs = (
        strategies[["code", "problem_ids"]]
        .assign(problem_id=strategies["problem_ids"].astype(object).fillna("").astype(str).str.split(","))
        .explode("problem_id")
    )
    codes = joined_in_order(
        pairs[pairs["problem_id"] != ""].drop_duplicates(["problem_id", "code"]), ["problem_id"], "code", ""
    )
    return opened["problem_id"].map(codes)
