"""The texts eight_lists.xlsx is made of: its rows' sheet XML and the CSV text its lists' revision digests.

Both are written in bulk for speed (issue 15); these tests hold them to what
they were written from before: the rows to the cells one by one
(:func:`blockcheck.workbook.excel_cells._cell_xml`), the revision's CSV text
to pandas' ``to_csv`` and the revision of a fixed table to the value the code
before the change gave (revisions are stored in users' Excel files).
"""

from __future__ import annotations

import pandas as pd
import pytest

from blockcheck.lists.schema import conform, list_table
from blockcheck.workbook import history
from blockcheck.workbook.excel import read_revision, write_eight_lists
from blockcheck.workbook.excel_cells import _cell_xml, _Quoted, column_part, rows_xml
from blockcheck.workbook.history import ListsDigest, csv_parts, lists_revision

TRICKY = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", " lead", "trail ", "", None, "中文，逗号", "x" * 3]


def _tables() -> dict[str, pd.DataFrame]:
    numbers = [0.1, 1e-7, 123456789.0, None, -2.5, 3, float("nan"), 1 / 3, 0.0, 7]
    problems = {
        "id": [f"PB-{i:02d}" for i in range(10, 0, -1)],  # not in key order
        "scope": ["ALL"] * 10,
        "type": ["交通出行"] * 10,
        "problem": [t or "-" for t in TRICKY],
        "situation": [t or "+" for t in TRICKY[::-1]],
        "problem_en": TRICKY,
        "standard_ref": TRICKY[::-1],
        "observed_value": numbers,
    }
    return {
        "problem_list": pd.DataFrame(problems),
        "policy_list": pd.DataFrame({"number": [2, 1], "name": ['p "1"', "p,2"]}),
    }


def test_the_revision_of_a_fixed_table_never_changes() -> None:
    tables = _tables()
    assert lists_revision(tables) == "b5f125c0ba4faca7"  # as the code before issue 15's Excel work gave it
    conformed = {name: conform(frame, list_table(name)) for name, frame in tables.items()}
    assert lists_revision(conformed, conformed=True) == "b5f125c0ba4faca7"


def test_the_revision_taken_list_by_list_is_the_same_and_in_order(tmp_path) -> None:
    tables = _tables()
    digest = ListsDigest()
    digest.add("problem_list", tables["problem_list"])
    digest.add("policy_list", conform(tables["policy_list"], list_table("policy_list")), conformed=True)
    assert digest.revision() == "b5f125c0ba4faca7"
    with pytest.raises(ValueError, match="order of EIGHT_LISTS"):
        digest.add("problem_list", tables["problem_list"])  # before the policy list added already
    with pytest.raises(ValueError, match="order of EIGHT_LISTS"):
        ListsDigest().add("project_history", tables["policy_list"])  # not one of the eight lists
    # the Excel writer digests each list once its sheet is written: the file says the same revision
    assert read_revision(write_eight_lists(tmp_path / "lists.xlsx", tables)) == "b5f125c0ba4faca7"


@pytest.mark.parametrize("part_rows", [3, 100_000])
@pytest.mark.parametrize("n_rows", [0, 1, 10])
def test_the_revision_text_is_what_pandas_to_csv_writes(
    monkeypatch: pytest.MonkeyPatch, part_rows: int, n_rows: int
) -> None:
    monkeypatch.setattr(history, "_DIGEST_ROWS", part_rows)
    texts = {"a": TRICKY, "b": [(t or "") + "," for t in TRICKY[::-1]], "c": ["", *TRICKY[1:]]}
    frame = pd.DataFrame({k: [v if v is not None else "" for v in column][:n_rows] for k, column in texts.items()})
    expected = frame.to_csv(index=False, lineterminator="\n")
    written = "".join(csv_parts([frame[c].tolist() for c in frame.columns], list(frame.columns)))
    assert written == expected
    one = frame[["c"]]  # a row of one empty field is written quoted
    assert "".join(csv_parts([one["c"].tolist()], ["c"])) == one.to_csv(index=False, lineterminator="\n")


def _one_by_one(rows: list[str], columns: list[tuple[str, list, str | list[str]]]) -> str:
    """The rows as the cells one by one give them."""
    out = []
    for i, r in enumerate(rows):
        cells = []
        for letter, values, styles in columns:
            style = styles[i] if isinstance(styles, list) else styles
            cells.append(_cell_xml(f"{letter}{r}", values[i], style, ' s="9"'))
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out)


def test_rows_in_bulk_are_the_cells_one_by_one() -> None:
    rows = ["7", "8", "9", "10"]
    columns = [
        ("A", ["a", "b", "c", "d"], ""),  # plain text, every cell: part of the row template
        ("B", ["a", None, "", "d"], ""),  # plain text with empty cells
        ("C", ["x < y & z", "{0} {1}", "e", "f"], ""),  # escaped, and braces are no template fields
        ("D", [" edge", "=SUM(A1)", "g", None], ""),  # cell by cell
        ("E", [1, 2.5, 1e-7, 123456789.0], ' s="3"'),  # numbers, every cell
        ("F", [1, None, 2.5, None], ' s="3"'),  # numbers with empty cells
        ("G", [1.5, None, 2, float("inf")], ' s="4"'),  # cell by cell
        ("H", [1.5, 2, 3, 4], [' s="3"', "", ' s="4"', ' s="3"']),  # a style per row
        ("I", [None, None, None, None], ""),  # empty
    ]
    parts = [column_part(letter, rows, v, styles, quoted=' s="9"', lang="zh") for letter, v, styles in columns]
    expected_columns = [(letter, list(values), styles) for letter, values, styles in columns]
    expected_columns[3][1][1] = _Quoted("=SUM(A1)")  # formula-like text: written with the quote prefix
    assert rows_xml(rows, parts) == _one_by_one(rows, expected_columns)
    assert [len(part) for part in parts] == [5, 1, 5, 1, 5, 1, 1, 1, 1]  # columns without empty cells: interleaved
