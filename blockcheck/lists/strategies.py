"""The strategy list (策略清单, 图5).

Strategies are proposed per block by rules (``data/strategy_rules.toml``) over
the block's problems, the resources available to it and its residents'
demands; each row names the problem, resource and demand ids behind it.
The policies they need are :mod:`blockcheck.lists.policies`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources as _res

import numpy as np
import pandas as pd

from blockcheck.lists.ids import AREA_SCOPE, problem_id
from blockcheck.lists.schema import value_labels

__all__ = [
    "load_catalogue",
    "StrategyRule",
    "build_strategy_list",
    "carried_strategies",
    "strategy_catalogue",
    "strategy_rules",
]

_MAX_LISTED = 4


def load_catalogue(name: str) -> dict:
    """A catalogue of ``blockcheck/data`` (strategies, policies, strategy rules) as parsed."""
    return tomllib.loads(_res.files("blockcheck").joinpath(f"data/{name}").read_text("utf-8"))


@cache
def strategy_catalogue() -> pd.DataFrame:
    """The 图5 catalogue: key, code, type, point, point_en (36 strategies)."""
    return pd.DataFrame(load_catalogue("strategies.toml")["strategy"]).set_index("key")


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
    for row in load_catalogue("strategy_rules.toml")["rule"]:
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
    out = grouped.agg(
        ids=(id_col, lambda s: sorted(set(map(str, s)))), labels=(label_col, lambda s: sorted(set(map(str, s))))
    )
    return out.reset_index().rename(columns={block_col: "block_id", key_col: "key"})


def _with_area_only(problems: pd.DataFrame, resources: pd.DataFrame, demands: pd.DataFrame) -> pd.DataFrame:
    """Block problem rows, plus each area-only row (its rule has no block rows) repeated for every known block."""
    if problems.empty:
        return problems
    blocks_rows = problems[problems["scope"] != AREA_SCOPE]
    area_only = problems[(problems["scope"] == AREA_SCOPE) & ~problems["rule_id"].isin(blocks_rows["rule_id"])]
    known = pd.concat(
        [
            blocks_rows["scope"],
            resources.get("block_id", pd.Series(dtype=object)),
            demands.get("block_id", pd.Series(dtype=object)),
        ]
    ).dropna()
    known = pd.Series(sorted(set(known.astype(str)) - {AREA_SCOPE}), name="_block", dtype=object)
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
        usable = usable.assign(_label=usable["category"].map(value_labels("resource_list", "category")).fillna(usable["category"]))
    r_ev = (
        _evidence(usable, "block_id", "category", "resource_id", "_label")
        if not usable.empty
        else _evidence(pd.DataFrame(), "", "", "", "")
    )
    d_ev = (
        _evidence(demands[demands["block_id"].notna()], "block_id", "need_code", "id", "need_zh")
        if not demands.empty
        else _evidence(pd.DataFrame(), "", "", "", "")
    )
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
            text = rule.rationale.format_map(
                {n: _summary(labels.get(n, [])) for n in ("problems", "resources", "demands")}
            )
            rows.append(
                {
                    "block_id": block,
                    "strategy_key": rule.strategy,
                    "rationale": text,
                    "_order": order,
                    "problem_ids": ids.get("problems", []),
                    "resource_ids": ids.get("resources", []),
                    "demand_ids": ids.get("demands", []),
                    "rule_ids": [rule.id],
                }
            )
    columns = [
        "block_id",
        "strategy_key",
        "code",
        "type",
        "point",
        "point_en",
        "rationale",
        "problem_ids",
        "resource_ids",
        "demand_ids",
        "rule_ids",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    raw = pd.DataFrame(rows)
    merged = (
        raw.groupby(["block_id", "strategy_key"], sort=False)
        .agg(
            rationale=("rationale", lambda s: "；".join(dict.fromkeys(s))),
            _order=("_order", "min"),
            **{
                c: (c, lambda s: ",".join(sorted({i for lst in s for i in lst})))
                for c in ("problem_ids", "resource_ids", "demand_ids", "rule_ids")
            },
        )
        .reset_index()
    )
    merged = merged.join(catalogue[["code", "type", "point", "point_en"]], on="strategy_key")
    merged["code"] = "【" + merged["code"] + "】"
    type_order = {t: i for i, t in enumerate(dict.fromkeys(catalogue["type"]))}
    merged["_type"] = merged["type"].map(type_order)
    merged = merged.sort_values(["block_id", "_type", "_order"], kind="stable")
    return merged[columns].reset_index(drop=True)




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
    from blockcheck.lists.project_catalogue import project_settings

    columns = [
        "block_id",
        "strategy_key",
        "code",
        "type",
        "point",
        "point_en",
        "rationale",
        "problem_ids",
        "resource_ids",
        "demand_ids",
        "rule_ids",
    ]
    if placements.empty:
        return pd.DataFrame(columns=columns)
    have = (
        pd.MultiIndex.from_frame(strategies[["block_id", "strategy_key"]].astype(str))
        if len(strategies)
        else pd.MultiIndex.from_tuples([], names=["block_id", "strategy_key"])
    )
    p = placements.assign(block_id=placements["site_block"].astype(str))
    missing = p[~pd.MultiIndex.from_frame(p[["block_id", "strategy_key"]]).isin(have)]
    if missing.empty:
        return pd.DataFrame(columns=columns)
    answers = pd.DataFrame(
        [(k, r) for k, v in project_settings()["kinds"].items() for r in v["answers"]], columns=["kind", "rule"]
    )
    pairs = missing[["block_id", "strategy_key", "kind", "served_block"]].merge(answers, on="kind")
    pairs = pairs.assign(id=problem_id(pairs["served_block"], pairs["rule"])).merge(
        problems[["id", "problem"]], on="id"
    )
    grouped = missing.groupby(["block_id", "strategy_key"], sort=True)
    out = pd.DataFrame(
        {
            "resource_ids": grouped["resource_id"].agg(lambda s: ",".join(sorted({str(x) for x in s.dropna()}))),
            "_word": grouped["word"].first(),
        }
    )
    keyed = pairs.groupby(["block_id", "strategy_key"])
    out["problem_ids"] = keyed["id"].agg(lambda s: ",".join(sorted(set(s))))
    out["_problems"] = keyed["problem"].agg(lambda s: _summary(sorted(set(s))))
    out = out.reset_index()
    out["rationale"] = (
        out["_problems"].fillna("").where(out["_problems"].notna(), "")
        + np.where(out["_problems"].notna(), "；", "")
        + "落实于"
        + out["_word"]
        + "的项目"
    )
    catalogue = strategy_catalogue()
    out = out.join(catalogue[["code", "type", "point", "point_en"]], on="strategy_key")
    out["code"] = "【" + out["code"] + "】"
    return out.assign(demand_ids="", rule_ids="placement").reindex(columns=columns)
