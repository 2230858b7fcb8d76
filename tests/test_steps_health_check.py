"""blockcheck run on the sample district: the workbook and the gaps the sample was built to show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from blockcheck.pipeline import run


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    from districts import ROOT

    out = tmp_path_factory.mktemp("run")
    return run(ROOT / "data" / "sample_blocks" / "sample_district.gpkg", out), out


def test_workbook_layers(sample_run) -> None:
    result, out = sample_run
    names = dict(pyogrio.list_layers(out / "workbook.gpkg"))
    assert names["block_metrics"] == "Polygon" or names["block_metrics"] == "MultiPolygon"
    assert {"area_metrics", "problem_list", "blockcheck_meta", "standards_used"} <= set(names)
    bm = pyogrio.read_dataframe(out / "workbook.gpkg", layer="block_metrics")
    assert len(bm) == 16 and bm["block_id"].is_unique
    area = pyogrio.read_dataframe(out / "workbook.gpkg", layer="area_metrics")
    assert area["block_id"].tolist() == ["ALL"]


def test_block_values_add_up_to_the_area(sample_run) -> None:
    result, _ = sample_run
    blocks, area = result.health.block_metrics, result.health.area_metrics.iloc[0]
    for column in (
        "population",
        "households",
        "road_length_km",
        "park_green_m2",
        "supply_elderly_care_beds",
        "jobs",
        "parking_supply_spaces",
    ):
        assert blocks[column].sum() == pytest.approx(area[column], rel=1e-9), column
    assert area["population"] == pytest.approx(476_814)
    for column in [c for c in blocks if c.endswith("_ratio")]:
        values = blocks[column].dropna()
        assert ((values >= 0) & (values <= 1 + 1e-9)).all() or column == "job_housing_ratio", column


def test_problem_list_names_the_sample_gaps(sample_run) -> None:
    result, _ = sample_run
    area = result.problem_list[result.problem_list["scope"] == "ALL"].set_index("metric_key")
    expected = {
        "road_density_km_per_km2": "路网密度低",
        "park_green_m2_per_capita": "人均公园绿地不足",
        "gap_elderly_care_beds": "机构养老床位不足",
        "gap_school_land_ha": "基础教育用地缺口",
        "job_housing_ratio": "职住比偏低",
        "parking_gap_spaces": "停车位缺口大",
    }
    for metric, problem in expected.items():
        assert area.loc[metric, "problem"] == problem
    assert area.loc["road_density_km_per_km2", "observed_value"] < 8
    assert area.loc["job_housing_ratio", "observed_value"] == pytest.approx(0.30, abs=0.01)
    assert "公顷" in area.loc["gap_school_land_ha", "situation"]
    assert set(result.problem_list["scope"]) - {"ALL"} <= set(result.health.block_metrics.index)


def test_cli_run_and_bad_input(tmp_path: Path) -> None:
    from districts import ROOT, tiny_layers, write_input

    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blockcheck.cli",
            "run",
            str(ROOT / "data/sample_blocks/sample_district.gpkg"),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "路网密度低" in proc.stdout and "Workbook:" in proc.stdout
    before = (out / "workbook.gpkg").read_bytes()
    layers = tiny_layers()
    layers["communities"]["population"] = [3000, -5]
    bad = write_input(tmp_path / "bad.gpkg", layers)
    proc = subprocess.run(
        [sys.executable, "-m", "blockcheck.cli", "run", str(bad), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert (
        "Traceback" not in proc.stdout + proc.stderr
        and "negative" in (proc.stdout + proc.stderr).lower()
        or "below 0" in proc.stderr
    )
    assert (out / "workbook.gpkg").read_bytes() == before


from hypothesis import given, settings  # noqa: E402 - imported here, next to the tests that use it
from hypothesis import strategies as st  # noqa: E402 - imported here, next to the tests that use it


@settings(max_examples=8, deadline=None)
@given(dx=st.floats(-50_000, 50_000), dy=st.floats(-50_000, 50_000))
def test_translating_all_layers_changes_nothing(dx: float, dy: float) -> None:
    from blockcheck.standards import load_standards
    from blockcheck.steps.health_check import health_check
    from districts import tiny_layers

    std = load_standards("beijing")
    layers = tiny_layers()
    moved = {name: gdf.set_geometry(gdf.translate(dx, dy)) for name, gdf in tiny_layers().items()}
    a = health_check(layers, std).block_metrics.drop(columns="geometry")
    b = health_check(moved, std).block_metrics.drop(columns="geometry")
    numeric = a.select_dtypes("number").columns
    assert len(numeric) > 50
    assert b[numeric].to_numpy() == pytest.approx(a[numeric].to_numpy(), abs=1e-6, nan_ok=True)


def test_sample_problem_rows_quote_grade_c_values_as_reference_values(sample_run) -> None:
    result, _ = sample_run
    rows = result.problem_list
    graded_c = rows[rows["grade"] == "C"]
    assert len(graded_c) > 0
    assert not graded_c["situation"].str.contains("标准").any()
    assert graded_c["situation"].str.contains("参考值（待核实）").all()
    assert rows.loc[rows["grade"].isin(["A", "B"]), "situation"].str.contains("标准").all()
    # the sample is complete: every figure measured, no data gap
    assert set(rows["data_status"]) == {"measured"}


def test_sample_bus_terminal_requirement_is_apportioned(sample_run) -> None:
    result, _ = sample_run
    blocks = result.health.block_metrics["required_bus_terminal_count"]
    area = result.health.area_metrics.iloc[0]["required_bus_terminal_count"]
    assert area == round(area) and abs(blocks.sum() - area) <= 1
    rows = result.problem_list[result.problem_list["rule_id"] == "bus_terminal_gap"].set_index("scope")
    judged = result.health.block_metrics.loc[[s for s in rows.index if s != "ALL"]]
    assert ((judged["required_bus_terminal_count"] >= 1) | (judged["bus_terminal_within_reach"] < 1)).all()


# ------------------------------------------------ supply across block edges, parking rate (issue 19.5)


def _assessed(tmp_path: Path, overrides: str = "", layers=None):
    from blockcheck.lists.problems import build_problem_list
    from blockcheck.standards import load_standards
    from blockcheck.steps.health_check import assess
    from districts import tiny_layers

    path = tmp_path / "overrides.toml"
    path.write_text(overrides, encoding="utf-8")
    std = load_standards("beijing", overrides=path)
    assessment = assess(layers or tiny_layers(), std)
    problems = build_problem_list(
        assessment.health.block_metrics.drop(columns="geometry"), assessment.health.area_metrics, std
    )
    return assessment, problems


def test_parking_need_uses_the_existing_fabric_rate_when_the_profile_gives_one(tmp_path: Path) -> None:
    new, new_problems = _assessed(tmp_path)
    blocks = new.health.block_metrics
    assert blocks["parking_rate"].eq("parking.spaces_per_household").all()  # national profile: no existing rate
    assert blocks.loc["CP02-0102", "parking_required_spaces"] == 770.0  # 770 households × 1
    existing, problems = _assessed(
        tmp_path,
        '[parking.spaces_per_household_existing]\nvalue = 0.5\nsource = "a district rule"\ngrade = "C"\n',
    )
    blocks = existing.health.block_metrics
    assert blocks["parking_rate"].eq("parking.spaces_per_household_existing").all()
    assert existing.health.area_metrics.iloc[0]["parking_rate"] == "parking.spaces_per_household_existing"
    assert blocks.loc["CP02-0102", "parking_required_spaces"] == 385.0
    assert blocks.loc["CP02-0102", "parking_gap_spaces"] == 265.0  # 385 − 120
    row = problems[(problems["rule_id"] == "parking_gap") & (problems["scope"] == "CP02-0102")].iloc[0]
    assert row["standard_ref"] == "parking.spaces_per_household_existing: a district rule"
    assert "每户0.5个车位" in row["situation"] and row["threshold_term"] == "参考值（待核实）"
    old = new_problems[(new_problems["rule_id"] == "parking_gap") & (new_problems["scope"] == "CP02-0102")].iloc[0]
    assert old["standard_ref"].startswith("parking.spaces_per_household: ") and "每户1个车位" in old["situation"]


def test_provision_rule_catchment_counts_a_neighbours_kindergarten(tmp_path: Path) -> None:
    # the kindergarten (180 seats) stands in CP02-0101, 50 m from CP02-0102 (radius 300 m)
    in_block, _ = _assessed(tmp_path)
    blocks = in_block.health.block_metrics
    assert blocks["provision_rule"].eq("in_block").all()
    assert blocks["supply_kindergarten_seats"].tolist() == [180.0, 0.0]
    shared, _ = _assessed(tmp_path, 'provision.supply_rule = "catchment"\n')
    blocks, area = shared.health.block_metrics, shared.health.area_metrics.iloc[0]
    assert blocks["provision_rule"].eq("catchment").all() and area["provision_rule"] == "catchment"
    # shared by residents reached: 3,000 : 2,000
    assert blocks["supply_kindergarten_seats"].tolist() == pytest.approx([108.0, 72.0])
    assert area["supply_kindergarten_seats"] == in_block.health.area_metrics.iloc[0]["supply_kindergarten_seats"]
    status = shared.metric_status
    assert not (status["metric_key"] == "provision_rule").any()  # a rule, not a metric


def test_catchment_rule_a_kindergarten_without_seats_leaves_the_blocks_it_reaches_without_data(tmp_path) -> None:
    import numpy as np

    from districts import tiny_layers

    layers = tiny_layers()
    layers["facilities"] = layers["facilities"].assign(
        seats=[np.nan, np.nan], floor_area_m2=[np.nan, 3000.0]
    )  # F1 kindergarten: no seats, no floor area
    shared, _ = _assessed(tmp_path, 'provision.supply_rule = "catchment"\n', layers)
    blocks = shared.health.block_metrics
    assert blocks["supply_kindergarten_seats"].isna().all()  # its catchment reaches both blocks
    gaps = set(shared.data_gaps["id"])
    assert {"DG-CP02-0101-facilities-kindergarten-seats", "DG-CP02-0102-facilities-kindergarten-seats"} <= gaps
    in_block, _ = _assessed(tmp_path, "", dict(layers))
    assert in_block.health.block_metrics["supply_kindergarten_seats"].isna().tolist() == [True, False]


def test_run_writes_the_validation_text_with_the_notes_of_step_1(tmp_path: Path) -> None:
    import pandas as pd

    from blockcheck.io import write_gpkg
    from blockcheck.pipeline import check_input, write_checked_input
    from districts import _l, tiny_layers

    layers = tiny_layers()
    roads = layers["roads"]
    piece = roads.iloc[[0]].assign(road_id="R9", name="宅前小路", geometry=[_l((110, 145), (150, 145))])
    layers["roads"] = pd.concat([roads, piece], ignore_index=True)  # a 40 m fragment
    path = write_gpkg(tmp_path / "input.gpkg", layers)
    out = tmp_path / "out"
    write_checked_input(check_input(path), out)  # validate --out first, as scripts/run_sample.sh does
    assert "walk_network_fragments" not in (out / "validation_report.txt").read_text(encoding="utf-8")
    run(path, out, until="health")
    text = (out / "validation_report.txt").read_text(encoding="utf-8")
    report = pyogrio.read_dataframe(out / "workbook.gpkg", layer="validation_report")
    (note,) = report.loc[report["code"] == "walk_network_fragments", "message"]
    assert note.startswith("1 isolated piece(s) of the walking network, 40 m in all") and note in text
    assert text.startswith(f"Validation of {path}") and "Completeness of the input" in text


def test_health_check_unions_the_parks_once_for_every_park_metric(monkeypatch) -> None:
    import blockcheck.metrics.accessibility
    import blockcheck.metrics.stock
    import blockcheck.steps.health_check
    import blockcheck.steps.walk_notes
    from blockcheck.standards import load_standards
    from blockcheck.steps.health_check import health_check
    from districts import tiny_layers

    std = load_standards("beijing")
    layers = tiny_layers()
    assert (layers["green"]["kind"] == "park").any() and "roads" in layers
    calls = []
    union = blockcheck.metrics.stock.park_polygons

    def counted(green):
        calls.append(len(green))
        return union(green)

    for module in (
        blockcheck.steps.health_check,
        blockcheck.metrics.stock,
        blockcheck.metrics.accessibility,
        blockcheck.steps.walk_notes,
    ):
        monkeypatch.setattr(module, "park_polygons", counted)
    result = health_check(layers, std)
    # park green of the blocks and of the whole area, park coverage by line and by walk, the entry table
    assert calls == [len(layers["green"])]
    assert result.block_metrics["park_green_m2"].sum() > 0
    assert result.area_metrics.loc["ALL", "park_green_m2"] == pytest.approx(result.block_metrics["park_green_m2"].sum())
    assert (result.entries["layer"] == "green").any()
