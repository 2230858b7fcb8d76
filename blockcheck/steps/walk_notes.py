"""Where the walking metrics enter parks and facilities, and what the walking network's fragments moved.

Two reports of the health check (:func:`blockcheck.steps.health_check.health_check`) next to its
metrics: :attr:`HealthCheck.entries` and the fragments with the points nearest to them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.metrics.stock import park_polygons
from blockcheck.network import Entries, EntryRule, WalkNetwork, feature_entries, fragment_table, snap_points
from blockcheck.standards import Standards

__all__ = ["ENTRY_COLUMNS", "entry_table", "fragments_moved"]

#: Columns of :attr:`HealthCheck.entries`: the layer (facilities | green), the feature's id (a park: the ids
#: of the green polygons it was joined from, comma-separated), its category ("park" for parks), how it is
#: entered (blockcheck.network.ENTERED: gate | frontage | outline), its entry points and its gates.
ENTRY_COLUMNS = ("layer", "id", "category", "entered", "entries", "gates")


def entry_table(
    network: WalkNetwork,
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    facility_entries: Entries | None = None,
    parks: np.ndarray | None = None,
) -> pd.DataFrame:
    """Where the walking metrics enter each park and each polygon facility (:data:`ENTRY_COLUMNS`).

    The same rule and features as the metrics: polygon facilities of the
    categories with a walking radius (``radius_m.*``), parks as
    :func:`~blockcheck.metrics.accessibility.park_coverage_ratio` counts them
    (overlapping polygons joined, at least ``green.park_small_min_area_m2``),
    entered by :func:`blockcheck.network.feature_entries` with the run's
    ``network.entry_*`` parameters and the ``entrances`` layer.
    `facility_entries`: the entries of all of ``layers["facilities"]`` when
    the caller has them (made here otherwise), `parks` likewise the
    :func:`~blockcheck.metrics.stock.park_polygons` of ``layers["green"]``.
    """
    rule = EntryRule.from_standards(standards)
    gates = layers.get("entrances")
    parts = []
    facilities = layers.get("facilities")
    if facilities is not None and len(facilities):
        measured = facilities["category"].isin(list(standards.with_prefix("radius_m"))).to_numpy()
        geoms = np.asarray(facilities.geometry.values, dtype=object)
        polygonal = np.isin(shapely.get_type_id(geoms), (3, 6)) & measured
        if polygonal.any():
            found = facility_entries
            if found is None:
                found = feature_entries(network, np.where(polygonal, geoms, None), gates, rule=rule)
            ids = facilities["facility_id"] if "facility_id" in facilities.columns else facilities.index.astype(str)
            table = found.table(np.asarray(ids, dtype=object))[polygonal]
            parts.append(table.assign(layer="facilities", category=facilities["category"].to_numpy()[polygonal]))
    green = layers.get("green")
    if green is not None and len(green) and "kind" in green.columns:
        parks = park_polygons(green) if parks is None else parks
        parks = parks[shapely.area(parks) >= float(standards["green.park_small_min_area_m2"])]
        if parks.size:
            found = feature_entries(network, parks, gates, rule=rule)
            members = green[(green["kind"] == "park").to_numpy()]
            inner = shapely.point_on_surface(np.asarray(members.geometry.values, dtype=object))
            member, park = shapely.STRtree(parks).query(inner, predicate="within")
            ids = members["green_id"] if "green_id" in members.columns else members.index.astype(str)
            names = pd.Series(np.asarray(ids, dtype=str)[member]).groupby(park).agg(",".join)
            table = found.table(names.reindex(range(parks.size)).fillna("").to_numpy(dtype=object))
            parts.append(table.assign(layer="green", category="park"))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ENTRY_COLUMNS[:4] else "int64") for c in ENTRY_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(ENTRY_COLUMNS)]


_MOVED_COLUMNS = ("kind", "key", "points", "population")


def fragments_moved(
    network: WalkNetwork,
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None,
    entries: Entries | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network's fragments with the residents and facilities that were nearest to them (fragment_table),
    and those points by block (residents) and category (facilities): HealthCheck.fragment_moved.

    Facilities count by their entry points, as the metrics enter them (blockcheck.network.entries: a point
    facility at its point, a polygon at its gates or along its outline): a facility counts once when any of
    its entry points was nearest to a fragment. `entries`: :func:`blockcheck.network.feature_entries` of the
    facilities (made here, without gates and with the shipped parameters, when None).
    """
    moved = pd.DataFrame({c: pd.Series(dtype=object if c in ("kind", "key") else float) for c in _MOVED_COLUMNS})
    if network.main_pieces is None:
        return fragment_table(network), moved
    people = population = sites = None
    parts = []
    if len(residents):
        people = snap_points(network, residents.geometry)
        population = pd.to_numeric(residents["population"], errors="coerce").fillna(0).to_numpy()
        hit = people.fragment_edge >= 0
        by_block = pd.DataFrame(
            {"key": residents["block_id"].astype(str).to_numpy()[hit], "population": population[hit]}
        )
        parts.append(by_block.groupby("key", sort=True)["population"].agg(["size", "sum"]).assign(kind="residents"))
    if facilities is not None and len(facilities):
        sites = (entries if entries is not None else feature_entries(network, facilities)).per_feature()
        hit = sites.fragment_edge >= 0
        category = pd.DataFrame({"key": facilities["category"].astype(str).to_numpy()[hit]})
        parts.append(category.groupby("key", sort=True).size().to_frame("size").assign(sum=0.0, kind="facilities"))
    if parts:
        found = pd.concat(parts).reset_index().rename(columns={"size": "points", "sum": "population"})
        moved = found[list(_MOVED_COLUMNS)].astype({"points": float, "population": float})
    return fragment_table(network, people, population, sites), moved
