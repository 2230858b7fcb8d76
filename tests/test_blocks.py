"""Deriving street blocks from roads (blockcheck.blocks) on hand-checkable fixtures."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from blockcheck.blocks import BLOCK_ID_PATTERN, assign_block_ids, block_ids, derive_blocks
from blockcheck.errors import BlockcheckWarning

CRS = "EPSG:4548"
BOUNDARY = box(0, 0, 300, 300)


def _roads(lines, classes=None):
    classes = classes or ["arterial"] * len(lines)
    return gpd.GeoDataFrame({"class": classes}, geometry=[LineString(c) for c in lines], crs=CRS)


def _grid_lines(spacing=100.0, size=300.0, overshoot=0.0):
    """Inner grid lines of a 3x3 grid of 100 m cells (x = 100, 200 and y = 100, 200)."""
    lines = []
    for v in np.arange(spacing, size, spacing):
        lines.append([(v, -overshoot), (v, size + overshoot)])
        lines.append([(-overshoot, v), (size + overshoot, v)])
    return lines


def _no_warnings(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlockcheckWarning)
        return func(*args, **kwargs)


def test_grid_gives_nine_blocks_of_one_hectare():
    blocks = _no_warnings(derive_blocks, _roads(_grid_lines()), BOUNDARY)
    assert len(blocks) == 9
    assert np.allclose(blocks.area, 10_000.0)
    assert blocks.crs == CRS
    assert list(blocks.columns) == ["block_id", "name", "subdistrict", "geometry"]
    assert blocks["block_id"].is_unique
    assert blocks["block_id"].str.match(BLOCK_ID_PATTERN.pattern).all()
    assert blocks["name"].isna().all() and blocks["subdistrict"].isna().all()
    # numbered north to south, then west to east: the first block is the north-west cell
    first = blocks.iloc[0].geometry.bounds
    assert first == pytest.approx((0, 200, 100, 300))
    assert blocks.iloc[-1].geometry.bounds == pytest.approx((200, 0, 300, 100))


def test_roads_crossing_the_boundary_are_cut_at_it():
    blocks = derive_blocks(_roads(_grid_lines(overshoot=500.0)), BOUNDARY)
    assert len(blocks) == 9
    assert np.allclose(blocks.area, 10_000.0)
    assert blocks.area.sum() == pytest.approx(90_000.0)


def test_roads_stopping_a_hair_short_of_the_boundary_still_close_blocks():
    # roads clipped at the boundary in another CRS end a few mm off it
    lines = [[(100, 0.003), (100, 299.996)], [(200, -0.002), (200, 300.004)], [(0.004, 150), (299.997, 150)]]
    blocks = derive_blocks(_roads(lines), BOUNDARY)
    assert len(blocks) == 6
    assert np.allclose(blocks.area, 15_000.0, atol=5.0)


def test_dangling_roads_do_not_create_blocks():
    lines = _grid_lines() + [
        [(50, 50), (50, 80)],  # loose inside a cell
        [(150, 0), (150, 60)],  # from the boundary into a cell, dead end
        [(250, 100), (250, 160)],  # from a grid road into a cell, dead end
    ]
    blocks = derive_blocks(_roads(lines), BOUNDARY)
    assert len(blocks) == 9
    assert np.allclose(blocks.area, 10_000.0)


def test_only_the_given_classes_bound_blocks():
    lines = _grid_lines()  # x=100 (v), y=100 (h), x=200 (v), y=200 (h)
    classes = ["arterial", "branch", "secondary", "internal"]
    blocks = derive_blocks(_roads(lines, classes), BOUNDARY)
    assert len(blocks) == 3  # only the two vertical roads cut
    assert np.allclose(blocks.area, 30_000.0)
    blocks = derive_blocks(_roads(lines, classes), BOUNDARY, classes=("arterial", "secondary", "branch", "internal"))
    assert len(blocks) == 9


def test_slivers_and_small_polygons_are_dropped():
    # a divided road: two carriageways 12 m apart cross the area, plus a small island
    lines = [
        [(0, 144), (300, 144)],
        [(0, 156), (300, 156)],
        [(100, 0), (100, 144)],
        [(20, 20), (60, 20), (60, 60), (20, 60), (20, 20)],
    ]
    blocks = derive_blocks(_roads(lines), BOUNDARY, min_area_m2=2000.0)
    areas = sorted(blocks.area.round(6))
    # the 12 m x 300 m median (3,600 m², mean width < 30 m) and the 1,600 m² island are gone;
    # the island leaves a hole in its block
    assert areas == pytest.approx(sorted([144 * 300.0, 100 * 144 - 1600.0, 200 * 144.0]))
    assert len(blocks) == 3


def test_too_few_roads_give_the_whole_area_as_one_block():
    with pytest.warns(BlockcheckWarning, match="one block"):
        blocks = derive_blocks(_roads([[(50, 0), (50, 120)]]), BOUNDARY)
    assert len(blocks) == 1
    assert blocks.iloc[0].geometry.equals(BOUNDARY)
    with pytest.warns(BlockcheckWarning):
        empty = gpd.GeoDataFrame({"class": []}, geometry=[], crs=CRS)
        assert len(derive_blocks(empty, BOUNDARY)) == 1


def test_boundary_as_geodataframe_in_another_crs_is_reprojected():
    boundary = gpd.GeoDataFrame(geometry=[BOUNDARY], crs=CRS).to_crs(4326)
    blocks = derive_blocks(_roads(_grid_lines(overshoot=10)), boundary)
    assert len(blocks) == 9
    assert np.allclose(blocks.area, 10_000.0, rtol=1e-6)


def test_block_ids_follow_the_model_pattern_and_roll_over():
    ids = block_ids(3)
    assert list(ids) == ["BK01-0001", "BK01-0002", "BK01-0003"]
    many = block_ids(10_001, "OS07")
    assert many[9998] == "OS07-9999" and many[9999] == "OS08-0001" and many[10_000] == "OS08-0002"
    assert len(set(many)) == len(many)
    with pytest.raises(ValueError):
        block_ids(2, "bk1")


def test_assign_block_ids_keeps_existing_codes_and_fills_gaps():
    frame = gpd.GeoDataFrame({"block_id": ["BK01-0002", None, ""]}, geometry=[BOUNDARY] * 3, crs=CRS)
    out = assign_block_ids(frame)
    assert list(out["block_id"]) == ["BK01-0002", "BK01-0001", "BK01-0003"]
    bare = assign_block_ids(gpd.GeoDataFrame(geometry=[BOUNDARY] * 2, crs=CRS))
    assert list(bare.columns[:3]) == ["block_id", "name", "subdistrict"]
    assert list(bare["block_id"]) == ["BK01-0001", "BK01-0002"]
