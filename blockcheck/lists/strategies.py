"""Step 3: the strategy list (策略清单, 图5) and the policy list (政策清单, 图6).

Strategies are proposed per block by rules (``data/strategy_rules.toml``) over
the block's problems, the resources available to it and its residents'
demands; each row names the problem, resource and demand ids behind it.
Policies (``data/policies.toml``) are listed when a chosen strategy needs them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources as _res

import numpy as np
import pandas as pd

__all__ = [
    "StrategyRule",
    "build_policy_list",
    "build_strategy_list",
    "carried_strategies",
    "policy_catalogue",
    "strategy_catalogue",
    "strategy_rules",
]

_MAX_LISTED = 4


def _load(name: str) -> dict:
    return tomllib.loads(_res.files("blockcheck").joinpath(f"data/{name}").read_text("utf-8"))


@cache
def strategy_catalogue() -> pd.DataFrame:
    """The 图5 catalogue: key, code, type, point, point_en (36 strategies)."""
    return pd.DataFrame(_load("strategies.toml")["strategy"]).set_index("key")


@cache
def policy_catalogue() -> pd.DataFrame:
    """The 图6 catalogue: number, name, lead_departments, name_en, enables (strategy keys)."""
    return pd.DataFrame(_load("policies.toml")["policy"]).set_index("number")


@dataclass(frozen=True)
class StrategyRule:
    """One rule of ``data/strategy_rules.toml``."""

    id: str
    strategy: str
    rationale: str
    problems: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()


@cache
def strategy_rules() -> tuple[StrategyRule, ...]:
    """The packaged strategy rules (checked against the catalogue)."""
    rules = []
    keys = set(strategy_catalogue().index)
    for row in _load("strategy_rules.toml")["rule"]:
        rule = StrategyRule(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()})
        if rule.strategy not in keys:
            msg = f"strategy rule {rule.id}: unknown strategy {rule.strategy!r}"
            raise KeyError(msg)
        rules.append(rule)
    return tuple(rules)


def _evidence(frame: pd.DataFrame, block_col: str, key_col: str, id_col: str, label_col: str) -> pd.DataFrame:
    """Per (block, key): the ids and a short Chinese label list."""
    if frame.empty:
        return pd.DataFrame(columns=["block_id", "key", "ids", "labels"])
    grouped = frame.groupby([block_col, key_col], sort=True)
    out = grouped.agg(ids=(id_col, lambda s: sorted(set(map(str, s)))), labels=(label_col, lambda s: sorted(set(map(str, s)))))
    return out.reset_index().rename(columns={block_col: "block_id", key_col: "key"})


def _with_area_only(problems: pd.DataFrame, resources: pd.DataFrame, demands: pd.DataFrame) -> pd.DataFrame:
    """Block problem rows, plus each area-only row (its rule has no block rows) repeated for every known block."""
    if problems.empty:
        return problems
    blocks_rows = problems[problems["scope"] != "ALL"]
    area_only = problems[(problems["scope"] == "ALL") & ~problems["rule_id"].isin(blocks_rows["rule_id"])]
    known = pd.concat([blocks_rows["scope"], resources.get("block_id", pd.Series(dtype=object)), demands.get("block_id", pd.Series(dtype=object))]).dropna()
    known = pd.Series(sorted(set(known.astype(str)) - {"ALL"}), name="_block", dtype=object)
    spread = area_only.merge(known, how="cross").assign(scope=lambda f: f["_block"]).drop(columns="_block")
    return pd.concat([blocks_rows, spread], ignore_index=True)


def _summary(labels: list[str]) -> str:
    shown = "、".join(labels[:_MAX_LISTED])
    return shown + (f"等{len(labels)}项" if len(labels) > _MAX_LISTED else "")


def build_strategy_list(
    problems: pd.DataFrame,
    resources: pd.DataFrame,
    demands: pd.DataFrame,
    *,
    allocation: pd.DataFrame | None = None,
    rules: tuple[StrategyRule, ...] | None = None,
) -> pd.DataFrame:
    """Propose strategies per block.

    Parameters
    ----------
    problems
        The problem list (``id``, ``scope``, ``rule_id``, ``problem``). Area rows (``ALL``)
        count only for rules judged for the whole area alone (no block rows, e.g.
        job–housing): such a row is evidence in every block.
    resources
        The resource list (``resource_id``, ``block_id``, ``category``, ``status``).
    demands
        The demand list (``id``, ``block_id``, ``need_code``, ``need_zh``).
    allocation
        Optional allocation table (``resource_id``, ``block_id``): a resource
        allocated to another block within walking reach counts for that block too.
    rules
        The rules to apply; default :func:`strategy_rules` (``data/strategy_rules.toml``).

    Returns
    -------
    pandas.DataFrame
        One row per block and strategy (first firing rule wins; the evidence of
        every firing rule for that pair is merged): ``block_id``, ``strategy_key``,
        ``code`` (e.g. 【利用闲置】), ``type``, ``point``, ``point_en``, ``rationale``,
        ``problem_ids``, ``resource_ids``, ``demand_ids``, ``rule_ids``.
    """
    rules = rules or strategy_rules()
    catalogue = strategy_catalogue()
    block_problems = _with_area_only(problems, resources, demands)
    p_ev = _evidence(block_problems, "scope", "rule_id", "id", "problem")
    usable = resources[resources["status"] != "rejected"] if not resources.empty else resources
    if allocation is not None and not allocation.empty and not usable.empty:
        reach = allocation[["resource_id", "block_id"]].merge(usable.drop(columns="block_id"), on="resource_id")
        usable = pd.concat([usable, reach], ignore_index=True).drop_duplicates(["resource_id", "block_id"])
    if not usable.empty:
        usable = usable.assign(_label=usable["category"].map(_RESOURCE_ZH).fillna(usable["category"]))
    r_ev = _evidence(usable, "block_id", "category", "resource_id", "_label") if not usable.empty else _evidence(pd.DataFrame(), "", "", "", "")
    d_ev = _evidence(demands[demands["block_id"].notna()], "block_id", "need_code", "id", "need_zh") if not demands.empty else _evidence(pd.DataFrame(), "", "", "", "")
    groups = {"problems": p_ev, "resources": r_ev, "demands": d_ev}
    rows = []
    for order, rule in enumerate(rules):
        fired: set | None = None
        found = {}
        for name in ("problems", "resources", "demands"):
            wanted = getattr(rule, name)
            if not wanted:
                continue
            ev = groups[name]
            hits = ev[ev["key"].isin(wanted)]
            found[name] = hits
            blocks = set(hits["block_id"])
            fired = blocks if fired is None else fired & blocks
        for block in sorted(fired or ()):
            evidence = {n: h[h["block_id"] == block] for n, h in found.items()}
            ids = {n: sorted({i for lst in h["ids"] for i in lst}) for n, h in evidence.items()}
            labels = {n: sorted({x for lst in h["labels"] for x in lst}) for n, h in evidence.items()}
            text = rule.rationale.format_map({n: _summary(labels.get(n, [])) for n in ("problems", "resources", "demands")})
            rows.append({"block_id": block, "strategy_key": rule.strategy, "rationale": text, "_order": order,
                         "problem_ids": ids.get("problems", []), "resource_ids": ids.get("resources", []),
                         "demand_ids": ids.get("demands", []), "rule_ids": [rule.id]})
    columns = ["block_id", "strategy_key", "code", "type", "point", "point_en", "rationale", "problem_ids", "resource_ids", "demand_ids", "rule_ids"]
    if not rows:
        return pd.DataFrame(columns=columns)
    raw = pd.DataFrame(rows)
    merged = raw.groupby(["block_id", "strategy_key"], sort=False).agg(
        rationale=("rationale", lambda s: "；".join(dict.fromkeys(s))),
        _order=("_order", "min"),
        **{c: (c, lambda s: ",".join(sorted({i for lst in s for i in lst}))) for c in ("problem_ids", "resource_ids", "demand_ids", "rule_ids")},
    ).reset_index()
    merged = merged.join(catalogue[["code", "type", "point", "point_en"]], on="strategy_key")
    merged["code"] = "【" + merged["code"] + "】"
    type_order = {t: i for i, t in enumerate(dict.fromkeys(catalogue["type"]))}
    merged["_type"] = merged["type"].map(type_order)
    merged = merged.sort_values(["block_id", "_type", "_order"], kind="stable")
    return merged[columns].reset_index(drop=True)


_RESOURCE_ZH = {
    "idle_site": "闲置场地", "low_quality_space": "低品质空间", "planned_new_land": "可利用规划新建用地",
    "retained_land": "其他现状保留空间", "idle_room": "小区闲置用房", "low_efficiency_building": "低效楼宇",
    "roof": "建筑屋顶", "expandable_facility": "可扩容设施", "underground": "地下空间", "retained_building": "其他现状保留建筑",
}


def carried_strategies(strategies: pd.DataFrame, placements: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """Strategy rows for projects whose strategy no rule proposed in their site block.

    A project carries a strategy onto its block (METHOD.md); where the rules of
    ``data/strategy_rules.toml`` did not propose it there (e.g. facilities on an
    idle site serving a neighbouring block), a row is added with rule id
    ``placement``, the problems the placements answer and their resources.

    Returns
    -------
    pandas.DataFrame
        Rows in the layout of :func:`build_strategy_list` (none when nothing is missing).
    """
    from .project_catalogue import project_settings

    columns = ["block_id", "strategy_key", "code", "type", "point", "point_en", "rationale", "problem_ids", "resource_ids", "demand_ids", "rule_ids"]
    if placements.empty:
        return pd.DataFrame(columns=columns)
    have = pd.MultiIndex.from_frame(strategies[["block_id", "strategy_key"]].astype(str)) if len(strategies) else pd.MultiIndex.from_tuples([], names=["block_id", "strategy_key"])
    p = placements.assign(block_id=placements["site_block"].astype(str))
    missing = p[~pd.MultiIndex.from_frame(p[["block_id", "strategy_key"]]).isin(have)]
    if missing.empty:
        return pd.DataFrame(columns=columns)
    answers = pd.DataFrame([(k, r) for k, v in project_settings()["kinds"].items() for r in v["answers"]], columns=["kind", "rule"])
    pairs = missing[["block_id", "strategy_key", "kind", "served_block"]].merge(answers, on="kind")
    pairs = pairs.assign(id="PB-" + pairs["served_block"].astype(str) + "-" + pairs["rule"]).merge(problems[["id", "problem"]], on="id")
    grouped = missing.groupby(["block_id", "strategy_key"], sort=True)
    out = pd.DataFrame({"resource_ids": grouped["resource_id"].agg(lambda s: ",".join(sorted({str(x) for x in s.dropna()}))),
                        "_word": grouped["word"].first()})
    keyed = pairs.groupby(["block_id", "strategy_key"])
    out["problem_ids"] = keyed["id"].agg(lambda s: ",".join(sorted(set(s))))
    out["_problems"] = keyed["problem"].agg(lambda s: _summary(sorted(set(s))))
    out = out.reset_index()
    out["rationale"] = out["_problems"].fillna("").where(out["_problems"].notna(), "") + np.where(out["_problems"].notna(), "；", "") + "落实于" + out["_word"] + "的项目"
    catalogue = strategy_catalogue()
    out = out.join(catalogue[["code", "type", "point", "point_en"]], on="strategy_key")
    out["code"] = "【" + out["code"] + "】"
    return out.assign(demand_ids="", rule_ids="placement").reindex(columns=columns)


def build_policy_list(strategy_list: pd.DataFrame, *, projects: pd.DataFrame | None = None, opened: pd.DataFrame | None = None) -> pd.DataFrame:
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
    columns = ["number", "name", "lead_departments", "name_en", "strategy_codes", "blocks", "catalogue_number", "strategy_ids", "project_ids", "task_ids"]
    enables = catalogue["enables"].explode().rename("strategy_key").rename_axis("catalogue_number").reset_index()
    enables["order"] = np.arange(len(enables))
    s = strategy_list if not strategy_list.empty else pd.DataFrame(columns=["block_id", "strategy_key"])
    s = s.assign(sid=s["id"] if "id" in s else "ST-" + s["block_id"].astype(str) + "-" + s["strategy_key"].astype(str))
    used = enables.merge(s[["strategy_key", "block_id", "sid"]], on="strategy_key")
    by = used.groupby("catalogue_number")
    table = pd.DataFrame({
        "strategy_codes": used.drop_duplicates(["catalogue_number", "strategy_key"]).sort_values("order")
        .groupby("catalogue_number")["strategy_key"].agg(lambda k: "、".join(f"【{codes[x]}】" for x in k)),
        "strategy_ids": by["sid"].agg(lambda v: ",".join(sorted(set(v)))),
    })
    blocks = used[["catalogue_number", "block_id"]]
    if projects is not None and len(projects):
        links = projects[["project_id"]].assign(sid=projects["strategy_ids"].astype(object).fillna("").astype(str).str.split(",")).explode("sid").merge(used[["catalogue_number", "sid"]], on="sid")
        table["project_ids"] = links.drop_duplicates(["catalogue_number", "project_id"]).sort_values("project_id").groupby("catalogue_number")["project_id"].agg(",".join)
    if opened is not None and len(opened):
        named = opened[["id", "block_id"]].assign(catalogue_number=opened["unlock"].astype(object).fillna("").astype(str).str.split(",")).explode("catalogue_number")
        named = named[named["catalogue_number"] != ""].astype({"catalogue_number": int})
        table = table.reindex(table.index.union(pd.Index(named["catalogue_number"].unique())))
        table["task_ids"] = named.sort_values("id").groupby("catalogue_number")["id"].agg(",".join)
        blocks = pd.concat([blocks, named[["catalogue_number", "block_id"]]])
    table["blocks"] = blocks.groupby("catalogue_number")["block_id"].agg(lambda v: ",".join(sorted(set(map(str, v)))))
    table = table.sort_index().join(catalogue[["name", "lead_departments", "name_en"]])
    table = table.rename_axis("catalogue_number").reset_index()
    table["number"] = np.arange(1, len(table) + 1)
    return table.reindex(columns=columns)
