"""Step 4, tasks (图7) and the project list's order (图8), on rows small enough to check by hand.

Tasks. Blocks in list order B, A, C::

    A: idle rooms R1, R2 → 3 elderly-care beds (PJ-A-elderly_care_beds-idle_room)
       idle site S1      → 30 kindergarten seats, 1,500 m² (PJ-A-kindergarten_seats-idle_site)
       planned road r7   → 0.12 km, 1,800 m² (PJ-road-r7, which runs on into B)
    B: planned road r7   → 0.08 km, 1,200 m²
       idle site S9      → a pocket park of 800 m² (PJ-B-park_green_m2-pocket_park)
       building R3       → hospital beds of a project that is not in the project list (left out)
    C: nothing built

Needs: A 5 elderly-care beds and 30 seats, B 100 parking spaces. Projects in the
rules' units, policies numbered 1–4 in the list (catalogue numbers 2, 1, 9, 11).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from blockcheck.lists.projects import PROJECT_COLUMNS, build_project_list
from blockcheck.lists.siting import PLACEMENT_COLUMNS
from blockcheck.lists.tasks import OPEN_COLUMNS, TASK_COLUMNS, build_task_list, open_items

_PLACEMENT = ["kind", "source", "site_block", "served_block", "group", "site_id", "amount", "land_m2", "strategy_key"]


def _placements() -> pd.DataFrame:
    rows = [
        ("elderly_care_beds", "idle_room", "A", "A", None, "R1", 2.0, np.nan, "use_idle_rooms"),
        ("elderly_care_beds", "idle_room", "A", "A", None, "R2", 1.0, np.nan, "use_idle_rooms"),
        ("kindergarten_seats", "idle_site", "A", "A", None, "S1", 30.0, 1500.0, "mixed_use"),
        ("road_km", "road", "A", "A", "r7", "r7", 0.12, 1800.0, "complete_network"),
        ("road_km", "road", "B", "B", "r7", "r7", 0.08, 1200.0, "complete_network"),
        ("park_green_m2", "pocket_park", "B", "B", None, "S9", 800.0, 800.0, "pocket_spaces"),
        ("hospital_beds", "low_efficiency_building", "B", "B", None, "R3", 40.0, 900.0, "convert_low_efficiency"),
    ]
    return pd.DataFrame(rows, columns=_PLACEMENT)


def _projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": [
                "PJ-A-elderly_care_beds-idle_room",
                "PJ-A-kindergarten_seats-idle_site",
                "PJ-road-r7",
                "PJ-B-park_green_m2-pocket_park",
            ],
            "problem_ids": [
                "PB-A-elderly_care_beds_gap,PB-ALL-elderly_care_beds_gap",
                "PB-A-kindergarten_gap",
                "PB-B-road_density_low",
                "",
            ],
        }
    )


def _problems() -> pd.DataFrame:
    rows = [
        ("PB-ALL-job_housing_low", "ALL", "job_housing_low", "职住比偏低"),  # area only, nothing answers it
        ("PB-ALL-elderly_care_beds_gap", "ALL", "elderly_care_beds_gap", "机构养老床位不足"),  # has block rows
        ("PB-A-elderly_care_beds_gap", "A", "elderly_care_beds_gap", "机构养老床位不足"),  # 5 needed, 3 placed
        ("PB-A-kindergarten_gap", "A", "kindergarten_gap", "幼儿园学位不足"),  # 30 needed, 30 placed
        ("PB-B-parking_gap", "B", "parking_gap", "停车位缺口大"),  # 100 needed, none placed
        ("PB-B-road_density_low", "B", "road_density_low", "路网密度低"),  # not measured, answered by the road
        ("PB-C-old_housing", "C", "old_housing", "老旧住宅比例高"),  # not measured, nothing answers it
    ]
    return pd.DataFrame(rows, columns=["id", "scope", "rule_id", "problem"])


def _needs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "elderly_care_beds": [0.0, 5.0, 0.0],
            "kindergarten_seats": [0.0, 30.0, 0.0],
            "parking_spaces": [100.0, 0.0, 0.0],
        },
        index=["B", "A", "C"],
    )


def _policies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": [1, 2, 3, 4],
            "catalogue_number": [2, 1, 9, 11],
            "name": ["乙政策", "甲政策", "停车政策", "住宅政策"],
        }
    )


def _strategies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["【利用闲置】", "【分时停车】", "【挖潜停车】"],
            "problem_ids": ["PB-A-elderly_care_beds_gap", "PB-B-parking_gap", "PB-B-parking_gap,PB-B-other"],
        }
    )


@pytest.fixture(scope="module")
def opened() -> pd.DataFrame:
    return open_items(_problems(), _placements(), _needs(), _projects())


@pytest.fixture(scope="module")
def tasks(opened: pd.DataFrame) -> pd.DataFrame:
    blocks = pd.DataFrame(index=pd.Index(["B", "A", "C"], name="block_id"))
    return build_task_list(blocks, _placements(), _projects(), opened, _policies(), _strategies())


def test_open_items_are_the_problems_left_open(opened: pd.DataFrame) -> None:
    assert list(opened.columns) == list(OPEN_COLUMNS)
    # in the problem list's order; the kindergarten gap is closed (30 of 30), the road answers road density,
    # the area elderly-care row has block rows
    assert opened["id"].tolist() == [
        "TK-ALL-待落实-job_housing_low",
        "TK-A-待落实-elderly_care_beds_gap",
        "TK-B-待落实-parking_gap",
        "TK-C-待落实-old_housing",
    ]
    o = opened.set_index("rule_id")
    elderly = o.loc["elderly_care_beds_gap"]
    # need 5, the two idle rooms place 2 + 1 = 3: 2 beds stay open
    assert (elderly["need"], elderly["closed"], elderly["open_amount"]) == (5.0, 3.0, 2.0)
    assert elderly["kind"] == "elderly_care_beds" and elderly["task_type"] == "三大设施"
    assert elderly["project_ids"] == "PJ-A-elderly_care_beds-idle_room"  # answers it in part
    parking = o.loc["parking_gap"]
    assert (parking["need"], parking["closed"], parking["open_amount"]) == (100.0, 0.0, 100.0)
    assert pd.isna(parking["project_ids"])
    # not measured in a kind's unit: need, closed and open amount unknown; no project type → 其他
    for rule in ("job_housing_low", "old_housing"):
        assert o.loc[rule, ["need", "closed", "open_amount"]].isna().all() and o.loc[rule, "task_type"] == "其他"


def test_an_open_item_names_the_policies_that_would_unlock_it(opened: pd.DataFrame) -> None:
    # [unlock] of data/projects.toml, in the file's order (catalogue numbers of 图6)
    assert opened.set_index("rule_id")["unlock"].to_dict() == {
        "job_housing_low": "18,13",
        "elderly_care_beds_gap": "1,2",
        "parking_gap": "9,16",
        "old_housing": "11",
    }


def test_task_rows_follow_the_block_order_area_first_carried_before_open(tasks: pd.DataFrame) -> None:
    assert list(tasks.columns) == list(TASK_COLUMNS)
    assert tasks["id"].tolist() == [
        "TK-ALL-待落实-job_housing_low",
        "TK-B-三大设施",
        "TK-B-道路",
        "TK-B-绿化",
        "TK-B-其他",
        "TK-B-待落实-parking_gap",
        "TK-A-三大设施",
        "TK-A-道路",
        "TK-A-绿化",
        "TK-A-其他",
        "TK-A-待落实-elderly_care_beds_gap",
        "TK-C-待落实-old_housing",  # C has no project: no 图7 rows, only what is open
    ]


def test_a_task_row_groups_the_projects_of_its_block_and_type(tasks: pd.DataFrame) -> None:
    t = tasks.set_index("id")
    a = t.loc["TK-A-三大设施"]
    # two idle rooms (2 sites) for elderly care, one idle site for the kindergarten
    assert a["contents"] == "养老设施 2 处，教育设施 1 处"
    assert a["project_ids"] == "PJ-A-elderly_care_beds-idle_room,PJ-A-kindergarten_seats-idle_site"
    assert a["strategy_codes"] == "【利用闲置】【功能混合】"  # in the catalogue's order
    assert a["land_area_ha"] == 0.15 and a["status"] == "carried"  # the rooms have no land: 1,500 m²
    # the road runs through A and B: each block's row carries its own part of the one project
    assert (
        t.loc["TK-A-道路", "contents"] == "规划道路 1 条，共 0.12 公里" and t.loc["TK-A-道路", "land_area_ha"] == 0.18
    )
    assert (
        t.loc["TK-B-道路", "contents"] == "规划道路 1 条，共 0.08 公里" and t.loc["TK-B-道路", "land_area_ha"] == 0.12
    )
    assert t.loc["TK-A-道路", "project_ids"] == t.loc["TK-B-道路", "project_ids"] == "PJ-road-r7"
    assert t.loc["TK-B-绿化", "contents"] == "公园绿地 1 处" and t.loc["TK-B-绿化", "strategy_codes"] == "【见缝插绿】"
    # B's hospital placement belongs to no listed project: its 三大设施 row is empty
    empty = t.loc["TK-B-三大设施"]
    assert empty["contents"] == "——" and empty["land_area_ha"] == 0.0 and pd.isna(empty["status"])
    assert pd.isna(empty["project_ids"]) and pd.isna(empty["strategy_codes"])


def test_open_task_rows_say_what_is_open_and_which_listed_policies_unlock_it(tasks: pd.DataFrame) -> None:
    t = tasks.set_index("id")
    elderly = t.loc["TK-A-待落实-elderly_care_beds_gap"]
    # catalogue policies 1 and 2 are listed as 2 (甲政策) and 1 (乙政策): named by their list number, in its order
    assert elderly["contents"] == (
        "机构养老床位不足：缺口约2张待落实（已有项目补足3张）；其余部分现有资源无法承载，需出台政策1「乙政策」、政策2「甲政策」"
    )
    assert elderly["policy_numbers"] == "1,2" and elderly["status"] == "open"
    assert elderly["open_amount"] == 2.0 and elderly["amount_unit"] == "elderly_care_beds"
    assert elderly["problem_ids"] == "PB-A-elderly_care_beds_gap" and elderly["strategy_codes"] == "【利用闲置】"
    parking = t.loc["TK-B-待落实-parking_gap"]
    # catalogue 9 is listed as 3; 16 is not in the policy list and is not named
    assert parking["contents"] == "停车位缺口大：缺口约100个待落实；现有资源无法承载，需出台政策3「停车政策」"
    assert parking["policy_numbers"] == "3" and parking["strategy_codes"] == "【分时停车】【挖潜停车】"
    assert (
        t.loc["TK-C-待落实-old_housing", "contents"]
        == "老旧住宅比例高：待落实；现有资源无法承载，需出台政策4「住宅政策」"
    )
    # neither 18 nor 13 is listed: no policy named, no number
    jobs = t.loc["TK-ALL-待落实-job_housing_low"]
    assert jobs["contents"] == "职住比偏低：待落实；现有资源无法承载" and pd.isna(jobs["policy_numbers"])
    assert pd.isna(jobs["land_area_ha"]) and pd.isna(jobs["strategy_codes"])


# ------------------------------------------------------------------------------ the project list's order


def _project_inputs() -> dict:
    """Blocks A (甲) and B (乙); five placements of three domains.

    ============  ====  ========  ======  ==========  ==========================  ==================
    kind          site  amount    need    readiness   severity (block, area)      ease (1 − diff.)
    ============  ====  ========  ======  ==========  ==========================  ==================
    kindergarten  A S1  20 seats  40      cand. 0.6   0.6, 0.6                    0.7 (idle site)
    kindergarten  B S2  20 seats  40      cand. 0.6   0.6, 0.6                    0.7
    hospital      A R3  10 beds   20      cand. 0.6   0.2, 0.4                    0.5 (low-eff. bldg)
    hospital      B R4  10 beds   20      conf. 1.0   0.8, 0.4                    0.5
    elderly care  A R5   5 beds    5      cand. 0.6   unknown (NaN), unknown      0.8 (idle room)
    ============  ====  ========  ======  ==========  ==========================  ==================
    """
    blocks = gpd.GeoDataFrame(
        {"block_id": ["A", "B"], "name": ["甲", "乙"], "subdistrict": ["回龙观街道"] * 2},
        geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)],
        crs=4548,
    ).set_index("block_id", drop=False)
    blocks.index.name = "block_id"
    template = "{place}利用{word}补充{facility}（{scale}）"
    leb, cle = "low_efficiency_building", "convert_low_efficiency"
    rows = [  # kind, source, site, block, amount, strategy, difficulty, status, word, site geometry
        (
            "kindergarten_seats",
            "idle_site",
            "S1",
            "A",
            20.0,
            "mixed_use",
            0.3,
            "candidate",
            "闲置场地",
            box(10, 10, 40, 40),
        ),
        (
            "kindergarten_seats",
            "idle_site",
            "S2",
            "B",
            20.0,
            "mixed_use",
            0.3,
            "candidate",
            "闲置场地",
            box(210, 10, 240, 40),
        ),
        ("hospital_beds", leb, "R3", "A", 10.0, cle, 0.5, "candidate", "低效楼宇", box(50, 50, 80, 80)),
        ("hospital_beds", leb, "R4", "B", 10.0, cle, 0.5, "confirmed", "低效楼宇", box(250, 50, 280, 80)),
        (
            "elderly_care_beds",
            "idle_room",
            "R5",
            "A",
            5.0,
            "use_idle_rooms",
            0.2,
            "candidate",
            "闲置用房",
            box(0, 90, 20, 110),
        ),
    ]
    placements = gpd.GeoDataFrame(
        [
            {
                "kind": kind,
                "source": source,
                "category": source,
                "site_id": site,
                "resource_id": f"RL-{source}-x-{site}",
                "site_block": block,
                "served_block": block,
                "amount": amount,
                "strategy_key": strategy,
                "difficulty": difficulty,
                "readiness": np.nan,
                "word": word,
                "name_template": template,
                "group": None,
                "road_name": None,
                "road_class": None,
                "land_m2": np.nan,
                "status": status,
                "facility_category": None,
                "geometry": geom,
            }
            for kind, source, site, block, amount, strategy, difficulty, status, word, geom in rows
        ],
        geometry="geometry",
        crs=4548,
    )
    assert list(placements.columns) == list(PLACEMENT_COLUMNS)
    problems = pd.DataFrame(
        [
            ("PB-ALL-kindergarten_gap", "ALL", "kindergarten_gap", 0.6),
            ("PB-A-kindergarten_gap", "A", "kindergarten_gap", 0.6),
            ("PB-B-kindergarten_gap", "B", "kindergarten_gap", 0.6),
            ("PB-ALL-hospital_beds_gap", "ALL", "hospital_beds_gap", 0.4),
            ("PB-A-hospital_beds_gap", "A", "hospital_beds_gap", 0.2),
            ("PB-B-hospital_beds_gap", "B", "hospital_beds_gap", 0.8),
            ("PB-ALL-elderly_care_beds_gap", "ALL", "elderly_care_beds_gap", np.nan),
            ("PB-A-elderly_care_beds_gap", "A", "elderly_care_beds_gap", np.nan),
        ],
        columns=["id", "scope", "rule_id", "severity"],
    )
    problems["problem"] = problems["rule_id"].map(
        {
            "kindergarten_gap": "幼儿园学位不足",
            "hospital_beds_gap": "医疗床位不足",
            "elderly_care_beds_gap": "机构养老床位不足",
        }
    )
    problems["problem_en"] = problems["rule_id"]
    needs = pd.DataFrame(
        {"kindergarten_seats": [40.0, 40.0], "hospital_beds": [20.0, 20.0], "elderly_care_beds": [5.0, 0.0]},
        index=["A", "B"],
    )
    demands = pd.DataFrame(columns=["id", "block_id", "community", "need_code", "need_zh"])
    return {
        "placements": placements,
        "blocks": blocks,
        "strategies": pd.DataFrame(),
        "demands": demands,
        "problems": problems,
        "needs": needs,
    }


@pytest.fixture(scope="module")
def project_list() -> gpd.GeoDataFrame:
    f = _project_inputs()
    return build_project_list(f["placements"], f["blocks"], f["strategies"], f["demands"], f["problems"], f["needs"])


def test_projects_are_numbered_by_domain_then_score_then_id(project_list: gpd.GeoDataFrame) -> None:
    p = project_list
    assert list(p.columns) == [*PROJECT_COLUMNS, "geometry"]
    # 教育 before 医疗卫生 before 养老 (图8 order). Within 教育 the two scores tie (47.5): by project id.
    # Within 医疗卫生 B scores higher than A, so it comes first although its id sorts after.
    assert p["project_id"].tolist() == [
        "PJ-A-kindergarten_seats-idle_site",
        "PJ-B-kindergarten_seats-idle_site",
        "PJ-B-hospital_beds-low_efficiency_building",
        "PJ-A-hospital_beds-low_efficiency_building",
        "PJ-A-elderly_care_beds-idle_room",
    ]
    assert p["number"].tolist() == [1, 2, 3, 4, 5]
    assert p["domain"].tolist() == ["教育", "教育", "医疗卫生", "医疗卫生", "养老"]


def test_project_scores_by_hand(project_list: gpd.GeoDataFrame) -> None:
    score = project_list.set_index("project_id")["priority_score"]
    # kindergartens: 100 × (0.45·0.6 + 0.2·0 + 0.15·20/40 + 0.1·0.6 + 0.1·0.7) = 27 + 7.5 + 6 + 7 = 47.5
    assert score["PJ-A-kindergarten_seats-idle_site"] == score["PJ-B-kindergarten_seats-idle_site"] == 47.5
    # hospital B: severity mean(0.8, 0.4) = 0.6, confirmed: 27 + 7.5 + 10 + 5 = 49.5
    assert score["PJ-B-hospital_beds-low_efficiency_building"] == 49.5
    # hospital A: severity mean(0.2, 0.4) = 0.3, candidate: 13.5 + 7.5 + 6 + 5 = 32.0
    assert score["PJ-A-hospital_beds-low_efficiency_building"] == 32.0
    # elderly care: severity unknown counts 0; closes 5 of 5: 0 + 15 + 6 + 8 = 29.0
    assert score["PJ-A-elderly_care_beds-idle_room"] == 29.0


def test_a_project_of_unknown_severity_is_phased_last_and_its_reason_says_no_nan(
    project_list: gpd.GeoDataFrame,
) -> None:
    p = project_list.set_index("project_id")
    # area problems answered: kindergartens (0.6, 教育) and hospitals (0.4, 医疗卫生) guarantee their 4 projects
    # 近期 (round(0.34 × 5) = 2 < 4); the elderly-care area problem has no severity, so it guarantees nothing
    assert p["phase"].tolist() == ["近期", "近期", "近期", "近期", "远期"]
    assert p["year"].tolist() == [2027, 2027, 2027, 2027, 2030]
    elderly = p.loc["PJ-A-elderly_care_beds-idle_room"]
    assert "nan" not in elderly["priority_reason"].lower() and "nan" not in elderly["priority_reason_en"].lower()
    assert (
        elderly["priority_reason"].startswith("答复机构养老床位不足（严重程度")
        and "全区第" not in elderly["priority_reason"]
    )
    kindergarten = p.loc["PJ-A-kindergarten_seats-idle_site"]
    # both kindergarten area rows tie at 0.6, the most severe of the area: rank 1 (method "min")
    assert kindergarten["priority_reason"] == (
        "答复幼儿园学位不足（严重程度0.60，全区第1）；所在社区未提出相关需求；补足缺口50%；资源待确认（候选）；实施难度低"
    )
