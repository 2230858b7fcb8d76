"""The eight lists as an Excel workbook (one sheet per list, 图1–图8 headers first), and back.

``eight_lists.xlsx`` is what officials and analysts open; an edited copy is
imported back with :func:`import_lists`, validated against the list schema,
and merged into the GeoPackage workbook (edited rows marked ``edited``, new
rows ``added``, project changes appended to ``project_history``).

Each sheet starts with a title row (``图1 问题清单``; for data from a synthetic
input ``图1 问题清单 · 示例数据（虚构）``, also in the printed page header),
then the header row (frozen, with an autofilter), then the rows. Numbers carry
a format by unit, coded values their Chinese label (``入库 (registered)``),
long id lists a summary with the ids on the link sheet, and formula-like text
stays text (see :mod:`blockcheck.workbook.excel_layout`). After 图3 comes the same list
in the method's layout, one row per community (read-only); after the eight
lists the data-gap list (read-only: never imported), the project history and
the link sheet. The writer streams (:mod:`blockcheck.workbook.excel_write`):
a list longer than a sheet holds shows its first rows under a line saying so,
a text longer than a cell holds is cut with a marker.

The reader makes one pass over the file with openpyxl's read-only reader. It
finds the header row itself (the first rows are searched for the schema's
labels), so sheets with or without a title row import alike; it takes codes,
Chinese labels or both, rebuilds summarised id lists from the link sheet,
says which sheets show only the first rows of their list, and names the
sheet, row and column of every cell it cannot use.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pandas as pd

from blockcheck.errors import InputError, SchemaError
from blockcheck.lists.schema import EIGHT_LISTS, conform, list_table, value_labels
from blockcheck.report.settings import LANGS
from blockcheck.workbook.excel_layout import (
    allowed_text,
    link_sheet,
    read_code,
    read_rows_notice,
    summary_count,
    unquote,
    wide_demand_title,
)
from blockcheck.workbook.excel_write import (
    DATA_GAPS_SHEET,
    EXTRA_SHEETS,
    READ_ONLY_SHEETS,
    REVISION_PROPERTY,
    TRUNCATED_PROPERTY,
    key_text,
    sheet_heading,
    sheet_rows_shown,
    sheet_title,
    write_eight_lists,
)

__all__ = [
    "DATA_GAPS_SHEET",
    "REVISION_PROPERTY",
    "TRUNCATED_PROPERTY",
    "find_header_row",
    "read_revision",
    "read_eight_lists",
    "sheet_heading",
    "sheet_rows_shown",
    "sheet_title",
    "write_eight_lists",
]

_HEADER_SCAN_ROWS = 10  # the header row is looked for in this many rows from the top
_SHOWN_CELLS = 5  # bad cells named per column in an error


def find_header_row(grid: pd.DataFrame, labels: set[str], *, rows: int = _HEADER_SCAN_ROWS) -> int | None:
    """Position of the header row in the first `rows` rows of a sheet read without a header.

    The header is the first row with the most cells naming a column (a label
    or field name in `labels`); it needs two such cells (one when the schema
    has a single column). None when no row qualifies.
    """
    best, best_hits = None, 0
    for i in range(min(rows, len(grid))):
        hits = sum(1 for v in grid.iloc[i] if isinstance(v, str) and v.strip() in labels)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= min(2, len(labels)) else None


def _cells(rows: list[tuple[int, object]]) -> str:
    """``row 5 '在建', row 9 '停工'`` (at most _SHOWN_CELLS, then how many more)."""
    shown = ", ".join(f"row {r} {v!r}" if v is not None else f"row {r}" for r, v in rows[:_SHOWN_CELLS])
    return shown + (f" and {len(rows) - _SHOWN_CELLS} more" if len(rows) > _SHOWN_CELLS else "")


def _find_sheet(sheets: dict, titles: set[str]) -> tuple[str, pd.DataFrame] | tuple[None, None]:
    for title, grid in sheets.items():
        if str(title).strip() in titles:
            return str(title), grid
    return None, None


def _read_links(sheets: dict) -> tuple[dict[tuple[str, str, str], list[str]] | None, list[str]]:
    """The link sheet as (list, row key, field) → ids in sheet order; None when the workbook has none."""
    forms = {lang: link_sheet(lang) for lang in LANGS}
    title, grid = _find_sheet(sheets, {t for t, _, _ in forms.values()})
    if title is None:
        return None, []
    roles = {h: i for _, _, headers in forms.values() for i, h in enumerate(headers)}
    at = find_header_row(grid, set(roles))
    heads = [] if at is None else ["" if pd.isna(h) else str(h).strip() for h in grid.iloc[at]]
    where = {roles[h]: i for i, h in enumerate(heads) if h in roles}
    if len(where) < len(forms["zh"][2]):
        return None, [
            (
                f"sheet '{title}': no header row with the columns {' · '.join(forms['zh'][2])} in its first "
                f"{_HEADER_SCAN_ROWS} rows; "
                "put the header row back"
            )
        ]
    lists = {}
    for name in EIGHT_LISTS:
        table = list_table(name)
        for form in (name, table.title_zh, table.title_en, *(sheet_title(name, lang) for lang in LANGS)):
            lists[form] = name
    links: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    bad: list[tuple[int, object]] = []
    fields_of: dict[str | None, dict[str, str]] = {None: {}}
    columns = [grid.iloc[at + 1 :, where[k]].tolist() for k in range(4)]  # whole columns: no cell-by-cell lookups
    for i, cells in enumerate(zip(*columns, strict=True), start=at + 2):  # i: the sheet's row number
        if all(pd.isna(c) or not str(c).strip() for c in cells):
            continue
        name = lists.get(str(cells[0]).strip())
        if name not in fields_of:
            fields_of[name] = {
                form: f.name for f in list_table(name).fields for form in (f.name, f.label_zh, f.label_en)
            }
        field = fields_of[name].get(str(cells[2]).strip())
        linked = key_text(unquote(cells[3]))
        if field is None or not linked:
            bad.append((i, " · ".join("" if pd.isna(c) else str(c) for c in cells)))
            continue
        links[(name, key_text(cells[1]), field)].append(linked)
    problems = (
        [
            (
                f"sheet '{title}': rows naming no list, field or linked id: {_cells(bad)}; give the list's sheet name, "
                "the column header and the id, or delete the row"
            )
        ]
        if bad
        else []
    )
    return dict(links), problems


def _decode(
    frame: pd.DataFrame, name: str, title: str, columns: dict[str, tuple[str, str]], links: dict | None
) -> tuple[pd.DataFrame, list[str]]:
    """Cells as the schema holds them: codes for labels, id lists for summaries; problems name sheet, column and row.

    `columns` maps a field to its column letter and header; the frame's index is
    the sheet row minus one.
    """
    table = list_table(name)
    out, problems = frame.copy(), []
    excel_rows = [int(i) + 1 for i in frame.index]
    for f in table.fields:
        if f.name not in frame:
            continue
        letter, header = columns[f.name]
        place = f"sheet '{title}', column {letter} ({header})"
        values = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else unquote(v) for v in frame[f.name]]
        if f.type == "str":
            labels = value_labels(name, f.name)
            if f.values or labels:
                decoded = [
                    v if v is None else read_code(v, f.values, labels) or (None if f.values else v) for v in values
                ]
                bad = [
                    (r, v) for r, v, d in zip(excel_rows, values, decoded, strict=True) if v is not None and d is None
                ]
                if bad:
                    problems.append(
                        f"{place}: values not allowed: {_cells(bad)}. Allowed: {allowed_text(f.values, labels)} "
                        "(the code, the Chinese label, or both as written in the export)"
                    )
                values = [
                    v if d is None else d for v, d in zip(values, decoded, strict=True)
                ]  # bad cells are reported once
            if f.is_id_list:
                missing = []
                for i, v in enumerate(values):
                    if summary_count(v) is None:
                        continue
                    ids = None if links is None else links.get((name, key_text(frame[table.key].iloc[i]), f.name))
                    if ids is None:
                        missing.append((excel_rows[i], v))
                    else:
                        values[i] = ",".join(ids)
                if missing:
                    problems.append(
                        f"{place}: {_cells(missing)} show a summary but the link sheet "
                        f"'{link_sheet('zh')[0]}' has no ids for them; "
                        "put the link sheet (or its rows) back, or type the ids into the cell, separated by commas"
                    )
        else:
            numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
            blank = [v is None or (isinstance(v, str) and not v.strip()) for v in values]
            bad = [
                (r, v) for r, v, n, b in zip(excel_rows, values, numbers, blank, strict=True) if not b and pd.isna(n)
            ]
            if f.type == "int":
                bad += [
                    (r, v)
                    for r, v, n in zip(excel_rows, values, numbers, strict=True)
                    if pd.notna(n) and not float(n).is_integer()
                ]
            if bad:
                kind = "a whole number" if f.type == "int" else "a number"
                problems.append(f"{place}: not {kind}: {_cells(sorted(bad, key=lambda cell: cell[0]))}; type {kind}")
            values = [None if b else v for v, b in zip(values, blank, strict=True)]
        empty = [
            r for r, v in zip(excel_rows, values, strict=True) if v is None or (isinstance(v, str) and not v.strip())
        ]
        if f.required and empty:
            problems.append(f"{place}: required but empty in {_cells([(r, None) for r in empty])}; fill the cells")
        out[f.name] = pd.Series(values, index=frame.index, dtype=object)
    return out, problems


def _is_layout_sheet(title: str) -> bool:
    """The sheets blockcheck writes beside the lists (图3 by community, the link sheet)."""
    return any(title.strip() in (wide_demand_title(lang), link_sheet(lang)[0]) for lang in LANGS)


def _cell(value: object) -> object:
    """A cell value as the lists read it: empty text is no value, a whole number read as a float is an int."""
    if value == "":
        return None
    if value.__class__ is float and value.is_integer():
        return int(value)
    return value


class _SheetXml:
    """The cell values of one sheet's XML, row by row, read with expat (a few handlers per cell).

    The values are openpyxl's (``values_only``, ``data_only``): shared and
    inline strings (rich-text runs joined, phonetic runs left out), numbers as
    int or float, dates for date-formatted numbers, booleans, error codes as
    their text, a formula's cached value. Element names may carry any
    namespace prefix.
    """

    def __init__(self, shared: list, date_styles: set, timedelta_styles: set, epoch: object) -> None:
        from openpyxl.utils import column_index_from_string

        self.shared, self.date_styles, self.timedelta_styles, self.epoch = shared, date_styles, timedelta_styles, epoch
        self._column_of = column_index_from_string
        self._local: dict[str, str] = {}  # element name → name without a namespace prefix
        self.rows: list[list] = []
        self._row: dict[int, object] = {}
        self._row_index = self._column = 0
        self._type, self._style, self._ref = "n", 0, None
        self._value: list[str] = []
        self._inline: list[str] = []
        self._into: list[str] | None = None  # the text being collected: a <v>, or a <t> of an inline string
        self._in_inline = self._in_phonetic = False

    def start(self, name: str, attrs: dict) -> None:
        """Expat's start-element handler."""
        name = self._local.get(name) or self._local.setdefault(name, name.rpartition(":")[2])
        if name == "c":
            self._ref, self._type = attrs.get("r"), attrs.get("t", "n")
            self._style = int(attrs.get("s", 0) or 0)
            self._value, self._inline = [], []
        elif name == "v":
            self._into = self._value
        elif name == "t":
            self._into = self._inline if self._in_inline and not self._in_phonetic else None
        elif name == "is":
            self._in_inline = True
        elif name == "rPh":
            self._in_phonetic = True
        elif name == "row":
            index = attrs.get("r")
            self._row_index = int(float(index)) if index else self._row_index + 1
            self._row, self._column = {}, 0

    def end(self, name: str) -> None:
        """Expat's end-element handler."""
        name = self._local.get(name) or self._local.setdefault(name, name.rpartition(":")[2])
        if name in ("v", "t"):
            self._into = None
        elif name == "c":
            self._end_cell()
        elif name == "is":
            self._in_inline = False
        elif name == "rPh":
            self._in_phonetic = False
        elif name == "row":
            self._end_row()

    def text(self, data: str) -> None:
        """Expat's character-data handler."""
        if self._into is not None:
            self._into.append(data)

    def _end_cell(self) -> None:
        if self._ref:
            self._column = self._column_of(self._ref.rstrip("0123456789"))
        else:
            self._column += 1
        kind, raw = self._type, "".join(self._value)
        if kind == "inlineStr":
            value = "".join(self._inline)
        elif not raw:
            value = None
        elif kind == "s":
            value = self.shared[int(raw)]
        elif kind in ("str", "e"):
            value = raw
        elif kind == "b":
            value = bool(int(raw))
        elif kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            value = from_ISO8601(raw)
        else:
            value = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if self._style in self.date_styles:
                from openpyxl.utils.datetime import from_excel

                try:
                    value = from_excel(value, self.epoch, timedelta=self._style in self.timedelta_styles)
                except (OverflowError, ValueError):
                    value = "#VALUE!"  # as openpyxl: a date out of range is an error
        self._row[self._column] = value

    def _end_row(self) -> None:
        if self._row_index <= len(self.rows):  # a row given twice: the first counts, as in openpyxl
            return
        self.rows += [[] for _ in range(self._row_index - 1 - len(self.rows))]
        values = [None] * max(self._row, default=0)
        for column, value in self._row.items():
            if column > 0:
                values[column - 1] = value
        self.rows.append(values)


def _rows(sheet: object) -> list[list]:
    """The values of a read-only sheet, row by row from row 1 (empty rows as [])."""
    from xml.parsers import expat

    book = sheet.parent
    try:  # the sheet's XML and what openpyxl read of the workbook (shared strings, date styles)
        reader = _SheetXml(sheet._shared_strings, book._date_formats, book._timedelta_formats, book.epoch)
        source = sheet._get_source()
    except AttributeError:  # an openpyxl without these: its public reader
        sheet.reset_dimensions()  # the size a file declares may be wrong: take the rows as they are
        return [list(values) for values in sheet.iter_rows(values_only=True)]
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = reader.start, reader.end
    parser.CharacterDataHandler = reader.text
    with source:
        parser.ParseFile(source)
    return reader.rows


def _grid(sheet: object) -> pd.DataFrame:
    """The cells of a read-only sheet as a table without a header (None where a cell is empty)."""
    rows = [[_cell(v) for v in values] for values in _rows(sheet)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max(map(len, rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)


class _Book:
    """An .xlsx file open in openpyxl's read-only reader: its sheet titles, document properties and, on demand,
    the cells of a sheet (one sheet in memory at a time)."""

    def __init__(self, path: Path) -> None:
        import openpyxl

        self.path = path
        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
            self.props = {p.name: str(p.value or "") for p in self.book.custom_doc_props.props}
            self.titles = [ws.title for ws in self.book.worksheets]
        except Exception as err:  # noqa: BLE001 - openpyxl raises many error types for an unreadable file
            self._fail(err)

    def _fail(self, err: Exception) -> None:
        msg = f"{self.path}: cannot be read as an Excel workbook ({err})."
        raise InputError(msg) from None

    def grid(self, title: str) -> pd.DataFrame:
        """The cells of sheet `title` (see :func:`_grid`)."""
        try:
            return _grid(self.book[title])
        except Exception as err:  # noqa: BLE001 - a damaged sheet: expat or openpyxl errors
            self._fail(err)

    def close(self) -> None:
        """Close the file."""
        self.book.close()


def _shown_rows(title: str, grid: pd.DataFrame, at: int, props: dict[str, str]) -> tuple[int, int] | None:
    """(rows of the list, rows shown) of a sheet showing only the first rows of its list, else None.

    The document property :data:`TRUNCATED_PROPERTY` names such sheets; the
    notice line above the header says so too (either is enough).
    """
    try:
        named = json.loads(props.get(TRUNCATED_PROPERTY) or "{}")
    except ValueError:
        named = {}
    if isinstance(named, dict) and isinstance(named.get(title.strip()), list) and len(named[title.strip()]) == 2:
        total, shown = named[title.strip()]
        return int(total), int(shown)
    for i in range(at):
        for value in grid.iloc[i]:
            found = read_rows_notice(value)
            if found:
                return found
    return None


def _read_list(
    name: str, title: str, grid: pd.DataFrame, props: dict[str, str], links: dict | None
) -> tuple[pd.DataFrame | None, list[str], tuple[int, int] | None]:
    """One list's sheet: the table (None when a cell cannot be used), the problems, and (rows, shown) when the sheet
    shows only the first rows of the list."""
    from openpyxl.utils import get_column_letter

    table = list_table(name)
    lookup = {}
    for f in table.fields:
        lookup.update({f.label_zh: f.name, f.label_en: f.name, f.name: f.name})
    at = find_header_row(grid, set(lookup))
    if at is None:
        problem = (
            f"sheet '{title}': no header row with the column names of {table.title_zh} in its first "
            f"{_HEADER_SCAN_ROWS} rows (e.g. {', '.join(f.label_zh for f in table.fields[:3])}); put the header "
            "row back"
        )
        return None, [problem], None
    heads = ["" if pd.isna(h) else str(h).strip() for h in grid.iloc[at]]
    body = grid.iloc[at + 1 :]
    keep = [i for i, h in enumerate(heads) if h or body.iloc[:, i].notna().any()]  # empty columns without a header go
    unknown = [heads[i] or f"(column {i + 1} without a header)" for i in keep if heads[i] not in lookup]
    known = [i for i in keep if heads[i] in lookup]
    frame = body.iloc[:, known].set_axis([lookup[heads[i]] for i in known], axis=1).dropna(how="all")
    places = {lookup[heads[i]]: (get_column_letter(i + 1), heads[i]) for i in known}
    frame, problems = _decode(frame, name, title, places, links)
    out = None
    if not problems:
        try:
            out = conform(frame, table)
        except SchemaError as err:
            problems.append(f"sheet '{title}': {err}")
    if unknown:
        problems.append(f"sheet '{title}': columns not in the schema were ignored: {', '.join(map(str, unknown))}")
    return out, problems, _shown_rows(title, grid, at, props)


def read_eight_lists(path: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read an (edited) eight-lists workbook back into schema tables.

    Headers may be the Chinese or English labels or the field names; rows above
    the header row (the title row blockcheck writes, or any other) are skipped.
    A coded cell may hold the code, its Chinese label or both (``入库
    (registered)``); a cell still showing an id-list summary takes its ids from
    the link sheet. The data-gap sheet and the 图3 layout by community are not
    read. Every problem (unknown sheet headers, values not allowed, schema
    violations) is collected and raised together, naming sheet, column and row.

    Returns
    -------
    dict
        The tables read, by list name, and ``_notes`` (sheets and columns
        ignored), ``_revision`` (the lists' revision the file was written from)
        and, when a sheet shows only the first rows of its list (Excel's row
        limit), ``_truncated``: one row per such list (``list``, ``sheet``,
        ``rows`` of the list, rows ``shown``). Cells cut at Excel's cell limit
        are read as they are, marker included (see
        :func:`blockcheck.workbook.excel_layout.cut_length`).

    Raises
    ------
    InputError
        File missing/unreadable or not matching the list schemas.
    """
    path = Path(path)
    if not path.is_file():
        msg = (
            f"{path}: file not found. Give the eight_lists.xlsx written by `blockcheck run` (edited in Excel "
            "or LibreOffice)."
        )
        raise InputError(msg)
    titles = {
        sheet_title(n, lang): n for n in (*EIGHT_LISTS, *EXTRA_SHEETS) if n not in READ_ONLY_SHEETS for lang in LANGS
    }
    recognised = set(titles) | {sheet_title(n, lang) for n in READ_ONLY_SHEETS for lang in LANGS}
    book = _Book(path)
    try:
        link_titles = {link_sheet(lang)[0] for lang in LANGS}
        links, problems = _read_links({t: book.grid(t) for t in book.titles if t.strip() in link_titles})
        out, truncated = {}, []
        for title in book.titles:
            name = titles.get(title.strip())
            if name is None:
                if title.strip() not in recognised and not _is_layout_sheet(title):
                    problems.append(
                        f"sheet '{title}' is not a list of this workbook and was ignored (renamed? the lists' "
                        f"sheets are named {', '.join(sheet_title(n) for n in EIGHT_LISTS[:2])} …)"
                    )
                continue
            frame, sheet_problems, cut = _read_list(name, title, book.grid(title), book.props, links)
            problems += sheet_problems
            if frame is not None:
                out[name] = frame
            if cut:
                truncated.append({"list": name, "sheet": title, "rows": cut[0], "shown": cut[1]})
    finally:
        book.close()
    errors = [p for p in problems if "ignored" not in p]
    if errors:
        msg = f"{path}: " + "; ".join(errors) + ". Fix the cells named and import again; nothing was changed."
        raise InputError(msg)
    out["_notes"] = pd.DataFrame({"note": problems})
    out["_revision"] = pd.DataFrame({"revision": [book.props.get(REVISION_PROPERTY, "")]})
    if truncated:
        out["_truncated"] = pd.DataFrame(truncated)
    return out


def read_revision(path: str | os.PathLike) -> str:
    """The lists revision an eight_lists.xlsx was written from ("" when it carries none)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        props = {p.name: p.value for p in book.custom_doc_props.props}
    finally:
        book.close()
    return str(props.get(REVISION_PROPERTY) or "")
