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
the link sheet. The reader finds the header row itself (the first rows are
searched for the schema's labels), so sheets with or without a title row
import alike; it takes codes, Chinese labels or both, rebuilds summarised id
lists from the link sheet, and names the sheet, row and column of every cell
it cannot use.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from blockcheck.errors import InputError, SchemaError
from blockcheck.inputs.read import is_synthetic
from blockcheck.lists.schema import EIGHT_LISTS, ListTable, conform, list_table, value_labels
from blockcheck.report.settings import LANGS, check_lang, settings, text
from blockcheck.workbook.excel_layout import (
    allowed_text,
    column_format,
    demand_by_community,
    display_codes,
    display_width,
    excel_settings,
    is_formula_like,
    link_sheet,
    link_summary,
    read_code,
    split_ids,
    summary_count,
    unquote,
    wide_demand_title,
)
from blockcheck.workbook.history import HISTORY_LAYER, lists_revision
from blockcheck.workbook.read import META_LAYER

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = [
    "DATA_GAPS_SHEET",
    "REVISION_PROPERTY",
    "find_header_row",
    "read_revision",
    "read_eight_lists",
    "sheet_heading",
    "sheet_title",
    "write_eight_lists",
]

#: The document property holding the revision of the lists the file shows.
REVISION_PROPERTY = "blockcheck_lists_revision"
#: The data-gap list: written after the eight lists, never imported.
DATA_GAPS_SHEET = "data_gaps"
_EXTRA_SHEETS = (DATA_GAPS_SHEET, HISTORY_LAYER)
_READ_ONLY = (DATA_GAPS_SHEET,)
_MIN_WIDTH, _MAX_WIDTH, _HEADER_WIDTH = 6, 60, 24  # column widths (character cells); longer headers wrap
_HEADER_SCAN_ROWS = 10  # the header row is looked for in this many rows from the top
_SHOWN_CELLS = 5  # bad cells named per column in an error


def sheet_title(name: str, lang: str = "zh") -> str:
    """Sheet name of a list, e.g. ``图1 问题清单`` (Excel allows 31 characters)."""
    table = list_table(name)
    title = table.title_zh if lang == "zh" else table.title_en
    return (f"{table.figure} {title}" if table.figure else title)[:31]


def _heading(base: str, lang: str, *, synthetic: bool, read_only: bool) -> str:
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
    return _heading(f"{figure} {title}" if figure else title, lang, synthetic=synthetic, read_only=name in _READ_ONLY)


def _meta_synthetic(meta: object) -> bool:
    """True when a blockcheck_meta table (key, value) says synthetic = true."""
    if not isinstance(meta, pd.DataFrame) or not {"key", "value"} <= set(meta.columns):
        return False
    return is_synthetic(dict(zip(meta["key"].astype(str), meta["value"].fillna("").astype(str), strict=True)))


def _key_text(value: object) -> str:
    """A row key as the link sheet holds it (``3.0`` read back from Excel → ``"3"``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _list_columns(
    name: str, table: ListTable, frame: pd.DataFrame, lang: str, links: list[tuple]
) -> tuple[list[list], list]:
    """Cell values and number formats of one list, column by column; long id lists go to `links`."""
    max_chars = int(excel_settings()["links"]["max_chars"])
    keys = [_key_text(k) for k in frame[table.key]] if table.key in frame else [""] * len(frame)
    columns, formats = [], []
    for f in table.fields:
        values = frame[f.name].astype(object).where(frame[f.name].notna(), None).tolist()
        if f.type == "str":
            shown = display_codes(name, f, lang)
            if shown:
                values = [shown.get(v, v) for v in values]
            if f.is_id_list:
                for i, v in enumerate(values):
                    if isinstance(v, str) and len(v) > max_chars:
                        ids = split_ids(v)
                        links += [
                            (sheet_title(name, lang), keys[i], f.label_zh if lang == "zh" else f.label_en, x)
                            for x in ids
                        ]
                        values[i] = link_summary(len(ids), lang)
        columns.append(values)
        formats.append(column_format(f, frame))
    return columns, formats


def _width(header: str, values: list, fmt: object) -> float:
    """Column width: the longest value (numbers as formatted, roughly), the header up to _HEADER_WIDTH."""
    data = max((display_width(v[:_MAX_WIDTH]) for v in set(values) if isinstance(v, str)), default=0)
    numbers = [abs(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numbers:
        data = max(data, len(f"{max(numbers):,.2f}") + (1 if fmt is not None and "%" in str(fmt) else 0))
    return min(_MAX_WIDTH, max(_MIN_WIDTH, data + 2, min(display_width(header), _HEADER_WIDTH) + 2))


def _write_sheet(
    book: Workbook,
    title: str,
    heading: str,
    headers: list[str],
    columns: list[list],
    formats: list,
    *,
    lang: str,
    red: str | None,
) -> None:
    """One sheet: settings first, then the title row, the header row and the rows (write-only friendly)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    n_rows = len(columns[0]) if columns else 0
    sheet.freeze_panes = "A3"  # below the header row
    sheet.print_title_rows = "1:2"
    sheet.auto_filter.ref = f"A2:{get_column_letter(max(len(headers), 1))}{2 + n_rows}"
    sheet.oddHeader.center.text = heading.replace("&", "&&")
    if red:
        sheet.oddHeader.center.color = red
    sheet.oddFooter.right.text = text(lang, "page", page="&P")
    lines = 1
    for i, (header, values, fmt) in enumerate(zip(headers, columns, formats, strict=True), start=1):
        width = _width(header, values, fmt)
        sheet.column_dimensions[get_column_letter(i)].width = width
        lines = max(lines, math.ceil(display_width(header) / max(width - 2, 1)))
    if lines > 1:
        sheet.row_dimensions[2].height = 15 * lines
    cell = WriteOnlyCell(sheet, value=heading)
    cell.font = Font(bold=True, size=13, color=red)
    sheet.append([cell])
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    head_align = Alignment(wrap_text=True, vertical="center")
    row = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font, cell.fill, cell.alignment = head_font, head_fill, head_align
        row.append(cell)
    sheet.append(row)
    per_row = [isinstance(fmt, list) for fmt in formats]
    for r in range(n_rows):
        row = []
        for values, fmt, varies in zip(columns, formats, per_row, strict=True):
            value, number_format = values[r], fmt[r] if varies else fmt
            if is_formula_like(value):  # text stays text: no formula runs, also not after editing the cell
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type, cell.quotePrefix = "s", True
                value = cell
            elif number_format is not None and value is not None and not isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                value = cell
            row.append(value)
        sheet.append(row)


def write_eight_lists(path: str | os.PathLike, tables: dict[str, pd.DataFrame], *, lang: str = "zh") -> Path:
    """Write the lists, the data-gap list and the project history to an .xlsx file, atomically.

    Columns follow the list schema, so the 图1–图8 columns come first, with
    their Chinese (or English) headers; geometry is left out. Row 1 of each
    sheet is its title (:func:`sheet_heading`), row 2 the header (frozen, with
    an autofilter). Numbers are formatted by unit, coded values show their
    Chinese label beside the code, id lists longer than ``links.max_chars``
    (``data/excel.toml``) show a summary and are listed on the link sheet,
    formula-like text is written as text. The demand list is followed by its
    图3 layout, one row per community (read-only).

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

    check_lang(lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")  # this writer's own temporary file
    synthetic = _meta_synthetic(tables.get(META_LAYER))
    red = settings()["synthetic"]["background"].lstrip("#").upper() if synthetic else None
    book = Workbook()  # issue 15: write_only=True (every sheet is written top to bottom once)
    book.remove(book.active)
    links: list[tuple] = []
    for name in (*EIGHT_LISTS, *_EXTRA_SHEETS):
        if name not in tables:
            continue
        table = list_table(name)
        frame = conform(pd.DataFrame(tables[name]).drop(columns="geometry", errors="ignore"), table)
        columns, formats = _list_columns(name, table, frame, lang, links)
        _write_sheet(
            book,
            sheet_title(name, lang),
            sheet_heading(name, lang, synthetic=synthetic),
            list(table.labels(lang).values()),
            columns,
            formats,
            lang=lang,
            red=red,
        )
        if name == "demand_list":
            wide = demand_by_community(frame, lang)
            _write_sheet(
                book,
                wide_demand_title(lang),
                _heading(wide_demand_title(lang), lang, synthetic=synthetic, read_only=True),
                list(wide.columns),
                [wide[c].tolist() for c in wide.columns],
                [None] * wide.shape[1],
                lang=lang,
                red=red,
            )
    if links:
        title, heading, headers = link_sheet(lang)
        _write_sheet(
            book,
            title,
            _heading(heading, lang, synthetic=synthetic, read_only=False),
            headers,
            [list(c) for c in zip(*links, strict=True)],
            [None] * len(headers),
            lang=lang,
            red=red,
        )
    from openpyxl.packaging.custom import StringProperty

    # which state of the lists this file shows, checked on import (a document property: Excel and LibreOffice keep it)
    book.custom_doc_props.append(StringProperty(name=REVISION_PROPERTY, value=lists_revision(tables)))
    try:
        book.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed save (full disk) leaves no partial file
        raise
    return path


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
    for i in range(at + 1, len(grid)):
        cells = [grid.iat[i, where[k]] for k in range(4)]
        if all(pd.isna(c) or not str(c).strip() for c in cells):
            continue
        name = lists.get(str(cells[0]).strip())
        fields = (
            {}
            if name is None
            else {form: f.name for f in list_table(name).fields for form in (f.name, f.label_zh, f.label_en)}
        )
        field = fields.get(str(cells[2]).strip())
        linked = _key_text(unquote(cells[3]))
        if field is None or not linked:
            bad.append((i + 1, " · ".join("" if pd.isna(c) else str(c) for c in cells)))
            continue
        links[(name, _key_text(cells[1]), field)].append(linked)
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
                    ids = None if links is None else links.get((name, _key_text(frame[table.key].iloc[i]), f.name))
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


def read_eight_lists(path: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read an (edited) eight-lists workbook back into schema tables.

    Headers may be the Chinese or English labels or the field names; rows above
    the header row (the title row blockcheck writes, or any other) are skipped.
    A coded cell may hold the code, its Chinese label or both (``入库
    (registered)``); a cell still showing an id-list summary takes its ids from
    the link sheet. The data-gap sheet and the 图3 layout by community are not
    read. Every problem (unknown sheet headers, values not allowed, schema
    violations) is collected and raised together, naming sheet, column and row.

    Raises
    ------
    InputError
        File missing/unreadable or not matching the list schemas.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    if not path.is_file():
        msg = (
            f"{path}: file not found. Give the eight_lists.xlsx written by `blockcheck run` (edited in Excel "
            "or LibreOffice)."
        )
        raise InputError(msg)
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as err:  # noqa: BLE001 - openpyxl/pandas raise many error types for an unreadable file
        msg = f"{path}: cannot be read as an Excel workbook ({err})."
        raise InputError(msg) from None
    titles = {sheet_title(n, lang): n for n in (*EIGHT_LISTS, *_EXTRA_SHEETS) if n not in _READ_ONLY for lang in LANGS}
    links, problems = _read_links(sheets)
    out = {}
    recognised = set(titles) | {sheet_title(n, lang) for n in _READ_ONLY for lang in LANGS}
    for title, grid in sheets.items():
        name = titles.get(str(title).strip())
        if name is None:
            if str(title).strip() not in recognised and not _is_layout_sheet(str(title)):
                problems.append(
                    f"sheet '{title}' is not a list of this workbook and was ignored (renamed? the lists' "
                    "sheets are named "
                    f"{', '.join(sheet_title(n) for n in EIGHT_LISTS[:2])} …)"
                )
            continue
        table = list_table(name)
        lookup = {}
        for f in table.fields:
            lookup.update({f.label_zh: f.name, f.label_en: f.name, f.name: f.name})
        at = find_header_row(grid, set(lookup))
        if at is None:
            problems.append(
                f"sheet '{title}': no header row with the column names of {table.title_zh} in its first "
                f"{_HEADER_SCAN_ROWS} rows "
                f"(e.g. {', '.join(f.label_zh for f in table.fields[:3])}); put the header row back"
            )
            continue
        heads = ["" if pd.isna(h) else str(h).strip() for h in grid.iloc[at]]
        body = grid.iloc[at + 1 :]
        keep = [
            i for i, h in enumerate(heads) if h or body.iloc[:, i].notna().any()
        ]  # empty columns without a header go
        unknown = [heads[i] or f"(column {i + 1} without a header)" for i in keep if heads[i] not in lookup]
        known = [i for i in keep if heads[i] in lookup]
        frame = body.iloc[:, known].set_axis([lookup[heads[i]] for i in known], axis=1).dropna(how="all")
        frame, cell_problems = _decode(
            frame, name, str(title), {lookup[heads[i]]: (get_column_letter(i + 1), heads[i]) for i in known}, links
        )
        problems += cell_problems
        if not cell_problems:
            try:
                out[name] = conform(frame, table)
            except SchemaError as err:
                problems.append(f"sheet '{title}': {err}")
        if unknown:
            problems.append(f"sheet '{title}': columns not in the schema were ignored: {', '.join(map(str, unknown))}")
    errors = [p for p in problems if "ignored" not in p]
    if errors:
        msg = f"{path}: " + "; ".join(errors) + ". Fix the cells named and import again; nothing was changed."
        raise InputError(msg)
    out["_notes"] = pd.DataFrame({"note": problems})
    out["_revision"] = pd.DataFrame({"revision": [read_revision(path)]})
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
