"""The project history (项目入库—动态调整—滚动实施) and the lists' revision.

``project_history`` only ever grows: every run, import and QGIS edit that
creates, removes or changes a project adds entries. :func:`lists_revision` is
the digest an Excel export carries, so a stale file is never imported.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.lists.ids import history_ids
from blockcheck.lists.schema import EIGHT_LISTS, conform, list_table

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "HISTORY_LAYER",
    "ListsDigest",
    "csv_parts",
    "history_rows",
    "lists_revision",
    "record_project_changes",
    "value_text",
]

HISTORY_LAYER = "project_history"

#: The reason of a project's first history entry: it enters the life cycle (``registered (入库)``).
_REGISTERED = f"registered ({vocabulary.label('project_status', 'registered')})"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def history_rows(changes: list[dict], previous: pd.DataFrame | None) -> pd.DataFrame:
    """Append `changes` (project_id, field, from_value, to_value, changed_by, reason) to the history.

    The previous history is kept as it is; new entries get the next ids.
    """
    table = list_table(HISTORY_LAYER)
    base = (
        conform(previous, table)
        if previous is not None and not previous.empty
        else conform(pd.DataFrame(columns=table.columns), table)
    )
    if not changes:
        return base
    start = len(base) + 1
    when = _now()
    new = pd.DataFrame(changes)
    new["history_id"] = history_ids(start, len(new))
    new["changed_at"] = new.get("changed_at", pd.Series(when, index=new.index)).fillna(when)
    return pd.concat([base, conform(new, table)], ignore_index=True)


def record_project_changes(
    new: pd.DataFrame,
    old: pd.DataFrame | None,
    *,
    who: str,
    reason: str,
    fields: tuple[str, ...] | None = None,
) -> list[dict]:
    """History entries for projects created, removed or changed between `old` and `new`."""
    key = "project_id"
    fields = fields or tuple(c for c in list_table("project_list").columns if c not in (key, "number", "provenance"))
    new_i = new.set_index(key)
    new_status = dict(zip(new_i.index, new_i["status"], strict=True))  # read once, not with .at per project
    if old is None or old.empty:
        return [
            {
                "project_id": pid,
                "field": "status",
                "from_value": "",
                "to_value": str(new_status[pid]),
                "changed_by": who,
                "reason": reason or _REGISTERED,
            }
            for pid in new_i.index
        ]
    old_i = old.set_index(key)
    old_status = dict(zip(old_i.index, old_i["status"], strict=True))
    changes = []
    for pid in new_i.index.difference(old_i.index):
        changes.append(
            {
                "project_id": pid,
                "field": "status",
                "from_value": "",
                "to_value": str(new_status[pid]),
                "changed_by": who,
                "reason": reason or _REGISTERED,
            }
        )
    for pid in old_i.index.difference(new_i.index):
        changes.append(
            {
                "project_id": pid,
                "field": "status",
                "from_value": str(old_status[pid]),
                "to_value": "removed",
                "changed_by": who,
                "reason": reason or "no longer generated",
            }
        )
    common = new_i.index.intersection(old_i.index)
    for column in fields:
        if column not in new_i or column not in old_i:
            continue
        a = old_i.loc[common, column].astype(object).where(old_i.loc[common, column].notna(), None).map(value_text)
        b = new_i.loc[common, column].astype(object).where(new_i.loc[common, column].notna(), None).map(value_text)
        for pid in common[(a != b).to_numpy()]:
            changes.append(
                {
                    "project_id": pid,
                    "field": column,
                    "from_value": a[pid],
                    "to_value": b[pid],
                    "changed_by": who,
                    "reason": reason,
                }
            )
    return changes


#: Rows of a list turned into text at a time by :func:`lists_revision` (the digest does not depend on it).
_DIGEST_ROWS = 100_000


def lists_revision(tables: dict[str, pd.DataFrame], *, conformed: bool = False) -> str:
    """A digest of the eight lists' contents (attributes, rows in key order): what an Excel export was made from.

    ``eight_lists.xlsx`` carries the revision of the lists it shows; an import
    compares it with the workbook's lists now, so a stale file never undoes
    newer edits (from QGIS or another import).

    Parameters
    ----------
    tables
        Tables by name; the eight lists among them are digested.
    conformed
        True when the lists are conformed to their schema already
        (:func:`blockcheck.lists.schema.conform`, without geometry), as the
        Excel writer has them: they are not conformed again.

    Returns
    -------
    str
        16 hexadecimal digits of a SHA-256 over each list's name and its rows
        as CSV text (values as :func:`value_text` gives them, header first,
        ``\\n`` line ends, quoted where needed: what pandas' ``to_csv`` writes).
        :class:`ListsDigest` gives the same digest list by list.
    """
    digest = ListsDigest()
    for name in EIGHT_LISTS:
        frame = tables.get(name)
        if frame is not None:
            digest.add(name, frame, conformed=conformed)
    return digest.revision()


class ListsDigest:
    """:func:`lists_revision` taken list by list, as a writer has the lists (in the order of ``EIGHT_LISTS``).

    The Excel writer adds each list once its sheet is written: the digest of
    the long lists of steps 1–2 is made while the writer waits for step 3,
    not at the end of the run.
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._next = 0  # position in EIGHT_LISTS a list may have from now on

    def add(self, name: str, frame: pd.DataFrame, *, conformed: bool = False) -> None:
        """Digest list `name` (`conformed` as :func:`lists_revision` says).

        Raises
        ------
        ValueError
            `name` is not one of the eight lists, or comes before a list added already.
        """
        position = EIGHT_LISTS.index(name) if name in EIGHT_LISTS else -1
        if position < self._next:
            msg = f"{name} is not one of the eight lists or comes too late: add them in the order of EIGHT_LISTS"
            raise ValueError(msg)
        self._next = position + 1
        table = list_table(name)
        rows = frame if conformed else conform(pd.DataFrame(frame).drop(columns="geometry", errors="ignore"), table)
        rows = rows.sort_values(table.key, kind="stable")
        self._digest.update(name.encode("utf-8"))
        for part in csv_parts([_column_text(rows[column]) for column in rows.columns], list(rows.columns)):
            self._digest.update(part.encode("utf-8"))

    def revision(self) -> str:
        """The 16 hexadecimal digits of :func:`lists_revision` over the lists added."""
        return self._digest.hexdigest()[:16]


#: Characters the csv module quotes a field for, in every Python version (the delimiter, the quote, the line end),
#: and those it treats differently by version (a part with any of them is written by the csv module itself).
_QUOTED_FOR = (",", '"', "\n")
_CSV_MODULE_ONLY = ("\r", "\x00")


def csv_parts(columns: list[list[str]], header: list[str]) -> Iterator[str]:
    """The CSV text of a table of texts, `header` first, in parts of :data:`_DIGEST_ROWS` rows.

    The text pandas' ``DataFrame.to_csv(index=False, lineterminator="\\n")``
    writes (pandas writes with Python's csv module and these settings: ``,``,
    fields with ``,``, ``"`` or a line end quoted, ``"`` doubled inside
    quotes), without making a DataFrame of the texts: a part of two or more
    columns without carriage returns or NUL characters is joined at C speed
    (its fields quoted as the csv module quotes them), any other is written
    by the csv module.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    yield buffer.getvalue()
    n_rows = len(columns[0]) if columns else 0
    for start in range(0, n_rows, _DIGEST_ROWS):  # in parts: never the whole list as one text
        part = [c[start : start + _DIGEST_ROWS] for c in columns]
        joined = ["".join(c) for c in part]
        if len(part) < 2 or any(x in text for text in joined for x in _CSV_MODULE_ONLY):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(zip(*part, strict=True))
            yield buffer.getvalue()
            continue
        fields = [
            [_quoted(v) for v in column] if any(x in text for x in _QUOTED_FOR) else column
            for column, text in zip(part, joined, strict=True)
        ]
        yield "\n".join(map(",".join, zip(*fields, strict=True))) + "\n"


def _quoted(text: str) -> str:
    """A field as the csv module writes it (its quoting rules for ``,``, ``"`` and a line end)."""
    if "," in text or '"' in text or "\n" in text:  # _QUOTED_FOR
        return '"' + text.replace('"', '""') + '"'
    return text


def _column_text(values: pd.Series) -> list[str]:
    """:func:`value_text` of every value of a column, a whole column at a time where its type allows."""
    kind = values.dtype.kind
    if kind in "fiu" or (kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in ("floating", "integer")):
        text = [f"{v:.6g}" for v in values.to_numpy(dtype="float64", na_value=np.nan).tolist()]
    elif kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = values.tolist()
    else:
        return values.astype(object).where(values.notna(), None).map(value_text).tolist()
    for i in np.flatnonzero(values.isna().to_numpy()).tolist():
        text[i] = ""
    return text


def value_text(value: object) -> str:
    """A value as compared between versions (numbers to 6 significant digits)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return f"{float(value):.6g}"
    return str(value)
