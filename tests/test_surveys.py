"""Reading the demand list (图3) and vision list (图4): file quirks, vocabularies, matching to blocks.

Every edge-case file is written by the test into ``tmp_path``. The tiny scene for
matching (EPSG:4548, metres)::

    y=100 +----------+----------+
          |    B1    |    B2    |      blocks B1, B2: 100 m × 100 m
          |  [东 L]  [伯嘉城] [东 H]|      伯嘉城社区: x 60..160 → 40 % in B1, 60 % in B2 → B2
    y=0   +----------+----------+      东区社区 twice: in 龙泽园街道 (in B1) and 回龙观街道 (in B2)
          x=0        x=100      x=200
"""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from blockcheck.errors import CatalogueError, CRSError, InputError
from blockcheck.inputs.model import input_model
from blockcheck.surveys import (
    DEMAND_COLUMNS,
    OTHER,
    SUMMARY_COLUMNS,
    VISION_COLUMNS,
    classify_vision,
    community_blocks,
    demand_summary,
    demand_vocabulary,
    match_communities,
    read_demand_survey,
    read_vision_survey,
    survey_respondents,
    vision_keywords,
)
from districts import ROOT

SAMPLE = ROOT / "data" / "sample_blocks"
HEADERS = ["街道", "社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题"]
CRS = "EPSG:4548"


def _write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path


def _needs(table: pd.DataFrame, source_row: int) -> list[str]:
    return table.loc[table["source_row"] == source_row, "need_code"].tolist()


@pytest.fixture
def scene() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Blocks and communities of the module docstring."""
    blocks = gpd.GeoDataFrame(
        {"block_id": ["B1", "B2"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=CRS
    )
    communities = gpd.GeoDataFrame(
        {
            "community_id": ["C1", "C2", "C3"],
            "name": ["伯嘉城社区", "东区社区", "东区社区"],
            "subdistrict": ["龙泽园街道", "龙泽园街道", "回龙观街道"],
            "population": [1000, 800, 900],
        },
        geometry=[box(60, 0, 160, 100), box(0, 0, 50, 50), box(170, 0, 200, 50)],
        crs=CRS,
    )
    return blocks, communities


# ------------------------------------------------------------------ vocabularies ----


def test_demand_vocabulary_has_the_guideline_needs_and_valid_links() -> None:
    vocab = demand_vocabulary()
    assert [c.code for c in vocab.categories] == ["public_service", "public_space", "municipal", "traffic_parking"]
    assert [c.headers[0] for c in vocab.categories] == HEADERS[2:]
    required = {
        "public_service": {
            "culture_room": "文化活动室",
            "fitness_equipment": "健身器材与场地",
            "elderly_care": "养老",
            "medical": "医疗",
            "education": "教育",
            "management": "管理",
        },
        "public_space": {
            "green_maintenance": "绿地维护",
            "more_green": "增加绿地",
            "activity_plaza": "活动广场",
            "fitness_trail": "健身步道",
            "activity_ground": "活动场地",
        },
        "municipal": {"drainage": "排水", "water_pressure": "水压", "power": "电力", "heating": "供热"},
        "traffic_parking": {
            "parking_shortage": "停车位不足",
            "charging_piles": "充电桩",
            "estate_road_renewal": "社区道路改造",
        },
    }
    for category, needs in required.items():
        for code, label in needs.items():
            need = vocab.need(code)
            assert (need.category, need.label_zh) == (category, label)
            assert need.label_en
    # links: facility keys exist in the input model, metrics are metrics the problem rules use
    facility_keys = set(input_model().vocabulary("facility_category").keys)
    rules = tomllib.loads((ROOT / "blockcheck" / "data" / "problem_rules.toml").read_text("utf-8"))
    metrics = {r["metric"] for r in rules["rule"]}
    for need in vocab.needs:
        assert set(need.facility_category) <= facility_keys, need.code
        assert set(need.problem_metric) <= metrics, need.code
    assert vocab.need("elderly_care").facility_category == ("elderly_care", "elderly_day_care")
    assert vocab.need("culture_room").facility_category == ("culture",)
    assert vocab.need("fitness_equipment").facility_category == ("sports",)
    assert "clinic" in vocab.need("medical").facility_category
    assert vocab.need("education").facility_category == ("kindergarten", "primary_school")
    assert vocab.need("parking_shortage").problem_metric == ("parking_gap_spaces",)
    assert "park_green_m2_per_capita" in vocab.need("green_maintenance").problem_metric
    assert "park_green_m2_per_capita" in vocab.need("more_green").problem_metric
    assert vocab.lookup(" 停车难 ").code == "parking_shortage"
    assert vocab.lookup("供暖").code == "heating"


def test_bad_vocabulary_file_is_a_catalogue_error(tmp_path: Path) -> None:
    path = tmp_path / "vocab.toml"
    path.write_text(
        '[categories.public_service]\nlabel_zh = "公共服务设施"\n'
        '[needs.x]\ncategory = "nowhere"\nlabel_zh = "某"\nfacility_category = ["spaceport"]\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as err:
        demand_vocabulary(path)
    assert str(path) in str(err.value)
    assert "nowhere" in str(err.value) and "spaceport" in str(err.value)


# ------------------------------------------------------------------- vision ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # decision: a lift retrofit is housing (住宅提质), not elderly care
        ("老楼加装电梯", ["housing"]),
        ("老楼加装电梯，楼道、管线和外墙翻新", ["housing"]),
        ("老楼加装电梯，方便老人上下楼", ["housing", "elderly_care"]),
        ("社区里开一家老年餐桌，老人能吃上热乎饭", ["food", "elderly_care"]),
        ("家门口有便民菜市场和早餐店，买菜吃饭不用跑远路", ["food"]),
        ("换季衣物有地方晾晒，小区里规划整洁的晾衣区", ["clothing"]),
        ("地铁站接驳公交更方便，早高峰不再挤", ["travel"]),
        # 卫生服务站 is health care, not environmental sanitation (exclude list)
        ("社区卫生服务站能看常见病，老人拿药不用排长队", ["health", "elderly_care"]),
        ("小区环境卫生好一些", ["environment"]),
        ("孩子在家门口就能上好幼儿园和好小学", ["learning"]),
        ("希望有托育机构帮忙带娃", ["childcare"]),
        ("物业管理更规范，小区干净整洁、安全有序", ["environment", "safety", "governance"]),
        ("附近能有更多就业岗位", ["employment"]),
        ("冬天暖气热、夏天水压足", ["utilities"]),
        ("有室内文化活动室，下雨天也能跳舞、下棋、读书", ["leisure", "learning"]),
        ("ＡＢＣ　希望世界和平", [OTHER]),
        ("", [OTHER]),
    ],
)
def test_classify_vision(text: str, expected: list[str]) -> None:
    assert classify_vision(text) == expected


def test_vision_categories_cover_the_guideline_elements() -> None:
    codes = [c.code for c in vision_keywords().categories]
    for code in (
        "clothing",
        "food",
        "housing",
        "travel",
        "leisure",
        "learning",
        "health",
        "elderly_care",
        "childcare",
        "environment",
        "safety",
    ):
        assert code in codes
    assert [c.label_zh for c in vision_keywords().categories[:4]] == ["衣", "食", "住", "行"]


def test_read_vision_survey_carries_merged_names_and_splits_lines(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "vision.csv",
        [
            ["街道", "社区", "居民愿景"],
            ["龙泽园街道", "伯嘉城", "1. 家门口有菜市场\n2. 打通断头路"],
            ["", "", "希望有托育机构"],
            ["", "", "--"],
            ["", "东区社区", "无"],
        ],
    )
    table = read_vision_survey(path)
    assert list(table.columns) == list(VISION_COLUMNS)
    assert table["vision_text"].tolist() == ["家门口有菜市场", "打通断头路", "希望有托育机构"]
    assert table["community"].tolist() == ["伯嘉城", "伯嘉城", "伯嘉城"]
    assert table["subdistrict"].tolist() == ["龙泽园街道"] * 3
    assert table["categories"].tolist() == ["food", "travel", "childcare"]
    assert table["source_row"].tolist() == [2, 2, 3]


# ------------------------------------------------------- demand: file quirks ----


def test_xlsx_with_merged_subdistrict_cells_and_a_title_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes["A1"] = "填表说明：每个社区一行"
    ws = wb.create_sheet("需求清单")
    ws.append(["回天地区需求清单（示例）"])  # title row 1
    ws.append(HEADERS)  # header row 2
    ws.append(["龙泽园街道", "伯嘉城", "文化活动室", "绿地维护", "--", "停车位不足，社区道路改造"])  # 3
    ws.append([None, "北店嘉园社区", "--", "绿地维护", "排水", "停车位不足、充电桩"])  # 4
    ws.append([None, "东亚上北社区", "--", "--", "--", "停车位不足"])  # 5
    ws.append([None, None, None, None, None, None])  # 6 blank
    ws.append(["回龙观街道", "东区社区", "养老", None, None, None])  # 7
    ws.append([None, None, None, None, "供热", None])  # 8: 社区 merged with row 7
    ws.merge_cells("A3:A5")
    ws.merge_cells("A7:A8")
    ws.merge_cells("B7:B8")
    path = tmp_path / "survey.xlsx"
    wb.save(path)

    table = read_demand_survey(path)
    assert list(table.columns) == list(DEMAND_COLUMNS)
    assert table.groupby("source_row")["subdistrict"].first().to_dict() == {
        3: "龙泽园街道",
        4: "龙泽园街道",
        5: "龙泽园街道",
        7: "回龙观街道",
        8: "回龙观街道",
    }
    assert _needs(table, 3) == ["culture_room", "green_maintenance", "parking_shortage", "estate_road_renewal"]
    assert _needs(table, 4) == ["green_maintenance", "drainage", "parking_shortage", "charging_piles"]
    assert _needs(table, 8) == ["heating"]
    assert table.loc[table["source_row"] == 8, "community"].tolist() == ["东区社区"]
    row3 = table[table["source_row"] == 3].set_index("need_code")
    assert row3.loc["estate_road_renewal", "raw_text"] == "停车位不足，社区道路改造"
    assert row3.loc["estate_road_renewal", "need_zh"] == "社区道路改造"
    # merged 社区 cells are carried down silently
    assert table.attrs["warnings"] == []
    assert "需求清单" in table.attrs["source"]


def test_blank_rows_are_skipped_and_rows_numbered_as_in_excel(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            HEADERS,
            ["回龙观街道", "A社区", "养老", "--", "--", "--"],
            ["", "", "", "", "", ""],
            [],
            ["回龙观街道", "B社区", "医疗", "--", "--", "--"],
        ],
    )
    table = read_demand_survey(path)
    assert table[["community", "need_code", "source_row"]].values.tolist() == [
        ["A社区", "elderly_care", 2],
        ["B社区", "medical", 5],
    ]


def test_full_width_punctuation_and_spaces(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            ["街道　", " 社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题"],
            [
                "　龙泽园街道",
                "伯嘉城　",
                "文化活动室，养老；医疗",
                "　绿地维护　、 增加绿地",
                "－－",
                "停车位不足（约２０个）",
            ],
        ],
    )
    table = read_demand_survey(path)
    assert table["community"].unique().tolist() == ["伯嘉城"]
    assert table["subdistrict"].unique().tolist() == ["龙泽园街道"]
    assert table["need_code"].tolist() == [
        "culture_room",
        "elderly_care",
        "medical",
        "green_maintenance",
        "more_green",
        "parking_shortage",
    ]
    assert table.attrs["warnings"] == []


@pytest.mark.parametrize("none", ["--", "——", "—", "－－", "无", "", "  ", "暂无", "/"])
def test_none_markers_give_no_rows_but_a_respondent(tmp_path: Path, none: str) -> None:
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            HEADERS,
            ["霍营街道", "和谐家园东区社区", none, none, none, none],
            ["霍营街道", "霍营西区社区", none, none, none, "充电桩"],
        ],
    )
    table = read_demand_survey(path)
    assert table["need_code"].tolist() == ["charging_piles"]
    respondents = survey_respondents(table)
    assert respondents[["community", "has_needs"]].values.tolist() == [
        ["和谐家园东区社区", False],
        ["霍营西区社区", True],
    ]
    assert table.attrs["warnings"] == []


def test_several_needs_with_mixed_separators_and_line_breaks(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            HEADERS,
            [
                "龙泽园街道",
                "风雅园社区",
                "养老、医疗,教育；管理/文化活动室;养老",
                "绿地维护\n增加绿地\r\n活动广场",
                "排水 供热",
                "停车位不足\n--",
            ],
            ["龙泽园街道", "慧华苑社区", "文化活动室", "--", "--", "--"],
        ],
    )
    table = read_demand_survey(path)
    assert _needs(table, 2) == [
        "elderly_care",
        "medical",
        "education",
        "management",
        "culture_room",
        "green_maintenance",
        "more_green",
        "activity_plaza",
        "drainage",
        "heating",
        "parking_shortage",
    ]
    # the line breaks are inside one record: the next record is still Excel row 3
    assert _needs(table, 3) == ["culture_room"]
    assert table.loc[table["need_code"] == "more_green", "raw_text"].item() == "绿地维护\n增加绿地\r\n活动广场"


def test_gb18030_csv(tmp_path: Path) -> None:
    rows = [HEADERS, ["天通苑北街道", "佳运园中区社区", "管理", "绿地维护", "排水、水压", "停车位不足"]]
    path = _write_csv(tmp_path / "gbk.csv", rows, encoding="gb18030")
    assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
    table = read_demand_survey(path)
    assert table["need_code"].tolist() == [
        "management",
        "green_maintenance",
        "drainage",
        "water_pressure",
        "parking_shortage",
    ]
    assert table["community"].unique().tolist() == ["佳运园中区社区"]
    # UTF-8 without BOM reads the same
    plain = read_demand_survey(_write_csv(tmp_path / "plain.csv", rows, encoding="utf-8"))
    pd.testing.assert_frame_equal(plain, table)


def test_missing_headers_are_one_input_error(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "survey.csv", [["街道", "社区", "公共服务", "需求"], ["回龙观街道", "A", "养老", "x"]])
    with pytest.raises(InputError) as err:
        read_demand_survey(path)
    message = str(err.value)
    assert str(path) in message
    assert "公共空间" in message and "市政公用设施" in message and "交通停车问题" in message
    assert "街道, 社区, 公共服务设施, 公共空间, 市政公用设施, 交通停车问题" in message
    assert "row 1" in message


def test_no_header_row_and_bad_files(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "survey.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(InputError, match="社区"):
        read_demand_survey(path)
    with pytest.raises(InputError, match="not found"):
        read_demand_survey(tmp_path / "nope.csv")
    old = tmp_path / "survey.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"\.xlsx"):
        read_demand_survey(old)


def test_header_aliases(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            ["街道", "社区名称", "公共服务设施需求", "公共空间", "市政设施", "交通停车", "备注"],
            ["回龙观街道", "A社区", "养老", "--", "电力", "充电桩", "x"],
        ],
    )
    table = read_demand_survey(path)
    assert table[["category", "need_code"]].values.tolist() == [
        ["public_service", "elderly_care"],
        ["municipal", "power"],
        ["traffic_parking", "charging_piles"],
    ]
    assert any("备注" in w for w in table.attrs["warnings"])


def test_unknown_phrase_kept_as_other_and_need_in_wrong_column(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "survey.csv", [HEADERS, ["回龙观街道", "A社区", "养老服务中心、停车位不足", "--", "--", "--"]]
    )
    table = read_demand_survey(path)
    rows = table.set_index("need_code")
    assert rows.loc[OTHER, "need_zh"] == "养老服务中心"
    assert rows.loc[OTHER, "category"] == "public_service"
    assert rows.loc["parking_shortage", "category"] == "traffic_parking"
    warnings = table.attrs["warnings"]
    assert any("row 2" in w and "养老服务中心" in w and "other" in w and "养老" in w for w in warnings)
    assert any("停车位不足" in w and "traffic_parking" in w for w in warnings)


def test_row_shifted_by_one_column_is_reported(tmp_path: Path) -> None:
    # as in the last row of 图3 in the guideline's text: 龙跃苑一区 landed in the 街道 column
    path = _write_csv(
        tmp_path / "survey.csv", [HEADERS, ["龙跃苑一区", "养老、文化活动室", "绿地维护、增加绿地", "--", "--", ""]]
    )
    table = read_demand_survey(path)
    assert any("row 2" in w and "shifted" in w for w in table.attrs["warnings"])


def test_blank_community_is_carried_down_with_a_warning(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "survey.csv",
        [HEADERS, ["回龙观街道", "A社区", "养老", "--", "--", "--"], ["", "", "--", "--", "排水", "--"]],
    )
    table = read_demand_survey(path)
    assert table["community"].tolist() == ["A社区", "A社区"]
    assert any("row 3" in w and "A社区" in w for w in table.attrs["warnings"])


# -------------------------------------------------------------- matching ----


def test_match_names_suffix_subdistrict_and_largest_overlap(tmp_path: Path, scene) -> None:
    blocks, communities = scene
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            HEADERS,
            ["龙泽园街道", "伯嘉城", "文化活动室", "--", "--", "停车位不足"],  # 2: no 社区 suffix
            ["龙泽园街道", "东区社区", "养老", "--", "--", "--"],  # 3: duplicate name → 龙泽园
            ["回龙观", "东区", "养老", "--", "--", "--"],  # 4: → 回龙观街道's 东区社区
            ["龙泽园街道", "伯佳城社区", "医疗", "--", "--", "--"],  # 5: typo, unknown
            ["龙泽园街道", "西区社区", "--", "--", "--", "--"],  # 6: unknown, no needs
        ],
    )
    table, warnings = match_communities(read_demand_survey(path), communities, blocks)
    by_row = table.groupby("source_row")[["community_id", "block_id"]].first()
    assert by_row.loc[2].tolist() == ["C1", "B2"]  # 60 % of 伯嘉城 lies in B2
    assert by_row.loc[3].tolist() == ["C2", "B1"]
    assert by_row.loc[4].tolist() == ["C3", "B2"]
    unknown = table[table["source_row"] == 5]
    assert len(unknown) == 1 and unknown["block_id"].isna().all() and unknown["community_id"].isna().all()
    assert unknown["block_id"].tolist() == [None]
    assert len(warnings) == 2
    assert "row 5" in warnings[0] and "伯佳城社区" in warnings[0] and "伯嘉城社区" in warnings[0]
    assert "row 6" in warnings[1] and "西区社区" in warnings[1]
    respondents = survey_respondents(table)
    assert respondents["block_id"].tolist() == ["B2", "B1", "B2", None, None]
    assert respondents["has_needs"].tolist() == [True, True, True, True, False]


def test_community_blocks_computed_once_match_as_computed_per_survey(tmp_path: Path, scene) -> None:
    blocks, communities = scene
    # 伯嘉城 (60-160) lies 40 m in B1 and 60 m in B2; 东区 C2 in B1; 东区 C3 in B2
    assert community_blocks(communities, blocks).tolist() == ["B2", "B1", "B2"]
    shared = community_blocks(communities, blocks)
    table = read_demand_survey(
        _write_csv(tmp_path / "s.csv", [HEADERS, ["龙泽园街道", "伯嘉城", "养老", "--", "--", "--"]])
    )
    alone, warned_alone = match_communities(table, communities, blocks)
    given, warned_given = match_communities(table, communities, blocks, community_blocks=shared)
    pd.testing.assert_frame_equal(alone, given)
    assert given["block_id"].tolist() == ["B2"] and warned_alone == warned_given
    with pytest.raises(CRSError):
        community_blocks(communities.to_crs("EPSG:4326"), blocks)


def test_match_reports_ambiguous_names_and_checks_inputs(scene) -> None:
    blocks, communities = scene
    table = pd.DataFrame({"subdistrict": [None], "community": ["东区"], "source_row": [9]})
    out, warnings = match_communities(table, communities, blocks)
    assert out["block_id"].tolist() == [None]
    assert len(warnings) == 1 and "row 9" in warnings[0] and "several" in warnings[0]
    with pytest.raises(CRSError):
        match_communities(table, communities.to_crs("EPSG:4326"), blocks)
    with pytest.raises(InputError, match="name"):
        match_communities(table, communities.drop(columns="name"), blocks)
    # block ids may also be the index
    out, _ = match_communities(pd.DataFrame({"community": ["伯嘉城"]}), communities, blocks.set_index("block_id"))
    assert out["block_id"].tolist() == ["B2"]


def test_demand_summary_counts_communities_per_block(tmp_path: Path, scene) -> None:
    blocks, communities = scene
    path = _write_csv(
        tmp_path / "survey.csv",
        [
            HEADERS,
            ["龙泽园街道", "伯嘉城", "养老", "--", "--", "停车位不足"],
            ["回龙观街道", "东区社区", "养老、某设施", "--", "--", "停车位不足"],
            ["龙泽园街道", "东区社区", "养老", "--", "--", "--"],
            ["龙泽园街道", "无名社区", "养老", "--", "--", "--"],
        ],
    )
    demands, _ = match_communities(read_demand_survey(path), communities, blocks)
    summary = demand_summary(demands)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary.values.tolist() == [
        ["B1", "public_service", "elderly_care", "养老", 1],
        ["B2", "public_service", "elderly_care", "养老", 2],
        ["B2", "public_service", OTHER, "其他", 1],
        ["B2", "traffic_parking", "parking_shortage", "停车位不足", 2],
        [None, "public_service", "elderly_care", "养老", 1],
    ]
    with pytest.raises(InputError, match="match_communities"):
        demand_summary(read_demand_survey(path))


# ---------------------------------------------------------- sample district ----


@pytest.fixture(scope="module")
def sample_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    gpkg = SAMPLE / "sample_district.gpkg"
    return gpd.read_file(gpkg, layer="communities"), gpd.read_file(gpkg, layer="blocks")


def test_sample_demand_survey_matches_every_community(sample_layers) -> None:
    communities, blocks = sample_layers
    demands = read_demand_survey(SAMPLE / "demand_survey.csv")
    assert demands.attrs["warnings"] == []
    assert (demands["need_code"] != OTHER).all()
    assert set(demands["community"]) <= set(communities["name"])
    matched, warnings = match_communities(demands, communities, blocks)
    assert warnings == []
    assert matched["block_id"].notna().all()
    assert set(matched["block_id"]) <= set(blocks["block_id"])
    respondents = survey_respondents(matched)
    assert len(respondents) == 40 and respondents["block_id"].notna().all()
    # the community's block is the block holding the community (sample communities nest in blocks)
    expected = dict(
        zip(communities["community_id"], communities["community_id"].str.rsplit("-", n=1).str[0], strict=True)
    )
    assert (matched["block_id"] == matched["community_id"].map(expected)).all()
    summary = demand_summary(matched)
    assert summary["community_count"].sum() == len(matched)


def test_sample_need_totals_equal_an_independent_count() -> None:
    vocab = demand_vocabulary()
    code_of = {n.label_zh: n.code for n in vocab.needs}
    expected: Counter[str] = Counter()
    with (SAMPLE / "demand_survey.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            for cell in row[2:]:
                if cell != "--":
                    expected.update(code_of[p] for p in cell.split("、"))
    demands = read_demand_survey(SAMPLE / "demand_survey.csv")
    assert Counter(demands["need_code"]) == expected
    assert len(demands) == 219
    assert demands["category"].value_counts().to_dict() == {
        "public_service": 73,
        "public_space": 56,
        "traffic_parking": 51,
        "municipal": 39,
    }


def test_sample_vision_survey(sample_layers) -> None:
    communities, blocks = sample_layers
    visions = read_vision_survey(SAMPLE / "vision_survey.csv")
    with (SAMPLE / "vision_survey.csv").open(encoding="utf-8-sig", newline="") as fh:
        n_rows = sum(1 for _ in csv.reader(fh)) - 1
    assert len(visions) == n_rows == 83
    assert visions["source_row"].tolist() == list(range(2, 85))
    assert OTHER not in set(",".join(visions["categories"]).split(","))
    matched, warnings = match_communities(visions, communities, blocks)
    assert warnings == [] and matched["block_id"].notna().all()
