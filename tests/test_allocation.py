"""Tests of blockcheck.allocation: gap–resource allocation by lexicographic max-flow / min-distance.

Most scenes lie on one straight road along y = 0 (metres, EPSG:4548 offsets
omitted), with the block points and resources on the road, so walking
distances are plain differences of x::

    R2(-300)   A(0)   R1(200)               B(1000)     R3(1500)
    ---o--------#--------o--------------------#-----------o------  road y = 0

Standards: the national profile — 40 m² of floor per elderly-care bed,
radius_m.elderly_care = 1000 m, radius_m.kindergarten = 300 m,
12 m² per kindergarten seat, 1 m² of floor per m² of idle land.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from blockcheck.allocation import (
    ALLOCATION_COLUMNS,
    REMAINING_COLUMNS,
    SUMMARY_COLUMNS,
    AllocationError,
    allocate,
    allocation_rules,
    allocation_summary,
    unused_pool_m2,
)
from blockcheck.errors import CRSError, InputError
from blockcheck.metrics.provision import provision_specs
from blockcheck.network import build_walk_network
from blockcheck.standards import load_standards

CRS = "EPSG:4548"
BED_M2 = 40.0  # conversion.floor_m2_per_elderly_care_bed (national)


@pytest.fixture(scope="module")
def standards():
    return load_standards("national")


def road_network(*lines):
    n = len(lines)
    roads = gpd.GeoDataFrame(
        {"class": ["branch"] * n, "status": ["built"] * n}, geometry=[LineString(c) for c in lines], crs=CRS
    )
    return build_walk_network(roads)


@pytest.fixture(scope="module")
def line_net():
    return road_network([(-2000, 0), (4000, 0)])


def blocks_at(points: dict[str, tuple[float, float]]) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    """100 m square blocks north of the road, and their block points (x, y) given."""
    index = pd.Index(list(points), name="block_id")
    blocks = gpd.GeoDataFrame(index=index, geometry=[box(x - 50, 10, x + 50, 110) for x, _ in points.values()], crs=CRS)
    return blocks, gpd.GeoSeries([Point(p) for p in points.values()], index=index, crs=CRS)


def resources(*rows: dict) -> gpd.GeoDataFrame:
    """Resource list rows: id, x, y (default 0), category (idle_room), status (candidate), areas."""
    frame = pd.DataFrame(
        [
            {
                "resource_id": r["id"],
                "category": r.get("category", "idle_room"),
                "status": r.get("status", "candidate"),
                "floor_area_m2": r.get("floor", np.nan),
                "land_area_m2": r.get("land", np.nan),
                "potential_floor_area_m2": r.get("potential", np.nan),
                "subtype": r.get("subtype"),
                **({"facility_category": r["facility_category"]} if "facility_category" in r else {}),
            }
            for r in rows
        ]
    )
    return gpd.GeoDataFrame(frame, geometry=[Point(r["x"], r.get("y", 0.0)) for r in rows], crs=CRS)


def gaps_of(blocks: gpd.GeoDataFrame, **columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame({f"gap_{k}": v for k, v in columns.items()}, index=blocks.index)


def rows(allocation: pd.DataFrame) -> set[tuple]:
    return {
        (r.resource_id, r.block_id, r.provision_key, round(r.amount, 9), round(r.walk_distance_m, 6))
        for r in allocation.itertuples()
    }


def hand_case() -> tuple[gpd.GeoDataFrame, gpd.GeoSeries, gpd.GeoDataFrame]:
    """Blocks A (x 0) and B (x 1000); resources R1 (x 200, 400 m²), R2 (x −300, 400 m²), R3 (x 1500, 200 m²)."""
    blocks, points = blocks_at({"A": (0, 0), "B": (1000, 0)})
    res = resources(
        {"id": "R1", "x": 200, "floor": 400.0},
        {"id": "R2", "x": -300, "floor": 400.0},
        {"id": "R3", "x": 1500, "floor": 200.0},
    )
    return blocks, points, res


# ------------------------------------------------------------- hand case ----


def test_shared_resource_goes_to_the_block_that_has_no_alternative(line_net, standards) -> None:
    """Both blocks lack 10 elderly-care beds (400 m² of floor each).

    R1 (400 m² = 10 beds) at x = 200 reaches A (200 m) and B (800 m); R2 (400 m²)
    at x = -300 reaches only A (300 m; B is 1300 m away); R3 (200 m² = 5 beds)
    at x = 1500 reaches only B (500 m). Serving each block from its nearest
    resource first (A ← R1) would leave B 5 beds short. The optimum closes all
    20 beds: B ← R3 5 beds @500 m + R1 5 beds @800 m (B has no other way), and
    A ← the rest of R1 5 beds @200 m + R2 5 beds @300 m (cheaper than R2 alone).
    Distance carried: 5·200 + 5·300 + 5·500 + 5·800 = 9000 bed·m
    (the alternative A ← R2 10, B ← R1 10 carries 11000).
    """
    blocks, points, res = hand_case()
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[10.0, 10.0]), res, blocks, line_net, standards, block_points=points
    )

    assert list(allocation.columns) == list(ALLOCATION_COLUMNS)
    assert rows(allocation) == {
        ("R1", "A", "elderly_care_beds", 5.0, 200.0),
        ("R2", "A", "elderly_care_beds", 5.0, 300.0),
        ("R3", "B", "elderly_care_beds", 5.0, 500.0),
        ("R1", "B", "elderly_care_beds", 5.0, 800.0),
    }
    assert (allocation["amount"] * allocation["walk_distance_m"]).sum() == pytest.approx(9000.0)
    assert allocation["allocation_id"].tolist() == ["AL-00001", "AL-00002", "AL-00003", "AL-00004"]
    assert allocation["unit"].eq("beds").all()
    assert allocation.attrs["distance"] == "network"
    share = allocation.groupby("resource_id")["resource_share"].sum()
    assert share.to_dict() == pytest.approx({"R1": 1.0, "R2": 0.5, "R3": 1.0})
    assert allocation["area_used_m2"].sum() == pytest.approx(20 * BED_M2)

    assert list(remaining.columns) == list(REMAINING_COLUMNS)
    assert remaining["gap"].tolist() == [10.0, 10.0]
    assert remaining["allocated"].tolist() == pytest.approx([10.0, 10.0])
    assert remaining["remaining_gap"].tolist() == [0.0, 0.0]

    summary = allocation_summary(allocation, remaining)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["resource_count"].tolist() == [2, 2]
    assert summary["mean_walk_distance_m"].tolist() == pytest.approx([250.0, 650.0])
    assert summary["max_walk_distance_m"].tolist() == pytest.approx([300.0, 800.0])
    assert summary["closed_ratio"].tolist() == pytest.approx([1.0, 1.0])


def test_shortfall_is_reported_as_remaining_gap(line_net, standards) -> None:
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R1", "x": 100, "floor": 200.0})  # 5 beds
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[8.0]), res, blocks, line_net, standards, block_points=points
    )
    assert allocation["amount"].tolist() == pytest.approx([5.0])
    assert allocation["resource_share"].tolist() == pytest.approx([1.0])
    assert remaining[["gap", "allocated", "remaining_gap"]].iloc[0].tolist() == pytest.approx([8.0, 5.0, 3.0])
    summary = allocation_summary(allocation, remaining)
    assert summary["closed_ratio"].iloc[0] == pytest.approx(5 / 8)


# ------------------------------------------------------------ the rules ----


@pytest.mark.parametrize(("x", "used"), [(1000.0, True), (1001.0, False), (-1000.0, True), (-1001.0, False)])
def test_radius_is_inclusive_and_limits_reach(line_net, standards, x, used) -> None:
    """radius_m.elderly_care = 1000 m: a resource at exactly 1000 m serves, 1 m farther does not."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": x, "floor": 400.0})
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[10.0]), res, blocks, line_net, standards, block_points=points
    )
    assert (len(allocation) == 1) is used
    assert remaining["remaining_gap"].iloc[0] == pytest.approx(0.0 if used else 10.0)


def test_radius_depends_on_the_key(line_net, standards) -> None:
    """One idle room 400 m away: in reach for beds (1000 m), not for kindergarten seats (300 m)."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 400, "floor": 1200.0})
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[10.0], kindergarten_seats=[50.0]),
        res,
        blocks,
        line_net,
        standards,
        block_points=points,
    )
    assert allocation["provision_key"].tolist() == ["elderly_care_beds"]
    assert remaining.set_index("provision_key")["remaining_gap"].to_dict() == pytest.approx(
        {"elderly_care_beds": 0.0, "kindergarten_seats": 50.0}
    )


def test_rejected_resources_are_never_used(line_net, standards) -> None:
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources(
        {"id": "NEAR", "x": 10, "floor": 4000.0, "status": "rejected"},
        {"id": "CAND", "x": 500, "floor": 200.0, "status": "candidate"},
        {"id": "CONF", "x": 600, "floor": 200.0, "status": "confirmed"},
    )
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[20.0]), res, blocks, line_net, standards, block_points=points
    )
    assert set(allocation["resource_id"]) == {"CAND", "CONF"}
    assert remaining["remaining_gap"].iloc[0] == pytest.approx(10.0)


def test_gap_smaller_than_capacity_uses_part_of_the_resource(line_net, standards) -> None:
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 50, "floor": 400.0})
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[2.5]), res, blocks, line_net, standards, block_points=points
    )
    row = allocation.iloc[0]
    assert row["amount"] == pytest.approx(2.5)
    assert row["area_used_m2"] == pytest.approx(100.0)
    assert row["resource_share"] == pytest.approx(0.25)
    assert remaining["remaining_gap"].iloc[0] == 0.0


def test_straight_line_distance_without_network(standards) -> None:
    """No network: distance = straight line, 500 m for a resource at (300, 400) from (0, 0)."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 300, "y": 400, "floor": 1200.0})
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[10.0], kindergarten_seats=[10.0]),
        res,
        blocks,
        None,
        standards,
        block_points=points,
    )
    assert allocation.attrs["distance"] == "straight_line"
    assert allocation["provision_key"].tolist() == ["elderly_care_beds"]  # 500 m > 300 m kindergarten radius
    assert allocation["walk_distance_m"].tolist() == pytest.approx([500.0])


def test_network_distance_follows_the_streets(standards) -> None:
    """Two parallel roads 100 m apart joined only at x = 1000: 100 m in a line, 2100 m on foot."""
    net = road_network([(0, 0), (1000, 0)], [(0, 100), (1000, 100)], [(1000, 0), (1000, 100)])
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 0, "y": 100, "floor": 400.0})
    gaps = gaps_of(blocks, elderly_care_beds=[10.0])
    walked, _ = allocate(gaps, res, blocks, net, standards, block_points=points)
    straight, _ = allocate(gaps, res, blocks, None, standards, block_points=points)
    assert walked.empty
    assert straight["walk_distance_m"].tolist() == pytest.approx([100.0])


def test_default_block_point_is_inside_the_block(line_net, standards) -> None:
    """Block A is the square x ∈ [-50, 50], y ∈ [10, 110]: its point (0, 60) snaps 60 m onto the road."""
    blocks, _ = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 200, "floor": 400.0})
    allocation, _ = allocate(gaps_of(blocks, elderly_care_beds=[1.0]), res, blocks, line_net, standards)
    assert allocation["walk_distance_m"].tolist() == pytest.approx([260.0])


def test_a_resource_pool_is_shared_across_keys(line_net, standards) -> None:
    """An idle site of 10,000 m² can serve school land and (1:1 as floor) elderly beds, once in all."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "S", "x": 100, "land": 10_000.0, "category": "idle_site"})
    gaps = gaps_of(blocks, school_land_ha=[0.6], elderly_care_beds=[200.0])  # 6,000 + 8,000 m² needed
    allocation, remaining = allocate(gaps, res, blocks, line_net, standards, block_points=points)
    assert allocation["resource_share"].sum() == pytest.approx(1.0)
    got = allocation.set_index("provision_key")["amount"].reindex(["school_land_ha", "elderly_care_beds"]).fillna(0.0)
    assert got["school_land_ha"] * 10_000 + got["elderly_care_beds"] * BED_M2 == pytest.approx(10_000.0)
    assert remaining["allocated"].sum() == pytest.approx(got.sum())


def test_unused_pool_is_what_the_allocation_left(line_net, standards) -> None:
    """An idle room of 400 m² gives 5 beds (200 m²) to A: 200 m² are left; a rejected room and retained land
    keep none."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources(
        {"id": "R", "x": 100, "floor": 400.0},
        {"id": "X", "x": 100, "floor": 300.0, "status": "rejected"},
        {"id": "L", "x": 100, "land": 900.0, "category": "retained_land"},
        {"id": "S", "x": 3000, "land": 500.0, "category": "idle_site"},
    )
    allocation, _ = allocate(
        gaps_of(blocks, elderly_care_beds=[5.0]), res, blocks, line_net, standards, block_points=points
    )
    left = unused_pool_m2(res, allocation, allocation_rules())
    assert left.to_dict() == pytest.approx({"R": 200.0, "X": 0.0, "L": 0.0, "S": 500.0})  # S: out of reach, untouched


def test_land_to_floor_conversion_from_the_standards(line_net, tmp_path) -> None:
    """With 2 m² of floor per m² of idle land, 1,000 m² of land give 2,000 m² of floor = 50 beds.

    Gap closed is counted in m² of facility area, so the land goes to the
    beds (2,000 m²) rather than to 0.1 ha of school land (1,000 m²).
    """
    override = tmp_path / "far2.toml"
    override.write_text(
        '[profile]\nextends = "national"\n\n[conversion.floor_area_per_land_area_ratio]\nvalue = 2.0\n', "utf-8"
    )
    standards = load_standards(overrides=override)
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "S", "x": 100, "land": 1000.0, "category": "idle_site"})
    allocation, _ = allocate(
        gaps_of(blocks, elderly_care_beds=[50.0], school_land_ha=[0.1]),
        res,
        blocks,
        line_net,
        standards,
        block_points=points,
    )
    assert rows(allocation) == {("S", "A", "elderly_care_beds", 50.0, 100.0)}
    assert allocation["area_used_m2"].tolist() == pytest.approx([1000.0])


def test_categories_follow_the_catalogue(line_net, standards) -> None:
    """Underground space serves culture floor area but never elderly-care beds; roofs give sports ground."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources(
        {"id": "U", "x": 100, "floor": 4000.0, "category": "underground"},
        {"id": "ROOF", "x": 150, "land": 500.0, "category": "roof"},
        {"id": "KEEP", "x": 100, "floor": 9000.0, "category": "retained_building"},
    )
    gaps = gaps_of(blocks, elderly_care_beds=[10.0], culture_floor_m2=[300.0], sports_land_ha=[0.1])
    allocation, remaining = allocate(gaps, res, blocks, line_net, standards, block_points=points)
    assert rows(allocation) == {
        ("U", "A", "culture_floor_m2", 300.0, 100.0),
        ("ROOF", "A", "sports_land_ha", 0.05, 150.0),
    }
    assert remaining.set_index("provision_key")["remaining_gap"].to_dict() == pytest.approx(
        {"elderly_care_beds": 10.0, "culture_floor_m2": 0.0, "sports_land_ha": 0.05}
    )


def test_expandable_facility_serves_its_own_kind_with_its_potential_floor_area(line_net, standards) -> None:
    """Expandable facilities give their potential floor area, only to gaps of their kind (subtype).

    HOME (elderly care, 200 m² potential = 5 beds) serves the bed gap; SCHOOL
    (education) does not, and never closes school land (it adds floor, not
    land); ODD says elderly_care but its facility_category is a hospital.
    """
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources(
        {
            "id": "SCHOOL",
            "x": 100,
            "land": 9000.0,
            "potential": 4000.0,
            "category": "expandable_facility",
            "subtype": "education",
            "facility_category": "primary_school",
        },
        {
            "id": "HOME",
            "x": 200,
            "land": 3000.0,
            "potential": 200.0,
            "category": "expandable_facility",
            "subtype": "elderly_care",
            "facility_category": None,
        },
        {
            "id": "ODD",
            "x": 300,
            "land": 3000.0,
            "potential": 200.0,
            "category": "expandable_facility",
            "subtype": "elderly_care",
            "facility_category": "hospital",
        },
    )
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[20.0], school_land_ha=[1.0]),
        res,
        blocks,
        line_net,
        standards,
        block_points=points,
    )
    assert rows(allocation) == {("HOME", "A", "elderly_care_beds", 5.0, 200.0)}
    assert remaining.set_index("provision_key")["remaining_gap"].to_dict() == pytest.approx(
        {"elderly_care_beds": 15.0, "school_land_ha": 1.0}
    )


def test_keys_without_a_rule_are_reported_whole(line_net, standards) -> None:
    blocks, points = blocks_at({"A": (0, 0), "B": (1000, 0)})
    res = resources({"id": "R", "x": 0, "land": 5000.0, "category": "planned_new_land"})
    gaps = gaps_of(blocks, bus_terminal_count=[1.0, 0.0], culture_floor_m2=[0.0, np.nan])
    allocation, remaining = allocate(gaps, res, blocks, line_net, standards, block_points=points)
    assert allocation.empty
    assert list(allocation.columns) == list(ALLOCATION_COLUMNS)
    assert remaining.to_dict("records") == [
        {
            "block_id": "A",
            "provision_key": "bus_terminal_count",
            "unit": "",
            "gap": 1.0,
            "allocated": 0.0,
            "remaining_gap": 1.0,
        },
    ]
    summary = allocation_summary(allocation, remaining)
    assert summary["resource_count"].tolist() == [0]
    assert np.isnan(summary["mean_walk_distance_m"].iloc[0])


def test_inputs_are_not_modified(line_net, standards) -> None:
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 50, "floor": 400.0})
    gaps = gaps_of(blocks, elderly_care_beds=[2.0])
    copies = (blocks.copy(), res.copy(), gaps.copy())
    allocate(gaps, res, blocks, line_net, standards, block_points=points)
    pd.testing.assert_frame_equal(blocks, copies[0])
    pd.testing.assert_frame_equal(res, copies[1])
    pd.testing.assert_frame_equal(gaps, copies[2])


def test_polygon_area_and_excluded_subtypes(line_net, standards) -> None:
    """An idle site polygon without land_area_m2 counts its own area; a low-quality street is not turned into
    sports ground."""
    blocks, points = blocks_at({"A": (0, 0)})
    res = gpd.GeoDataFrame(
        {
            "resource_id": ["SITE", "STREET"],
            "category": ["idle_site", "low_quality_space"],
            "status": "candidate",
            "subtype": [None, "street"],
            "land_area_m2": [np.nan, 5000.0],
            "floor_area_m2": np.nan,
        },
        geometry=[box(90, -20, 110, 20), box(140, -10, 160, 10)],  # 20 m × 40 m = 800 m²
        crs=CRS,
    )
    allocation, remaining = allocate(
        gaps_of(blocks, sports_land_ha=[1.0]), res, blocks, line_net, standards, block_points=points
    )
    assert rows(allocation) == {("SITE", "A", "sports_land_ha", 0.08, 100.0)}
    assert remaining["remaining_gap"].iloc[0] == pytest.approx(0.92)


# --------------------------------------------------------------- errors ----


def test_unknown_category_duplicate_id_and_bad_status_are_input_errors(line_net, standards) -> None:
    blocks, points = blocks_at({"A": (0, 0)})
    gaps = gaps_of(blocks, elderly_care_beds=[1.0])
    with pytest.raises(InputError, match="idle_rom"):
        allocate(
            gaps, resources({"id": "R", "x": 0, "floor": 1.0, "category": "idle_rom"}), blocks, line_net, standards
        )
    with pytest.raises(InputError, match="repeats resource_id"):
        allocate(
            gaps,
            resources({"id": "R", "x": 0, "floor": 1.0}, {"id": "R", "x": 5, "floor": 1.0}),
            blocks,
            line_net,
            standards,
        )
    with pytest.raises(InputError, match="statuses"):
        allocate(gaps, resources({"id": "R", "x": 0, "floor": 1.0, "status": "maybe"}), blocks, line_net, standards)
    with pytest.raises(InputError, match="not in the blocks"):
        allocate(
            gaps.rename(index={"A": "Z"}), resources({"id": "R", "x": 0, "floor": 1.0}), blocks, line_net, standards
        )


def test_crs_mismatch_is_an_error(line_net, standards) -> None:
    blocks, _ = blocks_at({"A": (0, 0)})
    res = resources({"id": "R", "x": 0, "floor": 1.0}).set_crs("EPSG:4547", allow_override=True)
    with pytest.raises(CRSError, match="different CRSs"):
        allocate(gaps_of(blocks, elderly_care_beds=[1.0]), res, blocks, line_net, standards)
    with pytest.raises(CRSError, match="not a projected CRS"):
        allocate(
            gaps_of(blocks, elderly_care_beds=[1.0]),
            res.set_crs("EPSG:4326", allow_override=True),
            blocks.set_crs("EPSG:4326", allow_override=True),
            None,
            standards,
        )


def test_catalogue_errors_are_listed(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[pools.idle_room]\nfield = "floor_area_m2"\nfloor_m2_per_m2 = 1.0\n\n'
        '[[rules]]\nkey = "x"\nunit = "u"\narea = "volume"\nm2_per_unit = 1.0\nradius_m = 1.0\n'
        'categories = ["idle_room"]\n\n'
        '[[rules]]\nkey = "y"\nunit = "u"\narea = "land"\nm2_per_unit = 1.0\nradius_m = 1.0\n'
        'categories = ["idle_room", "moon"]\n',
        "utf-8",
    )
    with pytest.raises(AllocationError) as err:
        allocation_rules(bad)
    text = str(err.value)
    assert "volume" in text and "no land area" in text and "moon" in text


def test_packaged_catalogue_matches_provision_and_standards() -> None:
    rules = allocation_rules()
    provision_keys = {s.key for s in provision_specs()}
    assert {r.key for r in rules.rules} <= provision_keys
    for profile in ("national", "beijing"):
        standards = load_standards(profile)
        named = [v for r in rules.rules for v in (r.m2_per_unit, r.radius_m) if isinstance(v, str)]
        named += [v for p in rules.pools.values() for v in (p.floor_m2_per_m2, p.land_m2_per_m2) if isinstance(v, str)]
        for key in named:
            assert float(standards[key]) > 0


# ------------------------------------------------------------ distances ----


def _street_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points on the east–west streets y = 0, 100, …, 400 of the grid below, at random x in [0, 400]."""
    return np.column_stack([rng.uniform(0, 400, n).round(1), rng.integers(0, 5, n) * 100.0])


def _grid_graph_with(points: np.ndarray) -> nx.Graph:
    """The 100 m street grid over [0, 400]² as a networkx graph, with `points` (on east–west streets) as nodes."""
    g = nx.Graph()
    for x in range(0, 401, 100):
        for y in range(0, 400, 100):
            g.add_edge((float(x), float(y)), (float(x), float(y + 100)), weight=100.0)
    for y in range(0, 401, 100):
        xs = sorted({float(x) for x in range(0, 401, 100)} | {p[0] for p in points if p[1] == y})
        for a, b in itertools.pairwise(xs):
            g.add_edge((a, float(y)), (b, float(y)), weight=b - a)
    return g


@pytest.mark.parametrize("seed", range(3))
def test_walk_distances_match_networkx_in_any_batch_size(seed, monkeypatch) -> None:
    """Pair distances along a 100 m grid: the same with one Dijkstra source per batch as in one batch, and
    equal to networkx's shortest paths (points on the streets: no snapping) up to the limit."""
    from blockcheck.allocation import distances

    lines = [[(x, 0), (x, 400)] for x in range(0, 401, 100)] + [[(0, y), (400, y)] for y in range(0, 401, 100)]
    net = road_network(*lines)
    rng = np.random.default_rng(seed)
    r_xy, b_xy = _street_points(rng, 40), _street_points(rng, 15)
    limit = 350.0
    pi, pj, d = distances.pair_distances_m(net, r_xy, b_xy, limit)
    monkeypatch.setattr(distances, "_DIJKSTRA_CELLS", 1)  # one source per Dijkstra batch
    pi1, pj1, d1 = distances.pair_distances_m(net, r_xy, b_xy, limit)
    assert np.array_equal(pi, pi1) and np.array_equal(pj, pj1) and np.array_equal(d, d1)
    assert len(pi) == int((np.hypot(*(r_xy[:, None] - b_xy[None]).transpose(2, 0, 1)) <= limit).sum())
    g = _grid_graph_with(np.vstack([r_xy, b_xy]))
    for i, j, got in zip(pi, pj, d, strict=True):
        want = nx.shortest_path_length(g, tuple(r_xy[i]), tuple(b_xy[j]), weight="weight")
        if want <= limit:
            assert got == pytest.approx(want, abs=1e-6)
        else:
            assert got > limit - 1e-6


def test_resources_that_give_none_of_the_area_are_no_arcs(line_net, standards, tmp_path) -> None:
    """A pool giving 0 m² of floor per m² (γ = 0) closes no bed gap: nothing allocated, the whole gap remains."""
    catalogue = tmp_path / "zero.toml"
    catalogue.write_text(
        '[pools.idle_site]\nfield = "land_area_m2"\nfloor_m2_per_m2 = 0.0\n\n'
        '[[rules]]\nkey = "elderly_care_beds"\nunit = "beds"\narea = "floor"\nm2_per_unit = 40.0\n'
        'radius_m = 1000.0\ncategories = ["idle_site"]\n',
        "utf-8",
    )
    blocks, points = blocks_at({"A": (0, 0)})
    res = resources({"id": "S", "x": 100, "land": 1000.0, "category": "idle_site"})
    allocation, remaining = allocate(
        gaps_of(blocks, elderly_care_beds=[50.0]),
        res,
        blocks,
        line_net,
        standards,
        rules=allocation_rules(catalogue),
        block_points=points,
    )
    assert allocation.empty
    assert remaining.set_index("provision_key").loc["elderly_care_beds", "remaining_gap"] == pytest.approx(50.0)
