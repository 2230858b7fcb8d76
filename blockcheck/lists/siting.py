"""Sites for what the gap–resource allocation does not place: transport, municipal, parking, parks, green.

The first allocation pass (:func:`blockcheck.allocation.allocate`, ``data/allocation.toml``)
places the public-service gaps. This module places the rest from the kinds of
``data/projects.toml``, on what that pass left:

- ``siting = "allocation2"`` (bus terminals): a second pass of the same LP on the
  unused pool areas, so one terminal can serve the fractional needs of
  neighbouring blocks (:func:`second_pass`);
- ``siting = "block"`` (distribution rooms, garbage stations, parking, parks,
  green upgrades, sponge retrofits): the block's own sources in catalogue order
  until its need is met (:func:`site_in_blocks`); ``stacked`` sources (parking
  under a site, an upgrade of a space) leave the site's pool to others;
- ``siting = "roads"``: unbuilt planned roads (:func:`road_placements`).

Every function returns *placements*: one row per site, kind and served block
(:data:`PLACEMENT_COLUMNS`); :func:`blockcheck.lists.projects.build_project_list`
turns them into projects.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.allocation import AllocationRule, AllocationRules, allocate, allocation_rules
from blockcheck.lists._grouped import union_by_group
from blockcheck.lists.amounts import WHOLE_UNITS, unit_of
from blockcheck.lists.ids import AREA_SCOPE
from blockcheck.lists.project_catalogue import kind_sources, project_settings, source_defaults
from blockcheck.network import WalkNetwork
from blockcheck.standards import Standards

__all__ = [
    "PLACEMENT_COLUMNS",
    "allocation_placements",
    "block_needs",
    "remaining_pool_m2",
    "road_placements",
    "second_pass",
    "site_in_blocks",
    "tag_planned_land",
]

#: Columns of a placements table.
PLACEMENT_COLUMNS = (
    "kind",
    "source",
    "category",
    "site_id",
    "resource_id",
    "site_block",
    "served_block",
    "amount",
    "strategy_key",
    "difficulty",
    "readiness",
    "word",
    "name_template",
    "group",
    "road_name",
    "road_class",
    "land_m2",
    "status",
    "facility_category",
    "geometry",
)
_LAND = ("idle_site", "planned_new_land", "low_quality_space")


def remaining_pool_m2(pool_left: pd.Series, used_m2: pd.Series) -> pd.Series:
    """`pool_left` less `used_m2` (by resource id; ids not in `pool_left` ignored), at least 0.

    The same as ``pool_left.sub(used_m2.reindex(pool_left.index).fillna(0.0)).clip(lower=0.0)``
    without looking every resource up: the used ids are found in the pool's index.
    """
    at = pool_left.index.get_indexer(used_m2.index)
    found = at >= 0
    taken = np.zeros(len(pool_left))
    taken[at[found]] = used_m2.to_numpy("float64")[found]
    return pool_left.sub(pd.Series(taken, index=pool_left.index, name=used_m2.name)).clip(lower=0.0)


def tag_planned_land(resources: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """A copy of `resources` where planned new land carries the facility category its plan designates.

    The planned land use is the parcel's ``land_use`` (the resource's
    ``source_id`` on ``source_layer`` parcels); ``[planned_land_use]`` of
    ``data/projects.toml`` turns it into a ``facility_category`` (only where
    the resource has none). The column ``planned_land_use`` is added.
    """
    out = resources.assign(planned_land_use=None)
    if parcels is None or parcels.empty or out.empty or "parcel_id" not in parcels:
        return out
    planned = (out["category"] == "planned_new_land") & (
        out.get("source_layer", pd.Series("parcels", index=out.index)) == "parcels"
    )
    land_use = (
        out["source_id"].map(parcels.drop_duplicates("parcel_id").set_index("parcel_id")["land_use"]).where(planned)
    )
    out["planned_land_use"] = land_use
    facility = land_use.map(project_settings()["planned_land_use"])
    current = out["facility_category"] if "facility_category" in out else pd.Series(None, index=out.index, dtype=object)
    out["facility_category"] = current.where(current.notna(), facility)
    return out


def block_needs(blocks: pd.DataFrame, problems: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Per block, the need of each kind in the kind's unit, where the block has the kind's problem.

    ``need`` names a block column (``gap_…``, ``parking_gap_spaces``) or is
    computed: ``coverage`` kinds need ceil((1 − covered share) × block area ÷
    (π r²)) facilities (at least 1), ``per_capita`` kinds (standard − observed
    m² per person) × population m². A need counts only in blocks with a
    problem row of the kind's first ``answers`` rule.

    Returns
    -------
    pandas.DataFrame
        Indexed like `blocks`, one column per kind that has a need.
    """
    kinds = project_settings()["kinds"]
    rows = problems[problems["scope"] != AREA_SCOPE] if len(problems) else problems
    out = {}
    area = (
        pd.Series(shapely.area(blocks.geometry.to_numpy()), index=blocks.index)
        if "geometry" in blocks
        else pd.Series(np.nan, index=blocks.index)
    )

    def column_of(name: str) -> pd.Series:
        return pd.to_numeric(blocks[name], errors="coerce") if name in blocks else pd.Series(np.nan, index=blocks.index)

    for key, kind in kinds.items():
        column = kind.get("need")
        if not column:
            continue
        if "coverage" in kind:
            ratio = column_of(kind["coverage"]["metric"])
            radius = float(standards[kind["coverage"]["radius"]])
            value = np.maximum(np.ceil((1.0 - ratio.clip(0, 1)) * area / (np.pi * radius**2) - 1e-9), 1.0)
        elif "per_capita" in kind:
            observed = column_of(kind["per_capita"]["metric"])
            value = (float(standards[kind["per_capita"]["standard"]]) - observed).clip(lower=0) * column_of(
                "population"
            )
        else:
            value = column_of(column)
        has = (
            blocks.index.isin(rows.loc[rows["rule_id"] == kind["answers"][0], "scope"])
            if kind["answers"] and len(rows)
            else np.ones(len(blocks), bool)
        )
        out[key] = pd.Series(value, index=blocks.index).fillna(0.0).where(has, 0.0)
    return pd.DataFrame(out, index=blocks.index)


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in PLACEMENT_COLUMNS if c != "geometry"}, geometry=[])


def allocation_placements(allocation: pd.DataFrame, resources: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Placements of allocation rows: the resource's block is the site block, the allocated block is served."""
    if allocation.empty:
        return _empty().set_crs(resources.crs, allow_override=True)
    res = resources[resources["resource_id"].isin(allocation["resource_id"]).to_numpy()].set_index("resource_id")
    sites = res.reindex(allocation["resource_id"])
    category = sites["category"].to_numpy(object)
    defaults = pd.DataFrame({c: source_defaults(c) for c in pd.unique(category)}).T.reindex(category)
    kinds = project_settings()["kinds"]
    default_name = "{place}利用{word}补充{facility}（{scale}）"
    frame = pd.DataFrame(
        {
            "kind": allocation["provision_key"].to_numpy(object),
            "source": category,
            "category": category,
            "site_id": allocation["resource_id"].to_numpy(object),
            "resource_id": allocation["resource_id"].to_numpy(object),
            "site_block": sites["block_id"].to_numpy(object),
            "served_block": allocation["block_id"].to_numpy(object),
            "amount": allocation["amount"].to_numpy("float64"),
            "strategy_key": defaults["strategy"].to_numpy(object),
            "difficulty": pd.to_numeric(defaults["difficulty"]).to_numpy("float64"),
            "readiness": np.nan,
            "word": defaults["word"].to_numpy(object),
            "name_template": allocation["provision_key"]
            .map({k: v.get("name", default_name) for k, v in kinds.items()})
            .fillna(default_name)
            .to_numpy(object),
            "group": "",
            "road_name": None,
            "road_class": None,
            "land_m2": np.where(
                np.isin(category, _LAND), pd.to_numeric(allocation.get("area_used_m2", 0.0), errors="coerce"), 0.0
            ),
            "status": sites["status"].to_numpy(object),
            "facility_category": sites["facility_category"].to_numpy(object) if "facility_category" in sites else None,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=sites.geometry.to_numpy(), crs=resources.crs)


def second_pass(
    kind: str,
    needs: pd.Series,
    resources: gpd.GeoDataFrame,
    pool_left: pd.Series,
    blocks: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The gap–resource LP once more for one ``allocation2`` kind, on the pools the first pass left.

    Resources of the kind's ``lp.categories`` with at least ``lp.min_site_m2``
    unused serve the needs of blocks within ``lp.radius_m``; one unit takes
    ``lp.land_m2_per_unit`` m² of land. Land whose plan designates one of
    ``lp.facility_categories`` (S4 for bus terminals) is used first: the LP
    runs on it alone, then on undesignated land for what is left. Returns the
    allocation and remaining tables of :func:`blockcheck.allocation.allocate`.
    """
    lp = project_settings()["kinds"][kind]["lp"]
    designated = set(lp.get("facility_categories", ()))
    facility = (
        resources["facility_category"] if "facility_category" in resources else pd.Series(None, index=resources.index)
    )
    first, rest = resources[facility.isin(designated).to_numpy()], resources[facility.isna().to_numpy()]
    allocation, remaining = _lp(kind, needs, first, pool_left, blocks, network, standards)
    still = needs.sub(allocation.groupby("block_id")["amount"].sum(), fill_value=0.0).clip(lower=0.0)
    more, remaining = _lp(kind, still, rest, pool_left, blocks, network, standards)
    allocation = pd.concat([allocation, more], ignore_index=True) if len(allocation) else more
    remaining = remaining.assign(
        gap=remaining["block_id"].map(needs), allocated=lambda f: f["gap"] - f["remaining_gap"]
    )
    return allocation, remaining


def _lp(
    kind: str,
    needs: pd.Series,
    resources: gpd.GeoDataFrame,
    pool_left: pd.Series,
    blocks: gpd.GeoDataFrame,
    network: WalkNetwork | None,
    standards: Standards,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`second_pass` on one set of resources."""
    lp = project_settings()["kinds"][kind]["lp"]
    base = allocation_rules()
    left = resources["resource_id"].map(pool_left).fillna(0.0)
    usable = resources[
        resources["category"].isin(lp["categories"]).to_numpy() & (left >= lp["min_site_m2"]).to_numpy()
    ].copy()
    for category in lp["categories"]:
        usable.loc[usable["category"] == category, base.pools[category].field] = left[usable.index][
            usable["category"] == category
        ]
    rule = AllocationRule(
        key=kind,
        unit=unit_of(kind),
        area="land",
        m2_per_unit=float(lp["land_m2_per_unit"]),
        radius_m=float(lp["radius_m"]),
        categories=tuple(lp["categories"]),
        facility_categories=tuple(lp.get("facility_categories", ())) or None,
    )
    usable = usable.assign(facility_category=None)  # designation was decided by the caller
    rules = AllocationRules(
        pools=base.pools, rules=(rule,), not_allocated=base.not_allocated, source="blockcheck/data/projects.toml"
    )
    gaps = pd.DataFrame({f"gap_{kind}": needs.reindex(blocks.index).fillna(0.0)}, index=blocks.index)
    return allocate(gaps, usable, blocks, network, standards, rules=rules)


def _no_index_cols(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` without the ``index_…`` columns a spatial join adds."""
    return frame.drop(columns=[c for c in frame.columns if str(c).startswith("index_")])


def _parking_lots(
    parking: gpd.GeoDataFrame | None, parcels: gpd.GeoDataFrame | None, blocks: gpd.GeoDataFrame, source: dict
) -> gpd.GeoDataFrame:
    """Lots of the parking layer that `source` may share: access and parcel land use as listed, in a block."""
    columns = [
        "site_id",
        "site_block",
        "capacity_units",
        "status",
        "facility_category",
        "subtype",
        "pool_left",
        "area_m2",
    ]
    if parking is None or parking.empty or parcels is None or parcels.empty:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=blocks.crs)
    lots = (
        parking[parking["access"].isin(source.get("access", ["private"]))] if "access" in parking else parking.iloc[:0]
    )
    points = gpd.GeoDataFrame(
        {
            "site_id": lots.get("parking_id", lots.index.to_series()).astype(str).to_numpy(),
            "spaces": pd.to_numeric(
                lots.get("spaces", pd.Series(np.nan, index=lots.index)), errors="coerce"
            ).to_numpy(),
        },
        geometry=shapely.point_on_surface(lots.geometry.to_numpy()),
        crs=parking.crs,
    )
    on = gpd.sjoin(points, parcels[["land_use", "geometry"]], predicate="within").drop_duplicates("site_id")
    on = _no_index_cols(on[on["land_use"].isin(source.get("land_uses", []))])
    zones = gpd.GeoDataFrame(
        {"site_block": blocks.index.astype(str)}, geometry=blocks.geometry.to_numpy(), crs=blocks.crs
    )
    on = _no_index_cols(gpd.sjoin(on, zones, predicate="within").drop_duplicates("site_id"))
    shapes = lots.assign(site_id=points["site_id"].to_numpy()).set_index("site_id").geometry
    return gpd.GeoDataFrame(
        {
            "site_id": on["site_id"].to_numpy(),
            "site_block": on["site_block"].to_numpy(),
            "capacity_units": np.floor(on["spaces"].fillna(0).to_numpy() * float(source.get("share", 0.3))),
            "status": None,
            "facility_category": None,
            "subtype": None,
            "pool_left": 0.0,
            "area_m2": 0.0,
        },
        geometry=shapes.reindex(on["site_id"]).to_numpy(),
        crs=blocks.crs,
    )


def site_in_blocks(
    blocks: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    pool_left: pd.Series,
    needs: pd.DataFrame,
    strategies: pd.DataFrame,
    demands: pd.DataFrame,
    *,
    parking: gpd.GeoDataFrame | None = None,
    parcels: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Place every ``siting = "block"`` kind on its block's own sources, in catalogue order.

    For each kind and each of its sources in turn, a site's capacity is
    floor(area ÷ ``m2_per_unit``) units (whole units for beds, spaces and
    facilities; a facility kind puts one facility on a site), the area being
    the unused pool (or, for a ``stacked`` source, the site's whole area) and
    at least ``min_m2``; a shared parking lot offers ``share`` of its spaces.
    Within a block the sites are used in order (by resource id) until the
    block's need is met; a kind without a need (green upgrades, sponge
    retrofits) takes every site of the blocks its gate admits
    (``requires_strategy``: the block has that strategy; ``requires_demand``:
    its communities ask for one of those needs). Non-stacked sources use up
    the pool they occupy.

    Returns
    -------
    placements : geopandas.GeoDataFrame
        :data:`PLACEMENT_COLUMNS`; the site block is the served block.
    pool_left : pandas.Series
        The pools still unused afterwards (by ``resource_id``).
    """
    pool_left = pool_left.copy()
    kinds = {key: kind for key, kind in project_settings()["kinds"].items() if kind["siting"] == "block"}
    sources = {key: kind_sources(key) for key in kinds}
    categories = {src["category"] for srcs in sources.values() for src in srcs if src.get("layer") != "parking"}
    sites = _resource_sites(resources, categories)
    of_category = sites.groupby("category", sort=False).indices  # category → row positions, in order
    frames = []
    for key, kind in kinds.items():
        need = needs[key].copy() if key in needs else None
        admitted = _admitted_blocks(kind, blocks.index.astype(str), strategies, demands)
        for src in sources[key]:
            if src.get("layer") == "parking":
                cand = _parking_lots(parking, parcels, blocks, src)
            else:
                rows = sites.take(of_category.get(src["category"], np.empty(0, dtype=np.intp)))
                cand = _sites_of_source(rows, src, key, pool_left)
            cand = cand[cand["site_block"].map(admitted).fillna(False).astype(bool) & (cand["capacity_units"] > 0)]
            if need is not None:
                cand = cand[cand["site_block"].map(need).fillna(0.0).to_numpy() > 0]
            if cand.empty:
                continue
            cand, need = _take_in_order(cand.sort_values(["site_block", "site_id"], kind="stable"), need)
            if not src["stacked"] and src.get("layer") != "parking":
                used = (cand["amount"] * src["m2_per_unit"]).groupby(cand["site_id"]).sum()
                pool_left = remaining_pool_m2(pool_left, used)
            frames.append(_block_placements(key, src, cand, blocks.crs))
    if not frames:
        return _empty().set_crs(blocks.crs, allow_override=True), pool_left
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=blocks.crs), pool_left


def _resource_sites(resources: gpd.GeoDataFrame, categories: set[str] | None = None) -> gpd.GeoDataFrame:
    """The resources not rejected as candidate sites: id, block, category, subtype, status, facility and area (m²).

    Only resources of `categories` when given. The area is the land area, else
    the polygon's, else (for points) the floor area.
    """
    usable = resources
    if len(resources):
        keep = (resources["status"] != "rejected").to_numpy()
        if categories is not None:
            keep = keep & resources["category"].isin(sorted(categories)).to_numpy()
        usable = resources[keep]
    area = pd.Series(pd.to_numeric(usable.get("land_area_m2"), errors="coerce").to_numpy("float64"), index=usable.index)
    area = area.fillna(pd.Series(shapely.area(usable.geometry.to_numpy()), index=usable.index)).where(
        lambda s: s > 0, pd.to_numeric(usable.get("floor_area_m2"), errors="coerce")
    )
    return gpd.GeoDataFrame(
        {
            "site_id": usable["resource_id"].to_numpy(),
            "site_block": usable["block_id"].astype(str).to_numpy(),
            "category": usable["category"].to_numpy(),
            "subtype": usable.get("subtype", pd.Series(None, index=usable.index)).to_numpy(),
            "status": usable["status"].to_numpy(),
            "facility_category": usable.get("facility_category", pd.Series(None, index=usable.index)).to_numpy(),
            "area_m2": area.fillna(0.0).to_numpy(),
        },
        geometry=usable.geometry.to_numpy(),
        crs=resources.crs,
    )


def _admitted_blocks(kind: Mapping, block_ids: pd.Index, strategies: pd.DataFrame, demands: pd.DataFrame) -> pd.Series:
    """True for the blocks a kind's gate admits: ``requires_strategy`` chosen there, ``requires_demand`` asked there."""
    admitted = np.ones(len(block_ids), dtype=bool)  # a fresh array, changed in place below
    if "requires_strategy" in kind:
        chosen = (
            strategies.loc[strategies["strategy_key"] == kind["requires_strategy"], "block_id"]
            if len(strategies)
            else pd.Series(dtype=object)
        )
        admitted &= block_ids.isin(chosen)
    if "requires_demand" in kind:
        asked = (
            demands.loc[demands["need_code"].isin(kind["requires_demand"]), "block_id"].dropna()
            if len(demands)
            else pd.Series(dtype=object)
        )
        admitted &= block_ids.isin(asked)
    return pd.Series(admitted, index=block_ids)


def _sites_of_source(sites: gpd.GeoDataFrame, src: Mapping, key: str, pool_left: pd.Series) -> gpd.GeoDataFrame:
    """The `sites` (all of its category) a source of kind `key` can use, with ``pool_left`` and ``capacity_units``.

    Capacity, in the key's unit, is the unused pool (a ``stacked`` source: the
    whole area) ÷ ``m2_per_unit``, whole units for beds, spaces and facilities
    (one facility per site), and 0 below ``min_m2``.
    """
    cand = sites.copy()
    if src["subtypes"]:
        cand = cand[cand["subtype"].isin(src["subtypes"])]
    if src["facility_categories"]:
        cand = cand[cand["facility_category"].isin(src["facility_categories"])]
    cand["pool_left"] = cand["site_id"].map(pool_left).fillna(0.0).to_numpy()
    room = cand["area_m2"] if src["stacked"] else cand["pool_left"]
    units = room / src["m2_per_unit"]
    whole = unit_of(key) in WHOLE_UNITS
    units = np.floor(units + 1e-9) if whole else units
    if whole and unit_of(key) == "count":
        units = units.clip(upper=1.0)  # one facility per site
    cand["capacity_units"] = units.where(room >= src["min_m2"], 0.0)
    return cand


def _take_in_order(cand: gpd.GeoDataFrame, need: pd.Series | None) -> tuple[gpd.GeoDataFrame, pd.Series | None]:
    """The sites with the ``amount`` each takes, in order, until each block's `need` is met (all without a need).

    Returns the sites that take something and what is still needed per block.
    """
    if need is None:
        amount = cand["capacity_units"]
    else:
        before = cand.groupby("site_block")["capacity_units"].cumsum() - cand["capacity_units"]
        amount = (cand["site_block"].map(need) - before).clip(lower=0.0).clip(upper=cand["capacity_units"])
        need = need.sub(amount.groupby(cand["site_block"]).sum(), fill_value=0.0).clip(lower=0.0)
    cand = cand.assign(amount=amount.to_numpy())
    return cand[cand["amount"] > 1e-9], need


def _block_placements(key: str, src: Mapping, cand: gpd.GeoDataFrame, crs: object) -> gpd.GeoDataFrame:
    """Placements of kind `key` on the sites `cand` of source `src`, each serving its own block."""
    on_land = src["category"] in _LAND and not (src["stacked"] and unit_of(key) != "m2")
    from_resources = src.get("layer") != "parking"
    return gpd.GeoDataFrame(
        {
            "kind": key,
            "source": src["key"],
            "category": src["category"],
            "site_id": cand["site_id"].to_numpy(),
            "resource_id": cand["site_id"].to_numpy() if from_resources else None,
            "site_block": cand["site_block"].to_numpy(),
            "served_block": cand["site_block"].to_numpy(),
            "amount": cand["amount"].to_numpy("float64"),
            "strategy_key": src["strategy"],
            "difficulty": src["difficulty"],
            "readiness": src["readiness"],
            "word": src["word"],
            "name_template": src["name"],
            "group": "",
            "road_name": None,
            "road_class": None,
            "status": cand["status"].to_numpy(),
            "facility_category": cand["facility_category"].to_numpy(),
            "land_m2": (cand["amount"] * src["m2_per_unit"]).to_numpy("float64") if from_resources and on_land else 0.0,
        },
        geometry=cand.geometry.to_numpy(),
        crs=crs,
    )


def road_placements(roads: gpd.GeoDataFrame | None, blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Unbuilt planned public roads, one placement per named road and block holding most of its length.

    Roads arrive split at every junction; each piece goes to the block holding
    most of it, and the pieces of one name in one block form one road (unnamed
    pieces stay apart). The amount is the length (km); ``group`` is the
    smallest road id of the road.
    """
    kind = project_settings()["kinds"]["road_km"]
    src = source_defaults("road")
    if roads is None or roads.empty:
        return _empty().set_crs(blocks.crs, allow_override=True)
    todo = roads[(roads["status"] != "built") & ~roads["class"].isin(["internal", "footway"])].copy()
    if todo.empty:
        return _empty().set_crs(blocks.crs, allow_override=True)
    zones = gpd.GeoDataFrame(
        {"block_id": blocks.index.astype(str)}, geometry=blocks.geometry.to_numpy(), crs=blocks.crs
    )
    pieces = gpd.overlay(
        todo.reset_index(names="_road")[["_road", "geometry"]], zones, how="intersection", keep_geom_type=True
    )
    pieces["length_m"] = pieces.length
    best = (
        pieces.sort_values(["length_m", "block_id"], ascending=[False, True])
        .drop_duplicates("_road")
        .set_index("_road")["block_id"]
    )
    todo["block_id"] = best.reindex(todo.index)
    todo = todo[todo["block_id"].notna()]
    if "road_id" not in todo:
        todo["road_id"] = todo.index.astype(str)
    named = (
        todo["name"].where(todo["name"].notna() & (todo["name"].astype(str) != ""), None)
        if "name" in todo
        else pd.Series(None, index=todo.index)
    )
    width = (
        pd.to_numeric(todo["width_m"], errors="coerce") if "width_m" in todo else pd.Series(np.nan, index=todo.index)
    )
    width = width.fillna(todo["class"].map(kind["default_width_m"])).fillna(15.0)
    todo = todo.assign(
        name=named,
        _group=todo["block_id"].astype(str) + "|" + named.fillna("#" + todo["road_id"].astype(str)).astype(str),
        length_m=todo.length,
        land_m2=todo.length * width,
    )
    codes, groups = pd.factorize(todo["_group"], sort=True)
    aggregate = {
        "block_id": "first",
        "road_id": "min",
        "name": "first",
        "class": "first",
        "length_m": "sum",
        "land_m2": "sum",
    }
    grouped = pd.DataFrame(todo.drop(columns=todo.geometry.name)).groupby("_group").agg(aggregate).reindex(groups)
    grouped = gpd.GeoDataFrame(
        grouped.reset_index(drop=True),
        geometry=union_by_group(np.asarray(todo.geometry.array, dtype=object), codes, len(groups)),
        crs=todo.crs,
    )
    label = grouped["name"].where(grouped["name"].notna(), "规划道路" + grouped["road_id"].astype(str))
    frame = pd.DataFrame(
        {
            "kind": "road_km",
            "source": "road",
            "category": "road",
            "site_id": grouped["road_id"].astype(str),
            "resource_id": None,
            "site_block": grouped["block_id"].astype(str),
            "served_block": grouped["block_id"].astype(str),
            "amount": grouped["length_m"] / 1000.0,
            "strategy_key": src["strategy"],
            "difficulty": float(src["difficulty"]),
            "readiness": float(src["readiness"]),
            "word": src["word"],
            "name_template": kind["name"],
            "group": grouped["road_id"].astype(str),
            "road_name": label,
            "road_class": grouped["class"],
            "land_m2": grouped["land_m2"].to_numpy("float64"),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=grouped.geometry.to_numpy(), crs=blocks.crs)
