"""Parcels: the layer in EPSG:4548 with built FAR and permitted FAR from each parcel's rule.

The rules are set where the parcel is made (`programmes`): ``fixed`` value,
``fixed_permitted`` at least a value, ``plus`` built + a drawn headroom, ``scale``
built × a drawn factor, ``range`` a drawn value, ``planned`` by planned use,
``equal`` built out to the plan, ``none`` unset ("X" sites).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .assumptions import EPSG, PLANNED_FAR

if TYPE_CHECKING:
    from .district import District


def permitted_far(rule: tuple, built_far: float, rng: np.random.Generator) -> float:
    """Permitted FAR of a parcel with FAR rule `rule` and `built_far`."""
    kind = rule[0]
    if kind == "fixed":
        return rule[1]
    if kind == "fixed_permitted":
        return max(rule[1], built_far)
    if kind == "plus":
        return round(built_far + rng.uniform(rule[1], rule[2]), 1)
    if kind == "scale":
        return max(built_far, round(built_far * rng.uniform(rule[1], rule[2]), 1))
    if kind == "range":
        return round(rng.uniform(rule[1], rule[2]), 1)
    if kind == "planned":
        return PLANNED_FAR[rule[1]]
    if kind == "equal":  # built out to the plan
        return built_far
    return np.nan


def parcels_layer(d: District, buildings: gpd.GeoDataFrame, building_parcel: np.ndarray) -> gpd.GeoDataFrame:
    """Parcel layer; `building_parcel` is the parcel index of each row of `buildings`."""
    parcels = pd.DataFrame(d.parcels)
    parcel_geoms = d.to_crs(parcels["_geom"].to_numpy(), parcels["_b"].to_numpy())
    parcel_area = shapely.area(parcel_geoms)
    built_gfa = (
        pd.Series(shapely.area(buildings.geometry.to_numpy()) * buildings["floors"].to_numpy())
        .groupby(building_parcel)
        .sum()
    )
    built_far = np.round(built_gfa.reindex(range(len(parcels)), fill_value=0.0).to_numpy() / parcel_area, 2)
    permitted = [permitted_far(rule, far, d.rng) for far, rule in zip(built_far, parcels["_far"], strict=True)]
    parcels["permitted_far"] = np.asarray(permitted, dtype=float)
    parcels["built_far"] = built_far
    parcels["parcel_id"] = [
        f"{d.blocks[b]['block_id']}-{k:03d}"
        for b, k in zip(parcels["_b"], parcels.groupby("_b").cumcount() + 1, strict=True)
    ]
    return gpd.GeoDataFrame(
        parcels[["parcel_id", "land_use", "status", "permitted_far", "built_far"]], geometry=parcel_geoms, crs=EPSG
    )
