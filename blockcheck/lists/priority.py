"""Priority, phase and the sentence saying why, for the project list (项目清单, 图8).

The method sequences projects by residents' urgency, owners' willingness and
implementation difficulty (综合考虑居民需求紧迫度、产权主体意愿、实施难易程度). Here the
score is led by the evidence of step 1: how severe the problems a project
answers are (``problem_list.severity``), then the residents asking for it, the
share of the need it closes, how ready its resource is and how easy it is to
build (weights in ``data/projects.toml`` ``[priority]``). Phases follow the
score with per-domain guarantees (``[phasing]``), so 近期 holds the most severe
gaps across domains instead of whatever is easiest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blockcheck.lists.project_catalogue import project_settings

__all__ = ["CRITERIA", "assign_phases", "priority_reasons", "priority_score", "readiness"]

#: Criteria of the score, each in 0–1, in the order of ``[priority.weights]``.
CRITERIA = ("severity", "demand", "gap_closed", "readiness", "ease")


def readiness(placements: pd.DataFrame) -> pd.Series:
    """Readiness (0–1) of each placement's resource.

    A fixed source readiness wins (public roads, shared lots); planned new land
    by its life cycle: ``planned_land_designated`` where its plan designates a
    facility (a ``facility_category``), else ``planned_land_other``; other
    resources by status (``confirmed`` / ``candidate``).
    """
    table = project_settings()["priority"]["readiness"]
    fixed = pd.to_numeric(placements["readiness"], errors="coerce")
    status = placements["status"].map(table) if "status" in placements else pd.Series(np.nan, index=placements.index)
    designated = (
        placements["facility_category"].notna()
        if "facility_category" in placements
        else pd.Series(False, index=placements.index)
    )
    planned = np.where(designated, table["planned_land_designated"], table["planned_land_other"])
    by_life_cycle = pd.Series(
        np.where(placements["category"] == "planned_new_land", planned, np.nan), index=placements.index
    )
    return fixed.fillna(by_life_cycle).fillna(status).fillna(table["candidate"]).astype("float64")


def priority_score(criteria: pd.DataFrame) -> pd.Series:
    """100 × Σ weight × criterion ÷ Σ weight (criteria :data:`CRITERIA` in 0–1, NaN counts 0), one decimal."""
    weights = pd.Series(project_settings()["priority"]["weights"]).reindex(list(CRITERIA)).fillna(0.0)
    values = criteria[list(CRITERIA)].astype("float64").fillna(0.0).clip(0.0, 1.0)
    return (100.0 * values.to_numpy() @ weights.to_numpy() / weights.sum()).round(1)


def assign_phases(projects: pd.DataFrame, answers: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Phase (近期 / 中期 / 远期) and year of each project.

    Parameters
    ----------
    projects
        ``project_id``, ``domain`` and ``priority_score``.
    answers
        The area problems (problem list rows of scope ``ALL``) the projects
        answer: ``project_id``, ``rule_id``, ``severity``.

    Returns
    -------
    phase, year : pandas.Series
        Indexed like `projects`.

    Notes
    -----
    A problem's domain is the domain of most of the projects answering it.
    Going down the answered area problems from the most severe, the first
    ``guarantee_domains`` distinct domains each put the best
    ``guarantee_projects`` projects answering that problem into 近期; every
    domain answering an area problem puts its best ``min_per_domain`` there.
    近期 is then filled by score until it holds its ``share`` of all projects
    (more when the guarantees need more); 中期 and 远期 follow by score, in
    proportion to their shares. Ties are broken by ``project_id``, so the same
    input gives the same phases.
    """
    cfg = project_settings()
    phases, rule = cfg["phases"], cfg["phasing"]
    order = projects.sort_values(["priority_score", "project_id"], ascending=[False, True], kind="stable")
    ranked = answers.merge(order[["project_id", "domain", "priority_score"]], on="project_id").dropna(
        subset=["severity"]
    )
    domain_of = (
        ranked.groupby(["rule_id", "domain"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["rule_id", "n", "domain"], ascending=[True, False, True])
    )
    domain_of = domain_of.drop_duplicates("rule_id").set_index("rule_id")["domain"]
    severity = ranked.groupby("rule_id")["severity"].max().sort_values(ascending=False, kind="stable")
    leading = (
        severity.index.to_series().map(domain_of).drop_duplicates().iloc[: int(rule["guarantee_domains"])]
    )  # rule → its domain
    best = ranked[ranked["rule_id"].isin(leading.index) & (ranked["domain"] == ranked["rule_id"].map(leading))]
    best = (
        best.sort_values(["rule_id", "priority_score", "project_id"], ascending=[True, False, True])
        .groupby("rule_id")
        .head(int(rule["guarantee_projects"]))
    )
    per_domain = order[order["domain"].isin(ranked["domain"])].groupby("domain").head(int(rule["min_per_domain"]))
    guaranteed = order["project_id"].isin(best["project_id"]) | order["project_id"].isin(per_domain["project_id"])
    n_near = max(round(phases[0]["share"] * len(order)), int(guaranteed.sum()))
    rest = order.index[~guaranteed.to_numpy()]
    near = order.index[guaranteed.to_numpy()].append(rest[: max(n_near - int(guaranteed.sum()), 0)])
    later = order.index[~order.index.isin(near)]  # in score order
    bounds = np.cumsum([p["share"] for p in phases[1:]]) / max(sum(p["share"] for p in phases[1:]), 1e-9) * len(later)
    position = np.searchsorted(bounds, np.arange(1, len(later) + 1) - 1e-9)
    names = np.array([p["name"] for p in phases[1:]], dtype=object)
    phase = pd.concat(
        [
            pd.Series(phases[0]["name"], index=near, dtype=object),
            pd.Series(names[np.minimum(position, len(names) - 1)], index=later, dtype=object),
        ]
    )
    year = phase.map({p["name"]: p["year"] for p in phases})
    return phase.reindex(projects.index), year.reindex(projects.index)


def _ordinal_en(n: pd.Series) -> pd.Series:
    """``1st``, ``2nd``, ``3rd``, ``4th`` … ``11th`` … ``21st`` for whole numbers."""
    teen = (n % 100 >= 10) & (n % 100 <= 20)
    suffix = np.select([teen, n % 10 == 1, n % 10 == 2, n % 10 == 3], ["th", "st", "nd", "rd"], "th")
    return n.astype(str) + suffix


def priority_reasons(projects: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """One sentence (Chinese, English) saying why a project has its priority.

    Parameters
    ----------
    projects
        ``severity``, ``lead_problem`` / ``lead_problem_en`` (the most severe
        problem answered; empty when none), ``lead_rank`` (its area row's rank
        by severity, NaN without one), ``asking`` (communities asking),
        ``need_zh`` / ``need_en`` (what they ask for), ``gap_closed``,
        ``readiness``, ``category``, ``facility_category`` and ``ease``.

    Returns
    -------
    zh, en : pandas.Series
        E.g. ``答复机构养老床位不足（严重程度0.95，全区第2）；3个社区提出养老需求；补足缺口40%；``
        ``资源待确认（候选）；实施难度低``.
    """
    p = projects
    rank = pd.to_numeric(p["lead_rank"], errors="coerce")
    rank_zh = np.where(rank.notna(), "，全区第" + rank.fillna(0).astype(int).astype(str), "")
    rank_en = np.where(rank.notna(), ", " + _ordinal_en(rank.fillna(0).astype(int)) + " in the area", "")
    sev = p["severity"].astype(float).map("{:.2f}".format)
    has = p["lead_problem"].fillna("") != ""
    problem_zh = np.where(
        has, "答复" + p["lead_problem"].fillna("") + "（严重程度" + sev + rank_zh + "）", "不直接对应问题清单中的问题"
    )
    problem_en = np.where(
        has,
        "answers " + p["lead_problem_en"].fillna("") + " (severity " + sev + rank_en + ")",
        "answers no listed problem",
    )
    asking = p["asking"].fillna(0).astype(int)
    demand_zh = np.where(
        asking > 0, asking.astype(str) + "个社区提出" + p["need_zh"].fillna("") + "需求", "所在社区未提出相关需求"
    )
    demand_en = np.where(
        asking > 0,
        asking.astype(str)
        + np.where(asking == 1, " community asks", " communities ask")
        + " for "
        + p["need_en"].fillna(""),
        "no community asked for it",
    )
    closed = p["gap_closed"].astype(float)
    closed_zh = np.where(closed > 0, "补足缺口" + (closed * 100).round().astype(int).astype(str) + "%", "")
    closed_en = np.where(closed > 0, "closes " + (closed * 100).round().astype(int).astype(str) + "% of the need", "")
    ready = p["readiness"].astype(float)
    table = project_settings()["priority"]["readiness"]
    planned = p["category"] == "planned_new_land"
    ready_zh = np.select(
        [
            planned & p["facility_category"].notna(),
            planned,
            p["category"].isin(["road", "parking_lot"]),
            ready >= table["confirmed"],
        ],
        [
            "规划用地性质相符",
            "需调整规划用地性质",
            np.where(p["category"] == "road", "规划道路用地", "需与产权单位协商"),
            "资源已确认",
        ],
        "资源待确认（候选）",
    )
    ready_en = np.select(
        [
            planned & p["facility_category"].notna(),
            planned,
            p["category"].isin(["road", "parking_lot"]),
            ready >= table["confirmed"],
        ],
        [
            "planned use designated",
            "planned use must change",
            np.where(p["category"] == "road", "road land in the plan", "owner must agree"),
            "resource confirmed",
        ],
        "resource a candidate, to be confirmed",
    )
    ease = p["ease"].astype(float)
    ease_zh = np.select([ease >= 0.7, ease >= 0.45], ["实施难度低", "实施难度中"], "实施难度高")
    ease_en = np.select([ease >= 0.7, ease >= 0.45], ["easy to build", "moderately hard to build"], "hard to build")
    zh = _joined([problem_zh, demand_zh, closed_zh, ready_zh, ease_zh], "；", p.index)
    en = _joined([problem_en, demand_en, closed_en, ready_en, ease_en], "; ", p.index)
    en = en.str.slice(0, 1).str.upper() + en.str.slice(1)
    return zh, en


def _joined(parts: list, sep: str, index: pd.Index) -> pd.Series:
    """The non-empty parts joined by `sep`, column-wise."""
    text = pd.Series("", index=index, dtype=object)
    for part in parts:
        part = pd.Series(part, index=index, dtype=object).fillna("")
        text = text + np.where((text != "") & (part != ""), sep, "") + part
    return text
