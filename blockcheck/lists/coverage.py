"""Does every problem get an answer? One row per area problem: its strategies, projects, open tasks and amounts.

:func:`coverage_table` reads the four lists as the workbook holds them (so it
works on edited lists too) and says, for each problem of the area row (问题清单,
scope ``ALL``), which strategies (图5) answer it, which projects (图8) carry it
and how much they close, and which 待落实 tasks (图7) name what is still open and
the policies (图6) that would unlock it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.lists._grouped import joined
from blockcheck.lists.amounts import format_amount, unit_of
from blockcheck.lists.ids import AREA_SCOPE
from blockcheck.lists.project_catalogue import project_settings
from blockcheck.lists.strategies import strategy_catalogue

__all__ = ["COVERAGE_COLUMNS", "coverage_table"]

#: Columns of :func:`coverage_table`, in order.
COVERAGE_COLUMNS = (
    "problem_id",
    "type",
    "problem",
    "severity",
    "strategy_ids",
    "strategy_codes",
    "project_count",
    "project_ids",
    "task_ids",
    "policy_numbers",
    "unit",
    "closed_amount",
    "closed",
    "open_amount",
    "open",
    "status",
    "status_zh",
)


def _links(frame: pd.DataFrame, key: str, column: str, rules: pd.Series) -> pd.DataFrame:
    """(rule_id, `key`) pairs: rows of `frame` whose comma list `column` names a problem row of the rule."""
    pairs = frame[[key]].assign(problem_id=frame[column].fillna("").astype(str).str.split(",")).explode("problem_id")
    pairs = pairs.assign(rule_id=pairs["problem_id"].map(rules)).dropna(subset=["rule_id"])
    return pairs[["rule_id", key]].drop_duplicates()


def _joined(pairs: pd.DataFrame, key: str) -> pd.Series:
    """The `key` values of each rule, sorted and comma-joined."""
    return joined(pairs, ["rule_id"], key)


def coverage_table(
    problems: pd.DataFrame, strategies: pd.DataFrame, tasks: pd.DataFrame, projects: pd.DataFrame
) -> pd.DataFrame:
    """One row per area problem: the strategies, projects and 待落实 tasks answering it, and what they close.

    Parameters
    ----------
    problems
        The problem list (``id``, ``scope``, ``type``, ``problem``, ``rule_id``,
        ``metric_key``, ``observed_value``, ``severity``); rows of scope ``ALL`` are covered.
    strategies, tasks, projects
        The strategy, task and project lists (their ``problem_ids``; the tasks'
        ``status`` ``open`` rows with ``open_amount`` and ``policy_numbers``;
        the projects' ``amount`` and ``amount_unit``).

    Returns
    -------
    pandas.DataFrame
        :data:`COVERAGE_COLUMNS`, in the problem list's order:

        - ``problem_id``, ``type``, ``problem``, ``severity``
        - ``strategy_ids``, ``strategy_codes`` (e.g. ``【利用闲置】【以新促老】``):
          strategies of any block answering a row of the problem
        - ``project_count``, ``project_ids``: projects answering it
        - ``task_ids``, ``policy_numbers``: its 待落实 tasks and the policy list
          numbers they name
        - ``unit``: the unit of the amounts (the problem's, e.g. ``spaces``; for a
          coverage or per-person problem the unit of the projects that answer it)
        - ``closed_amount`` / ``closed``: what its projects provide (the projects
          whose kind closes this problem), as a number and in words
          (:func:`~blockcheck.lists.amounts.format_amount`, e.g. ``1,204个``)
        - ``open_amount`` / ``open``: what its 待落实 tasks leave open, or
          ``—— `` when none; for a problem without an amount, ``待落实`` and the
          number of blocks
        - ``status``: ``answered`` (projects, nothing open), ``partly_open``
          (projects and open tasks), ``open`` (only open tasks) or
          ``unanswered`` (neither); ``status_zh`` 已答复 / 部分待落实 / 待落实 / 未答复.
    """
    area = problems[problems["scope"] == AREA_SCOPE].reset_index(drop=True)
    if area.empty:  # nothing to answer: an empty table with the columns
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    rules = problems.set_index("id")["rule_id"]
    s = _links(strategies, "id", "problem_ids", rules)
    p = _links(projects, "project_id", "problem_ids", rules)
    open_tasks = tasks[tasks["status"] == "open"] if "status" in tasks else tasks.iloc[:0]
    t = _links(open_tasks, "id", "problem_ids", rules)
    out = area[["id", "type", "problem", "severity", "rule_id", "metric_key", "observed_value"]].rename(
        columns={"id": "problem_id"}
    )
    out["strategy_ids"] = out["rule_id"].map(_joined(s, "id"))
    order = {k: i for i, k in enumerate(strategy_catalogue().index)}
    codes = s.merge(strategies[["id", "code", "strategy_key"]], on="id").drop_duplicates(["rule_id", "code"])
    codes = codes.assign(o=codes["strategy_key"].map(order)).sort_values(["rule_id", "o"])
    out["strategy_codes"] = out["rule_id"].map(codes.groupby("rule_id")["code"].agg("".join))
    out["project_ids"] = out["rule_id"].map(_joined(p, "project_id"))
    out["project_count"] = out["rule_id"].map(p.groupby("rule_id").size()).fillna(0).astype(int)
    out["task_ids"] = out["rule_id"].map(_joined(t, "id"))
    numbers = (
        t.merge(open_tasks[["id", "policy_numbers"]], on="id")
        .assign(n=lambda f: f["policy_numbers"].astype(object).fillna("").astype(str).str.split(","))
        .explode("n")
    )
    numbers = (
        numbers[numbers["n"] != ""].astype({"n": int}).drop_duplicates(["rule_id", "n"]).sort_values(["rule_id", "n"])
    )
    out["policy_numbers"] = out["rule_id"].map(
        numbers.assign(n=numbers["n"].astype(str)).groupby("rule_id")["n"].agg(",".join)
    )
    # amounts: projects whose kind closes the rule (the kind's first answered rule)
    kinds = project_settings()["kinds"]
    closes = pd.DataFrame(
        [(k, v["answers"][0], v["task_label"]) for k, v in kinds.items() if v["answers"]],
        columns=["amount_unit", "rule_id", "label"],
    )
    closing = projects[["project_id", "amount", "amount_unit"]].merge(closes, on="amount_unit")
    closed = closing.groupby("rule_id")["amount"].sum()
    kind_of = closes.drop_duplicates("rule_id").set_index("rule_id")
    own_unit = out["metric_key"].fillna("").map(unit_of)
    out["unit"] = own_unit.where(own_unit != "", out["rule_id"].map(kind_of["amount_unit"]).fillna("").map(unit_of))
    key = out["rule_id"].map(kind_of["amount_unit"])
    label = np.where(own_unit == "", out["rule_id"].map(kind_of["label"]).fillna(""), "")
    has_kind = key.notna()
    out["closed_amount"] = out["rule_id"].map(closed).where(has_kind).fillna(0.0).where(has_kind)
    opened = open_tasks[["id", "open_amount"]].merge(t, on="id").groupby("rule_id")["open_amount"].sum(min_count=1)
    out["open_amount"] = out["rule_id"].map(opened).where(has_kind & (out["unit"] != ""))
    n_open = t.groupby("rule_id").size().reindex(out["rule_id"]).fillna(0).astype(int).to_numpy()
    unit = out["unit"].replace("", np.nan)
    out["closed"] = [
        f"{lab}{format_amount(v, u)}" if isinstance(u, str) and pd.notna(v) else (f"{c}个项目" if c else "——")
        for lab, v, u, c in zip(label, out["closed_amount"], unit, out["project_count"], strict=True)
    ]
    still_open = vocabulary.label("coverage_status", "open")  # 待落实
    out["open"] = [
        f"{lab}{format_amount(v, u)}"
        if isinstance(u, str) and pd.notna(v) and v > 0
        else (f"{still_open}（{n}个街区）" if n else "——")
        for lab, v, u, n in zip(label, out["open_amount"], unit, n_open, strict=True)
    ]
    out["open"] = (
        out["open"]
        .str.replace(f"{still_open}（1个街区）", still_open, regex=False)
        .where(~out["task_ids"].astype(object).fillna("").astype(str).str.contains("TK-ALL-"), f"{still_open}（全区）")
    )
    has_p, has_t = out["project_count"] > 0, out["task_ids"].notna()
    out["status"] = np.select([has_p & ~has_t, has_p & has_t, has_t], ["answered", "partly_open", "open"], "unanswered")
    out["status_zh"] = out["status"].map(vocabulary.labels("coverage_status"))
    return out.reindex(columns=list(COVERAGE_COLUMNS))
