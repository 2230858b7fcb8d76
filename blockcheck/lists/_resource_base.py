"""Shared pieces of the resource rules: value helpers and the shape measures of plots (private module).

Used by :mod:`blockcheck.lists.resource_rules` (the shape measures are public there), :mod:`~blockcheck.lists.resources`
and :mod:`~blockcheck.lists.resource_decisions` (the categories of 图2 and the layer names).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.inputs.model import input_model
from blockcheck.metrics.assign import given_or_representative_points

#: Workbook layers.
RESOURCE_LIST_LAYER = "resource_list"
RESOURCE_SUMMARY_LAYER = "resource_summary"

#: The categories of 图2 in its order: family, the area column that sizes it in 图2, and its unit there.
CATEGORIES = {
    "idle_site": ("land", "land_area_m2", "ha"),
    "low_quality_space": ("land", "land_area_m2", "ha"),
    "planned_new_land": ("land", "land_area_m2", "ha"),
    "retained_land": ("land", "land_area_m2", "ha"),
    "idle_room": ("building", "floor_area_m2", "m2"),
    "low_efficiency_building": ("building", "floor_area_m2", "m2"),
    "roof": ("building", "land_area_m2", "m2"),
    "expandable_facility": ("building", "land_area_m2", "ha"),
    "underground": ("building", "floor_area_m2", "m2"),
    "retained_building": ("building", "floor_area_m2", "m2"),
}

#: Columns of every rule's result (besides ``geometry``).
RULE_COLUMNS = (
    "category",
    "subtype",
    "facility_category",
    "source_layer",
    "source_id",
    "land_area_m2",
    "floor_area_m2",
    "potential_floor_area_m2",
    "rule_id",
    "reason",
    "reason_en",
)
#: Red-line widths assumed where ``roads.width_m`` is empty (m).
DEFAULT_ROAD_WIDTH_M = {"expressway": 50.0, "arterial": 40.0, "secondary": 30.0, "branch": 15.0, "internal": 7.0}
#: Gap up to which two parcels count as touching (m).
ADJACENCY_TOLERANCE_M = 1.0
#: Largest angle between a plot edge and a street for the edge to front the street (degrees).
PARALLEL_TOLERANCE_DEG = 20.0
#: Plot edges shorter than this are ignored when looking for street frontages (m).
MIN_EDGE_M = 1.0


@cache
def _zh(vocabulary: str) -> dict[str, str]:
    return dict(input_model().vocabulary(vocabulary).labels_zh)


def _num(frame: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default, dtype="float64")
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _str(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    column = frame[name].astype(object)
    return column.where(column.notna(), None).to_numpy(dtype=object)


def _label(values: np.ndarray, vocabulary: str) -> np.ndarray:
    labels = _zh(vocabulary)
    return np.array([labels.get(v, v or "") for v in values], dtype=object)


def _fmt(values: Iterable[float], spec: str) -> np.ndarray:
    """Numbers as text (``?`` for NaN); the one per-value loop of the module."""
    return np.array(
        [format(v, spec) if np.isfinite(v) else "?" for v in np.asarray(values, dtype="float64")], dtype=object
    )


def _source_ids(frame: pd.DataFrame, id_field: str) -> np.ndarray:
    """The feature's own id, or ``fid<n>`` (its GeoPackage feature id) when empty.

    Vectorised text (``numpy.char``, in numpy 1.24 as in 2); the fallback is formatted only for the features without
    an id.
    """
    values = (
        frame[id_field].to_numpy(dtype=object, na_value=None)
        if id_field in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    text = np.where(pd.isna(values), "", values).astype(str)
    blank = np.flatnonzero(np.char.str_len(np.char.strip(text)) == 0)
    out = text.astype(object)
    out[blank] = [f"fid{i}" for i in frame.index[blank]]
    return out


def _result(geometry: np.ndarray, crs: object, **columns: object) -> gpd.GeoDataFrame:
    n = len(geometry)
    data = {}
    for c in RULE_COLUMNS:
        value = columns.get(c)
        scalar = value is None or isinstance(value, str | int | float)
        data[c] = np.full(n, value, dtype=object) if scalar else np.asarray(value, dtype=object)
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    for c in ("land_area_m2", "floor_area_m2", "potential_floor_area_m2"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(np.asarray(geometry, dtype=object), crs=crs), crs=crs)


def _empty(crs: object) -> gpd.GeoDataFrame:
    return _result(np.empty(0, dtype=object), crs)


def _anchors(features: gpd.GeoDataFrame, points: np.ndarray | None) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """`features` as :func:`blockcheck.metrics.assign.block_index_of` places them: by their given
    representative `points` (same order) when there are some, else by themselves."""
    if points is None:
        return features
    return gpd.GeoSeries(given_or_representative_points(features, points), crs=features.crs)


def _floor_area_m2(buildings: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """Above-ground floor area: footprint × floors (1 storey where floors are unknown or 0).

    `rows`: only the buildings at these positions (without copying the frame).
    """
    geoms, floors = np.asarray(buildings.geometry.values, dtype=object), _num(buildings, "floors")
    if rows is not None:
        geoms, floors = geoms[rows], floors[rows]
    return shapely.area(geoms) * np.where(np.isfinite(floors) & (floors > 0), floors, 1.0)


def _years(buildings: pd.DataFrame, as_of_year: int) -> np.ndarray:
    return as_of_year - _num(buildings, "year_built")


# ------------------------------------------------------------ shape measures


def shape_measures(geometry: np.ndarray) -> pd.DataFrame:
    """Area, perimeter, compactness and width of polygons.

    Returns
    -------
    pandas.DataFrame
        ``area_m2``, ``perimeter_m``, ``compactness`` (isoperimetric quotient
        4πA/P², 1 for a circle, 0.785 for a square) and ``width_m`` (the short
        side of the minimum rotated rectangle; 0 for degenerate shapes).
    """
    geometry = np.asarray(geometry, dtype=object)
    area = shapely.area(geometry)
    perimeter = shapely.length(geometry)
    compactness = np.divide(4 * np.pi * area, perimeter**2, out=np.zeros_like(area), where=perimeter > 0)
    width = np.zeros(len(geometry))
    if len(geometry):
        envelope = shapely.oriented_envelope(geometry)
        coords, index = shapely.get_coordinates(envelope, return_index=True)
        counts = np.bincount(index, minlength=len(geometry))
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rect = (counts == 5) & (shapely.get_type_id(envelope) == 3)
        s = start[rect]
        side_a = np.hypot(*(coords[s + 1] - coords[s]).T)
        side_b = np.hypot(*(coords[s + 2] - coords[s + 1]).T)
        width[rect] = np.minimum(side_a, side_b)
    return pd.DataFrame({"area_m2": area, "perimeter_m": perimeter, "compactness": compactness, "width_m": width})


def enclosure_ratio(geometry: np.ndarray, of: np.ndarray, *, tolerance_m: float = ADJACENCY_TOLERANCE_M) -> np.ndarray:
    """Share of each polygon's perimeter that lies along (within `tolerance_m` of) other polygons.

    Parameters
    ----------
    geometry
        All polygons (e.g. every parcel).
    of
        Positions in `geometry` of the polygons to measure; each is compared
        with every other polygon of `geometry`.

    Returns
    -------
    numpy.ndarray
        Ratio in [0, 1] per position of `of` (shared edges of several
        neighbours are added, then capped at 1).
    """
    geometry = np.asarray(geometry, dtype=object)
    of = np.asarray(of, dtype=np.int64)
    if not len(of):
        return np.zeros(0)
    tree = shapely.STRtree(geometry)
    c_idx, o_idx = tree.query(geometry[of], predicate="dwithin", distance=tolerance_m)
    keep = of[c_idx] != o_idx
    c_idx, o_idx = c_idx[keep], o_idx[keep]
    boundary = shapely.boundary(geometry[of])
    shared = shapely.length(shapely.intersection(boundary[c_idx], shapely.buffer(geometry[o_idx], tolerance_m)))
    perimeter = shapely.length(boundary)
    total = np.bincount(c_idx, weights=shared, minlength=len(of))
    return np.clip(np.divide(total, perimeter, out=np.zeros(len(of)), where=perimeter > 0), 0.0, 1.0)


def _segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight segments (start, end, position of the owning line) of lines or polygon rings."""
    parts, owner = shapely.get_parts(lines, return_index=True)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same = index[:-1] == index[1:]
    return coords[:-1][same], coords[1:][same], owner[index[:-1][same]]


def _direction_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Direction of segments a→b in [0, 180) degrees (undirected)."""
    return np.degrees(np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0])) % 180.0


def _angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    diff = np.abs(a - b) % 180.0
    return np.minimum(diff, 180.0 - diff)


def street_corner_angle_deg(geometry: np.ndarray, roads: gpd.GeoDataFrame, *, frontage_max_dist_m: float) -> np.ndarray:
    """Largest angle between two street frontages of each polygon (0 with fewer than two).

    An edge of the polygon fronts a street when its midpoint lies within the
    street's half red-line width (``width_m``, or :data:`DEFAULT_ROAD_WIDTH_M`
    by class) plus `frontage_max_dist_m` of the street's centre line and the
    edge runs parallel to it (within :data:`PARALLEL_TOLERANCE_DEG`). Internal
    compound roads and walk-only ways (``footway``) are not streets. A plot fronting streets in two directions
    at 90° sits on a street corner; one fronting a single street, or two
    parallel ones, scores 0.
    """
    geometry = np.asarray(geometry, dtype=object)
    out = np.zeros(len(geometry))
    if roads is None or roads.empty or not len(geometry):
        return out
    cls = _str(roads, "class")
    streets = roads[~np.isin(cls, ["internal", "footway"])]
    if streets.empty:
        return out
    width = _num(streets, "width_m")
    default = np.array([DEFAULT_ROAD_WIDTH_M.get(c, 15.0) for c in _str(streets, "class")], dtype="float64")
    half_width = np.where(np.isfinite(width) & (width > 0), width, default) / 2.0
    # only the streets within reach of some polygon are cut into segments
    reach_m = float(half_width.max() + frontage_max_dist_m)
    near = np.unique(shapely.STRtree(streets.geometry.values).query(geometry, predicate="dwithin", distance=reach_m)[1])
    streets, half_width = streets.iloc[near], half_width[near]
    s_a, s_b, s_road = _segments(streets.geometry.values)
    seg_lines = shapely.linestrings(np.stack([s_a, s_b], axis=1)) if len(s_a) else np.empty(0, dtype=object)
    seg_dir = _direction_deg(s_a, s_b)
    e_a, e_b, e_owner = _segments(shapely.get_exterior_ring(shapely.get_parts(geometry)))
    # get_parts above renumbers polygons: map each part back to its polygon
    _, part_owner = shapely.get_parts(geometry, return_index=True)
    e_owner = part_owner[e_owner]
    long_enough = np.hypot(*(e_b - e_a).T) >= MIN_EDGE_M
    e_a, e_b, e_owner = e_a[long_enough], e_b[long_enough], e_owner[long_enough]
    if not len(e_a) or not len(seg_lines):
        return out
    mid = shapely.points((e_a + e_b) / 2.0)
    e_dir = _direction_deg(e_a, e_b)
    tree = shapely.STRtree(seg_lines)
    e_idx, s_idx = tree.query(mid, predicate="dwithin", distance=float(half_width.max() + frontage_max_dist_m))
    near = shapely.distance(mid[e_idx], seg_lines[s_idx]) <= half_width[s_road[s_idx]] + frontage_max_dist_m
    parallel = _angle_between(e_dir[e_idx], seg_dir[s_idx]) <= PARALLEL_TOLERANCE_DEG
    fronting = np.unique(e_idx[near & parallel])
    if not len(fronting):
        return out
    edges = pd.DataFrame(
        {"owner": e_owner[fronting], "dir": np.round(e_dir[fronting]).astype(int) % 180}
    ).drop_duplicates()
    pairs = edges.merge(edges, on="owner", suffixes=("_a", "_b"))
    pairs["angle"] = _angle_between(pairs["dir_a"].to_numpy(float), pairs["dir_b"].to_numpy(float))
    best = pairs.groupby("owner")["angle"].max()
    out[best.index.to_numpy()] = best.to_numpy()
    return out
