"""The data rows of a sheet of eight_lists.xlsx as sheet XML text, put into the sheet openpyxl wrote.

openpyxl's write-only sheets spend most of their time per cell: :class:`DataRows`
writes a sheet's data rows as text to a file of their own, a chunk of rows at
a time (:func:`blockcheck.workbook.excel_cells.rows_xml`), and
:func:`splice_rows` puts them into the sheet's XML (with the sheet's size)
once openpyxl has written its layout and top rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from blockcheck.errors import OutputError
from blockcheck.workbook.excel_cells import Part, column_part, rows_xml

if TYPE_CHECKING:
    from blockcheck.workbook.excel_write import _Styles

__all__ = ["DataRows", "splice_rows"]


class DataRows:
    """The data rows of a sheet, as sheet XML in a file of their own, from row `first` on.

    openpyxl spends most of its time per cell; these rows are written as text
    and put into the sheet openpyxl wrote (:func:`splice_rows`) before the
    workbook is saved.
    """

    def __init__(self, styles: _Styles, n_columns: int, first: int, lang: str) -> None:
        from openpyxl.utils import get_column_letter

        self.styles, self.lang, self.next_row = styles, lang, first
        self.letters = [get_column_letter(i) for i in range(1, n_columns + 1)]
        handle, name = tempfile.mkstemp(suffix=".xml", prefix="blockcheck_rows_")
        self.path = Path(name)
        self._out = open(handle, "w", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed in close()

    def _column(self, letter: str, rows: list[str], values: list, fmt: object) -> Part:
        if isinstance(fmt, list):
            styles: str | list[str] = [self.styles.number(f) if f is not None else "" for f in fmt]
        else:
            styles = "" if fmt is None else self.styles.number(fmt)
        return column_part(letter, rows, values, styles, quoted=self.styles.quoted, lang=self.lang)

    def append(self, columns: list[list], formats: list) -> None:
        """Append the rows of `columns` (one list per column), numbers in their column's or row's format."""
        if not columns or not columns[0]:
            return
        stop = self.next_row + len(columns[0])
        rows = list(map(str, range(self.next_row, stop)))  # the row numbers as text, once for every column
        parts = [self._column(L, rows, v, f) for L, v, f in zip(self.letters, columns, formats, strict=True)]
        self._out.write(rows_xml(rows, parts))
        self.next_row = stop

    def close(self) -> None:
        """No more rows (the file stays until :meth:`discard`)."""
        self._out.close()

    def discard(self) -> None:
        """Remove the rows' file (also after a failure)."""
        self._out.close()
        self.path.unlink(missing_ok=True)


def splice_rows(sheet: object, rows: DataRows) -> None:
    """Finish `sheet`: openpyxl writes its tail, then `rows` go in before ``</sheetData>`` (and its size on top)."""
    rows.close()
    sheet.close()
    sheet_xml = Path(sheet._writer.out)  # the file openpyxl saves the sheet from (openpyxl >= 3.1)
    xml = sheet_xml.read_bytes()  # the layout and the top rows: small
    at = xml.rfind(b"</sheetData>")
    if at < 0:
        msg = f"openpyxl wrote sheet '{sheet.title}' without a <sheetData> element; cannot add its rows"
        raise OutputError(msg)
    # the sheet's size, as readers look it up before the rows (openpyxl's write-only sheets declare none)
    views = xml.find(b"<sheetViews")
    dimension = f'<dimension ref="A1:{rows.letters[-1] if rows.letters else "A"}{rows.next_row - 1}"/>'.encode()
    head = xml[:views] + dimension + xml[views:at] if 0 <= views < at else xml[:at]
    spliced = sheet_xml.with_name(sheet_xml.name + ".rows")
    with spliced.open("wb") as out, rows.path.open("rb") as data:
        out.write(head)
        shutil.copyfileobj(data, out, 1 << 20)
        out.write(xml[at:])
    os.replace(spliced, sheet_xml)
