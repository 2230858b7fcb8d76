"""eight_lists.xlsx layout: the title row (with the synthetic-data notice), the data-gap sheet, header detection on import.

Small hand-made tables (no pipeline run): a problem list, a policy list, a
project history and a data-gap list, written with :func:`write_eight_lists`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from blockcheck.errors import InputError
from blockcheck.excel import find_header_row, import_lists, read_eight_lists, sheet_heading, write_eight_lists
from blockcheck.io import write_gpkg
from blockcheck.lists.schema import conform, list_table

NOTICE_ZH, NOTICE_EN = "示例数据（虚构）", "synthetic sample data"


def _tables(*, synthetic: bool | None) -> dict[str, pd.DataFrame]:
    problems = pd.DataFrame({"id": ["PB-1", "PB-2"], "scope": ["ALL", "CP02-0101"], "type": ["交通出行", "公共服务设施"],
                             "problem": ["路网密度偏低", "养老床位不足"], "situation": ["路网密度6.6公里/平方公里", "缺口120张"],
                             "provenance": ["generated", "generated"]})
    policies = pd.DataFrame({"number": [1], "name": ["利用闲置用房补充公共服务设施"]})
    history = pd.DataFrame({"history_id": ["H-1"], "project_id": ["PJ-1"], "changed_at": ["2026-01-01"], "field": ["status"]})
    gaps = pd.DataFrame({"id": ["DG-ALL-parking", "DG-CP02-0101-facilities-beds"], "scope": ["ALL", "CP02-0101"],
                         "layer": ["parking", "facilities"], "item": ["parking", "beds"], "coverage": ["absent", "some"],
                         "effect": ["停车缺口无法判断", "医疗床位缺口无法判断"], "how_to_fix": ["补充停车场图层", "补充设施床位数"]})
    tables = {"problem_list": conform(problems, list_table("problem_list")), "policy_list": conform(policies, list_table("policy_list")),
              "project_history": conform(history, list_table("project_history")), "data_gaps": conform(gaps, list_table("data_gaps"))}
    if synthetic is not None:
        tables["blockcheck_meta"] = pd.DataFrame({"key": ["step", "synthetic"], "value": ["run", "true" if synthetic else "false"]})
    return tables


def test_every_sheet_of_a_synthetic_workbook_says_so(tmp_path: Path) -> None:
    path = write_eight_lists(tmp_path / "x.xlsx", _tables(synthetic=True))
    book = load_workbook(path)
    assert book.sheetnames == ["图1 问题清单", "图6 政策清单", "数据缺口清单", "项目变更记录"]
    for sheet in book.worksheets:
        assert NOTICE_ZH in sheet["A1"].value, sheet.title
        assert NOTICE_ZH in sheet.oddHeader.center.text, sheet.title
        assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$1:$2"
    assert book["图1 问题清单"]["A1"].value == "图1 问题清单 · 示例数据（虚构）"
    assert book["数据缺口清单"]["A1"].value == "数据缺口清单 · 示例数据（虚构） · 仅供查阅，导入时不读取"
    assert [c.value for c in book["图1 问题清单"][2]][:4] == ["编号", "范围（街区编码或ALL）", "类型", "问题"]
    assert [c.value for c in book["图1 问题清单"][3]][:2] == ["PB-1", "ALL"]
    assert book["图1 问题清单"].oddFooter.right.text == "第 &P 页"
    english = load_workbook(write_eight_lists(tmp_path / "en.xlsx", _tables(synthetic=True), lang="en"))
    for sheet in english.worksheets:
        assert NOTICE_EN in sheet["A1"].value and NOTICE_EN in sheet.oddHeader.center.text, sheet.title
        assert NOTICE_ZH not in sheet["A1"].value


@pytest.mark.parametrize("synthetic", [False, None])
def test_real_data_has_no_notice(tmp_path: Path, synthetic: bool | None) -> None:
    book = load_workbook(write_eight_lists(tmp_path / "x.xlsx", _tables(synthetic=synthetic)))
    for sheet in book.worksheets:
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not any(NOTICE_ZH in c for c in cells), sheet.title
        assert NOTICE_ZH not in sheet.oddHeader.center.text
    assert book["图1 问题清单"]["A1"].value == "图1 问题清单"


def test_title_row_workbook_round_trips_and_skips_the_data_gap_sheet(tmp_path: Path) -> None:
    tables = _tables(synthetic=True)
    back = read_eight_lists(write_eight_lists(tmp_path / "x.xlsx", tables))
    assert set(back) == {"problem_list", "policy_list", "project_history", "_notes"}  # data_gaps is never read
    for name in ("problem_list", "policy_list", "project_history"):
        pd.testing.assert_frame_equal(back[name], tables[name], check_dtype=False, obj=name)
    assert back["_notes"].empty


def test_header_row_is_found_below_any_rows_above_it(tmp_path: Path) -> None:
    problems = _tables(synthetic=None)["problem_list"].rename(columns=list_table("problem_list").labels("zh"))
    path = tmp_path / "edited.xlsx"
    with pd.ExcelWriter(path) as writer:  # a user's own title and a blank row above the header
        problems.to_excel(writer, sheet_name="图1 问题清单", index=False, startrow=3)
        writer.sheets["图1 问题清单"]["A1"] = "回天地区问题清单（第二稿）"
    back = read_eight_lists(path)
    assert back["problem_list"]["problem"].tolist() == ["路网密度偏低", "养老床位不足"]
    grid = pd.read_excel(path, header=None, dtype=object)
    assert find_header_row(grid, set(list_table("problem_list").labels("zh").values())) == 3


def test_sheet_without_header_row_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"甲": ["x"], "乙": ["y"]}).to_excel(writer, sheet_name="图1 问题清单", index=False)
    with pytest.raises(InputError, match=r"no header row .* put the header row back"):
        read_eight_lists(path)


def test_import_ignores_edits_to_the_data_gap_sheet(tmp_path: Path) -> None:
    tables = _tables(synthetic=True)
    workbook = write_gpkg(tmp_path / "workbook.gpkg", {"problem_list": tables["problem_list"], "data_gaps": tables["data_gaps"]})
    xlsx = write_eight_lists(tmp_path / "x.xlsx", tables)
    book = load_workbook(xlsx)
    book["图1 问题清单"]["D3"] = "路网密度偏低（已核实）"  # row 3: the first data row (problem column)
    book["数据缺口清单"]["C3"] = "edited"
    book.save(xlsx)
    counts = import_lists(workbook, xlsx, who="张工")
    assert counts["problem_list"] == 1
    problems = pyogrio.read_dataframe(workbook, layer="problem_list").set_index("id")
    assert problems.loc["PB-1", "problem"] == "路网密度偏低（已核实）" and problems.loc["PB-1", "provenance"] == "edited"
    gaps = pyogrio.read_dataframe(workbook, layer="data_gaps")
    pd.testing.assert_frame_equal(conform(gaps, list_table("data_gaps")), tables["data_gaps"], check_dtype=False)


def test_sheet_heading_of_each_kind() -> None:
    assert sheet_heading("project_list") == "图8 项目清单"
    assert sheet_heading("project_list", "en", synthetic=True) == "Fig. 8 Project list · synthetic sample data"
    assert sheet_heading("data_gaps", "en") == "Data-gap list · for reading only: not imported"
