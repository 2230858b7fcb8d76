"""Grade separation: which road lines meet where they cross.

The rule (issue 19.2). Two lines meet at a point when they share a vertex there
(a line end or an inner vertex of both, on the node grid). Where they only
cross, they meet when they are *at the same grade*:

- a line tagged ``bridge = yes`` or ``tunnel = yes`` is at a grade of its own:
  it meets other lines, other bridges included, only at shared vertices;
- other lines are at the grade of their ``layer`` (empty = 0): lines of the
  same layer meet wherever they cross (as centre lines always did), lines of
  different layers only at shared vertices.

Without any of the fields ``bridge``, ``tunnel`` and ``layer`` every line is at
grade 0 and every crossing is a junction.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["GRADE_FIELDS", "crossings_without_shared_vertex", "edge_groups", "grade_groups", "node_keys"]

#: Fields of the roads layer that separate grades.
GRADE_FIELDS = ("bridge", "tunnel", "layer")
#: Grades of the ``layer`` values -5 … 5 are 0 … 10; bridges and tunnels get one each above them.
_LAYER_OFFSET = 5
_OWN_GRADE_START = 11


def grade_groups(roads: gpd.GeoDataFrame, feature: np.ndarray) -> np.ndarray | None:
    """The grade of each line part (see the module's rule), or None when the roads carry no grade field.

    Parameters
    ----------
    roads
        The roads the parts come from.
    feature
        Position in `roads` of each line part.

    Returns
    -------
    numpy.ndarray or None
        int64 per part: ``layer + 5`` for lines that are neither bridge nor
        tunnel, a distinct value (>= 11) per bridge or tunnel part.
    """
    if not any(name in roads.columns for name in GRADE_FIELDS):
        return None
    n = len(roads)
    own = np.zeros(n, dtype=bool)
    for name in ("bridge", "tunnel"):
        if name in roads.columns:
            own |= (roads[name].astype(object) == "yes").to_numpy()
    layer = np.zeros(n, dtype=np.int64)
    if "layer" in roads.columns:
        values = pd.to_numeric(roads["layer"], errors="coerce").fillna(0).clip(-_LAYER_OFFSET, _LAYER_OFFSET)
        layer = values.round().astype(np.int64).to_numpy()
    part = np.arange(feature.shape[0], dtype=np.int64)
    return np.where(own[feature], _OWN_GRADE_START + part, layer[feature] + _LAYER_OFFSET)


def _vertex_table(lines: np.ndarray, group: np.ndarray, precision_m: float) -> pd.DataFrame:
    """Distinct (grid x, grid y, grade, line) of every vertex of `lines`."""
    xy, line = shapely.get_coordinates(lines, return_index=True)
    key = np.round(xy / precision_m).astype(np.int64)
    return pd.DataFrame({"x": key[:, 0], "y": key[:, 1], "g": group[line], "line": line}).drop_duplicates()


def node_keys(
    ends_xy: np.ndarray, end_group: np.ndarray, lines: np.ndarray, group: np.ndarray, precision_m: float
) -> np.ndarray:
    """Node keys of edge ends: grid position and grade, one grade (-1) where grades share a vertex.

    Parameters
    ----------
    ends_xy
        ``(k, 2)`` coordinates of edge ends.
    end_group
        Grade of the edge each end belongs to.
    lines, group
        The input line parts and their grades (:func:`grade_groups`).
    precision_m
        Node grid spacing.

    Returns
    -------
    numpy.ndarray
        ``(k, 3)`` int64 keys; equal keys are one node. An end gets grade -1
        when its grade has a vertex at that grid point and so has another
        grade: the lines share a vertex there and meet.
    """
    vertices = _vertex_table(lines, group, precision_m).drop(columns="line").drop_duplicates()
    grades_here = vertices.groupby(["x", "y"])["g"].transform("size")
    shared = vertices[grades_here.to_numpy() >= 2].assign(shared=True)
    grid = np.round(ends_xy / precision_m).astype(np.int64)
    ends = pd.DataFrame({"x": grid[:, 0], "y": grid[:, 1], "g": end_group})
    flag = ends.merge(shared, on=["x", "y", "g"], how="left")["shared"].fillna(False).to_numpy(dtype=bool)
    return np.column_stack([grid, np.where(flag, -1, end_group)])


def edge_groups(edges: np.ndarray, lines: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Grade of each noded edge: that of the input line nearest to the edge's midpoint.

    Where lines of different grades overlap (a duplicate drawn on top of
    another) the noded edge is one of them, chosen arbitrarily.
    """
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    (_, line) = shapely.STRtree(lines).query_nearest(mid, all_matches=False)
    return group[line]


def crossings_without_shared_vertex(
    roads: gpd.GeoDataFrame, *, precision_m: float = 0.01
) -> tuple[np.ndarray, np.ndarray]:
    """Points where lines of different grades cross or touch without a shared vertex (not junctions).

    Parameters
    ----------
    roads
        Road lines (any fields; ``bridge``, ``tunnel``, ``layer`` as in the input model).
    precision_m
        Node grid spacing (a vertex within it counts as shared).

    Returns
    -------
    tuple of numpy.ndarray
        The points (shapely Points, one per grid position) and, for each, the
        ``road_id`` values (or row positions) of the two lines, as ``"a / b"``.
        Empty without grade fields.
    """
    geoms = np.asarray(roads.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lines, feature = shapely.get_parts(geoms[ok], return_index=True)
    feature = np.flatnonzero(ok)[feature]
    group = grade_groups(roads, feature)
    if group is None or lines.size == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=object)
    a, b = shapely.STRtree(lines).query(lines, predicate="intersects")
    pair = (a < b) & (group[a] != group[b])
    a, b = a[pair], b[pair]
    points, which = shapely.get_parts(shapely.intersection(lines[a], lines[b]), return_index=True)
    is_point = shapely.get_type_id(points) == 0
    points, which = points[is_point], which[is_point]
    if points.size == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=object)
    grid = np.round(shapely.get_coordinates(points) / precision_m).astype(np.int64)
    found = pd.DataFrame({"x": grid[:, 0], "y": grid[:, 1], "la": a[which], "lb": b[which]})
    vertices = _vertex_table(lines, group, precision_m)[["x", "y", "line"]].assign(v=True)
    for end in ("la", "lb"):
        hit = found.merge(vertices.rename(columns={"line": end, "v": f"v_{end}"}), on=["x", "y", end], how="left")
        found[f"v_{end}"] = hit[f"v_{end}"].fillna(False).to_numpy(dtype=bool)
    found["point"] = points
    found = found[~(found["v_la"] & found["v_lb"])].drop_duplicates(["x", "y"])
    ids = roads["road_id"].astype(str).to_numpy() if "road_id" in roads.columns else np.arange(len(roads)).astype(str)
    names = ids[feature[found["la"].to_numpy()]] + " / " + ids[feature[found["lb"].to_numpy()]]
    return found["point"].to_numpy(dtype=object), names.astype(object)
