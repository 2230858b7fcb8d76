"""Writing eight_lists.xlsx: one pass per sheet, row by row, through openpyxl's write-only (streaming) workbook.

:func:`write_eight_lists` never holds a sheet in memory: each list is
converted column by column in chunks of :data:`CHUNK_ROWS` rows (the values of
a column become one Python list, a column's number format is decided once) and
its rows go straight to a temporary file. openpyxl writes each sheet's layout
(widths, frozen header, autofilter, print titles, page header) and its title,
notice and header rows; the data rows are written as sheet XML text (openpyxl
takes ten times as long per cell; :mod:`blockcheck.workbook.excel_rows`) and
put into openpyxl's sheet before the workbook is saved, with cell styles
registered with openpyxl's workbook.
Column widths are measured on a sample of rows (:data:`WIDTH_SAMPLE_ROWS`,
every row of a shorter list) plus, for each column, the row with the largest
number or the longest text.

Nothing a sheet cannot hold makes a run fail at its end: a list longer than a
sheet (:data:`EXCEL_MAX_ROWS`) shows its first rows under a line saying how
many rows the list has, how many are shown and which layer of workbook.gpkg
holds them all (the sheet is also named in the document property
:data:`TRUNCATED_PROPERTY`); a text longer than a cell holds is cut with a
marker; long id lists go to the link sheet only while it has room (then they
stay in their cells); control characters an .xlsx cannot store are replaced.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from blockcheck.inputs.read import is_synthetic
from blockcheck.lists.schema import EIGHT_LISTS, ListTable, conform, list_table
from blockcheck.report.settings import check_lang, settings, text
from blockcheck.workbook.excel_archive import ZIP_LEVEL, written_atomically
from blockcheck.workbook.excel_layout import (
    column_format,
    demand_by_community,
    display_codes,
    display_width,
    excel_settings,
    link_sheet,
    link_summary,
    rows_notice,
    split_ids,
    wide_demand_title,
)
from blockcheck.workbook.excel_rows import DataRows, splice_rows
from blockcheck.workbook.history import HISTORY_LAYER, ListsDigest
from blockcheck.workbook.read import META_LAYER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from openpyxl import Workbook

__all__ = [
    "CHUNK_ROWS",
    "DATA_GAPS_SHEET",
    "EXCEL_MAX_ROWS",
    "EXTRA_SHEETS",
    "READ_ONLY_SHEETS",
    "REVISION_PROPERTY",
    "TRUNCATED_PROPERTY",
    "WIDTH_SAMPLE_ROWS",
    "ZIP_LEVEL",
    "key_text",
    "sheet_heading",
    "sheet_rows_shown",
    "sheet_title",
    "write_eight_lists",
    "write_table",
]

#: Rows an Excel sheet holds (title, notice and header rows included); a longer list shows its first rows.
EXCEL_MAX_ROWS = 1_048_576
#: The document property holding the revision of the lists the file shows.
REVISION_PROPERTY = "blockcheck_lists_revision"
#: The document property naming the sheets that show only the first rows of their list (JSON: title → [rows, shown]).
TRUNCATED_PROPERTY = "blockcheck_truncated_sheets"
#: The data-gap list: written after the eight lists, never imported.
DATA_GAPS_SHEET = "data_gaps"
#: The tables written after the eight lists, and those of them that are never imported.
EXTRA_SHEETS = (DATA_GAPS_SHEET, HISTORY_LAYER)
READ_ONLY_SHEETS = (DATA_GAPS_SHEET,)
#: Rows converted at a time, and rows a column's width is measured on.
CHUNK_ROWS = 10_000
WIDTH_SAMPLE_ROWS = 5_000
_MIN_WIDTH, _MAX_WIDTH, _HEADER_WIDTH = 6, 60, 24  # column widths (character cells); longer headers wrap
_NOTICE_COLOR = "C00000"

# (columns of cell values, number format per column: None, one format or one per row)
Chunk = tuple[list[list], list]


def sheet_rows_shown(n_rows: int) -> int:
    """How many of a list's `n_rows` rows its sheet shows: all when they fit below the title and header rows,
    else as many as fit below those and the notice line saying where the whole list is."""
    return n_rows if n_rows <= EXCEL_MAX_ROWS - 2 else max(EXCEL_MAX_ROWS - 3, 0)


def sheet_title(name: str, lang: str = "zh") -> str:
    """Sheet name of a list, e.g. ``图1 问题清单`` (Excel allows 31 characters)."""
    table = list_table(name)
    title = table.title_zh if lang == "zh" else table.title_en
    return (f"{table.figure} {title}" if table.figure else title)[:31]


def heading(base: str, lang: str, *, synthetic: bool, read_only: bool) -> str:
    """A title row: `base`, then the synthetic-data notice and the read-only note as they apply."""
    parts = [base]
    if synthetic:
        parts.append(text(lang, "synthetic_notice"))
    if read_only:
        parts.append(text(lang, "sheet_read_only"))
    return " · ".join(parts)


def sheet_heading(name: str, lang: str = "zh", *, synthetic: bool = False) -> str:
    """The title row of a sheet: ``图1 问题清单``, with `` · 示例数据（虚构）`` for synthetic data (and the read-only
    note).
    """
    table = list_table(name)
    title = table.title_zh if lang == "zh" else table.title_en
    figure = table.figure if lang == "zh" else table.figure.replace("图", "Fig. ")
    base = f"{figure} {title}" if figure else title
    return heading(base, lang, synthetic=synthetic, read_only=name in READ_ONLY_SHEETS)


def meta_synthetic(meta: object) -> bool:
    """True when a blockcheck_meta table (key, value) says synthetic = true."""
    if not isinstance(meta, pd.DataFrame) or not {"key", "value"} <= set(meta.columns):
        return False
    return is_synthetic(dict(zip(meta["key"].astype(str), meta["value"].fillna("").astype(str), strict=True)))


def key_text(value: object) -> str:
    """A row key as the link sheet holds it (``3.0`` read back from Excel → ``"3"``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _list_columns(name: str, table: ListTable, frame: pd.DataFrame, lang: str, links: _Links | None) -> Chunk:
    """Cell values and number formats of (some rows of) a list, column by column.

    Coded values show their label, id lists longer than ``links.max_chars`` a
    summary with their ids on the link sheet (`links`; None: the summary alone, for measuring widths).
    """
    max_chars = int(excel_settings()["links"]["max_chars"])
    keys = frame[table.key].tolist() if table.key in frame else None  # the rows' keys, for the link sheet
    columns, formats = [], []
    for f in table.fields:
        column = frame[f.name]
        if f.type != "str":
            values = column.astype(object).where(column.notna(), None).tolist()
        else:
            values = column.tolist()  # conformed: text or None
            shown = display_codes(name, f, lang)
            if shown:
                values = [shown.get(v, v) for v in values]
            if f.is_id_list:
                label = f.label_zh if lang == "zh" else f.label_en
                for i in [i for i, v in enumerate(values) if isinstance(v, str) and len(v) > max_chars]:
                    ids = split_ids(values[i])
                    key = key_text(keys[i]) if keys is not None else ""
                    if links is None or links.take(sheet_title(name, lang), key, label, ids):
                        values[i] = link_summary(len(ids), lang)
        columns.append(values)
        formats.append(column_format(f, frame))
    return columns, formats


def _width(header: str, values: list, fmt: object) -> float:
    """Column width: the longest value (numbers as formatted, roughly), the header up to _HEADER_WIDTH."""
    data = 0
    for v in sorted({v[:_MAX_WIDTH] for v in values if isinstance(v, str)}, key=len, reverse=True):
        if 2 * len(v) <= data or data + 2 >= _MAX_WIDTH:  # no shorter text is wider (a character takes at most
            break  # two cells), or the column is as wide as it gets
        data = max(data, display_width(v))
    numbers = [abs(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numbers:
        data = max(data, len(f"{max(numbers):,.2f}") + (1 if fmt is not None and "%" in str(fmt) else 0))
    return min(_MAX_WIDTH, max(_MIN_WIDTH, data + 2, min(display_width(header), _HEADER_WIDTH) + 2))


def _sample_rows(frame: pd.DataFrame) -> np.ndarray | slice:
    """Rows to measure column widths on: all of a short table; else the first rows, an even spread and, per column,
    the row with the largest number or the longest text."""
    n = len(frame)
    if n <= WIDTH_SAMPLE_ROWS:
        return slice(None)
    picks = [np.arange(WIDTH_SAMPLE_ROWS // 5), np.linspace(0, n - 1, WIDTH_SAMPLE_ROWS - WIDTH_SAMPLE_ROWS // 5)]
    for name in frame.columns:
        column = frame[name]
        size = (
            pd.to_numeric(column, errors="coerce").abs()
            if pd.api.types.is_numeric_dtype(column)
            else column.astype("string").str.len()
        )
        if size.notna().any():
            picks.append(np.array([np.nanargmax(size.to_numpy(dtype="float64", na_value=np.nan))]))
    return np.unique(np.concatenate(picks).astype(np.int64))


class _Styles:
    """The ``s`` attributes of the data cells: one cell style per number format, and the quote prefix."""

    def __init__(self, book: Workbook) -> None:
        self._owner = SimpleNamespace(parent=book)  # styles are the workbook's: a cell needs no sheet for them
        self._attrs: dict[str | None, str] = {}
        self.quoted = self._attr(None)

    def _attr(self, fmt: str | None) -> str:
        from openpyxl.styles.styleable import StyleableObject

        style = StyleableObject(self._owner)
        if fmt is None:
            style.quotePrefix = True
        else:
            style.number_format = fmt
        return f' s="{style.style_id}"'

    def number(self, fmt: str) -> str:
        """The attribute of number format `fmt` (registered with the workbook once)."""
        if fmt not in self._attrs:
            self._attrs[fmt] = self._attr(fmt)
        return self._attrs[fmt]


def _open_sheet(book: Workbook, title: str, top: str, headers: list[str], widths: list[float], **how) -> object:
    """A write-only sheet with its layout set and its title, notice and header rows written (by openpyxl)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    lang, red, notice, n_rows = how["lang"], how["red"], how["notice"], how["n_rows"]
    sheet = book.create_sheet(title)
    head_row = 3 if notice else 2  # title, (notice,) header
    sheet.freeze_panes = f"A{head_row + 1}"  # below the header row
    sheet.print_title_rows = f"1:{head_row}"
    sheet.auto_filter.ref = f"A{head_row}:{get_column_letter(max(len(headers), 1))}{head_row + n_rows}"
    sheet.oddHeader.center.text = top.replace("&", "&&")
    if red:
        sheet.oddHeader.center.color = red
    sheet.oddFooter.right.text = text(lang, "page", page="&P")
    lines = 1
    for i, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
        lines = max(lines, math.ceil(display_width(header) / max(width - 2, 1)))
    if lines > 1:
        sheet.row_dimensions[head_row].height = 15 * lines
    cell = WriteOnlyCell(sheet, value=top)
    cell.font = Font(bold=True, size=13, color=red)
    sheet.append([cell])
    if notice:
        cell = WriteOnlyCell(sheet, value=notice)
        cell.font = Font(bold=True, color=_NOTICE_COLOR)
        sheet.append([cell])
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    head_align = Alignment(wrap_text=True, vertical="center")
    row = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font, cell.fill, cell.alignment = head_font, head_fill, head_align
        row.append(cell)
    sheet.append(row)
    return sheet


class _Links:
    """The link sheet's rows, written to its rows' file as the lists give them; full when the sheet would overflow.

    Column widths are measured on the first rows and the longest value of each column.
    """

    def __init__(self, styles: _Styles, lang: str) -> None:
        self.lang, self.count = lang, 0
        self.rows = DataRows(styles, len(link_sheet(lang)[2]), 3, lang)  # below the title and header rows
        self._pending: tuple[list[str], ...] = ([], [], [], [])  # the columns of the rows not yet written
        self.sample: list[tuple[str, str, str, str]] = []
        self._longest: dict[int, tuple[str, str, str, str]] = {}

    def take(self, sheet: str, key: str, label: str, ids: list[str]) -> bool:
        """Add the ids of one cell; False (nothing added: the ids stay in the cell) when the sheet has no room."""
        n = len(ids)
        if self.count + n > EXCEL_MAX_ROWS - 2:  # the link sheet's title and header rows
            return False
        sheets, keys, labels, values = self._pending
        sheets += [sheet] * n
        keys += [key] * n
        labels += [label] * n
        values += ids
        self.count += n
        if len(self.sample) < WIDTH_SAMPLE_ROWS:
            self.sample += [(sheet, key, label, x) for x in ids[: WIDTH_SAMPLE_ROWS - len(self.sample)]]
        widest = (sheet, key, label, max(ids, key=len)) if ids else None
        for j, value in enumerate(widest or ()):
            if len(value) > len(self._longest.get(j, ("",) * 4)[j]):
                self._longest[j] = widest
        if len(values) >= CHUNK_ROWS:
            self.flush()
        return True

    def flush(self) -> None:
        """Write the rows taken so far."""
        if self._pending[0]:
            self.rows.append(list(self._pending), [None] * 4)
            self._pending = ([], [], [], [])

    def widths_sample(self) -> list[list]:
        """Columns of the rows widths are measured on."""
        return [list(c) for c in zip(*self.sample, *self._longest.values(), strict=True)]


def _write_sheet(
    book: Workbook,
    title: str,
    top: str,
    headers: list[str],
    n_total: int,
    make: Callable[[slice | np.ndarray, bool], Chunk],
    sample: np.ndarray | slice,
    **how,
) -> tuple[int, int] | None:
    """One sheet of `n_total` rows made by `make(rows, final)`; (rows, shown) when the sheet cannot hold them all.

    `make` gives the columns and formats of the rows `rows` (a slice or
    positions); `final` is False for the rows widths are measured on.
    """
    shown = sheet_rows_shown(n_total)
    fits = shown == n_total
    layer, lang, styles, archive = how.pop("layer"), how["lang"], how.pop("styles"), how.pop("archive", None)
    notice = None if fits else rows_notice(n_total, shown, layer, lang, EXCEL_MAX_ROWS)
    sample = sample[sample < shown] if isinstance(sample, np.ndarray) else slice(0, shown)
    columns, formats = make(sample if n_total else slice(0, 0), False)
    widths = [_width(h, values, fmt) for h, values, fmt in zip(headers, columns, formats, strict=True)]
    sheet = _open_sheet(book, title, top, headers, widths, notice=notice, n_rows=shown, **how)
    rows = DataRows(styles, len(headers), 4 if notice else 3, lang)
    try:
        for start in range(0, shown, CHUNK_ROWS):
            rows.append(*make(slice(start, min(start + CHUNK_ROWS, shown)), True))
        splice_rows(sheet, rows)
    finally:
        rows.discard()
    if archive is not None:  # compressed now, not at the save
        archive.add_sheet(book, sheet)
    return None if fits else (n_total, shown)


def _write_links(book: Workbook, links: _Links, *, synthetic: bool, red: str | None) -> None:
    """The link sheet, after the lists: its rows are in `links`' file already."""
    lang = links.lang
    title, top, headers = link_sheet(lang)
    links.flush()
    widths = [_width(h, values, None) for h, values in zip(headers, links.widths_sample(), strict=True)]
    top = heading(top, lang, synthetic=synthetic, read_only=False)
    sheet = _open_sheet(book, title, top, headers, widths, lang=lang, red=red, notice=None, n_rows=links.count)
    splice_rows(sheet, links.rows)


def _columns_maker(columns: list[list]) -> Callable[[slice | np.ndarray, bool], Chunk]:
    """`make` for a sheet of ready columns without number formats (the 图3 layout)."""

    def make(rows: slice | np.ndarray, _final: bool) -> Chunk:
        if isinstance(rows, slice):
            return [c[rows] for c in columns], [None] * len(columns)
        return [[c[i] for i in rows] for c in columns], [None] * len(columns)

    return make


def _list_sheets(
    tables: dict[str, pd.DataFrame], lang: str, synthetic: bool, links: _Links, revision: ListsDigest
) -> Iterator[tuple[str, str, list[str], int, Callable, np.ndarray | slice, str]]:
    """(title, title row, headers, rows, make, width sample, layer) of each list sheet and the 图3 layout, in order.

    Each list is conformed to its schema once; once its sheet is written (the caller asks for the next sheet),
    it is added to the lists' `revision` (:class:`~blockcheck.workbook.history.ListsDigest`).
    """
    for name in (*EIGHT_LISTS, *EXTRA_SHEETS):
        if name not in tables:
            continue
        table = list_table(name)
        frame = conform(pd.DataFrame(tables[name]).drop(columns="geometry", errors="ignore"), table)

        def make(rows: slice | np.ndarray, final: bool, name=name, table=table, frame=frame) -> Chunk:
            return _list_columns(name, table, frame.iloc[rows], lang, links if final else None)

        title = sheet_title(name, lang)
        headers = list(table.labels(lang).values())
        yield (
            title,
            sheet_heading(name, lang, synthetic=synthetic),
            headers,
            len(frame),
            make,
            _sample_rows(frame),
            name,
        )
        if name in EIGHT_LISTS:  # its sheet is written: digested now, not all lists at the end of the file
            revision.add(name, frame, conformed=True)
        if name == "demand_list":
            wide = demand_by_community(frame, lang)
            columns = [wide[c].astype(object).where(wide[c].notna(), None).tolist() for c in wide.columns]
            wide_top = heading(wide_demand_title(lang), lang, synthetic=synthetic, read_only=True)
            yield (
                wide_demand_title(lang),
                wide_top,
                list(wide.columns),
                len(wide),
                _columns_maker(columns),
                slice(None),
                name,
            )


def write_eight_lists(path: str | os.PathLike, tables: dict[str, pd.DataFrame], *, lang: str = "zh") -> Path:
    """Write the lists, the data-gap list and the project history to an .xlsx file, atomically, row by row.

    Columns follow the list schema, so the 图1–图8 columns come first, with
    their Chinese (or English) headers; geometry is left out. Row 1 of each
    sheet is its title (:func:`sheet_heading`), row 2 the header (frozen, with
    an autofilter). Numbers are formatted by unit, coded values show their
    Chinese label beside the code, id lists longer than ``links.max_chars``
    (``data/excel.toml``) show a summary and are listed on the link sheet,
    formula-like text is written as text. The demand list is followed by its
    图3 layout, one row per community (read-only).

    A list longer than a sheet holds (:data:`EXCEL_MAX_ROWS`) shows its first
    rows, with a line above the header (row 2; the header is then row 3)
    saying how many rows the list has, how many are shown and that all of them
    are in workbook.gpkg; such sheets are also named in the document property
    :data:`TRUNCATED_PROPERTY`. Text longer than a cell holds is cut with a
    marker saying so (:func:`blockcheck.workbook.excel_layout.cut_text`).

    Parameters
    ----------
    path
        The .xlsx file to write.
    tables
        Tables by name: the eight lists, ``data_gaps`` and ``project_history``
        (those present are written), and optionally ``blockcheck_meta``: when
        it says ``synthetic = true`` every sheet's title row and printed page
        header say "示例数据（虚构）" / "synthetic sample data".
    lang
        ``zh`` (default) or ``en`` headers, titles and summaries; English
        workbooks show codes without labels.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty

    check_lang(lang)
    synthetic = meta_synthetic(tables.get(META_LAYER))
    red = settings()["synthetic"]["background"].lstrip("#").upper() if synthetic else None
    book = Workbook(write_only=True)  # every sheet is written top to bottom once, straight to a temporary file
    styles = _Styles(book)
    links, truncated, revision = _Links(styles, lang), {}, ListsDigest()
    with written_atomically(Path(path)) as archive:  # each sheet compressed once it is written
        try:
            sheets = _list_sheets(tables, lang, synthetic, links, revision)
            for title, top, headers, n_rows, make, sample, layer in sheets:
                how = {"lang": lang, "red": red, "layer": layer, "styles": styles, "archive": archive}
                cut = _write_sheet(book, title, top, headers, n_rows, make, sample, **how)
                if cut:
                    truncated[title] = list(cut)
            if links.count:
                _write_links(book, links, synthetic=synthetic, red=red)
        finally:
            links.rows.discard()
        # which state of the lists this file shows, checked on import (a document property Excel and LibreOffice keep)
        book.custom_doc_props.append(StringProperty(name=REVISION_PROPERTY, value=revision.revision()))
        if truncated:  # the sheets showing only the first rows of their list: on import the rest is never "deleted"
            value = json.dumps(truncated, ensure_ascii=False)
            book.custom_doc_props.append(StringProperty(name=TRUNCATED_PROPERTY, value=value))
        archive.save(book)
    return Path(path)


def write_table(
    path: str | os.PathLike,
    title: str,
    headers: list[str],
    columns: list[list],
    formats: list[str | None],
    *,
    lang: str = "zh",
) -> Path:
    """Write one table as a one-sheet .xlsx in the layout of the lists' sheets (title row, frozen header, filter).

    For tables outside the list schema (the batch's ``district_summary``): the
    caller gives the headers (already in `lang`), the cell values column by
    column and one number format per column (None: as it is). The file is
    marked as blockcheck's (creator :data:`blockcheck.outputs.MARK`) and
    written atomically.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    from openpyxl import Workbook

    from blockcheck.outputs import MARK

    check_lang(lang)
    book = Workbook(write_only=True)
    book.properties.creator = MARK
    styles = _Styles(book)
    n_rows = len(columns[0]) if columns else 0

    def make(rows: slice | np.ndarray, _final: bool) -> Chunk:
        picked = [c[rows] if isinstance(rows, slice) else [c[i] for i in rows] for c in columns]
        return picked, list(formats)

    how = {"lang": lang, "red": None, "layer": title, "styles": styles}
    with written_atomically(Path(path)) as archive:
        _write_sheet(book, title[:31], title, headers, n_rows, make, slice(None), archive=archive, **how)
        archive.save(book)
    return Path(path)
