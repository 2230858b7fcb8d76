"""The standard drawn on a metric map: from the problem rule of the metric and the workbook's standards_used."""

from __future__ import annotations

import operator
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..lists.problems import problem_rules
from .settings import text
from .workbook_data import WorkbookData

__all__ = ["Threshold", "fmt_value", "metric_threshold"]

_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_SIGN = {"lt": "≥", "le": ">", "gt": "≤", "ge": "<"}  # the standard a failing value misses


def fmt_value(value: float, percent: bool = False) -> str:
    """A number as legends and labels show it (thousands separators, 0–2 decimals, or a percentage)."""
    if percent:
        return f"{value:.0%}"
    size = abs(value)
    if float(value).is_integer():
        return f"{value:,.0f}"
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Threshold:
    """A standard drawn on a choropleth: blocks where ``value <compare> observed`` fail (hatched)."""

    value: float | None  # None: quoted only (no pass/fail)
    compare: str  # lt | le | gt | ge: the failing comparison, as in data/problem_rules.toml
    label: str  # legend text quoting the standard

    def fails(self, values: pd.Series) -> np.ndarray:
        """True where `values` miss the standard (NaN never fails)."""
        if self.value is None:
            return np.zeros(len(values), dtype=bool)
        v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        return np.asarray(_COMPARE[self.compare](v, self.value)) & ~np.isnan(v)


def metric_threshold(wb: WorkbookData, metric: str, *, lang: str = "zh", standard: str = "", percent: bool = False) -> Threshold | None:
    """The standard of `metric`: from its problem rule and the workbook's standards_used."""
    rule = next((r for r in problem_rules() if r.metric == metric), None)
    key = (rule.standard_key if rule else "") or standard
    quoted = wb.standard(key) if key else None
    value = None
    if rule is not None:
        if rule.threshold_standard:
            row = wb.standard(rule.threshold_standard)
            value = row["number"] if row else None
        else:
            value = float(rule.threshold)
    if value is None and quoted is None:
        return None
    word = text(lang, "standard")
    if quoted is not None and quoted.get("number") is not None and (rule is None or not rule.threshold_standard):
        shown = f"{word}：{quoted['number']:g} {quoted.get('unit') or ''}" if lang == "zh" else f"{word}: {quoted['number']:g} {quoted.get('unit') or ''}"
    else:
        unit = "" if percent else (rule.unit if rule and rule.unit != "ratio" else "")
        number = fmt_value(value, True) if percent or (rule and rule.unit == "ratio" and value <= 1) else f"{value:g}"
        shown = f"{word} {_SIGN.get(rule.compare, '') if rule else ''} {number} {unit}".replace("  ", " ")
    source = ""
    if quoted is not None:
        src = f"[{quoted.get('grade', '')}] {quoted.get('source') or ''}"
        source = "\n" + "\n".join(textwrap.wrap(src, 34, max_lines=3, placeholder="…"))
    return Threshold(value=value, compare=rule.compare if rule else "lt", label=shown.strip() + source)
