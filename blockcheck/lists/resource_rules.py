"""Detection rules of the resource list (资源清单, 图2): one pure function per rule family.

Every function takes input layers (one metric CRS, as the validation leaves
them) and plain numbers for its thresholds, and returns a new GeoDataFrame of
candidate resources with the columns of :data:`RULE_COLUMNS` plus geometry.
Inputs are never modified. The numbers come from the standards profile
(``resources.*``), read once in :func:`blockcheck.lists.resources.build_resource_list`.
Everything is vectorised over features (shapely 2 arrays, STRtree, numpy);
only the reason texts are formatted value by value.

Land rules live here, building rules in the private ``_resource_buildings`` and
the shape measures in ``_resource_base``; all are public through this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.lists._resource_base import (
    ADJACENCY_TOLERANCE_M,
    DEFAULT_ROAD_WIDTH_M,
    RULE_COLUMNS,
    _anchors,
    _empty,
    _floor_area_m2,
    _fmt,
    _label,
    _num,
    _result,
    _source_ids,
    _str,
    enclosure_ratio,
    shape_measures,
    street_corner_angle_deg,
)
from blockcheck.lists._resource_buildings import (
    CAPACITY_FIELD,
    EXPANDABLE_CATEGORIES,
    LOW_EFFICIENCY_USES,
    ROOF_USES,
    YIELD_USES,
    expandable_facilities,
    idle_rooms,
    low_efficiency_buildings,
    retained_buildings,
    roofs,
    underground_space,
)
from blockcheck.metrics.assign import block_index_of, overlap_area_m2, sum_by_block

__all__ = [
    "ADJACENCY_TOLERANCE_M",
    "CAPACITY_FIELD",
    "DEFAULT_ROAD_WIDTH_M",
    "EXPANDABLE_CATEGORIES",
    "LOW_EFFICIENCY_USES",
    "OPEN_LAND_USES",
    "ROOF_USES",
    "RULE_COLUMNS",
    "enclosure_ratio",
    "expandable_facilities",
    "idle_rooms",
    "idle_sites",
    "low_efficiency_buildings",
    "low_quality_spaces",
    "planned_new_land",
    "retained_buildings",
    "retained_land",
    "roofs",
    "shape_measures",
    "street_corner_angle_deg",
    "underground_space",
    "YIELD_USES",
]

#: Major land-use classes (GB 50137) open by design: green and squares, roads and transport yards, non-construction
#: land.
OPEN_LAND_USES = ("G", "S", "E")
_GREEN_SUBTYPE = {
    "attached": "attached_green",
    "park": "park_green",
    "plaza": "plaza",
    "protective": "protective_green",
}


# ------------------------------------------------------------ land resources


def idle_sites(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    *,
    in_use: Iterable[gpd.GeoDataFrame] = (),
    coverage_max_ratio: float,
    scattered_max_area_m2: float,
    enclave_min_enclosure_ratio: float,
    corner_max_width_m: float,
    narrow_max_compactness: float,
    street_corner_min_angle_deg: float,
    street_frontage_max_dist_m: float,
    building_points: np.ndarray | None = None,
    building_tree: shapely.STRtree | None = None,
) -> gpd.GeoDataFrame:
    """Idle sites (闲置场地): vacant or idle parcels, and built parcels without use.

    A parcel is idle when its ``status`` is ``vacant`` or ``idle`` (rule
    ``idle_site.status``), or when it is ``built``, its land use is not open by
    design (:data:`OPEN_LAND_USES`), buildings cover at most
    `coverage_max_ratio` of it and no feature of `in_use` (facilities, parking,
    green) has its representative point on it (rule ``idle_site.coverage``).

    Small sites (area ≤ `scattered_max_area_m2`) get a subtype, tested in this
    order: ``enclave`` 插花地 (perimeter shared with other parcels ≥
    `enclave_min_enclosure_ratio`), ``street_corner`` 街角空间 (fronts streets
    meeting at ≥ `street_corner_min_angle_deg`, see
    :func:`street_corner_angle_deg`), ``corner`` 边角地 (minimum-rectangle
    width ≤ `corner_max_width_m` or compactness ≤ `narrow_max_compactness`),
    else ``scattered`` 零星地. Larger sites have no subtype.

    Building coverage and existing floor area go to the parcel holding each building's representative point
    (`building_points` and an STRtree over them, `building_tree`, computed when not given); a building inside that
    parcel counts whole, one crossing parcel edges by its overlay with each parcel.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`RULE_COLUMNS` + geometry (the parcel), one row per idle parcel;
        ``potential_floor_area_m2`` = permitted FAR × area − existing floor area.
    """
    if parcels is None or parcels.empty:
        return _empty(getattr(parcels, "crs", None))
    limits = _IdleSiteLimits(
        coverage_max_ratio=coverage_max_ratio,
        scattered_max_area_m2=scattered_max_area_m2,
        enclave_min_enclosure_ratio=enclave_min_enclosure_ratio,
        corner_max_width_m=corner_max_width_m,
        narrow_max_compactness=narrow_max_compactness,
        street_corner_min_angle_deg=street_corner_min_angle_deg,
        street_frontage_max_dist_m=street_frontage_max_dist_m,
    )
    geoms = parcels.geometry.values
    status = _str(parcels, "status")
    land_use = np.array([str(v or "") for v in _str(parcels, "land_use")], dtype=object)
    area = shapely.area(geoms)
    positions = parcels.reset_index(drop=True)
    has_buildings = buildings is not None and not buildings.empty
    anchors = _anchors(buildings, building_points) if has_buildings else None
    where = block_index_of(positions, anchors, tree=building_tree) if has_buildings else None
    covered = overlap_area_m2(positions, buildings, where).to_numpy() if has_buildings else np.zeros(len(parcels))
    coverage = np.divide(covered, area, out=np.zeros(len(parcels)), where=area > 0)
    open_use = np.array([u[:1] in OPEN_LAND_USES for u in land_use])
    by_status = np.isin(status, ["vacant", "idle"])
    unused = ~_used_by(positions, in_use)
    by_coverage = (status == "built") & ~open_use & unused & (coverage <= coverage_max_ratio)
    keep = np.flatnonzero(by_status | by_coverage)
    if not len(keep):
        return _empty(parcels.crs)
    shape = _site_shapes(geoms, keep, roads, limits)
    existing = (
        sum_by_block(positions, where, _floor_area_m2(buildings)).to_numpy()
        if has_buildings
        else np.zeros(len(parcels))
    )
    built_far = _num(parcels, "built_far")
    existing_m2 = np.where(np.isfinite(built_far), built_far * area, existing)[keep]
    potential = np.clip(_num(parcels, "permitted_far")[keep] * area[keep] - existing_m2, 0.0, None)
    reason, reason_en = _idle_site_reasons(
        status[keep], coverage[keep], land_use[keep], area[keep], by_status[keep], shape, limits
    )
    return _result(
        geoms[keep],
        parcels.crs,
        category="idle_site",
        subtype=shape.subtype,
        source_layer="parcels",
        source_id=_source_ids(parcels, "parcel_id")[keep],
        land_area_m2=area[keep],
        floor_area_m2=existing_m2,
        potential_floor_area_m2=potential,
        rule_id=np.where(by_status[keep], "idle_site.status", "idle_site.coverage"),
        reason=reason,
        reason_en=reason_en,
    )


@dataclass(frozen=True)
class _IdleSiteLimits:
    """The thresholds of :func:`idle_sites` (see its parameters)."""

    coverage_max_ratio: float
    scattered_max_area_m2: float
    enclave_min_enclosure_ratio: float
    corner_max_width_m: float
    narrow_max_compactness: float
    street_corner_min_angle_deg: float
    street_frontage_max_dist_m: float


@dataclass(frozen=True)
class _SiteShape:
    """Shape measures and small-site kind of each idle parcel (arrays over the parcels kept)."""

    width_m: np.ndarray
    compactness: np.ndarray
    enclosure: np.ndarray
    angle_deg: np.ndarray
    small: np.ndarray
    is_enclave: np.ndarray
    is_street_corner: np.ndarray
    is_corner: np.ndarray

    @property
    def subtype(self) -> np.ndarray:
        """``enclave``, ``street_corner``, ``corner`` or ``scattered`` for small sites, None for larger ones."""
        kind = np.select(
            [self.is_enclave, self.is_street_corner, self.is_corner, self.small],
            ["enclave", "street_corner", "corner", "scattered"],
            default="",
        )
        return np.where(kind == "", None, kind).astype(object)


def _used_by(parcels: gpd.GeoDataFrame, in_use: Iterable[gpd.GeoDataFrame]) -> np.ndarray:
    """True for each parcel holding the representative point of a feature of a layer of `in_use`."""
    used = np.zeros(len(parcels), dtype=bool)
    for layer in in_use:
        if layer is not None and not layer.empty:
            where = block_index_of(parcels, layer)
            used[where[where >= 0]] = True
    return used


def _site_shapes(
    geoms: np.ndarray, keep: np.ndarray, roads: gpd.GeoDataFrame | None, limits: _IdleSiteLimits
) -> _SiteShape:
    """Width, compactness, enclosure and street-corner angle of the parcels `keep`, and the kind of the small ones."""
    shape = shape_measures(geoms[keep])
    enclosure = enclosure_ratio(geoms, keep)
    angle = street_corner_angle_deg(geoms[keep], roads, frontage_max_dist_m=limits.street_frontage_max_dist_m)
    small = shape["area_m2"].to_numpy() <= limits.scattered_max_area_m2
    width, compact = shape["width_m"].to_numpy(), shape["compactness"].to_numpy()
    is_enclave = small & (enclosure >= limits.enclave_min_enclosure_ratio)
    is_street_corner = small & ~is_enclave & (angle >= limits.street_corner_min_angle_deg)
    is_narrow = (width <= limits.corner_max_width_m) | (compact <= limits.narrow_max_compactness)
    is_corner = small & ~is_enclave & ~is_street_corner & is_narrow
    return _SiteShape(width, compact, enclosure, angle, small, is_enclave, is_street_corner, is_corner)


def _at_most(flag: np.ndarray) -> np.ndarray:
    """``≤`` where `flag`, else ``＞`` (the comparison a Chinese reason states)."""
    return np.where(flag, "≤", "＞")


def _idle_site_reasons(
    status: np.ndarray,
    coverage: np.ndarray,
    land_use: np.ndarray,
    area: np.ndarray,
    by_status: np.ndarray,
    shape: _SiteShape,
    limits: _IdleSiteLimits,
) -> tuple[np.ndarray, np.ndarray]:
    """Chinese and English reasons of idle sites: why idle (status or coverage), the measures, the subtype."""
    ha, max_ha = _fmt(area / 1e4, ".2f"), format(limits.scattered_max_area_m2 / 1e4, ".2f")
    cov = _fmt(coverage * 100, ".1f")
    status_zh = np.where(status == "vacant", "地块状态为空地（vacant）", "地块状态为闲置（idle）")
    status_en = np.where(status == "vacant", "parcel status vacant", "parcel status idle")
    bare = coverage == 0
    cov_zh = (
        "已建成地块建筑覆盖率"
        + cov
        + f"%（≤{limits.coverage_max_ratio * 100:.0f}%），用地性质"
        + land_use
        + "，地块内无设施、停车场或绿地"
        + np.where(bare, "（地块内无任何建筑，请核实是否为建筑数据缺失）", "")
    )
    cov_en = (
        "built parcel with building coverage "
        + cov
        + f"% (≤ {limits.coverage_max_ratio * 100:.0f}%), land use "
        + land_use
        + ", no facility, parking or green on it"
        + np.where(bare, " (no building at all: check whether building data are missing)", "")
    )
    width, compact = shape.width_m, shape.compactness
    c_txt, w_txt = _fmt(compact, ".2f"), _fmt(width, ".0f")
    e_txt, a_txt = _fmt(shape.enclosure, ".2f"), _fmt(shape.angle_deg, ".0f")
    kinds = [shape.is_enclave, shape.is_street_corner, shape.is_corner, shape.small]
    sub_zh = np.select(
        kinds,
        [
            "插花地：被其他地块包围（共边比例" + e_txt + f"≥{limits.enclave_min_enclosure_ratio:.2f}）",
            "街角空间：位于道路转角（临街边夹角" + a_txt + f"°≥{limits.street_corner_min_angle_deg:.0f}°）",
            "边角地：狭长或不规则（宽"
            + w_txt
            + "米"
            + _at_most(width <= limits.corner_max_width_m)
            + f"{limits.corner_max_width_m:.0f}米，紧凑度"
            + c_txt
            + _at_most(compact <= limits.narrow_max_compactness)
            + f"{limits.narrow_max_compactness:.2f}）",
            "零星地：面积" + ha + f"公顷≤{max_ha}公顷，形状规整（宽" + w_txt + "米，紧凑度" + c_txt + "）",
        ],
        default="面积" + ha + f"公顷＞{max_ha}公顷，不属零星小块用地",
    )
    sub_en = np.select(
        kinds,
        [
            "enclave: surrounded by other parcels (shared perimeter "
            + e_txt
            + f" ≥ {limits.enclave_min_enclosure_ratio:.2f})",
            "street corner: on a street corner (frontages at "
            + a_txt
            + f"° ≥ {limits.street_corner_min_angle_deg:.0f}°)",
            "corner plot: narrow or irregular (width "
            + w_txt
            + f" m vs ≤ {limits.corner_max_width_m:.0f} m, compactness "
            + c_txt
            + f" vs ≤ {limits.narrow_max_compactness:.2f})",
            "scattered plot: " + ha + f" ha ≤ {max_ha} ha, compact (width " + w_txt + " m, compactness " + c_txt + ")",
        ],
        default=ha + f" ha > {max_ha} ha, not a small plot",
    )
    measures_zh = (
        "；面积" + ha + "公顷；紧凑度" + c_txt + "；最小外接矩形宽" + w_txt + "米；与其他地块共边比例" + e_txt + "；"
    )
    measures_en = (
        "; area "
        + ha
        + " ha; compactness "
        + c_txt
        + "; minimum-rectangle width "
        + w_txt
        + " m; shared perimeter "
        + e_txt
        + "; "
    )
    reason = np.where(by_status, status_zh, cov_zh) + measures_zh + sub_zh
    reason_en = np.where(by_status, status_en, cov_en) + measures_en + sub_en
    return reason, reason_en


def planned_new_land(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    building_points: np.ndarray | None = None,
    building_tree: shapely.STRtree | None = None,
) -> gpd.GeoDataFrame:
    """Usable planned new land (可利用规划新建用地): parcels with status ``planned``.

    Villages to resettle, old factories and markets planned for a new use are
    entered with status ``planned`` and their planned land use; the OSM import
    gives ``landuse=construction`` this status. ``potential_floor_area_m2`` =
    (permitted − built FAR) × area (NaN without a permitted FAR). `building_points`: the buildings'
    representative points when the caller has them (`building_tree`: an STRtree over them).
    """
    if parcels is None or parcels.empty:
        return _empty(getattr(parcels, "crs", None))
    keep = np.flatnonzero(_str(parcels, "status") == "planned")
    if not len(keep):
        return _empty(parcels.crs)
    sub = parcels.iloc[keep]
    area = shapely.area(sub.geometry.values)
    built_far, permitted = _num(sub, "built_far"), _num(sub, "permitted_far")
    if buildings is not None and not buildings.empty:
        frame = sub.reset_index(drop=True)
        where = block_index_of(frame, _anchors(buildings, building_points), tree=building_tree)
        measured = sum_by_block(frame, where, _floor_area_m2(buildings)).to_numpy() / np.where(area > 0, area, 1.0)
        built_far = np.where(np.isfinite(built_far), built_far, measured)
    built_far = np.where(np.isfinite(built_far), built_far, 0.0)
    potential = np.clip((permitted - built_far) * area, 0.0, None)
    lu = np.array([str(v or "") for v in _str(sub, "land_use")], dtype=object)
    ha, bf, pf, pot = _fmt(area / 1e4, ".2f"), _fmt(built_far, ".2f"), _fmt(permitted, ".2f"), _fmt(potential, ",.0f")
    return _result(
        sub.geometry.values,
        parcels.crs,
        category="planned_new_land",
        subtype=None,
        source_layer="parcels",
        source_id=_source_ids(sub, "parcel_id"),
        land_area_m2=area,
        floor_area_m2=built_far * area,
        potential_floor_area_m2=potential,
        rule_id="planned_new_land.status",
        reason="用地状态为规划待建（planned）；规划用地性质"
        + lu
        + _label(lu, "land_use")
        + "；面积"
        + ha
        + "公顷；现状容积率"
        + bf
        + np.where(
            np.isfinite(permitted), "，规划容积率" + pf + "，可增建筑面积约" + pot + "平方米", "，规划容积率未给定"
        ),
        reason_en="parcel status planned; planned land use "
        + lu
        + "; area "
        + ha
        + " ha; built FAR "
        + bf
        + np.where(
            np.isfinite(permitted),
            ", permitted FAR " + pf + ", potential floor area about " + pot + " m²",
            ", no permitted FAR given",
        ),
    )


def retained_land(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    min_age_yr: float,
    as_of_year: int,
    building_points: np.ndarray | None = None,
    building_tree: shapely.STRtree | None = None,
) -> gpd.GeoDataFrame:
    """Other retained land (其他现状保留空间): parcels with status ``retained`` old enough.

    The age of a parcel is `as_of_year` minus the floor-area-weighted mean
    ``year_built`` of the buildings on it; parcels of at least `min_age_yr`
    years are listed, and so are parcels whose age is unknown (no dated
    buildings), with that said in the reason. `building_points`: the buildings' representative points when the
    caller has them (`building_tree`: an STRtree over them).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`RULE_COLUMNS` + geometry, plus ``age_yr`` (years in use, NaN where unknown).
    """
    if parcels is None or parcels.empty:
        return _empty(getattr(parcels, "crs", None))
    retained = np.flatnonzero(_str(parcels, "status") == "retained")
    sub = parcels.iloc[retained].reset_index(drop=True)
    mean_year = np.full(len(sub), np.nan)
    if len(sub) and buildings is not None and not buildings.empty:
        year = _num(buildings, "year_built")
        weight = np.where(np.isfinite(year), _floor_area_m2(buildings), 0.0)
        where = block_index_of(sub, _anchors(buildings, building_points), tree=building_tree)
        w_sum = sum_by_block(sub, where, weight).to_numpy()
        mean_year = np.divide(
            sum_by_block(sub, where, weight * np.nan_to_num(year)).to_numpy(),
            w_sum,
            out=np.full(len(sub), np.nan),
            where=w_sum > 0,
        )
    age = as_of_year - mean_year
    keep = np.flatnonzero(~np.isfinite(age) | (age >= min_age_yr))
    if not len(keep):
        return _empty(parcels.crs)
    sub, age, mean_year = sub.iloc[keep], age[keep], mean_year[keep]
    area = shapely.area(sub.geometry.values)
    lu = np.array([str(v or "") for v in _str(sub, "land_use")], dtype=object)
    known = np.isfinite(age)
    ha, yr, ag = _fmt(area / 1e4, ".2f"), _fmt(mean_year, ".0f"), _fmt(age, ".0f")
    found = _result(
        sub.geometry.values,
        parcels.crs,
        category="retained_land",
        subtype=None,
        source_layer="parcels",
        source_id=_source_ids(parcels.iloc[retained[keep]], "parcel_id"),
        land_area_m2=area,
        rule_id="retained_land.age",
        reason="现状保留用地（"
        + lu
        + _label(lu, "land_use")
        + "）；面积"
        + ha
        + "公顷；"
        + np.where(
            known,
            "地块内建筑平均建成于" + yr + f"年，至{as_of_year}年已使用" + ag + f"年（≥{min_age_yr:.0f}年）",
            "地块内无建筑年代，使用年限未知",
        )
        + "；随生命周期推进将成为更新资源",
        reason_en="retained land ("
        + lu
        + "); area "
        + ha
        + " ha; "
        + np.where(
            known,
            "buildings built " + yr + " on average, " + ag + f" years in use by {as_of_year} (≥ {min_age_yr:.0f})",
            "age unknown (no dated buildings)",
        )
        + "; becomes a renewal resource as its life cycle advances",
    )
    found["age_yr"] = age
    return found


def low_quality_spaces(
    green: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    *,
    low_quality_levels: Iterable[str] = ("poor",),
) -> gpd.GeoDataFrame:
    """Low-quality spaces (低品质空间): green spaces and streets whose ``quality`` is in `low_quality_levels`.

    Streets become their red-line space: the centre line buffered by half
    ``width_m`` (or the class default) with flat ends.
    """
    levels = [str(v).strip() for v in low_quality_levels]
    crs = next((f.crs for f in (green, roads) if f is not None), None)
    parts = [
        part for part in (_low_quality_green(green, levels), _low_quality_streets(roads, levels)) if part is not None
    ]
    return pd.concat(parts, ignore_index=True) if parts else _empty(crs)


def _low_quality_green(green: gpd.GeoDataFrame | None, levels: list[str]) -> gpd.GeoDataFrame | None:
    """Green spaces of a low quality level as resources (None when there are none)."""
    if green is None or green.empty:
        return None
    sub = green[np.isin(_str(green, "quality"), levels)]
    if not len(sub):
        return None
    kind, q = _str(sub, "kind"), _str(sub, "quality")
    area = shapely.area(sub.geometry.values)
    ha = _fmt(area / 1e4, ".2f")
    return _result(
        sub.geometry.values,
        sub.crs,
        category="low_quality_space",
        subtype=np.array([_GREEN_SUBTYPE.get(k) for k in kind], dtype=object),
        source_layer="green",
        source_id=_source_ids(sub, "green_id"),
        land_area_m2=area,
        rule_id="low_quality_space.green",
        reason="绿地品质为"
        + _label(q, "quality")
        + "（"
        + q
        + f"，低品质等级：{'、'.join(levels)}）；"
        + _label(kind, "green_kind")
        + "；面积"
        + ha
        + "公顷；具有改造提升潜力",
        reason_en="green space of "
        + q
        + f" quality (low-quality levels: {', '.join(levels)}); "
        + kind
        + "; area "
        + ha
        + " ha",
    )


def _low_quality_streets(roads: gpd.GeoDataFrame | None, levels: list[str]) -> gpd.GeoDataFrame | None:
    """Streets of a low quality level as resources: their red-line space (None when there are none)."""
    if roads is None or roads.empty or "quality" not in roads.columns:
        return None
    sub = roads[np.isin(_str(roads, "quality"), levels)]
    if not len(sub):
        return None
    cls, q = _str(sub, "class"), _str(sub, "quality")
    width = _num(sub, "width_m")
    width = np.where(np.isfinite(width) & (width > 0), width, [DEFAULT_ROAD_WIDTH_M.get(c, 15.0) for c in cls])
    space = shapely.buffer(sub.geometry.values, width / 2.0, cap_style="flat")
    length = shapely.length(sub.geometry.values)
    name = np.array([n or "" for n in _str(sub, "name")], dtype=object)
    ln, wd = _fmt(length, ".0f"), _fmt(width, ".0f")
    return _result(
        space,
        sub.crs,
        category="low_quality_space",
        subtype="street",
        source_layer="roads",
        source_id=_source_ids(sub, "road_id"),
        land_area_m2=shapely.area(space),
        rule_id="low_quality_space.street",
        reason="街道品质为"
        + _label(q, "quality")
        + "（"
        + q
        + f"，低品质等级：{'、'.join(levels)}）；"
        + name
        + _label(cls, "road_class")
        + "，长"
        + ln
        + "米，红线宽"
        + wd
        + "米；具有改造提升潜力",
        reason_en="street of "
        + q
        + f" quality (low-quality levels: {', '.join(levels)}); "
        + cls
        + " road, "
        + ln
        + " m long, "
        + wd
        + " m wide",
    )
