"""Green, jobs, parking, underground, old housing and industrial land on a hand-checkable fixture.

Blocks A (x 0–200) and B (x 200–400), 200 m squares.
- park 100 × 100 m in A, plus a park of 20 × 20 m straddling the edge (10 × 20 in each block);
  protective green in B (not park).
- buildings: A: residential 20 × 10 × 6 floors built 1990 (underground 500 m², 200 used);
  B: office 20 × 20 with 300 employees (underground 1,000 m², 400 used),
  residential 10 × 10 × 3 floors built 2010; a building exactly on the edge x=200 (its
  representative point decides: the edge point goes to the first block, A).
- parking: 120 public spaces in A, 30 private in B.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from blockcheck.metrics.stock import (
    industrial_land_ratio,
    job_housing_ratio,
    old_residential_buildings,
    park_green_m2,
    parking_provision,
    underground_use_ratio,
)


def _blocks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"block_id": ["A", "B"]}, geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)], crs=4548
    ).set_index("block_id")


def _buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "use": ["residential", "office", "residential", "commercial"],
            "floors": [6, 5, 3, 2],
            "year_built": [1990, 2005, 2010, 2000],
            "employees": [0.0, 300.0, 0.0, 50.0],
            "underground_area_m2": [500.0, 1000.0, 0.0, 0.0],
            "underground_used_m2": [200.0, 400.0, 0.0, 0.0],
        },
        geometry=[box(10, 10, 30, 20), box(250, 50, 270, 70), box(300, 100, 310, 110), box(195, 150, 200, 160)],
        crs=4548,
    )


def test_park_green() -> None:
    green = gpd.GeoDataFrame(
        {"kind": ["park", "park", "protective"]},
        geometry=[box(50, 50, 150, 150), box(190, 0, 210, 20), box(300, 0, 400, 50)],
        crs=4548,
    )
    out = park_green_m2(_blocks(), green, pd.Series([5000.0, 0.0], index=_blocks().index))
    assert out.loc["A", "park_green_m2"] == pytest.approx(10_200.0)
    assert out.loc["B", "park_green_m2"] == pytest.approx(200.0)
    assert out.loc["A", "park_green_m2_per_capita"] == pytest.approx(2.04)
    assert pd.isna(out.loc["B", "park_green_m2_per_capita"])  # nobody lives in B


def test_park_green_overlaps_count_once() -> None:
    # a 100 × 100 m park with a 20 × 20 m garden (also park green) drawn inside it: 10,000 m², not 10,400;
    # a second park overlapping the first by 10 × 100 m adds only its 40 × 100 m outside (B gets nothing)
    green = gpd.GeoDataFrame(
        {"kind": ["park", "park"]}, geometry=[box(50, 50, 150, 150), box(90, 90, 110, 110)], crs=4548
    )
    pop = pd.Series([5000.0, 0.0], index=_blocks().index)
    out = park_green_m2(_blocks(), green, pop)
    assert out.loc["A", "park_green_m2"] == pytest.approx(10_000.0)
    assert out.loc["A", "park_green_m2_per_capita"] == pytest.approx(2.0)
    assert out.loc["B", "park_green_m2"] == 0.0
    more = pd.concat([green, gpd.GeoDataFrame({"kind": ["park"]}, geometry=[box(140, 50, 190, 150)], crs=4548)])
    assert park_green_m2(_blocks(), more, pop).loc["A", "park_green_m2"] == pytest.approx(14_000.0)
    # only park green is unioned: protective green over the park changes nothing
    shield = pd.concat([green, gpd.GeoDataFrame({"kind": ["protective"]}, geometry=[box(0, 0, 200, 200)], crs=4548)])
    assert park_green_m2(_blocks(), shield, pop).loc["A", "park_green_m2"] == pytest.approx(10_000.0)


def test_jobs_housing() -> None:
    out = job_housing_ratio(_blocks(), _buildings(), pd.Series([400.0, 1000.0], index=_blocks().index))
    assert out.loc["A", "jobs"] == 50.0  # the edge building's point lies in A
    assert out.loc["B", "job_housing_ratio"] == pytest.approx(0.3)


def test_parking() -> None:
    parking = gpd.GeoDataFrame(
        {"spaces": [120, 30], "access": ["public", "private"]}, geometry=[Point(10, 190), Point(390, 10)], crs=4548
    )
    out = parking_provision(
        _blocks(), parking, pd.Series([1000.0, 100.0], index=_blocks().index), spaces_per_household=1.0
    )
    assert out.loc["A"].tolist() == [1000.0, 120.0, 120.0, 880.0]
    assert out.loc["B", "parking_gap_spaces"] == 70.0
    assert out.loc["B", "parking_public_spaces"] == 0.0


def test_underground_and_old_housing() -> None:
    under = underground_use_ratio(_blocks(), _buildings())
    assert under.loc["A", "underground_use_ratio"] == pytest.approx(0.4)
    assert under.loc["B", "underground_use_ratio"] == pytest.approx(0.4)
    old = old_residential_buildings(_blocks(), _buildings(), built_up_to_year=2002)
    assert old["old_residential_buildings_count"].tolist() == [1.0, 0.0]
    assert old.loc["A", "old_residential_floor_ratio"] == 1.0
    assert old.loc["B", "old_residential_floor_ratio"] == 0.0


def test_industrial_land_ratio() -> None:
    parcels = gpd.GeoDataFrame(
        {"land_use": ["M1", "R2"]}, geometry=[box(0, 0, 100, 200), box(200, 0, 400, 200)], crs=4548
    )
    share = industrial_land_ratio(_blocks(), parcels)
    assert share.tolist() == [pytest.approx(0.5), 0.0]


from hypothesis import given, settings  # noqa: E402 - imported here, next to the tests that use it
from hypothesis import strategies as st  # noqa: E402 - imported here, next to the tests that use it


@settings(max_examples=30, deadline=None)
@given(cut=st.floats(1, 199))
def test_splitting_a_block_conserves_park_area(cut: float) -> None:
    green = gpd.GeoDataFrame(
        {"kind": ["park", "park"]}, geometry=[box(50, 50, 150, 150), box(190, 0, 210, 20)], crs=4548
    )
    pop = pd.Series(1000.0, index=_blocks().index)
    whole = park_green_m2(_blocks(), green, pop)["park_green_m2"].sum()
    split_blocks = gpd.GeoDataFrame(
        {"block_id": ["A1", "A2", "B"]},
        geometry=[box(0, 0, 200, cut), box(0, cut, 200, 200), box(200, 0, 400, 200)],
        crs=4548,
    ).set_index("block_id")
    split = park_green_m2(split_blocks, green, pd.Series(1000.0, index=split_blocks.index))["park_green_m2"].sum()
    assert split == pytest.approx(whole)


def test_a_car_park_without_capacity_is_unknown_not_zero_spaces() -> None:
    # A: 120 public spaces and a private car park of unknown size; B: 30 private spaces
    parking = gpd.GeoDataFrame(
        {"spaces": [120, None, 30], "access": ["public", "private", "private"]},
        geometry=[Point(10, 190), Point(50, 50), Point(390, 10)],
        crs=4548,
    )
    out = parking_provision(
        _blocks(), parking, pd.Series([1000.0, 100.0], index=_blocks().index), spaces_per_household=1.0
    )
    assert np.isnan(out.loc["A", "parking_supply_spaces"]) and np.isnan(out.loc["A", "parking_gap_spaces"])
    assert out.loc["A", "parking_public_spaces"] == 120.0  # every public car park of A is counted
    assert out.loc["A", "parking_required_spaces"] == 1000.0
    assert out.loc["B"].tolist() == [100.0, 30.0, 0.0, 70.0]
    # no spaces field at all: nothing known where there are car parks
    out = parking_provision(
        _blocks(),
        parking.drop(columns="spaces"),
        pd.Series([1000.0, 100.0], index=_blocks().index),
        spaces_per_household=0.5,
    )
    assert out["parking_supply_spaces"].isna().all() and out["parking_required_spaces"].tolist() == [500.0, 50.0]
