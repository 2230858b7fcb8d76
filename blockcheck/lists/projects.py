"""The project list (项目清单, 图8): drafted in step 3, ranked and phased in step 4.

A project is what a bureau registers (入库): one kind of facility from one kind
of source in one block — e.g. ``回龙观街区利用闲置用房补充养老服务设施（3处，42张床位）``.
Projects are made from *placements* (:mod:`.siting`: the allocation's rows, the
sited transport and municipal facilities, parks, green upgrades, sponge
retrofits and unbuilt roads) grouped by the block their sites lie in, the kind
and the source. Each project names the problems, demands, strategies and
resources behind it, is scored and phased (:mod:`.priority`) and gets its
authorities from the catalogue (``data/projects.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck import vocabulary
from blockcheck.lists._grouped import filled, joined, joined_in_order, union_by_group
from blockcheck.lists.amounts import format_amount, unit_word, whole_units
from blockcheck.lists.ids import AREA_SCOPE, placement_project_id, problem_id, strategy_id
from blockcheck.lists.priority import assign_phases, priority_reasons, priority_score, readiness
from blockcheck.lists.project_catalogue import authority_and_unit, project_settings

__all__ = [
    "PROJECT_COLUMNS",
    "ProjectDraft",
    "build_project_list",
    "draft_projects",
    "rank_projects",
    "sites_in_blocks",
]

#: Columns of :func:`build_project_list`, in order (geometry last).
PROJECT_COLUMNS = (
    "project_id",
    "number",
    "domain",
    "name",
    "authority",
    "unit",
    "location",
    "block_id",
    "served_block_ids",
    "priority_score",
    "priority_reason",
    "priority_reason_en",
    "phase",
    "year",
    "status",
    "amount",
    "amount_unit",
    "amount_unit_zh",
    "strategy_ids",
    "problem_ids",
    "demand_ids",
    "resource_ids",
)


def _ids(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """Comma-joined sorted unique non-empty `column` values per `key`."""
    values = frame[[key, column]].dropna()
    return joined(values[(values[column].astype(str) != "").to_numpy()], [key], column)


def _block_word(name: pd.Series) -> pd.Series:
    name = name.astype(str)
    return name.where(name.str.endswith("街区"), name + "街区")


def _geometry(frame: gpd.GeoDataFrame, key: str) -> gpd.GeoSeries:
    """One geometry per `key` (sorted): the union of its sites (points of the parts where kinds mix)."""
    codes, keys = pd.factorize(frame[key], sort=True)
    merged = union_by_group(np.asarray(frame.geometry.array, dtype=object), codes, len(keys))
    mixed = np.flatnonzero(shapely.get_type_id(merged) == 7)
    if len(mixed):
        parts, of = shapely.get_parts(merged[mixed], return_index=True)
        points = np.full(len(mixed), None, dtype=object)
        merged[mixed] = shapely.multipoints(shapely.point_on_surface(parts), indices=of, out=points)
    return gpd.GeoSeries(merged, index=pd.Index(keys, name=key), crs=frame.crs)


def _evidence(projects: pd.DataFrame, served: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """The problems each project answers.

    `served` is the long table of the blocks each project serves
    (``project_id``, ``served``). Returns the problem ids (area and served
    blocks), their mean severity, the lead problem and its area rank per
    project; and the area rows answered (``project_id``, ``rule_id``, ``severity``).
    """
    cfg = project_settings()
    answers = pd.DataFrame([(k, r) for k, v in cfg["kinds"].items() for r in v["answers"]], columns=["kind", "rule"])
    extra = pd.DataFrame(
        [(s, r) for s, v in cfg.get("answers_by_source", {}).items() for r in v], columns=["category", "rule"]
    )
    served = served.merge(projects[["project_id", "kind", "category"]], on="project_id")
    pairs = pd.concat([served.merge(answers, on="kind"), served.merge(extra, on="category")], ignore_index=True)
    scoped = pd.concat(
        [
            pairs.assign(pid=problem_id(pairs["served"], pairs["rule"])),
            pairs.assign(pid=problem_id(AREA_SCOPE, pairs["rule"])),
        ]
    )
    rows = (
        scoped[["project_id", "pid", "rule"]]
        .drop_duplicates()
        .merge(problems[["id", "severity", "problem", "problem_en"]], left_on="pid", right_on="id")
    )
    area = problems[problems["scope"] == AREA_SCOPE]
    area = pd.DataFrame({"rule": area["rule_id"], "rank": area["severity"].rank(ascending=False, method="min")})
    rows = rows.merge(area, on="rule", how="left")
    lead = (
        rows.sort_values(["project_id", "severity", "id"], ascending=[True, False, True])
        .drop_duplicates("project_id")
        .set_index("project_id")
    )
    out = pd.DataFrame(index=projects["project_id"])
    out["problem_ids"] = _ids(rows, "project_id", "id")
    out["severity"] = rows.groupby("project_id")["severity"].mean()
    out["lead_problem"], out["lead_problem_en"], out["lead_rank"] = lead["problem"], lead["problem_en"], lead["rank"]
    answered = rows[rows["id"] == problem_id(AREA_SCOPE, rows["rule"])][["project_id", "rule", "severity"]].rename(
        columns={"rule": "rule_id"}
    )
    return out.fillna({"severity": 0.0}), answered


def _demand(projects: pd.DataFrame, served: pd.DataFrame, demands: pd.DataFrame) -> pd.DataFrame:
    """Per project: the served blocks' surveyed communities asking for its demand codes, their share, ids and needs.

    `served` is the long table of the blocks each project serves (``project_id``, ``served``).
    """
    out = pd.DataFrame(index=projects["project_id"], columns=["demand", "asking", "demand_ids", "need_zh", "need_en"])
    known = demands.dropna(subset=["block_id"]) if len(demands) and "block_id" in demands else pd.DataFrame()
    if known.empty:
        return out.assign(demand=0.0, asking=0)
    from blockcheck.surveys.vocabulary import demand_vocabulary

    english = {n.code: n.label_en for n in demand_vocabulary().needs}
    codes = pd.DataFrame(
        [(k, c) for k, v in project_settings()["kinds"].items() for c in v["demand_codes"]],
        columns=["kind", "need_code"],
    )
    served = served.merge(projects[["project_id", "kind"]], on="project_id").rename(columns={"served": "block_id"})
    total = (
        served.merge(known[["block_id", "community"]].drop_duplicates(), on="block_id")
        .groupby("project_id")["community"]
        .nunique()
    )
    asked = served.merge(codes, on="kind").merge(
        known[["block_id", "need_code", "community", "id", "need_zh"]], on=["block_id", "need_code"]
    )
    n = asked.groupby("project_id")["community"].nunique()
    out["asking"] = n.reindex(out.index).fillna(0).astype(int)
    out["demand"] = (n / total).reindex(out.index).fillna(0.0).astype(float)
    out["demand_ids"] = _ids(asked, "project_id", "id")
    out["need_zh"] = joined_in_order(asked.drop_duplicates(["project_id", "need_zh"]), ["project_id"], "need_zh", "、")
    asked_en = asked.assign(e=asked["need_code"].map(english)).drop_duplicates(["project_id", "e"])
    out["need_en"] = joined_in_order(asked_en, ["project_id"], "e", ", ")
    return out


def _names(frame: pd.DataFrame, scale: pd.Series) -> pd.Series:
    """Names from the kinds' templates, made unique.

    A road repeated in several blocks names its block segment
    (``龙锦东路（天通北苑街区段）``); any name still repeated gets its project id.
    """

    def render(road: pd.Series) -> pd.Series:
        values = pd.DataFrame(
            {
                "place": frame["place"],
                "word": frame["word"],
                "facility": frame["facility"],
                "scale": scale,
                "road": road,
            }
        )
        return filled(frame["name_template"], values)

    road = frame["road_name"].fillna("").astype(str)
    name = render(road)
    dup = name.duplicated(keep=False) & (frame["kind"] == "road_km")
    name = name.where(~dup, render(road.where(~dup, road + "（" + frame["place"] + "段）")))
    again = name.duplicated(keep=False)
    return name.where(~again, name + "（" + frame["project_id"] + "）")


@dataclass(frozen=True)
class ProjectDraft:
    """Projects as step 3 shapes them — sites grouped, named, evidenced, with authorities — before step 4 ranks them.

    The strategy step needs them to know what the projects leave open (and so
    which policies are needed); the action step gives them priority, phase
    and number (:func:`rank_projects`).
    """

    frame: pd.DataFrame  # one row per project (by project_id), no priority, phase or number yet
    sites: pd.DataFrame  # the placements with their project_id (geometry per site)
    answered: pd.DataFrame  # area problems the projects answer: project_id, rule_id, severity
    crs: object = None


def draft_projects(
    placements: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    strategies: pd.DataFrame,
    demands: pd.DataFrame,
    problems: pd.DataFrame,
    needs: pd.DataFrame,
) -> ProjectDraft:
    """Projects (图8) from placements with evidence, amounts, names, authorities and life-cycle status, not yet ranked.

    Parameters and ids as :func:`build_project_list`.
    """
    cfg = project_settings()
    if placements.empty:
        empty = pd.DataFrame({c: [] for c in PROJECT_COLUMNS})
        return ProjectDraft(
            frame=empty, sites=placements.assign(project_id=[]), answered=pd.DataFrame(), crs=blocks.crs
        )
    p = placements.assign(
        readiness=readiness(placements),
        site_block=placements["site_block"].astype(str),
        served_block=placements["served_block"].astype(str),
    )
    p["project_id"] = placement_project_id(p["site_block"], p["kind"], p["source"], p["group"])
    grouped = p.groupby("project_id", sort=True)
    first = grouped[
        [
            "kind",
            "source",
            "category",
            "site_block",
            "strategy_key",
            "difficulty",
            "word",
            "name_template",
            "road_name",
            "road_class",
            "facility_category",
        ]
    ].first()
    # the blocks each project serves, one row per project and block (sorted): the key of every join below
    served = (
        p[["project_id", "served_block"]]
        .drop_duplicates()
        .sort_values(["project_id", "served_block"])
        .rename(columns={"served_block": "served"})
        .reset_index(drop=True)
    )
    frame = first.assign(
        amount_raw=grouped["amount"].sum(),
        readiness=grouped["readiness"].mean(),
        sites=grouped["site_id"].nunique(),
        resource_ids=_ids(p, "project_id", "resource_id"),
    ).reset_index()
    frame["served_block_ids"] = frame["project_id"].map(joined(served, ["project_id"], "served"))
    kinds = pd.DataFrame(cfg["kinds"]).T
    frame = frame.join(kinds[["domain", "scale", "facility"]], on="kind")
    # evidence and score
    evidence, answered = _evidence(frame, served, problems)
    frame = frame.join(evidence, on="project_id").join(_demand(frame, served, demands), on="project_id")
    by_block = (
        needs.rename_axis(index="served", columns="kind").stack().rename("value").reset_index().astype({"served": str})
    )
    need = served.merge(frame[["project_id", "kind"]], on="project_id").merge(
        by_block, on=["served", "kind"], how="left"
    )
    need_sum = need.groupby("project_id")["value"].sum(min_count=1).reindex(frame["project_id"]).to_numpy("float64")
    frame["gap_closed"] = np.where(
        frame["kind"] == "road_km",
        1.0,
        np.clip(np.divide(frame["amount_raw"], need_sum, out=np.zeros(len(frame)), where=need_sum > 0), 0, 1),
    )
    frame["ease"] = 1.0 - frame["difficulty"].astype(float)
    # what a bureau registers: amount, name, authorities, place
    frame["amount"] = pd.concat([whole_units(amounts, kind) for kind, amounts in frame.groupby("kind")["amount_raw"]])
    frame["amount_unit"] = frame["kind"]
    frame["amount_unit_zh"] = frame["kind"].map(unit_word)
    names = (
        blocks["name"].fillna(pd.Series(blocks.index, index=blocks.index))
        if "name" in blocks
        else pd.Series(blocks.index, index=blocks.index)
    )
    sub = blocks["subdistrict"].fillna("") if "subdistrict" in blocks else pd.Series("", index=blocks.index)
    frame["place"] = _block_word(frame["site_block"].map(names).fillna(frame["site_block"]))
    whole = frame["kind"].map({k: unit_word(k) == "处" for k in frame["kind"].unique()}).astype(bool)
    amount_text = pd.Series(
        [format_amount(a, k) for a, k in zip(frame["amount"], frame["kind"], strict=True)], index=frame.index
    )
    several = (frame["sites"] > 1) & ~whole
    scale = pd.Series(np.where(several, frame["sites"].astype(str) + "处，", ""), index=frame.index) + filled(
        frame["scale"], pd.DataFrame({"amount": amount_text})
    )
    frame["name"] = _names(frame, scale)
    frame["authority"], frame["unit"] = authority_and_unit(
        frame["kind"], frame["amount"], frame["road_class"], frame["site_block"].map(sub)
    )
    frame["location"] = frame["site_block"].map(sub).fillna("") + frame["place"] + "（" + frame["site_block"] + "）内"
    frame["block_id"] = frame["site_block"]
    frame["status"] = "registered"
    frame["strategy_ids"] = _strategy_ids(frame, served, strategies)
    return ProjectDraft(frame=frame, sites=p, answered=answered, crs=blocks.crs)


def rank_projects(draft: ProjectDraft) -> gpd.GeoDataFrame:
    """Priority, phase and year of each drafted project, numbered by domain (图8 order) and score.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`PROJECT_COLUMNS` and the sites' geometry.
    """
    frame = draft.frame.copy()
    if frame.empty:
        return gpd.GeoDataFrame({c: [] for c in PROJECT_COLUMNS}, geometry=[], crs=draft.crs)
    frame["priority_score"] = priority_score(frame)
    frame["phase"], frame["year"] = assign_phases(frame, draft.answered)
    frame["priority_reason"], frame["priority_reason_en"] = priority_reasons(frame)
    order = {d: i for i, d in enumerate(vocabulary.codes("project_domain"))}
    frame = frame.assign(_d=frame["domain"].map(order).fillna(len(order))).sort_values(
        ["_d", "priority_score", "project_id"], ascending=[True, False, True], kind="stable"
    )
    frame["number"] = np.arange(1, len(frame) + 1)
    geometry = _geometry(draft.sites, "project_id").reindex(frame["project_id"]).to_numpy()
    return gpd.GeoDataFrame(frame[list(PROJECT_COLUMNS)].reset_index(drop=True), geometry=geometry, crs=draft.crs)


def build_project_list(
    placements: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    strategies: pd.DataFrame,
    demands: pd.DataFrame,
    problems: pd.DataFrame,
    needs: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Projects (图8) from placements, with evidence, priority, phase, authorities and life-cycle status.

    Parameters
    ----------
    placements
        :data:`blockcheck.lists.siting.PLACEMENT_COLUMNS` rows (allocation, sited facilities, green, roads).
    blocks
        Blocks indexed by ``block_id`` with ``name`` and ``subdistrict``.
    strategies
        The strategy list (``block_id``, ``strategy_key``, ``id`` or derivable ``ST-<block>-<key>``).
    demands, problems
        The demand and problem lists (``problem_list.severity`` drives the score).
    needs
        :func:`blockcheck.lists.siting.block_needs` (the served blocks' need in each kind's unit).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`PROJECT_COLUMNS` and the sites' geometry. ``project_id`` is
        ``PJ-<site block>-<kind>-<source>`` (``PJ-road-<road id>`` for roads):
        the same input gives the same ids. ``block_id`` is the block the sites
        lie in; ``served_block_ids`` the blocks whose needs it closes.

    Notes
    -----
    A project never carries a fraction of a facility: its amount is the sum of
    its placements rounded by :func:`blockcheck.lists.amounts.whole_units`
    (beds, seats, spaces and facilities up to a whole number ≥ 1; ha and km to
    2 decimals; m² whole), e.g. 22.49 hospital beds → 23, 0.28 elderly-care beds → 1.
    """
    return rank_projects(draft_projects(placements, blocks, strategies, demands, problems, needs))


def _strategy_ids(frame: pd.DataFrame, served: pd.DataFrame, strategies: pd.DataFrame) -> pd.Series:
    """Ids of the strategy rows carrying each project: its strategy in its site block or a served block (`served`)."""
    if strategies.empty:
        return pd.Series(None, index=frame.index, dtype=object)
    sid = strategies["id"] if "id" in strategies else strategy_id(strategies["block_id"], strategies["strategy_key"])
    rows = strategies.assign(sid=sid)[["block_id", "strategy_key", "sid"]]
    site = frame[["project_id", "strategy_key", "site_block"]].rename(columns={"site_block": "block_id"})
    served = served.merge(frame[["project_id", "strategy_key"]], on="project_id").rename(columns={"served": "block_id"})
    hits = pd.concat([site, served]).merge(rows, on=["block_id", "strategy_key"]).drop_duplicates(["project_id", "sid"])
    return frame["project_id"].map(_ids(hits, "project_id", "sid"))


def sites_in_blocks(projects: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame, *, tolerance_m: float = 0.5) -> pd.Series:
    """Whether each project's representative point lies in the block it is listed under.

    The point is :func:`shapely.point_on_surface` of the project geometry; it
    counts as inside when within `tolerance_m` of the block polygon (a planned
    road often runs on a block's edge, its point on the boundary).
    """
    polygons = blocks.geometry.reindex(projects["block_id"].astype(str)).to_numpy()
    points = shapely.point_on_surface(projects.geometry.to_numpy())
    return pd.Series(shapely.dwithin(points, polygons, tolerance_m), index=projects.index)
