"""Tests of blockcheck.metrics.accessibility on hand-checkable scenes.

Scene (metres; the cross of roads A and B, blocks of 500 m × 500 m)::

     y=500 +-------------+-------------+
           |  CP02-0101  | CP02-0102   |
           |          r3·|             |
           |             B        r5 · |
           |  r2·   r1·  |  r4·        |
     y=0   A==F==========+=============A      F: kindergarten at (100, 10);
           |  r6·        |             |         bus stop at (0, 0)
           |  CP02-0103  |  CP02-0104  |
           |  (pop 0)    |  (nobody)   |
    y=-500 +-------------+-------------+
           x=0         x=500        x=1000

Walking distances from F (snap 10 m onto A at x = 100):

- r1 (400, 20),  pop 100: 10 + 300 + 20             = 330 m
- r2 (150, 40),  pop 200: 10 +  50 + 40             = 100 m
- r3 (480, 450), pop 700: 10 + 400 + 450 + 20       = 880 m  (snaps onto B)
- r4 (600, 10),  pop  50: 10 + 500 + 10             = 520 m  (block 0102)
- r5 (1000, 300), pop 150: 10 + 900 + 300           = 1210 m (block 0102, snaps to A's end)
- r6 (200, -100), pop 0 (block 0103)

Life circles 300 / 500 / 1000 m: block 0101 → 0.2 / 0.3 / 1.0; block 0102 →
0 / 0 / 50/200 = 0.25; 0103 (zero population) and 0104 (no residents) → NaN.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from blockcheck.errors import CRSError, InputError
from blockcheck.metrics.accessibility import (
    DEFAULT_LIFE_CIRCLE_M,
    bus_stop_coverage_ratio,
    life_circle_coverage,
    park_coverage_ratio,
)
from blockcheck.network import build_walk_network

CRS = "EPSG:4548"
IDS = ["CP02-0101", "CP02-0102", "CP02-0103", "CP02-0104"]
PARK_RULE = {"large_min_area_m2": 5000.0, "large_radius_m": 500.0, "small_min_area_m2": 2000.0, "small_radius_m": 300.0}


def _move(geom, shift):
    return shapely.transform(geom, lambda xy: xy + np.asarray(shift))


def scene(shift=(0.0, 0.0)) -> dict[str, gpd.GeoDataFrame]:
    """The layers of the module docstring, optionally shifted."""

    def g(data: dict, geoms: list) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(data, geometry=[_move(x, shift) for x in geoms], crs=CRS)

    blocks = g(
        {"block_id": IDS}, [box(0, 0, 500, 500), box(500, 0, 1000, 500), box(0, -500, 500, 0), box(500, -500, 1000, 0)]
    ).set_index("block_id")
    roads = g(
        {"class": ["arterial", "branch"], "status": ["built", "built"]},
        [LineString([(0, 0), (1000, 0)]), LineString([(500, -500), (500, 500)])],
    )
    residents = g(
        {
            "population": [100.0, 200.0, 700.0, 50.0, 150.0, 0.0],
            "block_id": ["CP02-0101"] * 3 + ["CP02-0102"] * 2 + ["CP02-0103"],
        },
        [Point(400, 20), Point(150, 40), Point(480, 450), Point(600, 10), Point(1000, 300), Point(200, -100)],
    )
    facilities = g({"category": ["kindergarten", "bus_stop"]}, [Point(100, 10), Point(0, 0)])
    return {"blocks": blocks, "roads": roads, "residents": residents, "facilities": facilities}


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    return scene()


# ------------------------------------------------------------ life circle ----


def test_life_circle_hand_computed(layers: dict) -> None:
    net = build_walk_network(layers["roads"])
    before = {k: v.copy() for k, v in layers.items()}
    out = life_circle_coverage(
        layers["blocks"],
        layers["residents"],
        layers["facilities"],
        net,
        radius_by_category_m={"kindergarten": 300.0, "elderly_care": 500.0},
    )
    assert list(out.columns) == [
        "life_circle_5min_kindergarten_ratio",
        "life_circle_10min_kindergarten_ratio",
        "life_circle_15min_kindergarten_ratio",
        "kindergarten_coverage_300m_walk_ratio",
        "life_circle_5min_elderly_care_ratio",
        "life_circle_10min_elderly_care_ratio",
        "life_circle_15min_elderly_care_ratio",
        "elderly_care_coverage_500m_walk_ratio",
    ]
    assert out.index.equals(layers["blocks"].index)
    assert all(dtype == np.float64 for dtype in out.dtypes)
    nan = np.nan
    expected = pd.DataFrame(
        {
            "life_circle_5min_kindergarten_ratio": [0.2, 0.0, nan, nan],
            "life_circle_10min_kindergarten_ratio": [0.3, 0.0, nan, nan],
            "life_circle_15min_kindergarten_ratio": [1.0, 0.25, nan, nan],
            "kindergarten_coverage_300m_walk_ratio": [0.2, 0.0, nan, nan],
            # no elderly-care facility at all: 0.0 (NaN where nobody lives)
            "life_circle_5min_elderly_care_ratio": [0.0, 0.0, nan, nan],
            "life_circle_10min_elderly_care_ratio": [0.0, 0.0, nan, nan],
            "life_circle_15min_elderly_care_ratio": [0.0, 0.0, nan, nan],
            "elderly_care_coverage_500m_walk_ratio": [0.0, 0.0, nan, nan],
        },
        index=pd.Index(IDS, name="block_id"),
    )
    pd.testing.assert_frame_equal(out, expected, atol=1e-12)
    for k, v in layers.items():  # inputs untouched
        pd.testing.assert_frame_equal(v, before[k])


def test_life_circle_distance_equal_to_radius_is_covered(layers: dict) -> None:
    """A resident at (590, 0) is 10 + 490 = 500 m from F: inside the 10-minute circle (<=)."""
    net = build_walk_network(layers["roads"])
    residents = gpd.GeoDataFrame(
        {"population": [1.0, 1.0], "block_id": ["CP02-0102"] * 2}, geometry=[Point(590, 0), Point(590.01, 0)], crs=CRS
    )
    out = life_circle_coverage(
        layers["blocks"], residents, layers["facilities"], net, radius_by_category_m={"kindergarten": 500.0}
    )
    assert out.loc["CP02-0102", "life_circle_10min_kindergarten_ratio"] == pytest.approx(0.5)
    assert out.loc["CP02-0102", "kindergarten_coverage_500m_walk_ratio"] == pytest.approx(0.5)


def test_life_circle_polygon_facility_is_entered_along_its_frontage(layers: dict) -> None:
    """A kindergarten site box(90, 5, 110, 15) around F fronts road A (5–15 m away): it is entered at its outline
    (issue 19.3), e.g. at its corner (110, 5): r1 walks 5 + 290 + 20 = 315 m instead of 330 m to F = (100, 10), so
    a 320 m radius covers r1 (100) and r2 (200) of block 0101's 1000 persons. A resident inside the site is at 0 m.
    """
    net = build_walk_network(layers["roads"])
    polygons = layers["facilities"].copy()
    polygons.loc[0, "geometry"] = box(90, 5, 110, 15)
    kw = {"radius_by_category_m": {"kindergarten": 320.0}}
    a = life_circle_coverage(layers["blocks"], layers["residents"], layers["facilities"], net, **kw)
    b = life_circle_coverage(layers["blocks"], layers["residents"], polygons, net, **kw)
    assert a.loc["CP02-0101", "kindergarten_coverage_320m_walk_ratio"] == pytest.approx(0.2)
    assert b.loc["CP02-0101", "kindergarten_coverage_320m_walk_ratio"] == pytest.approx(0.3)
    columns = [c for c in a.columns if c.startswith("life_circle_")]  # 300/500/1000 m: the same residents
    pd.testing.assert_frame_equal(a[columns], b[columns])
    inside = layers["residents"].copy()
    inside.loc[5, ["geometry", "block_id", "population"]] = [Point(95, 10), "CP02-0103", 10.0]
    c = life_circle_coverage(layers["blocks"], inside, polygons, net, radius_by_category_m={"kindergarten": 1.0})
    assert c.loc["CP02-0103", "kindergarten_coverage_1m_walk_ratio"] == 1.0


def test_life_circle_custom_minutes_and_defaults(layers: dict) -> None:
    net = build_walk_network(layers["roads"])
    assert dict(DEFAULT_LIFE_CIRCLE_M) == {5: 300.0, 10: 500.0, 15: 1000.0}
    out = life_circle_coverage(
        layers["blocks"],
        layers["residents"],
        layers["facilities"],
        net,
        radius_by_category_m={"kindergarten": 300.0},
        minutes_to_m={20: 1300.0},
    )
    assert list(out.columns) == ["life_circle_20min_kindergarten_ratio", "kindergarten_coverage_300m_walk_ratio"]
    assert out["life_circle_20min_kindergarten_ratio"].tolist()[:2] == [1.0, 1.0]


def test_life_circle_translation_invariant() -> None:
    kw = {"radius_by_category_m": {"kindergarten": 300.0, "bus_stop": 500.0}}
    a_layers, b_layers = scene(), scene(shift=(1e5, 1e5))
    a = life_circle_coverage(
        a_layers["blocks"], a_layers["residents"], a_layers["facilities"], build_walk_network(a_layers["roads"]), **kw
    )
    b = life_circle_coverage(
        b_layers["blocks"], b_layers["residents"], b_layers["facilities"], build_walk_network(b_layers["roads"]), **kw
    )
    pd.testing.assert_frame_equal(a, b, atol=1e-12)


def test_life_circle_empty_blocks_and_errors(layers: dict) -> None:
    net = build_walk_network(layers["roads"])
    empty = life_circle_coverage(
        layers["blocks"].iloc[:0],
        layers["residents"],
        layers["facilities"],
        net,
        radius_by_category_m={"kindergarten": 300.0},
    )
    assert len(empty) == 0
    assert all(dtype == np.float64 for dtype in empty.dtypes)
    with pytest.raises(InputError, match="category"):
        life_circle_coverage(
            layers["blocks"],
            layers["residents"],
            layers["facilities"].drop(columns="category"),
            net,
            radius_by_category_m={"kindergarten": 300.0},
        )
    with pytest.raises(InputError, match="population"):
        life_circle_coverage(
            layers["blocks"],
            layers["residents"].drop(columns="population"),
            layers["facilities"],
            net,
            radius_by_category_m={"kindergarten": 300.0},
        )
    bad_crs = layers["facilities"].set_crs("EPSG:32650", allow_override=True)
    with pytest.raises(CRSError):
        life_circle_coverage(
            layers["blocks"], layers["residents"], bad_crs, net, radius_by_category_m={"kindergarten": 300.0}
        )


# ------------------------------------------------------------------ parks ----


def park_scene() -> dict[str, gpd.GeoDataFrame]:
    """Parks near the cross of roads A (y = 0) and B (x = 500, here from y = -1000 to 500).

    ::

        large park L = box(100, 5, 200, 105)    10 000 m² → 500 m; corner (200, 5) is 5 m above A
        small park S = box(700, -100, 750, -50)  2 500 m² → 300 m; corners (700|750, -50) 50 m below A
        tiny park  T = box(45, -1000, 55, -990)    100 m² → not counted; inside a protective belt

        block 0101: w1 (500, 195) pop 100  walk 5 + 300 + 195 = 500 (= radius)    straight 313 (L)
                    w2 (490, 300) pop 200  walk 5 + 300 + 300 + 10 = 615 (no)     straight 349 (L)
                    w3 (150, 50)  pop 700  inside L                               inside
                    → walk 0.8, straight 1.0
        block 0102: nobody → NaN
        block 0103: w6 (50, -995) pop 50   inside T and the belt only             → 0.0
        block 0104: w4 (900, -20) pop 100  walk from S 50 + 150 + 20 = 220        straight 153 (S)
                    w5 (520, -300) pop 100 walk 570 from S, 625 from L (no)       straight 269 (S)
                    → walk 0.5, straight 1.0
    """
    s = scene()
    green = gpd.GeoDataFrame(
        {"kind": ["park", "park", "park", "protective"]},
        geometry=[box(100, 5, 200, 105), box(700, -100, 750, -50), box(45, -1000, 55, -990), box(0, -1000, 500, -900)],
        crs=CRS,
    )
    residents = gpd.GeoDataFrame(
        {
            "population": [100.0, 200.0, 700.0, 100.0, 100.0, 50.0],
            "block_id": ["CP02-0101"] * 3 + ["CP02-0104"] * 2 + ["CP02-0103"],
        },
        geometry=[Point(500, 195), Point(490, 300), Point(150, 50), Point(900, -20), Point(520, -300), Point(50, -995)],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        {"class": ["arterial", "branch"], "status": ["built", "built"]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(500, -1000), (500, 500)])],
        crs=CRS,
    )
    return {"blocks": s["blocks"], "residents": residents, "green": green, "roads": roads}


def test_park_coverage_straight_line() -> None:
    p = park_scene()
    out = park_coverage_ratio(p["blocks"], p["residents"], p["green"], **PARK_RULE)
    assert out.name == "park_coverage_500m_ratio"
    assert out.dtype == float
    np.testing.assert_allclose(out.to_numpy(), [1.0, np.nan, 0.0, 1.0])
    assert out.index.equals(p["blocks"].index)


def test_park_coverage_walking() -> None:
    p = park_scene()
    before = p["green"].copy()
    out = park_coverage_ratio(
        p["blocks"], p["residents"], p["green"], network=build_walk_network(p["roads"]), **PARK_RULE
    )
    assert out.name == "park_coverage_500m_walk_ratio"
    np.testing.assert_allclose(out.to_numpy(), [0.8, np.nan, 0.0, 0.5])
    pd.testing.assert_frame_equal(p["green"], before)


def test_park_size_rule_boundaries() -> None:
    """A park of exactly 5000 m² is large (500 m); one of exactly 2000 m² is small (300 m)."""
    p = park_scene()
    green = gpd.GeoDataFrame({"kind": ["park"]}, geometry=[box(0, 0, 50, 100)], crs=CRS)  # 5000 m²
    residents = gpd.GeoDataFrame(
        {"population": [1.0], "block_id": ["CP02-0101"]}, geometry=[Point(450, 50)], crs=CRS
    )  # 400 m away
    assert park_coverage_ratio(p["blocks"], residents, green, **PARK_RULE).iloc[0] == 1.0
    green2 = gpd.GeoDataFrame({"kind": ["park"]}, geometry=[box(0, 0, 20, 100)], crs=CRS)  # 2000 m²
    assert park_coverage_ratio(p["blocks"], residents, green2, **PARK_RULE).iloc[0] == 0.0
    near = residents.set_geometry([Point(320, 50)], crs=CRS)  # 300 m from the 2000 m² park
    assert park_coverage_ratio(p["blocks"], near, green2, **PARK_RULE).iloc[0] == 1.0


def test_park_coverage_unions_overlapping_parks() -> None:
    """A garden inside a park changes nothing; two overlapping halves are sized as one park."""
    p = park_scene()
    residents = gpd.GeoDataFrame({"population": [1.0], "block_id": ["CP02-0101"]}, geometry=[Point(450, 50)], crs=CRS)
    park = gpd.GeoDataFrame(
        {"kind": ["park", "park"]}, geometry=[box(0, 0, 50, 100), box(20, 40, 40, 60)], crs=CRS
    )  # 5000 m² + garden
    assert park_coverage_ratio(p["blocks"], residents, park, **PARK_RULE).iloc[0] == 1.0  # 400 m from a large park
    # two 30 × 100 m polygons overlapping by 10 m: 3000 m² each (small, 300 m), one park of 5000 m² (large, 500 m)
    halves = gpd.GeoDataFrame({"kind": ["park", "park"]}, geometry=[box(0, 0, 30, 100), box(20, 0, 50, 100)], crs=CRS)
    assert park_coverage_ratio(p["blocks"], residents, halves, **PARK_RULE).iloc[0] == 1.0
    assert park_coverage_ratio(p["blocks"], residents, halves.iloc[:1], **PARK_RULE).iloc[0] == 0.0


def test_park_coverage_translation_invariant() -> None:
    p = park_scene()
    shift = (1e5, 1e5)
    q = {k: v.set_geometry(v.geometry.translate(*shift)) for k, v in p.items()}
    for net_p, net_q in ((None, None), (build_walk_network(p["roads"]), build_walk_network(q["roads"]))):
        a = park_coverage_ratio(p["blocks"], p["residents"], p["green"], network=net_p, **PARK_RULE)
        b = park_coverage_ratio(q["blocks"], q["residents"], q["green"], network=net_q, **PARK_RULE)
        pd.testing.assert_series_equal(a, b, atol=1e-12)


def test_park_coverage_errors() -> None:
    p = park_scene()
    with pytest.raises(InputError, match="kind"):
        park_coverage_ratio(p["blocks"], p["residents"], p["green"].drop(columns="kind"), **PARK_RULE)
    with pytest.raises(InputError, match="small_min_area_m2"):
        park_coverage_ratio(p["blocks"], p["residents"], p["green"], **{**PARK_RULE, "small_min_area_m2": 9000.0})
    polys = p["residents"].set_geometry(p["residents"].buffer(5))
    with pytest.raises(InputError, match="not non-empty Points"):
        park_coverage_ratio(p["blocks"], polys, p["green"], **PARK_RULE)
    with pytest.raises(CRSError):
        park_coverage_ratio(p["blocks"].to_crs("EPSG:4326"), p["residents"], p["green"], **PARK_RULE)


# -------------------------------------------------------------- bus stops ----


def test_bus_stop_coverage_stop_exactly_at_radius() -> None:
    """Stop at (0, 0); residents at (300, 0) pop 100 (exactly 300 m: covered) and (0, 300.5) pop 300."""
    s = scene()
    residents = gpd.GeoDataFrame(
        {"population": [100.0, 300.0], "block_id": ["CP02-0101"] * 2},
        geometry=[Point(300, 0), Point(0, 300.5)],
        crs=CRS,
    )
    out = bus_stop_coverage_ratio(s["blocks"], residents, s["facilities"], radius_m=300.0)
    assert out.name == "bus_stop_coverage_300m_ratio"
    assert out.dtype == float
    np.testing.assert_allclose(out.to_numpy(), [0.25, np.nan, np.nan, np.nan])
    out500 = bus_stop_coverage_ratio(s["blocks"], residents, s["facilities"], radius_m=500)
    assert out500.name == "bus_stop_coverage_500m_ratio"
    assert out500.iloc[0] == 1.0


def test_bus_stop_coverage_ignores_other_categories_and_outsiders() -> None:
    s = scene()
    facilities = gpd.GeoDataFrame({"category": ["kindergarten"]}, geometry=[Point(300, 0)], crs=CRS)
    residents = gpd.GeoDataFrame(
        {"population": [100.0, 5.0], "block_id": ["CP02-0101", "XX99-9999"]},
        geometry=[Point(300, 0), Point(0, 0)],
        crs=CRS,
    )
    out = bus_stop_coverage_ratio(s["blocks"], residents, facilities, radius_m=300.0)
    np.testing.assert_allclose(out.to_numpy(), [0.0, np.nan, np.nan, np.nan])


def test_duplicate_block_ids_and_bad_population() -> None:
    s = scene()
    dup = pd.concat([s["blocks"], s["blocks"].iloc[:1]])
    with pytest.raises(InputError, match="not unique"):
        bus_stop_coverage_ratio(dup, s["residents"], s["facilities"], radius_m=300.0)
    bad = s["residents"].copy()
    bad.loc[0, "population"] = -1.0
    with pytest.raises(InputError, match="negative"):
        bus_stop_coverage_ratio(s["blocks"], bad, s["facilities"], radius_m=300.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), radius_m=st.sampled_from([0.0, 5.0, 37.5, 300.0, 500.0]))
def test_within_m_equals_exact_distances(seed: int, radius_m: float) -> None:
    """_within_m (nearest densified-outline vertex + exact checks in the band) equals shapely.distance <= radius.

    Random polygons (some with holes) and lines; points placed at random, inside polygons, and exactly at
    the radius from an outline (the inclusive edge case).
    """
    from blockcheck.metrics.accessibility import _within_m

    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3000, size=(12, 2))
    sizes = rng.uniform(20, 400, size=12)
    polys = [
        shapely.Point(c).buffer(r, quad_segs=rng.integers(1, 6)) for c, r in zip(centres[:8], sizes[:8], strict=True)
    ]
    polys[0] = polys[0].difference(shapely.Point(centres[0]).buffer(sizes[0] / 3))  # a hole
    lines = [LineString([c, c + rng.uniform(-500, 500, 2), c + rng.uniform(-500, 500, 2)]) for c in centres[8:]]
    for geoms in (np.array(polys, dtype=object), np.array(lines, dtype=object), np.array(polys + lines, dtype=object)):
        outline = shapely.boundary(geoms[0]) if geoms[0].geom_type == "Polygon" else geoms[0]
        along = shapely.line_interpolate_point(outline, rng.uniform(0, 1, 20), normalized=True)
        normal = rng.normal(size=(20, 2))
        normal /= np.linalg.norm(normal, axis=1)[:, None]
        at_radius = shapely.points(shapely.get_coordinates(along) + normal * radius_m)
        a, b = shapely.get_coordinates(lines[0])[:2]
        perp = np.array([b[1] - a[1], a[0] - b[0]]) / np.hypot(*(b - a))
        exact = shapely.points([(a + b) / 2 + perp * radius_m, (a + b) / 2 - perp * (radius_m + 0.01)])
        points = np.concatenate(
            [shapely.points(rng.uniform(-600, 3600, size=(400, 2))), at_radius, exact, shapely.points(centres[:8])]
        )
        expected = shapely.distance(points[:, None], geoms[None, :]).min(axis=1) <= radius_m + 1e-6
        np.testing.assert_array_equal(_within_m(points, geoms, radius_m), expected)
