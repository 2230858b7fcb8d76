#!/usr/bin/env python3
"""Deterministic generator of the synthetic, Huitian-like sample district.

Run from the repository root::

    python data/sample_blocks/make_sample.py            # rewrite the files next to this script
    python data/sample_blocks/make_sample.py --out DIR  # write them elsewhere

It writes ``sample_district.gpkg`` (the eight input layers of
``blockcheck/data/input_model.toml``, EPSG:4548), ``demand_survey.csv`` (the
图3 demand list layout) and ``vision_survey.csv`` (图4 vision list), and prints
the summary numbers of the district.

Everything is SYNTHETIC. The district is modelled on the Huitian (回天) example
of the "four steps, eight lists" guideline: dense 1976–2010 residential
compounds, an unfinished branch-road network, few parks, short public
services and a low job–housing ratio. No real geometry is used: the blocks are
a jittered 4 × 4 grid placed between Huilongguan and Tiantongyuan.
See README.md for the assumptions and their numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
try:
    from blockcheck.io import write_gpkg
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(HERE.parents[1]))
    from blockcheck.io import write_gpkg

__all__ = ["GPKG_NAME", "DEMAND_CSV", "VISION_CSV", "DEMAND_HEADERS", "VISION_HEADERS", "SEED", "build", "generate", "summarize"]

# ------------------------------------------------------------ parameters ----

SEED = 20201103
EPSG = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E
#: District centre (lon, lat; WGS 84 ≈ CGCS2000), between Huilongguan and Tiantongyuan.
CENTRE_LONLAT = (116.375, 40.078)

GPKG_NAME = "sample_district.gpkg"
DEMAND_CSV = "demand_survey.csv"
VISION_CSV = "vision_survey.csv"
#: Headers of the demand list exactly as in 图3 of the guideline.
DEMAND_HEADERS = ("街道", "社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题")
VISION_HEADERS = ("街道", "社区", "愿景")
NONE_MARK = "--"

COL_WIDTHS = (1000.0, 750.0, 900.0, 1100.0)  # block columns, west → east (m)
ROW_HEIGHTS = (700.0, 950.0, 800.0, 900.0)  # block rows, south → north (m)
JITTER_SD, JITTER_MAX = 15.0, 30.0  # grid-vertex jitter (m)
NS_BRANCHES = (2, 2, 2, 3)  # north–south branch roads per block, by block column
EW_BRANCHES = (2, 2, 2, 2)  # east–west branch roads per block, by block row
#: Cells (column p, row q) forming each community, by block column: 2–3 communities a
#: block, 3–5 cells each (some L-shaped), so that communities are of similar size.
COMMUNITY_PARTS = (
    (((0, 0), (0, 1), (0, 2)), ((1, 0), (1, 1), (1, 2)), ((2, 0), (2, 1), (2, 2))),
    (((0, 0), (0, 1), (0, 2), (1, 0)), ((1, 1), (1, 2), (2, 0), (2, 1), (2, 2))),
    (((0, 0), (0, 1), (0, 2), (1, 2)), ((1, 0), (1, 1), (2, 0), (2, 1), (2, 2))),
    (((0, 0), (0, 1), (0, 2), (1, 0)), ((1, 1), (1, 2), (2, 1), (2, 2)), ((2, 0), (3, 0), (3, 1), (3, 2))),
)
COMMUNITY_SUFFIXES = {2: ("西区", "东区"), 3: ("西区", "中区", "东区")}

#: Grid roads on block edges: (class, right-of-way width m, name); vertical lines west → east.
V_LINES = (
    ("arterial", 50.0, "同成街"),
    ("secondary", 36.0, "文华西路"),
    ("arterial", 50.0, "育知东路"),
    ("secondary", 36.0, "龙锦东路"),
    ("arterial", 60.0, "立汤路"),
)
H_LINES = (  # south → north
    ("arterial", 60.0, "回南路"),
    ("secondary", 36.0, "龙锦三街"),
    ("arterial", 50.0, "回龙观东大街"),
    ("secondary", 36.0, "霍营北街"),
    ("arterial", 50.0, "太平庄北街"),
)
BRANCH_WIDTHS = (15.0, 18.0, 20.0)
INTERNAL_WIDTH = 7.0
SETBACK = {"arterial": 15.0, "secondary": 10.0, "branch": 6.0, "parcel": 5.0}

#: Sub-districts: name, block-code prefix, block columns, block rows, base names of the 4 blocks
#: (numbered 01 02 / 03 04 from the north-west corner).
QUADRANTS = (
    ("回龙观街道", "CP02-01", (0, 1), (0, 1), ("回龙观", "龙华园", "新龙城", "北店嘉园")),
    ("龙泽园街道", "CP02-02", (0, 1), (2, 3), ("龙泽苑", "龙锦苑", "风雅园", "慧华苑")),
    ("霍营街道", "CP03-01", (2, 3), (0, 1), ("华龙苑", "蓝天园", "和谐家园", "霍营")),
    ("天通苑北街道", "CP03-02", (2, 3), (2, 3), ("天通北苑", "天通东苑", "太平家园", "佳运园")),
)

#: Whole-cell programmes (non-residential cells) and how many of each.
FULL_PROGRAMMES = (
    ("park", 17),
    ("commercial", 6),
    ("office", 5),
    ("industrial", 6),
    ("hospital", 2),
    ("utility", 3),
    ("transport", 3),
    ("culture_sports", 1),
    ("planned", 7),
    ("pending", 2),
)
#: Programmes that take a slice of a residential cell: (name, count, land use, area range m²).
SLICE_PROGRAMMES = (
    ("primary_school", 14, "A33", (15_000, 22_000)),
    ("middle_school", 8, "A33", (22_000, 30_000)),
    ("health_centre", 4, "A5", (5_000, 8_000)),
    ("elderly_home", 5, "A6", (4_000, 7_000)),
)
#: Small plots cut from the street corners of residential cells.
CORNER_PROGRAMMES = (("idle", 14), ("vacant", 8), ("pocket_park", 16), ("parking", 6), ("plaza", 4))
PLANNED_USES = ("A33", "A5", "G1", "R2", "B2", "A6", "S4")

PERSON_FLOOR_AREA = (20.0, 25.0)  # m² residential floor area per resident, per community
POPULATION_RANGE = (8_000, 20_000)
HOUSEHOLD_SIZE = (2.5, 2.7)
ELDERLY_SHARE = (0.13, 0.20)
WORKER_SHARE = (0.50, 0.55)
TARGET_JOBS_PER_WORKER = 0.30  # Huitian 0.25, Beijing 0.53
TARGET_UNDERGROUND_USE = 0.40  # Huitian "社区地下空间利用率40%"
TARGET_ROAD_IMPLEMENTATION = 0.811  # Huitian "道路实施率81.1%"
STOREY_HEIGHT = 2.9

#: Facility capacities (district totals are reported by summarize()).
HOSPITAL_BEDS = (650, 450)
CHC_BEDS = (20, 40)
ELDERLY_HOME_BEDS = (90, 220)
KINDERGARTEN_SEATS = (180, 360)

# Demand (图3) and vision (图4) vocabularies, phrased as in the guideline.
NEED_SERVICES = ("文化活动室", "健身器材与场地", "养老", "医疗", "教育", "管理")
NEED_SPACE = ("绿地维护", "增加绿地", "活动广场", "健身步道", "活动场地")
NEED_MUNICIPAL = ("排水", "水压", "电力", "供热")
NEED_TRAFFIC = ("停车位不足", "充电桩", "社区道路改造")
VISIONS = (
    "家门口有便民菜市场和早餐店，买菜吃饭不用跑远路",
    "社区里开一家老年餐桌，老人能吃上热乎饭",
    "楼下有裁缝、修鞋、洗衣等便民小店，缝缝补补方便",
    "换季衣物有地方晾晒，小区里规划整洁的晾衣区",
    "老楼加装电梯，楼道、管线和外墙翻新",
    "物业管理更规范，小区干净整洁、安全有序",
    "孩子在家门口就能上好幼儿园和好小学",
    "社区卫生服务站能看常见病，老人拿药不用排长队",
    "有日间照料中心，老人白天有人照看、有地方活动",
    "有口袋公园和健身步道，下楼就能散步锻炼",
    "有室内文化活动室，下雨天也能跳舞、下棋、读书",
    "下班回家能在小区附近找到车位，不再绕圈停车",
    "小区里多装充电桩，电动车充电安全方便",
    "地铁站接驳公交更方便，早高峰不再挤",
    "自行车专用路延伸到家门口，骑车上班更安全",
    "打通断头路，出小区不再绕远",
    "附近能有更多就业岗位，不用每天长距离通勤",
    "夜间街道亮起来，有夜市和小吃街，晚上也有去处",
    "下雨天小区和路口不再积水",
    "冬天暖气热、夏天水压足，停电停水少一些",
)


# ------------------------------------------------------------ helpers -------


def _anchor_offset() -> np.ndarray:
    """EPSG:4548 coordinates of the district's south-west nominal corner (whole metres)."""
    to_gk = Transformer.from_crs(4490, EPSG, always_xy=True)  # CGCS2000 geographic → GK CM 117E
    east, north = to_gk.transform(*CENTRE_LONLAT)
    return np.array([round(east - sum(COL_WIDTHS) / 2), round(north - sum(ROW_HEIGHTS) / 2)], dtype=float)


def _bilinear(corners: np.ndarray, width: float, height: float):
    """Map block-local metres (0..width, 0..height) onto the jittered block quadrilateral.

    Lines of constant s or t stay straight, so axis-aligned rectangles become
    quadrilaterals with straight edges and partitions stay exact.
    """
    p00, p10, p11, p01 = (np.asarray(corner, dtype=float) for corner in corners)

    def transform(coords: np.ndarray) -> np.ndarray:
        u = coords[:, 0:1] / width
        v = coords[:, 1:2] / height
        return (1 - u) * (1 - v) * p00 + u * (1 - v) * p10 + u * v * p11 + (1 - u) * v * p01

    return transform


def _overlaps(s0, t0, s1, t1, boxes) -> np.ndarray:
    """Which rectangles (arrays) overlap any of `boxes` [(x0, y0, x1, y1)] (positive area)."""
    hit = np.zeros(np.shape(s0), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        hit |= (s0 < x1) & (s1 > x0) & (t0 < y1) & (t1 > y0)
    return hit


def _shelf(inner, sizes, gap=15.0):
    """Pack rectangles (length, depth) from the north-west corner of `inner`, row by row."""
    x0, y0, x1, y1 = inner
    out = []
    x, top, shelf = x0, y1, 0.0
    for length, depth in sizes:
        length, depth = min(length, x1 - x0), min(depth, y1 - y0)
        if x + length > x1 + 1e-9:
            x, top, shelf = x0, top - shelf - gap, 0.0
        if top - depth < y0 - 1e-9:
            break
        out.append((x, top - depth, x + length, top))
        x += length + gap
        shelf = max(shelf, depth)
    return out


def _frame(rects, **columns) -> pd.DataFrame:
    """Building rows from rectangles [(s0, t0, s1, t1)] and scalar/array attributes."""
    arr = np.asarray(rects, dtype=float).reshape(-1, 4)
    frame = pd.DataFrame({"s0": arr[:, 0], "t0": arr[:, 1], "s1": arr[:, 2], "t1": arr[:, 3]})
    for key, value in columns.items():
        frame[key] = value
    return frame


# ------------------------------------------------------------ generator -----


class _District:
    """Holds the random generator and the features while they are generated."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.offset = _anchor_offset()
        self.blocks: list[dict] = []
        self.communities: list[dict] = []
        self.cells: list[dict] = []
        self.parcels: list[dict] = []
        self.green: list[dict] = []
        self.facilities: list[dict] = []
        self.parking: list[dict] = []
        self.raw_roads: list[dict] = []
        self.building_frames: list[pd.DataFrame] = []
        self.transforms: list = []

    # -- frame of the district ------------------------------------------------

    def make_grid(self) -> None:
        rng = self.rng
        xs = np.concatenate([[0.0], np.cumsum(COL_WIDTHS)])
        ys = np.concatenate([[0.0], np.cumsum(ROW_HEIGHTS)])
        jitter = np.clip(rng.normal(0.0, JITTER_SD, size=(5, 5, 2)), -JITTER_MAX, JITTER_MAX)
        self.vertices = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1) + jitter  # [i, j] = (x, y)
        # branch-road positions, shared by all blocks of a column (N-S) or row (E-W) so that
        # branch roads continue across the grid roads
        self.col_s = [w * np.concatenate([[0.0], np.arange(1, n + 1) / (n + 1) + rng.uniform(-0.03, 0.03, n), [1.0]]) for w, n in zip(COL_WIDTHS, NS_BRANCHES, strict=True)]
        self.row_t = [h * np.concatenate([[0.0], np.arange(1, n + 1) / (n + 1) + rng.uniform(-0.03, 0.03, n), [1.0]]) for h, n in zip(ROW_HEIGHTS, EW_BRANCHES, strict=True)]
        self.col_bw = [rng.choice(BRANCH_WIDTHS, n) for n in NS_BRANCHES]
        self.row_bw = [rng.choice(BRANCH_WIDTHS, n) for n in EW_BRANCHES]

        for sub_name, prefix, cols, rows, bases in QUADRANTS:
            for k, (r, c) in enumerate([(rows[1], cols[0]), (rows[1], cols[1]), (rows[0], cols[0]), (rows[0], cols[1])]):
                v = self.vertices
                corners = np.array([v[c, r], v[c + 1, r], v[c + 1, r + 1], v[c, r + 1]])
                self.blocks.append({"block_id": f"{prefix}{k + 1:02d}", "name": f"{bases[k]}街区", "subdistrict": sub_name, "c": c, "r": r, "base": bases[k], "corners": corners})
                self.transforms.append(_bilinear(corners, COL_WIDTHS[c], ROW_HEIGHTS[r]))

        for b, block in enumerate(self.blocks):
            c, r = block["c"], block["r"]
            s_cuts, t_cuts = self.col_s[c], self.row_t[r]
            parts = COMMUNITY_PARTS[c]
            first = len(self.communities)
            for k, part in enumerate(parts):
                self.communities.append(
                    {
                        "community_id": f"{block['block_id']}-SQ{k + 1}",
                        "name": f"{block['base']}{COMMUNITY_SUFFIXES[len(parts)][k]}社区",
                        "subdistrict": block["subdistrict"],
                        "_b": b,
                        "_geom": shapely.union_all([shapely.box(s_cuts[p], t_cuts[q], s_cuts[p + 1], t_cuts[q + 1]) for p, q in part]).normalize(),
                        "_cells": [],
                    }
                )
            for p in range(len(s_cuts) - 1):
                for q in range(len(t_cuts) - 1):
                    comm = first + next(k for k, part in enumerate(parts) if (p, q) in part)
                    sides = {
                        "L": (V_LINES[c][0], V_LINES[c][1]) if p == 0 else ("branch", self.col_bw[c][p - 1]),
                        "R": (V_LINES[c + 1][0], V_LINES[c + 1][1]) if p == len(s_cuts) - 2 else ("branch", self.col_bw[c][p]),
                        "B": (H_LINES[r][0], H_LINES[r][1]) if q == 0 else ("branch", self.row_bw[r][q - 1]),
                        "T": (H_LINES[r + 1][0], H_LINES[r + 1][1]) if q == len(t_cuts) - 2 else ("branch", self.row_bw[r][q]),
                    }
                    cell = {
                        "_b": b,
                        "comm": comm,
                        "p": p,
                        "q": q,
                        "box": (s_cuts[p], t_cuts[q], s_cuts[p + 1], t_cuts[q + 1]),
                        # parcel land ends at the road red lines
                        "red": (
                            s_cuts[p] + sides["L"][1] / 2,
                            t_cuts[q] + sides["B"][1] / 2,
                            s_cuts[p + 1] - sides["R"][1] / 2,
                            t_cuts[q + 1] - sides["T"][1] / 2,
                        ),
                        "sides": {key: value[0] for key, value in sides.items()},
                        "south_edge": r == 0 and q == 0,
                        "prog": "residential",
                        "slice": None,
                        "corners": [],
                    }
                    cell["idx"] = len(self.cells)
                    self.communities[comm]["_cells"].append(cell["idx"])
                    self.cells.append(cell)

    def allocate(self) -> None:
        """Give cells their programmes: whole-cell uses, slices and corner plots."""
        rng = self.rng
        special_in_comm = np.zeros(len(self.communities), dtype=int)
        special_in_block = np.zeros(len(self.blocks), dtype=int)
        size = np.array([len(comm["_cells"]) for comm in self.communities], dtype=float)
        rank = np.empty(len(self.cells), dtype=int)
        rank[rng.permutation(len(self.cells))] = np.arange(len(self.cells))

        def eligible(programme: str, cell: dict) -> bool:
            block = self.blocks[cell["_b"]]
            arterial = "arterial" in cell["sides"].values()
            if programme == "industrial":
                return block["subdistrict"] in ("霍营街道", "天通苑北街道")
            if programme in ("commercial", "office", "hospital", "transport"):
                return arterial
            if programme == "park":
                return not cell["south_edge"]
            return True

        def pick(candidates: list[int], load: np.ndarray) -> int:
            # the community with the least non-residential load per cell, then random order
            return min(candidates, key=lambda i: ((load[self.cells[i]["comm"]] + 1) / size[self.cells[i]["comm"]], rank[i]))

        for programme, count in FULL_PROGRAMMES:
            for _ in range(count):
                candidates = [i for i, cell in enumerate(self.cells) if cell["prog"] == "residential" and special_in_block[cell["_b"]] < 4 and eligible(programme, cell)]
                if not candidates:
                    raise RuntimeError(f"could not place {count} {programme} cells")
                cell = self.cells[pick(candidates, special_in_comm)]
                cell["prog"] = programme
                special_in_comm[cell["comm"]] += 1
                special_in_block[cell["_b"]] += 1

        load = special_in_comm * 3  # a slice takes about a third of a cell
        schools = np.zeros(len(self.communities), dtype=int)
        for programme, count, _use, _area in SLICE_PROGRAMMES:
            for _ in range(count):
                candidates = [i for i, cell in enumerate(self.cells) if cell["prog"] == "residential" and cell["slice"] is None and not (programme.endswith("school") and schools[cell["comm"]])]
                cell = self.cells[pick(candidates, load / 3)]
                cell["slice"] = programme
                load[cell["comm"]] += 1
                schools[cell["comm"]] += programme.endswith("school")

        corner_jobs = [name for name, count in CORNER_PROGRAMMES for _ in range(count)]
        corner_jobs = [corner_jobs[i] for i in rng.permutation(len(corner_jobs))]
        order = [i for i in rng.permutation(len(self.cells)) if self.cells[i]["prog"] == "residential"]
        j = 0
        for round_ in range(2):
            for idx in order:
                if j == len(corner_jobs):
                    break
                if round_ == 1 and rng.random() < 0.5:
                    continue
                self.cells[idx]["corners"].append(corner_jobs[j])
                j += 1

    # -- cells ------------------------------------------------------------------

    def add_parcel(self, cell: dict, geom, land_use: str, status: str, programme: str, far_rule) -> int:
        self.parcels.append({"_b": cell["_b"], "_comm": cell["comm"], "_cell": cell["idx"], "_geom": geom, "land_use": land_use, "status": status, "_prog": programme, "_far": far_rule})
        return len(self.parcels) - 1

    def add_buildings(self, cell: dict, parcel: int, frame: pd.DataFrame) -> None:
        if len(frame):
            frame = frame.assign(_b=cell["_b"], _comm=cell["comm"], _parcel=parcel)
            self.building_frames.append(frame)

    def add_facility(self, cell_or_b, geom, category: str, name: str, **capacity) -> None:
        b = cell_or_b["_b"] if isinstance(cell_or_b, dict) else cell_or_b
        self.facilities.append({"_b": b, "_geom": geom, "name": name, "category": category, **capacity})

    def add_green(self, cell: dict, geom, kind: str, name: str, quality: str) -> None:
        self.green.append({"_b": cell["_b"], "_geom": geom, "name": name, "kind": kind, "quality": quality})

    def add_parking(self, b: int, geom, name: str, spaces: int, access: str) -> None:
        self.parking.append({"_b": b, "_geom": geom, "name": name, "spaces": int(spaces), "access": access})

    def add_road(self, b: int, start, end, name: str, klass: str, width: float, group: str) -> None:
        pts = np.array([start, end], dtype=float)
        if b >= 0:
            pts = self.transforms[b](pts)
        self.raw_roads.append({"coords": pts, "name": name, "class": klass, "width_m": float(width), "_group": group})

    @staticmethod
    def inner(rect, setbacks) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = rect
        return (x0 + setbacks["L"], y0 + setbacks["B"], x1 - setbacks["R"], y1 - setbacks["T"])

    def quality(self, weights) -> str:
        return str(self.rng.choice(("good", "fair", "poor"), p=weights))

    def do_cell(self, idx: int) -> None:
        cell = self.cells[idx]
        rng = self.rng
        x0, y0, x1, y1 = cell["red"]
        setbacks = {key: SETBACK[kind] for key, kind in cell["sides"].items()}

        if cell["south_edge"]:  # protective green along the southern arterial
            strip = shapely.box(x0, y0, x1, y0 + 35.0)
            self.add_parcel(cell, strip, "G2", "built", "protective", ("fixed", 0.0))
            self.add_green(cell, shapely.box(x0 + 1, y0 + 1, x1 - 1, y0 + 34.0), "protective", f"{H_LINES[0][2]}防护绿地", self.quality((0.2, 0.5, 0.3)))
            y0 += 35.0
            setbacks["B"] = SETBACK["parcel"]

        programme = cell["prog"]
        if programme != "residential":
            getattr(self, f"_cell_{programme}")(cell, (x0, y0, x1, y1), setbacks)
            return

        main = [x0, y0, x1, y1]
        free_corners = [("B", "L"), ("B", "R"), ("T", "L"), ("T", "R")]
        if cell["south_edge"]:
            free_corners = [corner for corner in free_corners if corner[0] == "T"]
        if cell["slice"]:
            self._slice(cell, main, setbacks, free_corners)
        keepouts = []
        for kind in cell["corners"]:
            if not free_corners:
                break
            corner = free_corners.pop(int(rng.integers(len(free_corners))))
            keepouts.append(self._corner(cell, tuple(main), kind, corner))
        geom = shapely.box(*main)
        for box in keepouts:
            geom = geom.difference(shapely.box(*box))
        inner = self.inner(main, setbacks)
        keep = [(a - 5.0, b - 5.0, c + 5.0, d + 5.0) for a, b, c, d in keepouts]
        self._residential(cell, geom, main, inner, keep)

    def _slice(self, cell: dict, main: list, setbacks: dict, free_corners: list) -> None:
        """Cut a school / health / elderly parcel off one side of a residential cell."""
        rng = self.rng
        programme = cell["slice"]
        _name, _count, land_use, (area_lo, area_hi) = next(item for item in SLICE_PROGRAMMES if item[0] == programme)
        x0, y0, x1, y1 = main
        height = y1 - y0
        width = float(np.clip(rng.uniform(area_lo, area_hi) / height, 50.0, 0.5 * (x1 - x0)))
        side = "L" if rng.random() < 0.5 else "R"
        if side == "L":
            rect = (x0, y0, x0 + width, y1)
            main[0] = x0 + width
        else:
            rect = (x1 - width, y0, x1, y1)
            main[2] = x1 - width
        free_corners[:] = [corner for corner in free_corners if corner[1] != side]
        sub_setbacks = dict(setbacks)
        sub_setbacks["R" if side == "L" else "L"] = SETBACK["parcel"]
        setbacks[side] = SETBACK["parcel"]
        status = "retained" if rng.random() < 0.4 else "built"
        base = self.blocks[cell["_b"]]["base"]
        geom = shapely.box(*rect)
        inner = self.inner(rect, sub_setbacks)
        ix0, iy0, ix1, iy1 = inner
        if programme.endswith("school"):
            parcel = self.add_parcel(cell, geom, land_use, status, programme, ("plus", 0.8, 1.0))
            floors = 4 if programme == "primary_school" else 5
            rects = _shelf(inner, [(min(72.0, ix1 - ix0), 16.0), (40.0, 28.0)])
            frame = _frame(rects, use="education", floors=[floors, 2][: len(rects)], era="school")
            self.add_buildings(cell, parcel, frame)
            label = "小学" if programme == "primary_school" else "中学"
            self.add_facility(cell, geom, programme, f"{base}{label}")
        elif programme == "health_centre":
            parcel = self.add_parcel(cell, geom, land_use, status, programme, ("plus", 0.6, 1.0))
            rects = _shelf(inner, [(45.0, 18.0)])
            frame = _frame(rects, use="health", floors=3, era="public")
            self.add_buildings(cell, parcel, frame)
            area = sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects) * 3
            self.add_facility(cell, shapely.centroid(shapely.box(*rects[0])), "community_health_center", f"{base}社区卫生服务中心", beds=float(rng.integers(*CHC_BEDS)), floor_area_m2=round(area))
        else:  # elderly home
            parcel = self.add_parcel(cell, geom, land_use, status, programme, ("plus", 0.5, 0.8))
            rects = _shelf(inner, [(50.0, 16.0)])
            frame = _frame(rects, use="public_service", floors=int(rng.integers(4, 6)), era="public")
            self.add_buildings(cell, parcel, frame)
            self.add_facility(cell, shapely.centroid(shapely.box(*rects[0])), "elderly_care", f"{base}养老照料中心", beds=float(rng.integers(*ELDERLY_HOME_BEDS)))

    def _corner(self, cell: dict, rect, kind: str, corner) -> tuple:
        """A small plot at a street corner of `rect`; returns its box."""
        rng = self.rng
        x0, y0, x1, y1 = rect
        w = min(rng.uniform(45.0, 75.0), 0.3 * (x1 - x0))
        h = min(rng.uniform(45.0, 75.0), 0.3 * (y1 - y0))
        bx0, bx1 = (x0, x0 + w) if corner[1] == "L" else (x1 - w, x1)
        by0, by1 = (y0, y0 + h) if corner[0] == "B" else (y1 - h, y1)
        box = (bx0, by0, bx1, by1)
        geom = shapely.box(*box)
        base = self.blocks[cell["_b"]]["base"]
        if kind in ("idle", "vacant"):
            use = str(rng.choice(("X", "R2", "B1", "G1"), p=(0.4, 0.2, 0.2, 0.2)))
            self.add_parcel(cell, geom, use, kind, f"corner_{kind}", ("range", 0.5, 1.5))
        elif kind == "pocket_park":
            self.add_parcel(cell, geom, "G1", "built", "pocket_park", ("fixed", 0.0))
            self.add_green(cell, shapely.box(bx0 + 2, by0 + 2, bx1 - 2, by1 - 2), "park", f"{base}口袋公园", self.quality((0.35, 0.45, 0.2)))
        elif kind == "plaza":
            self.add_parcel(cell, geom, "G3", "built", "plaza", ("fixed", 0.0))
            self.add_green(cell, shapely.box(bx0 + 2, by0 + 2, bx1 - 2, by1 - 2), "plaza", f"{base}街角广场", self.quality((0.4, 0.4, 0.2)))
        else:  # public parking lot
            self.add_parcel(cell, geom, "S4", "built", "parking", ("fixed", 0.0))
            lot = shapely.box(bx0 + 2, by0 + 2, bx1 - 2, by1 - 2)
            self.add_parking(cell["_b"], lot, f"{base}公共停车场", lot.area / 30.0, "public")
        return box

    def _residential(self, cell: dict, geom, main, inner, keepouts) -> None:
        """Residential compound: rows of slabs or towers, ancillary rooms, attached green, internal road."""
        rng = self.rng
        era = str(rng.choice(("old", "mid", "new"), p=(0.38, 0.34, 0.28)))
        status = "retained" if era == "new" else "built"
        parcel = self.add_parcel(cell, geom, "R2", status, f"residential_{era}", ("equal",))
        cell["era"] = era
        ax0, ay0, ax1, ay1 = inner
        if era == "old":
            floors = int(rng.choice((5, 6), p=(0.25, 0.75)))
            length, depth, col_gap = rng.uniform(45.0, 60.0), 11.0, 10.0
            row_gap = max(18.0, 1.1 * floors * STOREY_HEIGHT)
        elif era == "mid":
            floors = int(rng.choice((6, 9, 12, 14), p=(0.35, 0.3, 0.2, 0.15)))
            length, depth, col_gap = rng.uniform(48.0, 62.0), 12.0, 12.0
            row_gap = max(20.0, 1.05 * floors * STOREY_HEIGHT)
        else:
            floors = int(rng.choice((12, 15, 18, 24), p=(0.2, 0.3, 0.3, 0.2)))
            if floors == 24:
                length, depth, col_gap, row_gap = 34.0, 20.0, 24.0, 0.75 * floors * STOREY_HEIGHT
            else:
                length, depth, col_gap = rng.uniform(55.0, 66.0), 13.0, 14.0
                row_gap = 0.95 * floors * STOREY_HEIGHT
        width, height = ax1 - ax0, ay1 - ay0
        ncol = max(1, int((width + col_gap) // (length + col_gap)))
        nrow = max(1, int((height + row_gap) // (depth + row_gap)))
        length = min(length, width)
        xs = ax0 + np.arange(ncol) * ((width - length) / (ncol - 1) if ncol > 1 else 0.0) + (0.0 if ncol > 1 else (width - length) / 2)
        ys = ay0 + np.arange(nrow) * ((height - depth) / (nrow - 1) if nrow > 1 else 0.0) + (0.0 if nrow > 1 else (height - depth) / 2)
        gx, gy = np.meshgrid(xs, ys)
        s0, t0 = gx.ravel(), gy.ravel()
        s1, t1 = s0 + length, t0 + depth
        keep = ~_overlaps(s0, t0, s1, t1, keepouts)
        lower = floors - 3 if floors > 6 else floors - 1
        bfloors = np.where(rng.random(s0.size) < 0.2, lower, floors)
        slabs = _frame(np.column_stack([s0, t0, s1, t1])[keep], use="residential", floors=bfloors[keep], era=era)
        slabs["kind"] = "slab"

        # gaps between rows: internal road, attached green, ancillary rooms
        gaps = [(ys[k] + depth, ys[k + 1]) for k in range(nrow - 1)]
        road_gap = None
        if len(gaps) >= 2 and rng.random() < 0.5:
            k = len(gaps) // 2
            t_road = sum(gaps[k]) / 2
            if not any(b0 - 4 < t_road < b1 + 4 for _a0, b0, _a1, b1 in keepouts):
                road_gap = k
                box = cell["box"]
                s_start = box[0] if main[0] == cell["red"][0] else main[0] + 5.0
                s_end = box[2] if main[2] == cell["red"][2] else main[2] - 5.0
                self.add_road(cell["_b"], (s_start, t_road), (s_end, t_road), "小区内部路", "internal", INTERNAL_WIDTH, "internal")
        others = [k for k in range(len(gaps)) if k != road_gap]
        base = self.blocks[cell["_b"]]["base"]
        green_gap = others[0] if others else None
        anc_gap = others[1] if len(others) > 1 else green_gap
        half = max(1, ncol // 2)
        if green_gap is not None and (anc_gap != green_gap or ncol > 1):
            g0, g1 = gaps[green_gap]
            cols = slice(0, half) if anc_gap == green_gap else slice(0, ncol)
            gs0, gs1 = xs[cols][0], xs[cols][-1] + length
            if g1 - g0 > 10 and not _overlaps(np.array([gs0]), np.array([g0]), np.array([gs1]), np.array([g1]), keepouts)[0]:
                self.add_green(cell, shapely.box(gs0, g0 + 3.0, gs1, g1 - 3.0), "attached", f"{base}小区附属绿地", self.quality((0.2, 0.4, 0.4)))
        anc = []
        if anc_gap is not None and (anc_gap != green_gap or ncol > 1):
            g0, g1 = gaps[anc_gap]
            cols = range(half, ncol) if anc_gap == green_gap else range(ncol)
            n_anc = min(len(cols), int(rng.integers(1, 4)))
            for j in list(cols)[:n_anc]:
                kind = str(rng.choice(("boiler_room", "bike_shed", "office"), p=(0.35, 0.4, 0.25)))
                size = {"boiler_room": (20.0, 14.0, 1), "bike_shed": (26.0, 5.0, 1), "office": (22.0, 10.0, 2)}[kind]
                if size[1] > g1 - g0 - 8.0:
                    kind, size = "bike_shed", (26.0, 5.0, 1)
                if size[1] > g1 - g0 - 8.0:
                    continue
                cx, cy = xs[j] + length / 2, (g0 + g1) / 2
                anc.append((cx - size[0] / 2, cy - size[1] / 2, cx + size[0] / 2, cy + size[1] / 2, kind, size[2]))
        if anc:
            arr = np.array([a[:4] for a in anc])
            ok = ~_overlaps(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], keepouts)
            frame = _frame(arr[ok], use="ancillary", subtype=[a[4] for a, k in zip(anc, ok, strict=True) if k], floors=[a[5] for a, k in zip(anc, ok, strict=True) if k], era=era)
            frame["kind"] = "ancillary"
            slabs = pd.concat([slabs, frame], ignore_index=True)
        cell["gaps"] = gaps
        cell["inner"] = inner
        self.add_buildings(cell, parcel, slabs)

    # whole-cell programmes -------------------------------------------------------

    def _cell_park(self, cell, rect, setbacks):
        base = self.blocks[cell["_b"]]["base"]
        self.add_parcel(cell, shapely.box(*rect), "G1", "retained" if self.rng.random() < 0.3 else "built", "park", ("fixed", 0.0))
        x0, y0, x1, y1 = rect
        park = shapely.box(x0 + 2, y0 + 2, x1 - 2, y1 - 2)
        self.add_green(cell, park, "park", f"{base}公园", self.quality((0.3, 0.45, 0.25)))
        c = park.centroid
        self.add_facility(cell, shapely.Point(c.x - 30, c.y), "sports", f"{base}公园健身场地", land_area_m2=float(self.rng.integers(1200, 3000)))
        self.add_facility(cell, shapely.Point(c.x + 30, c.y + 20), "public_toilet", f"{base}公园公厕")

    def _cell_commercial(self, cell, rect, setbacks):
        rng = self.rng
        base = self.blocks[cell["_b"]]["base"]
        plaza = self._corner(cell, rect, "plaza", ("T", "L"))  # street-corner plaza
        geom = shapely.box(*rect).difference(shapely.box(*plaza))
        parcel = self.add_parcel(cell, geom, "B1", "built", "commercial", ("scale", 1.0, 1.3))
        ax0, ay0, ax1, ay1 = self.inner(rect, setbacks)
        lot = shapely.box(ax0, ay0, ax1, ay0 + 35.0)
        self.add_parking(cell["_b"], lot, f"{base}商业中心停车场", lot.area / 30.0, "public")
        rects = _shelf((ax0 + 75.0, ay0 + 50.0, ax1, ay1 - 75.0), [(120.0, 65.0), (45.0, 22.0), (45.0, 22.0), (45.0, 22.0)])
        floors = [int(rng.integers(3, 6))] + [2] * (len(rects) - 1)
        frame = _frame(rects, use="commercial", floors=floors, era="commercial")
        self.add_buildings(cell, parcel, frame)
        c = shapely.box(*rects[0]).centroid
        self.add_facility(cell, c, "supermarket", f"{base}购物中心超市")
        self.add_facility(cell, shapely.Point(c.x + 40, c.y - 45), "market", f"{base}便民菜市场")

    def _cell_office(self, cell, rect, setbacks):
        rng = self.rng
        base = self.blocks[cell["_b"]]["base"]
        parcel = self.add_parcel(cell, shapely.box(*rect), "B2", "built", "office", ("scale", 1.0, 1.2))
        inner = self.inner(rect, setbacks)
        rects = _shelf(inner, [(45.0, 22.0)] * 4 + [(60.0, 30.0)], gap=35.0)
        frame = _frame(rects, use="office", floors=rng.integers(8, 21, len(rects)), era="office")
        self.add_buildings(cell, parcel, frame)
        c = shapely.box(*rects[0]).centroid
        self.add_parking(cell["_b"], shapely.Point(c.x, c.y - 20), f"{base}商务楼地下车库", rng.integers(150, 400), "private")

    def _cell_industrial(self, cell, rect, setbacks):
        rng = self.rng
        idle = rng.random() < 0.4
        parcel = self.add_parcel(cell, shapely.box(*rect), "M", "built", "industrial", ("fixed_permitted", 1.2))
        inner = self.inner(rect, setbacks)
        rects = _shelf(inner, [(40.0, 15.0)] + [(70.0, 35.0)] * 5, gap=20.0)
        uses = ["office"] + [str(u) for u in rng.choice(("industrial", "warehouse"), len(rects) - 1, p=(0.7, 0.3))]
        floors = [3] + [int(f) for f in rng.integers(1, 3, len(rects) - 1)]
        frame = _frame(rects, use=uses, floors=floors, era="industrial")
        frame["status_hint"] = "idle" if idle else ""
        self.add_buildings(cell, parcel, frame)

    def _cell_hospital(self, cell, rect, setbacks):
        base = self.blocks[cell["_b"]]["base"]
        n = sum(1 for f in self.facilities if f["category"] == "hospital")
        parcel = self.add_parcel(cell, shapely.box(*rect), "A5", "retained", "hospital", ("plus", 0.5, 0.9))
        rects = _shelf(self.inner(rect, setbacks), [(90.0, 45.0), (60.0, 30.0), (40.0, 20.0), (30.0, 18.0)], gap=25.0)
        frame = _frame(rects, use="health", floors=[11, 4, 3, 2][: len(rects)], era="public")
        self.add_buildings(cell, parcel, frame)
        self.add_facility(cell, shapely.box(*rect), "hospital", f"{base}医院", beds=float(HOSPITAL_BEDS[n % len(HOSPITAL_BEDS)]))
        c = shapely.box(*rects[0]).centroid
        self.add_parking(cell["_b"], shapely.Point(c.x, c.y - 40), f"{base}医院停车场", self.rng.integers(150, 300), "private")

    def _cell_utility(self, cell, rect, setbacks):
        base = self.blocks[cell["_b"]]["base"]
        n = sum(1 for f in self.facilities if f["category"] == "substation")
        parcel = self.add_parcel(cell, shapely.box(*rect), "U", "built", "utility", ("fixed_permitted", 1.0))
        ax0, ay0, ax1, ay1 = self.inner(rect, setbacks)
        mid = (ax0 + ax1) / 2
        yard = (ax0, ay0 + (ay1 - ay0) * 0.4, mid - 10, ay1)
        self.add_facility(cell, shapely.box(*yard), "substation", f"{base}110kV变电站")
        rects = [(yard[0] + 10, yard[3] - 35, yard[0] + 50, yard[3] - 10), (mid + 10, ay1 - 40, mid + 60, ay1 - 10)]
        frame = _frame(rects, use="municipal", floors=[2, 2], era="public")
        self.add_buildings(cell, parcel, frame)
        second = ("heating_station", "gas_station", "telecom")[n % 3]
        label = {"heating_station": "供热站", "gas_station": "燃气调压站", "telecom": "电信机房"}[second]
        self.add_facility(cell, shapely.box(*rects[1]).centroid, second, f"{base}{label}")
        self.add_facility(cell, shapely.Point(mid + 35, ay0 + 30), "garbage_station", f"{base}垃圾分类收集站")
        if n == 0:
            self.add_facility(cell, shapely.Point(mid + 80, ay0 + 60), "fire_station", f"{base}消防站")
            self.add_facility(cell, shapely.Point(mid + 80, ay0 + 100), "cable_tv", f"{base}有线电视基站")

    def _cell_transport(self, cell, rect, setbacks):
        base = self.blocks[cell["_b"]]["base"]
        parcel = self.add_parcel(cell, shapely.box(*rect), "S4", "built", "transport", ("fixed_permitted", 0.5))
        ax0, ay0, ax1, ay1 = self.inner(rect, setbacks)
        split = ax0 + 0.6 * (ax1 - ax0)
        yard = shapely.box(ax0, ay0, split - 5, ay1)
        self.add_facility(cell, yard, "bus_terminal", f"{base}公交首末站", land_area_m2=round(yard.area))
        lot = shapely.box(split + 5, ay0, ax1, ay1)
        self.add_parking(cell["_b"], lot, f"{base}公共停车场", lot.area / 28.0, "public")
        frame = _frame([(ax0 + 5, ay1 - 17, ax0 + 30, ay1 - 5)], use="municipal", floors=2, era="public")
        self.add_buildings(cell, parcel, frame)

    def _cell_culture_sports(self, cell, rect, setbacks):
        base = self.blocks[cell["_b"]]["base"]
        x0, y0, x1, y1 = rect
        mid = (x0 + x1) / 2
        left, right = (x0, y0, mid, y1), (mid, y0, x1, y1)
        sb_left, sb_right = dict(setbacks, R=SETBACK["parcel"]), dict(setbacks, L=SETBACK["parcel"])
        p1 = self.add_parcel(cell, shapely.box(*left), "A2", "built", "culture", ("plus", 0.3, 0.5))
        rects = _shelf(self.inner(left, sb_left), [(80.0, 50.0)])
        self.add_buildings(cell, p1, _frame(rects, use="culture", floors=3, era="public"))
        self.add_facility(cell, shapely.box(*rects[0]).centroid, "culture", f"{base}文化活动中心", floor_area_m2=80.0 * 50.0 * 3)
        p2 = self.add_parcel(cell, shapely.box(*right), "A4", "built", "sports", ("plus", 0.2, 0.4))
        inner = self.inner(right, sb_right)
        ground = shapely.box(*inner)
        self.add_facility(cell, ground, "sports", f"{base}全民健身中心", land_area_m2=round(ground.area))
        rects = _shelf(inner, [(60.0, 40.0)])
        self.add_buildings(cell, p2, _frame(rects, use="sports", floors=2, era="public"))

    def _cell_planned(self, cell, rect, setbacks):
        rng = self.rng
        n = sum(1 for p in self.parcels if p["_prog"] == "planned")
        use = PLANNED_USES[n % len(PLANNED_USES)]
        parcel = self.add_parcel(cell, shapely.box(*rect), use, "planned", "planned", ("planned", use))
        kind = ("village", "factory", "vacant")[n % 3]
        ax0, ay0, ax1, ay1 = self.inner(rect, setbacks)
        if kind == "village":  # low-rise village houses awaiting resettlement
            xs = np.arange(ax0, ax1 - 20.0, 34.0)
            ys = np.arange((ay0 + ay1) / 2, ay1 - 12.0, 24.0)  # northern half; the rest is fields and yards
            gx, gy = np.meshgrid(xs, ys)
            s0, t0 = gx.ravel(), gy.ravel()
            keep = rng.random(s0.size) < 0.75
            frame = _frame(np.column_stack([s0, t0, s0 + 20.0, t0 + 12.0])[keep], use="residential", floors=rng.integers(1, 3, int(keep.sum())), era="village")
            frame["kind"] = "village"
        elif kind == "factory":  # old factory, idle
            rects = _shelf((ax0, ay0, ax1, ay1), [(60.0, 30.0)] * 4, gap=25.0)
            frame = _frame(rects, use="industrial", floors=1, era="industrial")
            frame["status_hint"] = "idle"
        else:
            frame = _frame([])
        self.add_buildings(cell, parcel, frame)

    def _cell_pending(self, cell, rect, setbacks):
        n = sum(1 for p in self.parcels if p["_prog"] == "pending")
        parcel = self.add_parcel(cell, shapely.box(*rect), "X", "retained", "pending", ("none",))
        if n:
            rects = _shelf(self.inner(rect, setbacks), [(50.0, 25.0)] * 3, gap=25.0)
            frame = _frame(rects, use="warehouse", floors=1, era="industrial")
            frame["status_hint"] = "idle"
            self.add_buildings(cell, parcel, frame)

    # -- roads ------------------------------------------------------------------

    def make_roads(self) -> None:
        v = self.vertices
        for i, (klass, width, name) in enumerate(V_LINES):
            for j in range(4):
                self.add_road(-1, v[i, j], v[i, j + 1], name, klass, width, f"V{i}-{j}")
        for j, (klass, width, name) in enumerate(H_LINES):
            for i in range(4):
                self.add_road(-1, v[i, j], v[i + 1, j], name, klass, width, f"H{j}-{i}")
        numerals = "一二三四"
        for b, block in enumerate(self.blocks):
            c, r = block["c"], block["r"]
            s_cuts, t_cuts = self.col_s[c], self.row_t[r]
            for k in range(1, len(s_cuts) - 1):
                for q in range(len(t_cuts) - 1):
                    self.add_road(b, (s_cuts[k], t_cuts[q]), (s_cuts[k], t_cuts[q + 1]), f"{block['base']}{numerals[k - 1]}路", "branch", self.col_bw[c][k - 1], f"b{b}-s{k}-{q}")
            for k in range(1, len(t_cuts) - 1):
                for p in range(len(s_cuts) - 1):
                    self.add_road(b, (s_cuts[p], t_cuts[k]), (s_cuts[p + 1], t_cuts[k]), f"{block['base']}{numerals[k - 1]}街", "branch", self.row_bw[r][k - 1], f"b{b}-t{k}-{p}")

    def node_roads(self) -> pd.DataFrame:
        """Split road segments where another road ends on them, so junctions are shared vertices."""
        lines = shapely.linestrings([r["coords"] for r in self.raw_roads])
        ends = np.concatenate([r["coords"] for r in self.raw_roads])
        tree = shapely.STRtree(lines)
        pts = shapely.points(ends)
        p_idx, l_idx = tree.query(pts, predicate="dwithin", distance=1e-6)
        rows = []
        splits: dict[int, list[int]] = {}
        for p, line in zip(p_idx, l_idx, strict=True):
            coords = self.raw_roads[line]["coords"]
            if np.min(np.abs(coords - ends[p]).sum(axis=1)) > 1e-6:
                splits.setdefault(int(line), []).append(int(p))
        for n, road in enumerate(self.raw_roads):
            coords = road["coords"]
            cut = splits.get(n, [])
            if cut:
                extra = np.unique(ends[cut], axis=0)
                along = (extra - coords[0]) @ (coords[1] - coords[0])
                coords = np.vstack([coords[:1], extra[np.argsort(along)], coords[1:]])
            for a, b in zip(coords[:-1], coords[1:], strict=True):
                rows.append({"_geom": shapely.linestrings([a, b]), "name": road["name"], "class": road["class"], "width_m": road["width_m"], "_group": road["_group"]})
        roads = pd.DataFrame(rows)
        roads["_len"] = shapely.length(roads["_geom"].to_numpy())
        return roads

    def road_status(self, roads: pd.DataFrame) -> pd.Series:
        """Built / planned / under construction so that the implementation ratio is about 81 %."""
        status = pd.Series("built", index=roads.index, dtype=object)
        status[roads["_group"] == "V3-3"] = "planned"  # the north end of a secondary road
        status[roads["_group"] == "H3-0"] = "under_construction"
        city = roads["class"] != "internal"
        target = (1 - TARGET_ROAD_IMPLEMENTATION) * roads.loc[city, "_len"].sum()
        unbuilt = roads.loc[status != "built", "_len"].sum()
        groups = roads.loc[roads["class"] == "branch", "_group"].drop_duplicates().to_numpy()
        group_len = roads.groupby("_group")["_len"].sum()
        chosen = []
        for g in groups[self.rng.permutation(len(groups))]:
            if unbuilt >= target:
                break
            chosen.append(g)
            unbuilt += group_len[g]
        for n, g in enumerate(chosen):
            status[roads["_group"] == g] = "under_construction" if n % 6 == 5 else "planned"
        return status

    # -- per-block services and parking ----------------------------------------------

    def services(self, buildings: pd.DataFrame) -> None:
        rng = self.rng
        res = buildings[(buildings["kind"] == "slab")]
        by_comm = res.groupby("_comm").indices
        for ci, comm in enumerate(self.communities):
            idx = by_comm.get(ci)
            if idx is None or len(idx) == 0:
                continue
            rows = res.iloc[idx]
            base = comm["name"].removesuffix("社区")
            pick = rows.index[rng.permutation(len(rows))]

            def at(k: int):
                row = buildings.loc[pick[k % len(pick)]]
                return row["_b"], shapely.Point((row.s0 + row.s1) / 2, (row.t0 + row.t1) / 2)

            b, pt = at(0)
            self.add_facility(b, pt, "community_service", f"{base}社区综合服务站", floor_area_m2=float(rng.integers(300, 800)))
            plan = [
                (0.75, "culture", "文化活动室", {"floor_area_m2": float(rng.integers(150, 700))}),
                (0.65, "clinic", "社区卫生服务站", {"floor_area_m2": float(rng.integers(120, 400)), "beds": 0.0}),
                (0.35, "elderly_day_care", "老年日间照料中心", {"floor_area_m2": float(rng.integers(350, 800)), "beds": float(rng.integers(0, 11))}),
                (0.75, "garbage_station", "垃圾分类收集站", {}),
                (0.5, "public_toilet", "公厕", {}),
                (0.55, "supermarket", "超市", {}),
                (0.5, "post_express", "快递驿站", {}),
                (0.3, "charging_station", "充电站", {}),
                (0.15, "nursery", "托育中心", {"seats": float(rng.integers(30, 80))}),
                (0.3, "sports", "健身场地", {"land_area_m2": float(rng.integers(300, 1200))}),
            ]
            for k, (prob, category, label, capacity) in enumerate(plan, start=1):
                if rng.random() < prob:
                    b, pt = at(k)
                    self.add_facility(b, pt, category, f"{base}{label}", **capacity)
            # a kindergarten in 80 % of the communities, replacing one slab
            if rng.random() < 0.8:
                row_id = pick[-1]
                buildings.loc[row_id, ["use", "floors", "kind"]] = ("education", 3, "kindergarten")
                row = buildings.loc[row_id]
                self.add_facility(row["_b"], shapely.Point((row.s0 + row.s1) / 2, (row.t0 + row.t1) / 2), "kindergarten", f"{base}幼儿园", seats=float(rng.integers(*KINDERGARTEN_SEATS)))
        # a few police stations
        for k, ci in enumerate((2, 17, 31)):
            rows = res[res["_comm"] == ci]
            if len(rows):
                row = rows.iloc[len(rows) // 2]
                self.add_facility(int(row["_b"]), shapely.Point((row.s0 + row.s1) / 2 + 1, (row.t0 + row.t1) / 2), "police", f"{self.communities[ci]['name'].removesuffix('社区')}派出所")

    def resident_parking(self, buildings: pd.DataFrame) -> None:
        rng = self.rng
        res = buildings[buildings["use"] == "residential"]
        gfa = (res["s1"] - res["s0"]) * (res["t1"] - res["t0"]) * res["floors"]
        per_parcel = gfa.groupby(res["_parcel"]).sum()
        for parcel_id, floor_area in per_parcel.items():
            parcel = self.parcels[parcel_id]
            cell = self.cells[parcel["_cell"]]
            if cell.get("inner") is None:  # village houses on planned land: no parking
                continue
            households = floor_area / 80.0
            ax0, ay0, ax1, ay1 = cell["inner"]
            gaps = cell.get("gaps") or [(ay0, ay0 + 10)]
            g0, g1 = gaps[-1]
            base = self.blocks[parcel["_b"]]["base"]
            self.add_parking(parcel["_b"], shapely.Point(ax0 + 0.8 * (ax1 - ax0), (g0 + g1) / 2), f"{base}小区地面停车", households * rng.uniform(0.12, 0.3), "private")
            if cell.get("era") == "new":
                self.add_parking(parcel["_b"], shapely.Point(ax0 + 0.3 * (ax1 - ax0), (g0 + g1) / 2), f"{base}小区地下车库", households * rng.uniform(0.25, 0.45), "private")
            elif cell.get("era") == "mid" and rng.random() < 0.4:
                self.add_parking(parcel["_b"], shapely.Point(ax0 + 0.3 * (ax1 - ax0), (g0 + g1) / 2), f"{base}小区立体车库", households * rng.uniform(0.05, 0.12), "private")

    # -- finishing ----------------------------------------------------------------

    def block_outline(self, b: int):
        """Block polygon in local metres with a vertex wherever a branch road meets its edge.

        Neighbouring blocks and the communities inside compute these points with the same
        arithmetic, so after rounding they share vertices exactly (a clean coverage).
        """
        block = self.blocks[b]
        s_cuts, t_cuts = self.col_s[block["c"]], self.row_t[block["r"]]
        width, height = COL_WIDTHS[block["c"]], ROW_HEIGHTS[block["r"]]
        ring = [(s, 0.0) for s in s_cuts[:-1]] + [(width, t) for t in t_cuts[:-1]] + [(s, height) for s in s_cuts[:0:-1]] + [(0.0, t) for t in t_cuts[:0:-1]]
        return shapely.Polygon(ring)


    def to_crs(self, geoms: np.ndarray, blocks: np.ndarray) -> np.ndarray:
        """Block-local → district metres (per block) → EPSG:4548, rounded to 1 cm."""
        out = np.empty(len(geoms), dtype=object)
        for b in np.unique(blocks):
            mask = blocks == b
            part = np.asarray(geoms[mask], dtype=object)
            out[mask] = shapely.transform(part, self.transforms[b]) if b >= 0 else part
        out = shapely.transform(out, lambda c: c + self.offset)
        return shapely.set_precision(out, 0.01)


def _layer(rows: pd.DataFrame | list, columns: list[str], district: _District, prefix: str | None = None, id_field: str | None = None) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows).reset_index(drop=True)
    geoms = district.to_crs(frame["_geom"].to_numpy(), frame["_b"].to_numpy().astype(int))
    if prefix is not None:
        frame[id_field] = [f"{prefix}{n + 1:05d}" for n in range(len(frame))]
    for column in columns:
        if column not in frame:
            frame[column] = np.nan
    return gpd.GeoDataFrame(frame[columns], geometry=geoms, crs=EPSG)


def generate(seed: int = SEED) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """Generate the district: (GeoPackage layers by name, survey tables by file name)."""
    d = _District(seed)
    rng = d.rng
    d.make_grid()
    d.allocate()
    for idx in range(len(d.cells)):
        d.do_cell(idx)
    d.make_roads()

    # ---- buildings: one frame, attributes vectorised
    bld = pd.concat(d.building_frames, ignore_index=True)
    for column, default in (("subtype", None), ("kind", "other"), ("status_hint", "")):
        if column not in bld:
            bld[column] = default
    bld["kind"] = bld["kind"].fillna("other")
    bld["status_hint"] = bld["status_hint"].fillna("")
    bld["subtype"] = bld["subtype"].astype(object).where(bld["subtype"].notna(), None)
    bld["floors"] = bld["floors"].astype(int)
    d.services(bld)
    d.resident_parking(bld)
    n = len(bld)
    use = bld["use"].to_numpy()
    era = bld["era"].to_numpy()
    footprint = ((bld["s1"] - bld["s0"]) * (bld["t1"] - bld["t0"])).to_numpy()
    floors = bld["floors"].to_numpy()
    gfa = footprint * floors

    eras = {"old": (1976, 1995), "mid": (1996, 2002), "new": (2003, 2010), "school": (1995, 2008), "public": (1998, 2012), "commercial": (1998, 2010), "office": (2003, 2012), "industrial": (1985, 2000), "village": (1978, 1995)}
    lo = np.array([eras[e][0] for e in era])
    hi = np.array([eras[e][1] for e in era])
    # a compound is built within a few years: per-parcel base year plus 0–2 years
    parcel_u = rng.random(len(d.parcels))[bld["_parcel"].to_numpy()]
    year = np.minimum(hi, (lo + parcel_u * (hi - lo + 1)).astype(int) + rng.integers(0, 3, n))

    status = np.full(n, "in_use", dtype=object)
    occupancy = np.round(rng.uniform(0.85, 1.0, n), 2)
    business = np.isin(use, ("office", "commercial"))
    low = business & (rng.random(n) < 0.35)
    status[low] = "low_efficiency"
    occupancy[low] = np.round(rng.uniform(0.2, 0.5, low.sum()), 2)
    occupancy[business & ~low] = np.round(rng.uniform(0.7, 0.98, (business & ~low).sum()), 2)
    idle = (bld["status_hint"].to_numpy() == "idle") | ((use == "ancillary") & (rng.random(n) < 0.55))
    idle |= (bld["kind"].to_numpy() == "village") & (rng.random(n) < 0.25)
    status[idle] = "idle"
    occupancy[idle] = 0.0

    roof = np.where(rng.random(n) < 0.5, "flat", "pitched").astype(object)
    roof[(era == "old") & (use == "residential")] = np.where(rng.random(int(((era == "old") & (use == "residential")).sum())) < 0.6, "pitched", "flat")
    roof[(era == "new") | (era == "office") | (era == "public") | (era == "school")] = "flat"
    roof[(use == "commercial") & (rng.random(n) < 0.9)] = "flat"
    roof[era == "village"] = "pitched"

    # underground floor area and the part in use (calibrated to ~40 % overall)
    has_basement = np.select(
        [era == "new", era == "mid", era == "old", np.isin(use, ("office", "commercial", "health")), np.isin(use, ("education", "culture", "sports", "public_service"))],
        [rng.random(n) < 1.0, rng.random(n) < 0.6, rng.random(n) < 0.3, rng.random(n) < 1.0, rng.random(n) < 0.4],
        default=False,
    )
    has_basement &= use != "ancillary"
    levels = np.where((era == "new") | np.isin(use, ("office", "commercial")), rng.integers(1, 3, n), 1)
    ug_area = np.round(np.where(has_basement, footprint * levels, 0.0))
    share = np.select([np.isin(use, ("office", "commercial", "health")), era == "new"], [rng.uniform(0.5, 0.9, n), rng.uniform(0.3, 0.7, n)], rng.uniform(0.05, 0.5, n))
    for _ in range(4):
        used = np.minimum(ug_area, ug_area * share)
        share = share * (TARGET_UNDERGROUND_USE * ug_area.sum() / used.sum())
    ug_used = np.round(np.minimum(ug_area, ug_area * share))

    # ---- communities: population from residential floor area
    res_gfa = pd.Series(gfa * (use == "residential")).groupby(bld["_comm"].to_numpy()).sum()
    comm_rows = []
    for ci, comm in enumerate(d.communities):
        floor_area = res_gfa.get(ci, 0.0)
        # crowding (shared rentals) keeps the smaller communities above the lower bound,
        # larger flats keep the biggest below the upper one
        per_person = min(rng.uniform(*PERSON_FLOOR_AREA), floor_area / rng.uniform(POPULATION_RANGE[0], POPULATION_RANGE[0] * 1.1))
        per_person = max(per_person, floor_area / rng.uniform(POPULATION_RANGE[1] * 0.92, POPULATION_RANGE[1]))
        pop = int(np.clip(floor_area / per_person, *POPULATION_RANGE))
        comm_rows.append(
            {
                "_b": comm["_b"],
                "_geom": comm["_geom"],
                "community_id": comm["community_id"],
                "name": comm["name"],
                "subdistrict": comm["subdistrict"],
                "population": pop,
                "households": round(pop / rng.uniform(*HOUSEHOLD_SIZE)),
                "elderly_population": round(pop * rng.uniform(*ELDERLY_SHARE)),
                "resident_workers": round(pop * rng.uniform(*WORKER_SHARE)),
            }
        )
    workers = sum(row["resident_workers"] for row in comm_rows)

    # ---- jobs, calibrated to the target job-housing ratio
    rate = {"office": 1 / 25, "commercial": 1 / 40, "industrial": 1 / 90, "warehouse": 1 / 250, "education": 1 / 60, "health": 1 / 35, "culture": 1 / 150, "sports": 1 / 300, "public_service": 1 / 50, "municipal": 1 / 200}
    raw_jobs = gfa * np.array([rate.get(u, 0.0) for u in use]) * np.maximum(occupancy, 0.0)
    raw_jobs[(use == "ancillary") & (bld["subtype"].to_numpy() == "office") & (status != "idle")] = 3.0
    employees = np.round(raw_jobs * TARGET_JOBS_PER_WORKER * workers / raw_jobs.sum())

    bld["year_built"] = year
    bld["status"] = status
    bld["occupancy_ratio"] = occupancy
    bld["roof"] = roof
    bld["underground_area_m2"] = ug_area.astype(float)
    bld["underground_used_m2"] = ug_used.astype(float)
    bld["employees"] = employees.astype(float)
    bld["_geom"] = shapely.box(bld["s0"].to_numpy(), bld["t0"].to_numpy(), bld["s1"].to_numpy(), bld["t1"].to_numpy())

    # ---- layers
    blocks = _layer(
        [{"_b": b, "_geom": d.block_outline(b), **{k: blk[k] for k in ("block_id", "name", "subdistrict")}} for b, blk in enumerate(d.blocks)],
        ["block_id", "name", "subdistrict"],
        d,
    )
    communities = _layer(comm_rows, ["community_id", "name", "subdistrict", "population", "households", "elderly_population", "resident_workers"], d)

    roads_raw = d.node_roads()
    roads_raw["status"] = d.road_status(roads_raw)
    roads_raw["_b"] = -1
    roads = _layer(roads_raw, ["road_id", "name", "class", "status", "width_m"], d, "R", "road_id")

    buildings = _layer(bld, ["building_id", "use", "subtype", "floors", "year_built", "status", "occupancy_ratio", "roof", "underground_area_m2", "underground_used_m2", "employees"], d, "B", "building_id")

    parcels = pd.DataFrame(d.parcels)
    parcel_geoms = d.to_crs(parcels["_geom"].to_numpy(), parcels["_b"].to_numpy())
    parcel_area = shapely.area(parcel_geoms)
    built_gfa = pd.Series(shapely.area(buildings.geometry.to_numpy()) * buildings["floors"].to_numpy()).groupby(bld["_parcel"].to_numpy()).sum()
    built_far = np.round(built_gfa.reindex(range(len(parcels)), fill_value=0.0).to_numpy() / parcel_area, 2)
    permitted = []
    planned_far = {"A33": 1.2, "A5": 2.0, "G1": 0.05, "R2": 2.5, "B2": 3.0, "A6": 1.5, "S4": 0.8}
    for far, rule in zip(built_far, parcels["_far"], strict=True):
        kind = rule[0]
        if kind == "fixed":
            permitted.append(rule[1])
        elif kind == "fixed_permitted":
            permitted.append(max(rule[1], far))
        elif kind == "plus":
            permitted.append(round(far + rng.uniform(rule[1], rule[2]), 1))
        elif kind == "scale":
            permitted.append(max(far, round(far * rng.uniform(rule[1], rule[2]), 1)))
        elif kind == "range":
            permitted.append(round(rng.uniform(rule[1], rule[2]), 1))
        elif kind == "planned":
            permitted.append(planned_far[rule[1]])
        elif kind == "equal":  # built out to the plan
            permitted.append(far)
        else:
            permitted.append(np.nan)
    parcels["permitted_far"] = np.asarray(permitted, dtype=float)
    parcels["built_far"] = built_far
    parcels["parcel_id"] = [f"{d.blocks[b]['block_id']}-{k:03d}" for b, k in zip(parcels["_b"], parcels.groupby("_b").cumcount() + 1, strict=True)]
    parcels = gpd.GeoDataFrame(parcels[["parcel_id", "land_use", "status", "permitted_far", "built_far"]], geometry=parcel_geoms, crs=EPSG)

    green = _layer(d.green, ["green_id", "name", "kind", "quality"], d, "G", "green_id")

    # ---- transport points on the grid roads: rail stations, bus stops, on-street parking
    v = d.vertices
    for k, (i, j) in enumerate(((1, 2), (2, 2), (3, 3))):
        d.add_facility(-1, shapely.Point(v[i, j][0] + 45.0, v[i, j][1] + 45.0), "rail_station", ("回龙观东大街站", "育知路站", "天通苑北站")[k])
    built_grid = roads_raw[(roads_raw["class"].isin(["arterial", "secondary"])) & (roads_raw["status"] == "built")]
    groups = built_grid.groupby("_group", sort=False)
    names = {}
    for group, rows in groups:
        klass = rows["class"].iloc[0]
        if klass == "secondary" and rng.random() < 0.45:
            continue
        coords = np.vstack([shapely.get_coordinates(g) for g in rows["_geom"]])
        start, end = coords[0], coords[-1]
        length = float(np.hypot(*(end - start)))
        direction = (end - start) / length
        normal = np.array([-direction[1], direction[0]])
        half = rows["width_m"].iloc[0] / 2 + 3.0
        for m, dist in enumerate(np.arange(rng.uniform(120.0, 260.0), length - 80.0, rng.uniform(480.0, 620.0))):
            side = 1 if m % 2 == 0 else -1
            pt = start + direction * dist + normal * half * side
            road_name = rows["name"].iloc[0]
            names[road_name] = names.get(road_name, 0) + 1
            d.add_facility(-1, shapely.Point(*pt), "bus_stop", f"{road_name}{names[road_name]}号公交站")
    branch = roads_raw[(roads_raw["class"] == "branch") & (roads_raw["status"] == "built")]
    for _, row in branch.iloc[rng.permutation(len(branch))[:24]].iterrows():
        coords = shapely.get_coordinates(row["_geom"])
        mid = coords.mean(axis=0)
        direction = (coords[1] - coords[0]) / max(1e-9, float(np.hypot(*(coords[1] - coords[0]))))
        pt = mid + np.array([-direction[1], direction[0]]) * (row["width_m"] / 2 - 2.0)
        d.add_parking(-1, shapely.Point(*pt), f"{row['name']}路侧停车", rng.integers(20, 70), "public")

    facilities = _layer(d.facilities, ["facility_id", "name", "category", "beds", "seats", "floor_area_m2", "land_area_m2"], d, "F", "facility_id")
    # schools: land area = their parcel
    school = facilities["category"].isin(["primary_school", "middle_school"])
    facilities.loc[school, "land_area_m2"] = np.round(shapely.area(facilities.geometry[school].to_numpy()))
    parking = _layer(d.parking, ["parking_id", "name", "spaces", "access"], d, "P", "parking_id")

    for frame, field in ((communities, "population"), (communities, "households"), (communities, "elderly_population"), (communities, "resident_workers"), (buildings, "floors"), (buildings, "year_built"), (parking, "spaces")):
        frame[field] = frame[field].astype("int64")

    layers = {
        "blocks": blocks,
        "communities": communities,
        "roads": roads,
        "green": green,
        "facilities": facilities,
        "buildings": buildings,
        "parcels": parcels,
        "parking": parking,
    }
    surveys = _surveys(d, layers, rng)
    return layers, surveys


# ------------------------------------------------------------ surveys -------


def _surveys(d: _District, layers: dict[str, gpd.GeoDataFrame], rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Demand list (图3) and vision list (图4), one or more rows per community.

    Needs follow the data where it has a say (missing culture room, many elderly,
    poor attached green, old compounds, few parking spaces), with some noise.
    """
    comm = layers["communities"]
    fac = layers["facilities"]
    green = layers["green"]
    parking = layers["parking"]
    buildings = layers["buildings"]

    def per_comm(frame: gpd.GeoDataFrame) -> pd.Series:
        pts = frame.geometry.representative_point().to_numpy()
        pt_idx, comm_idx = comm.sindex.query(pts, predicate="within")
        return pd.Series(comm_idx, index=pt_idx).reindex(range(len(frame)))

    fac_comm = per_comm(fac)
    green_comm = per_comm(green)
    park_comm = per_comm(parking)
    bld_comm = per_comm(buildings)
    demand_rows, vision_rows = [], []
    for ci, row in comm.iterrows():
        cats = set(fac.loc[fac_comm == ci, "category"])
        poor = (green.loc[green_comm == ci, "quality"] == "poor").any()
        parks = (green.loc[green_comm == ci, "kind"] == "park").any()
        res = buildings[(bld_comm == ci).to_numpy() & (buildings["use"] == "residential").to_numpy()]
        old = (res["year_built"] <= 2002).mean() > 0.5 if len(res) else False
        spaces = parking.loc[park_comm == ci, "spaces"].sum()

        services = []
        if "culture" not in cats or rng.random() < 0.25:
            services.append("文化活动室")
        if "sports" not in cats and rng.random() < 0.6:
            services.append("健身器材与场地")
        if row["elderly_population"] / row["population"] > 0.175 or ("elderly_day_care" not in cats and rng.random() < 0.4):
            services.append("养老")
        if "clinic" not in cats and rng.random() < 0.5:
            services.append("医疗")
        if "kindergarten" not in cats and rng.random() < 0.6:
            services.append("教育")
        if old and rng.random() < 0.3:
            services.append("管理")
        space = []
        if poor:
            space.append("绿地维护")
        if not parks and rng.random() < 0.6:
            space.append("增加绿地")
        if rng.random() < 0.3:
            space.append(str(rng.choice(("活动广场", "健身步道", "活动场地"))))
        municipal = []
        if old:
            for need, prob in (("排水", 0.35), ("水压", 0.2), ("电力", 0.15), ("供热", 0.25)):
                if rng.random() < prob:
                    municipal.append(need)
        traffic = []
        if spaces < 0.25 * row["households"] or rng.random() < 0.6:
            traffic.append("停车位不足")
        if rng.random() < 0.3:
            traffic.append("充电桩")
        if old and rng.random() < 0.45:
            traffic.append("社区道路改造")
        demand_rows.append([row["subdistrict"], row["name"]] + ["、".join(x) if x else NONE_MARK for x in (services, space, municipal, traffic)])
        for k in rng.choice(len(VISIONS), size=int(rng.integers(1, 4)), replace=False):
            vision_rows.append([row["subdistrict"], row["name"], VISIONS[k]])
    return {
        DEMAND_CSV: pd.DataFrame(demand_rows, columns=list(DEMAND_HEADERS)),
        VISION_CSV: pd.DataFrame(vision_rows, columns=list(VISION_HEADERS)),
    }


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (opens in Excel), LF line ends, every field as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    writer.writerows(frame.astype(str).itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8-sig")


# ------------------------------------------------------------ summary -------


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
    expandable = cat.isin(expandable_cats).to_numpy() & fac_parcel.notna().to_numpy() & headroom[fac_parcel.fillna(0).astype(int).to_numpy()]

    res = bld[bld["use"] == "residential"]
    stops = fac[cat == "bus_stop"]
    dist = np.full(len(res), np.inf)
    if len(stops):
        _, nearest = stops.sindex.nearest(res.geometry.centroid, return_distance=True, return_all=False)
        dist = nearest
    idle_room = (bld["use"] == "ancillary") & bld["subtype"].isin(["boiler_room", "bike_shed", "office"]) & (bld["status"] == "idle")
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
        "school_land_m2_per_1000": round(fac.loc[cat.isin(["primary_school", "middle_school"]), "land_area_m2"].sum() / per_k),
        "medical_beds_per_1000": round(fac.loc[cat.isin(["hospital", "community_health_center", "clinic"]), "beds"].sum() / per_k, 2),
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
        "industrial_land_share": round(parcels.loc[parcels["land_use"].str.startswith("M")].area.sum() / parcels.area.sum(), 3),
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


# ------------------------------------------------------------ output --------


def build(out_dir: str | Path = HERE, seed: int = SEED) -> dict[str, float]:
    """Generate the district and write the GeoPackage and the two CSVs into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layers, surveys = generate(seed)
    with warnings.catch_warnings():  # GDAL dislikes the temporary file's ".tmp" extension
        warnings.filterwarnings("ignore", message=".*(extension|file extension).*", category=RuntimeWarning)
        write_gpkg(out_dir / GPKG_NAME, layers)
    for name, frame in surveys.items():
        (out_dir / name).write_bytes(_csv_bytes(frame))
    return summarize(layers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: next to this script)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED}; other seeds are untested)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = build(args.out, args.seed)
    elapsed = time.perf_counter() - started
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    sizes = {name: (args.out / name).stat().st_size for name in (GPKG_NAME, DEMAND_CSV, VISION_CSV)}
    for name, size in sizes.items():
        print(f"{name:<{width}}  {size / 1024:.0f} KiB")
    print(f"{'total size':<{width}}  {sum(sizes.values()) / 1024 / 1024:.2f} MiB")
    print(f"{'generation time':<{width}}  {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
