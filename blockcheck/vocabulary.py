"""One vocabulary for every output: labels, colours, the life cycle, priority classes and the metric schema.

Every output that names or colours a coded value — the hearing maps, atlas and
report, the Excel workbook, the QGIS styles and the checklist editor — asks this
module, which reads ``data/vocabulary.toml`` and ``data/metrics.toml`` and, for
the Chinese labels of list fields, :func:`blockcheck.lists.schema.value_labels`
(``data/lists.toml [value_labels]``). Each label and each colour is written in
one of those files only.

A *domain* is a set of coded values: ``resource_category``, ``project_status``
(the project life cycle), ``problem_type``, ``task_type``, ``project_domain``,
``phase``, ``demand_category`` … It is named by its own name or by the list
field it codes (``"resource_list.category"``).

Examples
--------
>>> labels("resource_category")["idle_room"]
'小区闲置用房'
>>> label("project_list.domain", "教育", "en")
'Education'
>>> colour("resource_category", "idle_room") == colours("resource_list.category")["idle_room"]
True
>>> [t.code for t in life_cycle()]
['registered', 'adjusted', 'implementing', 'done']
>>> metric_schema().metric("life_circle_5min_kindergarten_ratio").title("zh")
'5分钟生活圈覆盖：幼儿园（居民比例）'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from blockcheck.catalogue import Entry, build, check_keys, load_data, location, require, require_tables
from blockcheck.errors import BlockcheckError, CatalogueError

__all__ = [
    "LANGS",
    "Metric",
    "MetricSchema",
    "PriorityClass",
    "Term",
    "Unit",
    "check_lang",
    "choropleth_settings",
    "clear_caches",
    "codes",
    "colour",
    "colours",
    "domain_names",
    "field_domain",
    "field_labels",
    "format_value",
    "label",
    "labels",
    "life_cycle",
    "metric_schema",
    "no_data",
    "priority_classes",
    "priority_index",
    "read_catalogue",
    "terms",
]

LANGS = ("zh", "en")
_VOCABULARY = "vocabulary.toml"
_METRICS = "metrics.toml"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_BETTER = ("higher", "lower", "neutral")
#: Placeholders of metric keys that stand for whole numbers (minutes, metres); the others name a domain.
_NUMBERS = ("minutes", "radius")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def check_lang(lang: str) -> str:
    """`lang` if it is ``zh`` or ``en``; a BlockcheckError otherwise."""
    if lang not in LANGS:
        msg = f"language {lang!r}: choose zh or en."
        raise BlockcheckError(msg)
    return lang


@cache
def read_catalogue(name: str) -> Entry:
    """The packaged catalogue ``blockcheck/data/<name>`` (``vocabulary.toml``, ``metrics.toml``), read once.

    Its tables know their file and key (:func:`blockcheck.catalogue.load_data`),
    so a fault names both.
    """
    return load_data(name)


def choropleth_settings() -> Entry:
    """The ``[choropleths]`` table of ``data/vocabulary.toml`` (palettes, maps, legend texts)."""
    return require(read_catalogue(_VOCABULARY), "choropleths", dict)


def format_value(value: float, percent: bool = False) -> str:
    """A number as legends and labels show it (thousands separators, 0–2 decimals, or a percentage).

    Examples
    --------
    >>> format_value(1234.5), format_value(16.5), format_value(0.85, percent=True)
    ('1,234', '16', '85%')
    """
    if percent:
        return f"{value:.0%}"
    size = abs(value)
    if float(value).is_integer() or size >= 1000:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


# ------------------------------------------------------------------ domains


@dataclass(frozen=True)
class Term:
    """One coded value of a domain: its code, Chinese and English labels and its colour (may be empty)."""

    code: str
    zh: str
    en: str
    colour: str = ""

    def label(self, lang: str = "zh") -> str:
        """The label in `lang`."""
        return self.zh if check_lang(lang) == "zh" else self.en


def _specs() -> Entry:
    return require(read_catalogue(_VOCABULARY), "domains", dict)


def domain_names() -> tuple[str, ...]:
    """The domains of ``data/vocabulary.toml``, in file order."""
    return tuple(_specs())


@cache
def _by_field() -> dict[str, str]:
    """``table.field`` → the domain coding it (its ``field`` and the other ``fields`` it codes)."""
    out = {}
    for name, spec in _specs().items():
        for where in [require(spec, "field", str, default=""), *require(spec, "fields", list, default=[])]:
            if where:
                out[where] = name
    return out


def _resolve(domain: str) -> str:
    """The domain name of `domain`: a domain name, or the ``table.field`` one codes."""
    if domain in _specs():
        return domain
    table, _, field = domain.partition(".")
    found = field_domain(table, field) if field else None
    if found:
        return found
    msg = (
        f"{domain!r} is not a domain of blockcheck/data/{_VOCABULARY} nor a list field one codes; domains: "
        f"{', '.join(domain_names())}. Add [domains.<name>] there."
    )
    raise BlockcheckError(msg)


def _field_codes(spec: Entry, where: str) -> tuple[list[str], dict[str, str]]:
    """Codes (the field's values) and Chinese labels of a list field ``table.field`` (``*.field``: any list)."""
    from blockcheck.lists.schema import list_tables, value_labels

    table, _, field = where.partition(".")
    zh = value_labels(table, field)
    if table == "*":
        return list(zh), zh
    found = next((f for f in list_tables()[table].fields if f.name == field), None) if table in list_tables() else None
    if found is None or not found.values:
        msg = f"{location(spec, 'field')} = {where!r}: not a coded field of data/lists.toml (a field with values)."
        raise CatalogueError(msg)
    return list(found.values), zh


def _source_codes(spec: Entry, source: str) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Codes, Chinese and English labels from another catalogue (input model, need categories)."""
    if source == "demand_vocabulary":
        from blockcheck.surveys.vocabulary import demand_vocabulary

        cats = demand_vocabulary().categories
        return [c.code for c in cats], {c.code: c.label_zh for c in cats}, {c.code: c.label_en for c in cats}
    kind, _, name = source.partition(".")
    if kind == "input_model":
        from blockcheck.inputs.model import input_model

        vocabularies = input_model().vocabularies
        if name in vocabularies:
            zh = dict(vocabularies[name].labels_zh)
            return list(zh), zh, {}
    msg = (
        f"{location(spec, 'source')} = {source!r}: use "
        '"demand_vocabulary" or "input_model.<a vocabulary of data/input_model.toml>".'
    )
    raise CatalogueError(msg)


def _check_colours(spec: Entry, key: str, colours: dict) -> None:
    bad = {c: v for c, v in colours.items() if not isinstance(v, str) or not _COLOUR.match(v)}
    if bad:
        msg = f"{location(spec, key)}: {bad} are not colours; write them as #rrggbb."
        raise CatalogueError(msg)


@cache
def terms(domain: str) -> tuple[Term, ...]:
    """The coded values of `domain` in order, each with its labels and colour.

    Raises
    ------
    CatalogueError
        The domain's entry in ``data/vocabulary.toml`` is malformed (the
        message names the file and key): a label or colour for a code the
        domain does not have, a colour that is not ``#rrggbb``, a code without
        a colour where the domain colours its codes, a Chinese code without an
        English label.
    """
    name = _resolve(domain)
    spec = _specs()[name]
    check_keys(spec, (), ("field", "fields", "source", "codes", "zh", "en", "colours", "other"))
    given = [k for k in ("field", "source", "codes") if k in spec]
    if len(given) != 1:
        msg = f"{location(spec)}: give exactly one of field, source or codes (found {given or 'none'})."
        raise CatalogueError(msg)
    en_source: dict[str, str] = {}
    if "field" in spec:
        codes_, zh_source = _field_codes(spec, require(spec, "field", str))
    elif "source" in spec:
        codes_, zh_source, en_source = _source_codes(spec, require(spec, "source", str))
    else:
        codes_, zh_source = [str(c) for c in require(spec, "codes", list)], {}
    zh, en = require(spec, "zh", dict, default={}), require(spec, "en", dict, default={})
    fills = require(spec, "colours", dict, default={})
    for key, table in (("zh", zh), ("en", en), ("colours", fills)):
        unknown = sorted(set(table) - set(codes_))
        if unknown:
            msg = f"{location(spec, key)}: {unknown} are not codes of the domain ({', '.join(codes_)})."
            raise CatalogueError(msg)
    twice = sorted(set(zh) & set(zh_source))
    if twice:
        msg = f"{location(spec, 'zh')}: {twice} are labelled where the codes are defined; remove them here."
        raise CatalogueError(msg)
    _check_colours(spec, "colours", fills)
    _check_colours(spec, "other", {"other": spec["other"]} if "other" in spec else {})
    if fills and set(fills) != set(codes_):
        missing = sorted(set(codes_) - set(fills))
        msg = f"{location(spec, 'colours')}: no colour for {missing}; give every code one."
        raise CatalogueError(msg)
    chinese = [c for c in codes_ if re.search(r"[\u4e00-\u9fff]", c) and c not in en and c not in en_source]
    if chinese:
        msg = f"{location(spec, 'en')}: no English label for {chinese}; add them."
        raise CatalogueError(msg)
    return tuple(
        Term(
            code=c,
            zh=zh.get(c) or zh_source.get(c) or c,
            en=en.get(c) or en_source.get(c) or c.replace("_", " "),
            colour=fills.get(c, ""),
        )
        for c in codes_
    )


def field_domain(table: str, field: str) -> str | None:
    """The domain coding list field ``table.field`` (a field of every list: ``*.field``), or None."""
    fields = _by_field()
    return fields.get(f"{table}.{field}") or fields.get(f"*.{field}")


def field_labels(table: str, field: str, lang: str = "zh") -> dict[str, str]:
    """Code → label in `lang` of a coded list field; empty when no domain codes the field.

    Examples
    --------
    >>> field_labels("task_list", "provenance")["edited"]
    '编辑'
    """
    domain = field_domain(table, field)
    return labels(domain, lang) if domain else {}


def codes(domain: str) -> tuple[str, ...]:
    """The codes of `domain` in order."""
    return tuple(t.code for t in terms(domain))


def labels(domain: str, lang: str = "zh") -> dict[str, str]:
    """Code → label in `lang` of every code of `domain`, in order.

    Codes that are English words are their own English labels (underscores as
    spaces); codes that are Chinese words their own Chinese labels.
    """
    check_lang(lang)
    return {t.code: t.label(lang) for t in terms(domain)}


def label(domain: str, code: object, lang: str = "zh") -> str:
    """The label of one `code` in `lang`; the code itself when the domain does not know it."""
    return labels(domain, lang).get(str(code), str(code))


def colours(domain: str) -> dict[str, str]:
    """Code → colour (``#rrggbb``) of every code of `domain`, in order; empty for a domain without colours."""
    return {t.code: t.colour for t in terms(domain) if t.colour}


def colour(domain: str, code: object) -> str:
    """The colour of `code`: its own, else the domain's ``other`` colour.

    Raises
    ------
    BlockcheckError
        The domain has no colour for `code` and no ``other`` colour.
    """
    fills = colours(domain)
    if str(code) in fills:
        return fills[str(code)]
    spec = _specs()[_resolve(domain)]
    if spec.get("other"):
        return spec["other"]
    msg = f"{location(spec, 'colours')}: no colour for {code!r}. Add it to the domain's colours."
    raise BlockcheckError(msg)


def no_data() -> Term:
    """How outputs show a value without data: the label of metric_status ``no_data`` (无数据) and its colour."""
    term = next(t for t in terms("metric_status") if t.code == "no_data")
    settings = choropleth_settings()
    fill = require(settings, "no_data", str)
    _check_colours(settings, "no_data", {"no_data": fill})
    return Term(term.code, term.zh, term.en, fill)


def life_cycle() -> tuple[Term, ...]:
    """The stages of a project's life cycle in order (入库 → 动态调整 → 滚动实施 → 已完成), with labels and colours."""
    return terms("project_status")


# ------------------------------------------------------------------ priority


@dataclass(frozen=True)
class PriorityClass:
    """A class of project priority scores: ``score >= min`` (and below the next class up)."""

    min: float
    zh: str
    en: str
    colour: str
    size: float  # marker size (points²) on the hearing maps
    width: float  # line width (points) on the hearing maps

    def label(self, lang: str = "zh") -> str:
        """The label in `lang`."""
        return self.zh if check_lang(lang) == "zh" else self.en


@cache
def priority_classes() -> tuple[PriorityClass, ...]:
    """The priority classes, highest first (``[[priority]]`` of ``data/vocabulary.toml``)."""
    doc = read_catalogue(_VOCABULARY)
    rows = require_tables(doc, "priority")
    numbers = {"min": float, "size": float, "width": float}
    out = tuple(build(PriorityClass, r, numbers) for r in rows)
    for row in rows:
        _check_colours(row, "colour", {"colour": row["colour"]})
    if not out or [c.min for c in out] != sorted((c.min for c in out), reverse=True) or out[-1].min > 0:
        msg = f"{location(doc, 'priority')}: give the classes highest first, the last with min = 0."
        raise CatalogueError(msg)
    return tuple(PriorityClass(float(c.min), c.zh, c.en, c.colour, float(c.size), float(c.width)) for c in out)


def priority_index(score: float | None) -> int:
    """Index into :func:`priority_classes` of one score (a missing score: the lowest class)."""
    classes = priority_classes()
    if score is None or score != score:  # NaN
        return len(classes) - 1
    return next((i for i, c in enumerate(classes) if score >= c.min), len(classes) - 1)


# ------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class Unit:
    """The unit of a metric as outputs write it."""

    key: str
    zh: str
    en: str
    percent: bool = False  # a share, shown as a percentage
    decimals: int = 2

    def label(self, lang: str = "zh") -> str:
        """The unit in `lang` (empty for a percentage, whose sign says it)."""
        return self.zh if check_lang(lang) == "zh" else self.en


@dataclass(frozen=True)
class Metric:
    """One column of ``block_metrics`` / ``area_metrics``: label, unit, the standard it is judged against, direction."""

    key: str
    zh: str
    en: str
    unit: Unit
    standard: str  # a standards key, or "" for none
    better: str  # higher | lower | neutral
    template: str = ""  # the key with placeholders this entry was made from ("" for an entry of its own)

    def label(self, lang: str = "zh") -> str:
        """The label in `lang` (no unit)."""
        return self.zh if check_lang(lang) == "zh" else self.en

    def title(self, lang: str = "zh") -> str:
        """Label and unit: ``路网密度（公里/平方公里）`` / ``Road network density (km/km²)``."""
        unit = self.unit.label(lang)
        if not unit:
            return self.label(lang)
        return f"{self.zh}（{unit}）" if lang == "zh" else f"{self.en} ({unit})"


@dataclass(frozen=True)
class _Template:
    key: str
    pattern: re.Pattern
    spec: dict


class MetricSchema:
    """The metric entries of ``data/metrics.toml``; :meth:`metric` finds the entry of any column."""

    def __init__(
        self, entries: dict[str, dict], templates: list[_Template], units: dict[str, Unit], titles: dict[str, dict]
    ) -> None:
        self._entries, self._templates, self.units, self._titles = entries, templates, units, titles

    def table_title(self, table: str, lang: str = "zh") -> str:
        """The title of a metric table (``block_metrics``, ``area_metrics``) in `lang`; the name when unknown."""
        return self._titles.get(table, {}).get(check_lang(lang), table)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key of the file, templates with their placeholders."""
        return (*self._entries, *(t.key for t in self._templates))

    def get(self, column: str) -> Metric | None:
        """The entry of `column`, or None when the schema has none."""
        if column in self._entries:
            return _metric(column, self._entries[column], {}, self.units)
        for template in self._templates:
            match = template.pattern.fullmatch(column)
            if match:
                return _metric(column, template.spec, match.groupdict(), self.units, template.key)
        return None

    def metric(self, column: str) -> Metric:
        """The entry of `column`.

        Raises
        ------
        CatalogueError
            No entry of ``data/metrics.toml`` describes the column.
        """
        found = self.get(column)
        if found is None:
            msg = (
                f"blockcheck/data/{_METRICS}: no [[metric]] entry for the column {column!r}. "
                "Add one (key, zh, en, unit, standard, better)."
            )
            raise CatalogueError(msg)
        return found

    def matches(self, column: str) -> list[str]:
        """The keys (templates included) whose entry describes `column` (one, in a sound schema)."""
        found = [column] if column in self._entries else []
        return found + [t.key for t in self._templates if t.pattern.fullmatch(column)]


def _fill(text: str, values: dict[str, str], lang: str | None) -> str:
    """`text` with its placeholders replaced: numbers as they are, domain codes by their label (or code)."""

    def one(match: re.Match) -> str:
        name = match.group(1)
        value = values[name]
        return value if name in _NUMBERS or lang is None else label(name, value, lang)

    return _PLACEHOLDER.sub(one, text)


def _metric(column: str, spec: dict, values: dict[str, str], units: dict[str, Unit], template: str = "") -> Metric:
    en = _fill(spec["en"], values, "en")
    return Metric(
        key=column,
        zh=_fill(spec["zh"], values, "zh"),
        en=en[:1].upper() + en[1:],
        unit=units[spec["unit"]],
        standard=_fill(spec["standard"], values, None),
        better=spec["better"],
        template=template,
    )


def _pattern(key: str) -> re.Pattern:
    parts, end = [], 0
    for match in _PLACEHOLDER.finditer(key):
        name = match.group(1)
        parts.append(re.escape(key[end : match.start()]))
        if name in _NUMBERS:
            parts.append(rf"(?P<{name}>\d+)")
        else:
            alternatives = sorted(codes(name), key=len, reverse=True)
            parts.append(f"(?P<{name}>{'|'.join(map(re.escape, alternatives))})")
        end = match.end()
    parts.append(re.escape(key[end:]))
    return re.compile("".join(parts))


@cache
def metric_schema() -> MetricSchema:
    """The metric schema of ``data/metrics.toml`` (cached).

    Raises
    ------
    CatalogueError
        An entry lacks a field, names an unknown unit or direction, a
        placeholder that is neither a number nor a domain, or repeats a key.
    """
    doc = read_catalogue(_METRICS)
    units = {}
    for key, u in require(doc, "units", dict).items():
        check_keys(u, ("zh", "en"), ("percent", "decimals"))
        units[key] = Unit(
            key,
            require(u, "zh", str),
            require(u, "en", str),
            require(u, "percent", bool, default=False),
            require(u, "decimals", int, default=2),
        )
    entries: dict[str, dict] = {}
    templates: list[_Template] = []
    for spec in require_tables(doc, "metric"):
        check_keys(spec, ("key", "zh", "en", "unit", "standard", "better"))
        key = require(spec, "key", str)
        texts = [require(spec, k, str) for k in ("zh", "en", "standard")]
        if require(spec, "unit", str) not in units:
            msg = f"{location(spec, 'unit')} = {spec['unit']!r} is not one of [units] ({', '.join(units)})."
            raise CatalogueError(msg)
        if require(spec, "better", str) not in _BETTER:
            msg = f"{location(spec, 'better')} = {spec['better']!r}: write one of {', '.join(_BETTER)}."
            raise CatalogueError(msg)
        if key in entries or any(t.key == key for t in templates):
            msg = f"{location(spec, 'key')} = {key!r}: the key is given twice."
            raise CatalogueError(msg)
        names = set(_PLACEHOLDER.findall(key))
        used = {n for text in texts for n in _PLACEHOLDER.findall(text)}
        if used - names:
            msg = f"{location(spec)}: placeholders {sorted(used - names)} are not in the key."
            raise CatalogueError(msg)
        if not names:
            entries[key] = spec
            continue
        unknown = [n for n in names if n not in _NUMBERS and n not in domain_names()]
        if unknown:
            numbers = ", ".join(_NUMBERS)
            msg = f"{location(spec, 'key')}: placeholders {unknown} are neither numbers ({numbers}) nor domains."
            raise CatalogueError(msg)
        templates.append(_Template(key, _pattern(key), spec))
    return MetricSchema(entries, templates, units, dict(require(doc, "tables", dict, default={})))


def clear_caches() -> None:
    """Forget the catalogues read so far, so the next call reads them again (after editing them, in tests)."""
    for loader in (read_catalogue, _by_field, terms, priority_classes, metric_schema):
        loader.cache_clear()
