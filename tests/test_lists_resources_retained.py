"""Retained land and buildings (其他现状保留用地/建筑) listed per block as in 图2, and the faster overlay.

The scene (EPSG:4548 metres from X0, Y0 of tests/districts.py)::

    block A (0–200 × 0–200)             block B (200–400 × 0–200)        outside (x 500)
    R1 1980, 2 floors, 20×10            R4 1970, 1 floor, 10×10           X1 1980, 1 floor, 10×10
    R2 1990, 3 floors, 10×10            parcel L3 retained (R4 on it)
    R3 2000, 1 floor, 10×20
    N1 2020 (too young: not retained)
    parcel L1 retained (R1, R2 on it), parcel L2 retained without buildings

In 2026 with 20 years as the threshold: retained buildings R1 (46 y), R2 (36 y), R3 (26 y) in A,
R4 (56 y) in B and X1 (46 y) outside every block; retained land L1 (floor-weighted mean year of R1
and R2: (400·1980 + 300·1990) / 700), L2 (age unknown) in A and L3 (56 y) in B.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from blockcheck.lists.resources import (
    RESOURCE_MEMBERS_LAYER,
    detect_resources,
    find_resources,
    resource_summary,
)
from blockcheck.lists.schema import conform, list_table
from blockcheck.metrics.assign import overlap_area_m2
from blockcheck.standards import load_standards
from districts import CRS, X0, Y0

STD = load_standards("beijing")
YEAR = 2026


def _b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _layers() -> dict[str, gpd.GeoDataFrame]:
    g = lambda data, geoms: gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)  # noqa: E731 - a one-line frame maker
    return {
        "blocks": g({"block_id": ["A", "B"]}, [_b(0, 0, 200, 200), _b(200, 0, 400, 200)]),
        "buildings": g(
            {
                "building_id": ["R1", "R2", "R3", "N1", "R4", "X1"],
                "use": ["residential"] * 6,
                "floors": [2, 3, 1, 5, 1, 1],
                "year_built": [1980, 1990, 2000, 2020, 1970, 1980],
                "status": ["in_use"] * 6,
            },
            [
                _b(10, 10, 30, 20),
                _b(40, 10, 50, 20),
                _b(120, 120, 130, 140),
                _b(150, 150, 160, 160),
                _b(250, 50, 260, 60),
                _b(500, 50, 510, 60),
            ],
        ),
        "parcels": g(
            {"parcel_id": ["L1", "L2", "L3"], "land_use": ["R2", "R2", "R2"], "status": ["retained"] * 3},
            [_b(0, 0, 100, 50), _b(0, 100, 50, 150), _b(240, 40, 300, 100)],
        ),
    }


@pytest.fixture(scope="module")
def found():
    return find_resources(_layers(), STD, as_of_year=YEAR)


def test_one_row_per_block_and_category_with_count_and_areas(found) -> None:
    rows = found.resource_list.set_index("resource_id")
    assert set(rows.index) == {
        "RL-retained_building-block-A",
        "RL-retained_building-block-B",
        "RL-retained_building-block-outside",
        "RL-retained_land-block-A",
        "RL-retained_land-block-B",
    }
    a = rows.loc["RL-retained_building-block-A"]
    assert (a["block_id"], a["category"], a["family"], a["member_count"]) == ("A", "retained_building", "building", 3)
    assert a["floor_area_m2"] == pytest.approx(200 * 2 + 100 * 3 + 200 * 1)
    assert a["land_area_m2"] == pytest.approx(200 + 100 + 200)
    assert (a["source_layer"], a["source_id"], a["rule_id"]) == (
        RESOURCE_MEMBERS_LAYER,
        "RL-retained_building-block-A",
        "retained_building.age",
    )
    assert "建筑3栋，已使用26–46年" in a["reason"] and "建筑面积合计900平方米" in a["reason"]
    assert "3 buildings in normal use, 26–46 years in use" in a["reason_en"]
    outside = rows.loc["RL-retained_building-block-outside"]
    assert pd.isna(outside["block_id"]) and outside["member_count"] == 1
    land = rows.loc["RL-retained_land-block-A"]
    assert land["member_count"] == 2 and land["land_area_m2"] == pytest.approx(5000 + 2500)
    assert "其中1块使用年限未知" in land["reason"] and "面积合计0.75公顷" in land["reason"]
    assert rows.loc["RL-retained_land-block-B", "member_count"] == 1
    # the standards behind the row are quoted as for any resource
    assert a["standard_ref"].startswith("resources.retained_building_min_age_yr = 20")


def test_the_row_geometry_holds_each_feature(found) -> None:
    rows = found.resource_list.set_index("resource_id")
    layers = _layers()
    geom = rows.loc["RL-retained_building-block-A", "geometry"]
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 3
    buildings = layers["buildings"].set_index("building_id").geometry
    assert all(geom.contains(buildings[b]) for b in ("R1", "R2", "R3"))
    assert not geom.intersects(buildings["N1"])
    assert shapely.area(geom) == pytest.approx(500)


def test_members_name_every_feature_behind_a_row(found) -> None:
    members = found.members
    assert list(members.columns) == list_table(RESOURCE_MEMBERS_LAYER).columns
    pd.testing.assert_frame_equal(members, conform(members, list_table(RESOURCE_MEMBERS_LAYER)))
    by_id = members.set_index("member_id")
    assert dict(by_id["resource_id"]) == {
        "RL-retained_building-buildings-R1": "RL-retained_building-block-A",
        "RL-retained_building-buildings-R2": "RL-retained_building-block-A",
        "RL-retained_building-buildings-R3": "RL-retained_building-block-A",
        "RL-retained_building-buildings-R4": "RL-retained_building-block-B",
        "RL-retained_building-buildings-X1": "RL-retained_building-block-outside",
        "RL-retained_land-parcels-L1": "RL-retained_land-block-A",
        "RL-retained_land-parcels-L2": "RL-retained_land-block-A",
        "RL-retained_land-parcels-L3": "RL-retained_land-block-B",
    }
    assert by_id.loc["RL-retained_building-buildings-R2", ["source_layer", "source_id"]].tolist() == ["buildings", "R2"]
    assert by_id.loc["RL-retained_building-buildings-R2", "floor_area_m2"] == pytest.approx(300)
    assert by_id.loc["RL-retained_building-buildings-R4", "age_yr"] == 56
    assert by_id.loc["RL-retained_land-parcels-L1", "age_yr"] == pytest.approx(YEAR - (400 * 1980 + 300 * 1990) / 700)
    assert np.isnan(by_id.loc["RL-retained_land-parcels-L2", "age_yr"])
    # each row's count and areas are its members' (the row is what its members add up to)
    rows = found.resource_list.set_index("resource_id")
    sums = members.groupby("resource_id").agg(n=("member_id", "size"), land=("land_area_m2", "sum"))
    assert (rows.loc[sums.index, "member_count"] == sums["n"]).all()
    assert np.allclose(rows.loc[sums.index, "land_area_m2"], sums["land"])


def test_summary_counts_features_as_a_list_of_single_features_does(found) -> None:
    """图2's figures are unchanged by listing per block: the summary of the per-feature rows equals it."""
    single = detect_resources(_layers(), STD, as_of_year=YEAR)
    single["block_id"] = single["source_id"].map({"R1": "A", "R2": "A", "R3": "A", "R4": "B", "L1": "A", "L2": "A"})
    single["block_id"] = single["block_id"].where(single["source_id"] != "L3", "B")
    single = single.assign(status="candidate", resource_id=single["category"] + single["source_id"])
    want = resource_summary(single, block_ids=["A", "B"])
    got = resource_summary(found.resource_list, block_ids=["A", "B"])
    pd.testing.assert_frame_equal(got, want)
    area = got.set_index("id")
    assert area.loc["ALL:retained_building", "count"] == 5 and area.loc["A:retained_building", "count"] == 3
    assert area.loc["ALL:retained_building", "situation"] == "共5处，1,100平方米"
    assert area.loc["B:retained_land", "count"] == 1


def test_decisions_are_kept_on_the_block_row(found) -> None:
    previous = found.resource_list.copy()
    at = previous["resource_id"] == "RL-retained_building-block-A"
    previous.loc[at, ["status", "note"]] = ["rejected", "历史街区，整体保留"]
    again = find_resources(_layers(), STD, previous=previous, as_of_year=YEAR).resource_list.set_index("resource_id")
    assert again.loc["RL-retained_building-block-A", ["status", "note"]].tolist() == ["rejected", "历史街区，整体保留"]
    summary = resource_summary(again.reset_index(), block_ids=["A", "B"]).set_index("id")
    assert summary.loc["A:retained_building", "count"] == 0 and summary.loc["ALL:retained_building", "count"] == 2
    # a confirmed block row whose buildings are gone is carried over, as any confirmed resource
    previous.loc[at, "status"] = "confirmed"
    layers = _layers()
    layers["buildings"].loc[layers["buildings"]["building_id"].isin(["R1", "R2", "R3"]), "year_built"] = 2015
    later = find_resources(layers, STD, previous=previous, as_of_year=YEAR).resource_list.set_index("resource_id")
    row = later.loc["RL-retained_building-block-A"]
    assert row["status"] == "confirmed" and "本次运行未再检出" in row["note"] and row["member_count"] == 3
    summary = resource_summary(later.reset_index(), block_ids=["A", "B"]).set_index("id")
    assert summary.loc["A:retained_building", "confirmed_count"] == 3


def test_per_feature_decisions_of_an_earlier_list_are_counted_on_the_block_row(found) -> None:
    """A list written before the per-block rows named each retained building: those rows are not carried
    over one by one; the block's row notes how many were confirmed or rejected."""
    single = detect_resources(_layers(), STD, as_of_year=YEAR)
    single = single[single["category"] == "retained_building"].copy()
    single["block_id"] = single["source_id"].map({"R1": "A", "R2": "A", "R3": "A", "R4": "B"})
    single["resource_id"] = "RL-retained_building-buildings-" + single["source_id"]
    single["status"] = single["source_id"].map({"R1": "confirmed", "R2": "rejected", "R3": "confirmed"})
    single["status"] = single["status"].fillna("candidate")
    again = find_resources(_layers(), STD, previous=single, as_of_year=YEAR).resource_list.set_index("resource_id")
    assert not again.index.str.startswith("RL-retained_building-buildings-").any()
    row = again.loc["RL-retained_building-block-A"]
    assert row["status"] == "candidate"
    assert row["note"] == (
        "上次运行逐项核实：已确认2处、已否决1处 / earlier per-feature decisions: 2 confirmed, 1 rejected"
    )
    assert pd.isna(again.loc["RL-retained_building-block-B", "note"])


def test_list_without_retained_features_has_no_members() -> None:
    layers = _layers()
    layers["buildings"]["year_built"] = 2020
    layers["parcels"]["status"] = "built"
    result = find_resources(layers, STD, as_of_year=YEAR)
    assert not result.resource_list["category"].isin(["retained_building", "retained_land"]).any()
    assert result.members.empty and list(result.members.columns) == list_table(RESOURCE_MEMBERS_LAYER).columns


# ------------------------------------------------------------ overlay without cutting the features inside


def _brute_overlap_m2(blocks: list, polygons: list) -> np.ndarray:
    return np.array([sum(shapely.area(shapely.intersection(b, p)) for p in polygons) for b in blocks])


def test_overlap_area_cuts_only_what_crosses_edges() -> None:
    """Parcels P (0–100) and Q (100–200) side by side, and O overlapping Q; buildings inside P, across P|Q,
    inside Q ∩ O (counted in both), outside all."""
    blocks = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(150, 0, 250, 100)], crs=CRS)
    polys = [box(10, 10, 20, 30), box(90, 10, 110, 20), box(160, 50, 170, 60), box(400, 0, 410, 10), box(0, 0, 5, 5)]
    got = overlap_area_m2(blocks, gpd.GeoDataFrame(geometry=polys, crs=CRS)).to_numpy()
    assert got == pytest.approx([200 + 100 + 25, 100 + 100, 100])
    assert got == pytest.approx(_brute_overlap_m2(list(blocks.geometry), polys))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-50, 450), st.integers(-50, 250), st.integers(1, 120), st.integers(1, 120)),
        min_size=1,
        max_size=25,
    ),
    st.booleans(),
)
def test_overlap_area_equals_the_full_overlay(rects, overlapping_blocks) -> None:
    cells = [box(x, y, x + 100, y + 100) for x in range(0, 400, 100) for y in range(0, 200, 100)]
    if overlapping_blocks:
        cells.append(box(150, 50, 260, 160))
    blocks = gpd.GeoDataFrame(geometry=cells, crs=CRS)
    polys = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    got = overlap_area_m2(blocks, gpd.GeoDataFrame(geometry=polys, crs=CRS)).to_numpy()
    assert got == pytest.approx(_brute_overlap_m2(cells, polys), abs=1e-6)
