"""Reading a survey table from CSV or XLSX: encodings, sheets, merged cells, header row, data rows.

The demand and vision lists share everything up to the cells of each row:
:func:`_read_grid` gives the sheet as text (merged ranges filled in),
:func:`_find_columns` locates the header row and each wanted column, and
:func:`_data_rows` yields the non-blank rows with 街道 / 社区 carried down.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from blockcheck.errors import InputError
from blockcheck.io import check_unpacked_size, clean_text
from blockcheck.surveys._text import _clean_name, _header_keys, _squash

_HEADER_SCAN_ROWS = 20


@dataclass
class _Grid:
    """Cells of a sheet as text; ``rows[i]`` is the row a user sees as number i + 1."""

    rows: list[list[str]]
    merged: set[tuple[int, int]]  # (row, col) positions filled from a merged range (not its first cell)
    where: str  # file name (and sheet) for messages

    def cell(self, row: int, col: int) -> str:
        values = self.rows[row]
        return values[col] if col < len(values) else ""


def _decode(data: bytes, path: Path) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", data)]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, raw in candidates:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    tried = " or ".join(enc for enc, _ in candidates)
    msg = f"{path}: the text is neither {tried}. Save it from Excel as 'CSV UTF-8 (逗号分隔)' or as .xlsx."
    raise InputError(msg)


def _read_csv_grid(path: Path) -> _Grid:
    text = _decode(path.read_bytes(), path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = [[clean_text(c) for c in r] for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return _Grid(rows, set(), str(path))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))  # control characters cannot go into the workbook or the Excel lists


def _read_xlsx_grid(path: Path, *, sheet: str | int | None, sheet_hint: str) -> _Grid:
    import openpyxl  # a core dependency; imported here to keep module import light
    from openpyxl.utils.exceptions import InvalidFileException

    check_unpacked_size(path)
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, OSError, KeyError, ValueError) as err:
        msg = (
            f"{path}: cannot be read as an Excel .xlsx workbook ({err}). Open it in Excel and save it again as .xlsx "
            "or as CSV UTF-8."
        )
        raise InputError(msg) from None
    try:
        names = workbook.sheetnames
        if sheet is None:
            chosen = next((n for n in names if sheet_hint in _squash(n)), names[0])
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                msg = f"{path}: there is no sheet number {sheet} (the workbook has {len(names)}: {', '.join(names)})."
                raise InputError(msg)
            chosen = names[sheet]
        else:
            if sheet not in names:
                msg = f"{path}: there is no sheet {sheet!r}. Sheets: {', '.join(names)}. Pass one of them as sheet=."
                raise InputError(msg)
            chosen = sheet
        ws = workbook[chosen]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
        merged: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            value = _cell_text(ws.cell(rng.min_row, rng.min_col).value)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) == (rng.min_row, rng.min_col) or r > len(rows):
                        continue
                    values = rows[r - 1]
                    values.extend([""] * (c - len(values)))
                    values[c - 1] = value
                    merged.add((r - 1, c - 1))
    finally:
        workbook.close()
    where = f"{path}" if len(names) == 1 else f"{path}, sheet {chosen!r}"
    return _Grid(rows, merged, where)


def _read_grid(path: str | os.PathLike, *, sheet: str | int | None, sheet_hint: str, what: str) -> _Grid:
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path (relative paths start from {Path.cwd()})."
        raise InputError(msg)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx_grid(path, sheet=sheet, sheet_hint=sheet_hint)
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv_grid(path)
    if suffix in {".xls", ".et", ".wps", ".ods"}:
        msg = (
            f"{path}: {suffix} workbooks are not read. Open it in Excel or WPS and save the {what} as .xlsx or as CSV "
            "UTF-8."
        )
        raise InputError(msg)
    msg = (
        f"{path}: unknown file type {suffix or '(no extension)'!r}. Give the {what} as .csv (UTF-8 or GB18030) or "
        ".xlsx."
    )
    raise InputError(msg)


def _find_columns(
    grid: _Grid, wanted: dict[str, tuple[str, ...]], expected: list[str], what: str
) -> tuple[int, dict[str, int], list[str]]:
    """Locate the header row and the column of each wanted field.

    Returns the header row position, field → column, and notes on ignored columns.
    Raises one InputError listing every missing or doubled header.
    """
    lookup: dict[str, str] = {}
    for name, headers in wanted.items():
        for header in headers:
            for key in _header_keys(header):
                lookup.setdefault(key, name)
    community_keys = {k for h in wanted["community"] for k in _header_keys(h)}
    header_row = None
    for i, row in enumerate(grid.rows[:_HEADER_SCAN_ROWS]):
        if any(not community_keys.isdisjoint(_header_keys(cell)) for cell in row if cell.strip()):
            header_row = i
            break
    expected_text = ", ".join(expected)
    if header_row is None:
        first = next((r for r in grid.rows if any(c.strip() for c in r)), [])
        seen = ", ".join(c.strip() for c in first if c.strip()) or "(nothing)"
        msg = (
            f"{grid.where}: no header row naming the 社区 column in the first {_HEADER_SCAN_ROWS} rows "
            f"(first row: {seen}). The {what} needs the headers {expected_text} in one row."
        )
        raise InputError(msg)
    columns: dict[str, int] = {}
    problems, notes = [], []
    for col, cell in enumerate(grid.rows[header_row]):
        if not cell.strip():
            continue
        name = next((lookup[k] for k in _header_keys(cell) if k in lookup), None)
        if name is None:
            notes.append(
                f"{grid.where}, row {header_row + 1}: column {cell.strip()!r} is not a column of the {what} and was "
                "ignored."
            )
        elif name in columns:
            problems.append(
                f"columns {columns[name] + 1} and {col + 1} are both read as {wanted[name][0]!r}; keep one of them"
            )
        else:
            columns[name] = col
    missing = [headers[0] for name, headers in wanted.items() if name not in columns]
    if missing:
        problems.insert(
            0,
            f"missing column(s) {', '.join(missing)}; add them (an empty column, or '--' in every cell, "
            "if the survey did not ask)",
        )
    if problems:
        found = ", ".join(c.strip() for c in grid.rows[header_row] if c.strip())
        msg = (
            f"{grid.where}, header row {header_row + 1} ({found}): "
            + "; ".join(problems)
            + f". The {what} expects the headers {expected_text}."
        )
        raise InputError(msg)
    return header_row, columns, notes


@dataclass
class _Row:
    source_row: int
    subdistrict: str | None
    community: str | None
    cells: dict[str, str]  # field → raw cell text


def _data_rows(
    grid: _Grid, header_row: int, columns: dict[str, int], *, warn_carried_community: bool, warnings: list[str]
) -> list[_Row]:
    """Non-blank rows below the header, with 街道 / 社区 carried down from merged or blank cells."""
    out: list[_Row] = []
    subdistrict: str | None = None
    community: str | None = None
    comm_col = columns["community"]
    for i in range(header_row + 1, len(grid.rows)):
        if not any(c.strip() for c in grid.rows[i]):
            continue  # blank row
        cells = {name: grid.cell(i, col) for name, col in columns.items()}
        others = {k: v for k, v in cells.items() if k not in {"subdistrict", "community"}}
        sub_text, comm_text = cells["subdistrict"].strip(), cells["community"].strip()
        if sub_text:
            new_sub = _clean_name(sub_text)
            if new_sub != subdistrict:
                community = None  # a new 街道 block starts
            subdistrict = new_sub
        if comm_text:
            community = _clean_name(comm_text)
        elif any(v.strip() for v in others.values()):
            if community is None:
                warnings.append(
                    f"{grid.where}, row {i + 1}: the 社区 cell is empty and there is no community above to carry down; "
                    "the row is kept without a community. Fill in the community name."
                )
            elif warn_carried_community and (i, comm_col) not in grid.merged:
                warnings.append(
                    f"{grid.where}, row {i + 1}: the 社区 cell is empty; read as {community!r} from the row above "
                    "(as a merged cell). Fill in the name if that is wrong."
                )
        else:
            continue  # only a 街道 (a group heading) or only blank category cells without a community
        out.append(_Row(i + 1, subdistrict, community, others))
    return out
