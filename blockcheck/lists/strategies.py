"""The strategy list (策略清单, 图5).

Strategies are proposed per block by rules (``data/strategy_rules.toml``) over
the block's problems, the resources available to it and its residents'
demands; each row names the problem, resource and demand ids behind it.
The policies they need are :mod:`blockcheck.lists.policies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.catalogue import build, load_data, location, require_tables
from blockcheck.errors import CatalogueError
from blockcheck.lists._grouped import as_text, filled, join_runs, joined, joined_in_order, sorted_unique
from blockcheck.lists.ids import AREA_SCOPE, problem_id

__all__ = [
    "StrategyRule",
    "build_strategy_list",
    "carried_strategies",
    "strategy_catalogue",
    "strategy_rules",
]

_MAX_LISTED = 4


@cache
def strategy_catalogue() -> pd.DataFrame:
    """The 图5 catalogue: key, code, type, point, point_en (36 strategies)."""
    return pd.DataFrame(require_tables(load_data("strategies.toml"), "strategy")).set_index("key")


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
    for row in require_tables(load_data("strategy_rules.toml"), "rule"):
        rule = build(StrategyRule, row, {"problems": list, "resources": list, "demands": list})
        if rule.strategy not in keys:
            msg = f"{location(row, 'strategy')} = {rule.strategy!r} is not a key of blockcheck/data/strategies.toml."
            raise CatalogueError(msg)
        rules.append(rule)
    return tuple(rules)


_EVIDENCE = ("problems", "resources", "demands")
_EVIDENCE_COLUMNS = ["kind", "block_id", "key", "id", "label"]
_COLUMNS = [
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


def _evidence(
    frame: pd.DataFrame, name: str, keys: list[str], block_col: str, key_col: str, id_col: str, label_col: str
) -> pd.DataFrame:
    """The long evidence table of one kind of evidence: ``kind``, ``block_id``, ``key``, ``id``, ``label``.

    One row per row of `frame` that has a block and one of the `keys` some rule
    names; ``kind`` is the position of `name` in :data:`_EVIDENCE`, ids and
    labels are text.
    """
    if frame.empty:
        return pd.DataFrame(columns=_EVIDENCE_COLUMNS)
    rows = frame[frame[block_col].notna().to_numpy() & frame[key_col].isin(keys).to_numpy()]
    return pd.DataFrame(
        {
            "kind": _EVIDENCE.index(name),
            "block_id": rows[block_col].to_numpy(),
            "key": rows[key_col].to_numpy(),
            "id": as_text(rows[id_col]).to_numpy(),
            "label": as_text(rows[label_col]).to_numpy(),
        }
    )


def _with_area_only(problems: pd.DataFrame, resources: pd.DataFrame, demands: pd.DataFrame) -> pd.DataFrame:
    """Block problem rows, plus each area-only row (its rule has no block rows) repeated for every known block."""
    if problems.empty:
        return problems
    blocks_rows = problems[problems["scope"] != AREA_SCOPE]
    area_only = problems[(problems["scope"] == AREA_SCOPE) & ~problems["rule_id"].isin(blocks_rows["rule_id"])]
    if area_only.empty:
        return blocks_rows
    known = pd.concat(
        [
            pd.Series(pd.unique(frame.get(column, pd.Series(dtype=object))), dtype=object)
            for frame, column in ((blocks_rows, "scope"), (resources, "block_id"), (demands, "block_id"))
        ]
    ).dropna()
    known = pd.Series(sorted(set(known.astype(str)) - {AREA_SCOPE}), name="_block", dtype=object)
    spread = area_only.merge(known, how="cross").assign(scope=lambda f: f["_block"]).drop(columns="_block")
    return pd.concat([blocks_rows, spread], ignore_index=True)


def _usable(resources: pd.DataFrame, allocation: pd.DataFrame | None, categories: list[str]) -> pd.DataFrame:
    """The resources of `categories` not rejected, in their block and in each block they are allocated to, labelled.

    Columns ``resource_id``, ``block_id``, ``category`` and ``_label`` (the category's Chinese label).
    """
    if resources.empty:
        return resources
    keep = resources["category"].isin(categories).to_numpy() & (resources["status"] != "rejected").to_numpy()
    usable = resources.loc[keep, ["resource_id", "block_id", "category"]]  # the columns the evidence reads
    if allocation is not None and not allocation.empty and not usable.empty:
        reach = allocation[["resource_id", "block_id"]].merge(usable.drop(columns="block_id"), on="resource_id")
        usable = pd.concat([usable, reach], ignore_index=True).drop_duplicates(["resource_id", "block_id"])
    if usable.empty:
        return usable
    labels = vocabulary.labels("resource_category")
    return usable.assign(_label=usable["category"].map(labels).fillna(usable["category"]))


def _summaries(labels: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per `keys`, the sorted unique ``label`` values: the first four joined by ``、``, then ``等N项`` if more."""
    unique = labels[[*keys, "label"]].drop_duplicates().sort_values([*keys, "label"], kind="stable")
    rank = unique.groupby(keys, sort=False).cumcount()
    count = unique.groupby(keys)["label"].size()
    shown = joined_in_order(unique[rank.to_numpy() < _MAX_LISTED], keys, "label", "、")
    more = pd.Series(np.where(count > _MAX_LISTED, "等" + count.astype(str) + "项", ""), index=count.index)
    return (shown + more.reindex(shown.index)).rename("summary")


def _rationales(fired: pd.DataFrame, summaries: pd.Series, rules: tuple[StrategyRule, ...]) -> pd.Series:
    """Each fired rule's rationale in each block: its template filled with the block's evidence summaries.

    `fired` has ``order`` (the rule's position in `rules`) and ``block_id``;
    `summaries` is indexed by ``order``, ``block_id`` and ``evidence``. Returns
    the texts indexed by ``order`` and ``block_id``.
    """
    rows = pd.MultiIndex.from_frame(fired[["order", "block_id"]])
    values = summaries.unstack("evidence").reindex(index=rows, columns=list(_EVIDENCE)).astype(object).fillna("")
    templates = pd.Series([rule.rationale for rule in rules], dtype=object).iloc[fired["order"].to_numpy()]
    return filled(templates.set_axis(rows), values)


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

    Notes
    -----
    The evidence is one long table (kind, block, key, id, label) and the rules
    another (rule, kind, key); a rule fires in a block when the block has a key
    of every kind the rule names. Everything after is joins and group-bys on
    (rule, block) and (block, strategy).
    """
    rules = rules or strategy_rules()
    catalogue = strategy_catalogue()
    wanted = pd.DataFrame(
        [
            (order, rule.id, rule.strategy, name, key)
            for order, rule in enumerate(rules)
            for name in _EVIDENCE
            for key in dict.fromkeys(getattr(rule, name))
        ],
        columns=["order", "rule_id", "strategy_key", "evidence", "key"],
    )
    keys = {name: sorted({key for rule in rules for key in getattr(rule, name)}) for name in _EVIDENCE}
    demands = demands[demands["block_id"].notna()] if not demands.empty else demands
    parts = [
        _evidence(
            _with_area_only(problems, resources, demands),
            "problems",
            keys["problems"],
            "scope",
            "rule_id",
            "id",
            "problem",
        ),
        _evidence(
            _usable(resources, allocation, keys["resources"]),
            "resources",
            keys["resources"],
            "block_id",
            "category",
            "resource_id",
            "_label",
        ),
        _evidence(demands, "demands", keys["demands"], "block_id", "need_code", "id", "need_zh"),
    ]
    evidence = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    if evidence.empty:
        return pd.DataFrame(columns=_COLUMNS)
    # every text column hashed once; the joins below are on integers (ids and labels numbered in sorted order)
    block, blocks = pd.factorize(evidence["block_id"])
    key, key_values = pd.factorize(evidence["key"])
    ids, id_values = pd.factorize(evidence["id"], sort=True)
    labels, label_values = pd.factorize(evidence["label"], sort=True)
    rows = pd.DataFrame({"kind": evidence["kind"].to_numpy(), "b": block, "k": key, "i": ids, "l": labels})
    rule_keys = wanted.assign(
        kind=wanted["evidence"].map({name: i for i, name in enumerate(_EVIDENCE)}),
        k=pd.Index(key_values).get_indexer(wanted["key"]),
    )
    rule_keys = rule_keys[rule_keys["k"].to_numpy() >= 0][["order", "kind", "k"]]
    # a rule fires in a block holding a key of every kind of evidence it names
    met = rule_keys.merge(rows[["kind", "k", "b"]].drop_duplicates(), on=["kind", "k"])
    met = met[["order", "kind", "b"]].drop_duplicates()
    kinds = met.groupby(["order", "b"]).size().rename("kinds").reset_index()
    needed = wanted.groupby("order")["evidence"].nunique()
    fired = kinds[kinds["kinds"].to_numpy() == needed.reindex(kinds["order"]).to_numpy()][["order", "b"]]
    if fired.empty:
        return pd.DataFrame(columns=_COLUMNS)
    rule_of = wanted.drop_duplicates("order").set_index("order")[["rule_id", "strategy_key"]]
    fired = fired.join(rule_of, on="order").assign(block_id=blocks.take(fired["b"].to_numpy()))
    # the keys behind each fired rule in its block, their labels (for the rationale) and ids
    keyed = met.merge(fired[["order", "b", "strategy_key"]], on=["order", "b"]).merge(rule_keys, on=["order", "kind"])
    named = keyed[["order", "b", "kind", "k"]].merge(
        rows[["kind", "b", "k", "l"]].drop_duplicates(), on=["kind", "b", "k"]
    )
    named = named.assign(
        block_id=blocks.take(named["b"].to_numpy()),
        evidence=np.asarray(_EVIDENCE, dtype=object)[named["kind"].to_numpy()],
        label=np.asarray(label_values, dtype=object)[named["l"].to_numpy()],
    )
    texts = _rationales(fired, _summaries(named, ["order", "block_id", "evidence"]), rules)
    raw = fired.join(texts.rename("rationale"), on=["order", "block_id"])
    pair = ["block_id", "strategy_key"]
    first_texts = raw.sort_values([*pair, "order"], kind="stable").drop_duplicates([*pair, "rationale"])
    merged = pd.DataFrame(
        {
            "rationale": joined_in_order(first_texts, pair, "rationale", "；"),
            "_order": raw.groupby(pair)["order"].min(),
            "rule_ids": joined(raw, pair, "rule_id"),
        }
    )
    listed = _listed_ids(keyed, rows, blocks, np.asarray(id_values, dtype=object))
    for i, name in enumerate(_EVIDENCE):
        column = listed[i].reindex(merged.index).fillna("") if i in listed else pd.Series("", index=merged.index)
        merged[name[:-1] + "_ids"] = column
    merged = merged.reset_index().join(catalogue[["code", "type", "point", "point_en"]], on="strategy_key")
    merged["code"] = "【" + merged["code"] + "】"
    type_order = {t: i for i, t in enumerate(dict.fromkeys(catalogue["type"]))}
    merged["_type"] = merged["type"].map(type_order)
    merged = merged.sort_values(["block_id", "_type", "_order"], kind="stable")
    return merged[_COLUMNS].reset_index(drop=True)


def _listed_ids(keyed: pd.DataFrame, rows: pd.DataFrame, blocks: pd.Index, id_values: np.ndarray) -> pd.DataFrame:
    """The evidence ids of each (block, strategy) per kind: sorted, unique, comma-joined.

    `keyed` holds the fired (rule, block, kind, key) numbers with the rule's
    strategy, `rows` the evidence numbers (``kind``, ``b``, ``k``, ``i``: id
    number in sorted order); `blocks` and `id_values` the block ids and ids
    by number. Returns a frame indexed by ``block_id`` and ``strategy_key``
    with one column per kind number.
    """
    combos = keyed[["strategy_key", "b", "kind", "k"]].drop_duplicates()
    strategy, strategies = pd.factorize(combos["strategy_key"])
    combos = combos.assign(s=strategy).merge(rows[["kind", "b", "k", "i"]], on=["kind", "b", "k"])
    n_blocks, n_ids = len(blocks), len(id_values)
    group = (combos["s"].to_numpy(np.int64) * n_blocks + combos["b"].to_numpy()) * len(_EVIDENCE) + combos["kind"]
    pairs = sorted_unique(group.to_numpy(np.int64) * n_ids + combos["i"].to_numpy())  # by group, then id
    group, number = np.divmod(pairs, n_ids)
    sb, kind = np.divmod(sorted_unique(group), len(_EVIDENCE))
    s, b = np.divmod(sb, n_blocks)
    listed = pd.DataFrame(
        {
            "block_id": blocks.take(b),
            "strategy_key": np.asarray(strategies, dtype=object)[s],
            "kind": kind,
            "ids": join_runs(id_values[number], group, ","),
        }
    )
    return listed.set_index(["block_id", "strategy_key", "kind"])["ids"].unstack("kind")


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

    columns = _COLUMNS
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
    pair = ["block_id", "strategy_key"]
    resources = missing[[*pair, "resource_id"]].dropna()
    out = pd.DataFrame(
        {
            "resource_ids": joined(
                resources.assign(resource_id=as_text(resources["resource_id"])), pair, "resource_id"
            ),
            "_word": missing.groupby(pair, sort=True)["word"].first(),
        }
    )
    out["resource_ids"] = out["resource_ids"].fillna("")
    out["problem_ids"] = joined(pairs, pair, "id")
    out["_problems"] = _summaries(pairs.rename(columns={"problem": "label"}), pair)
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
