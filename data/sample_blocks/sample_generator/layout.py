"""Layout of the district: the jittered grid, blocks, road-bounded cells and communities.

Each block has its own block-local frame (0..width, 0..height metres) mapped
bilinearly onto its jittered quadrilateral; cells are the rectangles between the
branch roads of that frame. `allocate` decides what each cell is used for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Transformer

from .assumptions import (
    BRANCH_POSITION_JITTER_SHARE,
    BRANCH_WIDTHS_M,
    CENTRE_LONLAT,
    COL_WIDTHS_M,
    COMMUNITY_PARTS,
    COMMUNITY_SUFFIXES,
    CORNER_PROGRAMMES,
    CORNER_SECOND_ROUND_PROB,
    EPSG,
    EW_BRANCHES,
    FULL_PROGRAMMES,
    GRID_ROADS_EW,
    GRID_ROADS_NS,
    INDUSTRIAL_SUBDISTRICTS,
    JITTER_MAX_M,
    JITTER_SD_M,
    MAX_SPECIAL_CELLS_PER_BLOCK,
    NS_BRANCHES,
    QUADRANTS,
    ROW_HEIGHTS_M,
    SLICE_PROGRAMMES,
)

if TYPE_CHECKING:
    from .district import District


def anchor_offset() -> np.ndarray:
    """EPSG:4548 coordinates of the district's south-west nominal corner (whole metres)."""
    to_gk = Transformer.from_crs(4490, EPSG, always_xy=True)  # CGCS2000 geographic → GK CM 117E
    east, north = to_gk.transform(*CENTRE_LONLAT)
    return np.array([round(east - sum(COL_WIDTHS_M) / 2), round(north - sum(ROW_HEIGHTS_M) / 2)], dtype=float)


def bilinear(corners: np.ndarray, width: float, height: float):
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


def _branch_cuts(length: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions 0, the n branch roads (about evenly spaced) and `length` along a block side."""
    jitter = rng.uniform(-BRANCH_POSITION_JITTER_SHARE, BRANCH_POSITION_JITTER_SHARE, n)
    return length * np.concatenate([[0.0], np.arange(1, n + 1) / (n + 1) + jitter, [1.0]])


def make_grid(d: District) -> None:
    """Jittered grid vertices, the 16 blocks, their communities and cells."""
    rng = d.rng
    xs = np.concatenate([[0.0], np.cumsum(COL_WIDTHS_M)])
    ys = np.concatenate([[0.0], np.cumsum(ROW_HEIGHTS_M)])
    jitter = np.clip(rng.normal(0.0, JITTER_SD_M, size=(5, 5, 2)), -JITTER_MAX_M, JITTER_MAX_M)
    d.vertices = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1) + jitter  # [i, j] = (x, y)
    # branch-road positions, shared by all blocks of a column (N-S) or row (E-W) so that
    # branch roads continue across the grid roads
    d.col_s = [_branch_cuts(w, n, rng) for w, n in zip(COL_WIDTHS_M, NS_BRANCHES, strict=True)]
    d.row_t = [_branch_cuts(h, n, rng) for h, n in zip(ROW_HEIGHTS_M, EW_BRANCHES, strict=True)]
    d.col_bw = [rng.choice(BRANCH_WIDTHS_M, n) for n in NS_BRANCHES]
    d.row_bw = [rng.choice(BRANCH_WIDTHS_M, n) for n in EW_BRANCHES]

    for sub_name, prefix, cols, rows, bases in QUADRANTS:
        for k, (r, c) in enumerate([(rows[1], cols[0]), (rows[1], cols[1]), (rows[0], cols[0]), (rows[0], cols[1])]):
            v = d.vertices
            corners = np.array([v[c, r], v[c + 1, r], v[c + 1, r + 1], v[c, r + 1]])
            d.blocks.append(
                {
                    "block_id": f"{prefix}{k + 1:02d}",
                    "name": f"{bases[k]}街区",
                    "subdistrict": sub_name,
                    "c": c,
                    "r": r,
                    "base": bases[k],
                    "corners": corners,
                }
            )
            d.transforms.append(bilinear(corners, COL_WIDTHS_M[c], ROW_HEIGHTS_M[r]))

    for b, block in enumerate(d.blocks):
        _communities_and_cells(d, b, block)


def _communities_and_cells(d: District, b: int, block: dict) -> None:
    c, r = block["c"], block["r"]
    s_cuts, t_cuts = d.col_s[c], d.row_t[r]
    parts = COMMUNITY_PARTS[c]
    first = len(d.communities)
    for k, part in enumerate(parts):
        d.communities.append(
            {
                "community_id": f"{block['block_id']}-SQ{k + 1}",
                "name": f"{block['base']}{COMMUNITY_SUFFIXES[len(parts)][k]}社区",
                "subdistrict": block["subdistrict"],
                "_b": b,
                "_geom": shapely.union_all(
                    [shapely.box(s_cuts[p], t_cuts[q], s_cuts[p + 1], t_cuts[q + 1]) for p, q in part]
                ).normalize(),
                "_cells": [],
            }
        )
    for p in range(len(s_cuts) - 1):
        for q in range(len(t_cuts) - 1):
            comm = first + next(k for k, part in enumerate(parts) if (p, q) in part)
            sides = {
                "L": (GRID_ROADS_NS[c][0], GRID_ROADS_NS[c][1]) if p == 0 else ("branch", d.col_bw[c][p - 1]),
                "R": (GRID_ROADS_NS[c + 1][0], GRID_ROADS_NS[c + 1][1])
                if p == len(s_cuts) - 2
                else ("branch", d.col_bw[c][p]),
                "B": (GRID_ROADS_EW[r][0], GRID_ROADS_EW[r][1]) if q == 0 else ("branch", d.row_bw[r][q - 1]),
                "T": (GRID_ROADS_EW[r + 1][0], GRID_ROADS_EW[r + 1][1])
                if q == len(t_cuts) - 2
                else ("branch", d.row_bw[r][q]),
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
            cell["idx"] = len(d.cells)
            d.communities[comm]["_cells"].append(cell["idx"])
            d.cells.append(cell)


def allocate(d: District) -> None:
    """Give cells their programmes: whole-cell uses, slices and corner plots."""
    rng = d.rng
    special_in_comm = np.zeros(len(d.communities), dtype=int)
    special_in_block = np.zeros(len(d.blocks), dtype=int)
    size = np.array([len(comm["_cells"]) for comm in d.communities], dtype=float)
    rank = np.empty(len(d.cells), dtype=int)
    rank[rng.permutation(len(d.cells))] = np.arange(len(d.cells))

    def eligible(programme: str, cell: dict) -> bool:
        block = d.blocks[cell["_b"]]
        arterial = "arterial" in cell["sides"].values()
        if programme == "industrial":
            return block["subdistrict"] in INDUSTRIAL_SUBDISTRICTS
        if programme in ("commercial", "office", "hospital", "transport"):
            return arterial
        if programme == "park":
            return not cell["south_edge"]
        return True

    def pick(candidates: list[int], load: np.ndarray) -> int:
        # the community with the least non-residential load per cell, then random order
        return min(candidates, key=lambda i: ((load[d.cells[i]["comm"]] + 1) / size[d.cells[i]["comm"]], rank[i]))

    for programme, count in FULL_PROGRAMMES:
        for _ in range(count):
            candidates = [
                i
                for i, cell in enumerate(d.cells)
                if cell["prog"] == "residential"
                and special_in_block[cell["_b"]] < MAX_SPECIAL_CELLS_PER_BLOCK
                and eligible(programme, cell)
            ]
            if not candidates:
                raise RuntimeError(f"could not place {count} {programme} cells")
            cell = d.cells[pick(candidates, special_in_comm)]
            cell["prog"] = programme
            special_in_comm[cell["comm"]] += 1
            special_in_block[cell["_b"]] += 1

    load = special_in_comm * 3  # a slice takes about a third of a cell
    schools = np.zeros(len(d.communities), dtype=int)
    for programme, count, _use, _area in SLICE_PROGRAMMES:
        for _ in range(count):
            candidates = [
                i
                for i, cell in enumerate(d.cells)
                if cell["prog"] == "residential"
                and cell["slice"] is None
                and not (programme.endswith("school") and schools[cell["comm"]])
            ]
            cell = d.cells[pick(candidates, load / 3)]
            cell["slice"] = programme
            load[cell["comm"]] += 1
            schools[cell["comm"]] += programme.endswith("school")

    corner_jobs = [name for name, count in CORNER_PROGRAMMES for _ in range(count)]
    corner_jobs = [corner_jobs[i] for i in rng.permutation(len(corner_jobs))]
    order = [i for i in rng.permutation(len(d.cells)) if d.cells[i]["prog"] == "residential"]
    j = 0
    for round_ in range(2):
        for idx in order:
            if j == len(corner_jobs):
                break
            if round_ == 1 and rng.random() < CORNER_SECOND_ROUND_PROB:
                continue
            d.cells[idx]["corners"].append(corner_jobs[j])
            j += 1


def block_outline(d: District, b: int):
    """Block polygon in local metres with a vertex wherever a branch road meets its edge.

    Neighbouring blocks and the communities inside compute these points with the same
    arithmetic, so after rounding they share vertices exactly (a clean coverage).
    """
    block = d.blocks[b]
    s_cuts, t_cuts = d.col_s[block["c"]], d.row_t[block["r"]]
    width, height = COL_WIDTHS_M[block["c"]], ROW_HEIGHTS_M[block["r"]]
    ring = (
        [(s, 0.0) for s in s_cuts[:-1]]
        + [(width, t) for t in t_cuts[:-1]]
        + [(s, height) for s in s_cuts[:0:-1]]
        + [(0.0, t) for t in t_cuts[:0:-1]]
    )
    return shapely.Polygon(ring)
