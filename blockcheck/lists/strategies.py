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

import pandas as pd

__all__ = [
    "StrategyRule",
    "build_policy_list",
    "build_strategy_list",
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
        The problem list (``id``, ``scope``, ``rule_id``, ``problem``); area rows are ignored.
    resources
        The resource list (``resource_id``, ``block_id``, ``category``, ``status``).
    demands
        The demand list (``id``, ``block_id``, ``need_code``, ``need_zh``).
    allocation
        Optional allocation table (``resource_id``, ``block_id``): a resource
        allocated to another block within walking reach counts for that block too.

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
    block_problems = problems[problems["scope"] != "ALL"] if not problems.empty else problems
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


def build_policy_list(strategy_list: pd.DataFrame) -> pd.DataFrame:
    """The policies (图6) the chosen strategies need, numbered as in 图6.

    Returns
    -------
    pandas.DataFrame
        ``number``, ``name``, ``lead_departments``, ``name_en``, ``strategy_codes``
        (the chosen strategies it enables) and ``blocks`` (block ids), in 图6 order.
    """
    catalogue = policy_catalogue()
    chosen = set(strategy_list["strategy_key"]) if not strategy_list.empty else set()
    codes = strategy_catalogue()["code"]
    rows = []
    for number, policy in catalogue.iterrows():
        keys = [k for k in policy["enables"] if k in chosen]
        if not keys:
            continue
        blocks = sorted(set(strategy_list.loc[strategy_list["strategy_key"].isin(keys), "block_id"]))
        rows.append({"number": int(number), "name": policy["name"], "lead_departments": policy["lead_departments"],
                     "name_en": policy["name_en"], "strategy_codes": "、".join(f"【{codes[k]}】" for k in keys), "blocks": ",".join(blocks)})
    return pd.DataFrame(rows, columns=["number", "name", "lead_departments", "name_en", "strategy_codes", "blocks"])
