"""The schema of the eight lists, loaded from ``data/lists.toml`` (the one definition).

Besides the tables, the file labels coded values in Chinese
(``[value_labels.<table>.<field>]``, or ``[value_labels."*".<field>]`` for a
field of every list such as ``provenance``); :func:`value_labels` is the one
reader of those labels for the Excel workbook, the report and the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from blockcheck.catalogue import load_data
from blockcheck.errors import BlockcheckError, CatalogueError, SchemaError

__all__ = [
    "EIGHT_LISTS",
    "ListField",
    "ListTable",
    "conform",
    "edit_problems",
    "list_table",
    "list_tables",
    "range_text",
    "split_ids",
    "value_labels",
]

_FILE = "blockcheck/data/lists.toml"
#: The table name of ``[value_labels."*".<field>]``: labels of a field in every list.
ANY_TABLE = "*"


@dataclass(frozen=True)
class ListField:
    """A column of a list table."""

    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool = False
    unit: str = ""
    values: tuple[str, ...] = ()
    unit_field: str = ""  # a column holding each row's unit (problem ``unit``, project ``amount_unit``)
    minimum: float | None = None  # numbers: the smallest value allowed (inclusive)
    maximum: float | None = None  # numbers: the largest value allowed (inclusive)
    unique: bool = False  # no two rows share a value (besides the table's key, which always is unique)
    references: str = ""  # "<table>.<column>" the value (each id of an id list) must name

    @property
    def label(self) -> str:
        """``name (中文标签)``: how messages name the field."""
        return f"{self.name} ({self.label_zh})" if self.label_zh else self.name

    @property
    def is_id_list(self) -> bool:
        """True for a comma-separated list of ids of other rows (name ``*_ids`` or unit ``ids``)."""
        return self.type == "str" and (self.name.endswith("_ids") or self.unit == "ids")


@dataclass(frozen=True)
class ListTable:
    """One list of the workbook."""

    name: str
    title_zh: str
    title_en: str
    figure: str
    geometry: str
    key: str
    fields: tuple[ListField, ...]

    @property
    def columns(self) -> list[str]:
        """Column names in schema order."""
        return [f.name for f in self.fields]

    def labels(self, lang: str = "zh") -> dict[str, str]:
        """Column name → header in `lang` (``zh`` default, or ``en``)."""
        return {f.name: (f.label_zh if lang == "zh" else f.label_en) for f in self.fields}


@cache
def _document() -> dict:
    """``data/lists.toml`` as parsed (cached)."""
    return load_data("lists.toml")


@cache
def list_tables() -> dict[str, ListTable]:
    """All list tables defined so far, by layer name."""
    doc = _document()
    tables = {}
    for name, t in doc["tables"].items():
        fields = tuple(ListField(**{**f, "values": tuple(f.get("values", ()))}) for f in t["fields"])
        tables[name] = ListTable(
            name, t["title_zh"], t["title_en"], t.get("figure", ""), t["geometry"], t["key"], fields
        )
    return tables


#: The eight lists in the order of the method (图1–图8), from ``data/lists.toml``.
EIGHT_LISTS: tuple[str, ...] = tuple(_document()["eight_lists"])


def list_table(name: str) -> ListTable:
    """The schema of list `name`."""
    return list_tables()[name]


@cache
def _field_labels(table: str, field: str) -> dict[str, str]:
    """Checked Chinese labels of one field: the ``"*"`` section's, the table's own on top."""
    sections = _document().get("value_labels", {})
    spec = next((f for f in list_tables()[table].fields if f.name == field), None) if table in list_tables() else None
    allowed = set(spec.values) if spec is not None and spec.values else None
    labels: dict[str, str] = {}
    for where in (ANY_TABLE, table):
        section = sections.get(where, {}).get(field, {})
        bad = {code: label for code, label in section.items() if not isinstance(label, str) or not label.strip()}
        if bad:
            msg = (
                f"{_FILE} [value_labels.{where}.{field}]: labels must be non-empty text, not {bad}. Give each "
                "code a Chinese label."
            )
            raise CatalogueError(msg)
        unknown = sorted(set(section) - allowed) if allowed is not None and where == table else []
        if unknown:
            msg = (
                f"{_FILE} [value_labels.{table}.{field}]: codes {unknown} are not values of {table}.{field} "
                f"({', '.join(spec.values)}). Remove them or add them to the field's `values`."
            )
            raise CatalogueError(msg)
        labels.update({code: label.strip() for code, label in section.items() if allowed is None or code in allowed})
    names: dict[str, str] = {code: code for code in labels}
    for code, label in labels.items():
        if names.get(label, code) != code:
            msg = (
                f"{_FILE} [value_labels] {table}.{field}: the label {label!r} of {code!r} is also the label or code of "
                f"{names[label]!r}, so an imported cell would be ambiguous. Give every code its own label."
            )
            raise CatalogueError(msg)
        names[label] = code
    return labels


def value_labels(table: str, field: str, lang: str = "zh") -> dict[str, str]:
    """The labels of the coded values of one field: code → label.

    Parameters
    ----------
    table
        A list table name, e.g. ``project_list``.
    field
        A field of it, e.g. ``status``.
    lang
        ``zh`` (default): the Chinese labels of ``[value_labels.<table>.<field>]``
        in ``data/lists.toml``, over those of ``[value_labels."*".<field>]``.
        ``en``: an empty mapping: the codes are English words and stand for themselves.

    Returns
    -------
    dict
        Code → label; codes without a label are left out. Labels are unique
        within the field and differ from its other codes, so a label read back
        names one code.

    Raises
    ------
    CatalogueError
        A label is empty, repeated, or labels a code the field does not allow.

    Examples
    --------
    >>> value_labels("project_list", "status")["adjusted"]
    '动态调整'
    >>> value_labels("project_list", "status", "en")
    {}
    """
    if lang not in ("zh", "en"):
        msg = f"language {lang!r}: choose zh or en."
        raise BlockcheckError(msg)
    return {} if lang == "en" else dict(_field_labels(table, field))


_DTYPES = {"str": object, "int": "Int64", "float": "float64"}


def conform(frame: pd.DataFrame, table: ListTable) -> pd.DataFrame:
    """Return `frame` with the schema's columns, order and types; raise SchemaError listing every problem."""
    problems = []
    missing = [f.name for f in table.fields if f.required and f.name not in frame.columns]
    if missing:
        problems.append(f"missing required columns {missing}")
    out = pd.DataFrame(index=frame.index)
    for f in table.fields:
        column = (
            frame[f.name]
            if f.name in frame.columns
            else pd.Series(np.nan if f.type != "str" else None, index=frame.index)
        )
        if f.type == "str":
            text = column.astype(object)
            out[f.name] = text.where(text.notna() & (text != ""), None)  # empty text is no value
        else:
            out[f.name] = pd.to_numeric(column, errors="coerce").astype(_DTYPES[f.type])
        if f.required and out[f.name].isna().any():
            problems.append(f"{f.name}: {int(out[f.name].isna().sum())} empty value(s)")
        if f.values:
            bad = out[f.name].notna() & ~out[f.name].isin(f.values)
            if bad.any():
                problems.append(f"{f.name}: values not allowed {sorted(out.loc[bad, f.name].unique())}")
        if f.minimum is not None or f.maximum is not None:
            numbers = out[f.name].astype("float64")
            low = numbers < f.minimum if f.minimum is not None else pd.Series(False, index=out.index)
            high = numbers > f.maximum if f.maximum is not None else pd.Series(False, index=out.index)
            bad = (low | high).fillna(False).astype(bool)
            if bad.any():
                shown = ", ".join(f"{v:g}" for v in sorted(numbers[bad].unique())[:5])
                problems.append(f"{f.label}: {shown} outside {range_text(f)}; enter a number {range_text(f, how=True)}")
    if table.key in out and out[table.key].duplicated().any():
        problems.append(f"{table.key}: duplicate keys")
    if problems:
        raise SchemaError(f"{table.name} ({table.title_zh}) does not match its schema: " + "; ".join(problems))
    return out.reset_index(drop=True)


def range_text(f: ListField, *, how: bool = False) -> str:
    """The range of a number field: ``0–100``, ``≥ 0``, ``≤ 1`` (`how`: ``from 0 to 100``, ``of at least 0`` …)."""
    low, high = (f"{v:g}" if v is not None else None for v in (f.minimum, f.maximum))
    if low is not None and high is not None:
        return f"from {low} to {high}" if how else f"{low}–{high}"
    if low is not None:
        return f"of at least {low}" if how else f"≥ {low}"
    if high is not None:
        return f"of at most {high}" if how else f"≤ {high}"
    return ""


def split_ids(value: object) -> list[str]:
    """The ids of an id-list cell (comma-separated, ASCII or Chinese commas), or the one value of a plain cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


def edit_problems(
    table: ListTable, row: dict, column: str, others: list[dict], known: dict[str, set[str]]
) -> list[str]:
    """What is wrong with an edited cell besides its type, allowed values and range (see :func:`conform`).

    Parameters
    ----------
    table
        The list's schema.
    row
        The row with the edit (field name → value).
    column
        The field that was edited: only its rules are checked, so a row holding an older inconsistency
        can still be edited elsewhere.
    others
        The list's other rows (field name → value), for ``unique`` fields.
    known
        ``"<table>.<column>"`` → the values there, for fields that reference them (e.g.
        ``block_metrics.block_id``); a reference not in `known` is not checked.

    Returns
    -------
    list of str
        One message per problem, naming the field, the value and how to fix it; empty when the edit is fine.
    """
    spec = next((f for f in table.fields if f.name == column), None)
    value = row.get(column)
    if spec is None or value is None or (isinstance(value, str) and not value.strip()):
        return []
    problems = []
    if spec.unique or spec.name == table.key:
        text = split_ids(value)
        used = {tuple(split_ids(other.get(column))) for other in others}
        if tuple(text) in used:
            numbers = [float(v) for other in others if isinstance(v := other.get(column), int | float)]
            free = f", e.g. {int(max(numbers, default=0)) + 1}" if spec.type == "int" else ""
            problems.append(
                f"{spec.label}: {value} is already used by another row of {table.title_zh}; "
                f"give a value no other row has{free}"
            )
    if spec.references and spec.references in known:
        valid = known[spec.references]
        unknown = [v for v in split_ids(value) if v not in valid]
        if unknown:
            where = spec.references.replace(".", " column ", 1)
            example = f" (e.g. {sorted(valid)[0]})" if valid else ""
            problems.append(
                f"{spec.label}: {', '.join(unknown[:5])} not found in {where}; enter an existing id{example}"
                + (" or a comma-separated list of them" if spec.is_id_list else "")
            )
    return problems
