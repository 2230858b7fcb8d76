"""Strategy rules (图5) fire on problems × resources × demands, and policies (图6) follow them."""

from __future__ import annotations

import pandas as pd

from blockcheck.lists.policies import build_policy_list, policy_catalogue
from blockcheck.lists.strategies import (
    build_strategy_list,
    carried_strategies,
    strategy_catalogue,
    strategy_rules,
)


def _problems(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"PB-{b}-{r}" for b, r in pairs],
            "scope": [b for b, _ in pairs],
            "rule_id": [r for _, r in pairs],
            "problem": ["问题"] * len(pairs),
        }
    )


def _resources(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "resource_id": [f"RL-{i}" for i in range(len(rows))],
            "block_id": [b for b, _, _ in rows],
            "category": [c for _, c, _ in rows],
            "status": [s for _, _, s in rows],
        }
    )


NO_DEMANDS = pd.DataFrame(columns=["id", "block_id", "need_code", "need_zh"])


def test_catalogues_are_complete() -> None:
    catalogue = strategy_catalogue()
    method = catalogue[catalogue["extension"].isna()] if "extension" in catalogue else catalogue
    assert len(method) == 36 and set(catalogue["type"]) == {
        "公服增补",
        "交通改善",
        "基础保障",
        "品质提升",
        "职住优化",
        "精治共治",
    }
    assert list(catalogue.index[catalogue["extension"].eq(True)]) == [
        "parking_supply"
    ]  # not in 图5: parking under sites
    assert list(policy_catalogue().index) == list(range(1, 20))
    assert len(strategy_rules()) >= 25
    enabled = {k for keys in policy_catalogue()["enables"] for k in keys}
    assert {"parking_supply", "time_shared_parking", "sponge", "municipal_upgrade", "new_land_first"} <= enabled


def test_elderly_gap_plus_idle_room_gives_use_idle_rooms() -> None:
    out = build_strategy_list(
        _problems(("B1", "elderly_care_beds_gap")), _resources(("B1", "idle_room", "candidate")), NO_DEMANDS
    )
    row = out[out["strategy_key"] == "use_idle_rooms"].iloc[0]
    assert row["code"] == "【利用闲置】" and row["type"] == "公服增补"
    assert row["problem_ids"] == "PB-B1-elderly_care_beds_gap" and row["resource_ids"] == "RL-0"
    assert "小区闲置用房" in row["rationale"]


def test_no_trigger_without_the_resource_or_with_it_rejected_or_elsewhere() -> None:
    problems = _problems(("B1", "elderly_care_beds_gap"))
    for resources in (
        _resources(),
        _resources(("B1", "idle_room", "rejected")),
        _resources(("B2", "idle_room", "candidate")),
    ):
        out = build_strategy_list(problems, resources, NO_DEMANDS)
        assert "use_idle_rooms" not in set(out["strategy_key"])


def test_allocation_brings_a_resource_of_another_block_within_reach() -> None:
    alloc = pd.DataFrame({"resource_id": ["RL-0"], "block_id": ["B1"]})
    out = build_strategy_list(
        _problems(("B1", "elderly_care_beds_gap")),
        _resources(("B2", "idle_room", "candidate")),
        NO_DEMANDS,
        allocation=alloc,
    )
    assert "use_idle_rooms" in set(out.loc[out["block_id"] == "B1", "strategy_key"])


def test_road_density_with_unbuilt_roads_and_parking_with_demand() -> None:
    demands = pd.DataFrame(
        {"id": ["DM-1"], "block_id": ["B1"], "need_code": ["parking_shortage"], "need_zh": ["停车位不足"]}
    )
    out = build_strategy_list(
        _problems(("B1", "road_implementation_low"), ("B1", "parking_gap")), _resources(), demands
    )
    keys = set(out["strategy_key"])
    assert {"complete_network", "time_shared_parking"} <= keys
    parking = out[out["strategy_key"] == "time_shared_parking"].iloc[0]
    assert parking["demand_ids"] == "DM-1" and parking["code"] == "【分时停车】"
    # demand alone (no parking gap) does not trigger it
    assert "time_shared_parking" not in set(build_strategy_list(_problems(), _resources(), demands)["strategy_key"])


def test_policies_follow_chosen_strategies_in_figure_6_order() -> None:
    out = build_strategy_list(
        _problems(("B1", "elderly_care_beds_gap"), ("B1", "parking_gap")),
        _resources(("B1", "idle_room", "confirmed")),
        pd.DataFrame({"id": ["D"], "block_id": ["B1"], "need_code": ["parking_shortage"], "need_zh": ["停车位不足"]}),
    )
    policies = build_policy_list(out)
    # 图6 order, numbered 1…n over the policies listed (图6's own number kept alongside)
    assert list(policies["number"]) == list(range(1, len(policies) + 1))
    assert list(policies["catalogue_number"]) == sorted(policies["catalogue_number"]) and {1, 16} <= set(
        policies["catalogue_number"]
    )
    by = policies.set_index("catalogue_number")
    assert by.loc[1, "lead_departments"] == "市住房城乡建设委、市规划自然资源委" and by.loc[1, "number"] == 1
    assert by.loc[16, "strategy_ids"] == "ST-B1-time_shared_parking" and by.loc[16, "number"] == 2


def test_policy_list_adds_the_policies_open_tasks_need() -> None:
    strategies = build_strategy_list(
        _problems(("B1", "elderly_care_beds_gap")), _resources(("B1", "idle_room", "confirmed")), NO_DEMANDS
    )
    projects = pd.DataFrame({"project_id": ["PJ-1"], "strategy_ids": ["ST-B1-use_idle_rooms"]})
    opened = pd.DataFrame({"id": ["TK-B2-待落实-school_land_gap"], "block_id": ["B2"], "unlock": ["8,14"]})
    policies = build_policy_list(strategies, projects=projects, opened=opened).set_index("catalogue_number")
    assert list(policies.index) == [1, 8, 14] and list(policies["number"]) == [1, 2, 3]
    assert policies.loc[1, "project_ids"] == "PJ-1" and pd.isna(policies.loc[1, "task_ids"])
    assert policies.loc[8, "task_ids"] == "TK-B2-待落实-school_land_gap" and policies.loc[8, "blocks"] == "B2"


def test_an_area_only_problem_is_evidence_in_every_block() -> None:
    # job-housing is judged for the whole area only: its row counts in each block with the resource
    problems = _problems(("ALL", "job_housing_low"), ("B1", "parking_gap"))
    out = build_strategy_list(problems, _resources(("B2", "low_efficiency_building", "candidate")), NO_DEMANDS)
    row = out[(out["block_id"] == "B2") & (out["strategy_key"] == "industrial_upgrade")].iloc[0]
    assert row["problem_ids"] == "PB-ALL-job_housing_low"
    # an area row with block rows (parking) does not spread
    assert "parking_gap" not in ",".join(out.loc[out["block_id"] == "B2", "problem_ids"])


def test_carried_strategies_fill_what_no_rule_proposed() -> None:
    strategies = build_strategy_list(
        _problems(("B1", "elderly_care_beds_gap")), _resources(("B1", "idle_room", "confirmed")), NO_DEMANDS
    )
    placements = pd.DataFrame(
        {
            "site_block": ["B2", "B1"],
            "served_block": ["B1", "B1"],
            "strategy_key": ["mixed_use", "use_idle_rooms"],
            "kind": ["elderly_care_beds"] * 2,
            "resource_id": ["RL-9", "RL-0"],
            "word": ["闲置场地", "闲置用房"],
        }
    )
    added = carried_strategies(
        strategies, placements, _problems(("B1", "elderly_care_beds_gap")).assign(problem="机构养老床位不足")
    )
    assert len(added) == 1
    row = added.iloc[0]
    assert (row["block_id"], row["strategy_key"], row["code"], row["rule_ids"]) == (
        "B2",
        "mixed_use",
        "【功能混合】",
        "placement",
    )
    assert row["problem_ids"] == "PB-B1-elderly_care_beds_gap" and row["resource_ids"] == "RL-9"
    assert row["rationale"] == "机构养老床位不足；落实于闲置场地的项目"
