"""Assigning features to blocks: by a point inside each feature, made here or given by the caller."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from blockcheck.errors import InputError
from blockcheck.metrics.assign import block_index_of, given_or_representative_points, representative_points

CRS = "EPSG:4548"


def _blocks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"block_id": ["A", "B"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=CRS)


def _features() -> gpd.GeoDataFrame:
    # an L-shaped building whose centroid lies outside it, a building across the A|B edge, a point, one outside
    ell = shapely.Polygon([(10, 10), (90, 10), (90, 20), (20, 20), (20, 90), (10, 90)])
    return gpd.GeoDataFrame(geometry=[ell, box(90, 40, 130, 50), shapely.Point(150, 50), box(300, 0, 310, 10)], crs=CRS)


def test_representative_points_lie_inside_and_points_stay() -> None:
    features = _features()
    points = representative_points(features)
    assert shapely.contains(features.geometry.values[:2], points[:2]).all()
    assert points[2] is features.geometry.values[2]
    assert representative_points(None) is None
    as_array = representative_points(np.asarray(features.geometry.values, dtype=object))
    assert shapely.equals_exact(as_array, points, tolerance=0).all()


def test_block_index_of_with_given_points_equals_made_points() -> None:
    blocks, features = _blocks(), _features()
    made = block_index_of(blocks, features)
    assert made.tolist() == [0, 1, 1, -1]  # the crossing building: its point lies at x=110, in B
    assert block_index_of(blocks, features, points=representative_points(features)).tolist() == made.tolist()
    moved = np.array([shapely.Point(150, 50), shapely.Point(50, 50), shapely.Point(5, 5), shapely.Point(100, 50)])
    # the given points decide; a point on the shared edge goes to the first block
    assert block_index_of(blocks, features, points=moved).tolist() == [1, 0, 0, 0]


def test_given_points_must_be_one_per_feature() -> None:
    features = _features()
    with pytest.raises(InputError, match="2 representative points for 4 features"):
        given_or_representative_points(features, representative_points(features)[:2])


def test_a_tree_over_the_points_places_them_as_the_points_do_and_must_fit_them() -> None:
    blocks, features = _blocks(), _features()
    moved = np.array([shapely.Point(150, 50), shapely.Point(50, 50), shapely.Point(5, 5), shapely.Point(100, 50)])
    tree = shapely.STRtree(moved)
    # one tree, placed in two sets of polygons: the blocks, then the second block alone
    assert block_index_of(blocks, features, points=moved, tree=tree).tolist() == [1, 0, 0, 0]
    assert block_index_of(blocks.iloc[[1]], features, points=moved, tree=tree).tolist() == [0, -1, -1, 0]
    with pytest.raises(InputError, match="A tree over 2 points for 4 features"):
        block_index_of(blocks, features, tree=shapely.STRtree(moved[:2]))
