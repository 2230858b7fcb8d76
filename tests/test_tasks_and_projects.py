"""Amounts of the task and project lists (whole facilities, sensible precision) on a hand-checkable fixture.

Block A (200 m square) with two idle rooms R1, R2 allocated to its elderly-care gap
(0.2 + 0.08 = 0.28 beds) and a low-efficiency building R3 to its hospital-bed gap
(22.493536 beds); an unbuilt branch road of 187.6 m and a low-quality green space of
2,482.43 m² (【绿化提质】 proposed).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from blockcheck.lists.amounts import format_amount, unit_of, whole_units
from blockcheck.lists.tasks_and_projects import build_project_list, build_task_list


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


def test_format_amount() -> None:
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


def _fixture() -> dict:
    blocks = gpd.GeoDataFrame({"block_id": ["A"], "name": ["甲"], "subdistrict": ["回龙观街道"]}, geometry=[box(0, 0, 200, 200)], crs=4548).set_index("block_id", drop=False)
    blocks.index.name = "block_id"
    resources = gpd.GeoDataFrame(
        {
            "resource_id": ["R1", "R2", "R3", "G1"],
            "block_id": ["A"] * 4,
            "category": ["idle_room", "idle_room", "low_efficiency_building", "low_quality_space"],
            "status": ["confirmed", "candidate", "candidate", "candidate"],
            "land_area_m2": [np.nan, np.nan, np.nan, 2482.43],
            "family": ["building", "building", "building", "land"],
        },
        geometry=[box(10, 10, 20, 20), box(30, 10, 40, 20), box(50, 50, 80, 80), box(100, 100, 150, 150)],
        crs=4548,
    )
    allocation = pd.DataFrame(
        {"resource_id": ["R1", "R2", "R3"], "block_id": ["A"] * 3, "provision_key": ["elderly_care_beds", "elderly_care_beds", "hospital_beds"],
         "amount": [0.2, 0.08, 22.493536]}
    )
    strategies = pd.DataFrame({"block_id": ["A"], "strategy_key": ["upgrade_green"], "code": ["【绿化提质】"], "problem_ids": [""]})
    gaps = pd.DataFrame({"gap_elderly_care_beds": [0.28], "gap_hospital_beds": [22.493536]}, index=blocks.index)
    roads = gpd.GeoDataFrame({"road_id": ["r1"], "name": ["甲一路"], "class": ["branch"], "status": ["planned"], "width_m": [15.0]},
                             geometry=[LineString([(10, 100), (197.6, 100)])], crs=4548)
    return {"blocks": blocks, "resources": resources, "allocation": allocation, "strategies": strategies, "gaps": gaps, "roads": roads}


def test_projects_carry_whole_facilities() -> None:
    f = _fixture()
    projects = build_project_list(f["blocks"], f["allocation"], f["resources"], f["strategies"], pd.DataFrame(), f["gaps"], f["roads"])
    amount = projects.set_index("amount_unit")["amount"]
    assert amount["elderly_care_beds"] == 1.0  # 0.28 beds → one bed
    assert amount["hospital_beds"] == 23.0  # 22.493536 → 23
    assert amount["road_km"] == pytest.approx(0.19)  # 187.6 m
    assert amount["green_m2"] == 2482.0


def test_task_texts_use_the_amount_helper() -> None:
    f = _fixture()
    tasks = build_task_list(f["blocks"], f["allocation"], f["resources"], f["strategies"], f["roads"]).set_index("task_type")
    assert tasks.loc["道路", "contents"] == "规划道路 1 条，共 0.19 公里"
    assert tasks.loc["绿化", "land_area_ha"] == 0.25  # 2,482.43 m²
    assert tasks.loc["三大设施", "contents"] == "养老设施 2 处，医疗卫生设施 1 处"  # sites: the two idle rooms, the building
