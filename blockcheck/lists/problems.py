"""The problem list (问题清单, 图1): breached standards per block and for the whole area.

Rules are data (``data/problem_rules.toml``): a metric, a comparison, a
threshold (number or standards key) and Chinese/English texts. No rule string
is evaluated as code; texts are ``str.format`` templates over numbers.
"""

from __future__ import annotations

import operator
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..standards import Standards
from .schema import conform, list_table

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
    severity_of: str = ""

    def threshold_value(self, standards: Standards) -> float:
        """The number the metric is compared with."""
        return float(standards[self.threshold_standard]) if self.threshold_standard else float(self.threshold)

    @property
    def standard_key(self) -> str:
        """The standards key quoted (may be empty)."""
        return self.standard or self.threshold_standard


@cache
def problem_rules() -> tuple[ProblemRule, ...]:
    """The packaged problem rules."""
    doc = tomllib.loads(resources.files("blockcheck").joinpath("data/problem_rules.toml").read_text("utf-8"))
    return tuple(ProblemRule(**r) for r in doc["rule"])


def _rows_for(rule: ProblemRule, metrics: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    observed = pd.to_numeric(metrics[rule.metric], errors="coerce")
    threshold = rule.threshold_value(standards)
    fired = observed.notna() & _COMPARE[rule.compare](observed, threshold)
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
    key = rule.standard_key
    entry = standards.entry(key) if key else None
    standard_value = float(entry.value) if entry is not None and not isinstance(entry.value, str) else float("nan")
    required = metrics.loc[fired, rule.severity_of] if rule.severity_of in metrics else pd.Series(np.nan, index=obs.index)
    situation = [
        rule.situation.format_map({"observed": o, "threshold": threshold, "standard": standard_value, "required": r, "unit": rule.unit})
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
            "grade": entry.grade if entry is not None else "",
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
) -> pd.DataFrame:
    """The problem list: one row per breached rule per block and for the area (scope ``ALL``).

    Parameters
    ----------
    block_metrics, area_metrics
        Metric tables indexed by block id (area: the single index ``ALL``).
    standards
        The run's standards (thresholds and the citations quoted in each row).

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
            rows = _rows_for(rule, scope_metrics, standards)
            if not rows.empty:
                frames.append(rows.assign(_order=order, _area=scope_metrics is area_metrics))
    table = list_table("problem_list")
    if not frames:
        return conform(pd.DataFrame(columns=table.columns), table)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.sort_values(["_area", "scope", "_order"], ascending=[False, True, True], kind="stable")
    rows["id"] = "PB-" + rows["scope"] + "-" + rows["rule_id"]  # stable across runs
    rows["provenance"] = "generated"
    return conform(rows.drop(columns=["_order", "_area"]), table)
