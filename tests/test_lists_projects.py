"""Projects (图8), tasks (图7) and their coverage of the problems, on a hand-checkable fixture and on
the sample district.

Fixture: blocks A (甲, x 0–200 m) and B (乙, x 200–400 m) of 回龙观街道. Idle rooms R1
(confirmed) and R2 (candidate) in A are allocated to A's elderly-care gap (0.2 + 0.08 =
0.28 beds); the low-efficiency building R3 in B to the hospital-bed gaps of A (22.493536
beds) and B (100.3 of B's 200). A has an unbuilt branch road 甲一路 (187.6 m) and a
low-quality compound green G1 of 2,482.43 m² (【绿化提质】 proposed). One of A's two
surveyed communities asks for elderly care. The area's job–housing ratio is low and
nothing answers it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.stats import spearmanr
from shapely.geometry import LineString, box

from blockcheck.lists.amounts import WHOLE_UNITS, format_amount, unit_of, unit_word, whole_units
from blockcheck.lists.coverage import COVERAGE_COLUMNS, coverage_table
from blockcheck.lists.policies import build_policy_list
from blockcheck.lists.priority import assign_phases
from blockcheck.lists.projects import build_project_list, sites_in_blocks
from blockcheck.lists.siting import allocation_placements, block_needs, road_placements, site_in_blocks
from blockcheck.lists.tasks import build_task_list, open_items
from blockcheck.standards import load_standards
from districts import ROOT

SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"


def test_whole_units() -> None:
    assert whole_units(0.28, "beds") == 1.0  # a project provides at least one whole bed
    assert whole_units(22.493536, "hospital_beds") == 23.0  # up, not to nearest
    assert whole_units(41.0000001, "beds") == 41.0  # float noise is not a bed
    assert whole_units(0.06, "bus_terminal_count") == 1.0
    assert whole_units(0.004, "ha") == 0.01 and whole_units(0.4436, "school_land_ha") == 0.44
    assert whole_units(2482.43, "green_m2") == 2482.0 and whole_units(0.3, "m2") == 1.0
    assert whole_units(0.599331, "road_km") == 0.6
    assert whole_units(0.0, "beds") == 0.0 and np.isnan(whole_units(np.nan, "beds"))
    s = whole_units(pd.Series([0.28, 22.4, np.nan], index=list("abc"), name="amount"), "beds")
    assert s.index.tolist() == list("abc") and s.name == "amount"
    np.testing.assert_array_equal(s.to_numpy(), [1.0, 23.0, np.nan])
    assert whole_units(3.3, "unknown_thing") == 3.3
    assert unit_of("kindergarten_seats") == "seats" and unit_of("population") == ""


def test_format_amount_and_unit_word() -> None:
    assert format_amount(0.0179, "ha") == "179平方米"  # not "0.0公顷"
    assert format_amount(0.0179, "ha", lang="en") == "179 m²"
    assert format_amount(0.43, "ha") == "0.43公顷"
    assert format_amount(8.153146, "school_land_ha") == "8.15公顷"
    assert format_amount(22.49, "beds") == "22张"
    assert format_amount(375.77, "kindergarten_seats") == "376个"
    assert format_amount(0.46, "bus_terminal_count") == "0.46处"  # a fraction of a facility shows as one
    assert format_amount(0.0612, "bus_terminal_count") == "0.061处"
    assert format_amount(190_189.3, "culture_floor_m2") == "190,189平方米"
    assert format_amount(1.61, "km", sep=" ") == "1.61 公里"
    assert format_amount(0.012, "km") == "12米"
    assert format_amount(np.nan, "ha") == "——"
    assert format_amount(0.0, "beds") == "0张"
    assert [
        unit_word(k) for k in ("elderly_care_beds", "parking_spaces", "substation_count", "sports_land_ha", "green_m2")
    ] == ["张", "个", "处", "公顷", "平方米"]
    assert unit_word("road_km", "en") == "km" and unit_word("population") == ""


def _fixture() -> dict:
    blocks = gpd.GeoDataFrame(
        {
            "block_id": ["A", "B"],
            "name": ["甲", "乙"],
            "subdistrict": ["回龙观街道"] * 2,
            "gap_elderly_care_beds": [0.28, 0.0],
            "gap_hospital_beds": [22.493536, 200.0],
        },
        geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)],
        crs=4548,
    ).set_index("block_id", drop=False)
    blocks.index.name = "block_id"
    resources = gpd.GeoDataFrame(
        {
            "resource_id": ["R1", "R2", "R3", "G1"],
            "block_id": ["A", "A", "B", "A"],
            "category": ["idle_room", "idle_room", "low_efficiency_building", "low_quality_space"],
            "subtype": ["boiler_room", "bike_shed", "office_building", "attached_green"],
            "status": ["confirmed", "candidate", "candidate", "candidate"],
            "land_area_m2": [np.nan, np.nan, np.nan, 2482.43],
            "floor_area_m2": [30.0, 20.0, 9000.0, np.nan],
            "family": ["building", "building", "building", "land"],
        },
        geometry=[box(10, 10, 20, 20), box(30, 10, 40, 20), box(250, 50, 280, 80), box(100, 100, 150, 150)],
        crs=4548,
    )
    allocation = pd.DataFrame(
        {
            "resource_id": ["R1", "R2", "R3", "R3"],
            "block_id": ["A", "A", "A", "B"],
            "provision_key": ["elderly_care_beds", "elderly_care_beds", "hospital_beds", "hospital_beds"],
            "amount": [0.2, 0.08, 22.493536, 100.3],
            "area_used_m2": [8.0, 3.2, 2474.3, 11033.0],
        }
    )
    strategies = pd.DataFrame(
        {
            "id": ["ST-A-upgrade_green", "ST-A-use_idle_rooms", "ST-B-convert_low_efficiency"],
            "block_id": ["A", "A", "B"],
            "strategy_key": ["upgrade_green", "use_idle_rooms", "convert_low_efficiency"],
            "code": ["【绿化提质】", "【利用闲置】", "【改造低效】"],
            "problem_ids": ["", "PB-A-elderly_care_beds_gap", "PB-A-hospital_beds_gap,PB-B-hospital_beds_gap"],
        }
    )
    problems = pd.DataFrame(
        {
            "id": [
                "PB-ALL-elderly_care_beds_gap",
                "PB-ALL-hospital_beds_gap",
                "PB-ALL-job_housing_low",
                "PB-A-elderly_care_beds_gap",
                "PB-A-hospital_beds_gap",
                "PB-B-hospital_beds_gap",
                "PB-A-road_implementation_low",
            ],
            "scope": ["ALL", "ALL", "ALL", "A", "A", "B", "A"],
            "type": [
                "公共服务设施",
                "公共服务设施",
                "职住关系",
                "公共服务设施",
                "公共服务设施",
                "公共服务设施",
                "交通出行",
            ],
            "rule_id": [
                "elderly_care_beds_gap",
                "hospital_beds_gap",
                "job_housing_low",
                "elderly_care_beds_gap",
                "hospital_beds_gap",
                "hospital_beds_gap",
                "road_implementation_low",
            ],
            "problem": [
                "机构养老床位不足",
                "医疗床位不足",
                "职住比偏低",
                "机构养老床位不足",
                "医疗床位不足",
                "医疗床位不足",
                "规划道路实施率低",
            ],
            "problem_en": [
                "Elderly-care beds short",
                "Hospital beds short",
                "Few jobs",
                "Elderly-care beds short",
                "Hospital beds short",
                "Hospital beds short",
                "Roads not built",
            ],
            "metric_key": [
                "gap_elderly_care_beds",
                "gap_hospital_beds",
                "job_housing_ratio",
                "gap_elderly_care_beds",
                "gap_hospital_beds",
                "gap_hospital_beds",
                "road_implementation_ratio",
            ],
            "observed_value": [0.28, 222.493536, 0.3, 0.28, 22.493536, 200.0, 0.5],
            "severity": [0.9, 0.6, 0.4, 0.7, 0.5, 0.3, 0.2],
        }
    )
    demands = pd.DataFrame(
        {
            "id": ["DM-c1-elderly", "DM-c2-parking"],
            "block_id": ["A", "A"],
            "community": ["c1", "c2"],
            "need_code": ["elderly_care", "parking_shortage"],
            "need_zh": ["养老", "停车位不足"],
        }
    )
    roads = gpd.GeoDataFrame(
        {"road_id": ["r1"], "name": ["甲一路"], "class": ["branch"], "status": ["planned"], "width_m": [15.0]},
        geometry=[LineString([(10, 100), (197.6, 100)])],
        crs=4548,
    )
    return {
        "blocks": blocks,
        "resources": resources,
        "allocation": allocation,
        "strategies": strategies,
        "problems": problems,
        "demands": demands,
        "roads": roads,
    }


def _placements(f: dict) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    needs = block_needs(f["blocks"], f["problems"], load_standards("beijing"))
    pool = pd.Series(0.0, index=f["resources"]["resource_id"].to_numpy())
    sited, _ = site_in_blocks(f["blocks"], f["resources"], pool, needs, f["strategies"], f["demands"])
    parts = [allocation_placements(f["allocation"], f["resources"]), sited, road_placements(f["roads"], f["blocks"])]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4548), needs


@pytest.fixture(scope="module")
def built() -> dict:
    f = _fixture()
    placements, needs = _placements(f)
    projects = build_project_list(placements, f["blocks"], f["strategies"], f["demands"], f["problems"], needs)
    opened = open_items(f["problems"], placements, needs, projects)
    policies = build_policy_list(f["strategies"], projects=projects, opened=opened)
    tasks = build_task_list(f["blocks"], placements, projects, opened, policies, f["strategies"])
    return {
        **f,
        "placements": placements,
        "needs": needs,
        "projects": projects,
        "opened": opened,
        "policies": policies,
        "tasks": tasks,
    }


def test_projects_carry_whole_facilities_with_a_unit_word(built: dict) -> None:
    p = built["projects"].set_index("amount_unit")
    assert p.loc["elderly_care_beds", "amount"] == 1.0  # 0.28 beds → one bed
    assert p.loc["hospital_beds", "amount"] == 123.0  # 22.493536 + 100.3 → 123
    assert p.loc["road_km", "amount"] == pytest.approx(0.19)  # 187.6 m
    assert p.loc["green_m2", "amount"] == 2482.0
    assert p["amount_unit_zh"].to_dict() == {
        "elderly_care_beds": "张",
        "hospital_beds": "张",
        "green_m2": "平方米",
        "road_km": "公里",
    }


def test_a_project_is_listed_in_the_block_its_site_lies_in(built: dict) -> None:
    p = built["projects"].set_index("project_id")
    hospital = p.loc["PJ-B-hospital_beds-low_efficiency_building"]  # R3 lies in B and serves A and B
    assert hospital["block_id"] == "B" and hospital["served_block_ids"] == "A,B"
    assert hospital["location"] == "回龙观街道乙街区（B）内"
    assert hospital["problem_ids"] == "PB-A-hospital_beds_gap,PB-ALL-hospital_beds_gap,PB-B-hospital_beds_gap"
    assert hospital["strategy_ids"] == "ST-B-convert_low_efficiency"
    assert sites_in_blocks(built["projects"], built["blocks"], tolerance_m=0.0).all()


def test_names_authorities_and_status(built: dict) -> None:
    p = built["projects"].set_index("project_id")
    assert p.loc["PJ-A-elderly_care_beds-idle_room", "name"] == "甲街区利用闲置用房补充养老服务设施（2处，1张床位）"
    assert (
        p.loc["PJ-B-hospital_beds-low_efficiency_building", "name"] == "乙街区利用低效楼宇补充医疗卫生设施（123张床位）"
    )
    assert p.loc["PJ-A-green_m2-attached_green", "name"] == "甲街区小区附属绿地提质（2,482平方米）"
    assert p.loc["PJ-road-r1", "name"] == "甲一路道路建设（0.19公里）"
    # district projects: 区政府 + the bureau; a hospital of ≥ 100 beds is the city's
    assert tuple(p.loc["PJ-A-elderly_care_beds-idle_room", ["authority", "unit"]]) == ("区政府", "区民政局")
    assert tuple(p.loc["PJ-B-hospital_beds-low_efficiency_building", ["authority", "unit"]]) == (
        "市卫生健康委",
        "市医院管理中心",
    )
    assert set(p["status"]) == {"registered"}


def test_repeated_road_names_say_their_block() -> None:
    f = _fixture()
    f["roads"] = gpd.GeoDataFrame(
        {"road_id": ["r1", "r2"], "name": ["甲一路", "甲一路"], "class": ["branch"] * 2, "status": ["planned"] * 2},
        geometry=[LineString([(10, 100), (190, 100)]), LineString([(210, 100), (390, 100)])],
        crs=4548,
    )
    placements, needs = _placements(f)
    names = build_project_list(placements, f["blocks"], f["strategies"], f["demands"], f["problems"], needs).set_index(
        "project_id"
    )["name"]
    assert names["PJ-road-r1"] == "甲一路（甲街区段）道路建设（0.18公里）"
    assert names["PJ-road-r2"] == "甲一路（乙街区段）道路建设（0.18公里）"
    assert names.is_unique


def test_priority_is_the_documented_score(built: dict) -> None:
    p = built["projects"].set_index("project_id")
    # elderly: severity mean(0.9, 0.7) = 0.8; demand 1 of A's 2 communities = 0.5; gap closed 0.28/0.28 = 1;
    # readiness mean(confirmed 1.0, candidate 0.6) = 0.8; ease 1 − 0.2 = 0.8
    assert p.loc["PJ-A-elderly_care_beds-idle_room", "priority_score"] == pytest.approx(
        100 * (0.45 * 0.8 + 0.2 * 0.5 + 0.15 * 1 + 0.1 * 0.8 + 0.1 * 0.8)
    )
    # hospital: severity mean(0.5, 0.6, 0.3); no demand; 122.79 of 222.49 closed; candidate 0.6; ease 0.5
    expected = 100 * (0.45 * 1.4 / 3 + 0.15 * 122.793536 / 222.493536 + 0.1 * 0.6 + 0.1 * 0.5)
    assert p.loc["PJ-B-hospital_beds-low_efficiency_building", "priority_score"] == pytest.approx(expected, abs=0.05)
    assert (
        p.loc["PJ-A-elderly_care_beds-idle_room", "priority_reason"]
        == "答复机构养老床位不足（严重程度0.80，全区第1）；1个社区提出养老需求；"
        "补足缺口100%；资源待确认（候选）；实施难度低"
    )
    assert p.loc["PJ-A-green_m2-attached_green", "priority_reason"].startswith(
        "不直接对应问题清单中的问题；所在社区未提出相关需求"
    )
    assert p.loc["PJ-A-elderly_care_beds-idle_room", "priority_reason_en"].startswith(
        "Answers Elderly-care beds short (severity 0.80, 1st in the area); 1 community asks for elderly care"
    )


def test_phases_guarantee_the_most_severe_domains() -> None:
    # Area problems answered, most severe first: u (0.9, domain d1), v (0.8, d1 again), w (0.7, d2),
    # x (0.6, d3), y (0.1, d4). The first three distinct domains are d1 (by u), d2 (by w) and d3 (by x):
    # the best 3 projects answering u, w and x go to 近期; d4 puts its best one there; P99 (d5)
    # answers no area problem. 12 projects: share 0.34 → 4, the guarantees need 7; the rest by score.
    rows = [
        ("P00", "d1", 50),
        ("P01", "d1", 40),
        ("P02", "d2", 50),
        ("P03", "d2", 40),
        ("P04", "d3", 50),
        ("P05", "d3", 40),
        *[(f"P1{i}", "d4", s) for i, s in enumerate((90, 89, 88, 87, 86))],
        ("P99", "d5", 95),
    ]
    frame = pd.DataFrame(rows, columns=["project_id", "domain", "priority_score"])
    answers = pd.DataFrame(
        [
            ("P00", "u", 0.9),
            ("P01", "u", 0.9),
            ("P00", "v", 0.8),
            ("P02", "w", 0.7),
            ("P03", "w", 0.7),
            ("P04", "x", 0.6),
            ("P05", "x", 0.6),
            *[(f"P1{i}", "y", 0.1) for i in range(5)],
        ],
        columns=["project_id", "rule_id", "severity"],
    )
    phase, year = assign_phases(frame, answers)
    assert phase.tolist() == ["近期"] * 7 + ["中期", "远期", "远期", "远期", "中期"]
    assert year.tolist() == [2027] * 7 + [2028, 2030, 2030, 2030, 2028]
    # without the area problems the score alone decides: the 4 best (P99, P10–P12) are 近期
    alone, _ = assign_phases(frame, answers.iloc[:0])
    assert sorted(frame.loc[alone == "近期", "project_id"]) == ["P10", "P11", "P12", "P99"]


def test_open_problems_become_tasks_naming_their_policies(built: dict) -> None:
    t = built["tasks"].set_index("id")
    open_rows = t[t["status"] == "open"]
    assert sorted(open_rows.index) == ["TK-ALL-待落实-job_housing_low", "TK-B-待落实-hospital_beds_gap"]
    hospital = open_rows.loc["TK-B-待落实-hospital_beds_gap"]
    assert hospital["open_amount"] == pytest.approx(200.0 - 100.3) and hospital["amount_unit"] == "hospital_beds"
    listed = built["policies"].set_index("catalogue_number")["number"]
    assert hospital["policy_numbers"] == f"{listed[2]},{listed[19]}"  # [unlock] hospital_beds_gap = 图6 2 and 19
    assert hospital["contents"].startswith(
        "医疗床位不足：缺口约100张待落实（已有项目补足101张）；其余部分现有资源无法承载，需出台政策"
    )
    assert "「要出台公共要素类街区更新项目的资金相关政策」" in hospital["contents"]
    # the 图7 rows: what each block's projects build
    assert (
        t.loc["TK-A-三大设施", "contents"] == "养老设施 2 处"
        and t.loc["TK-B-三大设施", "contents"] == "医疗卫生设施 1 处"
    )
    assert t.loc["TK-A-道路", "contents"] == "规划道路 1 条，共 0.19 公里"
    assert t.loc["TK-A-绿化", "land_area_ha"] == 0.25 and t.loc["TK-A-绿化", "contents"] == "低品质绿地提质 1 处"
    assert (
        t.loc["TK-A-三大设施", "status"] == "carried"
        and t.loc["TK-A-三大设施", "project_ids"] == "PJ-A-elderly_care_beds-idle_room"
    )


def test_policies_are_numbered_consecutively_and_name_who_needs_them(built: dict) -> None:
    p = built["policies"]
    assert p["number"].tolist() == list(range(1, len(p) + 1))
    assert p["catalogue_number"].tolist() == sorted(p["catalogue_number"])  # 图6 order
    by = p.set_index("catalogue_number")
    assert (
        by.loc[1, "strategy_ids"] == "ST-A-use_idle_rooms"
        and by.loc[1, "project_ids"] == "PJ-A-elderly_care_beds-idle_room"
    )
    assert (
        by.loc[19, "task_ids"] == "TK-B-待落实-hospital_beds_gap"
        and by.loc[18, "task_ids"] == "TK-ALL-待落实-job_housing_low"
    )


def test_coverage_table(built: dict) -> None:
    c = coverage_table(built["problems"], built["strategies"], built["tasks"], built["projects"]).set_index(
        "problem_id"
    )
    assert list(c.reset_index().columns) == list(COVERAGE_COLUMNS)
    assert list(c.index) == ["PB-ALL-elderly_care_beds_gap", "PB-ALL-hospital_beds_gap", "PB-ALL-job_housing_low"]
    elderly, hospital, jobs = (c.loc[i] for i in c.index)
    assert (elderly["status"], elderly["closed"], elderly["open"], elderly["project_count"]) == (
        "answered",
        "1张",
        "——",
        1,
    )
    assert elderly["strategy_codes"] == "【利用闲置】"
    assert (hospital["status_zh"], hospital["closed"], hospital["open"], hospital["unit"]) == (
        "部分待落实",
        "123张",
        "100张",
        "beds",
    )
    assert hospital["task_ids"] == "TK-B-待落实-hospital_beds_gap"
    assert (jobs["status"], jobs["open"], jobs["project_count"]) == ("open", "待落实（全区）", 0)


# ---------------------------------------------------------------------------- the sample district


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from blockcheck.pipeline import run

    result = run(SAMPLE, tmp_path_factory.mktemp("plan"))
    lists = result.lists
    blocks = gpd.read_file(SAMPLE, layer="blocks").set_index("block_id")
    return {
        "lists": lists,
        "blocks": blocks,
        "coverage": coverage_table(
            lists["problem_list"], lists["strategy_list"], lists["task_list"], lists["project_list"]
        ),
    }


def _project_severity(projects: pd.DataFrame, problems: pd.DataFrame) -> pd.Series:
    """Mean severity of the problem rows a project answers (0 when none)."""
    pairs = projects[["project_id"]].assign(id=projects["problem_ids"].fillna("").str.split(",")).explode("id")
    pairs = pairs.merge(problems[["id", "severity"]], on="id")
    return projects["project_id"].map(pairs.groupby("project_id")["severity"].mean()).fillna(0.0)


def test_sample_priority_follows_the_evidence(sample: dict) -> None:
    projects, problems = sample["lists"]["project_list"], sample["lists"]["problem_list"]
    rho = spearmanr(_project_severity(projects, problems), projects["priority_score"]).statistic
    assert rho > 0.5, rho
    near = projects[projects["phase"] == "近期"]
    # the domains of the three most severe area problems (through the projects answering them)
    area = problems[problems["scope"] == "ALL"].sort_values("severity", ascending=False)
    answering = projects[["domain"]].assign(id=projects["problem_ids"].fillna("").str.split(",")).explode("id")
    domain_of = answering.drop_duplicates("id").set_index("id")["domain"]
    severe = list(dict.fromkeys(area["id"].map(domain_of).dropna()))[:3]
    assert set(severe) <= set(near["domain"]) and near["domain"].nunique() >= 4, (severe, near["domain"].value_counts())
    assert (
        projects["priority_reason"].str.startswith(("答复", "不直接对应")).all()
        and projects["priority_reason_en"].notna().all()
    )


def test_sample_every_area_problem_is_answered(sample: dict) -> None:
    c = sample["coverage"].set_index("problem_id")
    assert (c["status"] != "unanswered").all(), c.loc[c["status"] == "unanswered", "problem"]
    tasks = sample["lists"]["task_list"].set_index("id")
    for rule in ("parking_gap", "bus_terminal_gap", "garbage_station_coverage_low", "substation_coverage_low"):
        row = c.loc[f"PB-ALL-{rule}"]
        assert row["project_count"] > 0 or pd.notna(row["task_ids"]), rule
        for task in (row["task_ids"] or "").split(","):
            if task:
                assert tasks.loc[task, "policy_numbers"] and "需出台政策" in tasks.loc[task, "contents"], task
    parking = c.loc["PB-ALL-parking_gap"]
    assert parking["closed_amount"] > 0 and parking["unit"] == "spaces"


def test_sample_projects_are_registrable(sample: dict) -> None:
    projects = sample["lists"]["project_list"]
    assert projects["name"].is_unique
    assert sites_in_blocks(projects, sample["blocks"], tolerance_m=0.0).all()
    whole = projects["amount_unit"].map(unit_of).isin(WHOLE_UNITS)
    assert (projects.loc[whole, "amount"] % 1 == 0).all() and (projects["amount"] > 0).all()
    assert projects["amount_unit_zh"].notna().all() and projects["strategy_ids"].notna().all()
    assert projects["authority"].nunique() > 1 and projects["unit"].nunique() >= 8
    hospitals = projects[projects["amount_unit"] == "hospital_beds"]
    assert (hospitals.loc[hospitals["amount"] >= 100, "authority"] == "市卫生健康委").all()
    points = shapely.point_on_surface(projects.geometry.to_numpy())
    assert not shapely.is_empty(points).any()


def test_sample_policies_numbered_and_linked(sample: dict) -> None:
    policies = sample["lists"]["policy_list"]
    assert policies["number"].tolist() == list(range(1, len(policies) + 1))
    assert (policies["strategy_ids"].notna() | policies["task_ids"].notna()).all()
