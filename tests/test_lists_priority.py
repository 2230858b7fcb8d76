"""Step 4, priority and phase (blockcheck.lists.priority) on rows small enough to check by hand.

The score, readiness and phases are read from ``blockcheck/data/projects.toml``; the first
test pins the values the hand computations below use, so a change of the data file shows
here first (and the expected values must be recomputed with the new figures).
"""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from blockcheck.lists import priority
from blockcheck.lists.priority import CRITERIA, assign_phases, priority_reasons, priority_score, readiness


def _data_file() -> dict:
    return tomllib.loads(resources.files("blockcheck").joinpath("data/projects.toml").read_text("utf-8"))


def test_the_hand_computations_use_the_figures_of_the_data_file() -> None:
    doc = _data_file()
    assert doc["priority"]["weights"] == {
        "severity": 0.45,
        "demand": 0.2,
        "gap_closed": 0.15,
        "readiness": 0.1,
        "ease": 0.1,
    }  # Σ = 1.0
    assert doc["priority"]["readiness"] == {
        "confirmed": 1.0,
        "candidate": 0.6,
        "planned_land_designated": 0.8,
        "planned_land_other": 0.4,
    }
    assert [(p["name"], p["share"], p["year"]) for p in doc["phases"]] == [
        ("近期", 0.34, 2027),
        ("中期", 0.33, 2028),
        ("远期", 0.33, 2030),
    ]
    assert doc["phasing"] == {"guarantee_domains": 3, "guarantee_projects": 3, "min_per_domain": 1}
    assert list(CRITERIA) == list(doc["priority"]["weights"])


# ------------------------------------------------------------------------------ priority_score


def _criteria(rows: dict[str, tuple]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(CRITERIA))


def test_priority_score_is_the_weighted_mean_of_the_criteria() -> None:
    c = _criteria(
        {
            "all": (1, 1, 1, 1, 1),  # 100 × (0.45 + 0.2 + 0.15 + 0.1 + 0.1) / 1.0 = 100
            "none": (0, 0, 0, 0, 0),  # 0
            # 100 × (0.45·0.8 + 0.2·0.5 + 0.15·1 + 0.1·0.8 + 0.1·0.8) = 36 + 10 + 15 + 8 + 8 = 77
            "mixed": (0.8, 0.5, 1.0, 0.8, 0.8),
            # 100 × 0.2 × 0.123 = 2.46 → one decimal: 2.5
            "rounded": (0, 0.123, 0, 0, 0),
            # out of range: severity 1.7 → 1, demand −0.3 → 0: 100 × 0.45 = 45
            "clipped": (1.7, -0.3, 0, 0, 0),
        }
    )
    np.testing.assert_allclose(np.asarray(priority_score(c)), [100.0, 0.0, 77.0, 2.5, 45.0])


def test_missing_severity_or_demand_counts_zero_and_never_ranks_first() -> None:
    c = _criteria(
        {
            # severity and demand unknown: 100 × (0.15·0.5 + 0.1·0.6 + 0.1·0.5) = 7.5 + 6 + 5 = 18.5
            "unknown": (np.nan, np.nan, 0.5, 0.6, 0.5),
            # the same with a small known severity: 18.5 + 100 × 0.45 × 0.1 = 23.0
            "known": (0.1, np.nan, 0.5, 0.6, 0.5),
            "zero": (0.0, 0.0, 0.5, 0.6, 0.5),  # 18.5, as the unknown one
        }
    )
    score = pd.Series(np.asarray(priority_score(c)), index=c.index)
    assert score.to_dict() == {"unknown": 18.5, "known": 23.0, "zero": 18.5}
    assert score.idxmax() == "known"


def test_priority_score_divides_by_the_sum_of_the_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _data_file()
    doubled = {**doc, "priority": {**doc["priority"], "weights": {"severity": 0.9, "demand": 0.4}}}
    monkeypatch.setattr(priority, "project_settings", lambda: doubled)
    # weights 0.9 and 0.4 (the others missing count 0): 100 × (0.9·0.5 + 0.4·1) / 1.3 = 100 × 0.85 / 1.3 = 65.38… → 65.4
    c = _criteria({"p": (0.5, 1.0, 1.0, 1.0, 1.0)})
    assert np.asarray(priority_score(c)).tolist() == [65.4]


# ------------------------------------------------------------------------------ readiness


def test_readiness_fixed_then_life_cycle_then_status() -> None:
    placements = pd.DataFrame(
        {
            "category": [
                "road",  # fixed 0.7 (public road land) wins over anything else
                "parking_lot",  # fixed 0.5
                "planned_new_land",  # its plan designates a facility: 0.8, whatever its status
                "planned_new_land",  # its use must change: 0.4
                "idle_room",  # confirmed: 1.0
                "idle_room",  # candidate: 0.6
                "idle_site",  # no status: a candidate, 0.6
                "idle_site",  # a status the table does not know: a candidate, 0.6
            ],
            "readiness": [0.7, 0.5, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            "status": ["candidate", None, "candidate", "confirmed", "confirmed", "candidate", None, "retired"],
            "facility_category": [None, None, "hospital", None, None, None, None, None],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )
    r = readiness(placements)
    assert r.index.tolist() == placements.index.tolist() and r.dtype == "float64"
    assert r.tolist() == [0.7, 0.5, 0.8, 0.4, 1.0, 0.6, 0.6, 0.6]


def test_readiness_without_status_or_facility_columns() -> None:
    placements = pd.DataFrame(
        {"category": ["planned_new_land", "idle_room"], "readiness": [np.nan, np.nan]}, index=["a", "b"]
    )
    # no facility_category: planned land counts as land whose use must change (0.4); no status: candidate (0.6)
    assert readiness(placements).to_dict() == {"a": 0.4, "b": 0.6}


# ------------------------------------------------------------------------------ assign_phases


def _projects(rows: list[tuple[str, str, float]], index: list | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_id", "domain", "priority_score"], index=index)


_NO_ANSWERS = pd.DataFrame(columns=["project_id", "rule_id", "severity"])


@pytest.mark.parametrize(
    ("n", "counts"),
    [
        # 近期 = round(0.34 n); the other m = n − 近期 split at 0.33 / 0.66 · m: position p goes to the first
        # phase whose cumulative bound reaches p
        (10, (3, 3, 4)),  # round(3.4) = 3; m = 7, bounds 3.5, 7 → p 1–3 中期, 4–7 远期
        (3, (1, 1, 1)),  # round(1.02) = 1; m = 2, bounds 1, 2
        (2, (1, 0, 1)),  # round(0.68) = 1; m = 1, bounds 0.5, 1 → the one left is 远期
        (1, (0, 0, 1)),  # round(0.34) = 0: a lone project answering no area problem is 远期
        (6, (2, 2, 2)),  # round(2.04) = 2; m = 4, bounds 2, 4
    ],
)
def test_phase_boundaries_by_share(n: int, counts: tuple[int, int, int]) -> None:
    frame = _projects([(f"P{i:02d}", "d", 100.0 - i) for i in range(n)])
    phase, year = assign_phases(frame, _NO_ANSWERS)
    near, mid, far = counts
    assert phase.tolist() == ["近期"] * near + ["中期"] * mid + ["远期"] * far  # by score, best first
    assert year.tolist() == [2027] * near + [2028] * mid + [2030] * far


def test_ties_are_broken_by_project_id_and_the_result_keeps_the_input_index() -> None:
    frame = _projects([("P-c", "d", 50.0), ("P-a", "d", 50.0), ("P-b", "d", 50.0)], index=["x", "y", "z"])
    phase, year = assign_phases(frame, _NO_ANSWERS)
    # equal scores: P-a, P-b, P-c in that order; 近期 round(1.02) = 1, then 中期 1, 远期 1
    assert phase.to_dict() == {"x": "远期", "y": "近期", "z": "中期"}
    assert year.to_dict() == {"x": 2030, "y": 2027, "z": 2028}
    again, _ = assign_phases(frame.iloc[::-1], _NO_ANSWERS)
    assert again.reindex(frame.index).equals(phase)


def test_an_area_problem_of_unknown_severity_guarantees_nothing() -> None:
    # Six projects of one domain and one of another. P06 (score 10, domain e) answers area problem z whose
    # severity is NaN: it is not ranked, so neither z nor domain e get a guarantee. P05 (score 20) answers
    # area problem w (0.2): its domain d is guaranteed its best project answering w, and its best project
    # overall (P00). 近期 = max(round(0.34 × 7) = 2, 2 guaranteed) = 2: P00 and P05.
    frame = _projects([(f"P0{i}", "d", 100.0 - 10 * i) for i in range(5)] + [("P05", "d", 20.0), ("P06", "e", 10.0)])
    answers = pd.DataFrame({"project_id": ["P06", "P05"], "rule_id": ["z", "w"], "severity": [np.nan, 0.2]})
    phase, _ = assign_phases(frame, answers)
    assert frame.loc[phase == "近期", "project_id"].tolist() == ["P00", "P05"]
    # the other five by score: bounds 2.5, 5 → P01, P02 中期; P03, P04, P06 远期
    assert phase.tolist() == ["近期", "中期", "中期", "远期", "远期", "近期", "远期"]


def test_a_missing_score_ranks_last() -> None:
    frame = _projects([("P1", "d", np.nan), ("P2", "d", 1.0), ("P3", "d", 0.0)])
    phase, _ = assign_phases(frame, _NO_ANSWERS)
    # order P2, P3, P1 (NaN last): 近期 P2; 中期 P3; 远期 P1
    assert phase.tolist() == ["远期", "近期", "中期"]


def test_guarantees_take_the_best_projects_of_the_most_severe_problems_beyond_the_share() -> None:
    # Area problems: u (0.9) answered by four projects of domain a, v (0.5) by two of b, w (0.4) by one of c,
    # x (0.3) by one of d. The first 3 domains by severity (a, b, c) put their best 3 answering projects
    # into 近期: A1–A3 (not A4), B1, B2, C1; domain d puts its best one (D1) there too (min_per_domain 1).
    # 7 guaranteed > round(0.34 × 10) = 3 projects, so 近期 holds 7 and the other 3 (A4, E1, E2) are later.
    rows = [
        ("A1", "a", 40.0),
        ("A2", "a", 39.0),
        ("A3", "a", 38.0),
        ("A4", "a", 37.0),
        ("B1", "b", 30.0),
        ("B2", "b", 29.0),
        ("C1", "c", 20.0),
        ("D1", "d", 10.0),
        ("E1", "e", 99.0),  # best score, answers no area problem
        ("E2", "e", 98.0),
    ]
    frame = _projects(rows)
    answers = pd.DataFrame(
        [("A1", "u", 0.9), ("A2", "u", 0.9), ("A3", "u", 0.9), ("A4", "u", 0.9)]
        + [("B1", "v", 0.5), ("B2", "v", 0.5), ("C1", "w", 0.4), ("D1", "x", 0.3)],
        columns=["project_id", "rule_id", "severity"],
    )
    phase, _ = assign_phases(frame, answers)
    assert sorted(frame.loc[phase == "近期", "project_id"]) == ["A1", "A2", "A3", "B1", "B2", "C1", "D1"]
    # the rest by score E1 (99), E2 (98), A4 (37): bounds 1.5, 3 → E1 中期, E2 and A4 远期
    assert dict(zip(frame["project_id"], phase, strict=True))["E1"] == "中期"
    assert phase[frame["project_id"].isin(["E2", "A4"])].tolist() == ["远期", "远期"]


# ------------------------------------------------------------------------------ priority_reasons


def _reason_rows() -> pd.DataFrame:
    base = {
        "severity": 0.95,
        "lead_problem": "机构养老床位不足",
        "lead_problem_en": "elderly-care beds short",
        "lead_rank": 2.0,
        "asking": 3,
        "need_zh": "养老",
        "need_en": "elderly care",
        "gap_closed": 0.4,
        "readiness": 0.6,
        "category": "idle_room",
        "facility_category": None,
        "ease": 0.8,
    }
    rows = {
        "full": {},
        "one_asks_11th": {"lead_rank": 11.0, "asking": 1, "gap_closed": 0.0, "readiness": 1.0, "ease": 0.7},
        "no_problem": {
            "lead_problem": "",
            "lead_problem_en": None,
            "lead_rank": np.nan,
            "severity": 0.0,
            "asking": 0,
            "need_zh": None,
            "need_en": None,
            "ease": 0.45,
        },
        "designated": {"lead_rank": 21.0, "category": "planned_new_land", "facility_category": "park", "ease": 0.44},
        "use_must_change": {"lead_rank": 22.0, "category": "planned_new_land"},
        "road": {"lead_rank": 3.0, "category": "road", "readiness": 0.7},
        "shared_lot": {"lead_rank": 113.0, "category": "parking_lot", "readiness": 0.5},
    }
    return pd.DataFrame([{**base, **v} for v in rows.values()], index=list(rows))


def test_priority_reasons_say_why_in_both_languages() -> None:
    zh, en = priority_reasons(_reason_rows())
    assert zh.index.tolist() == en.index.tolist() == _reason_rows().index.tolist()
    assert zh["full"] == (
        "答复机构养老床位不足（严重程度0.95，全区第2）；3个社区提出养老需求；补足缺口40%；"
        "资源待确认（候选）；实施难度低"
    )
    assert en["full"] == (
        "Answers elderly-care beds short (severity 0.95, 2nd in the area); 3 communities ask for elderly care; "
        "closes 40% of the need; resource a candidate, to be confirmed; easy to build"
    )
    # no gap closed: that part is left out; readiness 1.0 is "confirmed"; ease 0.7 is still easy
    assert (
        zh["one_asks_11th"]
        == "答复机构养老床位不足（严重程度0.95，全区第11）；1个社区提出养老需求；资源已确认；实施难度低"
    )
    assert en["one_asks_11th"] == (
        "Answers elderly-care beds short (severity 0.95, 11th in the area); 1 community asks for elderly care; "
        "resource confirmed; easy to build"
    )
    assert (
        zh["no_problem"]
        == "不直接对应问题清单中的问题；所在社区未提出相关需求；补足缺口40%；资源待确认（候选）；实施难度中"
    )
    assert en["no_problem"] == (
        "Answers no listed problem; no community asked for it; closes 40% of the need; "
        "resource a candidate, to be confirmed; moderately hard to build"
    )
    assert zh["designated"].endswith(
        "（严重程度0.95，全区第21）；3个社区提出养老需求；补足缺口40%；规划用地性质相符；实施难度高"
    )
    assert en["designated"].endswith(
        "21st in the area); 3 communities ask for elderly care; closes 40% of the need; "
        "planned use designated; hard to build"
    )
    assert zh["use_must_change"].endswith(
        "全区第22）；3个社区提出养老需求；补足缺口40%；需调整规划用地性质；实施难度低"
    )
    assert "22nd in the area" in en["use_must_change"] and en["use_must_change"].endswith(
        "planned use must change; easy to build"
    )
    assert "规划道路用地" in zh["road"] and "3rd in the area" in en["road"] and "road land in the plan" in en["road"]
    assert (
        "需与产权单位协商" in zh["shared_lot"]
        and "113th in the area" in en["shared_lot"]
        and "owner must agree" in en["shared_lot"]
    )
