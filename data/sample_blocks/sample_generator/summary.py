"""Headline numbers of the generated district (printed by make_sample.py, quoted in README.md)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd


def summarize(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, float]:
    """Headline numbers of the district, computed from the layers."""
    blocks, comm, roads, green = layers["blocks"], layers["communities"], layers["roads"], layers["green"]
    fac, bld, parcels, parking = layers["facilities"], layers["buildings"], layers["parcels"], layers["parking"]
    area_km2 = blocks.area.sum() / 1e6
    pop = int(comm["population"].sum())
    city = roads[roads["class"] != "internal"]
    built_km = city.loc[city["status"] == "built"].length.sum() / 1000
    all_built_km = roads.loc[roads["status"] == "built"].length.sum() / 1000
    floor = bld.area * bld["floors"]
    per_k = pop / 1000
    cat = fac["category"]

    fac_pts = fac.geometry.representative_point().to_numpy()
    p_idx, parcel_idx = parcels.sindex.query(fac_pts, predicate="within")
    fac_parcel = pd.Series(parcel_idx, index=p_idx).reindex(range(len(fac)))
    headroom = (parcels["permitted_far"] > parcels["built_far"]).to_numpy()
    expandable_cats = ["primary_school", "middle_school", "hospital", "community_health_center", "clinic", "culture"]
    expandable = (
        cat.isin(expandable_cats).to_numpy()
        & fac_parcel.notna().to_numpy()
        & headroom[fac_parcel.fillna(0).astype(int).to_numpy()]
    )

    res = bld[bld["use"] == "residential"]
    stops = fac[cat == "bus_stop"]
    dist = np.full(len(res), np.inf)
    if len(stops):
        _, nearest = stops.sindex.nearest(res.geometry.centroid, return_distance=True, return_all=False)
        dist = nearest
    idle_room = (
        (bld["use"] == "ancillary")
        & bld["subtype"].isin(["boiler_room", "bike_shed", "office"])
        & (bld["status"] == "idle")
    )
    low_eff = bld["use"].isin(["office", "commercial"]) & (bld["status"] == "low_efficiency")
    roofs = bld["use"].isin(["office", "commercial"]) & (bld["roof"] == "flat")
    underground = bld["underground_area_m2"] > bld["underground_used_m2"]
    idle_site = parcels["status"].isin(["idle", "vacant"])
    return {
        "blocks": len(blocks),
        "subdistricts": comm["subdistrict"].nunique(),
        "communities": len(comm),
        "area_km2": round(area_km2, 2),
        "block_area_ha_min": round(blocks.area.min() / 1e4, 1),
        "block_area_ha_max": round(blocks.area.max() / 1e4, 1),
        "population": pop,
        "community_population_min": int(comm["population"].min()),
        "community_population_max": int(comm["population"].max()),
        "households": int(comm["households"].sum()),
        "elderly_share": round(comm["elderly_population"].sum() / pop, 3),
        "buildings": len(bld),
        "residential_buildings": int((bld["use"] == "residential").sum()),
        "old_residential_1976_2002": int(((bld["use"] == "residential") & (bld["year_built"] <= 2002)).sum()),
        "residential_floor_m2_per_person": round(floor[bld["use"] == "residential"].sum() / pop, 1),
        "roads": len(roads),
        "city_road_km_total": round(city.length.sum() / 1000, 1),
        "city_road_km_built": round(built_km, 1),
        "built_city_road_density_km_per_km2": round(built_km / area_km2, 2),
        "built_road_density_incl_internal": round(all_built_km / area_km2, 2),
        "road_implementation_ratio": round(built_km / (city.length.sum() / 1000), 3),
        "park_green_m2": round(green.loc[green["kind"] == "park"].area.sum()),
        "park_green_m2_per_person": round(green.loc[green["kind"] == "park"].area.sum() / pop, 2),
        "school_land_m2_per_1000": round(
            fac.loc[cat.isin(["primary_school", "middle_school"]), "land_area_m2"].sum() / per_k
        ),
        "medical_beds_per_1000": round(
            fac.loc[cat.isin(["hospital", "community_health_center", "clinic"]), "beds"].sum() / per_k, 2
        ),
        "elderly_beds_per_1000": round(fac.loc[cat == "elderly_care", "beds"].sum() / per_k, 2),
        "culture_floor_m2_per_person": round(fac.loc[cat == "culture", "floor_area_m2"].sum() / pop, 3),
        "sports_land_m2_per_person": round(fac.loc[cat == "sports", "land_area_m2"].sum() / pop, 3),
        "kindergarten_seats_per_1000": round(fac.loc[cat == "kindergarten", "seats"].sum() / per_k, 1),
        "bus_stops": int((cat == "bus_stop").sum()),
        "bus_terminals": int((cat == "bus_terminal").sum()),
        "residential_buildings_within_300m_of_bus_stop": round(float((dist <= 300).mean()), 3),
        "residential_buildings_within_500m_of_bus_stop": round(float((dist <= 500).mean()), 3),
        "jobs": int(bld["employees"].sum()),
        "resident_workers": int(comm["resident_workers"].sum()),
        "jobs_per_resident_worker": round(bld["employees"].sum() / comm["resident_workers"].sum(), 3),
        "parking_spaces": int(parking["spaces"].sum()),
        "parking_spaces_per_household": round(parking["spaces"].sum() / comm["households"].sum(), 3),
        "underground_use_ratio": round(bld["underground_used_m2"].sum() / bld["underground_area_m2"].sum(), 3),
        "industrial_land_share": round(
            parcels.loc[parcels["land_use"].str.startswith("M")].area.sum() / parcels.area.sum(), 3
        ),
        "res_idle_sites": int(idle_site.sum()),
        "res_idle_sites_ha": round(parcels.loc[idle_site].area.sum() / 1e4, 2),
        "res_low_quality_spaces": int((green["quality"] == "poor").sum()),
        "res_planned_new_land": int((parcels["status"] == "planned").sum()),
        "res_planned_new_land_ha": round(parcels.loc[parcels["status"] == "planned"].area.sum() / 1e4, 1),
        "res_retained_land": int((parcels["status"] == "retained").sum()),
        "res_retained_land_ha": round(parcels.loc[parcels["status"] == "retained"].area.sum() / 1e4, 1),
        "res_idle_rooms": int(idle_room.sum()),
        "res_idle_rooms_m2": round(floor[idle_room].sum()),
        "res_low_efficiency_buildings": int(low_eff.sum()),
        "res_low_efficiency_m2": round(floor[low_eff].sum()),
        "res_flat_roofs": int(roofs.sum()),
        "res_flat_roofs_m2": round(bld.loc[roofs].area.sum()),
        "res_expandable_facilities": int(expandable.sum()),
        "res_underground_buildings": int(underground.sum()),
        "res_underground_unused_m2": round((bld["underground_area_m2"] - bld["underground_used_m2"]).sum()),
        "res_retained_buildings": int((bld["status"] == "in_use").sum()),
        "res_retained_buildings_m2": round(floor[bld["status"] == "in_use"].sum()),
    }
