"""Missing data is never a finding: completeness, estimates, null metrics, metric_status and data_gaps.

The tiny district (tests/districts.py) has a kindergarten and an elderly-care home
but no hospital, bus stop, garbage station or substation: those are data gaps.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from blockcheck.cli import cli
from blockcheck.errors import MappingError
from blockcheck.inputs.completeness import completeness_table, estimate_capacities
from blockcheck.inputs.field_mapping import Mapping, load_mapping
from blockcheck.lists.problems import build_problem_list
from blockcheck.standards import load_standards
from blockcheck.steps.health_check import assess
from districts import X0, Y0, tiny_layers, write_input

STD = load_standards("beijing")


def _run(layers: dict, mapping: Mapping | None = None):
    assessment = assess(layers, STD, mapping=mapping)
    problems = build_problem_list(
        assessment.health.block_metrics.drop(columns="geometry"),
        assessment.health.area_metrics,
        STD,
        metric_status=assessment.metric_status,
    )
    return assessment, problems


def test_absent_category_is_a_data_gap_not_a_problem() -> None:
    assessment, problems = _run(tiny_layers())
    area = assessment.health.area_metrics.iloc[0]
    # no garbage station in the input: coverage unknown (null), not 0 %
    assert math.isnan(area["garbage_station_coverage_ratio"])
    assert assessment.health.block_metrics["garbage_station_coverage_ratio"].isna().all()
    assert "garbage_station_coverage_low" not in set(problems["rule_id"])
    gaps = assessment.data_gaps.set_index("id")
    row = gaps.loc["DG-ALL-facilities-garbage_station"]
    assert row["coverage"] == "absent" and "garbage_station_coverage_low" in row["rules"]
    assert "垃圾分类收集站覆盖不足" in row["effect"] and "[completeness] absent" in row["how_to_fix"]
    status = assessment.metric_status.set_index(["scope", "metric_key"])["status"]
    assert status[("ALL", "garbage_station_coverage_ratio")] == "no_data"
    assert status[("CP02-0101", "garbage_station_coverage_ratio")] == "no_data"
    assert status[("ALL", "road_density_km_per_km2")] == "measured"


def test_category_declared_absent_is_measured_and_the_problem_stands(tmp_path: Path) -> None:
    mapping_file = tmp_path / "m.toml"
    mapping_file.write_text('[completeness]\nabsent = ["facilities.garbage_station"]\n', encoding="utf-8")
    assessment, problems = _run(tiny_layers(), load_mapping(mapping_file))
    assert assessment.health.area_metrics.iloc[0]["garbage_station_coverage_ratio"] == 0.0
    fired = problems[problems["rule_id"] == "garbage_station_coverage_low"]
    assert set(fired["scope"]) == {"ALL", "CP02-0101", "CP02-0102"}
    assert (fired["data_status"] == "measured").all()
    assert not assessment.data_gaps["id"].str.contains("garbage_station").any()


def test_layer_declared_complete_makes_missing_categories_absent(tmp_path: Path) -> None:
    mapping_file = tmp_path / "m.toml"
    mapping_file.write_text('[completeness]\ncomplete = ["facilities"]\n', encoding="utf-8")
    assessment, _ = _run(tiny_layers(), load_mapping(mapping_file))
    assert not assessment.data_gaps["layer"].eq("facilities").any()
    assert assessment.health.area_metrics.iloc[0]["substation_coverage_ratio"] == 0.0


def test_mapping_completeness_errors_are_listed_together(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[completeness]\nabsent = ["blocks", "facilities.garbage_stn", "parkng"]\ncomplet = []\n', encoding="utf-8"
    )
    with pytest.raises(MappingError) as err:
        load_mapping(bad)
    text = str(err.value)
    assert (
        "4 problem(s)" in text
        and "required layer" in text
        and "garbage_station" in text
        and "parking" in text
        and "complet" in text
    )


def test_capacity_unknown_nulls_only_the_blocks_holding_it() -> None:
    layers = tiny_layers()
    fac = layers["facilities"]
    # a hospital without beds or floor area in block 0102; none in 0101
    hospital = fac.iloc[[0]].assign(
        facility_id="F3",
        name="医院",
        category="hospital",
        beds=np.nan,
        seats=np.nan,
        floor_area_m2=np.nan,
        land_area_m2=np.nan,
        geometry=[Point(X0 + 300, Y0 + 100)],
    )
    layers["facilities"] = pd.concat([fac, hospital], ignore_index=True)
    assessment, problems = _run(layers)
    blocks = assessment.health.block_metrics
    assert math.isnan(blocks.loc["CP02-0102", "supply_hospital_beds"]) and math.isnan(
        blocks.loc["CP02-0102", "gap_hospital_beds"]
    )
    assert blocks.loc["CP02-0101", "supply_hospital_beds"] == 0.0  # no hospital there: measured none
    assert blocks.loc["CP02-0101", "gap_hospital_beds"] == pytest.approx(3000 / 1000 * 7.0)
    assert math.isnan(assessment.health.area_metrics.iloc[0]["gap_hospital_beds"])
    beds = problems[problems["rule_id"] == "hospital_beds_gap"]
    assert beds["scope"].tolist() == ["CP02-0101"]
    ids = set(assessment.data_gaps["id"])
    assert {"DG-ALL-facilities-hospital-beds", "DG-CP02-0102-facilities-hospital-beds"} <= ids


def test_capacity_estimated_from_floor_area_is_marked_estimated() -> None:
    layers = tiny_layers()
    fac = layers["facilities"]
    # the elderly-care home states its floor area but not its beds: beds = 1000 m² ÷ m² per bed
    layers["facilities"] = fac.assign(beds=[np.nan, np.nan], floor_area_m2=[2200.0, 1000.0])
    filled, status = estimate_capacities(layers["facilities"], buildings=layers["buildings"], standards=STD)
    per_bed = float(STD["conversion.floor_m2_per_elderly_care_bed"])
    assert filled.loc[1, "beds"] == pytest.approx(1000.0 / per_bed)
    assert status.loc[1, "beds"] == "estimated" and status.loc[0, "seats"] == "measured"
    assessment, problems = _run(layers)
    ms = assessment.metric_status.set_index(["scope", "metric_key"])
    assert ms.loc[("CP02-0102", "supply_elderly_care_beds"), "status"] == "estimated"
    assert ms.loc[("ALL", "gap_elderly_care_beds"), "status"] == "estimated"
    assert "估算" in ms.loc[("ALL", "gap_elderly_care_beds"), "note"]
    rows = problems[problems["rule_id"] == "elderly_care_beds_gap"].set_index("scope")
    assert rows.loc["ALL", "data_status"] == "estimated"
    assert rows.loc["CP02-0101", "data_status"] == "measured"  # no facility there: none measured


def test_floor_area_estimated_from_the_buildings_on_the_site() -> None:
    layers = tiny_layers()
    fac = layers["facilities"]
    culture = fac.iloc[[1]].assign(
        facility_id="F4",
        category="culture",
        beds=np.nan,
        floor_area_m2=np.nan,
        geometry=[box(X0 + 290, Y0 + 110, X0 + 380, Y0 + 190)],
    )  # holds B2 (60×20, 18 floors) and B3 (50×30, 10 floors)
    layers["facilities"] = pd.concat([fac, culture], ignore_index=True)
    filled, status = estimate_capacities(layers["facilities"], buildings=layers["buildings"], standards=STD)
    assert filled.loc[2, "floor_area_m2"] == pytest.approx(60 * 20 * 18 + 50 * 30 * 10)
    assert status.loc[2, "floor_area_m2"] == "estimated"


def test_jobs_unknown_means_no_job_housing_row() -> None:
    layers = tiny_layers()
    layers["buildings"] = layers["buildings"].assign(employees=np.nan)
    assessment, problems = _run(layers)
    assert assessment.health.area_metrics["job_housing_ratio"].isna().all()
    assert assessment.health.block_metrics["jobs"].isna().all()
    assert "job_housing_low" not in set(problems["rule_id"])
    row = assessment.data_gaps.set_index("id").loc["DG-ALL-buildings-employees"]
    assert row["coverage"] == "none" and "job_housing_low" in row["rules"] and "职住比偏低" in row["effect"]


def test_partly_filled_building_field_nulls_the_blocks_concerned() -> None:
    layers = tiny_layers()
    layers["buildings"] = layers["buildings"].assign(
        year_built=[1995.0, np.nan, 2010.0, 1990.0]
    )  # B2 (block 0102) unknown
    assessment, _ = _run(layers)
    blocks = assessment.health.block_metrics
    assert math.isnan(blocks.loc["CP02-0102", "old_residential_buildings_count"])
    assert blocks.loc["CP02-0101", "old_residential_buildings_count"] == 1
    table = completeness_table(layers, Mapping(), STD).set_index(["layer", "field"])
    assert table.loc[("buildings", "year_built"), "coverage"] == "some"
    assert (
        table.loc[("buildings", "year_built"), "present"] == 1 and table.loc[("buildings", "year_built"), "total"] == 2
    )


def test_no_green_layer_is_no_data_not_zero_park_green() -> None:
    layers = tiny_layers()
    del layers["green"]
    assessment, problems = _run(layers)
    assert assessment.health.area_metrics[["park_green_m2", "park_green_m2_per_capita"]].isna().all(axis=None)
    assert not problems["rule_id"].isin(["park_green_per_capita_low", "park_coverage_low"]).any()
    assert "DG-ALL-green" in set(assessment.data_gaps["id"])


def test_validate_prints_and_writes_the_completeness_table(tmp_path: Path) -> None:
    path = write_input(tmp_path / "in.gpkg", tiny_layers())
    result = CliRunner().invoke(cli, ["validate", str(path), "--out", str(tmp_path / "checked")])
    assert result.exit_code == 0, result.output
    assert "Completeness of the input" in result.output
    assert "ABSENT" in result.output and "facilities.garbage_station" in result.output
    table = pyogrio.read_dataframe(tmp_path / "checked" / "input_checked.gpkg", layer="input_completeness")
    assert set(table["coverage"]) >= {"all", "absent"}
    assert "Completeness of the input" in (tmp_path / "checked" / "validation_report.txt").read_text("utf-8")


def test_run_writes_data_gaps_metric_status_and_the_excel_sheet(tmp_path: Path) -> None:
    from blockcheck.pipeline import run

    path = write_input(tmp_path / "in.gpkg", tiny_layers())
    result = run(path, tmp_path / "out", until="health")
    names = {n for n, _ in pyogrio.list_layers(tmp_path / "out" / "workbook.gpkg")}
    assert {"data_gaps", "metric_status", "input_completeness"} <= names
    gaps = pyogrio.read_dataframe(tmp_path / "out" / "workbook.gpkg", layer="data_gaps")
    assert "DG-ALL-facilities-substation" in set(gaps["id"])
    assert set(result.problem_list["data_status"]) <= {"measured", "estimated"}


def test_car_park_without_capacity_is_a_data_gap_not_zero_spaces() -> None:
    layers = tiny_layers()
    parking = layers["parking"]
    unknown = parking.assign(parking_id="K2", name="小区停车场", spaces=None, access="private")
    layers["parking"] = pd.concat([parking, unknown], ignore_index=True)  # both in CP02-0102
    assessment, problems = _run(layers)
    blocks = assessment.health.block_metrics
    for metric in ("parking_supply_spaces", "parking_public_spaces", "parking_gap_spaces"):  # the block's figures
        assert math.isnan(blocks.loc["CP02-0102", metric])
        assert math.isnan(assessment.health.area_metrics.iloc[0][metric])
    assert blocks.loc["CP02-0102", "parking_required_spaces"] == 770.0  # the need is known
    assert blocks.loc["CP02-0101", "parking_supply_spaces"] == 0.0  # no car park there: measured none
    assert not (problems["rule_id"].eq("parking_gap") & problems["scope"].eq("CP02-0102")).any()
    gaps = assessment.data_gaps.set_index("id")
    row = gaps.loc["DG-CP02-0102-parking-spaces"]
    assert "1个停车设施要素" not in row["detail"] and "2个停车设施要素中1个缺少泊位数" in row["detail"]
    assert "不按0个计" in row["how_to_fix"] and "DG-ALL-parking-spaces" in gaps.index
    assert "DG-CP02-0101-parking-spaces" not in gaps.index
    status = assessment.metric_status.set_index(["scope", "metric_key"])["status"]
    assert status[("CP02-0102", "parking_gap_spaces")] == "no_data"
    assert status[("ALL", "parking_supply_spaces")] == "no_data"
    assert ("CP02-0101", "parking_gap_spaces") not in status.index  # measured


def test_walking_metrics_carry_a_note_where_a_fragment_moved_residents() -> None:
    from districts import _l

    layers = tiny_layers()
    roads = layers["roads"]
    # a 40 m built piece 10 m above the residential building of CP02-0101, joined to nothing: a fragment
    piece = roads.iloc[[0]].assign(road_id="R9", name="宅前小路", geometry=[_l((110, 145), (150, 145))])
    layers["roads"] = pd.concat([roads, piece], ignore_index=True)
    assessment, _ = _run(layers)
    fragments = assessment.health.fragments
    assert len(fragments) == 1 and fragments["length_m"].iloc[0] == pytest.approx(40.0)
    moved = assessment.health.fragment_moved.set_index("key")
    points, persons = int(moved.loc["CP02-0101", "points"]), float(moved.loc["CP02-0101", "population"])
    assert points == int(fragments["residents"].sum()) >= 1
    assert persons == pytest.approx(fragments["population"].sum()) and persons > 0
    status = assessment.metric_status.set_index(["scope", "metric_key"])
    area = status.loc[("ALL", "life_circle_15min_kindergarten_ratio")]
    assert area["status"] == "measured"
    assert area["note"].startswith("步行网络有1处孤立片段（共40米，见验证报告walk_network_fragments）")
    assert f"{points}个居民点（{persons:,.0f}人）" in area["note"]
    assert area["note_en"].startswith("1 isolated piece(s) of the walking network (40 m;")
    block = status.loc[("CP02-0101", "kindergarten_coverage_300m_walk_ratio")]
    assert block["status"] == "measured" and block["note"].startswith(f"本街区{points}个居民点")
    # a walking metric already without data keeps its verdict and its data-gap note, the fragment appended
    hospital = status.loc[("CP02-0101", "life_circle_15min_hospital_ratio")]
    assert hospital["status"] == "no_data" and hospital["note"].endswith("按最近的连通道路计算")
    assert hospital["gap_id"] == "DG-ALL-facilities-hospital" and "；本街区" in hospital["note"]
    assert ("CP02-0102", "kindergarten_coverage_300m_walk_ratio") not in status.index  # nothing moved there
    assert not status.loc[("ALL", "road_density_km_per_km2"), "note"]  # not a walking metric
    assert assessment.metric_status["id"].is_unique


def test_no_fragment_no_note() -> None:
    assessment, _ = _run(tiny_layers())
    assert not len(assessment.health.fragments)
    assert not assessment.metric_status["note"].str.contains("孤立片段").any()
