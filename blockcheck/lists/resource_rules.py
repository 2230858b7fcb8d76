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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.metrics.assign import block_index_of, overlap_area_m2, sum_by_block
from blockcheck.lists._resource_base import ADJACENCY_TOLERANCE_M, DEFAULT_ROAD_WIDTH_M, RULE_COLUMNS, _empty, _floor_area_m2, _fmt, _label, _num, _result, _source_ids, _str, enclosure_ratio, shape_measures, street_corner_angle_deg
from blockcheck.lists._resource_buildings import CAPACITY_FIELD, EXPANDABLE_CATEGORIES, LOW_EFFICIENCY_USES, ROOF_USES, YIELD_USES, expandable_facilities, idle_rooms, low_efficiency_buildings, retained_buildings, roofs, underground_space

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

#: Major land-use classes (GB 50137) open by design: green and squares, roads and transport yards, non-construction land.
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

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`RULE_COLUMNS` + geometry (the parcel), one row per idle parcel;
        ``potential_floor_area_m2`` = permitted FAR × area − existing floor area.
    """
    if parcels is None or parcels.empty:
        return _empty(getattr(parcels, "crs", None))
    geoms = parcels.geometry.values
    status = _str(parcels, "status")
    land_use = np.array([str(v or "") for v in _str(parcels, "land_use")], dtype=object)
    area = shapely.area(geoms)
    positions = parcels.reset_index(drop=True)
    has_buildings = buildings is not None and not buildings.empty
    covered = overlap_area_m2(positions, buildings).to_numpy() if has_buildings else np.zeros(len(parcels))
    coverage = np.divide(covered, area, out=np.zeros(len(parcels)), where=area > 0)
    used = np.zeros(len(parcels), dtype=bool)
    for layer in in_use:
        if layer is not None and not layer.empty:
            where = block_index_of(positions, layer)
            used[where[where >= 0]] = True
    open_use = np.array([u[:1] in OPEN_LAND_USES for u in land_use])
    by_status = np.isin(status, ["vacant", "idle"])
    by_coverage = (status == "built") & ~open_use & ~used & (coverage <= coverage_max_ratio)
    keep = np.flatnonzero(by_status | by_coverage)
    if not len(keep):
        return _empty(parcels.crs)
    shape = shape_measures(geoms[keep])
    enclosure = enclosure_ratio(geoms, keep)
    angle = street_corner_angle_deg(geoms[keep], roads, frontage_max_dist_m=street_frontage_max_dist_m)
    small = shape["area_m2"].to_numpy() <= scattered_max_area_m2
    width, compact = shape["width_m"].to_numpy(), shape["compactness"].to_numpy()
    is_enclave = small & (enclosure >= enclave_min_enclosure_ratio)
    is_street_corner = small & ~is_enclave & (angle >= street_corner_min_angle_deg)
    is_narrow = (width <= corner_max_width_m) | (compact <= narrow_max_compactness)
    is_corner = small & ~is_enclave & ~is_street_corner & is_narrow
    subtype = np.select(
        [is_enclave, is_street_corner, is_corner, small],
        ["enclave", "street_corner", "corner", "scattered"],
        default="",
    )
    subtype = np.where(subtype == "", None, subtype).astype(object)

    existing = (
        sum_by_block(positions, block_index_of(positions, buildings), _floor_area_m2(buildings)).to_numpy()
        if has_buildings
        else np.zeros(len(parcels))
    )
    built_far = _num(parcels, "built_far")
    existing_m2 = np.where(np.isfinite(built_far), built_far * area, existing)[keep]
    potential = np.clip(_num(parcels, "permitted_far")[keep] * area[keep] - existing_m2, 0.0, None)

    ha, max_ha = _fmt(area[keep] / 1e4, ".2f"), format(scattered_max_area_m2 / 1e4, ".2f")
    cov, lu = _fmt(coverage[keep] * 100, ".1f"), land_use[keep]
    st = status[keep]
    status_zh = np.where(st == "vacant", "地块状态为空地（vacant）", "地块状态为闲置（idle）")
    status_en = np.where(st == "vacant", "parcel status vacant", "parcel status idle")
    bare = coverage[keep] == 0
    cov_zh = (
        "已建成地块建筑覆盖率"
        + cov
        + f"%（≤{coverage_max_ratio * 100:.0f}%），用地性质"
        + lu
        + "，地块内无设施、停车场或绿地"
        + np.where(bare, "（地块内无任何建筑，请核实是否为建筑数据缺失）", "")
    )
    cov_en = (
        "built parcel with building coverage "
        + cov
        + f"% (≤ {coverage_max_ratio * 100:.0f}%), land use "
        + lu
        + ", no facility, parking or green on it"
        + np.where(bare, " (no building at all: check whether building data are missing)", "")
    )
    status_kept = by_status[keep]
    c_txt, w_txt, e_txt, a_txt = _fmt(compact, ".2f"), _fmt(width, ".0f"), _fmt(enclosure, ".2f"), _fmt(angle, ".0f")
    le = lambda flag: np.where(flag, "≤", "＞")  # noqa: E731
    sub_zh = np.select(
        [is_enclave, is_street_corner, is_corner, small],
        [
            "插花地：被其他地块包围（共边比例" + e_txt + f"≥{enclave_min_enclosure_ratio:.2f}）",
            "街角空间：位于道路转角（临街边夹角" + a_txt + f"°≥{street_corner_min_angle_deg:.0f}°）",
            "边角地：狭长或不规则（宽"
            + w_txt
            + "米"
            + le(width <= corner_max_width_m)
            + f"{corner_max_width_m:.0f}米，紧凑度"
            + c_txt
            + le(compact <= narrow_max_compactness)
            + f"{narrow_max_compactness:.2f}）",
            "零星地：面积" + ha + f"公顷≤{max_ha}公顷，形状规整（宽" + w_txt + "米，紧凑度" + c_txt + "）",
        ],
        default="面积" + ha + f"公顷＞{max_ha}公顷，不属零星小块用地",
    )
    sub_en = np.select(
        [is_enclave, is_street_corner, is_corner, small],
        [
            "enclave: surrounded by other parcels (shared perimeter "
            + e_txt
            + f" ≥ {enclave_min_enclosure_ratio:.2f})",
            "street corner: on a street corner (frontages at " + a_txt + f"° ≥ {street_corner_min_angle_deg:.0f}°)",
            "corner plot: narrow or irregular (width "
            + w_txt
            + f" m vs ≤ {corner_max_width_m:.0f} m, compactness "
            + c_txt
            + f" vs ≤ {narrow_max_compactness:.2f})",
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
    return _result(
        geoms[keep],
        parcels.crs,
        category="idle_site",
        subtype=subtype,
        source_layer="parcels",
        source_id=_source_ids(parcels, "parcel_id")[keep],
        land_area_m2=area[keep],
        floor_area_m2=existing_m2,
        potential_floor_area_m2=potential,
        rule_id=np.where(status_kept, "idle_site.status", "idle_site.coverage"),
        reason=np.where(status_kept, status_zh, cov_zh) + measures_zh + sub_zh,
        reason_en=np.where(status_kept, status_en, cov_en) + measures_en + sub_en,
    )


def planned_new_land(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Usable planned new land (可利用规划新建用地): parcels with status ``planned``.

    Villages to resettle, old factories and markets planned for a new use are
    entered with status ``planned`` and their planned land use; the OSM import
    gives ``landuse=construction`` this status. ``potential_floor_area_m2`` =
    (permitted − built FAR) × area (NaN without a permitted FAR).
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
        measured = sum_by_block(
            frame, block_index_of(frame, buildings), _floor_area_m2(buildings)
        ).to_numpy() / np.where(area > 0, area, 1.0)
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
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None = None, *, min_age_yr: float, as_of_year: int
) -> gpd.GeoDataFrame:
    """Other retained land (其他现状保留空间): parcels with status ``retained`` old enough.

    The age of a parcel is `as_of_year` minus the floor-area-weighted mean
    ``year_built`` of the buildings on it; parcels of at least `min_age_yr`
    years are listed, and so are parcels whose age is unknown (no dated
    buildings), with that said in the reason.
    """
    if parcels is None or parcels.empty:
        return _empty(getattr(parcels, "crs", None))
    retained = np.flatnonzero(_str(parcels, "status") == "retained")
    sub = parcels.iloc[retained].reset_index(drop=True)
    mean_year = np.full(len(sub), np.nan)
    if len(sub) and buildings is not None and not buildings.empty:
        year = _num(buildings, "year_built")
        weight = np.where(np.isfinite(year), _floor_area_m2(buildings), 0.0)
        where = block_index_of(sub, buildings)
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
    return _result(
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
    parts = []
    crs = next((f.crs for f in (green, roads) if f is not None), None)
    if green is not None and not green.empty:
        sub = green[np.isin(_str(green, "quality"), levels)]
        if len(sub):
            kind, q = _str(sub, "kind"), _str(sub, "quality")
            area = shapely.area(sub.geometry.values)
            ha = _fmt(area / 1e4, ".2f")
            parts.append(
                _result(
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
            )
    if roads is not None and not roads.empty and "quality" in roads.columns:
        sub = roads[np.isin(_str(roads, "quality"), levels)]
        if len(sub):
            cls, q = _str(sub, "class"), _str(sub, "quality")
            width = _num(sub, "width_m")
            width = np.where(np.isfinite(width) & (width > 0), width, [DEFAULT_ROAD_WIDTH_M.get(c, 15.0) for c in cls])
            space = shapely.buffer(sub.geometry.values, width / 2.0, cap_style="flat")
            length = shapely.length(sub.geometry.values)
            name = np.array([n or "" for n in _str(sub, "name")], dtype=object)
            ln, wd = _fmt(length, ".0f"), _fmt(width, ".0f")
            parts.append(
                _result(
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
            )
    return pd.concat(parts, ignore_index=True) if parts else _empty(crs)
