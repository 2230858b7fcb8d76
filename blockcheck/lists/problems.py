"""The problem list (问题清单, 图1): breached standards per block and for the whole area.

Rules are data (``data/problem_rules.toml``): a metric, a comparison, a
threshold (number or standards key), where the rule is meaningful (its scope
and block conditions) and Chinese/English texts. No rule string is evaluated
as code; texts are ``str.format`` templates over numbers and the threshold's
term (标准 / 参考值（待核实） / 参数, from :func:`blockcheck.standards.threshold_term`).
Only what the data show is stated: a metric without data is null and raises
no row; each row says whether its figure is measured or estimated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd

from blockcheck.catalogue import build, check_keys, load_data, location, require, require_tables
from blockcheck.errors import CatalogueError
from blockcheck.lists.amounts import format_amount
from blockcheck.lists.ids import problem_id
from blockcheck.lists.schema import conform, list_table
from blockcheck.standards import Standards, threshold_term

__all__ = ["ProblemRule", "build_problem_list", "problem_rules"]

_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


@dataclass(frozen=True)
class ProblemRule:
    """One rule of ``data/problem_rules.toml``."""

    id: str
    type: str
    metric: str
    compare: str
    unit: str
    problem: str
    problem_en: str
    situation: str
    threshold: float | None = None
    threshold_standard: str = ""
    standard: str = ""
    standard_preferred: str = ""  # quoted instead of `standard` when the run's standards give it a number
    severity_of: str = ""
    scope: str = "all"  # all | area | blocks: where the rule is meaningful
    block_where: tuple[tuple[str, str, float], ...] = ()  # (metric, compare, value): blocks judged
    block_where_mode: str = "all"  # all | any of block_where must hold

    def threshold_value(self, standards: Standards) -> float:
        """The number the metric is compared with."""
        return float(standards[self.threshold_standard]) if self.threshold_standard else float(self.threshold)

    @property
    def standard_key(self) -> str:
        """The standards key quoted (may be empty)."""
        return self.standard or self.threshold_standard

    def quoted_key(self, number_of: Callable[[str], object]) -> str:
        """The standards key quoted: `standard_preferred` when ``number_of(key)`` is a number (not nan), else
        :attr:`standard_key`. E.g. the parking rule quotes the existing-fabric rate when a profile gives one.
        """
        if self.standard_preferred:
            value = number_of(self.standard_preferred)
            if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
                return self.standard_preferred
        return self.standard_key


_RULE_TYPES = {"threshold": float, "block_where": list}
_WHERE_TYPES = {"metric": str, "compare": str, "value": float}


def _rule(entry: Mapping) -> ProblemRule:
    """One ``[[rule]]`` of ``data/problem_rules.toml``, checked (CatalogueError naming the rule and the field)."""
    rule = build(ProblemRule, entry, _RULE_TYPES)
    conditions = require_tables(entry, "block_where") if "block_where" in entry else []
    for condition in conditions:
        check_keys(condition, _WHERE_TYPES)
    where = tuple(
        (require(c, "metric", str), require(c, "compare", str), float(require(c, "value", float))) for c in conditions
    )
    rule = replace(rule, block_where=where)
    if ("threshold" in entry) == ("threshold_standard" in entry):
        msg = (
            f"{location(entry)}: give either threshold (a number) or threshold_standard (a standards key), not both or "
            "neither."
        )
        raise CatalogueError(msg)
    bad = [c for _, c, _ in where if c not in _COMPARE] + ([rule.compare] if rule.compare not in _COMPARE else [])
    if bad or rule.scope not in ("all", "area", "blocks") or rule.block_where_mode not in ("all", "any"):
        msg = (
            f"{location(entry)}: compare must be one of {sorted(_COMPARE)}, scope one of all/area/blocks, "
            f"block_where_mode all/any (got compare {bad or rule.compare!r}, scope {rule.scope!r}, mode "
            f"{rule.block_where_mode!r})."
        )
        raise CatalogueError(msg)
    return rule


@cache
def problem_rules() -> tuple[ProblemRule, ...]:
    """The packaged problem rules (``data/problem_rules.toml``).

    Raises
    ------
    blockcheck.errors.CatalogueError
        A rule lacks a field, has an unknown one, a value of the wrong type or
        an unknown comparison (the message names the file, the rule and the field).
    """
    return tuple(_rule(entry) for entry in require_tables(load_data("problem_rules.toml"), "rule"))


def _judged(rule: ProblemRule, metrics: pd.DataFrame, *, area: bool) -> pd.Series:
    """Scopes where `rule` is meaningful: its scope, and for blocks its block conditions."""
    if rule.scope == ("blocks" if area else "area"):
        return pd.Series(False, index=metrics.index)
    if area or not rule.block_where:
        return pd.Series(True, index=metrics.index)
    tests = []
    for metric, compare, value in rule.block_where:
        column = (
            pd.to_numeric(metrics[metric], errors="coerce")
            if metric in metrics
            else pd.Series(np.nan, index=metrics.index)
        )
        tests.append(column.notna() & _COMPARE[compare](column, value))
    frame = pd.concat(tests, axis=1)
    return frame.any(axis=1) if rule.block_where_mode == "any" else frame.all(axis=1)


def _rows_for(rule: ProblemRule, metrics: pd.DataFrame, standards: Standards, *, area: bool) -> pd.DataFrame:
    observed = pd.to_numeric(metrics[rule.metric], errors="coerce")
    threshold = rule.threshold_value(standards)
    fired = observed.notna() & _COMPARE[rule.compare](observed, threshold) & _judged(rule, metrics, area=area)
    if not fired.any():
        return pd.DataFrame()
    obs = observed[fired]
    if rule.severity_of and rule.severity_of in metrics:
        denominator = pd.to_numeric(metrics.loc[fired, rule.severity_of], errors="coerce")
        severity = obs / denominator.where(denominator > 0)
    elif threshold != 0:
        severity = (obs - threshold).abs() / abs(threshold)
    else:
        severity = pd.Series(np.nan, index=obs.index)
    key = rule.quoted_key(standards.get)
    entry = standards.entry(key) if key else None
    standard_value = float(entry.value) if entry is not None and not isinstance(entry.value, str) else float("nan")
    required = (
        metrics.loc[fired, rule.severity_of] if rule.severity_of in metrics else pd.Series(np.nan, index=obs.index)
    )
    term = threshold_term(entry, "zh")
    situation = [
        rule.situation.format_map(
            {
                "observed": o,
                "threshold": threshold,
                "standard": standard_value,
                "required": r,
                "unit": rule.unit,
                "term": term,
                "amount": format_amount(o, rule.metric),
            }
        )
        for o, r in zip(obs.to_numpy(dtype=float), required.to_numpy(dtype=float), strict=True)
    ]
    return pd.DataFrame(
        {
            "scope": obs.index.astype(str),
            "type": rule.type,
            "problem": rule.problem,
            "situation": situation,
            "problem_en": rule.problem_en,
            "metric_key": rule.metric,
            "observed_value": obs.to_numpy(dtype=float),
            "threshold_value": threshold,
            "unit": rule.unit,
            "standard_ref": f"{key}: {entry.source}" if entry is not None else "",
            "grade": entry.grade
            if entry is not None and entry.kind != "parameter"
            else "",  # parameters have no standard grade
            "threshold_term": term,
            "severity": severity.to_numpy(dtype=float),
            "rule_id": rule.id,
        }
    )


def build_problem_list(
    block_metrics: pd.DataFrame,
    area_metrics: pd.DataFrame,
    standards: Standards,
    *,
    rules: tuple[ProblemRule, ...] | None = None,
    metric_status: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The problem list: one row per breached rule per block and for the area (scope ``ALL``).

    Parameters
    ----------
    block_metrics, area_metrics
        Metric tables indexed by block id (area: the single index ``ALL``);
        a metric without data is null there and raises no row.
    standards
        The run's standards (thresholds and the citations quoted in each row).
    metric_status
        The ``metric_status`` table (:func:`blockcheck.lists.data_gaps.judge_data`):
        each row's ``data_status`` is ``estimated`` where its metric is, else ``measured``.

    Returns
    -------
    pandas.DataFrame
        Conforming to the ``problem_list`` schema, area rows first, then blocks
        by id; within a scope ordered as the rules. Rules whose metric was not
        computed (missing input) are skipped.
    """
    rules = rules or problem_rules()
    frames = []
    for scope_metrics in (area_metrics, block_metrics):
        for order, rule in enumerate(rules):
            if rule.metric not in scope_metrics:
                continue
            rows = _rows_for(rule, scope_metrics, standards, area=scope_metrics is area_metrics)
            if not rows.empty:
                frames.append(rows.assign(_order=order, _area=scope_metrics is area_metrics))
    table = list_table("problem_list")
    if not frames:
        return conform(pd.DataFrame(columns=table.columns), table)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.sort_values(["_area", "scope", "_order"], ascending=[False, True, True], kind="stable")
    rows["id"] = problem_id(rows["scope"], rows["rule_id"])  # stable across runs
    rows["provenance"] = "generated"
    rows["data_status"] = "measured"
    if metric_status is not None and len(metric_status):
        est = metric_status[metric_status["status"] == "estimated"]
        estimated = pd.MultiIndex.from_arrays([est["scope"].astype(str), est["metric_key"].astype(str)])
        is_estimated = pd.MultiIndex.from_arrays([rows["scope"].astype(str), rows["metric_key"].astype(str)]).isin(
            estimated
        )
        rows.loc[is_estimated, "data_status"] = "estimated"
    return conform(rows.drop(columns=["_order", "_area"]), table)
