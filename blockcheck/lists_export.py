"""Exporting a workbook's lists as they are now to an Excel file (``blockcheck export-lists``)."""

from __future__ import annotations

import os
from pathlib import Path

import pyogrio

from .errors import InputError
from .excel import write_eight_lists
from .lists.data_gaps import DATA_GAPS_LAYER
from .outputs import guard_output
from .pipeline import META_LAYER
from .workbook import HISTORY_LAYER, read_workbook

__all__ = ["export_lists"]


def export_lists(workbook: str | os.PathLike, out: str | os.PathLike | None = None, *, lang: str = "zh", overwrite: bool = False) -> Path:
    """Write the eight lists, the data gaps and the project history of `workbook` to an .xlsx file.

    The file carries the lists' revision, so it can be edited and imported back
    (:func:`blockcheck.lists_import.import_lists`) as long as the workbook has not changed since.

    Raises
    ------
    InputError
        `workbook` missing or not a workbook.
    """
    workbook = Path(workbook)
    if not workbook.is_file():
        msg = f"{workbook}: workbook not found. Run `blockcheck run INPUT --out DIR` first."
        raise InputError(msg)
    target = guard_output(Path(out) if out is not None else workbook.with_name("eight_lists.xlsx"), overwrite=overwrite)
    tables = read_workbook(workbook)
    present = {str(n) for n, _ in pyogrio.list_layers(workbook)}
    for extra in (HISTORY_LAYER, DATA_GAPS_LAYER, META_LAYER):
        if extra in present:
            tables[extra] = pyogrio.read_dataframe(workbook, layer=extra)
    return write_eight_lists(target, tables, lang=lang)
