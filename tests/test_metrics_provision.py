"""Facility provision (千人指标) on a hand-checkable fixture.

Blocks A and B (200 m squares). Population A 3,000 (450 elderly), B 2,000 (300 elderly).
Facilities: in A a kindergarten (180 seats) and an elderly home (50 beds, polygon 50 × 40 m
without a stated land area); in B a primary school (land 6,000 m²) and a bus terminal.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from blockcheck.metrics.provision import facility_provision, facility_within_reach, provision_specs
from blockcheck.standards import load_standards


def _blocks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"block_id": ["A", "B"]}, geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)], crs=4548
    ).set_index("block_id")


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "category": ["kindergarten", "elderly_care", "primary_school", "bus_terminal"],
            "seats": [180.0, None, None, None],
            "beds": [None, 50.0, None, None],
            "land_area_m2": [None, None, 6000.0, None],
            "floor_area_m2": [None, None, None, None],
        },
        geometry=[Point(50, 50), box(100, 100, 150, 140), Point(300, 100), Point(350, 150)],
        crs=4548,
    )


def _pop(a: float = 3000, b: float = 2000) -> pd.DataFrame:
    return pd.DataFrame({"population": [a, b], "elderly_population": [a * 0.15, b * 0.15]}, index=_blocks().index)


def test_supply_required_gap_beijing() -> None:
    out = facility_provision(_blocks(), _facilities(), _pop(), standards=load_standards("beijing"))
    # kindergarten: 30 seats / 1000 → A needs 90, has 180 → gap 0; B needs 60, has 0 → gap 60
    assert out.loc["A", "required_kindergarten_seats"] == pytest.approx(90.0)
    assert out.loc["A", "gap_kindergarten_seats"] == 0.0
    assert out.loc["B", "gap_kindergarten_seats"] == pytest.approx(60.0)
    # elderly beds, Beijing 9.5 per 1000 residents → A 28.5 required, 50 supplied
    assert out.loc["A", "supply_elderly_care_beds"] == 50.0
    assert out.loc["A", "gap_elderly_care_beds"] == 0.0
    assert out.loc["B", "gap_elderly_care_beds"] == pytest.approx(19.0)
    # school land 2,218 m² / 1000 → B requires 0.4436 ha, has 0.6 ha
    assert out.loc["B", "required_school_land_ha"] == pytest.approx(0.4436)
    assert out.loc["B", "supply_school_land_ha"] == pytest.approx(0.6)
    assert out.loc["A", "gap_school_land_ha"] == pytest.approx(0.6654)
    # bus terminals: 2 per 100,000 → A requires 0.06 (its share; not rounded per block); B has one
    assert out.loc["A", "required_bus_terminal_count"] == pytest.approx(0.06)
    assert out.loc["A", "gap_bus_terminal_count"] == pytest.approx(0.06)
    assert out.loc["B", "gap_bus_terminal_count"] == 0.0


def test_whole_units_round_the_area_once() -> None:
    std = load_standards("beijing")
    pop = _pop(60_000, 40_000)  # 1.2 + 0.8 bus terminals: fractional per block
    blocks = facility_provision(_blocks(), _facilities(), pop, standards=std)
    assert blocks["required_bus_terminal_count"].tolist() == pytest.approx([1.2, 0.8])
    assert blocks["gap_bus_terminal_count"].tolist() == pytest.approx([1.2, 0.0])
    assert blocks.loc["A", "required_kindergarten_seats"] == pytest.approx(1800.0)  # other keys never rounded
    # the whole area (one polygon over both blocks): 100,000 residents → 2.0; 100,001 → ceil(2.00002) = 3
    area = gpd.GeoDataFrame({"block_id": ["ALL"]}, geometry=[box(0, 0, 400, 200)], crs=4548).set_index("block_id")
    for people, required, gap in ((100_000.0, 2.0, 1.0), (100_001.0, 3.0, 2.0), (49_000.0, 1.0, 0.0)):
        whole = facility_provision(
            area,
            _facilities(),
            pd.DataFrame({"population": [people], "elderly_population": [0.0]}, index=area.index),
            standards=std,
            whole_units=True,
        )
        assert whole.loc["ALL", "required_bus_terminal_count"] == required
        assert whole.loc["ALL", "gap_bus_terminal_count"] == gap  # one terminal in the area
    assert blocks["required_bus_terminal_count"].sum() == pytest.approx(
        2.0
    )  # Σ blocks = the area figure before rounding


def test_nan_population_stays_nan() -> None:
    pop = _pop().astype(float)
    pop.loc["A", "population"] = float("nan")
    for whole in (False, True):
        out = facility_provision(_blocks(), _facilities(), pop, standards=load_standards("beijing"), whole_units=whole)
        assert pd.isna(out.loc["A", "required_bus_terminal_count"]) and pd.isna(out.loc["A", "gap_bus_terminal_count"])
        assert pd.isna(out.loc["A", "gap_kindergarten_seats"])
        assert out.loc["B", "required_bus_terminal_count"] == pytest.approx(1.0 if whole else 0.04)


def test_bus_terminal_within_reach() -> None:
    # a third block C 1,000–1,200 m east: the terminal at (350, 150) is 650 m from C's edge (x = 1000)
    blocks = pd.concat(
        [
            _blocks(),
            gpd.GeoDataFrame({"block_id": ["C"]}, geometry=[box(1000, 0, 1200, 200)], crs=4548).set_index("block_id"),
        ]
    )
    people = pd.Series([3000.0, 2000.0, 500.0], index=blocks.index)
    reach = facility_within_reach(blocks, _facilities(), people, category="bus_terminal", radius_m=1000.0)
    assert reach.name == "bus_terminal_within_reach"
    assert reach.tolist() == [1.0, 1.0, 1.0]
    near = facility_within_reach(blocks, _facilities(), people, category="bus_terminal", radius_m=650.0)  # inclusive
    assert near.tolist() == [1.0, 1.0, 1.0]
    short = facility_within_reach(blocks, _facilities(), people, category="bus_terminal", radius_m=500.0)
    assert short.tolist() == [1.0, 1.0, 0.0]  # A: 150 m from the terminal; B holds it
    nobody = facility_within_reach(
        blocks, _facilities(), people.mul([1.0, 0.0, 1.0]), category="bus_terminal", radius_m=500.0
    )
    assert pd.isna(nobody["B"]) and nobody["C"] == 0.0
    none = facility_within_reach(blocks, _facilities().iloc[:3], people, category="bus_terminal", radius_m=500.0)
    assert none.tolist() == [0.0, 0.0, 0.0]


def test_national_elderly_basis_is_elderly_population() -> None:
    std = load_standards("national")
    out = facility_provision(_blocks(), _facilities(), _pop(), standards=std)
    # GB 50437: beds per 1000 elderly (40 in the 2018 edition): B has 300 elderly → 0.3 × 40 = 12 beds
    per_1000 = float(std["facilities.elderly_care_beds_per_1000"])
    assert out.loc["B", "required_elderly_care_beds"] == pytest.approx(0.3 * per_1000)


def test_polygon_without_land_area_uses_its_area() -> None:
    fac = _facilities()
    fac.loc[1, "category"] = "sports"
    out = facility_provision(_blocks(), fac, _pop(), standards=load_standards("beijing"))
    assert out.loc["A", "supply_sports_land_ha"] == pytest.approx(0.2)  # 50 × 40 m


def test_every_catalogue_entry_makes_three_columns() -> None:
    out = facility_provision(_blocks(), _facilities(), _pop(), standards=load_standards("beijing"))
    for spec in provision_specs():
        for prefix in ("supply_", "required_", "gap_"):
            assert f"{prefix}{spec.key}" in out


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0, 1e6), extra=st.floats(0, 1e6))
def test_gaps_never_shrink_when_population_grows(a: float, extra: float) -> None:
    std = load_standards("beijing")
    before = facility_provision(_blocks(), _facilities(), _pop(a, 2000), standards=std)
    after = facility_provision(_blocks(), _facilities(), _pop(a + extra, 2000), standards=std)
    gaps = [c for c in before if c.startswith("gap_")]
    assert (after[gaps].to_numpy() >= before[gaps].to_numpy() - 1e-9).all()


# ------------------------------------------------------- supply across block edges (issue 19.5)


def _kindergarten_near_b(x: float) -> gpd.GeoDataFrame:
    """One kindergarten of 180 seats in block A, at x (A's edge with B at x = 200)."""
    return gpd.GeoDataFrame({"category": ["kindergarten"], "seats": [180.0]}, geometry=[Point(x, 100)], crs=4548)


def test_catchment_reaching_a_neighbour_shares_the_capacity_by_residents() -> None:
    std = load_standards("beijing")
    # 100 m from block B, radius 300 m: A (3,000) and B (2,000) share 180 seats 3:2
    out = facility_provision(
        _blocks(), _kindergarten_near_b(100), _pop(), standards=std, catchment_radius_m={"kindergarten": 300.0}
    )
    assert out.loc["A", "supply_kindergarten_seats"] == pytest.approx(108.0)
    assert out.loc["B", "supply_kindergarten_seats"] == pytest.approx(72.0)
    assert out.loc["B", "gap_kindergarten_seats"] == 0.0  # B requires 60 (30 per 1000)
    # the same seats under the in-block rule: all in A, B lacks 60
    inside = facility_provision(_blocks(), _kindergarten_near_b(100), _pop(), standards=std)
    assert inside["supply_kindergarten_seats"].tolist() == [180.0, 0.0]
    assert inside.loc["B", "gap_kindergarten_seats"] == pytest.approx(60.0)


def test_catchment_short_of_the_neighbour_keeps_the_capacity_home() -> None:
    std = load_standards("beijing")
    out = facility_provision(
        _blocks(), _kindergarten_near_b(100), _pop(), standards=std, catchment_radius_m={"kindergarten": 99.0}
    )
    assert out["supply_kindergarten_seats"].tolist() == [180.0, 0.0]
    exactly = facility_provision(
        _blocks(), _kindergarten_near_b(100), _pop(), standards=std, catchment_radius_m={"kindergarten": 100.0}
    )
    assert exactly.loc["B", "supply_kindergarten_seats"] == pytest.approx(72.0)  # inclusive


def test_catchment_rule_counts_each_seat_once_and_leaves_categories_without_radius() -> None:
    std = load_standards("beijing")
    radii = {k: float(v) for k, v in std.with_prefix("radius_m").items()}
    shared = facility_provision(_blocks(), _facilities(), _pop(), standards=std, catchment_radius_m=radii)
    inside = facility_provision(_blocks(), _facilities(), _pop(), standards=std)
    for spec in provision_specs():
        assert shared[f"supply_{spec.key}"].sum() == pytest.approx(inside[f"supply_{spec.key}"].sum())
    # no service radius for bus terminals: B keeps its terminal
    assert shared["supply_bus_terminal_count"].tolist() == [0.0, 1.0]
    # elderly beds are shared by the elderly (the Beijing basis): 450 : 300 of 50 beds
    assert shared.loc["B", "supply_elderly_care_beds"] == pytest.approx(50 * 300 / 750)


def test_a_catchment_without_residents_leaves_the_capacity_in_its_block() -> None:
    std = load_standards("beijing")
    out = facility_provision(
        _blocks(), _kindergarten_near_b(100), _pop(0, 0), standards=std, catchment_radius_m={"kindergarten": 300.0}
    )
    assert out["supply_kindergarten_seats"].tolist() == [180.0, 0.0]


def test_catchment_pairs_reach_blocks_within_the_radius() -> None:
    from blockcheck.metrics.provision import catchment_pairs

    fac = gpd.GeoDataFrame(
        {"category": ["kindergarten", "kindergarten", "bus_terminal", "kindergarten"]},
        geometry=[Point(100, 100), Point(350, 100), Point(150, 100), Point(900, 100)],  # the last outside both
        crs=4548,
    )
    f, b = catchment_pairs(_blocks(), fac, {"kindergarten": 120.0})
    assert list(zip(f.tolist(), b.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 1), (2, 0)]
