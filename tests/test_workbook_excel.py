"""eight_lists.xlsx layout: the title row (with the synthetic-data notice), the data-gap sheet, header detection
on import.

Small hand-made tables (no pipeline run): a problem list, a policy list, a
project history and a data-gap list, written with :func:`write_eight_lists`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from blockcheck.errors import InputError
from blockcheck.io import write_gpkg
from blockcheck.lists.schema import conform, list_table
from blockcheck.workbook.excel import find_header_row, read_eight_lists, sheet_heading, write_eight_lists
from blockcheck.workbook.lists_import import import_lists

NOTICE_ZH, NOTICE_EN = "示例数据（虚构）", "synthetic sample data"


def _tables(*, synthetic: bool | None) -> dict[str, pd.DataFrame]:
    problems = pd.DataFrame(
        {
            "id": ["PB-1", "PB-2"],
            "scope": ["ALL", "CP02-0101"],
            "type": ["交通出行", "公共服务设施"],
            "problem": ["路网密度偏低", "养老床位不足"],
            "situation": ["路网密度6.6公里/平方公里", "缺口120张"],
            "provenance": ["generated", "generated"],
        }
    )
    policies = pd.DataFrame({"number": [1], "name": ["利用闲置用房补充公共服务设施"]})
    history = pd.DataFrame(
        {"history_id": ["H-1"], "project_id": ["PJ-1"], "changed_at": ["2026-01-01"], "field": ["status"]}
    )
    gaps = pd.DataFrame(
        {
            "id": ["DG-ALL-parking", "DG-CP02-0101-facilities-beds"],
            "scope": ["ALL", "CP02-0101"],
            "layer": ["parking", "facilities"],
            "item": ["parking", "beds"],
            "coverage": ["absent", "some"],
            "effect": ["停车缺口无法判断", "医疗床位缺口无法判断"],
            "how_to_fix": ["补充停车场图层", "补充设施床位数"],
        }
    )
    tables = {
        "problem_list": conform(problems, list_table("problem_list")),
        "policy_list": conform(policies, list_table("policy_list")),
        "project_history": conform(history, list_table("project_history")),
        "data_gaps": conform(gaps, list_table("data_gaps")),
    }
    if synthetic is not None:
        tables["blockcheck_meta"] = pd.DataFrame(
            {"key": ["step", "synthetic"], "value": ["run", "true" if synthetic else "false"]}
        )
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
    assert set(back) == {
        "problem_list",
        "policy_list",
        "project_history",
        "_notes",
        "_revision",
    }  # data_gaps is never read
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
    workbook = write_gpkg(tmp_path / "workbook.gpkg", tables)  # the workbook the file was written from
    xlsx = write_eight_lists(tmp_path / "x.xlsx", tables)
    book = load_workbook(xlsx)
    book["图1 问题清单"]["D3"] = "路网密度偏低（已核实）"  # row 3: the first data row (problem column)
    book["数据缺口清单"]["C3"] = "edited"
    book.save(xlsx)
    counts = import_lists(workbook, xlsx, who="张工")
    assert counts["problem_list"] == 1
    problems = pyogrio.read_dataframe(workbook, layer="problem_list").set_index("id")
    assert (
        problems.loc["PB-1", "problem"] == "路网密度偏低（已核实）" and problems.loc["PB-1", "provenance"] == "edited"
    )
    gaps = pyogrio.read_dataframe(workbook, layer="data_gaps")
    pd.testing.assert_frame_equal(conform(gaps, list_table("data_gaps")), tables["data_gaps"], check_dtype=False)


def test_sheet_heading_of_each_kind() -> None:
    assert sheet_heading("project_list") == "图8 项目清单"
    assert sheet_heading("project_list", "en", synthetic=True) == "Fig. 8 Project list · synthetic sample data"
    assert sheet_heading("data_gaps", "en") == "Data-gap list · for reading only: not imported"


# ---------------------------------------------------------------- hearing and editing layout (issue 12, point 6)

Books = tuple[Path, Path, dict[str, pd.DataFrame]]  # workbook.gpkg, eight_lists.xlsx, the tables in both
LONG = [f"RL-idle_room-buildings-B{i:05d}" for i in range(12)]  # 12 ids, far longer than 100 characters


def _lists() -> dict[str, pd.DataFrame]:
    """A problem, resource, demand, strategy and project list with units, codes, long id lists and formula-like text."""
    problems = pd.DataFrame(
        {
            "id": ["PB-1", "PB-2", "PB-3", "PB-4"],
            "scope": ["ALL", "CP02-0101", "CP02-0101", "ALL"],
            "type": ["交通出行", "公共服务设施", "交通出行", "公共服务设施"],
            "problem": [
                '=HYPERLINK("http://example.com","点击")',
                "基础教育用地不足",
                "+1 公交首末站缺乏",
                "@养老床位不足",
            ],
            "situation": ["道路实施率79.6%", "缺口1.25公顷", "缺口0.42处", "缺口120张"],
            "observed_value": [0.7956831941, 1.254321, 0.42158, 120.0],
            "threshold_value": [1.0, 0.0, 0.0, 0.0],
            "unit": ["ratio", "公顷", "处", "张"],
            "severity": [0.2043168, 0.5, 0.7, 0.3],
            "data_status": ["measured", "estimated", "measured", "measured"],
            "provenance": ["generated"] * 4,
        }
    )
    resources = pd.DataFrame(
        {
            "resource_id": ["RL-a", "RL-b"],
            "block_id": ["CP02-0101", "CP02-0102"],
            "family": ["land", "building"],
            "category": ["idle_site", "idle_room"],
            "subtype": ["corner", "boiler_room"],
            "land_area_m2": [2873.958, 120.4],
            "floor_area_m2": [0.0, 240.6],
            "source_layer": ["parcels", "buildings"],
            "source_id": ["P1", "B1"],
            "reason": ["边角地", "废弃锅炉房"],
            "status": ["candidate", "confirmed"],
        }
    )
    demands = pd.DataFrame(
        {
            "subdistrict": ["回龙观街道", "回龙观街道", "回龙观街道", "回龙观街道", "天通苑北街道"],
            "community": ["甲社区", "甲社区", "甲社区", "乙社区", "丙社区"],
            "category_zh": ["公共服务设施", "公共服务设施", "交通停车问题", "公共空间", "市政公用设施"],
            "need_zh": ["养老", "文化活动室", "停车位不足", "绿地维护", "排水"],
            "id": [f"DM-{i}" for i in range(5)],
            "category": ["public_service", "public_service", "traffic_parking", "public_space", "municipal"],
            "need_code": ["elderly_care", "culture_room", "parking_shortage", "green_maintenance", "drainage"],
        }
    )
    strategies = pd.DataFrame(
        {
            "type": ["公服增补", "交通改善"],
            "code_point": ["【利用闲置】利用小区闲置用房补短板", "【舒经通络】完善区域路网，打通断头路"],
            "id": ["ST-1", "ST-2"],
            "block_id": ["CP02-0101", "CP02-0101"],
            "strategy_key": ["use_idle_rooms", "complete_network"],
            "problem_ids": ["PB-2", "PB-1,PB-3"],
            "resource_ids": [",".join(LONG), "RL-a"],
            "provenance": ["generated"] * 2,
        }
    )
    projects = pd.DataFrame(
        {
            "number": [1, 2],
            "domain": ["交通基础设施", "养老"],
            "name": ["龙锦东路建设", "养老设施补充"],
            "project_id": ["PJ-1", "PJ-2"],
            "block_id": ["CP02-0101", "CP02-0101"],
            "priority_score": [80.0, 62.5],
            "year": [2028, 2027],
            "status": ["registered", "implementing"],
            "amount": [0.5993307288970178, 41.0],
            "amount_unit": ["road_km", "elderly_care_beds"],
            "strategy_ids": ["ST-2", "ST-1"],
            "resource_ids": [None, ",".join(LONG)],
            "provenance": ["generated"] * 2,
        }
    )
    raw = {
        "problem_list": problems,
        "resource_list": resources,
        "demand_list": demands,
        "strategy_list": strategies,
        "project_list": projects,
    }
    return {name: conform(frame, list_table(name)) for name, frame in raw.items()}


def _column(sheet: Worksheet, header: str) -> str:
    """Letter of the column whose header (row 2) is `header`."""
    return next(c.column_letter for c in sheet[2] if c.value == header)


def _cell(sheet: Worksheet, header: str, key: str) -> Cell:
    """The cell of column `header` in the first data row holding `key`."""
    letter = _column(sheet, header)
    for row in sheet.iter_rows(min_row=3):
        if key in [c.value for c in row]:
            return sheet[f"{letter}{row[0].row}"]
    raise KeyError(key)


@pytest.fixture
def lists_workbook(tmp_path: Path) -> Books:
    tables = _lists()
    workbook = write_gpkg(
        tmp_path / "workbook.gpkg", {**tables, "blockcheck_meta": pd.DataFrame({"key": ["step"], "value": ["run"]})}
    )
    return workbook, write_eight_lists(tmp_path / "eight_lists.xlsx", tables), tables


def test_numbers_are_formatted_by_unit(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    problems, resources, projects = book["图1 问题清单"], book["图2 资源清单"], book["图8 项目清单"]
    assert _cell(problems, "现状值", "PB-1").number_format == "0.0%"  # a ratio
    assert _cell(problems, "阈值", "PB-1").number_format == "0.0%"
    assert _cell(problems, "现状值", "PB-2").number_format == "#,##0.00"  # hectares
    assert _cell(problems, "现状值", "PB-3").number_format == "0.00"  # 0.42 facilities: not shown as 0
    assert _cell(problems, "现状值", "PB-4").number_format == "#,##0"  # beds
    assert _cell(problems, "严重程度（相对缺口）", "PB-1").number_format == "0.0%"
    assert _cell(resources, "用地（占地）面积", "RL-a").number_format == "#,##0"  # m²
    km = _cell(projects, "建设规模", "PJ-1")
    assert km.number_format == "#,##0.00" and km.value == pytest.approx(
        0.5993307288970178
    )  # value kept, 2 decimals shown
    assert _cell(projects, "建设规模", "PJ-2").number_format == "#,##0"  # beds
    assert _cell(projects, "优先级得分", "PJ-2").number_format == "0.0"
    assert _cell(projects, "计划年份", "PJ-2").number_format == "General"  # a year is no amount: no thousands separator


def test_header_row_is_frozen_filtered_and_columns_sized(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A3", sheet.title  # rows 1–2 (title, header) stay in view
        assert sheet.auto_filter.ref == f"A2:{sheet.cell(2, sheet.max_column).column_letter}{sheet.max_row}", (
            sheet.title
        )
    problems = book["图1 问题清单"]
    assert problems.auto_filter.ref == "A2:Q6"  # 17 columns, header + 4 rows
    widths = {k: v.width for k, v in problems.column_dimensions.items()}
    assert widths[_column(problems, "编号")] == 6  # the narrowest: "PB-1" and 编号 are short
    assert widths[_column(problems, "现状情况")] == 17  # "道路实施率79.6%": a Chinese character counts twice, + 2
    assert min(widths.values()) >= 6 and max(widths.values()) <= 60


def test_codes_show_their_chinese_label(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    resources, projects = book["图2 资源清单"], book["图8 项目清单"]
    assert _cell(resources, "资源类别", "RL-a").value == "闲置场地 (idle_site)"
    assert _cell(resources, "核实状态", "RL-b").value == "已确认 (confirmed)"
    assert _cell(projects, "项目状态", "PJ-2").value == "滚动实施 (implementing)"
    assert _cell(projects, "规模单位", "PJ-1").value == "道路长度（公里） (road_km)"
    assert _cell(book["图1 问题清单"], "数据状态（实测/估算）", "PB-2").value == "估算 (estimated)"
    assert _cell(book["图5 策略清单"], "来源（生成/编辑/新增）", "ST-1").value == "生成 (generated)"
    english = load_workbook(write_eight_lists(xlsx.with_name("en.xlsx"), _lists(), lang="en"))
    assert _cell(english["图8 Project list"], "Status", "PJ-2").value == "implementing"  # English: the code alone


def test_unchanged_workbook_imports_without_edits(lists_workbook: Books) -> None:
    workbook, xlsx, tables = lists_workbook
    back = read_eight_lists(xlsx)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(back[name], frame, check_dtype=False, obj=name)
    assert import_lists(workbook, xlsx) == dict.fromkeys(tables, 0)


def test_chinese_status_is_accepted_on_import(lists_workbook: Books) -> None:
    workbook, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    projects, resources = book["图8 项目清单"], book["图2 资源清单"]
    _cell(projects, "项目状态", "PJ-1").value = "动态调整"  # the label alone
    _cell(projects, "项目状态", "PJ-2").value = "已完成（done）"  # label and code, full-width brackets
    _cell(resources, "核实状态", "RL-a").value = "rejected"  # the code alone
    book.save(xlsx)
    counts = import_lists(workbook, xlsx, who="张工", reason="听证会意见")
    assert counts["project_list"] == 2 and counts["resource_list"] == 1 and counts["problem_list"] == 0
    stored = pyogrio.read_dataframe(workbook, layer="project_list").set_index("project_id")
    assert stored["status"].to_dict() == {"PJ-1": "adjusted", "PJ-2": "done"}
    assert (
        pyogrio.read_dataframe(workbook, layer="resource_list").set_index("resource_id").loc["RL-a", "status"]
        == "rejected"
    )
    history = pyogrio.read_dataframe(workbook, layer="project_history")
    assert sorted(history.loc[history["field"] == "status", "to_value"]) == ["adjusted", "done"]


def test_unknown_status_names_the_cell_and_the_allowed_values(lists_workbook: Books) -> None:
    workbook, xlsx, _ = lists_workbook
    before = workbook.read_bytes()
    book = load_workbook(xlsx)
    projects = book["图8 项目清单"]
    cell = _cell(projects, "项目状态", "PJ-2")
    cell.value = "在建"
    _cell(projects, "建设规模", "PJ-1").value = "约0.6"
    book.save(xlsx)
    with pytest.raises(InputError) as err:
        import_lists(workbook, xlsx)
    message = str(err.value)
    assert (
        f"sheet '图8 项目清单', column {cell.column_letter} (项目状态): values not allowed: row {cell.row} '在建'"
        in message
    )
    assert "Allowed: 入库 (registered), 动态调整 (adjusted), 滚动实施 (implementing), 已完成 (done)" in message
    assert f"column {_column(projects, '建设规模')} (建设规模): not a number: row 3 '约0.6'" in message
    assert workbook.read_bytes() == before  # nothing changed


def test_label_and_code_that_disagree_are_rejected(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    _cell(book["图8 项目清单"], "项目状态", "PJ-1").value = "动态调整 (registered)"
    book.save(xlsx)
    with pytest.raises(InputError, match=r"values not allowed: row 3 '动态调整 \(registered\)'"):
        read_eight_lists(xlsx)


def test_formula_like_text_stays_text(lists_workbook: Books) -> None:
    workbook, xlsx, tables = lists_workbook
    problems = load_workbook(xlsx)["图1 问题清单"]
    for key, text in (
        ("PB-1", '=HYPERLINK("http://example.com","点击")'),
        ("PB-3", "+1 公交首末站缺乏"),
        ("PB-4", "@养老床位不足"),
    ):
        cell = _cell(problems, "问题", key)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True), key
    assert _cell(problems, "问题", "PB-2").quotePrefix is False  # ordinary text: no prefix
    back = read_eight_lists(xlsx)["problem_list"].set_index("id")
    assert back.loc["PB-1", "problem"] == '=HYPERLINK("http://example.com","点击")'
    # a tool that wrote the text with a leading apostrophe instead: it is taken off on import
    book = load_workbook(xlsx)
    _cell(book["图1 问题清单"], "问题", "PB-4").value = "'@养老床位不足"
    book.save(xlsx)
    assert import_lists(workbook, xlsx)["problem_list"] == 0  # the same text as before: no edit
    stored = pyogrio.read_dataframe(workbook, layer="problem_list").set_index("id")
    assert (
        stored.loc["PB-4", "problem"]
        == tables["problem_list"].set_index("id").loc["PB-4", "problem"]
        == "@养老床位不足"
    )


def test_long_id_lists_go_to_the_link_sheet(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    assert book.sheetnames[-1] == "关联编号"
    strategies, projects, links = book["图5 策略清单"], book["图8 项目清单"], book["关联编号"]
    assert _cell(strategies, "关联资源", "ST-1").value == "12项，见关联编号表"
    assert _cell(strategies, "关联资源", "ST-2").value == "RL-a"  # short lists stay in the cell
    assert _cell(strategies, "关联问题", "ST-2").value == "PB-1,PB-3"
    assert _cell(projects, "关联资源", "PJ-2").value == "12项，见关联编号表"
    rows = list(links.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("清单", "行编号", "字段", "关联编号")
    assert rows[1:13] == [("图5 策略清单", "ST-1", "关联资源", x) for x in LONG]
    assert rows[13:] == [("图8 项目清单", "PJ-2", "关联资源", x) for x in LONG]
    assert links.auto_filter.ref == "A2:D26"


def test_link_sheet_edits_and_typed_ids_are_imported(lists_workbook: Books) -> None:
    workbook, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    links = book["关联编号"]
    links.delete_rows(3)  # ST-1 loses its first resource
    _cell(book["图8 项目清单"], "关联资源", "PJ-2").value = "RL-a,RL-b"  # the summary replaced by real ids
    book.save(xlsx)
    counts = import_lists(workbook, xlsx)
    assert counts["strategy_list"] == 1 and counts["project_list"] == 1
    strategies = pyogrio.read_dataframe(workbook, layer="strategy_list").set_index("id")
    assert (
        strategies.loc["ST-1", "resource_ids"] == ",".join(LONG[1:])
        and strategies.loc["ST-1", "provenance"] == "edited"
    )
    assert strategies.loc["ST-2", "provenance"] == "generated"
    assert (
        pyogrio.read_dataframe(workbook, layer="project_list").set_index("project_id").loc["PJ-2", "resource_ids"]
        == "RL-a,RL-b"
    )


def test_summary_without_its_link_rows_is_an_error(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    del book["关联编号"]
    book.save(xlsx)
    with pytest.raises(InputError) as err:
        read_eight_lists(xlsx)
    strategies = book["图5 策略清单"]
    cell = _cell(strategies, "关联资源", "ST-1")
    assert (
        f"sheet '图5 策略清单', column {cell.column_letter} (关联资源): row {cell.row} "
        "'12项，见关联编号表' show a summary "
        "but the link sheet '关联编号' has no ids for them"
    ) in str(err.value)


def test_demand_list_by_community_sheet(lists_workbook: Books) -> None:
    _, xlsx, _ = lists_workbook
    book = load_workbook(xlsx)
    assert book.sheetnames[:4] == ["图1 问题清单", "图2 资源清单", "图3 需求清单", "图3 需求清单（按社区）"]
    rows = list(book["图3 需求清单（按社区）"].iter_rows(values_only=True))
    assert rows[0] == ("图3 需求清单（按社区） · 仅供查阅，导入时不读取", None, None, None, None, None)
    assert rows[1:] == [
        ("街道", "社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题"),
        ("回龙观街道", "甲社区", "养老、文化活动室", "--", "--", "停车位不足"),
        ("回龙观街道", "乙社区", "--", "绿地维护", "--", "--"),
        ("天通苑北街道", "丙社区", "--", "--", "排水", "--"),
    ]
    assert "图3 需求清单（按社区）" not in str(read_eight_lists(xlsx)["_notes"])  # the layout sheet is not read


def test_value_labels_come_from_the_list_schema() -> None:
    from blockcheck.lists.schema import value_labels
    from blockcheck.workbook.excel_layout import read_code

    assert value_labels("project_list", "status") == {
        "registered": "入库",
        "adjusted": "动态调整",
        "implementing": "滚动实施",
        "done": "已完成",
    }
    assert value_labels("task_list", "provenance") == {
        "generated": "生成",
        "edited": "编辑",
        "added": "新增",
    }  # the "*" section
    assert value_labels("data_gaps", "coverage")["some"] == "部分缺失"
    assert value_labels("project_list", "status", "en") == {}
    labels = value_labels("project_list", "status")
    codes = next(f.values for f in list_table("project_list").fields if f.name == "status")
    assert [
        read_code(t, codes, labels)
        for t in ("adjusted", "动态调整", "动态调整 (adjusted)", " (adjusted)", "动态调整（adjusted）")
    ] == ["adjusted"] * 5
    assert read_code("在建", codes, labels) is None and read_code("入库 (done)", codes, labels) is None


def test_english_workbook_round_trips(lists_workbook: Books) -> None:
    workbook, xlsx, tables = lists_workbook
    english = write_eight_lists(xlsx.with_name("en.xlsx"), tables, lang="en")
    book = load_workbook(english)
    assert _cell(book["图5 Strategy list"], "Resources", "ST-1").value == "12 IDs, see sheet Links"
    assert book.sheetnames[3] == "Fig. 3 Demand list by community"
    assert list(book["Links"].iter_rows(min_row=3, max_row=3, values_only=True)) == [
        ("图5 Strategy list", "ST-1", "Resources", LONG[0])
    ]
    assert import_lists(workbook, english) == dict.fromkeys(tables, 0)


def test_ambiguous_value_labels_are_a_catalogue_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.errors import CatalogueError
    from blockcheck.lists import schema

    doc = {
        **schema._document(),
        "value_labels": {"project_list": {"status": {"registered": "入库", "adjusted": "入库"}}},
    }
    monkeypatch.setattr(schema, "_document", lambda: doc)
    schema._field_labels.cache_clear()
    try:
        with pytest.raises(
            CatalogueError, match=r"the label '入库' of 'adjusted' is also the label or code of 'registered'"
        ):
            schema.value_labels("project_list", "status")
        doc["value_labels"] = {"project_list": {"status": {"planned": "规划"}}}
        schema._field_labels.cache_clear()
        with pytest.raises(CatalogueError, match=r"codes \['planned'\] are not values of project_list.status"):
            schema.value_labels("project_list", "status")
    finally:
        schema._field_labels.cache_clear()


# ---------------------------------------------------------------- the streaming writer (issue 15, point 3)


def test_text_starting_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    starts = ["=1+1", "+86 10 1234", "-5%", "@sum", "\tindented", "\rreturn", " <b>&amp;</b> "]
    problems = conform(
        pd.DataFrame(
            {
                "id": [f"PB-{i}" for i in range(len(starts))],
                "scope": ["ALL"] * len(starts),
                "type": ["交通出行"] * len(starts),
                "problem": starts,
                "situation": ["-"] * len(starts),
            }
        ),
        list_table("problem_list"),
    )
    xlsx = write_eight_lists(tmp_path / "x.xlsx", {"problem_list": problems})
    sheet = load_workbook(xlsx)["图1 问题清单"]
    for text in starts:
        cell = _cell(sheet, "问题", problems.loc[problems["problem"] == text, "id"].iloc[0])
        formula_like = text != " <b>&amp;</b> "
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", formula_like), repr(text)
    pd.testing.assert_frame_equal(read_eight_lists(xlsx)["problem_list"], problems, check_dtype=False)


def test_a_cell_longer_than_excel_holds_is_cut_with_a_marker(tmp_path: Path) -> None:
    problems = _tables(synthetic=None)["problem_list"]
    problems.loc[0, "situation"] = "x" * 40_000
    problems.loc[1, "situation"] = "控制\x01字符\x1f"  # an .xlsx cannot hold them
    for lang, marker in (("zh", "原文共 40000 字，Excel 每个单元格最多 32767 字"), ("en", "has 40000 characters")):
        xlsx = write_eight_lists(tmp_path / f"{lang}.xlsx", {"problem_list": problems}, lang=lang)
        sheet = load_workbook(xlsx).worksheets[0]
        cut = sheet["E3"].value
        assert len(cut) == 32_767 and cut.startswith("x" * 32_000) and marker in cut, lang
        assert sheet["E4"].value == "控制\ufffd字符\ufffd"
