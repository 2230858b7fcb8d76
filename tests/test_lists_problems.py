"""The problem list (图1) from metric tables: rules, texts, severity, schema."""

from __future__ import annotations

import pandas as pd
import pytest

from blockcheck.lists.problems import build_problem_list, problem_rules
from blockcheck.lists.schema import list_table
from blockcheck.standards import load_standards


def _metrics() -> tuple[pd.DataFrame, pd.DataFrame]:
    blocks = pd.DataFrame(
        {
            "road_density_km_per_km2": [6.6, 9.0],
            "park_green_m2_per_capita": [2.2, 20.0],
            "gap_elderly_care_beds": [640.0, 0.0],
            "required_elderly_care_beds": [800.0, 100.0],
            "job_housing_ratio": [0.25, 0.9],
        },
        index=pd.Index(["CP02-0101", "CP02-0102"], name="block_id"),
    )
    area = pd.DataFrame(
        {"road_density_km_per_km2": [7.0], "job_housing_ratio": [0.3]}, index=pd.Index(["ALL"], name="block_id")
    )
    return blocks, area


def test_rows_texts_and_severity() -> None:
    blocks, area = _metrics()
    table = build_problem_list(blocks, area, load_standards("beijing"))
    assert list(table.columns) == list_table("problem_list").columns
    # job–housing is judged for the whole area only (scope = "area"): no block row for 0.25
    assert table["scope"].tolist() == ["ALL", "ALL", "CP02-0101", "CP02-0101", "CP02-0101"]
    first = table[table["scope"] == "CP02-0101"].set_index("metric_key")
    assert first.loc["road_density_km_per_km2", "situation"] == "路网密度6.6公里/平方公里（标准≥8）"
    assert first.loc["road_density_km_per_km2", "severity"] == pytest.approx((8 - 6.6) / 8)
    assert first.loc["road_density_km_per_km2", "type"] == "交通出行"
    assert first.loc["road_density_km_per_km2", "grade"] == "A"
    assert "GB 50180-2018" in first.loc["road_density_km_per_km2", "standard_ref"]
    # grade C (not verified): a reference value, never "标准"
    assert first.loc["gap_elderly_care_beds", "situation"] == "机构养老床位缺口约640张（参考值（待核实）：每千人9.5张）"
    assert first.loc["gap_elderly_care_beds", "severity"] == pytest.approx(0.8)
    assert first.loc["gap_elderly_care_beds", "data_status"] == "measured"
    area_rows = table[table["scope"] == "ALL"].set_index("metric_key")
    assert area_rows.loc["job_housing_ratio", "situation"] == "职住比0.30（参考值（待核实）0.53）"
    assert first.loc["park_green_m2_per_capita", "problem"] == "人均公园绿地不足"
    assert table["id"].is_unique


def test_healthy_block_has_no_rows_and_missing_metrics_are_skipped() -> None:
    blocks, area = _metrics()
    table = build_problem_list(blocks, area, load_standards("beijing"))
    assert "CP02-0102" not in set(table["scope"])
    assert not (table["metric_key"] == "parking_gap_spaces").any()


def test_rules_reference_known_standards_and_types() -> None:
    std = load_standards("national")
    allowed = {f for f in list_table("problem_list").fields if f.name == "type"}.pop().values
    for rule in problem_rules():
        assert rule.type in allowed
        if rule.standard_key:
            std.entry(rule.standard_key)


def test_no_row_quoting_a_grade_c_value_says_standard() -> None:
    blocks, area = _metrics()
    table = build_problem_list(blocks, area, load_standards("beijing"))
    graded_c = table[table["grade"] == "C"]
    assert len(graded_c) >= 2
    assert not graded_c["situation"].str.contains("标准").any()
    assert graded_c["situation"].str.contains("参考值（待核实）").all()


def test_whole_unit_rule_judges_a_block_only_where_its_share_is_a_unit_or_none_is_in_reach() -> None:
    blocks = pd.DataFrame(
        {
            "gap_bus_terminal_count": [0.4, 0.4, 1.2],
            "required_bus_terminal_count": [0.4, 0.4, 1.2],
            "bus_terminal_within_reach": [1.0, 0.0, 1.0],
        },
        index=pd.Index(["A", "B", "C"], name="block_id"),
    )
    area = pd.DataFrame(
        {"gap_bus_terminal_count": [2.0], "required_bus_terminal_count": [2.0]},
        index=pd.Index(["ALL"], name="block_id"),
    )
    table = build_problem_list(blocks, area, load_standards("beijing"))
    rows = table[table["rule_id"] == "bus_terminal_gap"].set_index("scope")
    assert list(rows.index) == ["ALL", "B", "C"]  # A: a fraction of a terminal, one within reach
    assert rows.loc["B", "situation"].startswith("公交首末站缺口0.4处")
    assert rows.loc["ALL", "situation"].startswith("公交首末站缺口2处")


def test_null_metric_raises_no_row() -> None:
    blocks, area = _metrics()
    blocks.loc["CP02-0101", "gap_elderly_care_beds"] = float("nan")
    table = build_problem_list(blocks, area, load_standards("beijing"))
    assert not ((table["scope"] == "CP02-0101") & (table["metric_key"] == "gap_elderly_care_beds")).any()
