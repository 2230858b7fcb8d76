"""The fallbacks for shapely functions newer than shapely 2.0 (the version the plugin has in QGIS 3.22) give the
same geometries as the native functions, and the code that uses them draws the same.

The project venv has the newest shapely, so these call the fallbacks directly; the real-QGIS suite
(tests/qgis/test_plugin_export_in_qgis.py) runs them as the plugin does, under shapely 2.0.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from blockcheck import shapely_compat
from blockcheck.report import paths

needs_native = pytest.mark.skipif(not shapely_compat.HAS_ORIENT_POLYGONS, reason="shapely < 2.1: no native function")


def _mixed() -> np.ndarray:
    """Polygons wound either way, with holes wound either way, multi-parts, 3D, empties, missing, other types."""
    ccw = shapely.box(0, 0, 10, 10)  # shapely's box is counter-clockwise
    cw = shapely.reverse(shapely.box(20, 0, 30, 10))
    hole = [(2, 2), (2, 4), (4, 4), (4, 2)]  # clockwise
    with_holes = [
        shapely.Polygon(ccw.exterior.coords, [hole, hole[::-1]]),
        shapely.Polygon(cw.exterior.coords, [hole[::-1]]),
        shapely.Polygon(cw.exterior.coords, [hole]),
    ]
    multi = shapely.MultiPolygon([cw, with_holes[0], shapely.box(40, 40, 41, 41)])
    z = shapely.Polygon([(0, 0, 1), (0, 5, 2), (5, 5, 3), (0, 0, 1)])  # clockwise, with z
    rng = np.random.default_rng(16)
    random = shapely.buffer(shapely.points(rng.uniform(0, 1000, (200, 2))), rng.uniform(1, 30, 200), quad_segs=3)
    random = np.where(rng.random(200) < 0.5, shapely.reverse(random), random)
    others = [
        None,
        shapely.Polygon(),
        shapely.MultiPolygon(),
        shapely.Point(1, 2),
        shapely.LineString([(0, 0), (1, 1)]),
    ]
    return np.array([ccw, cw, *with_holes, multi, z, *random, *others], dtype=object)


@needs_native
@pytest.mark.parametrize("exterior_cw", [False, True])
def test_orient_polygons_fallback_equals_shapely_2_1(exterior_cw: bool) -> None:
    geoms = _mixed()
    ours = shapely_compat.orient_polygons_fallback(geoms, exterior_cw=exterior_cw)
    native = shapely.orient_polygons(geoms, exterior_cw=exterior_cw)
    assert ours.shape == native.shape and ours.dtype == object
    assert list(shapely.to_wkb(ours)) == list(shapely.to_wkb(native))  # identical: coordinates, order, z, types
    assert shapely.orient_polygons(ours, exterior_cw=exterior_cw).tolist() == ours.tolist()  # already oriented


@needs_native
def test_orient_polygons_fallback_keeps_the_array_shape_and_scalars() -> None:
    grid = _mixed()[:6].reshape(2, 3)
    ours = shapely_compat.orient_polygons_fallback(grid)
    assert ours.shape == (2, 3)
    assert list(shapely.to_wkb(ours.ravel())) == list(shapely.to_wkb(shapely.orient_polygons(grid).ravel()))
    assert shapely.equals_exact(ours[0, 1], shapely.orient_polygons(grid[0, 1]), tolerance=0)


def test_orient_polygons_fallback_windings() -> None:
    """Checked without the native function (runs under any shapely): exteriors ccw, holes cw, or the reverse."""
    for exterior_cw in (False, True):
        out = shapely_compat.orient_polygons_fallback(_mixed(), exterior_cw=exterior_cw)
        polys = shapely.get_parts(out[np.isin(shapely.get_type_id(out), (3, 6))])
        rings, owner = shapely.get_rings(polys, return_index=True)
        exterior = np.r_[True, owner[1:] != owner[:-1]]
        assert (shapely.is_ccw(rings) == (exterior != exterior_cw)).all()
        assert np.allclose(shapely.area(out[: len(out) - 5]), shapely.area(_mixed()[: len(out) - 5]))


def test_orient_polygons_picks_the_native_function_when_shapely_has_it() -> None:
    assert hasattr(shapely, "orient_polygons") == shapely_compat.HAS_ORIENT_POLYGONS
    geoms = _mixed()
    assert list(shapely.to_wkb(shapely_compat.orient_polygons(geoms))) == list(
        shapely.to_wkb(shapely_compat.orient_polygons_fallback(geoms))
    )


def test_polygon_paths_are_the_same_with_the_fallback(monkeypatch) -> None:
    geoms = _mixed()
    native = paths.polygon_path(geoms)
    monkeypatch.setattr(paths, "orient_polygons", shapely_compat.orient_polygons_fallback)
    fallback = paths.polygon_path(geoms)
    np.testing.assert_array_equal(fallback.vertices, native.vertices)
    np.testing.assert_array_equal(fallback.codes, native.codes)
    # holes stay holes under the non-zero fill rule whichever way the input winds: shell ccw, hole cw
    hole = [(2, 2), (2, 4), (4, 4), (4, 2)]
    for shell in (shapely.box(0, 0, 10, 10), shapely.reverse(shapely.box(0, 0, 10, 10))):
        for ring in (hole, hole[::-1]):
            path = paths.polygon_path([shapely.Polygon(shell.exterior.coords, [ring])])
            rings = [shapely.LinearRing(v) for v in path.to_polygons(closed_only=True)]
            assert [shapely.is_ccw(r) for r in rings] == [True, False]
