"""The resource rules (blockcheck.lists.resource_rules): each detection rule just inside and just outside its
thresholds, and one tree over the buildings' points for the rules that place them on parcels.

Scenes are tiny and drawn in code (EPSG:4548 metres, origin X0, Y0 of tests/districts.py).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from blockcheck.lists import resource_rules as rr
from blockcheck.lists.resources import (
    build_resource_list,
)
from blockcheck.standards import load_standards
from districts import CRS, X0, Y0, tiny_layers

STD = load_standards("beijing")


def _b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _p(*pts):
    return Polygon([(X0 + x, Y0 + y) for x, y in pts])


def _l(*pts):
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(frame["geometry"]), crs=CRS)


def _parcels(*rows) -> gpd.GeoDataFrame:
    return _gdf([{"parcel_id": pid, "land_use": lu, "status": st, "geometry": g} for pid, lu, st, g in rows])


#: Idle-site thresholds with every subtype test switched off; tests switch one on.
OFF = {
    "coverage_max_ratio": 0.05,
    "scattered_max_area_m2": 1e9,
    "enclave_min_enclosure_ratio": 2.0,
    "corner_max_width_m": -1.0,
    "narrow_max_compactness": -1.0,
    "street_corner_min_angle_deg": 999.0,
    "street_frontage_max_dist_m": 5.0,
}


def _subtypes(parcels, roads=None, **thresholds) -> dict:
    found = rr.idle_sites(parcels, None, roads, **{**OFF, **thresholds})
    return {i: (None if pd.isna(s) else s) for i, s in zip(found["source_id"], found["subtype"], strict=True)}


# ------------------------------------------------------------------ idle sites


def test_idle_sites_by_status_and_by_coverage_just_inside_and_outside() -> None:
    """Six 100 m × 100 m parcels, 200 m apart; coverage threshold 5 % = 500 m².

    P1 vacant, P2 idle → status rule. P3 built R2 with 499 m² of building (4.99 %) → coverage rule;
    P4 the same with 501 m² (5.01 %) → not idle. P5 built G1 without buildings → open by design.
    P6 built B1 without buildings but with a facility on it → in use. P7 planned → not an idle site.
    """
    parcels = _parcels(
        ("P1", "X", "vacant", _b(0, 0, 100, 100)),
        ("P2", "X", "idle", _b(200, 0, 300, 100)),
        ("P3", "R2", "built", _b(400, 0, 500, 100)),
        ("P4", "R2", "built", _b(600, 0, 700, 100)),
        ("P5", "G1", "built", _b(800, 0, 900, 100)),
        ("P6", "B1", "built", _b(1000, 0, 1100, 100)),
        ("P7", "A33", "planned", _b(1200, 0, 1300, 100)),
    )
    buildings = _gdf(
        [
            {"building_id": "B3", "use": "residential", "geometry": _b(410, 10, 410 + 49.9, 20)},
            {"building_id": "B4", "use": "residential", "geometry": _b(610, 10, 610 + 50.1, 20)},
        ]
    )
    facilities = _gdf([{"facility_id": "F6", "category": "market", "geometry": Point(X0 + 1050, Y0 + 50)}])
    before = parcels.copy()
    found = rr.idle_sites(parcels, buildings, None, in_use=[facilities], **OFF)
    assert dict(zip(found["source_id"], found["rule_id"], strict=True)) == {
        "P1": "idle_site.status",
        "P2": "idle_site.status",
        "P3": "idle_site.coverage",
    }
    p3 = found.set_index("source_id").loc["P3"]
    assert "建筑覆盖率5.0%（≤5%）" in p3["reason"]
    assert "coverage 5.0% (≤ 5%)" in p3["reason_en"]
    assert "地块状态为空地" in found.set_index("source_id").loc["P1", "reason"]
    pd.testing.assert_frame_equal(parcels, before)
    assert list(found.columns) == [*rr.RULE_COLUMNS, "geometry"]


@settings(max_examples=40, deadline=None)
@given(cover=st.floats(0.0, 0.3), limit=st.floats(0.01, 0.3), dx=st.floats(-5e3, 5e3), dy=st.floats(-5e3, 5e3))
def test_coverage_rule_fires_iff_coverage_within_the_limit(cover, limit, dx, dy) -> None:
    """A built 100 m × 100 m B1 parcel with one building covering `cover` of it, anywhere."""
    if abs(cover - limit) < 1e-6:
        return
    parcels = _parcels(("P", "B1", "built", _b(dx, dy, dx + 100, dy + 100)))
    buildings = (
        _gdf([{"building_id": "B", "use": "commercial", "geometry": _b(dx, dy, dx + 100, dy + 100 * cover)}])
        if cover > 0
        else None
    )
    found = rr.idle_sites(parcels, buildings, None, **{**OFF, "coverage_max_ratio": limit})
    assert (len(found) == 1) == (cover <= limit)


@settings(max_examples=40, deadline=None)
@given(w=st.floats(1.0, 300.0), h=st.floats(1.0, 300.0))
def test_shape_measures_of_rectangles(w, h) -> None:
    shape = rr.shape_measures(_parcels(("R", "X", "idle", _b(0, 0, w, h))).geometry.values).iloc[0]
    assert shape["width_m"] == pytest.approx(min(w, h))
    assert shape["compactness"] == pytest.approx(math.pi * w * h / (w + h) ** 2)


def test_small_site_area_threshold() -> None:
    """Compact squares of 4,999 m² and 5,001 m²; small plots are those ≤ 5,000 m²."""
    side_in, side_out = math.sqrt(4999.0), math.sqrt(5001.0)
    parcels = _parcels(
        ("IN", "X", "idle", _b(0, 0, side_in, side_in)), ("OUT", "X", "idle", _b(300, 0, 300 + side_out, side_out))
    )
    assert _subtypes(parcels, scattered_max_area_m2=5000.0) == {"IN": "scattered", "OUT": None}
    found = rr.idle_sites(parcels, None, None, **{**OFF, "scattered_max_area_m2": 5000.0})
    assert "面积0.50公顷＞0.50公顷" in found.set_index("source_id").loc["OUT", "reason"]


@pytest.mark.parametrize(("arm_top", "expected"), [(100.0, "enclave"), (98.0, "scattered")])
def test_enclave_enclosure_threshold(arm_top, expected) -> None:
    """A 100 m square idle plot inside a U-shaped retained parcel (arms up to `arm_top`).

    Shared perimeter (1 m adjacency tolerance): south 100 m + each arm min(arm_top + 1, 100) m, plus 1 m
    of the north edge at each end when the arms reach y = 100: 302 / 400 = 0.755 (≥ 0.75, enclave) or,
    with arms to y = 98, 99 + 99 + 100 = 298 / 400 = 0.745 (not).
    """
    u_shape = _p((-50, -50), (150, -50), (150, arm_top), (100, arm_top), (100, 0), (0, 0), (0, arm_top), (-50, arm_top))
    parcels = _parcels(("I", "X", "idle", _b(0, 0, 100, 100)), ("U", "R2", "retained", u_shape))
    ratio = rr.enclosure_ratio(parcels.geometry.values, np.array([0]))[0]
    assert ratio == pytest.approx(0.755 if arm_top == 100 else 0.745, abs=1e-3)
    assert _subtypes(parcels, enclave_min_enclosure_ratio=0.75) == {"I": expected}


@pytest.mark.parametrize(("width", "expected"), [(14.9, "corner"), (15.1, "scattered")])
def test_corner_width_threshold(width, expected) -> None:
    parcels = _parcels(("S", "X", "idle", _b(0, 0, width, 40)))
    assert rr.shape_measures(parcels.geometry.values)["width_m"].iloc[0] == pytest.approx(width)
    assert _subtypes(parcels, corner_max_width_m=15.0) == {"S": expected}


@pytest.mark.parametrize(("target", "expected"), [(0.545, "corner"), (0.555, "scattered")])
def test_corner_compactness_threshold(target, expected) -> None:
    """Rectangles 20 m × 20r m with isoperimetric quotient π r / (1 + r)² = `target` (threshold 0.55)."""
    # π r / (1 + r)² = t  →  t r² + (2t − π) r + t = 0, the root > 1
    r = ((math.pi - 2 * target) + math.sqrt((2 * target - math.pi) ** 2 - 4 * target**2)) / (2 * target)
    parcels = _parcels(("S", "X", "idle", _b(0, 0, 20, 20 * r)))
    assert rr.shape_measures(parcels.geometry.values)["compactness"].iloc[0] == pytest.approx(target)
    assert _subtypes(parcels, narrow_max_compactness=0.55) == {"S": expected}


def _parallelogram_scene(angle_deg: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A plot with a 60 m edge on a 20 m wide street (centre line 10 m south) and a 60 m edge along a second
    20 m street at `angle_deg` to the first (centre line 10 m outside that edge)."""
    a = math.radians(angle_deg)
    u, n = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    pts = [(0, 0), (60, 0), tuple(np.array([60, 0]) + 60 * u), tuple(60 * u)]
    start, end = 10 * n - 100 * u, 10 * n + 200 * u
    roads = _gdf(
        [
            {"road_id": "A", "class": "secondary", "width_m": 20.0, "geometry": _l((-200, -10), (300, -10))},
            {"road_id": "B", "class": "secondary", "width_m": 20.0, "geometry": _l(tuple(start), tuple(end))},
        ]
    )
    return _parcels(("S", "X", "idle", _p(*pts))), roads


@pytest.mark.parametrize(("angle", "expected"), [(50.0, "street_corner"), (40.0, "scattered")])
def test_street_corner_angle_threshold(angle, expected) -> None:
    parcels, roads = _parallelogram_scene(angle)
    measured = rr.street_corner_angle_deg(parcels.geometry.values, roads, frontage_max_dist_m=5.0)[0]
    assert measured == pytest.approx(angle, abs=1.0)
    assert _subtypes(parcels, roads, street_corner_min_angle_deg=45.0) == {"S": expected}


def test_street_corner_needs_two_frontages_and_the_red_line_distance() -> None:
    """C sits on the corner of two 20 m streets (red lines at x = 0 and y = 0). T fronts the east–west
    street only, facing the end of a north–south street coming from the south (a T-junction across the
    street): not a corner (an internal compound road along its east edge does not count). F is 6 m
    back from both red lines: no frontage with a 5 m tolerance, a corner with 6.5 m."""
    roads = _gdf(
        [
            {"road_id": "EW", "class": "arterial", "width_m": 20.0, "geometry": _l((-300, -10), (600, -10))},
            {"road_id": "NS", "class": "arterial", "width_m": 20.0, "geometry": _l((-10, -300), (-10, 300))},
            {"road_id": "T", "class": "branch", "width_m": 20.0, "geometry": _l((325, -10), (325, -300))},
            {"road_id": "IN", "class": "internal", "width_m": 7.0, "geometry": _l((345, 5), (345, 45))},
        ]
    )
    parcels = _parcels(("C", "X", "idle", _b(0, 0, 50, 50)), ("T", "X", "idle", _b(300, 0, 350, 50)))
    angles = dict(
        zip(
            parcels["parcel_id"],
            rr.street_corner_angle_deg(parcels.geometry.values, roads, frontage_max_dist_m=5.0),
            strict=True,
        )
    )
    assert angles["C"] == pytest.approx(90.0) and angles["T"] == 0.0
    shifted = _parcels(("F", "X", "idle", _b(6, 6, 56, 56)))
    assert rr.street_corner_angle_deg(shifted.geometry.values, roads, frontage_max_dist_m=5.0)[0] == 0.0
    assert rr.street_corner_angle_deg(shifted.geometry.values, roads, frontage_max_dist_m=6.5)[0] == pytest.approx(90.0)
    found = rr.idle_sites(parcels, None, roads, **{**OFF, "street_corner_min_angle_deg": 45.0})
    assert dict(zip(found["source_id"], found["subtype"], strict=True)) == {"C": "street_corner", "T": "scattered"}
    assert "临街边夹角90°≥45°" in found["reason"].iloc[0]


# ------------------------------------------------------------ other land rules


def test_low_quality_green_and_streets() -> None:
    green = _gdf(
        [
            {"green_id": "G1", "kind": "attached", "quality": "poor", "geometry": _b(0, 0, 50, 40)},
            {"green_id": "G2", "kind": "park", "quality": "fair", "geometry": _b(100, 0, 150, 40)},
        ]
    )
    roads = _gdf(
        [
            {
                "road_id": "R1",
                "name": "立汤路",
                "class": "secondary",
                "status": "built",
                "width_m": 20.0,
                "quality": "poor",
                "geometry": _l((0, 100), (100, 100)),
            },
            {
                "road_id": "R2",
                "class": "branch",
                "status": "built",
                "width_m": np.nan,
                "quality": "good",
                "geometry": _l((0, 200), (100, 200)),
            },
            {
                "road_id": "R3",
                "class": "branch",
                "status": "built",
                "width_m": np.nan,
                "quality": "fair",
                "geometry": _l((0, 300), (100, 300)),
            },
        ]
    )
    found = rr.low_quality_spaces(green, roads, low_quality_levels=["poor"]).set_index("source_id")
    assert list(found.index) == ["G1", "R1"]
    assert found.loc["G1", "subtype"] == "attached_green" and found.loc["G1", "land_area_m2"] == pytest.approx(2000.0)
    assert found.loc["R1", "subtype"] == "street" and found.loc["R1", "land_area_m2"] == pytest.approx(100 * 20.0)
    assert "街道品质为较差" in found.loc["R1", "reason"] and "立汤路" in found.loc["R1", "reason"]
    wider = rr.low_quality_spaces(green, roads, low_quality_levels=["poor", "fair"]).set_index("source_id")
    assert set(wider.index) == {"G1", "G2", "R1", "R3"}
    assert wider.loc["R3", "land_area_m2"] == pytest.approx(100 * rr.DEFAULT_ROAD_WIDTH_M["branch"])


def test_planned_new_land_reports_potential_floor_area() -> None:
    parcels = _parcels(("N", "A33", "planned", _b(0, 0, 100, 100)), ("B", "R2", "built", _b(200, 0, 300, 100)))
    parcels["permitted_far"], parcels["built_far"] = [1.2, 2.0], [0.2, 2.0]
    found = rr.planned_new_land(parcels)
    assert found["source_id"].tolist() == ["N"]
    assert found["potential_floor_area_m2"].iloc[0] == pytest.approx(10_000.0)
    assert "可增建筑面积约10,000平方米" in found["reason"].iloc[0] and "中小学用地" in found["reason"].iloc[0]


def test_retained_land_by_age_of_its_buildings() -> None:
    """Retained parcels: L20 buildings from 2006 (20 years in 2026, listed), L19 from 2007 (not),
    L0 without buildings (age unknown, listed); B built in 1980 is not retained (status built)."""
    parcels = _parcels(
        ("L20", "R2", "retained", _b(0, 0, 100, 100)),
        ("L19", "R2", "retained", _b(200, 0, 300, 100)),
        ("L0", "G1", "retained", _b(400, 0, 500, 100)),
        ("B", "R2", "built", _b(600, 0, 700, 100)),
    )
    buildings = _gdf(
        [
            {"building_id": "a", "use": "residential", "floors": 6, "year_built": 2004, "geometry": _b(10, 10, 30, 30)},
            {"building_id": "b", "use": "residential", "floors": 6, "year_built": 2008, "geometry": _b(50, 10, 70, 30)},
            {
                "building_id": "c",
                "use": "residential",
                "floors": 6,
                "year_built": 2007,
                "geometry": _b(210, 10, 230, 30),
            },
            {
                "building_id": "d",
                "use": "residential",
                "floors": 6,
                "year_built": 1980,
                "geometry": _b(610, 10, 630, 30),
            },
        ]
    )
    found = rr.retained_land(parcels, buildings, min_age_yr=20, as_of_year=2026).set_index("source_id")
    assert list(found.index) == ["L20", "L0"]
    assert "平均建成于2006年，至2026年已使用20年（≥20年）" in found.loc["L20", "reason"]
    assert "使用年限未知" in found.loc["L0", "reason"]


# ------------------------------------------------------------ building rules


def _buildings(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {
        "subtype": None,
        "floors": 1,
        "year_built": 2000,
        "status": "in_use",
        "occupancy_ratio": 0.9,
        "roof": "pitched",
        "underground_area_m2": 0.0,
        "underground_used_m2": 0.0,
        "employees": np.nan,
    }
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        w, h = row.pop("w", 10.0), row.pop("h", 10.0)
        out.append({**base, **row, "geometry": _b(300 * i, 0, 300 * i + w, h)})
    return _gdf(out)


def test_idle_rooms_from_use_and_status() -> None:
    b = _buildings(
        [
            {"building_id": "boiler", "use": "ancillary", "subtype": "boiler_room", "status": "idle"},
            {"building_id": "shed", "use": "ancillary", "subtype": "bike_shed", "status": "in_use"},
            {"building_id": "flat", "use": "residential", "status": "idle"},
            {"building_id": "office", "use": "office", "status": "idle"},
        ]
    )
    found = rr.idle_rooms(b).set_index("source_id")
    assert dict(found["subtype"]) == {"boiler": "boiler_room", "flat": "other"}
    assert "附属用房（锅炉房）" in found.loc["boiler", "reason"]


def test_low_efficiency_thresholds() -> None:
    """Occupancy ≤ 0.5 and (offices, shops) jobs per 1,000 m² < 20; 1,000 m² of floor each (10 × 10 m, 10 floors)."""
    rows = [
        {"building_id": "occ_in", "use": "office", "occupancy_ratio": 0.50, "employees": 60.0},
        {"building_id": "occ_out", "use": "office", "occupancy_ratio": 0.51, "employees": 60.0},
        {"building_id": "yield_in", "use": "commercial", "employees": 19.9},
        {"building_id": "yield_out", "use": "commercial", "employees": 20.0},
        {"building_id": "status", "use": "warehouse", "status": "low_efficiency"},
        {"building_id": "home", "use": "residential", "occupancy_ratio": 0.1},
        {"building_id": "plant", "use": "industrial", "occupancy_ratio": 0.9, "employees": 1.0},
    ]
    found = rr.low_efficiency_buildings(
        _buildings([{**r, "floors": 10} for r in rows]), occupancy_max_ratio=0.5, min_jobs_per_1000m2=20.0
    )
    found = found.set_index("source_id")
    assert dict(found["rule_id"]) == {
        "occ_in": "low_efficiency_building.occupancy",
        "yield_in": "low_efficiency_building.yield",
        "status": "low_efficiency_building.status",
    }
    assert dict(found["subtype"]) == {
        "occ_in": "office_building",
        "yield_in": "commercial_building",
        "status": "industrial_building",
    }
    assert found.loc["occ_in", "floor_area_m2"] == pytest.approx(1000.0)
    assert (
        "使用率50%（≤50%）" in found.loc["occ_in", "reason"]
        and "就业密度19.9人/千平方米（<20）" in found.loc["yield_in", "reason"]
    )


def test_roof_min_area() -> None:
    b = _buildings(
        [
            {"building_id": "in", "use": "office", "roof": "flat", "w": 30.0, "h": 10.0},
            {"building_id": "out", "use": "office", "roof": "flat", "w": 29.9, "h": 10.0},
            {"building_id": "pitched", "use": "commercial", "roof": "pitched", "w": 50.0, "h": 50.0},
            {"building_id": "home", "use": "residential", "roof": "flat", "w": 50.0, "h": 50.0},
            {"building_id": "school", "use": "education", "roof": "flat", "w": 50.0, "h": 50.0},
        ]
    )
    found = rr.roofs(b, min_area_m2=300.0).set_index("source_id")
    assert dict(found["subtype"]) == {"in": "commercial_office", "school": "public_building"}
    assert found.loc["in", "land_area_m2"] == pytest.approx(300.0)


def test_underground_unused_threshold() -> None:
    b = _buildings(
        [
            {"building_id": "in", "use": "residential", "underground_area_m2": 500.0, "underground_used_m2": 400.0},
            {"building_id": "out", "use": "residential", "underground_area_m2": 500.0, "underground_used_m2": 401.0},
            {"building_id": "over", "use": "residential", "underground_area_m2": 500.0, "underground_used_m2": 900.0},
        ]
    )
    found = rr.underground_space(b, min_unused_m2=100.0)
    assert found["source_id"].tolist() == ["in"] and found["floor_area_m2"].iloc[0] == pytest.approx(100.0)
    assert "利用率80%" in found["reason"].iloc[0]


def test_retained_buildings_by_age_and_status() -> None:
    b = _buildings(
        [
            {"building_id": "y2006", "use": "residential", "year_built": 2006},
            {"building_id": "y2007", "use": "residential", "year_built": 2007},
            {"building_id": "low", "use": "office", "year_built": 1990, "status": "low_efficiency"},
            {"building_id": "listed", "use": "office", "year_built": 1990},
            {"building_id": "undated", "use": "residential", "year_built": None},
        ]
    )
    found = rr.retained_buildings(b, min_age_yr=20, as_of_year=2026, exclude_ids={"listed"})
    assert found["source_id"].tolist() == ["y2006"]
    assert "建成于2006年，至2026年已使用20年（≥20年）" in found["reason"].iloc[0]


def test_expandable_facilities_far_gap_and_land_per_place() -> None:
    """Two A33 parcels of 1 ha: gap 0.101 (in, two schools share 1,010 m²) and 0.099 (out).
    A kindergarten with 3,500 m² of land: 181 places → 19.34 m² each (< 19.4, in), 180 → 19.44 (out).
    A bus stop on an A parcel and a clinic on residential land are not expandable."""
    parcels = _parcels(
        ("A1", "A33", "built", _b(0, 0, 100, 100)),
        ("A2", "A33", "built", _b(200, 0, 300, 100)),
        ("R", "R2", "built", _b(400, 0, 500, 100)),
    )
    parcels["built_far"], parcels["permitted_far"] = [0.5, 0.5, 1.0], [0.601, 0.599, 3.0]
    facilities = _gdf(
        [
            {"facility_id": "S1", "name": "一小", "category": "primary_school", "geometry": Point(X0 + 20, Y0 + 50)},
            {"facility_id": "S2", "name": "二小", "category": "middle_school", "geometry": Point(X0 + 70, Y0 + 50)},
            {"facility_id": "S3", "name": "三小", "category": "primary_school", "geometry": Point(X0 + 250, Y0 + 50)},
            {"facility_id": "BUS", "category": "bus_stop", "geometry": Point(X0 + 30, Y0 + 30)},
            {"facility_id": "CL", "category": "clinic", "geometry": Point(X0 + 450, Y0 + 50)},
            {
                "facility_id": "K181",
                "category": "kindergarten",
                "seats": 181.0,
                "land_area_m2": 3500.0,
                "geometry": Point(X0 + 900, Y0 + 50),
            },
            {
                "facility_id": "K180",
                "category": "kindergarten",
                "seats": 180.0,
                "land_area_m2": 3500.0,
                "geometry": Point(X0 + 1900, Y0 + 50),
            },
        ]
    )
    found = rr.expandable_facilities(
        facilities, parcels, min_far_gap=0.1, min_land_m2_per_capacity={"kindergarten": 19.4}
    )
    found = found.set_index("source_id")
    assert dict(found["rule_id"]) == {
        "S1": "expandable_facility.far",
        "S2": "expandable_facility.far",
        "K181": "expandable_facility.land",
    }
    assert found.loc["S1", "potential_floor_area_m2"] == pytest.approx(0.101 * 10_000 / 2)
    assert (
        found.loc["S1", "geometry"].equals(parcels.geometry.iloc[0])
        and found.loc["K181", "geometry"].geom_type == "Point"
    )
    assert (
        "地块内2处设施平分" in found.loc["S1", "reason"]
        and "生均用地19.3平方米（参数≥19.4）" in found.loc["K181", "reason"]
    )
    assert set(found["subtype"]) == {"education"}
    assert dict(found["facility_category"]) == {"S1": "primary_school", "S2": "middle_school", "K181": "kindergarten"}


def test_the_buildings_points_get_one_tree_for_every_rule_that_places_them_on_parcels(monkeypatch) -> None:
    import shapely

    import blockcheck.lists.resources as resources_module
    import blockcheck.metrics.assign as assign_module

    layers = tiny_layers()
    more = _parcels(("P3", "R2", "planned", _b(290, 110, 365, 145)), ("P4", "R2", "retained", _b(315, 145, 375, 185)))
    layers["parcels"] = pd.concat([layers["parcels"], more.assign(permitted_far=3.0)], ignore_index=True)
    expected = build_resource_list(layers, STD, as_of_year=2026)
    # each of the three rules placed a building: P3 holds B2, P4 holds B3 (their floor area, their age)
    assert {"RL-planned_new_land-parcels-P3", "RL-idle_site-parcels-P2"} <= set(expected["resource_id"])
    built: list[np.ndarray] = []

    class Counted(shapely.STRtree):
        def __init__(self, geoms, *args, **kwargs) -> None:
            built.append(np.asarray(geoms, dtype=object))
            super().__init__(geoms, *args, **kwargs)

    monkeypatch.setattr(resources_module.shapely, "STRtree", Counted)
    monkeypatch.setattr(assign_module.shapely, "STRtree", Counted)
    found = build_resource_list(layers, STD, as_of_year=2026)
    # idle sites, planned new land and retained land place the buildings on parcels: one tree over their points
    points = assign_module.representative_points(layers["buildings"])
    over_points = [g for g in built if len(g) == len(points) and shapely.equals(g, points).all()]
    assert len(over_points) == 1
    pd.testing.assert_frame_equal(found, expected)
