"""Facilities and parking placed once the buildings exist.

Community services sit at residential slabs (a kindergarten replaces one),
compound parking in a row gap; rail stations, bus stops and on-street parking
along the built grid and branch roads. Facilities that own land (schools,
hospitals, parks …) are made with their cell in `programmes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from .assumptions import (
    BUS_STOP_END_MARGIN_M,
    BUS_STOP_FIRST_M,
    BUS_STOP_KERB_OFFSET_M,
    BUS_STOP_SPACING_M,
    COMMUNITY_SERVICE_FLOOR_AREA_M2,
    COMMUNITY_SERVICES,
    FLOOR_AREA_PER_HOUSEHOLD_M2,
    GARAGE_SPACES_PER_HOUSEHOLD,
    KINDERGARTEN_FLOORS,
    KINDERGARTEN_PROB,
    KINDERGARTEN_SEATS,
    ON_STREET_SPACES,
    ON_STREET_STRETCHES,
    POLICE_COMMUNITIES,
    RAIL_STATION_OFFSET_M,
    RAIL_STATIONS,
    SECONDARY_WITHOUT_BUS_PROB,
    STACKED_GARAGE_PROB,
    STACKED_SPACES_PER_HOUSEHOLD,
    SURFACE_SPACES_PER_HOUSEHOLD,
)

if TYPE_CHECKING:
    from .district import District


def _capacity(spec: dict, rng: np.random.Generator) -> dict[str, float]:
    """Capacity fields: ranges are drawn (integers), plain values kept."""
    return {key: float(rng.integers(*value)) if isinstance(value, tuple) else value for key, value in spec.items()}


def community_services(d: District, buildings: pd.DataFrame) -> None:
    """Service station, optional community facilities, kindergartens and police stations."""
    rng = d.rng
    res = buildings[(buildings["kind"] == "slab")]
    by_comm = res.groupby("_comm").indices
    for ci, comm in enumerate(d.communities):
        idx = by_comm.get(ci)
        if idx is None or len(idx) == 0:
            continue
        rows = res.iloc[idx]
        base = comm["name"].removesuffix("社区")
        pick = rows.index[rng.permutation(len(rows))]

        def at(k: int, pick=pick):
            row = buildings.loc[pick[k % len(pick)]]
            return row["_b"], shapely.Point((row.s0 + row.s1) / 2, (row.t0 + row.t1) / 2)

        b, pt = at(0)
        d.add_facility(
            b,
            pt,
            "community_service",
            f"{base}社区综合服务站",
            floor_area_m2=float(rng.integers(*COMMUNITY_SERVICE_FLOOR_AREA_M2)),
        )
        # every capacity is drawn before the facilities are (the order fixes the random stream)
        plan = [(prob, category, label, _capacity(spec, rng)) for prob, category, label, spec in COMMUNITY_SERVICES]
        for k, (prob, category, label, capacity) in enumerate(plan, start=1):
            if rng.random() < prob:
                b, pt = at(k)
                d.add_facility(b, pt, category, f"{base}{label}", **capacity)
        # a kindergarten in 80 % of the communities, replacing one slab
        if rng.random() < KINDERGARTEN_PROB:
            row_id = pick[-1]
            buildings.loc[row_id, ["use", "floors", "kind"]] = ("education", KINDERGARTEN_FLOORS, "kindergarten")
            row = buildings.loc[row_id]
            d.add_facility(
                row["_b"],
                shapely.Point((row.s0 + row.s1) / 2, (row.t0 + row.t1) / 2),
                "kindergarten",
                f"{base}幼儿园",
                seats=float(rng.integers(*KINDERGARTEN_SEATS)),
            )
    for ci in POLICE_COMMUNITIES:
        rows = res[res["_comm"] == ci]
        if len(rows):
            row = rows.iloc[len(rows) // 2]
            d.add_facility(
                int(row["_b"]),
                shapely.Point((row.s0 + row.s1) / 2 + 1, (row.t0 + row.t1) / 2),
                "police",
                f"{d.communities[ci]['name'].removesuffix('社区')}派出所",
            )


def resident_parking(d: District, buildings: pd.DataFrame) -> None:
    """Surface parking in every compound, garages in new (underground) and some mid-era (stacked) ones."""
    rng = d.rng
    res = buildings[buildings["use"] == "residential"]
    gfa = (res["s1"] - res["s0"]) * (res["t1"] - res["t0"]) * res["floors"]
    per_parcel = gfa.groupby(res["_parcel"]).sum()
    for parcel_id, floor_area in per_parcel.items():
        parcel = d.parcels[parcel_id]
        cell = d.cells[parcel["_cell"]]
        if cell.get("inner") is None:  # village houses on planned land: no parking
            continue
        households = floor_area / FLOOR_AREA_PER_HOUSEHOLD_M2
        ax0, ay0, ax1, ay1 = cell["inner"]
        gaps = cell.get("gaps") or [(ay0, ay0 + 10)]
        g0, g1 = gaps[-1]
        base = d.base_name(parcel["_b"])
        d.add_parking(
            parcel["_b"],
            shapely.Point(ax0 + 0.8 * (ax1 - ax0), (g0 + g1) / 2),
            f"{base}小区地面停车",
            households * rng.uniform(*SURFACE_SPACES_PER_HOUSEHOLD),
            "private",
        )
        if cell.get("era") == "new":
            d.add_parking(
                parcel["_b"],
                shapely.Point(ax0 + 0.3 * (ax1 - ax0), (g0 + g1) / 2),
                f"{base}小区地下车库",
                households * rng.uniform(*GARAGE_SPACES_PER_HOUSEHOLD),
                "private",
            )
        elif cell.get("era") == "mid" and rng.random() < STACKED_GARAGE_PROB:
            d.add_parking(
                parcel["_b"],
                shapely.Point(ax0 + 0.3 * (ax1 - ax0), (g0 + g1) / 2),
                f"{base}小区立体车库",
                households * rng.uniform(*STACKED_SPACES_PER_HOUSEHOLD),
                "private",
            )


def transport_points(d: District, roads: pd.DataFrame) -> None:
    """Rail stations at grid crossings, bus stops along the built grid roads, on-street parking.

    `roads` are the noded segments in district metres with their ``status``.
    """
    rng = d.rng
    v = d.vertices
    for (i, j), name in RAIL_STATIONS:
        d.add_facility(
            -1,
            shapely.Point(v[i, j][0] + RAIL_STATION_OFFSET_M, v[i, j][1] + RAIL_STATION_OFFSET_M),
            "rail_station",
            name,
        )
    built_grid = roads[(roads["class"].isin(["arterial", "secondary"])) & (roads["status"] == "built")]
    names: dict[str, int] = {}
    for _group, rows in built_grid.groupby("_group", sort=False):
        klass = rows["class"].iloc[0]
        if klass == "secondary" and rng.random() < SECONDARY_WITHOUT_BUS_PROB:
            continue
        coords = np.vstack([shapely.get_coordinates(g) for g in rows["_geom"]])
        start, end = coords[0], coords[-1]
        length = float(np.hypot(*(end - start)))
        direction = (end - start) / length
        normal = np.array([-direction[1], direction[0]])
        half = rows["width_m"].iloc[0] / 2 + BUS_STOP_KERB_OFFSET_M
        for m, dist in enumerate(
            np.arange(rng.uniform(*BUS_STOP_FIRST_M), length - BUS_STOP_END_MARGIN_M, rng.uniform(*BUS_STOP_SPACING_M))
        ):
            side = 1 if m % 2 == 0 else -1
            pt = start + direction * dist + normal * half * side
            road_name = rows["name"].iloc[0]
            names[road_name] = names.get(road_name, 0) + 1
            d.add_facility(-1, shapely.Point(*pt), "bus_stop", f"{road_name}{names[road_name]}号公交站")
    branch = roads[(roads["class"] == "branch") & (roads["status"] == "built")]
    for _, row in branch.iloc[rng.permutation(len(branch))[:ON_STREET_STRETCHES]].iterrows():
        coords = shapely.get_coordinates(row["_geom"])
        mid = coords.mean(axis=0)
        direction = (coords[1] - coords[0]) / max(1e-9, float(np.hypot(*(coords[1] - coords[0]))))
        pt = mid + np.array([-direction[1], direction[0]]) * (row["width_m"] / 2 - 2.0)
        d.add_parking(-1, shapely.Point(*pt), f"{row['name']}路侧停车", rng.integers(*ON_STREET_SPACES), "public")
