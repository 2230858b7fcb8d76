"""Cells of eight_lists.xlsx as sheet XML: one ``<c>`` element per value, text inline, numbers in their style.

:func:`column_part` turns a column of values into its part of the rows' XML,
:func:`rows_xml` puts the columns' parts together into ``<row>`` elements.
Text as a cell holds it (:func:`_safe_column`): formula-like text is written
as text with Excel's quote prefix, text over a cell's limit is cut with a
marker, characters an .xlsx cannot store are replaced. A column of plain text
or plain numbers — nearly all of them — is checked once, at C speed; when it
has no empty cell its cells' texts are interleaved with the other columns'
and joined at C speed, else it is written with one f-string a cell; any
other goes cell by cell (:func:`_cell_xml`).
"""

from __future__ import annotations

import math
from itertools import chain, repeat

from blockcheck.workbook.excel_layout import EXCEL_MAX_CHARS, FORMULA_AT_START, is_formula_like, safe_text

__all__ = ["Part", "column_part", "rows_xml"]

#: Characters a cell's text must have escaped in sheet XML (as :func:`_escape` does).
_XML_SPECIAL = ("&", "<", ">", "\r")
_TEXT_OR_NONE = frozenset({str, type(None)})
_NUMBER_OR_NONE = frozenset({int, float, type(None)})


#: A column's part of its rows' XML: texts the same in every row (str) and texts one per row (list), in order.
Part = list[str | list[str]]


def column_part(letter: str, rows: list[str], values: list, styles: str | list[str], *, quoted: str, lang: str) -> Part:
    """Column `letter` of a chunk of rows as its part of their XML (:func:`rows_xml`).

    When every value is present and plain (text written as it is, or a
    finite number) — most columns — the part is the ``<c>`` element's text
    around the row numbers and the values; else it is the column's cells,
    ``<c>`` elements one per row ("" for an empty value).

    `rows` are the row numbers as text; `styles` is the ``s`` attribute of
    numbers (one for the column, or one per row; "" for none: a text column,
    made safe by :func:`_safe_column`); `quoted` the attribute of the quote-prefix style.
    """
    if isinstance(styles, list):
        return [[_cell_xml(f"{letter}{r}", v, s, quoted) for r, v, s in zip(rows, values, styles, strict=True)]]
    if not styles:
        values = _safe_column(values, lang)
        plain = _plain_text_column(values)
        if plain is not None:  # the common case: no cell is looked at in Python
            if all(plain):
                return [f'<c r="{letter}', rows, '" t="inlineStr"><is><t>', plain, "</t></is></c>"]
            cells = zip(rows, plain, strict=True)
            return [[f'<c r="{letter}{r}" t="inlineStr"><is><t>{v}</t></is></c>' if v else "" for r, v in cells]]
        return [[_cell_xml(f"{letter}{r}", v, "", quoted) for r, v in zip(rows, values, strict=True)]]
    if _plain_number_column(values):
        if None not in values:
            return [f'<c r="{letter}', rows, f'"{styles}><v>', list(map(repr, values)), "</v></c>"]
        cells = zip(rows, values, strict=True)
        return [[f'<c r="{letter}{r}"{styles}><v>{v!r}</v></c>' if v is not None else "" for r, v in cells]]
    return [[_cell_xml(f"{letter}{r}", v, styles, quoted) for r, v in zip(rows, values, strict=True)]]


def rows_xml(rows: list[str], parts: list[Part]) -> str:
    """The ``<row>`` elements of rows `rows` (numbers as text) from the parts of their columns (:func:`column_part`):
    the texts of all rows interleaved and joined at once, at C speed."""
    pieces: Part = []
    for piece in ['<row r="', rows, '">', *chain.from_iterable(parts), "</row>"]:
        if isinstance(piece, str) and pieces and isinstance(pieces[-1], str):
            pieces[-1] += piece  # texts the same in every row, one after the other
        else:
            pieces.append(piece)
    texts = [repeat(piece) if isinstance(piece, str) else piece for piece in pieces]
    return "".join(chain.from_iterable(zip(*texts, strict=False)))  # the lists end together, the repeats never


class _Quoted(str):
    """Formula-like text, written as text with Excel's quote prefix: no formula runs, also not after editing."""

    __slots__ = ()


def _safe_column(values: list, lang: str) -> list:
    """Text as a cell holds it: formula-like text marked :class:`_Quoted`, too long text cut with a marker,
    characters an .xlsx cannot hold replaced (each cell is looked at only when the column has such text)."""
    texts = _texts(values)
    if not texts:
        return values
    risky = (
        FORMULA_AT_START.search("\x00" + "\x00".join(texts)) is not None
        or max(map(len, texts)) > EXCEL_MAX_CHARS
        or not "".join(texts).isprintable()  # a newline, tab or control character somewhere: check each cell
    )
    if not risky:
        return values
    out = list(values)
    for i, v in enumerate(values):
        if isinstance(v, str):
            v = safe_text(v, lang)
            out[i] = _Quoted(v) if is_formula_like(v) else v
    return out


def _texts(values: list) -> list[str]:
    """The non-empty texts among `values` (a C-speed filter when the column holds only text and None)."""
    if set(map(type, values)) <= _TEXT_OR_NONE:
        return list(filter(None, values))
    return [v for v in values if isinstance(v, str) and v]


def _plain_text_column(values: list) -> list | None:
    """`values` escaped for XML when every one is None or plain text without edge spaces (None: not so)."""
    if not set(map(type, values)) <= _TEXT_OR_NONE:
        return None
    texts = list(filter(None, values))
    if list(map(str.strip, texts)) != texts:  # strip gives back the same text when it has no edge spaces
        return None
    joined = "".join(texts)
    if any(c in joined for c in _XML_SPECIAL):
        return [_escape(v) if v else v for v in values]
    return values


def _plain_number_column(values: list) -> bool:
    """True when every value is None or a finite int or float (no bool)."""
    return set(map(type, values)) <= _NUMBER_OR_NONE and not any(map(math.isinf, filter(None, values)))


def _escape(text: str) -> str:
    """`text` as XML element content (a CR kept as a character reference: parsers would drop it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _cell_xml(ref: str, value: object, style: str, quoted: str) -> str:
    """One ``<c>`` element: text inline (quoted text with the quote-prefix style), numbers in `style`."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
        prefix = quoted if value.__class__ is _Quoted else ""
        return f'<c r="{ref}"{prefix} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>' if math.isfinite(value) else ""
    return _cell_xml(ref, str(value), style, quoted)  # anything else as its text
