"""A deterministic, city-scale synthetic input for benchmarking blockcheck (EPSG:4548).

The city is a jittered grid of ``n × n`` street blocks of about 300 m
(``n = round(40 · sqrt(scale))``, so ``scale=1`` gives 40 × 40 = 1,600 blocks,
``scale=0.25`` 400 and ``scale=4`` 6,400). Every block is cut by an internal
grid of 9 × 9 branch roads into 10 × 10 cells of about 30 m, so all geometry
hangs off one global *fine lattice* of ``(10n + 1)²`` points; each block corner
is jittered by up to ±30 m and the lattice points inside a block are the
bilinear interpolation of its four corners (iso-lines of a bilinear patch are
straight, so every road crossing is a lattice point).

Layers (input data model, ``blockcheck/data/input_model.toml``), sizes at scale 1:

==============  =========  ==========================================================
layer           features   what
==============  =========  ==========================================================
blocks             1,600   40-vertex quads (their edges carry the lattice points)
roads            320,800   one segment per lattice edge: block edges are arterial /
                           secondary / expressway (every 10th line), the internal
                           grid branch (some compounds ``internal``) as 3-vertex
                           bent lines, block-edge pieces as 2-vertex lines equal
                           to a segment of the blocks' boundaries; 4 % of the
                           internal N–S pieces planned, 2 % under construction.
                           The built, non-expressway roads form ONE connected
                           network.
buildings      1,000,000   rectangles in 8 slots per cell (78 % filled), 80 %
                           residential, floors, year, use, employees, underground
facilities       100,000   points in 23 categories with seats / beds / areas
communities       ~4,800   2–4 strips per block with population counts
green             ~4,000   irregular 24-gons: ~1.5 parks per block (some across
                           block edges) and other green kinds
parking            4,800   points with spaces and access
parcels            6,400   block quadrants with GB 50137 land use codes
==============  =========  ==========================================================

A GeoPackage written with ``--out`` also holds the ``dataset_info`` table
(:func:`dataset_info`): ``synthetic = true``, so every list, map, page and
sheet made from the city says 示例数据（虚构） / synthetic sample data.

Everything is generated with numpy and vectorised shapely 2 constructors
(seconds, no Python loop over features). The same ``seed`` and ``scale``
give the same city.

``make_surveys.py`` adds the residents' survey tables of step 2 for the
city's communities (every community answers): the demand survey (图3 layout:
街道, 社区 and the four need columns, 0–3 needs of the packaged vocabulary per
column, ``--`` for none) and the vision survey (街道, 社区, 愿景: 0–3 visions
per community drawn from the sample district's ``vision_survey.csv``), both
seeded. With ``--surveys`` they are written as ``demand_survey.csv`` and
``vision_survey.csv`` next to ``--out``, where ``blockcheck run`` finds them.

Usage::

    python benchmarks/make_city.py --scale 1.0 --out out/city.gpkg [--surveys]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["CELLS_PER_BLOCK_SIDE", "City", "dataset_info", "gpkg_layers", "make_city"]

CRS = "EPSG:4548"
X0, Y0 = 440_000.0, 4_420_000.0
BLOCK_M = 300.0
JITTER_M = 30.0
#: Cells per block side (9 internal roads each way).
CELLS_PER_BLOCK_SIDE = 10
#: Building slots per cell (2 columns × 4 rows) and the share that is filled.
SLOT_COLS, SLOT_ROWS = 2, 4
FILL = 0.7813  # 1600 blocks × 100 cells × 8 slots × 0.7813 ≥ 1,000,000
FACILITIES_PER_BLOCK = 62.5
PARKING_PER_BLOCK = 3

FACILITY_CATEGORIES = {  # category: weight
    "bus_stop": 0.16,
    "garbage_station": 0.10,
    "public_toilet": 0.05,
    "clinic": 0.05,
    "kindergarten": 0.05,
    "nursery": 0.02,
    "primary_school": 0.03,
    "middle_school": 0.02,
    "hospital": 0.01,
    "community_health_center": 0.02,
    "elderly_care": 0.03,
    "elderly_day_care": 0.03,
    "culture": 0.04,
    "sports": 0.04,
    "community_service": 0.04,
    "market": 0.03,
    "supermarket": 0.06,
    "post_express": 0.04,
    "charging_station": 0.05,
    "substation": 0.03,
    "rail_station": 0.01,
    "bus_terminal": 0.01,
    "other": 0.08,
}
BUILDING_USES = {
    "residential": 0.80,
    "mixed": 0.03,
    "office": 0.05,
    "commercial": 0.04,
    "industrial": 0.02,
    "warehouse": 0.01,
    "education": 0.01,
    "health": 0.005,
    "culture": 0.005,
    "public_service": 0.01,
    "municipal": 0.005,
    "ancillary": 0.01,
    "other": 0.005,
}
LAND_USES = {
    "R2": 0.55,
    "R1": 0.05,
    "B1": 0.10,
    "B2": 0.05,
    "A33": 0.05,
    "A5": 0.02,
    "M": 0.04,
    "M1": 0.02,
    "W": 0.02,
    "G1": 0.05,
    "S4": 0.01,
    "U": 0.02,
    "X": 0.02,
}


class City(dict):
    """Layer name → GeoDataFrame, plus the generation parameters as attributes."""

    scale: float
    n_blocks_side: int
    seed: int


def _pick(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(table), dtype=object)
    p = np.array(list(table.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _lattice(n: int, rng: np.random.Generator) -> np.ndarray:
    """(N, N, 2) fine-lattice coordinates, N = 10 n + 1; [I, J] with I along x."""
    k = CELLS_PER_BLOCK_SIDE
    gx, gy = np.meshgrid(np.arange(n + 1) * BLOCK_M, np.arange(n + 1) * BLOCK_M, indexing="ij")
    corners = np.stack([gx, gy], axis=-1) + rng.uniform(-JITTER_M, JITTER_M, size=(n + 1, n + 1, 2))
    corners += (X0, Y0)
    size = n * k + 1
    idx = np.arange(size)
    b = np.minimum(idx // k, n - 1)  # block of each lattice line
    t = (idx - b * k) / k  # position inside it, 0..1
    bi, bj = np.meshgrid(b, b, indexing="ij")
    u, v = np.meshgrid(t, t, indexing="ij")
    u, v = u[..., None], v[..., None]
    c00, c10 = corners[bi, bj], corners[bi + 1, bj]
    c11, c01 = corners[bi + 1, bj + 1], corners[bi, bj + 1]
    return (1 - u) * (1 - v) * c00 + u * (1 - v) * c10 + u * v * c11 + (1 - u) * v * c01


def _map(lattice: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Lattice-space coordinates (continuous, 0..N-1) → CRS coordinates (bilinear per cell)."""
    last = lattice.shape[0] - 2
    i = np.clip(np.floor(x).astype(np.int64), 0, last)
    j = np.clip(np.floor(y).astype(np.int64), 0, last)
    p, q = (x - i)[..., None], (y - j)[..., None]
    return (
        (1 - p) * (1 - q) * lattice[i, j]
        + p * (1 - q) * lattice[i + 1, j]
        + p * q * lattice[i + 1, j + 1]
        + (1 - p) * q * lattice[i, j + 1]
    )


def _rect_rings(lattice: np.ndarray, i0: np.ndarray, j0: np.ndarray, w: int, h: int) -> np.ndarray:
    """Polygons along the lattice boundary of the sub-rectangles [i0, i0+w] × [j0, j0+h] (all the same size)."""
    bottom = [(a, 0) for a in range(w)]
    right = [(w, c) for c in range(h)]
    top = [(w - a, h) for a in range(w)]
    left = [(0, h - c) for c in range(h)]
    steps = np.array(bottom + right + top + left + [(0, 0)])
    ii = i0[:, None] + steps[None, :, 0]
    jj = j0[:, None] + steps[None, :, 1]
    return shapely.polygons(lattice[ii, jj])


def _blocks(lattice: np.ndarray, n: int) -> gpd.GeoDataFrame:
    k = CELLS_PER_BLOCK_SIDE
    bi, bj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    bi, bj = bi.ravel(), bj.ravel()
    seq = np.arange(bi.size)
    block_id = np.array([f"CP{s // 10000:02d}-{s % 10000:04d}" for s in seq], dtype=object)
    name = np.array([f"街区 {a}-{b}" for a, b in zip(bi, bj, strict=True)], dtype=object)
    subdistrict = np.array([f"街道 {a // 8:02d}{b // 8:02d}" for a, b in zip(bi, bj, strict=True)], dtype=object)
    geom = _rect_rings(lattice, bi * k, bj * k, k, k)
    return gpd.GeoDataFrame({"block_id": block_id, "name": name, "subdistrict": subdistrict}, geometry=geom, crs=CRS)


def _roads(lattice: np.ndarray, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    k = CELLS_PER_BLOCK_SIDE
    size = lattice.shape[0]
    # E–W pieces: (I, J) → (I+1, J); N–S pieces: (I, J) → (I, J+1)
    ei, ej = np.meshgrid(np.arange(size - 1), np.arange(size), indexing="ij")
    ni, nj = np.meshgrid(np.arange(size), np.arange(size - 1), indexing="ij")
    a = np.concatenate([lattice[ei, ej].reshape(-1, 2), lattice[ni, nj].reshape(-1, 2)])
    b = np.concatenate([lattice[ei + 1, ej].reshape(-1, 2), lattice[ni, nj + 1].reshape(-1, 2)])
    line_no = np.concatenate([ej.ravel(), ni.ravel()])  # lattice line the piece lies on
    along = np.concatenate([ei.ravel(), nj.ravel()])  # position along that line
    ns = np.concatenate([np.zeros(ei.size, bool), np.ones(ni.size, bool)])
    on_edge = line_no % k == 0
    # internal pieces get a slight bend (3 vertices); block-edge pieces are the block boundary itself
    d = b - a
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.hypot(d[:, 0], d[:, 1])[:, None]
    bend = rng.uniform(-1.5, 1.5, size=a.shape[0])[:, None]
    mid = (a + b) / 2 + normal * bend
    geom = np.empty(a.shape[0], dtype=object)
    # block-edge pieces: exactly the two lattice points, i.e. a segment of both blocks' boundaries
    geom[on_edge] = shapely.linestrings(np.stack([a[on_edge], b[on_edge]], axis=1))
    geom[~on_edge] = shapely.linestrings(np.stack([a[~on_edge], mid[~on_edge], b[~on_edge]], axis=1))
    # classes
    main = line_no // k
    road_class = np.full(a.shape[0], "branch", dtype=object)
    road_class[on_edge] = "secondary"
    road_class[on_edge & (main % 4 == 0)] = "arterial"
    road_class[on_edge & (main % 10 == 5)] = "expressway"
    # compound roads: the internal grid of every 7th block (by the block the piece is in)
    bx = np.minimum(np.where(ns, line_no, along) // k, n - 1)
    by = np.minimum(np.where(ns, along, line_no) // k, n - 1)
    blk = (bx * 3 + by * 5) % 7 == 3
    road_class[~on_edge & blk] = "internal"
    # statuses: only internal N–S pieces may be unbuilt, so the built E–W lines keep the network connected
    status = np.full(a.shape[0], "built", dtype=object)
    r = rng.random(a.shape[0])
    status[ns & ~on_edge & (r < 0.04)] = "planned"
    status[ns & ~on_edge & (r >= 0.04) & (r < 0.06)] = "under_construction"
    width = np.select(
        [road_class == "expressway", road_class == "arterial", road_class == "secondary", road_class == "branch"],
        [60.0, 45.0, 30.0, 15.0],
        7.0,
    )
    # street quality (optional field): its own random stream, so the other layers do not change with it
    quality = _pick(
        np.random.default_rng([int(rng.bit_generator.seed_seq.entropy[0]), n, 7]),
        {"good": 0.5, "fair": 0.35, "poor": 0.15},
        a.shape[0],
    )
    road_id = np.array([f"R{s}" for s in range(a.shape[0])], dtype=object)
    names = np.array([f"{'南北' if s else '东西'}路 {ln}" for s, ln in zip(ns, line_no, strict=True)], dtype=object)
    return gpd.GeoDataFrame(
        {
            "road_id": road_id,
            "name": names,
            "class": road_class,
            "status": status,
            "width_m": width,
            "quality": quality,
        },
        geometry=geom,
        crs=CRS,
    )


def _buildings(lattice: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    size = lattice.shape[0]
    cells = (size - 1) ** 2
    n_slots = cells * SLOT_COLS * SLOT_ROWS
    n_b = min(n_slots, math.ceil(n_slots * FILL))
    slot = np.sort(rng.choice(n_slots, size=n_b, replace=False))
    cell, s = np.divmod(slot, SLOT_COLS * SLOT_ROWS)
    ci, cj = np.divmod(cell, size - 1)
    col, row = np.divmod(s, SLOT_ROWS)
    # slot rectangle in cell-local [0, 1]²: usable 0.14..0.86 (≈ 4 m from the road centre lines)
    cw, rh = 0.72 / SLOT_COLS, 0.72 / SLOT_ROWS
    shrink_w = rng.uniform(0.55, 0.9, n_b) * cw
    shrink_h = rng.uniform(0.55, 0.9, n_b) * rh
    px = 0.14 + col * cw + (cw - shrink_w) / 2
    py = 0.14 + row * rh + (rh - shrink_h) / 2
    xs = np.stack([px, px + shrink_w, px + shrink_w, px, px], axis=1) + ci[:, None]
    ys = np.stack([py, py, py + shrink_h, py + shrink_h, py], axis=1) + cj[:, None]
    geom = shapely.polygons(_map(lattice, xs, ys))
    use = _pick(rng, BUILDING_USES, n_b)
    residential = (use == "residential") | (use == "mixed")
    floors = np.where(residential, rng.integers(3, 31, n_b), rng.integers(1, 16, n_b)).astype(np.int64)
    floors[use == "ancillary"] = 1
    year = rng.integers(1955, 2024, n_b)
    area = shapely.area(geom)
    ug = np.where(rng.random(n_b) < 0.35, np.round(area * rng.integers(1, 3, n_b), 1), 0.0)
    ug_used = np.round(ug * rng.uniform(0.0, 1.0, n_b), 1)
    employees = np.where(
        residential, np.where(use == "mixed", np.round(area * floors * 0.5 / 25.0), 0.0), np.round(area * floors / 30.0)
    )
    subtype = np.full(n_b, None, dtype=object)
    subtype[use == "ancillary"] = _pick(
        rng, {"boiler_room": 0.3, "bike_shed": 0.4, "office": 0.2, "garage": 0.1}, int((use == "ancillary").sum())
    )
    status = _pick(rng, {"in_use": 0.9, "idle": 0.04, "low_efficiency": 0.06}, n_b)
    occupancy = np.round(np.where(status == "idle", 0.0, rng.uniform(0.3, 1.0, n_b)), 2)
    roof = _pick(rng, {"flat": 0.85, "pitched": 0.15}, n_b)
    building_id = np.array([f"B{s}" for s in range(n_b)], dtype=object)
    return gpd.GeoDataFrame(
        {
            "building_id": building_id,
            "use": use,
            "subtype": subtype,
            "floors": floors,
            "year_built": year,
            "status": status,
            "occupancy_ratio": occupancy,
            "roof": roof,
            "underground_area_m2": ug,
            "underground_used_m2": ug_used,
            "employees": employees,
        },
        geometry=geom,
        crs=CRS,
    )


def _communities(lattice: np.ndarray, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    k = CELLS_PER_BLOCK_SIDE
    splits = {2: (5, 5), 3: (3, 4, 3), 4: (2, 3, 3, 2)}
    n_per = rng.choice([2, 3, 4], size=n * n, p=[0.3, 0.4, 0.3])
    bi, bj = np.divmod(np.arange(n * n), n)
    starts, widths = [], []
    for count, cut in splits.items():
        sel = np.flatnonzero(n_per == count)
        offset = np.cumsum((0, *cut[:-1]))
        for o, w in zip(offset, cut, strict=True):
            starts.append(np.stack([bi[sel] * k + o, bj[sel] * k, sel], axis=1))
            widths.append(np.full(sel.size, w))
    start = np.concatenate(starts)
    width = np.concatenate(widths)
    order = np.lexsort((start[:, 0], start[:, 2]))
    start, width = start[order], width[order]
    geom = np.empty(width.size, dtype=object)
    for w in np.unique(width):
        sel = width == w
        geom[sel] = _rect_rings(lattice, start[sel, 0], start[sel, 1], int(w), k)
    m = width.size
    # about 35 m² of residential floor area per person at the blocks' densities
    population = np.round(width * rng.uniform(600.0, 1300.0, m)).astype(np.int64)
    return gpd.GeoDataFrame(
        {
            "community_id": np.array([f"C{s}" for s in range(m)], dtype=object),
            "name": np.array([f"社区 {s}" for s in range(m)], dtype=object),
            "subdistrict": np.array(
                [f"街道 {a // k // 8:02d}{b // k // 8:02d}" for a, b in start[:, :2]], dtype=object
            ),
            "population": population,
            "households": np.round(population / rng.uniform(2.4, 2.9, m)).astype(np.int64),
            "elderly_population": np.round(population * rng.uniform(0.12, 0.28, m)).astype(np.int64),
            "resident_workers": np.round(population * rng.uniform(0.45, 0.6, m)).astype(np.int64),
        },
        geometry=geom,
        crs=CRS,
    )


def _blobs(
    lattice: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    radius_m: np.ndarray,
    rng: np.random.Generator,
    vertices: int = 24,
) -> np.ndarray:
    """Irregular polygons (radial noise) around lattice-space centres."""
    centre = _map(lattice, x, y)
    ang = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)[None, :] + rng.uniform(0, 2 * np.pi, (x.size, 1))
    r = radius_m[:, None] * rng.uniform(0.8, 1.15, (x.size, vertices))
    ring = np.stack([centre[:, None, 0] + r * np.cos(ang), centre[:, None, 1] + r * np.sin(ang)], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


def _green(lattice: np.ndarray, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    span = lattice.shape[0] - 1
    n_park = round(1.5 * n * n)
    n_other = n * n
    m = n_park + n_other
    x, y = rng.uniform(0.5, span - 0.5, m), rng.uniform(0.5, span - 0.5, m)
    # parks 1,200–30,000 m² (some below the 2,000 m² small-park limit); other kinds smaller
    area = np.concatenate(
        [
            np.exp(rng.uniform(np.log(1200), np.log(30000), n_park)),
            np.exp(rng.uniform(np.log(200), np.log(6000), n_other)),
        ]
    )
    geom = _blobs(lattice, x, y, np.sqrt(area / np.pi), rng)
    kind = np.concatenate(
        [np.full(n_park, "park", dtype=object), _pick(rng, {"protective": 0.3, "plaza": 0.2, "attached": 0.5}, n_other)]
    )
    quality = _pick(rng, {"good": 0.5, "fair": 0.35, "poor": 0.15}, m)
    return gpd.GeoDataFrame(
        {
            "green_id": np.array([f"G{s}" for s in range(m)], dtype=object),
            "name": np.array([f"绿地 {s}" for s in range(m)], dtype=object),
            "kind": kind,
            "quality": quality,
        },
        geometry=geom,
        crs=CRS,
    )


def _points(lattice: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    span = lattice.shape[0] - 1
    xy = _map(lattice, rng.uniform(0, span, m), rng.uniform(0, span, m))
    return shapely.points(xy)


def _facilities(lattice: np.ndarray, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    m = math.ceil(FACILITIES_PER_BLOCK * n * n)
    category = _pick(rng, FACILITY_CATEGORIES, m)
    seats = np.full(m, np.nan)
    beds = np.full(m, np.nan)
    school = np.isin(category, ["primary_school", "middle_school"])
    kinder = np.isin(category, ["kindergarten", "nursery"])
    seats[kinder] = rng.integers(60, 400, int(kinder.sum()))
    seats[school] = rng.integers(400, 2400, int(school.sum()))
    hosp = np.isin(category, ["hospital", "community_health_center"])
    beds[hosp] = rng.integers(10, 800, int(hosp.sum()))
    care = category == "elderly_care"
    beds[care] = rng.integers(20, 300, int(care.sum()))
    floor_area = np.round(rng.uniform(50, 6000, m), 1)
    land = np.where(
        school | np.isin(category, ["sports", "hospital", "elderly_care"]) | (rng.random(m) < 0.3),
        np.round(rng.uniform(300, 20000, m), 1),
        np.nan,
    )
    return gpd.GeoDataFrame(
        {
            "facility_id": np.array([f"F{s}" for s in range(m)], dtype=object),
            "name": np.array([f"设施 {s}" for s in range(m)], dtype=object),
            "category": category,
            "beds": beds,
            "seats": seats,
            "floor_area_m2": floor_area,
            "land_area_m2": land,
        },
        geometry=_points(lattice, m, rng),
        crs=CRS,
    )


def _parking(lattice: np.ndarray, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    m = PARKING_PER_BLOCK * n * n
    return gpd.GeoDataFrame(
        {
            "parking_id": np.array([f"K{s}" for s in range(m)], dtype=object),
            "name": np.array([f"停车场 {s}" for s in range(m)], dtype=object),
            "spaces": rng.integers(20, 600, m).astype(np.int64),
            "access": _pick(rng, {"public": 0.4, "private": 0.6}, m),
        },
        geometry=_points(lattice, m, rng),
        crs=CRS,
    )


def _parcels(lattice: np.ndarray, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    k = CELLS_PER_BLOCK_SIDE
    h = k // 2
    bi, bj = np.divmod(np.arange(n * n), n)
    i0 = np.concatenate([bi * k, bi * k + h, bi * k, bi * k + h])
    j0 = np.concatenate([bj * k, bj * k, bj * k + h, bj * k + h])
    order = np.lexsort((j0, i0))
    i0, j0 = i0[order], j0[order]
    m = i0.size
    permitted = np.round(rng.uniform(0.8, 3.5, m), 2)
    return gpd.GeoDataFrame(
        {
            "parcel_id": np.array([f"P{s}" for s in range(m)], dtype=object),
            "land_use": _pick(rng, LAND_USES, m),
            "status": _pick(rng, {"built": 0.8, "vacant": 0.04, "idle": 0.04, "planned": 0.06, "retained": 0.06}, m),
            "permitted_far": permitted,
            "built_far": np.round(permitted * rng.uniform(0.3, 1.2, m), 2),
        },
        geometry=_rect_rings(lattice, i0, j0, h, h),
        crs=CRS,
    )


def make_city(scale: float = 1.0, *, seed: int = 20240601) -> City:
    """Generate the synthetic city.

    Parameters
    ----------
    scale
        Size factor: the number of blocks (and of every other feature) is about
        ``1,600 × scale`` blocks' worth; 1.0 gives ≥ 1,500 blocks, ≥ 1,000,000
        buildings, ≥ 300,000 road segments and ≥ 100,000 facilities.
    seed
        Seed of the numpy random generator (same seed and scale → same city).

    Returns
    -------
    City
        A dict of layer name → GeoDataFrame in EPSG:4548 following the input
        model (blocks, communities, roads, green, facilities, buildings,
        parcels, parking), with ``scale``, ``n_blocks_side`` and ``seed``
        attributes.
    """
    n = max(2, round(40 * math.sqrt(scale)))
    rng = np.random.default_rng([seed, n])
    lattice = _lattice(n, rng)
    city = City()
    city.scale, city.n_blocks_side, city.seed = scale, n, seed
    city["blocks"] = _blocks(lattice, n)
    city["communities"] = _communities(lattice, n, rng)
    city["roads"] = _roads(lattice, n, rng)
    city["green"] = _green(lattice, n, rng)
    city["facilities"] = _facilities(lattice, n, rng)
    # buildings scale with the cells; FILL is tuned so that 40 × 40 blocks give ≥ 1,000,000
    city["buildings"] = _buildings(lattice, rng)
    city["parcels"] = _parcels(lattice, n, rng)
    city["parking"] = _parking(lattice, n, rng)
    for frame in city.values():  # the model's int fields as validation returns them (nullable Int64)
        for column in frame.columns:
            if frame[column].dtype == np.int64:
                frame[column] = frame[column].astype("Int64")
    return city


def dataset_info(city: City) -> pd.DataFrame:
    """The non-spatial ``dataset_info`` table (key, value) marking the city synthetic: every list, map, page and
    sheet made from it says so (示例数据（虚构）)."""
    rows = {
        "synthetic": "true",
        "description": f"虚构的基准测试城市：{city.n_blocks_side}×{city.n_blocks_side}个街区的网格，数据全部随机生成，"
        "不代表任何真实地点。",
        "description_en": f"Synthetic benchmark city: a grid of {city.n_blocks_side} × {city.n_blocks_side} made-up "
        "street blocks, every value generated at random; it describes no real place.",
        "generator": f"benchmarks/make_city.py (scale {city.scale:g}, seed {city.seed})",
    }
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())})


def gpkg_layers(city: City) -> dict[str, pd.DataFrame]:
    """What a GeoPackage of the city holds: its layers, then :func:`dataset_info`."""
    return {**city, "dataset_info": dataset_info(city)}


def summary(city: City) -> str:
    """One line per layer: name and feature count."""
    return "\n".join(f"  {name:<12}{len(frame):>12,}" for name, frame in city.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0: 1,600 blocks, 1M buildings)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--out", type=Path, help="write a GeoPackage (blockcheck.io.write_gpkg) here")
    parser.add_argument(
        "--surveys",
        action="store_true",
        help="also write demand_survey.csv and vision_survey.csv (step 2) next to --out",
    )
    args = parser.parse_args(argv)
    if args.surveys and not args.out:
        parser.error("--surveys needs --out (the survey tables are written next to it)")
    t0 = time.perf_counter()
    city = make_city(args.scale, seed=args.seed)
    side = city.n_blocks_side
    print(f"generated scale {args.scale} ({side}×{side} blocks) in {time.perf_counter() - t0:.1f} s")
    print(summary(city))
    if args.out:
        from blockcheck.io import write_gpkg

        t0 = time.perf_counter()
        write_gpkg(args.out, gpkg_layers(city))
        print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s")
    if args.surveys:
        from make_surveys import make_surveys, write_surveys

        surveys = make_surveys(city, seed=args.seed)
        written = write_surveys(surveys, args.out.parent)
        print(
            f"wrote {written['demands']} ({len(surveys['demands']):,} communities) and "
            f"{written['visions']} ({len(surveys['visions']):,} visions)"
        )


if __name__ == "__main__":
    main()
