"""Buildings: footprint helpers, residential compounds and the building attributes.

Buildings are collected as rectangles (s0, t0, s1, t1) in block-local metres with
their use, floors and era; `collect` joins them, `add_attributes` draws year,
status, occupancy, roof and underground space, `add_jobs` the employees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from .assumptions import (
    ANCILLARY_IDLE_PROB,
    ANCILLARY_KIND_SHARES,
    ANCILLARY_OFFICE_JOBS,
    ANCILLARY_PER_COMPOUND,
    ANCILLARY_ROW_GAP_CLEARANCE_M,
    ANCILLARY_SIZE,
    BASEMENT_PROB,
    COMMERCIAL_FLAT_ROOF_PROB,
    COMPOUND_BUILD_YEARS,
    COMPOUND_ERA_SHARES,
    COMPOUND_ERAS,
    ERA_YEARS,
    FLAT_ROOF_PROB,
    INTERNAL_ROAD_PROB,
    INTERNAL_ROAD_WIDTH_M,
    LOW_EFFICIENCY_PROB,
    LOWER_BUILDING_PROB,
    M2_PER_JOB,
    OCCUPANCY_BUSINESS,
    OCCUPANCY_IN_USE,
    OCCUPANCY_LOW_EFFICIENCY,
    OLD_PITCHED_ROOF_PROB,
    STOREY_HEIGHT_M,
    TARGET_JOBS_PER_WORKER,
    TARGET_UNDERGROUND_USE,
    TOWER_COLUMN_GAP_M,
    TOWER_DEPTH_M,
    TOWER_FLOORS,
    TOWER_LENGTH_M,
    TOWER_ROW_GAP_PER_HEIGHT,
    UNDERGROUND_USE_SHARE,
    VILLAGE_IDLE_PROB,
)

if TYPE_CHECKING:
    from .district import District

# ------------------------------------------------------------ footprints


def overlaps(s0, t0, s1, t1, boxes) -> np.ndarray:
    """Which rectangles (arrays) overlap any of `boxes` [(x0, y0, x1, y1)] (positive area)."""
    hit = np.zeros(np.shape(s0), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        hit |= (s0 < x1) & (s1 > x0) & (t0 < y1) & (t1 > y0)
    return hit


def shelf(inner, sizes, gap=15.0):
    """Pack rectangles (length, depth) from the north-west corner of `inner`, row by row."""
    x0, y0, x1, y1 = inner
    out = []
    x, top, shelf_depth = x0, y1, 0.0
    for length, depth in sizes:
        length, depth = min(length, x1 - x0), min(depth, y1 - y0)
        if x + length > x1 + 1e-9:
            x, top, shelf_depth = x0, top - shelf_depth - gap, 0.0
        if top - depth < y0 - 1e-9:
            break
        out.append((x, top - depth, x + length, top))
        x += length + gap
        shelf_depth = max(shelf_depth, depth)
    return out


def frame(rects, **columns) -> pd.DataFrame:
    """Building rows from rectangles [(s0, t0, s1, t1)] and scalar/array attributes."""
    arr = np.asarray(rects, dtype=float).reshape(-1, 4)
    out = pd.DataFrame({"s0": arr[:, 0], "t0": arr[:, 1], "s1": arr[:, 2], "t1": arr[:, 3]})
    for key, value in columns.items():
        out[key] = value
    return out


# ------------------------------------------------------------ residential compounds


def residential(d: District, cell: dict, geom, main, inner, keepouts) -> None:
    """Residential compound: rows of slabs or towers, ancillary rooms, attached green, internal road."""
    rng = d.rng
    era = str(rng.choice(tuple(COMPOUND_ERA_SHARES), p=tuple(COMPOUND_ERA_SHARES.values())))
    status = "retained" if era == "new" else "built"
    parcel = d.add_parcel(cell, geom, "R2", status, f"residential_{era}", ("equal",))
    cell["era"] = era
    ax0, ay0, ax1, ay1 = inner
    spec = COMPOUND_ERAS[era]
    floors = int(rng.choice(spec.floors, p=spec.floor_shares))
    if floors == TOWER_FLOORS:
        length, depth, col_gap, row_gap = (
            TOWER_LENGTH_M,
            TOWER_DEPTH_M,
            TOWER_COLUMN_GAP_M,
            TOWER_ROW_GAP_PER_HEIGHT * floors * STOREY_HEIGHT_M,
        )
    else:
        length, depth, col_gap = rng.uniform(*spec.slab_length_m), spec.slab_depth_m, spec.column_gap_m
        row_gap = max(spec.min_row_gap_m, spec.row_gap_per_height * floors * STOREY_HEIGHT_M)
    width, height = ax1 - ax0, ay1 - ay0
    ncol = max(1, int((width + col_gap) // (length + col_gap)))
    nrow = max(1, int((height + row_gap) // (depth + row_gap)))
    length = min(length, width)
    xs = (
        ax0
        + np.arange(ncol) * ((width - length) / (ncol - 1) if ncol > 1 else 0.0)
        + (0.0 if ncol > 1 else (width - length) / 2)
    )
    ys = (
        ay0
        + np.arange(nrow) * ((height - depth) / (nrow - 1) if nrow > 1 else 0.0)
        + (0.0 if nrow > 1 else (height - depth) / 2)
    )
    gx, gy = np.meshgrid(xs, ys)
    s0, t0 = gx.ravel(), gy.ravel()
    s1, t1 = s0 + length, t0 + depth
    keep = ~overlaps(s0, t0, s1, t1, keepouts)
    lower = floors - 3 if floors > 6 else floors - 1
    bfloors = np.where(rng.random(s0.size) < LOWER_BUILDING_PROB, lower, floors)
    slabs = frame(np.column_stack([s0, t0, s1, t1])[keep], use="residential", floors=bfloors[keep], era=era)
    slabs["kind"] = "slab"

    # gaps between rows: internal road, attached green, ancillary rooms
    gaps = [(ys[k] + depth, ys[k + 1]) for k in range(nrow - 1)]
    road_gap = None
    if len(gaps) >= 2 and rng.random() < INTERNAL_ROAD_PROB:
        k = len(gaps) // 2
        t_road = sum(gaps[k]) / 2
        if not any(b0 - 4 < t_road < b1 + 4 for _a0, b0, _a1, b1 in keepouts):
            road_gap = k
            box = cell["box"]
            s_start = box[0] if main[0] == cell["red"][0] else main[0] + 5.0
            s_end = box[2] if main[2] == cell["red"][2] else main[2] - 5.0
            d.add_road(
                cell["_b"],
                (s_start, t_road),
                (s_end, t_road),
                "小区内部路",
                "internal",
                INTERNAL_ROAD_WIDTH_M,
                "internal",
            )
    others = [k for k in range(len(gaps)) if k != road_gap]
    base = d.base_name(cell["_b"])
    green_gap = others[0] if others else None
    anc_gap = others[1] if len(others) > 1 else green_gap
    half = max(1, ncol // 2)
    if green_gap is not None and (anc_gap != green_gap or ncol > 1):
        g0, g1 = gaps[green_gap]
        cols = slice(0, half) if anc_gap == green_gap else slice(0, ncol)
        gs0, gs1 = xs[cols][0], xs[cols][-1] + length
        if g1 - g0 > 10 and not overlaps(np.array([gs0]), np.array([g0]), np.array([gs1]), np.array([g1]), keepouts)[0]:
            d.add_green(
                cell,
                shapely.box(gs0, g0 + 3.0, gs1, g1 - 3.0),
                "attached",
                f"{base}小区附属绿地",
                d.quality("attached"),
            )
    anc = []
    if anc_gap is not None and (anc_gap != green_gap or ncol > 1):
        g0, g1 = gaps[anc_gap]
        cols = range(half, ncol) if anc_gap == green_gap else range(ncol)
        n_anc = min(len(cols), int(rng.integers(*ANCILLARY_PER_COMPOUND)))
        for j in list(cols)[:n_anc]:
            kind = str(rng.choice(tuple(ANCILLARY_KIND_SHARES), p=tuple(ANCILLARY_KIND_SHARES.values())))
            size = ANCILLARY_SIZE[kind]
            if size[1] > g1 - g0 - ANCILLARY_ROW_GAP_CLEARANCE_M:
                kind, size = "bike_shed", ANCILLARY_SIZE["bike_shed"]
            if size[1] > g1 - g0 - ANCILLARY_ROW_GAP_CLEARANCE_M:
                continue
            cx, cy = xs[j] + length / 2, (g0 + g1) / 2
            anc.append((cx - size[0] / 2, cy - size[1] / 2, cx + size[0] / 2, cy + size[1] / 2, kind, size[2]))
    if anc:
        arr = np.array([a[:4] for a in anc])
        ok = ~overlaps(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], keepouts)
        rooms = frame(
            arr[ok],
            use="ancillary",
            subtype=[a[4] for a, k in zip(anc, ok, strict=True) if k],
            floors=[a[5] for a, k in zip(anc, ok, strict=True) if k],
            era=era,
        )
        rooms["kind"] = "ancillary"
        slabs = pd.concat([slabs, rooms], ignore_index=True)
    cell["gaps"] = gaps
    cell["inner"] = inner
    d.add_buildings(cell, parcel, slabs)


# ------------------------------------------------------------ attributes


def collect(d: District) -> pd.DataFrame:
    """All buildings in one frame (block-local rectangles and the attributes set so far)."""
    bld = pd.concat(d.building_frames, ignore_index=True)
    for column, default in (("subtype", None), ("kind", "other"), ("status_hint", "")):
        if column not in bld:
            bld[column] = default
    bld["kind"] = bld["kind"].fillna("other")
    bld["status_hint"] = bld["status_hint"].fillna("")
    bld["subtype"] = bld["subtype"].astype(object).where(bld["subtype"].notna(), None)
    bld["floors"] = bld["floors"].astype(int)
    return bld


def floor_area(bld: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(footprint, gross floor area) in m² per building."""
    footprint = ((bld["s1"] - bld["s0"]) * (bld["t1"] - bld["t0"])).to_numpy()
    return footprint, footprint * bld["floors"].to_numpy()


def add_attributes(d: District, bld: pd.DataFrame) -> None:
    """Year built, status, occupancy, roof and underground floor area (in use ~40 % overall)."""
    rng = d.rng
    n = len(bld)
    use = bld["use"].to_numpy()
    era = bld["era"].to_numpy()
    footprint, _gfa = floor_area(bld)

    lo = np.array([ERA_YEARS[e][0] for e in era])
    hi = np.array([ERA_YEARS[e][1] for e in era])
    # a compound is built within a few years: per-parcel base year plus 0–2 years
    parcel_u = rng.random(len(d.parcels))[bld["_parcel"].to_numpy()]
    year = np.minimum(hi, (lo + parcel_u * (hi - lo + 1)).astype(int) + rng.integers(*COMPOUND_BUILD_YEARS, n))

    status = np.full(n, "in_use", dtype=object)
    occupancy = np.round(rng.uniform(*OCCUPANCY_IN_USE, n), 2)
    business = np.isin(use, ("office", "commercial"))
    low = business & (rng.random(n) < LOW_EFFICIENCY_PROB)
    status[low] = "low_efficiency"
    occupancy[low] = np.round(rng.uniform(*OCCUPANCY_LOW_EFFICIENCY, low.sum()), 2)
    occupancy[business & ~low] = np.round(rng.uniform(*OCCUPANCY_BUSINESS, (business & ~low).sum()), 2)
    idle = (bld["status_hint"].to_numpy() == "idle") | ((use == "ancillary") & (rng.random(n) < ANCILLARY_IDLE_PROB))
    idle |= (bld["kind"].to_numpy() == "village") & (rng.random(n) < VILLAGE_IDLE_PROB)
    status[idle] = "idle"
    occupancy[idle] = 0.0

    roof = np.where(rng.random(n) < FLAT_ROOF_PROB, "flat", "pitched").astype(object)
    old_housing = (era == "old") & (use == "residential")
    roof[old_housing] = np.where(rng.random(int(old_housing.sum())) < OLD_PITCHED_ROOF_PROB, "pitched", "flat")
    roof[(era == "new") | (era == "office") | (era == "public") | (era == "school")] = "flat"
    roof[(use == "commercial") & (rng.random(n) < COMMERCIAL_FLAT_ROOF_PROB)] = "flat"
    roof[era == "village"] = "pitched"

    # underground floor area and the part in use (calibrated to ~40 % overall)
    has_basement = np.select(
        [
            era == "new",
            era == "mid",
            era == "old",
            np.isin(use, ("office", "commercial", "health")),
            np.isin(use, ("education", "culture", "sports", "public_service")),
        ],
        [rng.random(n) < BASEMENT_PROB[key] for key in ("new", "mid", "old", "business", "public")],
        default=False,
    )
    has_basement &= use != "ancillary"
    levels = np.where((era == "new") | np.isin(use, ("office", "commercial")), rng.integers(1, 3, n), 1)
    ug_area = np.round(np.where(has_basement, footprint * levels, 0.0))
    share = np.select(
        [np.isin(use, ("office", "commercial", "health")), era == "new"],
        [rng.uniform(*UNDERGROUND_USE_SHARE["business"], n), rng.uniform(*UNDERGROUND_USE_SHARE["new"], n)],
        rng.uniform(*UNDERGROUND_USE_SHARE["other"], n),
    )
    for _ in range(4):
        used = np.minimum(ug_area, ug_area * share)
        share = share * (TARGET_UNDERGROUND_USE * ug_area.sum() / used.sum())
    ug_used = np.round(np.minimum(ug_area, ug_area * share))

    bld["year_built"] = year
    bld["status"] = status
    bld["occupancy_ratio"] = occupancy
    bld["roof"] = roof
    bld["underground_area_m2"] = ug_area.astype(float)
    bld["underground_used_m2"] = ug_used.astype(float)


def add_jobs(bld: pd.DataFrame, resident_workers: int) -> None:
    """Employees from floor area × occupancy ÷ m² per job, scaled to the target job–housing ratio."""
    use = bld["use"].to_numpy()
    _footprint, gfa = floor_area(bld)
    occupancy = bld["occupancy_ratio"].to_numpy()
    rate = {key: 1 / m2 for key, m2 in M2_PER_JOB.items()}
    raw_jobs = gfa * np.array([rate.get(u, 0.0) for u in use]) * np.maximum(occupancy, 0.0)
    raw_jobs[(use == "ancillary") & (bld["subtype"].to_numpy() == "office") & (bld["status"].to_numpy() != "idle")] = (
        ANCILLARY_OFFICE_JOBS
    )
    employees = np.round(raw_jobs * TARGET_JOBS_PER_WORKER * resident_workers / raw_jobs.sum())
    bld["employees"] = employees.astype(float)


def add_geometry(bld: pd.DataFrame) -> None:
    """Footprint polygons (block-local metres) in column ``_geom``."""
    bld["_geom"] = shapely.box(bld["s0"].to_numpy(), bld["t0"].to_numpy(), bld["s1"].to_numpy(), bld["t1"].to_numpy())
