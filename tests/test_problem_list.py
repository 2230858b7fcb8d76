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
    area = pd.DataFrame({"road_density_km_per_km2": [7.0]}, index=pd.Index(["ALL"], name="block_id"))
    return blocks, area


def test_rows_texts_and_severity() -> None:
    blocks, area = _metrics()
    table = build_problem_list(blocks, area, load_standards("beijing"))
    assert list(table.columns) == list_table("problem_list").columns
    assert table["scope"].tolist() == ["ALL", "CP02-0101", "CP02-0101", "CP02-0101", "CP02-0101"]
    first = table[table["scope"] == "CP02-0101"].set_index("metric_key")
    assert first.loc["road_density_km_per_km2", "situation"] == "路网密度6.6公里/平方公里（标准≥8）"
    assert first.loc["road_density_km_per_km2", "severity"] == pytest.approx((8 - 6.6) / 8)
    assert first.loc["road_density_km_per_km2", "type"] == "交通出行"
    assert first.loc["road_density_km_per_km2", "grade"] == "A"
    assert "GB 50180-2018" in first.loc["road_density_km_per_km2", "standard_ref"]
    assert first.loc["gap_elderly_care_beds", "situation"] == "机构养老床位缺口约640张（千人指标9.5张）"
    assert first.loc["gap_elderly_care_beds", "severity"] == pytest.approx(0.8)
    assert first.loc["job_housing_ratio", "situation"] == "职住比0.25（参照0.53）"
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
