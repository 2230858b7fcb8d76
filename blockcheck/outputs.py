"""Nothing overwritten by surprise: an output file may replace only a file blockcheck wrote before.

Every writer of a named output calls :func:`guard_output` first. A file that
does not exist, or that carries blockcheck's mark (a workbook with its
``blockcheck_meta`` table, an Excel file with the lists' revision property, a
PDF/PNG/SVG/HTML naming blockcheck as its creator, blockcheck's own text and
CSV headers), may be replaced; anything else — a user's own GeoPackage,
spreadsheet or report that happens to have the same name — is only replaced
with ``overwrite=True`` (``--overwrite``).
"""

from __future__ import annotations

import os
from pathlib import Path

from blockcheck.errors import WouldOverwriteError

__all__ = ["MARK", "guard_output", "written_by_blockcheck"]

#: The creator name blockcheck writes into the files it makes (PDF, PNG, SVG and HTML metadata).
MARK = "blockcheck"
_TAIL_BYTES = 64_000  # PDF metadata sits near the end; PNG/SVG/HTML near the start


def _has_mark(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(_TAIL_BYTES)
        if size > _TAIL_BYTES:
            fh.seek(max(size - _TAIL_BYTES, _TAIL_BYTES))
            head += fh.read()
    return MARK.encode("ascii") in head


def written_by_blockcheck(path: str | os.PathLike) -> bool:
    """True when `path` carries blockcheck's mark (see the module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".gpkg":
            from blockcheck.workbook.read import META_LAYER, layer_names

            return META_LAYER in layer_names(path)
        if suffix == ".xlsx":
            import openpyxl

            from blockcheck.workbook.excel import read_revision

            if read_revision(path):
                return True
            from blockcheck.workbook.excel import sheet_title

            book = openpyxl.load_workbook(path, read_only=True)
            try:  # marked, or an eight_lists.xlsx of an earlier version (its 图1 sheet)
                return book.properties.creator == MARK or sheet_title("problem_list") in book.sheetnames
            finally:
                book.close()
        if suffix == ".csv":  # the what-if table
            with path.open(encoding="utf-8-sig") as fh:
                return fh.readline().startswith("scope,metric_key,before,after")
        return _has_mark(path)
    except Exception:  # noqa: BLE001 - unreadable or foreign: not ours
        return False


def guard_output(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check that `path` may be written.

    Raises
    ------
    WouldOverwriteError
        `path` exists, was not written by blockcheck, and `overwrite` is False.
    """
    path = Path(path)
    if path.exists() and not overwrite and not written_by_blockcheck(path):
        msg = (
            f"{path} exists and was not written by blockcheck; it would be replaced. "
            "Choose another output name or folder, or give --overwrite to replace it."
        )
        raise WouldOverwriteError(msg)
    return path
