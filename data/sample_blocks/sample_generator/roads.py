"""Roads: grid roads on the block edges, branch roads inside the blocks, junctions, status.

Internal compound roads are added by `buildings.residential`; `node_roads` splits
every segment where another road ends on it so that junctions are shared vertices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from .assumptions import (
    GRID_ROADS_EW,
    GRID_ROADS_NS,
    TARGET_ROAD_IMPLEMENTATION,
    UNBUILT_GRID_SEGMENTS,
    UNDER_CONSTRUCTION_EVERY,
)

if TYPE_CHECKING:
    from .district import District

NUMERALS = "一二三四"  # branch road names: <block>一路 / <block>一街 …


def make_roads(d: District) -> None:
    """Grid roads (district metres, one segment per block edge) and branch roads (block-local)."""
    v = d.vertices
    for i, (klass, width, name) in enumerate(GRID_ROADS_NS):
        for j in range(4):
            d.add_road(-1, v[i, j], v[i, j + 1], name, klass, width, f"V{i}-{j}")
    for j, (klass, width, name) in enumerate(GRID_ROADS_EW):
        for i in range(4):
            d.add_road(-1, v[i, j], v[i + 1, j], name, klass, width, f"H{j}-{i}")
    for b, block in enumerate(d.blocks):
        c, r = block["c"], block["r"]
        s_cuts, t_cuts = d.col_s[c], d.row_t[r]
        for k in range(1, len(s_cuts) - 1):
            for q in range(len(t_cuts) - 1):
                d.add_road(
                    b,
                    (s_cuts[k], t_cuts[q]),
                    (s_cuts[k], t_cuts[q + 1]),
                    f"{block['base']}{NUMERALS[k - 1]}路",
                    "branch",
                    d.col_bw[c][k - 1],
                    f"b{b}-s{k}-{q}",
                )
        for k in range(1, len(t_cuts) - 1):
            for p in range(len(s_cuts) - 1):
                d.add_road(
                    b,
                    (s_cuts[p], t_cuts[k]),
                    (s_cuts[p + 1], t_cuts[k]),
                    f"{block['base']}{NUMERALS[k - 1]}街",
                    "branch",
                    d.row_bw[r][k - 1],
                    f"b{b}-t{k}-{p}",
                )


def node_roads(d: District) -> pd.DataFrame:
    """Split road segments where another road ends on them, so junctions are shared vertices."""
    lines = shapely.linestrings([r["coords"] for r in d.raw_roads])
    ends = np.concatenate([r["coords"] for r in d.raw_roads])
    tree = shapely.STRtree(lines)
    pts = shapely.points(ends)
    p_idx, l_idx = tree.query(pts, predicate="dwithin", distance=1e-6)
    rows = []
    splits: dict[int, list[int]] = {}
    for p, line in zip(p_idx, l_idx, strict=True):
        coords = d.raw_roads[line]["coords"]
        if np.min(np.abs(coords - ends[p]).sum(axis=1)) > 1e-6:
            splits.setdefault(int(line), []).append(int(p))
    for n, road in enumerate(d.raw_roads):
        coords = road["coords"]
        cut = splits.get(n, [])
        if cut:
            extra = np.unique(ends[cut], axis=0)
            along = (extra - coords[0]) @ (coords[1] - coords[0])
            coords = np.vstack([coords[:1], extra[np.argsort(along)], coords[1:]])
        for a, b in zip(coords[:-1], coords[1:], strict=True):
            rows.append(
                {
                    "_geom": shapely.linestrings([a, b]),
                    "name": road["name"],
                    "class": road["class"],
                    "width_m": road["width_m"],
                    "_group": road["_group"],
                }
            )
    roads = pd.DataFrame(rows)
    roads["_len"] = shapely.length(roads["_geom"].to_numpy())
    return roads


def road_status(d: District, roads: pd.DataFrame) -> pd.Series:
    """Built / planned / under construction so that the implementation ratio is about 81 %."""
    status = pd.Series("built", index=roads.index, dtype=object)
    for group, unbuilt_status in UNBUILT_GRID_SEGMENTS.items():
        status[roads["_group"] == group] = unbuilt_status
    city = roads["class"] != "internal"
    target = (1 - TARGET_ROAD_IMPLEMENTATION) * roads.loc[city, "_len"].sum()
    unbuilt = roads.loc[status != "built", "_len"].sum()
    groups = roads.loc[roads["class"] == "branch", "_group"].drop_duplicates().to_numpy()
    group_len = roads.groupby("_group")["_len"].sum()
    chosen = []
    for g in groups[d.rng.permutation(len(groups))]:
        if unbuilt >= target:
            break
        chosen.append(g)
        unbuilt += group_len[g]
    for n, g in enumerate(chosen):
        status[roads["_group"] == g] = (
            "under_construction" if n % UNDER_CONSTRUCTION_EVERY == UNDER_CONSTRUCTION_EVERY - 1 else "planned"
        )
    return status


def road_quality(roads: pd.DataFrame) -> pd.Series:
    """Street quality (good / fair / poor) of built branch and internal roads, None for the others.

    Deterministic from the segment's position (no random draw, so the other layers do not
    change): every 9th such segment is poor (街道品质较差), every 4th fair, the rest good.
    """
    quality = pd.Series(None, index=roads.index, dtype=object)
    street = (roads["status"] == "built") & roads["class"].isin(["branch", "internal"])
    position = np.cumsum(street.to_numpy()) - 1
    quality[street] = np.where(position[street] % 9 == 0, "poor", np.where(position[street] % 4 == 0, "fair", "good"))
    return quality
