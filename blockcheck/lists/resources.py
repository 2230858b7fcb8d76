"""The resource list (资源清单, 图2): land and building resources found in the input layers.

:func:`build_resource_list` runs the detection rules of
:mod:`blockcheck.lists.resource_rules` with the thresholds of the standards
profile (``resources.*``), gives every resource a stable id
(``RL-<category>-<source layer>-<source id>``), the block it lies in and the
standards behind it, and keeps the analysts' decisions (``status``, ``note``)
of an earlier resource list. Retained land and buildings (其他现状保留用地/建筑)
are listed as one row per block and category, as 图2 gives them (count, land
and floor area, ``RL-<category>-block-<block>``); the features behind such a
row are the ``resource_members`` table (:func:`find_resources`).
:func:`resource_summary` counts and measures the resources per block and for
the whole area in the layout of 图2.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck import vocabulary
from blockcheck.lists import resource_rules as rules
from blockcheck.lists._resource_base import (
    ADJACENCY_TOLERANCE_M,
    CATEGORIES,
    DEFAULT_ROAD_WIDTH_M,
    RESOURCE_LIST_LAYER,
    RESOURCE_SUMMARY_LAYER,
    _empty,
    _num,
    _source_ids,
    _str,
)
from blockcheck.lists.ids import AREA_SCOPE, resource_id
from blockcheck.lists.resource_aggregate import (
    AGGREGATED,
    RESOURCE_MEMBERS_LAYER,
    _empty_members,
    aggregate_retained,
)
from blockcheck.lists.resource_decisions import DECIDED_ROWS, keep_decisions
from blockcheck.lists.schema import conform, list_table
from blockcheck.metrics.assign import block_index_of, representative_points
from blockcheck.standards import Standards, threshold_term

__all__ = [
    "AGGREGATED",
    "block_ids_of",
    "CATEGORIES",
    "DECIDED_ROWS",
    "FoundResources",
    "RESOURCE_LIST_LAYER",
    "RESOURCE_MEMBERS_LAYER",
    "RESOURCE_SUMMARY_LAYER",
    "RULE_KEYS",
    "SOURCE_ID_FIELDS",
    "aggregate_retained",
    "build_resource_list",
    "detect_resources",
    "find_resources",
    "keep_decisions",
    "locate_resources",
    "resource_labels",
    "resource_reach_m",
    "source_ids_of",
    "resource_summary",
]

#: Standards keys each category's rule reads (quoted in ``standard_ref``).
RULE_KEYS = {
    "idle_site": (
        "resources.idle_building_coverage_max_ratio",
        "resources.scattered_max_area_m2",
        "resources.enclave_min_enclosure_ratio",
        "resources.street_corner_min_angle_deg",
        "resources.street_frontage_max_dist_m",
        "resources.corner_max_width_m",
        "resources.narrow_max_compactness",
    ),
    "low_quality_space": ("resources.low_quality_levels",),
    "planned_new_land": (),
    "retained_land": ("resources.retained_land_min_age_yr",),
    "idle_room": (),
    "low_efficiency_building": (
        "resources.low_efficiency_occupancy_max_ratio",
        "resources.low_efficiency_min_jobs_per_1000m2",
    ),
    "roof": ("resources.roof_min_area_m2",),
    "expandable_facility": (
        "resources.expandable_min_far_gap",
        "resources.kindergarten_min_land_m2_per_seat",
        "resources.primary_school_min_land_m2_per_seat",
        "resources.middle_school_min_land_m2_per_seat",
        "resources.hospital_min_land_m2_per_bed",
    ),
    "underground": ("resources.underground_min_unused_m2",),
    "retained_building": ("resources.retained_building_min_age_yr",),
}


@cache
def resource_labels() -> dict[str, dict[str, str]]:
    """Chinese labels of ``family``, ``category``, ``subtype`` and ``status`` codes (:mod:`blockcheck.vocabulary`)."""
    return {field: vocabulary.labels(f"resource_{field}") for field in ("family", "category", "subtype", "status")}


def _float(standards: Standards, key: str) -> float:
    return float(standards[key])


def _standard_refs(standards: Standards) -> dict[str, str]:
    refs = {}
    for category, keys in RULE_KEYS.items():
        # the word by kind and grade: blockcheck's detection thresholds are 参数 (parameters), never standards
        parts = [
            f"{k} = {standards[k]}（{threshold_term(standards.entry(k))}）"
            for k in keys
            if standards.get(k) is not None
        ]
        refs[category] = "; ".join(parts)
    return refs


def detect_resources(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    as_of_year: int | None = None,
    retained_reasons: bool = True,
    building_points: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Run every detection rule on `layers`; the rules' columns plus geometry, not yet conformed.

    One row per feature found (retained land and buildings included, with
    ``age_yr``). Layers that are absent only switch off the rules that need
    them. The buildings' representative points are computed once for every
    rule that places buildings on parcels, and one STRtree over them. ``retained_reasons=False`` leaves
    the retained buildings' reasons empty (the resource list words one reason
    per block, :func:`aggregate_retained`). `building_points`: those points,
    when the caller has them (:func:`~blockcheck.metrics.assign.representative_points`).
    """

    def s(key: str) -> float:
        """The number ``resources.<key>`` of the standards."""
        return _float(standards, f"resources.{key}")

    year = as_of_year or _dt.date.today().year
    parcels, buildings, roads = layers.get("parcels"), layers.get("buildings"), layers.get("roads")
    green, facilities = layers.get("green"), layers.get("facilities")
    crs = layers["blocks"].crs
    levels = [v.strip() for v in str(standards["resources.low_quality_levels"]).split(",") if v.strip()]
    points = building_points
    if points is None and buildings is not None and not buildings.empty:
        points = representative_points(buildings)
    # three rules place the buildings on parcels: one tree over their points (seconds at city scale), if any parcel
    tree = shapely.STRtree(points) if points is not None and parcels is not None and not parcels.empty else None
    parts = [
        rules.idle_sites(
            parcels,
            buildings,
            roads,
            in_use=[f for f in (facilities, layers.get("parking"), green) if f is not None],
            coverage_max_ratio=s("idle_building_coverage_max_ratio"),
            scattered_max_area_m2=s("scattered_max_area_m2"),
            enclave_min_enclosure_ratio=s("enclave_min_enclosure_ratio"),
            corner_max_width_m=s("corner_max_width_m"),
            narrow_max_compactness=s("narrow_max_compactness"),
            street_corner_min_angle_deg=s("street_corner_min_angle_deg"),
            street_frontage_max_dist_m=s("street_frontage_max_dist_m"),
            building_points=points,
            building_tree=tree,
        ),
        rules.low_quality_spaces(green, roads, low_quality_levels=levels),
        rules.planned_new_land(parcels, buildings, building_points=points, building_tree=tree),
        rules.retained_land(
            parcels,
            buildings,
            min_age_yr=s("retained_land_min_age_yr"),
            as_of_year=year,
            building_points=points,
            building_tree=tree,
        ),
    ]
    idle = rules.idle_rooms(buildings)
    low = rules.low_efficiency_buildings(
        buildings,
        occupancy_max_ratio=s("low_efficiency_occupancy_max_ratio"),
        min_jobs_per_1000m2=s("low_efficiency_min_jobs_per_1000m2"),
    )
    per_capacity = {
        "kindergarten": s("kindergarten_min_land_m2_per_seat"),
        "primary_school": s("primary_school_min_land_m2_per_seat"),
        "middle_school": s("middle_school_min_land_m2_per_seat"),
        "hospital": s("hospital_min_land_m2_per_bed"),
    }
    parts += [
        idle,
        low,
        rules.roofs(buildings, min_area_m2=s("roof_min_area_m2")),
        rules.expandable_facilities(
            facilities, parcels, min_far_gap=s("expandable_min_far_gap"), min_land_m2_per_capacity=per_capacity
        ),
        rules.underground_space(buildings, min_unused_m2=s("underground_min_unused_m2")),
        rules.retained_buildings(
            buildings,
            min_age_yr=s("retained_building_min_age_yr"),
            as_of_year=year,
            exclude_ids=set(idle["source_id"]) | set(low["source_id"]),
            reasons=retained_reasons,
        ),
    ]
    parts = [p.to_crs(crs) if p.crs is not None and crs is not None and p.crs != crs else p for p in parts if len(p)]
    if not parts:
        return _empty(crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


def _empty_list(crs: object) -> gpd.GeoDataFrame:
    table = list_table("resource_list")
    return gpd.GeoDataFrame(
        conform(pd.DataFrame(columns=table.columns), table), geometry=gpd.GeoSeries([], crs=crs), crs=crs
    )


def block_ids_of(blocks: gpd.GeoDataFrame, features: gpd.GeoDataFrame, points: np.ndarray | None = None) -> np.ndarray:
    """Block of each feature: the one holding its representative point, else the one it overlaps most (None if none).

    `points`: the features' representative points where the caller has them
    (None entries are computed here).
    """
    frame = blocks.reset_index(drop=True)
    if points is not None:
        points = np.asarray(points, dtype=object).copy()
        missing = np.flatnonzero(pd.isna(points))
        points[missing] = representative_points(features.iloc[missing])
        where = block_index_of(frame, gpd.GeoSeries(points, crs=features.crs))
    else:
        where = block_index_of(frame, features)
    lost = np.flatnonzero(where < 0)
    if len(lost):
        f_idx, b_idx = shapely.STRtree(frame.geometry.values).query(
            features.geometry.values[lost], predicate="intersects"
        )
        overlap = shapely.area(
            shapely.intersection(features.geometry.values[lost][f_idx], frame.geometry.values[b_idx])
        )
        order = np.lexsort((-overlap, f_idx))
        f_idx, b_idx, overlap = f_idx[order], b_idx[order], overlap[order]
        first = np.unique(f_idx, return_index=True)[1]
        best = first[overlap[first] > 0]
        where[lost[f_idx[best]]] = b_idx[best]
    ids = frame["block_id"].astype(str).to_numpy(dtype=object)
    return np.where(where >= 0, ids[np.maximum(where, 0)], None)


def _building_points_of(
    found: pd.DataFrame, buildings: gpd.GeoDataFrame | None, points: np.ndarray | None
) -> np.ndarray | None:
    """The buildings' representative `points` on the rows found on a building (by source id), None elsewhere.

    The building rules list the building's own polygon, so its point is the
    row's. None when building ids repeat (each row then gets its own point).
    """
    if points is None or buildings is None:
        return None
    ids = pd.Index(_source_ids(buildings, "building_id"))
    if not ids.is_unique:
        return None
    on_building = (found["source_layer"] == "buildings").to_numpy()
    at = np.full(len(found), -1)
    at[on_building] = ids.get_indexer(found["source_id"].to_numpy(object)[on_building])
    out = np.full(len(found), None, dtype=object)
    out[at >= 0] = np.asarray(points, dtype=object)[at[at >= 0]]
    return out


@dataclass(frozen=True)
class FoundResources:
    """The resource list and the features behind its per-block rows."""

    resource_list: gpd.GeoDataFrame  # schema resource_list (图2)
    members: pd.DataFrame  # schema resource_members: one row per feature of an aggregated row


#: The field holding a feature's own id in each layer the resource rules list features of (``source_id``).
SOURCE_ID_FIELDS = {
    "parcels": "parcel_id",
    "buildings": "building_id",
    "roads": "road_id",
    "green": "green_id",
    "facilities": "facility_id",
}


def source_ids_of(frame: gpd.GeoDataFrame, layer: str) -> np.ndarray:
    """The ``source_id`` the resource rules give each feature of `layer` (its own id, else ``fid<n>``)."""
    return _source_ids(frame, SOURCE_ID_FIELDS.get(layer, f"{layer}_id"))


def locate_resources(
    layers: dict[str, gpd.GeoDataFrame], standards: Standards, *, as_of_year: int | None = None
) -> gpd.GeoDataFrame:
    """Every resource found, one row per feature, with its ``block_id`` and its own ``resource_id``.

    :func:`detect_resources` (retained features without reasons) with the
    block of each row (:func:`block_ids_of`) and
    :func:`blockcheck.lists.ids.resource_id`; an empty frame when nothing is
    found. :func:`find_resources` lists these rows.
    """
    blocks, buildings = layers["blocks"], layers.get("buildings")
    points = representative_points(buildings) if buildings is not None and not buildings.empty else None
    found = detect_resources(layers, standards, as_of_year=as_of_year, retained_reasons=False, building_points=points)
    if found.empty:
        return found
    found["block_id"] = block_ids_of(blocks, found, _building_points_of(found, buildings, points))
    found["resource_id"] = resource_id(found["category"], found["source_layer"], found["source_id"])
    return found


def resource_reach_m(layers: dict[str, gpd.GeoDataFrame], standards: Standards) -> float:
    """How far beyond a feature the resource rules look (metres): a row of :func:`locate_resources` depends
    only on features intersecting its feature, within this distance of it, or on a parcel under it.

    The farthest look is a small site's street frontage (its edges within a
    street's half red-line width + ``resources.street_frontage_max_dist_m`` of
    the centre line); an enclave's neighbours lie within
    ``ADJACENCY_TOLERANCE_M``.
    """
    roads = layers.get("roads")
    half = 0.0
    if roads is not None and len(roads):
        width = _num(roads, "width_m")
        default = np.array([DEFAULT_ROAD_WIDTH_M.get(c, 15.0) for c in _str(roads, "class")], dtype="float64")
        half = float(np.max(np.where(np.isfinite(width) & (width > 0), width, default), initial=0.0)) / 2.0
    frontage = _float(standards, "resources.street_frontage_max_dist_m")
    return half + frontage + ADJACENCY_TOLERANCE_M


def find_resources(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    previous: pd.DataFrame | None = None,
    as_of_year: int | None = None,
    located: Callable[..., gpd.GeoDataFrame] | None = None,
) -> FoundResources:
    """The resource list and its members table (the features behind the per-block rows).

    Parameters
    ----------
    layers
        The checked input layers (``blocks`` required; parcels, buildings,
        roads, green, facilities and parking used when present).
    standards
        The run's standards (``resources.*`` thresholds).
    previous
        The ``resource_list`` of an earlier run (e.g. read back with
        :func:`blockcheck.workbook.read.read_table`): resources with the same ``resource_id``
        keep their ``status`` and ``note``; confirmed resources no longer
        detected are carried over with a note saying so (:func:`keep_decisions`).
    as_of_year
        Year the ages of retained land and buildings are counted to (default: this year).
    located
        Called as :func:`locate_resources` instead of it (a tiled run's, which
        finds each tile's resources on a worker: :mod:`blockcheck.tiles.resources`).

    Returns
    -------
    FoundResources
        ``resource_list``: schema columns plus geometry, ordered by family,
        category (图2 order), block and source id; ``block_id`` is the block
        holding the resource's representative point, else the block it
        overlaps most (empty outside every block); retained land and buildings
        one row per block (:func:`aggregate_retained`). ``members``: schema
        ``resource_members``.
    """
    blocks = layers["blocks"]
    found = (located or locate_resources)(layers, standards, as_of_year=as_of_year)
    if found.empty and (previous is None or len(previous) == 0):
        return FoundResources(_empty_list(blocks.crs), _empty_members())
    if "resource_id" not in found:  # nothing found, an earlier list to carry over
        found = found.assign(block_id=pd.Series(dtype=object), resource_id=pd.Series(dtype=object))
    found, members = aggregate_retained(found)
    found["family"] = found["category"].map(lambda c: CATEGORIES[c][0])
    found["standard_ref"] = found["category"].map(_standard_refs(standards))
    found = keep_decisions(found, previous)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    found = found.assign(_o=found["category"].map(order)).sort_values(
        ["_o", "block_id", "source_layer", "source_id"], kind="stable", na_position="last"
    )
    table = list_table("resource_list")
    attributes = conform(found.drop(columns=["_o", "geometry"]), table)
    resources = gpd.GeoDataFrame(
        attributes, geometry=gpd.GeoSeries(found.geometry.to_numpy(), crs=blocks.crs), crs=blocks.crs
    )
    return FoundResources(resources, members)


def build_resource_list(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    previous: pd.DataFrame | None = None,
    as_of_year: int | None = None,
) -> gpd.GeoDataFrame:
    """The resource list alone: :func:`find_resources` without its members table.

    Parameters
    ----------
    layers, standards, previous, as_of_year
        As :func:`find_resources`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``find_resources(...).resource_list``.
    """
    return find_resources(layers, standards, previous=previous, as_of_year=as_of_year).resource_list


def _area_text(value: float, unit: str) -> str:
    if unit == "ha":
        return f"{value:,.2f}公顷"
    return f"{value / 1e4:,.1f}万平方米" if value >= 1e4 else f"{value:,.0f}平方米"


def resource_summary(resource_list: pd.DataFrame, *, block_ids: list[str] | None = None) -> pd.DataFrame:
    """Count and size the resources per block and for the whole area (scope ``ALL``), as in 图2.

    Rejected resources are left out; a row of several features (retained
    land and buildings per block) counts its ``member_count`` features, as
    图2 counts them. Each scope has one row per category of
    :data:`CATEGORIES` (zeros included); ``measure`` is the size 图2 reports
    for the category (land in ha for land resources and expandable
    facilities, roof area or floor area in m² for the others) and
    ``situation`` the 图2 wording, e.g. "街角空间22处，共22处，7.40公顷".

    Parameters
    ----------
    resource_list
        The resource list (schema ``resource_list``).
    block_ids
        Blocks to report (default: those holding a resource).
    """
    labels = resource_labels()
    used = ["block_id", "category", "subtype", "status", "land_area_m2", "floor_area_m2", "member_count"]
    frame = pd.DataFrame(resource_list[[c for c in used if c in resource_list.columns]]).reset_index(drop=True)
    frame = frame[frame["status"] != "rejected"]
    blocks = list(block_ids) if block_ids is not None else sorted(frame["block_id"].dropna().unique())
    both = pd.concat(
        [frame.assign(scope=AREA_SCOPE), frame[frame["block_id"].notna()].assign(scope=frame["block_id"])],
        ignore_index=True,
    )
    both["land"] = pd.to_numeric(both["land_area_m2"], errors="coerce")
    both["floor"] = pd.to_numeric(both["floor_area_m2"], errors="coerce")
    members = pd.to_numeric(both["member_count"], errors="coerce") if "member_count" in both else None
    both["features"] = members.fillna(1).astype("int64") if members is not None else 1
    both["confirmed"] = np.where(both["status"] == "confirmed", both["features"], 0)
    grid = pd.MultiIndex.from_product([[AREA_SCOPE, *blocks], list(CATEGORIES)], names=["scope", "category"])
    totals = both.groupby(["scope", "category"]).agg(
        count=("features", "sum"),
        confirmed_count=("confirmed", "sum"),
        land=("land", "sum"),
        floor=("floor", "sum"),
    )
    out = totals.reindex(grid, fill_value=0).reset_index()
    spec = pd.DataFrame.from_dict(CATEGORIES, orient="index", columns=["family", "column", "unit"])
    out = out.join(spec, on="category")
    size = np.where(out["column"] == "land_area_m2", out["land"], out["floor"]).astype("float64")
    out["measure"] = np.where(out["unit"] == "ha", size / 1e4, size)
    keys = ["scope", "category", "subtype"]
    subtypes = both.loc[both["subtype"].notna(), keys].groupby(keys).size().rename("n").reset_index()
    subtypes = subtypes.sort_values(["scope", "category", "n", "subtype"], ascending=[True, True, False, True])
    subtypes["text"] = (
        subtypes["subtype"].map(labels["subtype"]).fillna(subtypes["subtype"]) + subtypes["n"].astype(str) + "处"
    )
    listed = subtypes.groupby(["scope", "category"])["text"].agg("、".join)
    listed = listed.reindex(pd.MultiIndex.from_arrays([out["scope"], out["category"]])).fillna("")
    listed = listed.to_numpy(dtype=object)
    size_text = [_area_text(m, u) for m, u in zip(out["measure"], out["unit"], strict=True)]
    out["situation"] = np.where(
        out["count"] > 0,
        np.where(listed != "", listed + "，", "")
        + "共"
        + out["count"].astype(str)
        + "处，"
        + np.array(size_text, dtype=object),
        "无",
    )
    out["id"] = out["scope"] + ":" + out["category"]
    out["family_zh"] = out["family"].map(labels["family"])
    out["category_zh"] = out["category"].map(labels["category"])
    out["land_area_ha"] = out["land"] / 1e4
    out["floor_area_m2"] = out["floor"]
    out["measure_unit"] = np.where(out["unit"] == "ha", "公顷", "平方米")
    return conform(out, list_table("resource_summary"))
