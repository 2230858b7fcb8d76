"""Road metrics on hand-checkable fixtures.

Two 200 m × 200 m blocks side by side (A: x 0–200, B: x 200–400), area 4 ha each::

    y=200 +-----------+-----------+
          |     A     |     B     |
    y=0   +-----------+-----------+
          0          200         400

Roads: the shared edge x=200 (built arterial, 200 m), a branch road inside A
along y=100 (built, 200 m), an internal compound road in B (not public), and a
planned secondary road inside B along y=50 (200 m).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from blockcheck.metrics.roads import road_density_km_per_km2, road_implementation_ratio, road_length_by_block_m


def _blocks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"block_id": ["A", "B"]}, geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)], crs=4548
    ).set_index("block_id")


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"class": ["arterial", "branch", "internal", "secondary"], "status": ["built", "built", "built", "planned"]},
        geometry=[
            LineString([(200, 0), (200, 200)]),
            LineString([(0, 100), (200, 100)]),
            LineString([(250, 150), (350, 150)]),
            LineString([(200, 50), (400, 50)]),
        ],
        crs=4548,
    )


def test_edge_road_counts_half_for_each_block() -> None:
    density = road_density_km_per_km2(_blocks(), _roads())
    # A: branch 200 m + half of the edge arterial 100 m = 0.3 km over 0.04 km² = 7.5 km/km²
    assert density.loc["A", "road_length_km"] == pytest.approx(0.3, abs=1e-9)
    assert density.loc["A", "road_density_km_per_km2"] == pytest.approx(7.5, abs=1e-9)
    # B: half of the edge arterial (internal road excluded, planned road not built) = 0.1 km → 2.5
    assert density.loc["B", "road_density_km_per_km2"] == pytest.approx(2.5, abs=1e-9)
    assert density.loc["A", "road_density_branch_km_per_km2"] == pytest.approx(5.0, abs=1e-9)
    assert density.loc["B", "road_density_arterial_km_per_km2"] == pytest.approx(2.5)
    assert density.index.equals(_blocks().index)


def test_implementation_ratio() -> None:
    ratio = road_implementation_ratio(_blocks(), _roads())
    assert ratio.loc["A"] == pytest.approx(1.0)
    # B: built 100 m (half edge) of a planned network of 100 + 200 m
    assert ratio.loc["B"] == pytest.approx(100 / 300)


def test_no_roads_gives_zero_and_nan() -> None:
    empty = _roads().iloc[0:0]
    assert road_density_km_per_km2(_blocks(), empty)["road_density_km_per_km2"].tolist() == [0.0, 0.0]
    assert road_implementation_ratio(_blocks(), empty).isna().all()


@settings(max_examples=25, deadline=None)
@given(dx=st.floats(-1e5, 1e5), dy=st.floats(-1e5, 1e5))
def test_translation_changes_nothing(dx: float, dy: float) -> None:
    moved = road_density_km_per_km2(
        _blocks().translate(dx, dy).to_frame("geometry").set_crs(4548, allow_override=True),
        _roads().set_geometry(_roads().translate(dx, dy)),
    )
    assert moved.to_numpy() == pytest.approx(road_density_km_per_km2(_blocks(), _roads()).to_numpy(), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(cut=st.floats(1, 199))
def test_splitting_a_block_conserves_road_length(cut: float) -> None:
    whole = road_length_by_block_m(_blocks(), _roads()).sum()
    split = gpd.GeoDataFrame(
        {"block_id": ["A1", "A2", "B"]},
        geometry=[box(0, 0, 200, cut), box(0, cut, 200, 200), box(200, 0, 400, 200)],
        crs=4548,
    ).set_index("block_id")
    assert road_length_by_block_m(split, _roads()).sum() == pytest.approx(whole, abs=1e-6)


def test_default_grid_measures_lengths_exactly() -> None:
    """The 1 cm grid decides what lies on an edge; it does not round lengths.

    A diagonal road from (10.004, 10.003) to (390.007, 190.006) crosses the shared
    edge x = 200 off any centimetre; its exact pieces are credited in full, to 1e-9 m
    (the grid would round each end by up to 7 mm).
    """
    start, end = (10.004, 10.003), (390.007, 190.006)
    road = LineString([start, end])
    roads = gpd.GeoDataFrame(geometry=[road], crs=4548)
    got = road_length_by_block_m(_blocks(), roads)
    t = (200 - start[0]) / (end[0] - start[0])
    assert got["A"] == pytest.approx(t * road.length, abs=1e-9)
    assert got["B"] == pytest.approx((1 - t) * road.length, abs=1e-9)
    exact = road_length_by_block_m(_blocks(), roads, precision_m=None)
    assert (got - exact).abs().max() < 1e-9


@pytest.mark.parametrize("dx", [0.003, -0.004])
def test_road_millimetres_off_the_edge_still_counts_half(dx: float) -> None:
    """A road meant to lie on the shared edge but 3–4 mm off it: half to each block by default, all to one block
    exactly.
    """
    roads = gpd.GeoDataFrame(geometry=[LineString([(200 + dx, 0), (200 + dx, 200)])], crs=4548)
    got = road_length_by_block_m(_blocks(), roads)
    assert got["A"] == pytest.approx(100.0, abs=0.02) and got["B"] == pytest.approx(100.0, abs=0.02)
    exact = road_length_by_block_m(_blocks(), roads, precision_m=None)
    assert sorted(exact.round(6)) == [0.0, 200.0]


def test_road_partly_along_the_edge_crossing_elsewhere() -> None:
    """Along the edge x = 200 for 50 m, then into B: exact lengths (25 + 0 for A's half, 25 + rest for B)."""
    road = LineString([(200, 10.001), (200, 60.001), (317.123, 187.456)])
    roads = gpd.GeoDataFrame(geometry=[road], crs=4548)
    got = road_length_by_block_m(_blocks(), roads)
    along = 50.0
    rest = road.length - along
    assert got["A"] == pytest.approx(along / 2, abs=1e-9)
    assert got["B"] == pytest.approx(along / 2 + rest, abs=1e-9)


def test_road_a_hair_inside_the_edge_then_into_the_block() -> None:
    """Ends on the edge at (200, 10), runs 50 m along it 1e-7 m inside A, then turns into A.

    Exactly, it lies inside A with one end on the edge (DE-9IM 1FF00F212); on the 1 cm grid its first 50 m
    lie on the edge: half to A and half to B, the rest (100 m) to A. Blocks derived from road lines
    (OSM import) produce such roads.
    """
    x = 200 - 1e-7
    road = LineString([(200, 10), (x, 10.0), (x, 60), (x - 60, 140)])
    roads = gpd.GeoDataFrame(geometry=[road], crs=4548)
    got = road_length_by_block_m(_blocks(), roads)
    assert got["A"] == pytest.approx(25 + 100, abs=0.02)
    assert got["B"] == pytest.approx(25, abs=0.02)
    exact = road_length_by_block_m(_blocks(), roads, precision_m=None)
    assert exact["A"] == pytest.approx(150, abs=1e-6) and exact["B"] == 0.0


def test_shortcuts_equal_the_grid_overlay_on_the_sample_district() -> None:
    """Every (block, road) pair of the sample: the DE-9IM shortcuts give what the plain 1 cm overlay gives.

    The sample's arterials run along block edges a few millimetres off them (both rounded to 1 cm
    independently), the case the shortcuts once got wrong (credited in full instead of half).
    """
    from pathlib import Path

    import numpy as np
    import pyogrio
    import shapely

    from blockcheck.metrics.roads import credited_road_pairs

    sample = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"
    blocks = np.asarray(pyogrio.read_dataframe(sample, layer="blocks").geometry.values)
    roads = np.asarray(pyogrio.read_dataframe(sample, layer="roads").geometry.values)
    b, r, credited = credited_road_pairs(blocks, roads)
    inside = shapely.length(shapely.intersection(roads[r], blocks[b], grid_size=0.01))
    on_edge = shapely.length(shapely.intersection(roads[r], shapely.boundary(blocks[b]), grid_size=0.01))
    overlay = inside - 0.5 * on_edge
    assert np.abs(credited - overlay).max() < 0.02  # the grid rounds each vertex by up to 7 mm
    per_block = np.bincount(b, credited, len(blocks)) - np.bincount(b, overlay, len(blocks))
    assert np.abs(per_block).max() < 0.05
    assert (on_edge > 1.0).sum() > 20  # the sample really has roads on block edges
