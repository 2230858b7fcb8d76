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
    return gpd.GeoDataFrame({"block_id": ["A", "B"]}, geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)], crs=4548).set_index("block_id")


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"class": ["arterial", "branch", "internal", "secondary"], "status": ["built", "built", "built", "planned"]},
        geometry=[LineString([(200, 0), (200, 200)]), LineString([(0, 100), (200, 100)]), LineString([(250, 150), (350, 150)]), LineString([(200, 50), (400, 50)])],
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
    moved = road_density_km_per_km2(_blocks().translate(dx, dy).to_frame("geometry").set_crs(4548, allow_override=True), _roads().set_geometry(_roads().translate(dx, dy)))
    assert moved.to_numpy() == pytest.approx(road_density_km_per_km2(_blocks(), _roads()).to_numpy(), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(cut=st.floats(1, 199))
def test_splitting_a_block_conserves_road_length(cut: float) -> None:
    whole = road_length_by_block_m(_blocks(), _roads()).sum()
    split = gpd.GeoDataFrame(
        {"block_id": ["A1", "A2", "B"]}, geometry=[box(0, 0, 200, cut), box(0, cut, 200, 200), box(200, 0, 400, 200)], crs=4548
    ).set_index("block_id")
    assert road_length_by_block_m(split, _roads()).sum() == pytest.approx(whole, abs=1e-6)
