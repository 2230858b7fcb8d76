"""Exporting a workbook's lists as they are now to an Excel file (``blockcheck export-lists``)."""

from __future__ import annotations

import os
from pathlib import Path

from blockcheck.lists.data_gaps import DATA_GAPS_LAYER
from blockcheck.lists.schema import EIGHT_LISTS
from blockcheck.outputs import guard_output
from blockcheck.workbook.excel import write_eight_lists
from blockcheck.workbook.history import HISTORY_LAYER
from blockcheck.workbook.postgis_conn import is_database_target
from blockcheck.workbook.read import META_LAYER, read_workbook, require_workbook

__all__ = ["export_lists"]


def export_lists(
    workbook: str | os.PathLike, out: str | os.PathLike | None = None, *, lang: str = "zh", overwrite: bool = False
) -> Path:
    """Write the eight lists, the data gaps and the project history of `workbook` to an .xlsx file.

    The file carries the lists' revision, so it can be edited and imported back
    (:func:`blockcheck.workbook.lists_import.import_lists`) as long as the workbook has not changed since.

    Raises
    ------
    InputError
        `workbook` missing or not a workbook.
    """
    workbook = require_workbook(workbook)
    if out is None:  # beside the workbook; a PostGIS workbook has no folder: the current one
        out = Path("eight_lists.xlsx") if is_database_target(workbook) else workbook.with_name("eight_lists.xlsx")
    target = guard_output(Path(out), overwrite=overwrite)
    tables = read_workbook(workbook, (*EIGHT_LISTS, HISTORY_LAYER, DATA_GAPS_LAYER, META_LAYER))
    return write_eight_lists(target, tables, lang=lang)
