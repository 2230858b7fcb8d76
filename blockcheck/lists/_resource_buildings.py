"""Building-family detection rules of the resource list (private; public through :mod:`blockcheck.lists.resource_rules`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.metrics.assign import block_index_of
from blockcheck.standards import threshold_term
from blockcheck.lists._resource_base import _empty, _floor_area_m2, _fmt, _label, _num, _result, _source_ids, _str, _years

#: Building uses judged by occupancy and yield (低效楼宇) → subtype.
LOW_EFFICIENCY_USES = {
    "office": "office_building",
    "commercial": "commercial_building",
    "mixed": "commercial_building",
    "industrial": "industrial_building",
    "warehouse": "industrial_building",
}
#: Uses whose jobs per floor area are a meaningful yield (offices, shops).
YIELD_USES = ("office", "commercial")
#: Building uses whose flat roofs are listed (商业、办公及公共建筑) → subtype.
ROOF_USES = {
    "commercial": "commercial_office",
    "office": "commercial_office",
    "education": "public_building",
    "health": "public_building",
    "culture": "public_building",
    "sports": "public_building",
    "public_service": "public_building",
}
#: Facility categories that can be expanded → subtype (图2: education, health, culture; plus sports and elderly care).
EXPANDABLE_CATEGORIES = {
    "kindergarten": "education",
    "nursery": "education",
    "primary_school": "education",
    "middle_school": "education",
    "hospital": "health",
    "community_health_center": "health",
    "culture": "culture",
    "sports": "sports",
    "elderly_care": "elderly_care",
}
#: Capacity field per expandable category for the land-per-capacity check.
CAPACITY_FIELD = {"kindergarten": "seats", "primary_school": "seats", "middle_school": "seats", "hospital": "beds"}

_IDLE_ROOM_SUBTYPES = ("boiler_room", "bike_shed", "office", "garage", "other")

# resources.* thresholds are blockcheck parameters, never standards: the word reasons use for them.
_TERM_ZH, _TERM_EN = threshold_term(None, "zh"), threshold_term(None, "en")


# -------------------------------------------------------- building resources


def idle_rooms(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Idle rooms in compounds (小区闲置用房): idle buildings that are not offices, shops or factories.

    Status ``idle`` and a use outside :data:`LOW_EFFICIENCY_USES` (those go to
    the low-efficiency buildings). Subtype = the building's ``subtype``
    (boiler_room, bike_shed, office, garage) or ``other``.
    """
    if buildings is None or buildings.empty:
        return _empty(getattr(buildings, "crs", None))
    use = _str(buildings, "use")
    keep = np.flatnonzero((_str(buildings, "status") == "idle") & ~np.isin(use, list(LOW_EFFICIENCY_USES)))
    if not len(keep):
        return _empty(buildings.crs)
    sub = buildings.iloc[keep]
    use, sub_type = use[keep], _str(sub, "subtype")
    subtype = np.where(np.isin(sub_type, list(_IDLE_ROOM_SUBTYPES)), sub_type, "other").astype(object)
    floor, floors = _floor_area_m2(sub), _num(sub, "floors")
    fa, fl = _fmt(floor, ",.0f"), _fmt(floors, ".0f")
    what = _label(use, "building_use") + np.where(
        np.isin(sub_type, list(_IDLE_ROOM_SUBTYPES)), "（" + _label(sub_type, "building_subtype") + "）", ""
    )
    return _result(
        sub.geometry.values,
        buildings.crs,
        category="idle_room",
        subtype=subtype,
        source_layer="buildings",
        source_id=_source_ids(sub, "building_id"),
        land_area_m2=shapely.area(sub.geometry.values),
        floor_area_m2=floor,
        rule_id="idle_room.status",
        reason="建筑状态为闲置（idle）；用途" + what + "；建筑面积" + fa + "平方米（" + fl + "层）",
        reason_en="building status idle; use "
        + use
        + np.array([f" ({v})" if v else "" for v in sub_type], dtype=object)
        + "; floor area "
        + fa
        + " m², floors "
        + fl,
    )


def low_efficiency_buildings(
    buildings: gpd.GeoDataFrame, *, occupancy_max_ratio: float, min_jobs_per_1000m2: float
) -> gpd.GeoDataFrame:
    """Low-efficiency buildings (低效楼宇): offices, shops, factories and warehouses used below par.

    Any of: status ``low_efficiency`` or ``idle`` (rule ``.status``);
    ``occupancy_ratio`` ≤ `occupancy_max_ratio` (``.occupancy``); for offices
    and shops, ``employees`` per 1,000 m² floor area < `min_jobs_per_1000m2`
    (``.yield``). The rule id names the first criterion met; the reason all.
    """
    if buildings is None or buildings.empty:
        return _empty(getattr(buildings, "crs", None))
    use, status = _str(buildings, "use"), _str(buildings, "status")
    eligible = np.isin(use, list(LOW_EFFICIENCY_USES))
    floor = _floor_area_m2(buildings)
    occupancy = _num(buildings, "occupancy_ratio")
    jobs = _num(buildings, "employees")
    density = np.divide(jobs * 1000.0, floor, out=np.full(len(floor), np.nan), where=floor > 0)
    by_status = eligible & np.isin(status, ["low_efficiency", "idle"])
    by_occupancy = eligible & (occupancy <= occupancy_max_ratio)
    by_yield = eligible & np.isin(use, YIELD_USES) & (density < min_jobs_per_1000m2)
    keep = np.flatnonzero(by_status | by_occupancy | by_yield)
    if not len(keep):
        return _empty(buildings.crs)
    sub = buildings.iloc[keep]
    s, o, y = by_status[keep], by_occupancy[keep], by_yield[keep]
    st, oc, dn, fa = (
        status[keep].astype(str),
        _fmt(occupancy[keep] * 100, ".0f"),
        _fmt(density[keep], ".1f"),
        _fmt(floor[keep], ",.0f"),
    )
    u = use[keep]
    zh = [
        np.where(s, "建筑状态为" + _label(status[keep], "building_status") + "（" + st + "）；", ""),
        np.where(o, "使用率" + oc + f"%（≤{occupancy_max_ratio * 100:.0f}%）；", ""),
        np.where(y, "就业密度" + dn + f"人/千平方米（<{min_jobs_per_1000m2:.0f}）；", ""),
    ]
    en = [
        np.where(s, "building status " + st + "; ", ""),
        np.where(o, "occupancy " + oc + f"% (≤ {occupancy_max_ratio * 100:.0f}%); ", ""),
        np.where(y, "jobs " + dn + f" per 1,000 m² (< {min_jobs_per_1000m2:.0f}); ", ""),
    ]
    return _result(
        sub.geometry.values,
        buildings.crs,
        category="low_efficiency_building",
        subtype=np.array([LOW_EFFICIENCY_USES[v] for v in u], dtype=object),
        source_layer="buildings",
        source_id=_source_ids(sub, "building_id"),
        land_area_m2=shapely.area(sub.geometry.values),
        floor_area_m2=floor[keep],
        rule_id=np.select(
            [s, o],
            ["low_efficiency_building.status", "low_efficiency_building.occupancy"],
            default="low_efficiency_building.yield",
        ),
        reason=zh[0] + zh[1] + zh[2] + "用途" + _label(u, "building_use") + "，建筑面积" + fa + "平方米",
        reason_en=en[0] + en[1] + en[2] + "use " + u + ", floor area " + fa + " m²",
    )


def roofs(buildings: gpd.GeoDataFrame, *, min_area_m2: float) -> gpd.GeoDataFrame:
    """Roofs (建筑屋顶): flat roofs of commercial, office and public buildings of at least `min_area_m2`.

    The roof area is the footprint (``land_area_m2``); uses: :data:`ROOF_USES`.
    """
    if buildings is None or buildings.empty:
        return _empty(getattr(buildings, "crs", None))
    use = _str(buildings, "use")
    footprint = shapely.area(buildings.geometry.values)
    keep = np.flatnonzero(
        (_str(buildings, "roof") == "flat") & np.isin(use, list(ROOF_USES)) & (footprint >= min_area_m2)
    )
    if not len(keep):
        return _empty(buildings.crs)
    sub, u, a = buildings.iloc[keep], use[keep], _fmt(footprint[keep], ",.0f")
    return _result(
        sub.geometry.values,
        buildings.crs,
        category="roof",
        subtype=np.array([ROOF_USES[v] for v in u], dtype=object),
        source_layer="buildings",
        source_id=_source_ids(sub, "building_id"),
        land_area_m2=footprint[keep],
        rule_id="roof.flat",
        reason=_label(u, "building_use") + "建筑平屋顶，屋顶面积" + a + f"平方米（≥{min_area_m2:,.0f}平方米）",
        reason_en="flat roof, " + u + " building, " + a + f" m² (≥ {min_area_m2:,.0f} m²)",
    )


def underground_space(buildings: gpd.GeoDataFrame, *, min_unused_m2: float) -> gpd.GeoDataFrame:
    """Underground space (地下空间): basements with at least `min_unused_m2` available but unused.

    ``floor_area_m2`` = ``underground_area_m2`` − ``underground_used_m2`` (used capped at the area).
    """
    if buildings is None or buildings.empty:
        return _empty(getattr(buildings, "crs", None))
    total = np.nan_to_num(_num(buildings, "underground_area_m2"))
    used = np.minimum(np.nan_to_num(_num(buildings, "underground_used_m2")), total)
    unused = total - used
    keep = np.flatnonzero(unused >= min_unused_m2)
    if not len(keep):
        return _empty(buildings.crs)
    sub = buildings.iloc[keep]
    t, u, x = _fmt(total[keep], ",.0f"), _fmt(used[keep], ",.0f"), _fmt(unused[keep], ",.0f")
    r = _fmt(np.divide(used[keep], total[keep], out=np.zeros(len(keep)), where=total[keep] > 0) * 100, ".0f")
    return _result(
        sub.geometry.values,
        buildings.crs,
        category="underground",
        subtype=None,
        source_layer="buildings",
        source_id=_source_ids(sub, "building_id"),
        land_area_m2=shapely.area(sub.geometry.values),
        floor_area_m2=unused[keep],
        rule_id="underground.unused",
        reason="地下建筑面积"
        + t
        + "平方米，已利用"
        + u
        + "平方米（利用率"
        + r
        + "%），可利用"
        + x
        + f"平方米（≥{min_unused_m2:,.0f}平方米）",
        reason_en="underground floor area "
        + t
        + " m², "
        + u
        + " m² used ("
        + r
        + "%), "
        + x
        + f" m² available (≥ {min_unused_m2:,.0f} m²)",
    )


def retained_buildings(
    buildings: gpd.GeoDataFrame, *, min_age_yr: float, as_of_year: int, exclude_ids: Iterable[str] = ()
) -> gpd.GeoDataFrame:
    """Other retained buildings (其他现状保留建筑): buildings in normal use for at least `min_age_yr` years.

    Status ``in_use`` (or empty), not among `exclude_ids` (buildings already
    listed as idle rooms or low-efficiency buildings), built at least
    `min_age_yr` years before `as_of_year`; undated buildings are not listed.
    """
    if buildings is None or buildings.empty:
        return _empty(getattr(buildings, "crs", None))
    status = _str(buildings, "status")
    age = _years(buildings, as_of_year)
    ids = _source_ids(buildings, "building_id")
    keep = np.flatnonzero(
        ((status == "in_use") | (status == None)) & (age >= min_age_yr) & ~pd.Index(ids).isin(list(exclude_ids))
    )  # noqa: E711
    if not len(keep):
        return _empty(buildings.crs)
    sub, use = buildings.iloc[keep], _str(buildings, "use")[keep]
    floor = _floor_area_m2(sub)
    yr, ag, fa = _fmt(_num(sub, "year_built"), ".0f"), _fmt(age[keep], ".0f"), _fmt(floor, ",.0f")
    return _result(
        sub.geometry.values,
        buildings.crs,
        category="retained_building",
        subtype=None,
        source_layer="buildings",
        source_id=ids[keep],
        land_area_m2=shapely.area(sub.geometry.values),
        floor_area_m2=floor,
        rule_id="retained_building.age",
        reason="现状正常使用的"
        + _label(use, "building_use")
        + "建筑，建成于"
        + yr
        + f"年，至{as_of_year}年已使用"
        + ag
        + f"年（≥{min_age_yr:.0f}年）；建筑面积"
        + fa
        + "平方米；随生命周期推进可能成为更新对象",
        reason_en=use
        + " building in normal use, built "
        + yr
        + ", "
        + ag
        + f" years in use by {as_of_year} (≥ {min_age_yr:.0f}); floor area "
        + fa
        + " m²",
    )


def expandable_facilities(
    facilities: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame | None = None,
    *,
    min_far_gap: float,
    min_land_m2_per_capacity: Mapping[str, float],
) -> gpd.GeoDataFrame:
    """Expandable facilities (可扩容设施): public-service facilities with room to grow.

    A facility of :data:`EXPANDABLE_CATEGORIES` is listed when the public-use
    parcel (land use ``A…``) under it has a permitted FAR at least
    `min_far_gap` above its built FAR (rule ``.far``; the potential floor area
    (permitted − built) × parcel area is shared equally among the facilities
    on the parcel), or when its land per place or bed is below
    `min_land_m2_per_capacity[category]` (rule ``.land``; capacity from
    :data:`CAPACITY_FIELD`, land from ``land_area_m2``, else its polygon, else
    the parcel it has to itself). The geometry is the facility polygon, else
    the parcel, else the point.
    """
    if facilities is None or facilities.empty:
        return _empty(getattr(facilities, "crs", None))
    category = _str(facilities, "category")
    fac = facilities[np.isin(category, list(EXPANDABLE_CATEGORIES))].reset_index(drop=False)
    if fac.empty:
        return _empty(facilities.crs)
    category = _str(fac, "category")
    n = len(fac)
    on = np.full(n, -1)
    if parcels is not None and not parcels.empty:
        public = np.array([str(v or "").startswith("A") for v in _str(parcels, "land_use")])
        pp = parcels[public].reset_index(drop=True)
        if not pp.empty:
            on = block_index_of(pp, fac)
    has_parcel = on >= 0
    p_area = np.full(n, np.nan)
    permitted, built = np.full(n, np.nan), np.full(n, np.nan)
    p_geom = np.full(n, None, dtype=object)
    p_ids = np.full(n, "", dtype=object)
    if has_parcel.any():
        idx = on[has_parcel]
        p_area[has_parcel] = shapely.area(pp.geometry.values[idx])
        permitted[has_parcel], built[has_parcel] = _num(pp, "permitted_far")[idx], _num(pp, "built_far")[idx]
        p_geom[has_parcel] = pp.geometry.values[idx]
        p_ids[has_parcel] = _source_ids(pp, "parcel_id")[idx]
    sharing = np.where(
        has_parcel,
        np.bincount(np.where(has_parcel, on, 0), weights=has_parcel, minlength=max(on.max() + 1, 1))[np.maximum(on, 0)],
        1.0,
    )
    gap = permitted - built
    by_far = has_parcel & (gap >= min_far_gap)
    potential = np.where(by_far, gap * p_area / sharing, np.nan)
    polygonal = shapely.get_type_id(fac.geometry.values) >= 3
    land = _num(fac, "land_area_m2")
    land = np.where(
        np.isfinite(land),
        land,
        np.where(polygonal, shapely.area(fac.geometry.values), np.where(sharing == 1, p_area, np.nan)),
    )
    capacity = np.full(n, np.nan)
    standard = np.array([min_land_m2_per_capacity.get(c, np.nan) for c in category], dtype="float64")
    for cat, field in CAPACITY_FIELD.items():
        mask = category == cat
        capacity[mask] = _num(fac, field)[mask]
    per_cap = np.divide(land, capacity, out=np.full(n, np.nan), where=np.nan_to_num(capacity) > 0)
    by_land = np.isfinite(standard) & np.isfinite(per_cap) & (per_cap < standard)
    keep = np.flatnonzero(by_far | by_land)
    if not len(keep):
        return _empty(facilities.crs)
    geometry = np.where(polygonal, fac.geometry.values, np.where(has_parcel, p_geom, fac.geometry.values))[keep]
    floor = _num(fac, "floor_area_m2")
    floor = np.where(np.isfinite(floor), floor, built * p_area / sharing)[keep]
    k = lambda a: a[keep]  # noqa: E731
    cat, name = k(category), np.array([v or "" for v in _str(fac, "name")], dtype=object)[keep]
    f, l = k(by_far), k(by_land)
    bf, pf, gp, pot = _fmt(k(built), ".2f"), _fmt(k(permitted), ".2f"), _fmt(k(gap), ".2f"), _fmt(k(potential), ",.0f")
    pc, sd, short = (
        _fmt(k(per_cap), ".1f"),
        _fmt(k(standard), ".1f"),
        _fmt(k(np.clip(standard * capacity - land, 0, None)), ",.0f"),
    )
    unit_zh = np.where(cat == "hospital", "床均", "生均")
    shared_zh = np.where(k(sharing) > 1, "（地块内" + _fmt(k(sharing), ".0f") + "处设施平分）", "")
    return _result(
        geometry,
        facilities.crs,
        category="expandable_facility",
        subtype=np.array([EXPANDABLE_CATEGORIES[c] for c in cat], dtype=object),
        facility_category=cat,
        source_layer="facilities",
        source_id=_source_ids(fac.set_index(fac.columns[0]), "facility_id")[keep],
        land_area_m2=k(land),
        floor_area_m2=floor,
        potential_floor_area_m2=k(potential),
        rule_id=np.where(f, "expandable_facility.far", "expandable_facility.land"),
        reason=_label(cat, "facility_category")
        + name
        + np.where(
            f,
            "：所在公共设施地块"
            + k(p_ids)
            + "现状容积率"
            + bf
            + "，规划容积率"
            + pf
            + "（差"
            + gp
            + f"≥{min_far_gap:.2f}），可增建筑面积约"
            + pot
            + "平方米"
            + shared_zh,
            "",
        )
        + np.where(
            l,
            np.where(f, "；", "：")
            + unit_zh
            + "用地"
            + pc
            + "平方米（"
            + _TERM_ZH
            + "≥"
            + sd
            + "），用地缺口约"
            + short
            + "平方米",
            "",
        ),
        reason_en=cat
        + " "
        + name
        + np.where(
            f,
            ": parcel "
            + k(p_ids)
            + " built FAR "
            + bf
            + ", permitted "
            + pf
            + " (gap "
            + gp
            + f" ≥ {min_far_gap:.2f}), potential floor area about "
            + pot
            + " m²",
            "",
        )
        + np.where(
            l,
            np.where(f, "; ", ": ")
            + "land "
            + pc
            + " m² per place/bed ("
            + _TERM_EN
            + " ≥ "
            + sd
            + "), short by about "
            + short
            + " m²",
            "",
        ),
    )
