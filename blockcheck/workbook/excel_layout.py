"""How the lists look in eight_lists.xlsx, cell by cell, and how edited cells read back.

Settings come from ``data/excel.toml``; labels of coded values from
``data/lists.toml`` (:func:`blockcheck.lists.schema.value_labels`). Everything
is decided once per column (:func:`column_format`, :func:`display_codes`), so
the writer can stream rows:

- numbers get a format by unit (ha and km to 2 decimals, m² and counts whole,
  ratios as %);
- a coded value with a Chinese label shows as ``入库 (registered)``;
  :func:`read_code` takes the code, the label or that form back;
- a long id list shows a summary (``12项，见关联编号表``) and its ids go to the
  link sheet (:func:`summary_count` recognises the summary on import);
- text starting with ``= + - @``, tab or CR is written as text with Excel's
  quote prefix, so no formula runs (:func:`is_formula_like`, :func:`unquote`);
- text longer than a cell holds (:data:`EXCEL_MAX_CHARS`) is cut with a marker
  saying so (:func:`cut_text`, read back by :func:`cut_length`), and a list
  longer than a sheet holds says so in a line above its header
  (:func:`rows_notice`, read back by :func:`read_rows_notice`);
- 图3 is also given in the method's layout, one row per community
  (:func:`demand_by_community`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import numpy as np
import pandas as pd

from blockcheck.catalogue import load_data
from blockcheck.errors import CatalogueError
from blockcheck.lists.amounts import unit_of
from blockcheck.lists.schema import ListField, list_table, value_labels

__all__ = [
    "EXCEL_MAX_CHARS",
    "allowed_text",
    "column_format",
    "cut_length",
    "cut_text",
    "demand_by_community",
    "display_codes",
    "display_width",
    "excel_settings",
    "is_formula_like",
    "link_sheet",
    "link_summary",
    "read_code",
    "read_rows_notice",
    "rows_notice",
    "safe_text",
    "split_ids",
    "summary_count",
    "unquote",
    "wide_demand_title",
]

_FILE = "blockcheck/data/excel.toml"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The same test on many texts at once, each preceded by NUL (which no cell holds): a match is a formula-like text.
FORMULA_AT_START = re.compile("\x00[" + re.escape("".join(_FORMULA_START)) + "]")
#: Excel keeps at most this many characters in a cell (a longer text is cut, see :func:`cut_text`).
EXCEL_MAX_CHARS = 32_767
# the marker ending a cut cell and the line above the header of a sheet that does not hold the whole list
_CUT = {
    "zh": "……【单元格已截断：原文共 {n} 字，Excel 每个单元格最多 {limit} 字；全文见 workbook.gpkg】",
    "en": "… [cut: the full text has {n} characters, an Excel cell holds {limit}; the full text is in workbook.gpkg]",
}
_ROWS_NOTICE = {
    "zh": (
        "本表共 {total:,} 行，超出 Excel 每个工作表 {limit:,} 行的上限，仅显示前 {shown:,} 行；完整清单见 "
        "workbook.gpkg 图层 {layer}。导入时未显示的行保持不变，不视为删除。"
    ),
    "en": (
        "This list has {total:,} rows, more than an Excel sheet holds ({limit:,} rows): the first {shown:,} are "
        "shown; the full list is in workbook.gpkg, layer {layer}. On import the rows not shown are kept, never "
        "taken as deleted."
    ),
}
# characters an .xlsx file cannot hold (control characters, lone surrogates, U+FFFE/FFFF): written as U+FFFD
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_KEYS = {"coded_value": str, "number_formats": dict, "links": dict, "demand_wide": dict}


@cache
def excel_settings() -> dict:
    """The whole of ``data/excel.toml`` (cached), checked for its sections.

    Raises
    ------
    CatalogueError
        A section or key the writer needs is missing.
    """
    doc = load_data("excel.toml")
    missing = [k for k, kind in _KEYS.items() if not isinstance(doc.get(k), kind)]
    for lang in ("zh", "en"):
        missing += [
            f"links.{k}_{lang}"
            for k in ("title", "heading", "summary", "headers")
            if f"{k}_{lang}" not in doc.get("links", {})
        ]
        missing += [
            f"demand_wide.{k}_{lang}" for k in ("title", "separator") if f"{k}_{lang}" not in doc.get("demand_wide", {})
        ]
    if missing:
        msg = f"{_FILE}: missing {', '.join(missing)}. Restore them from the packaged file."
        raise CatalogueError(msg)
    return doc


# ---------------------------------------------------------------- numbers


def _format_of(unit: str) -> str | None:
    formats = excel_settings()["number_formats"]
    unit = str(unit or "").strip()
    return formats.get(unit) or formats.get(unit_of(unit)) if unit else None


def column_format(field: ListField, frame: pd.DataFrame) -> str | list[str | None] | None:
    """The number format of a column: one format, one per row (a row-wise unit), or None (General).

    Parameters
    ----------
    field
        The schema field; text fields have no format.
    frame
        The list, for a field whose unit is in another column (``unit_field``).

    Returns
    -------
    str, list or None
        A list has one entry per row of `frame`. A positive value below 1 in a
        whole-number format gets the ``small`` format (a gap of 0.42 bus
        terminals is not shown as 0).
    """
    if field.type == "str":
        return None
    formats = excel_settings()["number_formats"]
    if field.unit_field and field.unit_field in frame:
        by_unit = {u: _format_of(u) for u in frame[field.unit_field].dropna().unique()}
        per_row = frame[field.unit_field].map(by_unit).astype(object)
        per_row = per_row.where(per_row.notna(), formats["float"] if field.type == "float" else None)
        small = per_row.map(_is_whole) & frame[field.name].astype("float64").between(0, 1, inclusive="neither")
        return per_row.mask(small, formats["small"]).tolist()
    fmt = _format_of(field.unit or unit_of(field.name))
    if fmt is None:
        return formats["float"] if field.type == "float" else None
    small = frame[field.name].astype("float64").between(0, 1, inclusive="neither")
    if _is_whole(fmt) and small.any():
        return np.where(small, formats["small"], fmt).tolist()
    return fmt


def _is_whole(fmt: object) -> bool:
    """True for a number format without decimals (``#,##0``): a value below 1 would show as 0."""
    return isinstance(fmt, str) and "0" in fmt and "." not in fmt and "%" not in fmt


def display_width(text: str) -> int:
    """Width of `text` in character cells (a Chinese character takes two)."""
    text = str(text)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------- coded values


def display_codes(table: str, field: ListField, lang: str) -> dict[str, str]:
    """Code → cell text (``入库 (registered)``) of a coded field; empty when it has no labels in `lang`."""
    template = excel_settings()["coded_value"]
    return {
        code: template.format(label=label, code=code) for code, label in value_labels(table, field.name, lang).items()
    }


_BRACKETED = re.compile(r"^(?P<label>.*?)\s*[(（]\s*(?P<code>[^()（）]+?)\s*[)）]\s*$")


def read_code(text: str, codes: tuple[str, ...] | list[str], labels: dict[str, str]) -> str | None:
    """The code a cell names: the code itself, its Chinese label or ``label (code)`` (ASCII or full-width brackets).

    Parameters
    ----------
    text
        The cell text.
    codes
        The allowed codes (may be empty: the field takes any value).
    labels
        Code → label.

    Returns
    -------
    str or None
        The code; None when the text names no known code (or a label and a code that disagree).
    """
    text = str(text).strip()
    known = set(codes) | set(labels)
    if text in known:
        return text
    by_label = {label: code for code, label in labels.items()}
    if text in by_label:
        return by_label[text]
    match = _BRACKETED.match(text)
    if match and match["code"] in known:
        label = match["label"].strip()
        return match["code"] if not label or by_label.get(label, match["code"]) == match["code"] else None
    return None


def allowed_text(codes: tuple[str, ...] | list[str], labels: dict[str, str]) -> str:
    """The allowed values of a field for an error message: ``入库 (registered), 动态调整 (adjusted), …``."""
    template = excel_settings()["coded_value"]
    return ", ".join(template.format(label=labels[c], code=c) if c in labels else c for c in (codes or list(labels)))


# ---------------------------------------------------------------- id lists and text


def link_summary(n: int, lang: str) -> str:
    """The text shown instead of a long id list: ``12项，见关联编号表``."""
    return excel_settings()["links"][f"summary_{lang}"].format(n=n)


@cache
def _summary_patterns() -> tuple[re.Pattern, ...]:
    links = excel_settings()["links"]
    return tuple(
        re.compile("^" + re.escape(links[f"summary_{lang}"]).replace(re.escape("{n}"), r"(\d+)") + "$")
        for lang in ("zh", "en")
    )


def summary_count(value: object) -> int | None:
    """The number of ids a summary cell announces; None when the cell is not a summary."""
    if not isinstance(value, str):
        return None
    for pattern in _summary_patterns():
        match = pattern.match(value.strip())
        if match:
            return int(match[1])
    return None


def split_ids(value: object) -> list[str]:
    """The ids of a comma-separated id list (empty cells → [])."""
    if not isinstance(value, str):
        return []
    return [x.strip() for x in value.split(",") if x.strip()]


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would take for a formula (starts with ``= + - @``, tab or CR)."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def safe_text(value: str, lang: str) -> str:
    """`value` as a cell can hold it: control characters an .xlsx cannot store as U+FFFD, cut at EXCEL_MAX_CHARS."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("\ufffd", value)
    return cut_text(value, lang) if len(value) > EXCEL_MAX_CHARS else value


def cut_text(value: str, lang: str, limit: int | None = None) -> str:
    """`value` cut to fit a cell of `limit` characters (default EXCEL_MAX_CHARS), ending in a marker saying so.

    The marker names the length of the full text (:func:`cut_length` reads it
    back); text that fits is returned unchanged.
    """
    limit = EXCEL_MAX_CHARS if limit is None else limit
    if len(value) <= limit:
        return value
    marker = _CUT[lang].format(n=len(value), limit=limit)
    return value[: max(limit - len(marker), 0)] + marker


@cache
def _cut_patterns() -> tuple[re.Pattern, ...]:
    out = []
    for template in _CUT.values():
        head, rest = template.split("{n}")
        middle, tail = rest.split("{limit}")
        out.append(re.compile(f"{re.escape(head)}(\\d+){re.escape(middle)}\\d+{re.escape(tail)}$", re.DOTALL))
    return tuple(out)


def cut_length(value: object) -> tuple[str, int] | None:
    """The text kept and the full length of a cell cut by :func:`cut_text`; None for any other cell."""
    if not isinstance(value, str) or not value.endswith(("】", "]")):
        return None
    for pattern in _cut_patterns():
        match = pattern.search(value)
        if match:
            return value[: match.start()], int(match[1])
    return None


def rows_notice(total: int, shown: int, layer: str, lang: str, limit: int) -> str:
    """The line above the header of a sheet showing only the first `shown` of a list's `total` rows."""
    return _ROWS_NOTICE[lang].format(total=total, shown=shown, layer=layer, limit=limit)


@cache
def _notice_patterns() -> tuple[re.Pattern, ...]:
    out = []
    for template in _ROWS_NOTICE.values():
        pattern = re.escape(template)
        for name, group in (("total", r"(?P<total>[\d,]+)"), ("shown", r"(?P<shown>[\d,]+)"), ("limit", r"[\d,]+")):
            pattern = pattern.replace(re.escape(f"{{{name}:,}}"), group)
        out.append(re.compile("^" + pattern.replace(re.escape("{layer}"), r"(?P<layer>\S+?)") + "$"))
    return tuple(out)


def read_rows_notice(value: object) -> tuple[int, int] | None:
    """(rows of the list, rows shown) from a line written by :func:`rows_notice`; None for any other cell."""
    if not isinstance(value, str):
        return None
    for pattern in _notice_patterns():
        match = pattern.match(value.strip())
        if match:
            return int(match["total"].replace(",", "")), int(match["shown"].replace(",", ""))
    return None


def unquote(value: object) -> object:
    """Undo a leading apostrophe put before formula-like text (``'=SUM(A1)`` → ``=SUM(A1)``)."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


# ---------------------------------------------------------------- 图3, one row per community


def demand_by_community(demands: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The demand list in the method's 图3 layout: one row per community, one column per need category.

    Parameters
    ----------
    demands
        The demand list (``subdistrict``, ``community``, ``category``,
        ``need_zh``, ``need_code``), in survey order.
    lang
        ``zh``: the needs as worded in the list, joined with ``、``; ``en``:
        the vocabulary's English labels (the list's wording for a need it does not know).

    Returns
    -------
    pandas.DataFrame
        Headers as in 图3 (街道, 社区, 公共服务设施, 公共空间, 市政公用设施,
        交通停车问题, or the English labels); a category without needs shows
        ``--``. Communities in order of first appearance.
    """
    from blockcheck.surveys.vocabulary import demand_vocabulary

    vocabulary = demand_vocabulary()
    wide = excel_settings()["demand_wide"]
    labels = list_table("demand_list").labels(lang)
    categories = [
        (c.code, c.label_zh if lang == "zh" else c.label_en[:1].upper() + c.label_en[1:]) for c in vocabulary.categories
    ]
    frame = demands.copy()
    frame["subdistrict"] = frame["subdistrict"].fillna("").astype(str)
    known = {n.code: n for n in vocabulary.needs}
    frame["word"] = [
        known[c].label_en if lang == "en" and c in known else w
        for c, w in zip(frame["need_code"], frame["need_zh"], strict=True)
    ]
    frame = frame[frame["community"].notna()]
    places = ["subdistrict", "community"]
    communities = pd.MultiIndex.from_frame(frame[places].drop_duplicates())  # in order of first appearance
    is_word = frame["word"].map(type).eq(str).to_numpy() & frame["word"].ne("").to_numpy()
    words = frame[is_word].drop_duplicates([*places, "category", "word"])  # each need once, where first named
    joined = words.groupby([*places, "category"], sort=False)["word"].agg(wide[f"separator_{lang}"].join)
    table = joined.unstack("category").reindex(index=communities, columns=[code for code, _ in categories])
    table = table.astype(object).fillna(wide["none"])  # object first: "无" into columns pandas may keep as floats
    table = table.set_axis([header for _, header in categories], axis=1).reset_index()
    table["subdistrict"] = table["subdistrict"].where(table["subdistrict"] != "", None)
    return table.rename(columns={"subdistrict": labels["subdistrict"], "community": labels["community"]})


def wide_demand_title(lang: str) -> str:
    """Sheet name of the 图3 layout (``图3 需求清单（按社区）``)."""
    return excel_settings()["demand_wide"][f"title_{lang}"][:31]


def link_sheet(lang: str) -> tuple[str, str, list[str]]:
    """Title, heading and column headers of the link sheet."""
    links = excel_settings()["links"]
    return links[f"title_{lang}"][:31], links[f"heading_{lang}"], list(links[f"headers_{lang}"])
