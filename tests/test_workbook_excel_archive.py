"""The .xlsx archive written while its sheets are (blockcheck.workbook.excel_archive): each part once, a file
Excel reads, and no file at all when a sheet was taken under the wrong name."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from blockcheck.errors import OutputError
from blockcheck.workbook.excel_archive import written_atomically
from blockcheck.workbook.excel_write import write_table


def _closed_sheet(book: Workbook, title: str, value: str):
    sheet = book.create_sheet(title)
    sheet.append([value])
    sheet.close()
    return sheet


def test_sheets_taken_early_are_in_the_file_once_with_their_rows(tmp_path):
    path = tmp_path / "two.xlsx"
    book = Workbook(write_only=True)
    with written_atomically(path) as archive:
        archive.add_sheet(book, _closed_sheet(book, "first", "a"))
        _closed_sheet(book, "second", "b")  # left to the save
        archive.add_sheet(book, _closed_sheet(book, "third", "c"))
        archive.save(book)
    names = zipfile.ZipFile(path).namelist()
    assert len(names) == len(set(names))
    assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"} <= set(names)
    read = load_workbook(path, read_only=True)
    assert [(s.title, list(s.values)) for s in read.worksheets] == [
        ("first", [("a",)]),
        ("second", [("b",)]),
        ("third", [("c",)]),
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["two.xlsx"]


def test_a_sheet_taken_under_another_sheets_name_leaves_no_file(tmp_path):
    path = tmp_path / "moved.xlsx"
    path.write_bytes(b"the earlier file")
    book = Workbook(write_only=True)
    with pytest.raises(OutputError, match="sheet2.xml"), written_atomically(path) as archive:
        _closed_sheet(book, "first", "a")
        archive.add_sheet(book, _closed_sheet(book, "second", "b"))
        book._sheets.reverse()  # saved as sheet 1 now: openpyxl writes its own part and never asks for ours
        archive.save(book)
    assert [p.name for p in tmp_path.iterdir()] == ["moved.xlsx"]
    assert path.read_bytes() == b"the earlier file"


def test_write_table_writes_one_readable_sheet(tmp_path):
    path = write_table(tmp_path / "t.xlsx", "表", ["名称", "面积"], [["甲", "乙"], [1.5, 2.0]], [None, "0.0"])
    names = zipfile.ZipFile(path).namelist()
    assert len(names) == len(set(names))
    rows = list(load_workbook(path, read_only=True).worksheets[0].values)
    assert rows[-2:] == [("甲", 1.5), ("乙", 2.0)]
