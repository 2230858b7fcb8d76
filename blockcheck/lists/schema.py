"""The schema of the eight lists, loaded from ``data/lists.toml`` (the one definition)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import BlockcheckError

__all__ = ["ListField", "ListTable", "conform", "list_table", "list_tables"]


class SchemaError(BlockcheckError, ValueError):
    """A list table does not match its schema."""


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
def list_tables() -> dict[str, ListTable]:
    """All list tables defined so far, by layer name."""
    doc = tomllib.loads(resources.files("blockcheck").joinpath("data/lists.toml").read_text("utf-8"))
    tables = {}
    for name, t in doc["tables"].items():
        fields = tuple(ListField(**{**f, "values": tuple(f.get("values", ()))}) for f in t["fields"])
        tables[name] = ListTable(name, t["title_zh"], t["title_en"], t.get("figure", ""), t["geometry"], t["key"], fields)
    return tables


def list_table(name: str) -> ListTable:
    """The schema of list `name`."""
    return list_tables()[name]


_DTYPES = {"str": object, "int": "Int64", "float": "float64"}


def conform(frame: pd.DataFrame, table: ListTable) -> pd.DataFrame:
    """Return `frame` with the schema's columns, order and types; raise SchemaError listing every problem."""
    problems = []
    missing = [f.name for f in table.fields if f.required and f.name not in frame.columns]
    if missing:
        problems.append(f"missing required columns {missing}")
    out = pd.DataFrame(index=frame.index)
    for f in table.fields:
        column = frame[f.name] if f.name in frame.columns else pd.Series(np.nan if f.type != "str" else None, index=frame.index)
        if f.type == "str":
            text = column.astype(object)
            out[f.name] = text.where(text.notna() & (text.astype(str) != ""), None)  # empty text is no value
        else:
            out[f.name] = pd.to_numeric(column, errors="coerce").astype(_DTYPES[f.type])
        if f.required and out[f.name].isna().any():
            problems.append(f"{f.name}: {int(out[f.name].isna().sum())} empty value(s)")
        if f.values:
            bad = out[f.name].notna() & ~out[f.name].isin(f.values)
            if bad.any():
                problems.append(f"{f.name}: values not allowed {sorted(out.loc[bad, f.name].unique())}")
    if table.key in out and out[table.key].duplicated().any():
        problems.append(f"{table.key}: duplicate keys")
    if problems:
        raise SchemaError(f"{table.name} ({table.title_zh}) does not match its schema: " + "; ".join(problems))
    return out.reset_index(drop=True)
