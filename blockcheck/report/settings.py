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


@cache
def settings() -> dict:
    """The whole of ``data/report.toml`` (cached)."""
    return tomllib.loads(resources.files("blockcheck").joinpath("data/report.toml").read_text("utf-8"))


def text(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang`, formatted with `values`.

    From ``data/report.toml`` ``[text.<lang>]``. The summary of a long list: ``{first}`` is
    ``first_rows`` or ``top_rows``, ``{totals}`` ``totals``, ``{sums}`` ``sums`` of ``sum_item``,
    ``{layer}`` the workbook layer, ``{sheet}`` the Excel sheet.
    """
    lang = check_lang(lang)
    texts = settings()["text"][lang]
    template = texts[key]
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
