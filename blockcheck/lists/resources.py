"""The resource list (资源清单, 图2): land and building resources found in the input layers.

:func:`build_resource_list` runs the detection rules of
:mod:`blockcheck.lists.resource_rules` with the thresholds of the standards
profile (``resources.*``), gives every resource a stable id
(``RL-<category>-<source layer>-<source id>``), the block it lies in and the
standards behind it, and keeps the analysts' decisions (``status``, ``note``)
of an earlier resource list. :func:`resource_summary` counts and measures the
resources per block and for the whole area in the layout of 图2.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
import warnings
from functools import cache
from importlib import resources as _res

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.lists.ids import AREA_SCOPE, resource_id
from blockcheck.errors import BlockcheckWarning
from blockcheck.metrics.assign import block_index_of
from blockcheck.standards import Standards, threshold_term
from blockcheck.lists import resource_rules as rules
from blockcheck.lists._resource_base import _empty
from blockcheck.lists.schema import conform, list_table

__all__ = [
    "block_ids_of",
    "CATEGORIES",
    "RESOURCE_LIST_LAYER",
    "RESOURCE_SUMMARY_LAYER",
    "RULE_KEYS",
    "build_resource_list",
    "detect_resources",
    "keep_decisions",
    "resource_labels",
    "resource_summary",
]

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
_STATUSES = ("candidate", "confirmed", "rejected")
_KEPT = ("status", "note")
_GONE = "本次运行未再检出，按已确认保留 / not detected in this run, kept as confirmed"


@cache
def resource_labels() -> dict[str, dict[str, str]]:
    """Chinese labels of ``family``, ``category``, ``subtype`` and ``status`` codes (from ``data/lists.toml``)."""
    doc = tomllib.loads(_res.files("blockcheck").joinpath("data/lists.toml").read_text("utf-8"))
    return {k: dict(v) for k, v in doc["value_labels"]["resource_list"].items()}


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
    layers: dict[str, gpd.GeoDataFrame], standards: Standards, *, as_of_year: int | None = None
) -> gpd.GeoDataFrame:
    """Run every detection rule on `layers`; the rules' columns plus geometry, not yet conformed.

    Layers that are absent only switch off the rules that need them.
    """
    s = lambda key: _float(standards, f"resources.{key}")  # noqa: E731
    year = as_of_year or _dt.date.today().year
    parcels, buildings, roads = layers.get("parcels"), layers.get("buildings"), layers.get("roads")
    green, facilities = layers.get("green"), layers.get("facilities")
    crs = layers["blocks"].crs
    levels = [v.strip() for v in str(standards["resources.low_quality_levels"]).split(",") if v.strip()]
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
        ),
        rules.low_quality_spaces(green, roads, low_quality_levels=levels),
        rules.planned_new_land(parcels, buildings),
        rules.retained_land(parcels, buildings, min_age_yr=s("retained_land_min_age_yr"), as_of_year=year),
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


def keep_decisions(found: gpd.GeoDataFrame, previous: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Copy status and note of `previous` rows onto `found` by resource_id; carry over confirmed rows no longer found."""
    found = found.assign(status="candidate", note=None)
    if previous is None or len(previous) == 0 or "resource_id" not in previous.columns:
        return found
    prev = previous[previous["resource_id"].notna()].copy()
    prev["resource_id"] = prev["resource_id"].astype(str)
    prev = prev.drop_duplicates("resource_id", keep="last")
    status = prev["status"].astype(object) if "status" in prev else pd.Series(None, index=prev.index, dtype=object)
    bad = status.notna() & ~status.isin(_STATUSES)
    if bad.any():
        warnings.warn(
            f"resource_list of the earlier run: {int(bad.sum())} status value(s) not one of {', '.join(_STATUSES)} "
            f"({', '.join(map(str, status[bad].unique()[:5]))}) were ignored; those resources are candidates again.",
            BlockcheckWarning,
            stacklevel=3,
        )
    prev["status"] = status.where(~bad & status.notna(), "candidate")
    if "note" not in prev:
        prev["note"] = None
    decisions = prev.set_index("resource_id")[list(_KEPT)]
    match = found["resource_id"].isin(decisions.index)
    for column in _KEPT:
        found.loc[match, column] = found.loc[match, "resource_id"].map(decisions[column]).to_numpy()
    gone = prev[(prev["status"] == "confirmed") & ~prev["resource_id"].isin(found["resource_id"])]
    if "category" in gone:
        gone = gone[gone["category"].isin(list(CATEGORIES))]
    if len(gone) and isinstance(gone, gpd.GeoDataFrame):
        gone = (
            gone.to_crs(found.crs) if gone.crs is not None and found.crs is not None and gone.crs != found.crs else gone
        )
        note = gone["note"].astype(object).where(gone["note"].notna(), "").astype(str)
        flagged = note.str.contains(_GONE, regex=False)
        gone = gone.assign(note=np.where(flagged, note, np.where(note != "", note + "；" + _GONE, _GONE)))
        # rows an analyst drew by hand may lack the fields the rules fill
        fills = {
            "family": gone["category"].map(lambda c: CATEGORIES[c][0]),
            "source_layer": RESOURCE_LIST_LAYER,
            "source_id": gone["resource_id"],
            "reason": "分析人员确认的资源 / confirmed by an analyst",
        }
        for column, value in fills.items():
            current = gone[column] if column in gone else pd.Series(None, index=gone.index, dtype=object)
            gone[column] = current.where(current.notna() & (current.astype(str) != ""), value)
        gone = gpd.GeoDataFrame(
            gone.reindex(columns=[*found.columns.drop("geometry"), "geometry"]), geometry="geometry", crs=found.crs
        )
        found = gpd.GeoDataFrame(pd.concat([found, gone], ignore_index=True), geometry="geometry", crs=found.crs)
    return found


def block_ids_of(blocks: gpd.GeoDataFrame, features: gpd.GeoDataFrame) -> np.ndarray:
    """Block of each feature: the one holding its representative point, else the one it overlaps most (None if none)."""
    frame = blocks.reset_index(drop=True)
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


def build_resource_list(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    previous: pd.DataFrame | None = None,
    as_of_year: int | None = None,
) -> gpd.GeoDataFrame:
    """The resource list: one feature per resource, conforming to the ``resource_list`` schema.

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
        detected are carried over with a note saying so.
    as_of_year
        Year the ages of retained land and buildings are counted to (default: this year).

    Returns
    -------
    geopandas.GeoDataFrame
        Schema columns plus geometry, ordered by family, category (图2 order),
        block and source id; ``block_id`` is the block holding the resource's
        representative point, else the block it overlaps most (empty outside every block).
    """
    blocks = layers["blocks"]
    found = detect_resources(layers, standards, as_of_year=as_of_year)
    if found.empty and (previous is None or len(previous) == 0):
        return _empty_list(blocks.crs)
    found["block_id"] = block_ids_of(blocks, found)
    found["family"] = found["category"].map(lambda c: CATEGORIES[c][0])
    found["resource_id"] = resource_id(found["category"], found["source_layer"], found["source_id"])
    found["standard_ref"] = found["category"].map(_standard_refs(standards))
    found = keep_decisions(found, previous)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    found = found.assign(_o=found["category"].map(order)).sort_values(
        ["_o", "block_id", "source_layer", "source_id"], kind="stable", na_position="last"
    )
    table = list_table("resource_list")
    attributes = conform(found.drop(columns=["_o", "geometry"]), table)
    return gpd.GeoDataFrame(
        attributes, geometry=gpd.GeoSeries(found.geometry.to_numpy(), crs=blocks.crs), crs=blocks.crs
    )


def _area_text(value: float, unit: str) -> str:
    if unit == "ha":
        return f"{value:,.2f}公顷"
    return f"{value / 1e4:,.1f}万平方米" if value >= 1e4 else f"{value:,.0f}平方米"


def resource_summary(resource_list: pd.DataFrame, *, block_ids: list[str] | None = None) -> pd.DataFrame:
    """Count and size the resources per block and for the whole area (scope ``ALL``), as in 图2.

    Rejected resources are left out. Each scope has one row per category of
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
    frame = pd.DataFrame(resource_list.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    frame = frame[frame["status"] != "rejected"]
    blocks = list(block_ids) if block_ids is not None else sorted(frame["block_id"].dropna().unique())
    both = pd.concat(
        [frame.assign(scope=AREA_SCOPE), frame[frame["block_id"].notna()].assign(scope=frame["block_id"])], ignore_index=True
    )
    both["land"] = pd.to_numeric(both["land_area_m2"], errors="coerce")
    both["floor"] = pd.to_numeric(both["floor_area_m2"], errors="coerce")
    both["confirmed"] = both["status"] == "confirmed"
    grid = pd.MultiIndex.from_product([[AREA_SCOPE, *blocks], list(CATEGORIES)], names=["scope", "category"])
    totals = both.groupby(["scope", "category"]).agg(
        count=("resource_id", "size"),
        confirmed_count=("confirmed", "sum"),
        land=("land", "sum"),
        floor=("floor", "sum"),
    )
    out = totals.reindex(grid, fill_value=0).reset_index()
    spec = pd.DataFrame.from_dict(CATEGORIES, orient="index", columns=["family", "column", "unit"])
    out = out.join(spec, on="category")
    size = np.where(out["column"] == "land_area_m2", out["land"], out["floor"]).astype("float64")
    out["measure"] = np.where(out["unit"] == "ha", size / 1e4, size)
    subtypes = (
        both.dropna(subset=["subtype"]).groupby(["scope", "category", "subtype"]).size().rename("n").reset_index()
    )
    subtypes = subtypes.sort_values(["scope", "category", "n", "subtype"], ascending=[True, True, False, True])
    subtypes["text"] = (
        subtypes["subtype"].map(labels["subtype"]).fillna(subtypes["subtype"]) + subtypes["n"].astype(str) + "处"
    )
    listed = subtypes.groupby(["scope", "category"])["text"].agg("、".join)
    lookup = listed.to_dict()
    listed = np.array([lookup.get(key, "") for key in zip(out["scope"], out["category"], strict=True)], dtype=object)
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
