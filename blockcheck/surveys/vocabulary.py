"""The demand vocabulary (``data/demand_vocabulary.toml``) and the vision keywords (``data/vision_keywords.toml``).

:func:`demand_vocabulary` loads the categories (columns of the demand list,
图3) and the needs with their codes, labels, aliases and links to facility
categories and problem metrics; :func:`vision_keywords` loads the vision
categories (衣食住行 …) with their keywords. Both check the file and list every
problem at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from blockcheck.catalogue import load_data, location
from blockcheck.errors import CatalogueError
from blockcheck.surveys._text import _is_none_text, _phrase_key

#: Code of a need or vision that the vocabulary does not know.
OTHER = "other"
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class NeedCategory:
    """One column of the demand list (图3), e.g. ``public_service`` 公共服务设施."""

    code: str
    label_zh: str
    label_en: str
    headers: tuple[str, ...]  # accepted headers; the first is the 图3 header


@dataclass(frozen=True)
class Need:
    """One need of the demand vocabulary, e.g. ``elderly_care`` 养老."""

    code: str
    category: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()
    facility_category: tuple[str, ...] = ()  # input-model facility_category keys
    problem_metric: tuple[str, ...] = ()  # metric keys evidencing the need


@dataclass(frozen=True)
class DemandVocabulary:
    """Categories and needs of the demand list, with the lookups used to read surveys."""

    categories: tuple[NeedCategory, ...]
    needs: tuple[Need, ...]
    id_headers: dict[str, tuple[str, ...]]  # "subdistrict" / "community" → accepted headers
    none_markers: frozenset[str]
    source: str = ""
    _by_phrase: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for need in self.needs:
            for phrase in (need.code, need.label_zh, need.label_en, *need.aliases):
                table.setdefault(_phrase_key(phrase), need.code)
        object.__setattr__(self, "_by_phrase", table)

    def lookup(self, phrase: str) -> Need | None:
        """The need `phrase` names (code, label or alias, after normalisation), or None."""
        code = self._by_phrase.get(_phrase_key(phrase))
        return None if code is None else self.need(code)

    def need(self, code: str) -> Need:
        """The need with code `code` (KeyError if unknown)."""
        for need in self.needs:
            if need.code == code:
                return need
        raise KeyError(code)

    def category(self, code: str) -> NeedCategory:
        """The category with code `code` (KeyError if unknown)."""
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)

    def needs_of(self, category: str) -> tuple[Need, ...]:
        """The needs of one category, in file order."""
        return tuple(n for n in self.needs if n.category == category)

    def is_none(self, text: str) -> bool:
        """True if `text` means "no need" (empty, dashes or a none marker)."""
        return _is_none_text(text, self.none_markers)


@dataclass(frozen=True)
class VisionCategory:
    """One category of the vision list, e.g. ``food`` 食, with its keywords."""

    code: str
    label_zh: str
    label_en: str
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisionKeywords:
    """Vision categories (file order) and the accepted vision column headers."""

    categories: tuple[VisionCategory, ...]
    headers: tuple[str, ...]
    none_markers: frozenset[str]
    source: str = ""

    def is_none(self, text: str) -> bool:
        """True if `text` holds no vision (empty, dashes or a none marker)."""
        return _is_none_text(text, self.none_markers)


def _read_toml(path: str | os.PathLike | None, packaged: str) -> tuple[dict, str]:
    """The catalogue `path` (None: the packaged `packaged`) and its name for messages."""
    doc = load_data(packaged, path)
    return doc, location(doc)


def _tables(doc: Mapping, name: str, problems: list[str]) -> dict:
    """The tables ``[<name>.<code>]`` of `doc`; anything else there is a problem (and left out)."""
    found = doc.get(name, {})
    if not isinstance(found, Mapping):
        problems.append(f"{name} must be tables [{name}.<code>]")
        return {}
    bad = [code for code, table in found.items() if not isinstance(table, Mapping)]
    problems.extend(f"{name}.{code} must be a table [{name}.{code}] with its fields" for code in bad)
    return {code: table for code, table in found.items() if code not in bad}


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in (value or ()))


def _none_markers(doc: dict) -> frozenset[str]:
    """Phrase keys of the file's ``none_markers`` (cell texts that mean "none")."""
    return frozenset(_phrase_key(m) for m in _strings(doc.get("none_markers")))


def _parse_demand_vocabulary(doc: dict, where: str) -> DemandVocabulary:
    from blockcheck.inputs.model import input_model  # local: keeps module import light

    problems: list[str] = []
    facility_keys = set(input_model().vocabulary("facility_category").keys)
    categories = []
    for code, table in _tables(doc, "categories", problems).items():
        if not _SNAKE.match(code):
            problems.append(f"category code {code!r} is not snake_case ASCII")
        headers = _strings(table.get("headers")) or (table.get("label_zh", code),)
        categories.append(NeedCategory(code, table.get("label_zh", code), table.get("label_en", code), headers))
    if not categories:
        problems.append("no [categories.<code>] tables")
    category_codes = {c.code for c in categories}
    needs = []
    seen_phrases: dict[str, str] = {}
    for code, table in _tables(doc, "needs", problems).items():
        if not _SNAKE.match(code) or code == OTHER:
            problems.append(f"need code {code!r} must be snake_case ASCII and not {OTHER!r}")
        if table.get("category") not in category_codes:
            problems.append(f"need {code!r}: category {table.get('category')!r} is not one of {sorted(category_codes)}")
        if "label_zh" not in table:
            problems.append(f"need {code!r}: label_zh is missing")
        facilities = _strings(table.get("facility_category"))
        problems.extend(
            f"need {code!r}: facility_category {f!r} is not a key of vocabularies.facility_category in input_model.toml"
            for f in facilities
            if f not in facility_keys
        )
        need = Need(
            code=code,
            category=str(table.get("category", "")),
            label_zh=str(table.get("label_zh", code)),
            label_en=str(table.get("label_en", code)),
            aliases=_strings(table.get("aliases")),
            facility_category=facilities,
            problem_metric=_strings(table.get("problem_metric")),
        )
        for phrase in dict.fromkeys((need.code, need.label_zh, need.label_en, *need.aliases)):
            key = _phrase_key(phrase)
            if key in seen_phrases and seen_phrases[key] != code:
                problems.append(f"wording {phrase!r} is used by needs {seen_phrases[key]!r} and {code!r}")
            seen_phrases.setdefault(key, code)
        needs.append(need)
    id_headers = {}
    for name, label in (("subdistrict", "街道"), ("community", "社区")):
        table = doc.get("columns", {}).get(name, {})
        id_headers[name] = _strings(table.get("headers")) or (label,)
    if problems:
        msg = f"{where}: the demand vocabulary has {len(problems)} problem(s):\n- " + "\n- ".join(problems)
        raise CatalogueError(msg)
    markers = _none_markers(doc)
    return DemandVocabulary(tuple(categories), tuple(needs), id_headers, markers, str(doc.get("source", "")))


def _parse_vision_keywords(doc: dict, where: str) -> VisionKeywords:
    problems: list[str] = []
    categories = []
    for code, table in _tables(doc, "categories", problems).items():
        if not _SNAKE.match(code) or code == OTHER:
            problems.append(f"category code {code!r} must be snake_case ASCII and not {OTHER!r}")
        keywords = tuple(_phrase_key(k) for k in _strings(table.get("keywords")))
        if not keywords or not all(keywords):
            problems.append(f"category {code!r} has no or empty keywords")
        exclude = tuple(_phrase_key(k) for k in _strings(table.get("exclude")))
        categories.append(
            VisionCategory(code, table.get("label_zh", code), table.get("label_en", code), keywords, exclude)
        )
    if not categories:
        problems.append("no [categories.<code>] tables")
    if problems:
        msg = f"{where}: the vision keywords have {len(problems)} problem(s):\n- " + "\n- ".join(problems)
        raise CatalogueError(msg)
    headers = _strings(doc.get("columns", {}).get("vision", {}).get("headers")) or ("愿景",)
    markers = _none_markers(doc)
    return VisionKeywords(tuple(categories), headers, markers, str(doc.get("source", "")))


@cache
def _packaged_demand_vocabulary() -> DemandVocabulary:
    return _parse_demand_vocabulary(*_read_toml(None, "demand_vocabulary.toml"))


@cache
def _packaged_vision_keywords() -> VisionKeywords:
    return _parse_vision_keywords(*_read_toml(None, "vision_keywords.toml"))


def demand_vocabulary(path: str | os.PathLike | None = None) -> DemandVocabulary:
    """Load the demand vocabulary.

    Parameters
    ----------
    path
        A TOML file shaped like ``blockcheck/data/demand_vocabulary.toml``; None
        (default) loads the packaged one (cached).

    Returns
    -------
    DemandVocabulary
        Categories (survey columns) and needs with their codes, labels, aliases
        and links (``facility_category``, ``problem_metric``).

    Raises
    ------
    blockcheck.errors.CatalogueError
        If the file is missing, not TOML, or inconsistent (every problem listed).
    """
    if path is None:
        return _packaged_demand_vocabulary()
    return _parse_demand_vocabulary(*_read_toml(path, "demand_vocabulary.toml"))


def vision_keywords(path: str | os.PathLike | None = None) -> VisionKeywords:
    """Load the vision categories and keywords.

    Parameters
    ----------
    path
        A TOML file shaped like ``blockcheck/data/vision_keywords.toml``; None
        (default) loads the packaged one (cached).

    Returns
    -------
    VisionKeywords

    Raises
    ------
    blockcheck.errors.CatalogueError
        If the file is missing, not TOML, or inconsistent (every problem listed).
    """
    if path is None:
        return _packaged_vision_keywords()
    return _parse_vision_keywords(*_read_toml(path, "vision_keywords.toml"))
