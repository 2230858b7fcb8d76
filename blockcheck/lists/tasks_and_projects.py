"""Step 4: the task list (任务清单, 图7) and the project list (项目清单, 图8).

Tasks summarise per block what is to be built: the three facilities (三大设施:
public service, municipal and transport facilities, from the gap–resource
allocation), roads (unbuilt planned roads), green (green upgrades and pocket
spaces) and other works. Projects are the sites behind them, scored for
priority, phased, and registered (入库) in the life cycle.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources as _res

import geopandas as gpd
import numpy as np
import pandas as pd

from .amounts import format_amount, whole_units

__all__ = ["build_project_list", "build_task_list", "project_settings"]

TASK_TYPES = ("三大设施", "道路", "绿化", "其他")
# which strategies a task type carries (其他: every strategy not named by the other types)
_TASK_STRATEGIES = {
    "三大设施": {"use_idle_rooms", "convert_low_efficiency", "expand_facilities", "use_underground", "new_land_first", "mixed_use", "municipal_upgrade"},
    "道路": {"complete_network", "open_blocks", "cycling", "time_shared_parking", "off_peak_sharing"},
    "绿化": {"upgrade_green", "pocket_spaces", "vertical_green", "ecological_activity", "sponge"},
    "其他": None,
}
_TASK_KEYS_USED = set().union(*(v for v in _TASK_STRATEGIES.values() if v))
LIFE_CYCLE = ("registered", "adjusted", "implementing", "done")


@cache
def project_settings() -> dict:
    """``data/projects.toml``: domains, authorities, priority weights, phases."""
    return tomllib.loads(_res.files("blockcheck").joinpath("data/projects.toml").read_text("utf-8"))


def _unbuilt_roads(roads: gpd.GeoDataFrame | None, blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Planned or under-construction public roads, each assigned to the block holding most of it."""
    if roads is None or roads.empty:
        return gpd.GeoDataFrame({"block_id": [], "road_id": [], "name": [], "class": [], "length_m": [], "land_m2": []}, geometry=[], crs=blocks.crs)
    settings = project_settings()["roads"]
    todo = roads[(roads["status"] != "built") & (roads["class"] != "internal")].copy()
    if todo.empty:
        return _unbuilt_roads(None, blocks)
    zones = gpd.GeoDataFrame({"block_id": blocks.index.astype(str)}, geometry=blocks.geometry.to_numpy(), crs=blocks.crs)
    pieces = gpd.overlay(todo.reset_index(names="_road")[["_road", "geometry"]], zones, how="intersection", keep_geom_type=True)
    pieces["length_m"] = pieces.length
    best = pieces.sort_values("length_m", ascending=False).drop_duplicates("_road").set_index("_road")["block_id"]
    todo["block_id"] = best.reindex(todo.index)
    todo = todo[todo["block_id"].notna()]
    width = todo["width_m"].astype("float64") if "width_m" in todo else pd.Series(np.nan, index=todo.index)
    width = width.fillna(todo["class"].map(settings["default_width_m"])).fillna(15.0)
    todo["length_m"] = todo.length
    todo["land_m2"] = todo["length_m"] * width
    if "road_id" not in todo:
        todo["road_id"] = todo.index.astype(str)
    # one entry per named road and block (roads arrive split at every junction)
    todo["name"] = todo["name"].where(todo["name"].notna() & (todo["name"].astype(str) != ""), None) if "name" in todo else None
    todo["_group"] = todo["block_id"].astype(str) + "|" + todo["name"].fillna("#" + todo["road_id"].astype(str)).astype(str)
    grouped = todo.dissolve(by="_group", aggfunc={"block_id": "first", "road_id": "min", "name": "first", "class": "first", "length_m": "sum", "land_m2": "sum"})
    return grouped.reset_index(drop=True)


def build_task_list(
    blocks: gpd.GeoDataFrame,
    allocation: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    strategies: pd.DataFrame,
    roads: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    """Tasks per block in the 图7 layout.

    Returns
    -------
    pandas.DataFrame
        ``block_id``, ``task_type`` (三大设施 / 道路 / 绿化 / 其他), ``land_area_ha``,
        ``contents`` (e.g. ``教育设施 3 处，养老设施 8 处``; ``——`` for none),
        ``strategy_codes``; four rows per block that has any task.

    Notes
    -----
    三大设施: resources allocated to the block's facility gaps, counted per facility
    kind, land = the land area of the land resources used (ha). 道路: planned
    public roads not yet built, land = length × right-of-way width. 绿化: low-
    quality green spaces to upgrade and idle sites for pocket spaces (when the
    block's strategies include 【绿化提质】 / 【见缝插绿】). 其他: roofs and
    underground space when 【开放屋顶】 / 【盘活地下】 were proposed.
    """
    domains = project_settings()["domains"]
    res = resources.set_index("resource_id") if not resources.empty else resources
    rows = []
    chosen = strategies.groupby("block_id")["strategy_key"].agg(set) if not strategies.empty else pd.Series(dtype=object)
    def codes_for(block_id: str, keys: set[str] | None) -> str:
        if strategies.empty:
            return ""
        hit = strategies[(strategies["block_id"] == block_id) & (strategies["strategy_key"].isin(keys) if keys else ~strategies["strategy_key"].isin(_TASK_KEYS_USED))]
        return "".join(dict.fromkeys(hit["code"]))
    roads_todo = _unbuilt_roads(roads, blocks)
    for block_id in blocks.index:
        alloc = allocation[allocation["block_id"] == block_id] if not allocation.empty else allocation
        facilities_text, land_ha = "——", 0.0
        if not alloc.empty:
            labels = alloc["provision_key"].map(lambda k: domains.get(k, {}).get("task_label", k))
            counts = alloc.assign(label=labels).groupby("label", sort=False)["resource_id"].nunique()
            facilities_text = "，".join(f"{label} {n} 处" for label, n in counts.items())
            used = res.reindex(alloc["resource_id"].unique())
            land_ha = float(used.loc[used["family"] == "land", "land_area_m2"].fillna(0).sum()) / 1e4
        road = roads_todo[roads_todo["block_id"] == block_id]
        road_text = f"规划道路 {len(road)} 条，共 {format_amount(road['length_m'].sum() / 1000, 'km', sep=' ')}" if len(road) else "——"
        picked = chosen.get(block_id, set())
        block_res = res[res["block_id"] == block_id] if not resources.empty else res
        green_parts, green_m2 = [], 0.0
        if "upgrade_green" in picked:
            low = block_res[block_res["category"] == "low_quality_space"]
            if len(low):
                green_parts.append(f"低品质绿地提质 {len(low)} 处")
                green_m2 += float(low["land_area_m2"].fillna(0).sum())
        if "pocket_spaces" in picked:
            sites = block_res[block_res["category"] == "idle_site"]
            if len(sites):
                green_parts.append(f"口袋公园 {len(sites)} 处")
                green_m2 += float(sites["land_area_m2"].fillna(0).sum())
        other_parts = []
        if "open_roofs" in picked and (block_res["category"] == "roof").any():
            other_parts.append(f"屋顶开放 {int((block_res['category'] == 'roof').sum())} 处")
        if "use_underground" in picked and (block_res["category"] == "underground").any():
            other_parts.append(f"地下空间利用 {int((block_res['category'] == 'underground').sum())} 处")
        entries = [
            ("三大设施", land_ha, facilities_text),
            ("道路", float(road["land_m2"].sum()) / 1e4, road_text),
            ("绿化", green_m2 / 1e4, "，".join(green_parts) or "——"),
            ("其他", 0.0, "，".join(other_parts) or "——"),
        ]
        if all(text == "——" for _, _, text in entries):
            continue
        rows += [{"block_id": block_id, "task_type": t, "land_area_ha": whole_units(a, "ha"), "contents": c, "strategy_codes": codes_for(block_id, _TASK_STRATEGIES[t])}
                 for t, a, c in entries]
    return pd.DataFrame(rows, columns=["block_id", "task_type", "land_area_ha", "contents", "strategy_codes"])


def _phase(score: pd.Series) -> tuple[pd.Series, pd.Series]:
    phases = project_settings()["phases"]
    rank = score.rank(ascending=False, method="first") / max(len(score), 1)
    bounds = np.cumsum([p["share"] for p in phases])
    idx = np.searchsorted(bounds, rank.to_numpy() - 1e-9)
    idx = np.clip(idx, 0, len(phases) - 1)
    return pd.Series([phases[i]["name"] for i in idx], index=score.index), pd.Series([phases[i]["year"] for i in idx], index=score.index)


def build_project_list(
    blocks: gpd.GeoDataFrame,
    allocation: pd.DataFrame,
    resources: gpd.GeoDataFrame,
    strategies: pd.DataFrame,
    demands: pd.DataFrame,
    gaps: pd.DataFrame,
    roads: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Projects (图8) with site geometry, priority, phase and life-cycle status.

    One project per resource used by the allocation (its site), per unbuilt
    planned road, and per low-quality green space of blocks where 【绿化提质】
    was proposed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``project_id`` (stable: from the resource or road id), ``number`` (序号),
        ``domain`` (领域), ``name`` (项目名称), ``authority`` (主管单位), ``unit``
        (项目单位), ``location`` (建设地点), ``block_id``, ``priority_score``
        (0–100), ``phase``, ``year``, ``status`` (``registered``), ``amount`` and
        ``amount_unit`` (capacity provided), ``strategy_ids``, ``problem_ids``,
        ``resource_ids``, geometry.

    Notes
    -----
    A project never carries a fraction of a facility: its amount is the
    allocation's sum rounded by :func:`blockcheck.lists.amounts.whole_units`
    (beds, seats and facilities up to a whole number ≥ 1; ha and km to 2
    decimals; m² whole), e.g. 22.49 hospital beds → 23, 0.28 elderly-care beds → 1.
    """
    cfg = project_settings()
    domains, weights, difficulty = cfg["domains"], cfg["priority"]["weights"], cfg["priority"]["difficulty"]
    names = blocks["name"].fillna(blocks.index.to_series()) if "name" in blocks else blocks.index.to_series()
    sub = blocks["subdistrict"].fillna("") if "subdistrict" in blocks else pd.Series("", index=blocks.index)
    res = resources.set_index("resource_id") if not resources.empty else resources
    demand_share = _demand_shares(demands, cfg["priority"]["demand_codes"])
    strat_ids = strategies.assign(sid="ST-" + strategies["block_id"] + "-" + strategies["strategy_key"]) if not strategies.empty else strategies
    records = []
    if not allocation.empty:
        # one project per block, gap and kind of resource (e.g. 3 idle rooms → elderly care)
        alloc = allocation.merge(res[["category", "block_id", "status"]].rename(columns={"block_id": "site_block"}), left_on="resource_id", right_index=True, how="left", suffixes=("", "_res"))
        cat = alloc["category_res"] if "category_res" in alloc else alloc["category"]
        alloc = alloc.assign(_cat=cat)
        for (block_id, key, category), part in alloc.groupby(["block_id", "provision_key", "_cat"], sort=True):
            d = domains.get(key, {"domain": "其他", "unit": "", "facility": key})
            gap = float(gaps.loc[block_id, f"gap_{key}"]) if f"gap_{key}" in gaps else np.nan
            amount = whole_units(float(part["amount"].sum()), key)  # whole beds, seats, facilities; ha to 0.01
            ids = sorted(part["resource_id"].unique())
            sites = res.loc[ids]
            confirmed = float((sites["status"] == "confirmed").mean()) if "status" in sites else 0.0
            what = _RESOURCE_WORD.get(category, category)
            records.append({
                "project_id": f"PJ-{block_id}-{key}-{category}", "domain": d["domain"], "unit": d["unit"],
                "name": f"{names[block_id]}利用{what}补充{d['facility']}" + (f"（{len(ids)}处）" if len(ids) > 1 else ""),
                "block_id": block_id, "site_block": sites["block_id"].mode().iloc[0] if sites["block_id"].notna().any() else block_id,
                "amount": amount, "amount_unit": key,
                "criteria": (demand_share.get((block_id, d["domain"]), 0.0), 0.5 + 0.5 * confirmed,
                             1.0 - difficulty.get(category, 0.5), min(1.0, amount / gap) if gap and gap > 0 else 0.0),
                "resource_ids": ",".join(ids), "geometry": _site_geometry(sites.geometry.to_numpy()), "kind": key,
            })
    for road in _unbuilt_roads(roads, blocks).itertuples():
        label = road.name if isinstance(road.name, str) and road.name else f"规划道路{road.road_id}"
        records.append({
            "project_id": f"PJ-road-{road.road_id}", "domain": cfg["roads"]["domain"], "unit": cfg["roads"]["unit"],
            "name": f"{label}（规划道路）建设", "block_id": road.block_id, "site_block": road.block_id,
            "amount": whole_units(road.length_m / 1000, "km"), "amount_unit": "road_km",
            "criteria": (demand_share.get((road.block_id, cfg["roads"]["domain"]), 0.0), 0.7, 1.0 - difficulty["road"], 1.0),
            "resource_ids": "", "geometry": road.geometry, "kind": "road",
        })
    if not strategies.empty and not resources.empty:
        greening = set(strategies.loc[strategies["strategy_key"] == "upgrade_green", "block_id"])
        low = res[(res["category"] == "low_quality_space") & res["block_id"].isin(greening) & (res.get("status") != "rejected")]
        used = {rec["resource_ids"] for rec in records}
        for rid, r in low[~low.index.isin(used)].iterrows():
            records.append({
                "project_id": f"PJ-{rid}", "domain": cfg["green"]["domain"], "unit": cfg["green"]["unit"],
                "name": f"{names[r['block_id']]}绿地提质", "block_id": r["block_id"], "site_block": r["block_id"],
                "amount": whole_units(float(r.get("land_area_m2") or 0.0), "m2"), "amount_unit": "green_m2",
                "criteria": (demand_share.get((r["block_id"], cfg["green"]["domain"]), 0.0), 0.7, 1.0 - difficulty["low_quality_space"], 1.0),
                "resource_ids": rid, "geometry": r.geometry, "kind": "green",
            })
    columns = ["project_id", "number", "domain", "name", "authority", "unit", "location", "block_id", "priority_score", "phase", "year",
               "status", "amount", "amount_unit", "strategy_ids", "problem_ids", "resource_ids"]
    if not records:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=blocks.crs)
    frame = pd.DataFrame(records)
    crit = np.array(frame["criteria"].tolist(), dtype=float)
    w = np.array([weights["demand_urgency"], weights["owner_willingness"], weights["ease"], weights["gap_closed"]])
    frame["priority_score"] = np.round(100.0 * crit @ w / w.sum(), 1)
    frame["phase"], frame["year"] = _phase(frame["priority_score"])
    frame["authority"] = cfg["authority"]["supervising"]
    frame["status"] = "registered"
    frame["location"] = [f"{sub.get(s, '')}{_block_word(names.get(s, s))}（{s}）内" for s in frame["site_block"]]
    frame["strategy_ids"] = [_related(strat_ids, b, k) for b, k in zip(frame["block_id"], frame["kind"], strict=True)]
    frame["problem_ids"] = [_problems_of(strategies, b, k) for b, k in zip(frame["block_id"], frame["kind"], strict=True)]
    frame = frame.sort_values(["domain", "priority_score", "project_id"], ascending=[True, False, True], kind="stable").reset_index(drop=True)
    frame["number"] = np.arange(1, len(frame) + 1)
    return gpd.GeoDataFrame(frame[columns], geometry=frame["geometry"].tolist(), crs=blocks.crs)


def _site_geometry(geoms: np.ndarray):  # noqa: ANN202
    """One geometry for a project's sites: their union when polygonal, else their points."""
    import shapely

    merged = shapely.union_all(geoms)
    if merged.geom_type in ("Polygon", "MultiPolygon", "Point", "MultiPoint"):
        return merged
    return shapely.multipoints(shapely.point_on_surface(geoms))


def _block_word(name: str) -> str:
    return name if str(name).endswith("街区") else f"{name}街区"


_RESOURCE_WORD = {
    "idle_room": "闲置用房", "low_efficiency_building": "低效楼宇", "roof": "屋顶", "underground": "地下空间",
    "expandable_facility": "现状设施", "idle_site": "闲置场地", "planned_new_land": "规划新建用地",
    "low_quality_space": "低品质空间", "retained_land": "保留用地", "retained_building": "保留建筑",
}
# strategy keys that carry each project kind onto its block
_KIND_STRATEGIES = {
    "road": {"complete_network", "open_blocks"},
    "green": {"upgrade_green", "pocket_spaces"},
}
_FACILITY_STRATEGIES = {"use_idle_rooms", "convert_low_efficiency", "expand_facilities", "use_underground", "new_land_first", "open_roofs", "mixed_use"}


def _related(strategies: pd.DataFrame, block_id: str, kind: str) -> str:
    if strategies.empty:
        return ""
    keys = _KIND_STRATEGIES.get(kind, _FACILITY_STRATEGIES)
    hit = strategies[(strategies["block_id"] == block_id) & strategies["strategy_key"].isin(keys)]
    return ",".join(hit["sid"])


def _problems_of(strategies: pd.DataFrame, block_id: str, kind: str) -> str:
    if strategies.empty:
        return ""
    keys = _KIND_STRATEGIES.get(kind, _FACILITY_STRATEGIES)
    hit = strategies[(strategies["block_id"] == block_id) & strategies["strategy_key"].isin(keys)]
    ids = sorted({i for s in hit["problem_ids"] for i in str(s).split(",") if i})
    return ",".join(ids)


def _demand_shares(demands: pd.DataFrame, codes_by_domain: dict) -> dict:
    """(block_id, domain) → share of the block's surveyed communities asking for the domain's needs."""
    if demands.empty or "block_id" not in demands:
        return {}
    known = demands[demands["block_id"].notna()]
    total = known.groupby("block_id")["community"].nunique()
    out = {}
    for domain, codes in codes_by_domain.items():
        asking = known[known["need_code"].isin(codes)].groupby("block_id")["community"].nunique()
        for block_id, n in asking.items():
            out[(block_id, domain)] = float(n) / float(total[block_id])
    return out
