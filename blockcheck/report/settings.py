"""Map and report settings from ``data/report.toml`` (titles, texts, furniture colours, sizes).

Labels and colours of coded values come from :mod:`blockcheck.vocabulary`, the
labels and units of metrics from its metric schema; this module only reads
what is the report's own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from blockcheck.vocabulary import LANGS, Metric, check_lang, metric_schema

__all__ = [
    "LANGS",
    "MetricMap",
    "Step",
    "appendix_rows",
    "body_rows",
    "check_lang",
    "method_paragraphs",
    "metric_maps",
    "settings",
    "steps",
    "text",
]

#: Texts of the report that ``data/report.toml`` does not hold yet (its ``[text.zh]`` / ``[text.en]`` win):
#: the summary of a long list. ``{first}``: ``first_rows`` or ``top_rows``; ``{totals}``: ``totals``;
#: ``{sums}``: ``sums`` of ``sum_item``; ``{layer}``: the workbook layer; ``{sheet}``: the Excel sheet.
_TEXT_DEFAULTS = {
    "zh": {
        "first_rows": "前{n:,}项，共{total:,}项",
        "top_rows": "{by}最高的{n:,}项（按清单顺序排列），共{total:,}项",
        "sums": "，合计{items}",
        "sum_item": "{label}{value}",
        "first_rows_in_appendix": "{first}{totals}{sums}；全部见{appendix}。",
        "first_rows_in_workbook": (
            "{first}{totals}{sums}；全部见 workbook.gpkg 图层「{layer}」及 eight_lists.xlsx 工作表「{sheet}」。"
        ),
        "note_resource_members": (
            "{categories}按街区汇总（{rows:,}行，{n:,}处），逐处见 workbook.gpkg 图层「{layer}」。"
        ),
    },
    "en": {
        "first_rows": "First {n:,} of {total:,}",
        "top_rows": "Top {n:,} of {total:,} by {by}, in the list's order",
        "sums": "; in total {items}",
        "sum_item": "{label} {value}",
        "first_rows_in_appendix": "{first}{totals}{sums}; all in {appendix}.",
        "first_rows_in_workbook": (
            "{first}{totals}{sums}; all in workbook.gpkg, layer “{layer}”, and eight_lists.xlsx, sheet “{sheet}”."
        ),
        "note_resource_members": (
            "{categories} are summed per block ({rows:,} rows, {n:,} features); each feature in workbook.gpkg, "
            "layer “{layer}”."
        ),
    },
}


@cache
def settings() -> dict:
    """The whole of ``data/report.toml`` (cached)."""
    return tomllib.loads(resources.files("blockcheck").joinpath("data/report.toml").read_text("utf-8"))


def text(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang`, formatted with `values`.

    From ``data/report.toml`` ``[text.<lang>]``, else from the defaults of this module.
    """
    lang = check_lang(lang)
    texts = settings()["text"][lang]
    template = texts[key] if key in texts else _TEXT_DEFAULTS[lang][key]
    return template.format(**values) if values else template


def body_rows() -> int:
    """Rows a long list shows in the report's body (``[report] body_rows``); the rest is summarised.

    A list (or section) of at most this many rows is printed whole.
    """
    return int(settings()["report"]["body_rows"])


def appendix_rows() -> int:
    """The longest list the report's appendix prints whole (``[report] appendix_rows``); a longer one stays a
    summary naming where the full list is (the workbook layer and the Excel sheet).
    """
    return int(settings()["report"]["appendix_rows"])


@dataclass(frozen=True)
class MetricMap:
    """A metric choropleth of the hearing maps (``[[maps.metric]]``): its name and metric."""

    name: str
    metric: Metric

    @property
    def good(self) -> str:
        """``high`` when more is better, else ``low`` (a gap: more is worse) — picks the colours."""
        return "high" if self.metric.better == "higher" else "low"

    @property
    def percent(self) -> bool:
        """Whether values are shares shown as percentages."""
        return self.metric.unit.percent

    def title(self, lang: str) -> str:
        """The map's title and legend title: the metric's label and unit in `lang`."""
        return self.metric.title(check_lang(lang))


def metric_maps() -> dict[str, MetricMap]:
    """The metric choropleths by name (``[[maps.metric]]``), each with its metric's schema entry."""
    schema = metric_schema()
    return {m["name"]: MetricMap(m["name"], schema.metric(m["metric"])) for m in settings()["maps"]["metric"]}


@dataclass(frozen=True)
class Step:
    """One of the four steps of the method (``[[steps]]``): its number, title in one language and lists."""

    number: int
    ordinal: str  # 第一步 / Step 1
    name: str  # 体检评估找问题 / Health check finds problems
    lists: tuple[str, ...]
    title: str  # 第一步 体检评估找问题 / Step 1: Health check finds problems


def steps(lang: str) -> list[Step]:
    """The four steps in `lang`, in the method's own words."""
    out = []
    for i, s in enumerate(settings()["steps"], start=1):
        ordinal, name = s[f"ordinal_{check_lang(lang)}"], s[lang]
        out.append(Step(i, ordinal, name, tuple(s["lists"]), text(lang, "step", ordinal=ordinal, name=name)))
    return out


def method_paragraphs(lang: str) -> list[str]:
    """The method note in `lang`, the steps named as the method names them."""
    names = {f"step{s.number}": s.title for s in steps(lang)}
    return [p.format(**names) for p in settings()["method"][check_lang(lang)]]
