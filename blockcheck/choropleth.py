"""Classes of a metric choropleth, drawn at the threshold of the standards a run used.

A choropleth of ``data/vocabulary.toml [choropleths.maps]`` names a metric and
fixed class breaks; :func:`choropleth` adds the threshold of the metric's
problem rule (``data/problem_rules.toml``) in the standards given — a
:class:`~blockcheck.standards.Standards`, or a workbook's ``standards_used``
table — so the classes split where the problem list splits: blocks short of the
threshold in the ``short`` colours, the others in the ``meets`` colours, blocks
without data apart. Legend texts quote the threshold with the word
:func:`blockcheck.standards.threshold_term` gives it (标准 / 参考值（待核实） / 参数).

The QGIS plugin turns these classes into its block styles (one rule per class),
so a workbook run with ``--standards national`` is styled at the national values.

Examples
--------
>>> from blockcheck.standards import load_standards
>>> [c.label for c in choropleth("park_green_per_capita", load_standards("national")).classes][-3:-1]
['8 – 10 平方米/人 · 达到标准', '≥ 10 平方米/人 · 达到标准']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from blockcheck.catalogue import location, require
from blockcheck.errors import BlockcheckError, CatalogueError
from blockcheck.standards import Standards, StandardValue, threshold_term
from blockcheck.vocabulary import Metric, check_lang, choropleth_settings, metric_schema, no_data, priority_classes

__all__ = ["Choropleth", "ColourClass", "choropleth", "choropleth_names", "priority_colour_classes", "standards_lookup"]

#: The failing comparisons of problem rules that include the lower bound of a class ([lower, upper)).
_LEFT_CLOSED = ("lt", "ge")


@dataclass(frozen=True)
class ColourClass:
    """One class: values from `lower` to `upper` (None: unbounded), its colour and legend label.

    ``closed`` says which bound belongs to the class: ``"left"`` for
    ``lower <= value < upper``, ``"right"`` for ``lower < value <= upper``.
    ``meets`` is True for a class meeting the threshold, False for one short of
    it and None for the class of blocks without data (both bounds None).
    ``with_null``: features without a value belong to this class too.
    """

    lower: float | None
    upper: float | None
    closed: str
    colour: str
    label: str
    meets: bool | None
    with_null: bool = False

    @property
    def no_data(self) -> bool:
        """True for the class of blocks without data."""
        return self.meets is None

    def contains(self, value: float | None) -> bool:
        """Whether `value` (None or NaN: no data) falls in this class."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.no_data or self.with_null
        if self.no_data:
            return False
        low_ok = self.lower is None or (value >= self.lower if self.closed == "left" else value > self.lower)
        high_ok = self.upper is None or (value < self.upper if self.closed == "left" else value <= self.upper)
        return low_ok and high_ok


@dataclass(frozen=True)
class Choropleth:
    """The classes of one metric map at the threshold of the standards used."""

    name: str
    metric: Metric
    threshold: float
    compare: str  # the problem rule's failing comparison: lt | le | gt | ge
    term: str  # 标准 / 参考值（待核实） / 参数 (or the English word)
    classes: tuple[ColourClass, ...]  # ascending values, the no-data class last


def choropleth_names() -> tuple[str, ...]:
    """The metric choropleths of ``[choropleths]``, the default first."""
    cfg = choropleth_settings()
    names = tuple(require(cfg, "order", list))
    if sorted(names) != sorted(require(cfg, "maps", dict)):
        msg = f"{location(cfg, 'order')} = {list(names)}: list every map of [choropleths.maps] once."
        raise CatalogueError(msg)
    return names


def standards_lookup(standards: object) -> Mapping[str, StandardValue]:
    """Key → entry of the standards a run used.

    Parameters
    ----------
    standards
        A :class:`~blockcheck.standards.Standards`; a ``standards_used`` table
        (a DataFrame, or rows as mappings with at least ``key`` and ``value``,
        e.g. read by QGIS from a workbook); or a mapping key → entry.
    """
    if isinstance(standards, Standards):
        return standards.values
    if hasattr(standards, "to_dict") and hasattr(standards, "columns"):  # a DataFrame
        standards = standards.to_dict("records")
    if isinstance(standards, Mapping):
        return {str(k): v if isinstance(v, StandardValue) else StandardValue.from_row(v) for k, v in standards.items()}
    if isinstance(standards, Iterable):
        entries = (StandardValue.from_row(row) for row in standards)
        return {e.key: e for e in entries}
    msg = f"standards: expected Standards, a standards_used table or its rows, not {type(standards).__name__}."
    raise BlockcheckError(msg)


def _spec(name: str) -> Mapping:
    maps = require(choropleth_settings(), "maps", dict)
    if name not in maps:
        msg = f"{name!r} is not a choropleth of {location(maps)}; choose one of {', '.join(maps)}."
        raise BlockcheckError(msg)
    return maps[name]


def _threshold(spec: Mapping, metric: Metric, lookup: Mapping[str, StandardValue], lang: str) -> tuple[float, str, str]:
    """(threshold, failing comparison, its word in `lang`) from the metric's problem rule and `lookup`."""
    from blockcheck.lists.problems import problem_rules

    rule = next((r for r in problem_rules() if r.metric == metric.key), None)
    if rule is None:
        msg = (
            f"{location(spec, 'metric')} = {metric.key!r} has no problem rule (data/problem_rules.toml) to class it by."
        )
        raise CatalogueError(msg)
    if not rule.threshold_standard:
        return float(rule.threshold), rule.compare, threshold_term(None, lang)
    entry = lookup.get(rule.threshold_standard)
    try:
        value = float(entry.value) if entry is not None else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if math.isnan(value):
        msg = (
            f"the standards used lack a number for {rule.threshold_standard}, the threshold of {metric.key}: "
            "the workbook's standards_used table is incomplete. Run the health check again to rewrite it."
        )
        raise BlockcheckError(msg)
    return value, rule.compare, threshold_term(entry, lang)


def _palette(kind: str, n: int, name: str) -> list[str]:
    cfg = choropleth_settings()
    palettes = require(cfg, kind, list)
    if n == 0:
        return []
    if n > len(palettes) or len(palettes[n - 1]) != n:
        msg = f"{location(cfg, kind)}: no list of {n} colours (for {name}); give the n-th list n colours."
        raise CatalogueError(msg)
    return list(palettes[n - 1])


def _texts(lang: str) -> Mapping:
    """The legend texts in `lang` (``[choropleths.text.<lang>]``)."""
    return require(require(choropleth_settings(), "text", dict), lang, dict)


def _number(value: float, percent: bool) -> str:
    return f"{value * 100:g}%" if percent else f"{value:g}"


def _label(lower: float | None, upper: float | None, closed: str, metric: Metric, lang: str) -> str:
    texts = _texts(lang)
    percent = metric.unit.percent
    unit = "" if percent else metric.unit.label(lang)
    values = {
        "lower": "" if lower is None else _number(lower, percent),
        "upper": "" if upper is None else _number(upper, percent),
        "unit": unit,
    }
    if lower is None:
        key = "below" if closed == "left" else "below_or_at"
    elif upper is None:
        key = "at_or_above" if closed == "left" else "above"
    else:
        key = "range"
    return " ".join(texts[key].format(**values).split())


def choropleth(name: str, standards: object, lang: str = "zh") -> Choropleth:
    """The classes of choropleth `name` at the threshold of `standards`.

    Parameters
    ----------
    name
        A choropleth of :func:`choropleth_names`, e.g. ``park_green_per_capita``.
    standards
        The standards the run used (see :func:`standards_lookup`).
    lang
        ``zh`` (default) or ``en``: the language of the legend labels.

    Returns
    -------
    Choropleth
        Classes in ascending order of values, split at the fixed breaks and at
        the threshold, then the no-data class. A value equal to a break falls
        on the side the problem rule puts it: for ``observed < threshold`` the
        threshold itself meets it.

    Raises
    ------
    BlockcheckError
        The standards lack the threshold's key or value.
    CatalogueError
        The choropleth's entry is malformed (no problem rule, too few colours).
    """
    lang = check_lang(lang)
    spec = _spec(name)
    metric = metric_schema().metric(require(spec, "metric", str))
    threshold, compare, term = _threshold(spec, metric, standards_lookup(standards), lang)
    breaks = sorted({float(b) for b in require(spec, "breaks", list, default=[])} | {threshold})
    closed = "left" if compare in _LEFT_CLOSED else "right"
    bounds = list(zip([None, *breaks], [*breaks, None], strict=True))
    # a class lies wholly on one side of the threshold (it is a break); the rule fails below it for lt/le
    higher = compare in ("lt", "le")
    meets = [
        (lo is not None and lo >= threshold) if higher else (hi is not None and hi <= threshold) for lo, hi in bounds
    ]
    short_colours = _palette("short", meets.count(False), name)
    meet_colours = _palette("meets", meets.count(True), name)
    if not higher:  # lower is better: the best and the worst classes are at the other end
        short_colours.reverse()
        meet_colours.reverse()
    texts = _texts(lang)
    classes = []
    for (lo, hi), ok in zip(bounds, meets, strict=True):
        text = _label(lo, hi, closed, metric, lang)
        if ok:
            text = texts["meets"].format(range=text, term=term)
        classes.append(ColourClass(lo, hi, closed, (meet_colours if ok else short_colours).pop(0), text, ok))
    blank = no_data()
    classes.append(ColourClass(None, None, closed, blank.colour, blank.label(lang), None))
    return Choropleth(name, metric, threshold, compare, term, tuple(classes))


def priority_colour_classes(lang: str = "zh") -> tuple[ColourClass, ...]:
    """The priority classes of :func:`blockcheck.vocabulary.priority_classes` as colour classes, lowest first.

    ``score >= min`` and below the next class's ``min``; no threshold splits
    them (``meets`` is True for all). A project without a score falls in the
    lowest class, as on the hearing maps.
    """
    lang = check_lang(lang)
    ordered = list(reversed(priority_classes()))
    uppers = [c.min for c in ordered[1:]] + [None]
    return tuple(
        ColourClass(None if i == 0 else c.min, upper, "left", c.colour, c.label(lang), True, with_null=i == 0)
        for i, (c, upper) in enumerate(zip(ordered, uppers, strict=True))
    )
