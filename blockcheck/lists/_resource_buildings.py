"""Building-family detection rules of the resource list (private: public through
:mod:`blockcheck.lists.resource_rules`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.lists._resource_base import (
    _empty,
    _floor_area_m2,
    _fmt,
    _label,
    _num,
    _result,
    _source_ids,
    _str,
    _years,
)
from blockcheck.metrics.assign import block_index_of
from blockcheck.standards import threshold_term

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
        status[keep].astype(str).astype(object),  # object: "text" + array concatenates in numpy 1 too
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
    buildings: gpd.GeoDataFrame,
    *,
    min_age_yr: float,
    as_of_year: int,
    exclude_ids: Iterable[str] = (),
    reasons: bool = True,
) -> gpd.GeoDataFrame:
    """Other retained buildings (其他现状保留建筑): buildings in normal use for at least `min_age_yr` years.

    Status ``in_use`` (or empty), not among `exclude_ids` (buildings already
    listed as idle rooms or low-efficiency buildings), built at least
    `min_age_yr` years before `as_of_year`; undated buildings are not listed.
    With ``reasons=False`` the reason columns stay empty (the resource list
    gives the retained buildings one reason per block, see
    :func:`blockcheck.lists.resources.aggregate_retained`).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`RULE_COLUMNS` + geometry, plus ``age_yr`` (years in use).
    """
    if buildings is None or buildings.empty:
        return _empty(getattr(buildings, "crs", None))
    status = _str(buildings, "status")
    age = _years(buildings, as_of_year)
    ids = _source_ids(buildings, "building_id")
    unset = status == None  # noqa: E711 - elementwise: numpy compares every status with None
    keep = np.flatnonzero(((status == "in_use") | unset) & (age >= min_age_yr) & ~pd.Index(ids).isin(list(exclude_ids)))
    if not len(keep):
        return _empty(buildings.crs)
    geoms = np.asarray(buildings.geometry.values, dtype=object)[keep]  # no copy of the buildings' other columns
    footprint, floor = shapely.area(geoms), _floor_area_m2(buildings, keep)
    reason = reason_en = None
    if reasons:
        use = _str(buildings, "use")[keep]
        yr, ag, fa = _fmt(_num(buildings, "year_built")[keep], ".0f"), _fmt(age[keep], ".0f"), _fmt(floor, ",.0f")
        reason = (
            "现状正常使用的"
            + _label(use, "building_use")
            + "建筑，建成于"
            + yr
            + f"年，至{as_of_year}年已使用"
            + ag
            + f"年（≥{min_age_yr:.0f}年）；建筑面积"
            + fa
            + "平方米；随生命周期推进可能成为更新对象"
        )
        reason_en = (
            use
            + " building in normal use, built "
            + yr
            + ", "
            + ag
            + f" years in use by {as_of_year} (≥ {min_age_yr:.0f}); floor area "
            + fa
            + " m²"
        )
    found = _result(
        geoms,
        buildings.crs,
        category="retained_building",
        subtype=None,
        source_layer="buildings",
        source_id=ids[keep],
        land_area_m2=footprint,
        floor_area_m2=floor,
        rule_id="retained_building.age",
        reason=reason,
        reason_en=reason_en,
    )
    found["age_yr"] = age[keep]
    return found


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
    parcel = _public_parcel_under(fac, parcels)
    far_gap = parcel.permitted_far - parcel.built_far
    by_far = parcel.found & (far_gap >= min_far_gap)
    polygonal = shapely.get_type_id(fac.geometry.values) >= 3
    land, capacity = _land_and_capacity(fac, category, polygonal, parcel)
    standard = np.array([min_land_m2_per_capacity.get(c, np.nan) for c in category], dtype="float64")
    per_place = np.divide(land, capacity, out=np.full(len(fac), np.nan), where=np.nan_to_num(capacity) > 0)
    by_land = np.isfinite(standard) & np.isfinite(per_place) & (per_place < standard)
    keep = np.flatnonzero(by_far | by_land)
    if not len(keep):
        return _empty(facilities.crs)
    geometry = np.where(polygonal, fac.geometry.values, np.where(parcel.found, parcel.geometry, fac.geometry.values))
    floor = _num(fac, "floor_area_m2")
    floor = np.where(np.isfinite(floor), floor, parcel.built_far * parcel.area_m2 / parcel.sharing)
    growth = _Growth(
        category=category,
        name=np.array([v or "" for v in _str(fac, "name")], dtype=object),
        parcel_id=parcel.parcel_id,
        built_far=parcel.built_far,
        permitted_far=parcel.permitted_far,
        far_gap=far_gap,
        potential_m2=np.where(by_far, far_gap * parcel.area_m2 / parcel.sharing, np.nan),
        sharing=parcel.sharing,
        land_per_place_m2=per_place,
        standard_m2=standard,
        land_short_m2=np.clip(standard * capacity - land, 0, None),
        by_far=by_far,
        by_land=by_land,
    ).take(keep)
    reason, reason_en = _growth_reasons(growth, min_far_gap)
    return _result(
        geometry[keep],
        facilities.crs,
        category="expandable_facility",
        subtype=np.array([EXPANDABLE_CATEGORIES[c] for c in growth.category], dtype=object),
        facility_category=growth.category,
        source_layer="facilities",
        source_id=_source_ids(fac.set_index(fac.columns[0]), "facility_id")[keep],
        land_area_m2=land[keep],
        floor_area_m2=floor[keep],
        potential_floor_area_m2=growth.potential_m2,
        rule_id=np.where(growth.by_far, "expandable_facility.far", "expandable_facility.land"),
        reason=reason,
        reason_en=reason_en,
    )


@dataclass(frozen=True)
class _ParcelUnder:
    """The public-use parcel (land use ``A…``) under each facility, as arrays aligned on the facilities."""

    position: np.ndarray  # among the public parcels; -1 where there is none
    area_m2: np.ndarray
    permitted_far: np.ndarray
    built_far: np.ndarray
    geometry: np.ndarray
    parcel_id: np.ndarray
    sharing: np.ndarray  # facilities on the same parcel (1 where there is none)

    @property
    def found(self) -> np.ndarray:
        """True where a facility stands on a public-use parcel."""
        return self.position >= 0


def _public_parcel_under(fac: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None) -> _ParcelUnder:
    """The public-use parcel holding each facility's representative point, with its FARs and area."""
    n = len(fac)
    on = np.full(n, -1)
    if parcels is not None and not parcels.empty:
        public = np.array([str(v or "").startswith("A") for v in _str(parcels, "land_use")])
        public_parcels = parcels[public].reset_index(drop=True)
        if not public_parcels.empty:
            on = block_index_of(public_parcels, fac)
    found = on >= 0
    area, permitted, built = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    geometry = np.full(n, None, dtype=object)
    ids = np.full(n, "", dtype=object)
    if found.any():
        at = on[found]
        area[found] = shapely.area(public_parcels.geometry.values[at])
        permitted[found], built[found] = (
            _num(public_parcels, "permitted_far")[at],
            _num(public_parcels, "built_far")[at],
        )
        geometry[found] = public_parcels.geometry.values[at]
        ids[found] = _source_ids(public_parcels, "parcel_id")[at]
    per_parcel = np.bincount(np.where(found, on, 0), weights=found, minlength=max(on.max() + 1, 1))
    sharing = np.where(found, per_parcel[np.maximum(on, 0)], 1.0)
    return _ParcelUnder(on, area, permitted, built, geometry, ids, sharing)


def _land_and_capacity(
    fac: gpd.GeoDataFrame, category: np.ndarray, polygonal: np.ndarray, parcel: _ParcelUnder
) -> tuple[np.ndarray, np.ndarray]:
    """Land (m²: ``land_area_m2``, else the polygon, else a parcel to itself) and capacity of each facility."""
    land = _num(fac, "land_area_m2")
    parcel_to_itself = np.where(parcel.sharing == 1, parcel.area_m2, np.nan)
    land = np.where(np.isfinite(land), land, np.where(polygonal, shapely.area(fac.geometry.values), parcel_to_itself))
    capacity = np.full(len(fac), np.nan)
    for cat, field in CAPACITY_FIELD.items():
        mask = category == cat
        capacity[mask] = _num(fac, field)[mask]
    return land, capacity


@dataclass(frozen=True)
class _Growth:
    """Why each facility can grow: the figures its reason quotes (arrays aligned on the facilities)."""

    category: np.ndarray
    name: np.ndarray
    parcel_id: np.ndarray
    built_far: np.ndarray
    permitted_far: np.ndarray
    far_gap: np.ndarray
    potential_m2: np.ndarray
    sharing: np.ndarray
    land_per_place_m2: np.ndarray
    standard_m2: np.ndarray
    land_short_m2: np.ndarray
    by_far: np.ndarray
    by_land: np.ndarray

    def take(self, keep: np.ndarray) -> _Growth:
        """The facilities at positions `keep`."""
        return _Growth(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})


def _growth_reasons(g: _Growth, min_far_gap: float) -> tuple[np.ndarray, np.ndarray]:
    """The Chinese and English reasons of expandable facilities (the FAR rule, the land rule or both)."""
    bf, pf, gp = _fmt(g.built_far, ".2f"), _fmt(g.permitted_far, ".2f"), _fmt(g.far_gap, ".2f")
    pot, pc = _fmt(g.potential_m2, ",.0f"), _fmt(g.land_per_place_m2, ".1f")
    sd, short = _fmt(g.standard_m2, ".1f"), _fmt(g.land_short_m2, ",.0f")
    # object arrays throughout: numpy < 2 has no ``+`` for its fixed-width text arrays
    unit_zh = np.where(g.category == "hospital", "床均", "生均").astype(object)
    shared_zh = np.where(g.sharing > 1, "（地块内" + _fmt(g.sharing, ".0f") + "处设施平分）", "")
    far_zh = (
        "：所在公共设施地块"
        + g.parcel_id
        + "现状容积率"
        + bf
        + "，规划容积率"
        + pf
        + "（差"
        + gp
        + f"≥{min_far_gap:.2f}），可增建筑面积约"
        + pot
        + "平方米"
        + shared_zh
    )
    land_zh = (
        np.where(g.by_far, "；", "：").astype(object)
        + unit_zh
        + "用地"
        + pc
        + "平方米（"
        + _TERM_ZH
        + "≥"
        + sd
        + "），用地缺口约"
        + short
        + "平方米"
    )
    far_en = (
        ": parcel "
        + g.parcel_id
        + " built FAR "
        + bf
        + ", permitted "
        + pf
        + " (gap "
        + gp
        + f" ≥ {min_far_gap:.2f}), potential floor area about "
        + pot
        + " m²"
    )
    land_en = (
        np.where(g.by_far, "; ", ": ").astype(object)
        + "land "
        + pc
        + " m² per place/bed ("
        + _TERM_EN
        + " ≥ "
        + sd
        + "), short by about "
        + short
        + " m²"
    )
    reason = (
        _label(g.category, "facility_category")
        + g.name
        + np.where(g.by_far, far_zh, "")
        + np.where(g.by_land, land_zh, "")
    )
    reason_en = g.category + " " + g.name + np.where(g.by_far, far_en, "") + np.where(g.by_land, land_en, "")
    return reason, reason_en
