"""Planning standards: packaged TOML profiles plus user overrides, as immutable data.

A profile is a TOML file of entries ``[group.key]`` with ``value``, ``unit``,
``source`` and ``grade`` (A seen in the standard, B quoted, C recalled), plus
optional ``kind`` (``"standard"``, the default, or ``"parameter"`` for
blockcheck's own detection defaults), ``year``, ``supersedes``,
``superseded_by``, ``verify`` (what would verify a grade-C value),
``verify_zh`` (the same in Chinese, which Chinese outputs quote),
``label_zh`` / ``label_en`` (short labels for legends and tables) and
``unit_zh``. A profile may ``extends`` another; every profile extends
``parameters.toml``, which holds blockcheck's own parameters.

A user file overrides single values, as a table
(``[roads.density_min_km_per_km2] value = 7.5 source = "..." grade = "A"``)
or, for parameters, as a plain dotted value (``resources.roof_min_area_m2 = 200``).
Overriding a standard needs a grade: a number nobody graded is not a standard.
The profile and overrides used are recorded in every output through
:func:`standards_table`.

:func:`threshold_term` is the one place that decides the word an output uses
for a threshold (标准 / 参考值（待核实） / 参数), and :func:`grade_label` the
wording of a grade in the output's language.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from blockcheck.errors import BlockcheckWarning, StandardsError

__all__ = [
    "GRADES",
    "KINDS",
    "PROFILES",
    "TABLE_COLUMNS",
    "StandardValue",
    "Standards",
    "grade_label",
    "load_standards",
    "standards_table",
    "threshold_term",
]

#: Profiles shipped with blockcheck.
PROFILES = ("beijing", "national")
#: blockcheck's own parameters (data/standards/parameters.toml): the base every profile extends.
_BASE = "parameters"
_DEFAULT_LABELS = {"standard": {}, "parameter": {"label_zh": "本工具默认值", "label_en": "blockcheck default"}}
#: Confidence grades: A seen in the standard, B quoted by a secondary source, C recalled / not found.
GRADES = ("A", "B", "C")
#: Entry kinds: a planning standard, or a parameter (blockcheck's own default, not a standard).
KINDS = ("standard", "parameter")
_TEXT_FIELDS = (
    "source",
    "note",
    "supersedes",
    "superseded_by",
    "verify",
    "verify_zh",
    "label_zh",
    "label_en",
    "unit_zh",
)
_ENTRY_KEYS = {"value", "unit", "grade", "kind", "year", "choices", "separator", "quoted_only", *_TEXT_FIELDS}
#: Columns of the ``standards_used`` table, in order.
TABLE_COLUMNS = (
    "key",
    "value",
    "unit",
    "source",
    "grade",
    "origin",
    "kind",
    "label_zh",
    "label_en",
    "year",
    "supersedes",
    "superseded_by",
    "verify",
    "verify_zh",
    "term_zh",
    "term_en",
    "unit_zh",
)

_TERMS = {
    "zh": {"standard": "标准", "reference": "参考值（待核实）", "parameter": "参数"},
    "en": {"standard": "standard", "reference": "reference value (to be verified)", "parameter": "parameter"},
}
_GRADE_LABELS = {
    "zh": {"A": "A 已核对原文", "B": "B 二手引用", "C": "C 待核实"},
    "en": {"A": "A seen in the standard", "B": "B quoted", "C": "C recalled – to be verified"},
}
_ALLOWED_GRADES = (
    "allowed grades: A (seen in the standard), B (quoted by a secondary source), C (recalled – to be verified)"
)


def _lang(lang: str) -> str:
    if lang not in _TERMS:
        msg = f"language {lang!r}: choose zh or en."
        raise StandardsError(msg)
    return lang


@dataclass(frozen=True)
class StandardValue:
    """One entry of a profile: its value with unit, citation, grade and kind.

    ``kind`` is ``"standard"`` (a planning standard or official target) or
    ``"parameter"`` (a blockcheck default with no standard behind it). The
    optional fields describe the document: ``year``, ``supersedes``,
    ``superseded_by``, ``verify`` (what would verify a grade-C value),
    ``verify_zh`` (the same in Chinese) and the short labels ``label_zh`` /
    ``label_en`` legends and tables quote.
    """

    key: str
    value: float | str
    unit: str
    source: str
    grade: str
    origin: str  # profile id, or the override file it came from
    note: str = ""
    kind: str = "standard"
    year: int | None = None
    supersedes: str = ""
    superseded_by: str = ""
    verify: str = ""
    verify_zh: str = ""
    label_zh: str = ""
    label_en: str = ""
    unit_zh: str = ""
    quoted_only: bool = False  # quoted in the report's appendix only: no metric or rule reads it
    choices: tuple[str, ...] = ()  # allowed text values (a value of `separator`-joined choices when separator is set)
    separator: str = ""

    def label(self, lang: str = "zh") -> str:
        """The short label in `lang` (falls back to the other language's label, then the source)."""
        first, second = (self.label_zh, self.label_en) if _lang(lang) == "zh" else (self.label_en, self.label_zh)
        return first or second or self.source

    def unit_in(self, lang: str = "zh") -> str:
        """The unit as an output in `lang` shows it (``unit_zh`` in Chinese when given)."""
        return (self.unit_zh or self.unit) if _lang(lang) == "zh" else self.unit

    @classmethod
    def from_row(cls, row: Mapping) -> StandardValue:
        """An entry rebuilt from a ``standards_used`` row (missing or empty columns take their defaults).

        Parameters
        ----------
        row
            A mapping with at least ``key`` and ``value``, e.g. a row of
            :func:`standards_table` or of a workbook written by an older
            blockcheck (without the ``kind`` and label columns).

        Returns
        -------
        StandardValue
        """

        def get(name: str, default: str = "") -> str:
            raw = row.get(name, default)
            if raw is None or (isinstance(raw, float) and math.isnan(raw)):
                return default
            return str(raw)

        year = get("year")
        try:
            year_value = int(float(year)) if year else None
        except ValueError:
            year_value = None
        value = row.get("value", "")
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = get("value")
        return cls(
            key=get("key"),
            value=value,
            unit=get("unit"),
            source=get("source"),
            grade=get("grade"),
            origin=get("origin"),
            kind=get("kind", "standard") or "standard",
            year=year_value,
            **{name: get(name) for name in _TEXT_FIELDS if name != "source"},
        )


def threshold_term(entry: StandardValue | None, lang: str = "zh") -> str:
    """The word an output uses for a threshold: the only place that decides it.

    Parameters
    ----------
    entry
        The standards entry behind the threshold, or None for a rule's plain
        number with no standard behind it.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        ``"标准"`` / ``"standard"`` for a standard of grade A or B;
        ``"参考值（待核实）"`` / ``"reference value (to be verified)"`` for a
        standard of grade C (or of an unknown grade); ``"参数"`` /
        ``"parameter"`` for a parameter and for None.

    Raises
    ------
    StandardsError
        For a language other than zh and en.
    """
    terms = _TERMS[_lang(lang)]
    if entry is None or entry.kind == "parameter":
        return terms["parameter"]
    return terms["standard"] if entry.grade in ("A", "B") else terms["reference"]


def grade_label(grade: str, lang: str = "zh") -> str:
    """A grade as an output in `lang` states it, e.g. ``"A 已核对原文"`` or ``"C recalled – to be verified"``.

    Parameters
    ----------
    grade
        ``"A"``, ``"B"`` or ``"C"``; anything else is returned unchanged
        (an empty grade gives an empty text).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
    """
    return _GRADE_LABELS[_lang(lang)].get(str(grade).strip(), str(grade).strip())


@dataclass(frozen=True)
class Standards:
    """An immutable set of standards (a profile with optional overrides)."""

    profile: str
    title: str
    values: dict[str, StandardValue]
    overrides_file: str | None = None

    def __getitem__(self, key: str) -> float | str:
        return self.entry(key).value

    def entry(self, key: str) -> StandardValue:
        """The full entry (value, unit, source, grade, kind …) of `key`."""
        try:
            return self.values[key]
        except KeyError:
            close = difflib.get_close_matches(key, self.values, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            msg = f"Standard {key!r} is not in profile {self.profile!r}.{hint}"
            raise StandardsError(msg) from None

    def get(self, key: str, default: float | str | None = None) -> float | str | None:
        """The value of `key`, or `default` when the profile does not define it."""
        entry = self.values.get(key)
        return default if entry is None else entry.value

    def with_prefix(self, prefix: str) -> dict[str, float | str]:
        """Values under ``prefix.`` keyed by the rest of the key (e.g. ``radius_m``)."""
        start = prefix.rstrip(".") + "."
        return {k[len(start) :]: v.value for k, v in self.values.items() if k.startswith(start)}

    @property
    def digest(self) -> str:
        """Short SHA-256 of all values, units, sources, grades and kinds (identifies what a run used)."""
        payload = json.dumps(
            [[k, v.value, v.unit, v.source, v.grade, v.kind] for k, v in sorted(self.values.items())],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def _read_toml(text: str, where: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = (
            f"{where}: not valid TOML ({err}). Fix the line named, or compare with the shipped profiles (blockcheck "
            "standards show beijing)."
        )
        raise StandardsError(msg) from None


def _profile_doc(name: str) -> dict:
    if name not in (*PROFILES, _BASE):
        msg = (
            f"Unknown standards profile {name!r}. Shipped profiles: {', '.join(PROFILES)}; or give the path of a TOML "
            "overrides file with --standards."
        )
        raise StandardsError(msg)
    text = resources.files("blockcheck").joinpath(f"data/standards/{name}.toml").read_text("utf-8")
    return _read_toml(text, f"standards profile {name}")


def _entries(doc: dict, prefix: str = "") -> dict[str, dict]:
    """Flatten nested tables into dotted keys; a table with 'value' is an entry."""
    out: dict[str, dict] = {}
    for key, item in doc.items():
        if not prefix and key == "profile":
            continue
        dotted = f"{prefix}{key}"
        if isinstance(item, dict) and "value" in item:
            out[dotted] = item
        elif isinstance(item, dict):
            out.update(_entries(item, dotted + "."))
        else:
            out[dotted] = {"value": item}
    return out


def _field_problems(key: str, entry: dict) -> list[str]:
    """Problems with the optional fields of one entry (unknown fields, kind, grade, year, texts)."""
    problems = []
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        problems.append(f"{key}: unknown entry fields {sorted(unknown)} (allowed: {sorted(_ENTRY_KEYS)})")
    if "kind" in entry and entry["kind"] not in KINDS:
        problems.append(
            f'{key}: kind {entry["kind"]!r} is unknown; write kind = "standard" (a planning standard) or "parameter" '
            "(blockcheck's own default)"
        )
    if "grade" in entry and entry["grade"] not in GRADES:
        problems.append(f"{key}: grade {entry['grade']!r} is not a grade; {_ALLOWED_GRADES}")
    year = entry.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.append(f"{key}: year {year!r} must be a whole number such as 2018")
    bad = [name for name in _TEXT_FIELDS if name in entry and not isinstance(entry[name], str)]
    if bad:
        problems.append(f"{key}: {', '.join(bad)} must be text in quotes")
    return problems


def _make(key: str, entry: dict, origin: str) -> StandardValue:
    return StandardValue(
        key=key,
        value=entry["value"],
        unit=entry["unit"],
        source=entry["source"],
        grade=entry["grade"],
        origin=origin,
        kind=entry.get("kind", "standard"),
        year=entry.get("year"),
        choices=tuple(entry.get("choices", ())),
        separator=entry.get("separator", ""),
        quoted_only=bool(entry.get("quoted_only", False)),
        **{name: entry.get(name, "") for name in _TEXT_FIELDS if name not in ("source",)},
    )


def _profile_values(name: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, StandardValue], str]:
    doc = _profile_doc(name)
    meta = doc.get("profile", {})
    values: dict[str, StandardValue] = {}
    parent = meta.get("extends") or (None if name == _BASE else _BASE)
    if parent:
        if parent in seen:
            msg = f"standards profiles extend each other in a circle: {' -> '.join((*seen, name, parent))}"
            raise StandardsError(msg)
        values, _ = _profile_values(parent, (*seen, name))
    problems = []
    for key, entry in _entries(doc).items():
        missing = {"value", "unit", "source", "grade"} - set(entry)
        if missing:
            problems.append(f"{key}: needs value, unit, source and grade (missing: {', '.join(sorted(missing))})")
            continue
        kind = entry.get(
            "kind", values[key].kind if key in values else meta.get("kind", "standard")
        )  # parent's or file's kind
        found = _field_problems(key, {**entry, "kind": kind})
        if found:
            problems.extend(found)
            continue
        values[key] = _make(key, {**_DEFAULT_LABELS.get(kind, {}), **entry, "kind": kind}, name)
    if problems:
        raise StandardsError(f"standards profile {name}: " + "; ".join(problems))
    return values, meta.get("title", name)


def _override(key: str, entry: dict, base: StandardValue, path: Path) -> tuple[StandardValue | None, list[str]]:
    """The entry `entry` of an overrides file applied to `base`, or the problems found."""
    new = entry["value"]
    if (
        isinstance(base.value, str) != isinstance(new, str)
        or isinstance(new, bool)
        or not isinstance(new, str | int | float)
    ):
        return None, [
            (
                f"{key} = {new!r} has the wrong type: expected {'text' if isinstance(base.value, str) else 'a number'} "
                f"({base.unit})"
            )
        ]
    problems = _field_problems(key, entry) + _value_problems(key, new, base)
    kind = entry.get("kind", base.kind)
    if "grade" not in entry and kind == "standard":
        problems.append(
            f"{key}: no grade for your value of a standard. Write it as a table with its source and grade "
            f'([{key}] value = {new!r} source = "..." grade = "C"); {_ALLOWED_GRADES}'
        )
    if problems:
        return None, problems
    same_unit = "unit" not in entry or entry["unit"] == base.unit
    fields = {
        name: entry.get(name, "") for name in _TEXT_FIELDS if name not in ("source", "unit_zh", "label_zh", "label_en")
    }
    return StandardValue(
        key=key,
        value=new if isinstance(new, str) else float(new),
        unit=entry.get("unit", base.unit),
        source=entry.get("source", f"user override in {path.name}"),
        grade=entry.get("grade", "C"),  # only parameters may omit it
        origin=str(path),
        kind=kind,
        year=entry.get("year"),
        label_zh=entry.get("label_zh", "用户取值"),
        label_en=entry.get("label_en", "user value"),
        unit_zh=entry.get("unit_zh", base.unit_zh if same_unit else ""),
        choices=base.choices,
        separator=base.separator,
        quoted_only=base.quoted_only,
        **fields,
    ), []


def _value_problems(key: str, value: object, base: StandardValue) -> list[str]:
    """A user's value checked against the profile's entry: finite, in range for its unit, one of its choices."""
    if isinstance(value, str):
        if not base.choices:
            return []
        given = [v.strip() for v in value.split(base.separator)] if base.separator else [value.strip()]
        wrong = [v for v in given if v not in base.choices]
        if wrong or not any(given):
            joined = f" (one or more, separated by {base.separator!r})" if base.separator else ""
            return [
                (
                    f"{key} = {value!r}: {', '.join(map(repr, wrong)) or 'empty'} not allowed; choose from "
                    f"{', '.join(base.choices)}{joined}"
                )
            ]
        return []
    number = float(value)
    if not math.isfinite(number) or number < 0:
        return [f"{key} = {value!r}: must be a finite number ≥ 0 ({base.unit})"]
    if (
        base.unit.strip().lower().startswith("ratio")
        and isinstance(base.value, float)
        and base.value <= 1
        and number > 1
    ):
        return [f"{key} = {value!r}: a ratio between 0 and 1 (write 0.85 for 85 %)"]
    positive = key.startswith(("radius_m.", "life_circle.", "conversion.")) or key.endswith("_m")
    if positive and number == 0:
        return [f"{key} = 0: must be greater than 0 ({base.unit})"]
    return []


def load_standards(profile: str = "beijing", overrides: str | os.PathLike | None = None) -> Standards:
    """Load a shipped profile and apply a user's overrides file.

    Parameters
    ----------
    profile
        ``"beijing"`` (default) or ``"national"``.
    overrides
        Path of a TOML file overriding single values. It may name a base
        profile in ``[profile] extends = "national"``; every key must exist in
        the profile, and values keep the type of the profile's value. A
        standard's new value needs a ``grade`` (A, B or C); a parameter's may
        be a plain dotted value.

    Returns
    -------
    Standards

    Raises
    ------
    StandardsError
        Unknown profile, unreadable file, unknown keys (all listed, with close
        matches), values of the wrong type, a missing or unknown grade, an
        unknown kind.
    """
    override_doc: dict = {}
    overrides_name = None
    if overrides is not None:
        path = Path(overrides)
        if not path.is_file():
            msg = (
                f"Standards file {path} not found. Give the path of a TOML file, or a profile name "
                f"({', '.join(PROFILES)})."
            )
            raise StandardsError(msg)
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            msg = (
                f"Standards file {path} is not UTF-8 text. Save it as UTF-8 (e.g. in a text editor: Save As ▸ Encoding "
                "UTF-8) and run again."
            )
            raise StandardsError(msg) from None
        override_doc = _read_toml(text, str(path))
        meta = override_doc.get("profile", {})
        if not isinstance(meta, dict):
            msg = f'Standards file {path}: profile must be a table: write [profile] and below it extends = "national".'
            raise StandardsError(msg)
        profile = meta.get("extends", profile)
        overrides_name = str(path)
    if profile not in PROFILES:
        msg = f"Unknown standards profile {profile!r}. Shipped profiles: {', '.join(PROFILES)} (extends = one of them)."
        raise StandardsError(msg)
    values, title = _profile_values(profile)
    problems = []
    for key, entry in _entries(override_doc).items():
        if key not in values:
            close = difflib.get_close_matches(key, values, n=2)
            problems.append(f"unknown key {key!r}" + (f" (did you mean {' or '.join(close)}?)" if close else ""))
            continue
        new, found = _override(key, entry, values[key], path)
        problems.extend(found)
        if values[key].quoted_only and not found:
            warnings.warn(
                f"Standards overrides {overrides_name}: {key} is quoted in the report only — no metric or problem rule "
                "reads it, "
                "so your value changes the standards appendix, not the results.",
                BlockcheckWarning,
                stacklevel=2,
            )
        if new is not None:
            values[key] = new
    if problems:
        msg = (
            f"Standards overrides {overrides_name}: "
            + "; ".join(problems)
            + ". See `blockcheck standards show` for the valid keys."
        )
        raise StandardsError(msg)
    return Standards(profile=profile, title=title, values=values, overrides_file=overrides_name)


def standards_table(standards: Standards) -> pd.DataFrame:
    """The standards used, one row per key, for the ``standards_used`` output table.

    Columns are :data:`TABLE_COLUMNS`: ``key``, ``value`` (as text; empty for a
    key the profile leaves without a value, ``nan`` in its file),
    ``unit``, ``source``, ``grade``, ``origin``, then ``kind``, the short
    labels, ``year`` (text, empty when unknown), ``supersedes``,
    ``superseded_by``, ``verify``, ``verify_zh``, the words outputs use for the value
    (``term_zh`` / ``term_en``, from :func:`threshold_term`) and ``unit_zh``.
    """
    rows = [
        {
            "key": v.key,
            "value": "" if isinstance(v.value, float) and math.isnan(v.value) else str(v.value),  # nan: not given
            "unit": v.unit,
            "source": v.source,
            "grade": v.grade,
            "origin": v.origin,
            "kind": v.kind,
            "label_zh": v.label_zh,
            "label_en": v.label_en,
            "year": "" if v.year is None else str(v.year),
            "supersedes": v.supersedes,
            "superseded_by": v.superseded_by,
            "verify": v.verify,
            "verify_zh": v.verify_zh,
            "term_zh": threshold_term(v, "zh"),
            "term_en": threshold_term(v, "en"),
            "unit_zh": v.unit_zh,
        }
        for v in standards.values.values()
    ]
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    frame.attrs["profile"] = standards.profile
    return frame.sort_values("key", ignore_index=True)
