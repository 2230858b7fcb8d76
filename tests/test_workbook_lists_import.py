"""Lists longer than an Excel sheet holds, and text longer than a cell holds: written, read and imported safely.

The sheet's row limit (:data:`blockcheck.workbook.excel_write.EXCEL_MAX_ROWS`)
is set to 8 rows here, so a 12-row problem list shows its first 5 rows under
the title and a notice line; the files are real .xlsx files read back with
openpyxl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from openpyxl.packaging.custom import StringProperty

from blockcheck.errors import InputError
from blockcheck.io import write_gpkg
from blockcheck.lists.schema import conform, list_table
from blockcheck.workbook import excel_write
from blockcheck.workbook.excel import TRUNCATED_PROPERTY, read_eight_lists, write_eight_lists
from blockcheck.workbook.excel_layout import EXCEL_MAX_CHARS, cut_length
from blockcheck.workbook.lists_import import ImportPlan, import_lists

META = pd.DataFrame({"key": ["step"], "value": ["run"]})
LONG = [f"RL-idle_room-buildings-B{i:05d}" for i in range(12)]


def _problems(n: int = 12) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": [f"PB-{i:02d}" for i in range(1, n + 1)],
            "scope": ["ALL"] * n,
            "type": ["交通出行"] * n,
            "problem": [f"问题{i}" for i in range(1, n + 1)],
            "situation": [f"现状{i}" for i in range(1, n + 1)],
            "observed_value": [0.5 + i for i in range(n)],
            "unit": ["公顷"] * n,
            "provenance": ["generated"] * n,
        }
    )
    return conform(frame, list_table("problem_list"))


def _strategies() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "type": ["公服增补", "交通改善"],
            "code_point": ["【利用闲置】利用小区闲置用房补短板", "【舒经通络】完善区域路网"],
            "id": ["ST-1", "ST-2"],
            "block_id": ["CP02-0101", "CP02-0101"],
            "strategy_key": ["use_idle_rooms", "complete_network"],
            "problem_ids": ["PB-01", "PB-02,PB-03"],
            "resource_ids": [",".join(LONG), "RL-a"],
            "provenance": ["generated"] * 2,
        }
    )
    return conform(frame, list_table("strategy_list"))


@pytest.fixture
def small_sheets(monkeypatch: pytest.MonkeyPatch) -> int:
    """Sheets of 8 rows: title, notice, header and 5 rows of a list."""
    monkeypatch.setattr(excel_write, "EXCEL_MAX_ROWS", 8)
    return 8


def _books(tmp_path: Path, tables: dict[str, pd.DataFrame], lang: str = "zh") -> tuple[Path, Path]:
    workbook = write_gpkg(tmp_path / "workbook.gpkg", {**tables, "blockcheck_meta": META})
    return workbook, write_eight_lists(tmp_path / "eight_lists.xlsx", tables, lang=lang)


def test_a_list_longer_than_a_sheet_shows_its_first_rows_and_says_so(tmp_path: Path, small_sheets: int) -> None:
    _, xlsx = _books(tmp_path, {"problem_list": _problems(), "policy_list": _policies()})
    book = load_workbook(xlsx)
    sheet = book["图1 问题清单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == small_sheets == 3 + 5  # title, notice, header, the first 5 rows
    assert rows[0][0] == "图1 问题清单"
    notice = rows[1][0]
    assert "共 12 行" in notice and "仅显示前 5 行" in notice and "workbook.gpkg 图层 problem_list" in notice
    assert rows[2][:2] == ("编号", "范围（街区编码或ALL）")
    assert [r[0] for r in rows[3:]] == ["PB-01", "PB-02", "PB-03", "PB-04", "PB-05"]
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$1:$3"
    assert sheet.auto_filter.ref == "A3:Q8"
    assert book["图6 政策清单"].freeze_panes == "A3"  # a list that fits: no notice line
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert json.loads(props[TRUNCATED_PROPERTY]) == {"图1 问题清单": [12, 5]}
    english = load_workbook(write_eight_lists(tmp_path / "en.xlsx", {"problem_list": _problems()}, lang="en"))
    line = english["图1 Problem list"]["A2"].value
    assert "This list has 12 rows" in line and "the first 5 are shown" in line and "layer problem_list" in line


def _policies() -> pd.DataFrame:
    return conform(pd.DataFrame({"number": [1], "name": ["利用闲置用房补充公共服务设施"]}), list_table("policy_list"))


def test_reading_a_cut_sheet_says_which_rows_it_shows(tmp_path: Path, small_sheets: int) -> None:
    _, xlsx = _books(tmp_path, {"problem_list": _problems()})
    back = read_eight_lists(xlsx)
    pd.testing.assert_frame_equal(back["problem_list"], _problems().iloc[:5], check_dtype=False)
    assert back["_truncated"].to_dict("records") == [
        {"list": "problem_list", "sheet": "图1 问题清单", "rows": 12, "shown": 5}
    ]
    # the notice line alone is enough (a tool that drops document properties) ...
    book = load_workbook(xlsx)
    book.custom_doc_props.props = [p for p in book.custom_doc_props.props if p.name != TRUNCATED_PROPERTY]
    book.save(xlsx)
    assert read_eight_lists(xlsx)["_truncated"]["shown"].tolist() == [5]
    # ... and so is the property alone (the notice line deleted in Excel)
    book = load_workbook(xlsx)
    book["图1 问题清单"].delete_rows(2)
    book.custom_doc_props.append(StringProperty(name=TRUNCATED_PROPERTY, value='{"图1 问题清单": [12, 5]}'))
    book.save(xlsx)
    back = read_eight_lists(xlsx)
    assert back["_truncated"]["rows"].tolist() == [12] and len(back["problem_list"]) == 5


def test_import_of_a_cut_sheet_keeps_the_rows_not_shown(tmp_path: Path, small_sheets: int) -> None:
    workbook, xlsx = _books(tmp_path, {"problem_list": _problems()})
    book = load_workbook(xlsx)
    book["图1 问题清单"]["D4"] = "问题1（已核实）"  # row 4: the first row shown (problem column)
    book.save(xlsx)
    plans: list[ImportPlan] = []
    counts = import_lists(workbook, xlsx, announce=plans.append)
    assert counts["problem_list"] == 1
    assert plans[0].kept_missing["problem_list"] == 7 and plans[0].shown_only["problem_list"] == (12, 5)
    assert "7 not in the file kept (the sheet shows the first 5 of 12 rows)" in "\n".join(plans[0].lines())
    stored = pyogrio.read_dataframe(workbook, layer="problem_list")
    assert stored["id"].tolist() == _problems()["id"].tolist()  # all 12 rows, in order
    assert stored.set_index("id").loc["PB-01", "problem"] == "问题1（已核实）"


def test_delete_missing_is_refused_for_a_cut_sheet(tmp_path: Path, small_sheets: int) -> None:
    workbook, xlsx = _books(tmp_path, {"problem_list": _problems()})
    before = workbook.read_bytes()
    with pytest.raises(InputError, match=r"sheet '图1 问题清单' shows the first 5 of the 12 rows of problem_list.*"):
        import_lists(workbook, xlsx, delete_missing=True)
    with pytest.raises(InputError, match=r"--delete-missing was refused and nothing was changed"):
        import_lists(workbook, xlsx, delete_missing=True, dry_run=True)
    assert workbook.read_bytes() == before
    assert len(pyogrio.read_dataframe(workbook, layer="problem_list")) == 12


def test_a_full_link_sheet_leaves_the_ids_in_their_cells(tmp_path: Path, small_sheets: int) -> None:
    tables = {"strategy_list": _strategies()}
    workbook, xlsx = _books(tmp_path, tables)
    book = load_workbook(xlsx)
    assert "关联编号" not in book.sheetnames  # 12 links do not fit 6 rows: the ids stay in the cell
    cells = [r for r in book["图5 策略清单"].iter_rows(min_row=3, values_only=True) if r[2] == "ST-1"]
    assert ",".join(LONG) in cells[0]
    pd.testing.assert_frame_equal(read_eight_lists(xlsx)["strategy_list"], tables["strategy_list"], check_dtype=False)
    assert import_lists(workbook, xlsx)["strategy_list"] == 0


def test_a_text_longer_than_a_cell_is_cut_and_imported_back_whole(tmp_path: Path) -> None:
    problems = _problems(3)
    full = "很长的现状描述" * 5000 + "。"  # 35,001 characters
    problems.loc[1, "situation"] = full
    workbook, xlsx = _books(tmp_path, {"problem_list": problems})
    cell = load_workbook(xlsx)["图1 问题清单"]["E4"]
    assert len(cell.value) == EXCEL_MAX_CHARS and cell.value.startswith(full[:1000])
    kept, length = cut_length(cell.value)
    assert length == len(full) and full.startswith(kept) and "原文共 35001 字" in cell.value
    assert import_lists(workbook, xlsx)["problem_list"] == 0  # the cut is no edit
    stored = pyogrio.read_dataframe(workbook, layer="problem_list").set_index("id")
    assert stored.loc["PB-02", "situation"] == full
    before = workbook.read_bytes()
    for edit, problem in (
        (lambda v: "改" + v[1:], "the cell was cut at Excel's limit"),  # edited, the marker kept
        (lambda v: "改过的" + v, "the cell holds Excel's maximum of 32,767 characters"),  # cut again on saving
    ):
        book = load_workbook(xlsx)
        book["图1 问题清单"]["E4"] = edit(cell.value)
        book.save(xlsx)
        with pytest.raises(InputError, match=rf"PB-02, column 现状情况: {problem}.*Nothing was changed"):
            import_lists(workbook, xlsx)
        assert workbook.read_bytes() == before


def test_rows_written_in_chunks_and_widths_from_a_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _problems()
    problems.loc[9, "situation"] = "现状" * 10  # the widest cell (40 character cells), outside the first rows
    full = load_workbook(write_eight_lists(tmp_path / "full.xlsx", {"problem_list": problems}))["图1 问题清单"]
    monkeypatch.setattr(excel_write, "CHUNK_ROWS", 5)
    monkeypatch.setattr(excel_write, "WIDTH_SAMPLE_ROWS", 4)
    xlsx = write_eight_lists(tmp_path / "sampled.xlsx", {"problem_list": problems})
    sampled = load_workbook(xlsx)["图1 问题清单"]
    assert list(sampled.iter_rows(values_only=True)) == list(full.iter_rows(values_only=True))
    assert sampled.column_dimensions["E"].width == full.column_dimensions["E"].width == 40 + 2
    pd.testing.assert_frame_equal(read_eight_lists(xlsx)["problem_list"], problems, check_dtype=False)


def test_the_quick_reader_reads_what_openpyxl_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheets' XML read with expat gives openpyxl's values, also for a file saved by LibreOffice (shared
    strings instead of inline ones)."""
    import shutil
    import subprocess

    from blockcheck.workbook import excel

    tables = {"problem_list": _problems(), "strategy_list": _strategies(), "policy_list": _policies()}
    files = [write_eight_lists(tmp_path / "x.xlsx", tables)]
    soffice = shutil.which("soffice")
    if soffice is not None:
        subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(tmp_path / "calc"),
                str(files[0]),
            ],
            capture_output=True,
            timeout=180,
            check=True,
        )
        files.append(tmp_path / "calc" / "x.xlsx")
    for path in files:
        quick = read_eight_lists(path)
        with monkeypatch.context() as m:  # openpyxl's public reader instead
            m.setattr(excel, "_SheetXml", lambda *args: (_ for _ in ()).throw(AttributeError("no")))
            public = read_eight_lists(path)
        for name, frame in tables.items():
            pd.testing.assert_frame_equal(quick[name], public[name], obj=f"{path.name} {name}")
            pd.testing.assert_frame_equal(quick[name], frame, check_dtype=False, obj=f"{path.name} {name}")
        assert quick["_revision"].equals(public["_revision"]) and quick["_revision"]["revision"].iloc[0]


def test_the_unpacked_size_allowed_grows_with_the_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long list's file unpacks to more than the zip-bomb limit; what the workbook's rows explain is allowed."""
    import blockcheck.io as bio

    monkeypatch.setattr(bio, "MAX_UNPACKED_BYTES", 1_000)  # far less than any file
    workbook, xlsx = _books(tmp_path, {"problem_list": _problems()})
    assert import_lists(workbook, xlsx)["problem_list"] == 0  # 12 rows: up to 48 kB
    book = load_workbook(xlsx)
    book["图1 问题清单"]["E4"] = "长" * 30_000  # 90 kB more than the rows explain
    book.save(xlsx)
    with pytest.raises(InputError, match=r"unpacks to 0 MB, more than the 0 MB blockcheck reads"):
        import_lists(workbook, xlsx)
