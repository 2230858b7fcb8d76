"""The summary of a long list in the hearing report: the rows that matter, totals, and where the full list is.

A table longer than :func:`~blockcheck.report.settings.body_rows` rows shows
that many: its first rows or, when the table ranks its rows
(:attr:`~blockcheck.report.tables.ListTable.rank`: projects by priority score,
block problems by severity), its highest-ranked rows, printed in the table's
own order. One sentence under the title then gives how many rows there are in
all, the rows per value of the table's totals column (``totals_by``: projects
by domain, tasks by construction task …), the sums of its amount and area
columns (``sums``: the tasks' land area) and where every row is — an appendix
table of the report, or the workbook layer (``workbook.gpkg``) and the sheet of
``eight_lists.xlsx`` (:func:`blockcheck.workbook.excel.sheet_title`). Labels
are the schema's (``data/lists.toml``), texts ``data/report.toml``'s, in
Chinese or English.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from blockcheck.report.settings import text
from blockcheck.report.tables import ListTable

__all__ = ["full_list_note", "shown_rows", "sheet_of", "sums_text", "totals_text"]


def sheet_of(name: str, n_rows: int, lang: str) -> dict[str, str]:
    """The sheet of eight_lists.xlsx holding list `name` of `n_rows` rows, for a note's ``{sheet}{cut}``.

    ``sheet`` is its title (the file is written in Chinese); ``cut`` is empty
    when the sheet shows every row, else says how many it shows
    (:func:`blockcheck.workbook.excel.sheet_rows_shown`: the rest is in the workbook only).
    """
    from blockcheck.workbook.excel import sheet_rows_shown, sheet_title

    shown = sheet_rows_shown(n_rows)
    return {"sheet": sheet_title(name), "cut": "" if shown == n_rows else text(lang, "sheet_cut", shown=shown)}


def shown_rows(table: ListTable, n: int) -> ListTable:
    """`table` with the `n` rows a summary shows: its highest-ranked rows when it ranks them, else its first rows.

    The rows keep the table's own order (a group column stays grouped); a table
    of at most `n` rows is returned as it is.
    """
    frame = table.frame
    if len(frame) <= n:
        return table
    if table.rank:
        return replace(table, frame=frame.iloc[sorted(table.rank[:n])].reset_index(drop=True))
    return replace(table, frame=frame.head(n))


def totals_text(table: ListTable, lang: str) -> str:
    """ "（按类型：交通出行12项、…）": rows per value of the table's totals column, largest first ('' without one)."""
    if table.totals_by < 0 or table.frame.empty:
        return ""
    column = table.frame.columns[table.totals_by]
    counts = table.frame[column].astype(str).value_counts(sort=True)
    sep = text(lang, "totals_sep")
    items = sep.join(
        text(lang, "totals_item", label=label or text(lang, "none"), n=int(n)) for label, n in counts.items()
    )
    return text(lang, "totals", by=column, items=items)


def _number(value: float) -> str:
    """A total as printed: whole numbers without decimals, others with two."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def sums_text(table: ListTable, lang: str) -> str:
    """ "，合计用地面积（公顷）123.45": the sum of each of the table's ``sums`` columns that has numbers ('' else)."""
    items = []
    for j in table.sums:
        column = table.frame.columns[j]
        values = pd.to_numeric(table.frame[column], errors="coerce")  # blank cells ("") are not numbers
        if values.notna().any():
            items.append(text(lang, "sum_item", label=column, value=_number(round(float(values.sum()), 2))))
    return text(lang, "sums", items=text(lang, "totals_sep").join(items)) if items else ""


def full_list_note(table: ListTable, shown: int, lang: str, *, appendix: str = "") -> str:
    """The sentence under a shortened table: the rows shown of how many, totals, sums and where every row is.

    Parameters
    ----------
    table
        The whole table (its totals and sums are of every row).
    shown
        Rows the report prints.
    lang
        ``zh`` or ``en``.
    appendix
        The appendix table printing every row (附表k / Appendix k); empty: every
        row is in the workbook layer and the Excel sheet only.
    """
    total = len(table.frame)
    if table.rank:
        first = text(lang, "top_rows", by=table.rank_by, n=shown, total=total)
    else:
        first = text(lang, "first_rows", n=shown, total=total)
    parts = {"first": first, "totals": totals_text(table, lang), "sums": sums_text(table, lang)}
    if appendix:
        return text(lang, "first_rows_in_appendix", appendix=appendix, **parts)
    name = table.layer or table.name
    return text(lang, "first_rows_in_workbook", layer=name, **sheet_of(name, total, lang), **parts)
