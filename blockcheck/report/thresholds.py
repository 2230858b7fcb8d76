"""The threshold drawn on a metric map: from the problem rule of the metric and the workbook's standards_used."""

from __future__ import annotations

import operator
import re
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from blockcheck.lists.problems import problem_rules
from blockcheck.report.settings import check_lang
from blockcheck.report.workbook_data import WorkbookData
from blockcheck.standards import StandardValue, grade_label, threshold_term
from blockcheck.vocabulary import format_value

__all__ = ["Threshold", "metric_threshold"]

_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_SIGN = {"lt": "≥", "le": ">", "gt": "≤", "ge": "<"}  # the threshold a failing value misses
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Threshold:
    """A threshold drawn on a choropleth: blocks where ``value <compare> observed`` fail (hatched)."""

    value: float | None  # None: quoted only (no pass/fail)
    compare: str  # lt | le | gt | ge: the failing comparison, as in data/problem_rules.toml
    label: str  # legend text quoting the threshold
    term: str = ""  # the word for it in the legend's language (blockcheck.standards.threshold_term)
    listed: frozenset[str] | None = None  # blocks with a problem row of this rule (the map hatches what 图1 lists)

    def fails(self, values: pd.Series, ids: pd.Series | None = None) -> np.ndarray:
        """True where `values` miss the threshold (NaN never fails).

        With the workbook's problem rows (``listed``) and the blocks' `ids`, exactly
        the blocks the problem list names fail — a rule's scope and block conditions included.
        """
        if self.value is None:
            return np.zeros(len(values), dtype=bool)
        v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if self.listed is not None and ids is not None:
            return pd.Series(ids).astype(str).isin(self.listed).to_numpy() & ~np.isnan(v)
        return np.asarray(_COMPARE[self.compare](v, self.value)) & ~np.isnan(v)


def _entry(wb: WorkbookData, key: str) -> tuple[StandardValue | None, float | None]:
    """The standards_used row of `key` as an entry, and its number (None when absent or not numeric)."""
    row = wb.standard(key) if key else None
    if row is None:
        return None, None
    return StandardValue.from_row(row), row.get("number")


def _is_share(entry: StandardValue | None, rule_unit: str, value: float) -> bool:
    """Whether `value` is a share shown as a percentage: a ratio unit, not e.g. jobs per resident worker."""
    unit = entry.unit if entry is not None else rule_unit
    return unit.strip().lower().startswith("ratio") and abs(value) <= 1


def _citation(entry: StandardValue, lang: str) -> str:
    """The legend's second line: the entry's short label and, for a standard, its grade in `lang`."""
    label = entry.label(lang)
    if entry.kind == "parameter" or not entry.grade:
        return label
    return f"{label} · {grade_label(entry.grade, lang)}"


def metric_threshold(
    wb: WorkbookData, metric: str, *, lang: str = "zh", standard: str = "", percent: bool = False
) -> Threshold | None:
    """The threshold of `metric`: from its problem rule and the workbook's standards_used.

    The legend calls it what :func:`blockcheck.standards.threshold_term` says
    (标准 / 参考值（待核实） / 参数) and quotes the entry's short label with its
    grade in `lang`; full sources stay in the standards appendix.
    """
    lang = check_lang(lang)
    rule = next((r for r in problem_rules() if r.metric == metric), None)
    quoted_key = rule.quoted_key(lambda key: _entry(wb, key)[1]) if rule else ""
    quoted, quoted_number = _entry(wb, quoted_key or standard)
    value, basis = None, None
    if rule is not None:
        if rule.threshold_standard:
            basis, value = _entry(wb, rule.threshold_standard)
        else:
            value = float(rule.threshold)
    if value is None and quoted is None:
        return None
    if quoted_number is not None and (rule is None or not rule.threshold_standard):
        shown_entry = quoted
        word = threshold_term(quoted, lang)
        number = format_value(quoted_number, True) if _is_share(quoted, "", quoted_number) else f"{quoted_number:g}"
        unit = "" if number.endswith("%") else quoted.unit_in(lang)
        colon = "：" if lang == "zh" else ": "
        shown = f"{_cap(word, lang)}{colon}{number} {unit}"
    else:
        shown_entry = basis if basis is not None else quoted
        word = threshold_term(basis, lang)
        rule_unit = rule.unit if rule else ""
        share = value is not None and (percent or _is_share(basis, rule_unit, value))
        unit = "" if share or rule_unit == "ratio" else rule_unit
        if lang == "en" and _CJK.search(unit):  # the rule's unit is Chinese: the entry's own unit, or none
            unit = basis.unit if basis is not None else ""
        number = format_value(value, True) if share else ("" if value is None else f"{value:g}")
        shown = f"{_cap(word, lang)} {_SIGN.get(rule.compare, '') if rule else ''} {number} {unit}".replace("  ", " ")
    source = ""
    if shown_entry is not None:
        source = "\n" + "\n".join(textwrap.wrap(_citation(shown_entry, lang), 34, max_lines=3, placeholder="…"))
    listed = None
    problems = wb.lists.get("problem_list")
    # a rule that judges only some blocks (scope, block conditions): hatch the blocks 图1 lists,
    # not every value past the line
    if (
        rule is not None
        and (rule.block_where or rule.scope != "all")
        and problems is not None
        and "rule_id" in problems
    ):
        listed = frozenset(problems.loc[problems["rule_id"] == rule.id, "scope"].astype(str))
    return Threshold(
        value=value, compare=rule.compare if rule else "lt", label=shown.strip() + source, term=word, listed=listed
    )


def _cap(word: str, lang: str) -> str:
    """`word` as a legend line starts it (capitalised in English)."""
    return word[:1].upper() + word[1:] if lang == "en" else word
