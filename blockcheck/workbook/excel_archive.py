"""The .xlsx file as the zip archive it is, written while its sheets are: each finished sheet compressed at once.

openpyxl's write-only workbook keeps every sheet's XML in a temporary file and
compresses them all when the workbook is saved. :class:`SheetArchive` takes a
finished sheet into the archive straight away (:meth:`SheetArchive.add_sheet`),
so a writer whose last sheets come later (:mod:`blockcheck.workbook.write_ahead`)
has little left to compress at its end; :meth:`SheetArchive.save` then writes
the rest as openpyxl's ``Workbook.save`` does. :func:`written_atomically`
makes the file under a temporary name and names it only when it is complete.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from zipfile import ZIP_DEFLATED, ZipFile

from blockcheck.errors import OutputError

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = ["ZIP_LEVEL", "SheetArchive", "written_atomically"]

#: zlib level of the file's parts: 1, the fastest (openpyxl's 6 takes nearly 3 times as long for a file 20 % smaller).
ZIP_LEVEL = 1


class SheetArchive(ZipFile):
    """The archive of one .xlsx file, its finished sheets compressed as they come."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
        self._early: dict[str, list] = {}  # part name → [the sheet's file, whether openpyxl's save came to it]

    def add_sheet(self, book: Workbook, sheet: object) -> None:
        """Compress the finished (closed) write-only `sheet` of `book` now, under the part name the save gives it."""
        name = f"xl/worksheets/sheet{book.worksheets.index(sheet) + 1}.xml"  # openpyxl numbers sheets in order
        source = sheet._writer.out  # the file openpyxl would save the sheet from (openpyxl >= 3.1)
        super().write(source, name)
        self._early[name] = [source, False]

    def write(self, filename, arcname=None, *args, **kwargs) -> None:
        """As ``ZipFile.write``, but a sheet taken early is not written again.

        Raises
        ------
        OutputError
            openpyxl saves another sheet under the name a sheet was taken under (the file would be wrong).
        """
        if arcname in self._early:
            if self._early[arcname][0] != filename:
                raise _misplaced([arcname])
            self._early[arcname][1] = True
            return
        super().write(filename, arcname, *args, **kwargs)

    def save(self, book: Workbook) -> None:
        """Write the rest of `book` as openpyxl's ``Workbook.save`` does, and close the archive."""
        from openpyxl.writer.excel import ExcelWriter

        if not book.worksheets:  # as Workbook.save: a file has a sheet
            book.create_sheet()
        book.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)  # as openpyxl's save_workbook
        ExcelWriter(book, self).save()  # closes the archive
        missed = [name for name, (_, seen) in self._early.items() if not seen]
        if missed:
            raise _misplaced(missed)


def _misplaced(names: list[str]) -> OutputError:
    """The error for sheets taken early under part names openpyxl's save gave to other sheets (a bug)."""
    msg = (
        f"the Excel file's parts {', '.join(names)} were written for other sheets than openpyxl saves under those "
        "names; the file was not written. This is a fault of blockcheck's: report it with the run's log."
    )
    return OutputError(msg)


@contextmanager
def written_atomically(path: Path) -> Iterator[SheetArchive]:
    """The archive of the .xlsx file `path`, under a temporary name of this process's until the block ends.

    Call :meth:`SheetArchive.save` in the block; the file is then named `path`.
    A failure (full disk) leaves no file and the earlier `path` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    archive = SheetArchive(tmp)
    try:
        yield archive
        archive.close()  # nothing if saved
        os.replace(tmp, path)
    except BaseException:
        archive.close()
        tmp.unlink(missing_ok=True)
        raise
