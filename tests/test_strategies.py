"""Strategy rules (图5) fire on problems × resources × demands, and policies (图6) follow them."""

from __future__ import annotations

import pandas as pd

from blockcheck.lists.strategies import build_policy_list, build_strategy_list, policy_catalogue, strategy_catalogue, strategy_rules


def _problems(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"PB-{b}-{r}" for b, r in pairs], "scope": [b for b, _ in pairs], "rule_id": [r for _, r in pairs],
                         "problem": ["问题"] * len(pairs)})


def _resources(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame({"resource_id": [f"RL-{i}" for i in range(len(rows))], "block_id": [b for b, _, _ in rows],
                         "category": [c for _, c, _ in rows], "status": [s for _, _, s in rows]})


NO_DEMANDS = pd.DataFrame(columns=["id", "block_id", "need_code", "need_zh"])


def test_catalogues_are_complete() -> None:
    assert len(strategy_catalogue()) == 36 and set(strategy_catalogue()["type"]) == {"公服增补", "交通改善", "基础保障", "品质提升", "职住优化", "精治共治"}
    assert list(policy_catalogue().index) == list(range(1, 20))
    assert len(strategy_rules()) >= 25


def test_elderly_gap_plus_idle_room_gives_use_idle_rooms() -> None:
    out = build_strategy_list(_problems(("B1", "elderly_care_beds_gap")), _resources(("B1", "idle_room", "candidate")), NO_DEMANDS)
    row = out[out["strategy_key"] == "use_idle_rooms"].iloc[0]
    assert row["code"] == "【利用闲置】" and row["type"] == "公服增补"
    assert row["problem_ids"] == "PB-B1-elderly_care_beds_gap" and row["resource_ids"] == "RL-0"
    assert "小区闲置用房" in row["rationale"]


def test_no_trigger_without_the_resource_or_with_it_rejected_or_elsewhere() -> None:
    problems = _problems(("B1", "elderly_care_beds_gap"))
    for resources in (_resources(), _resources(("B1", "idle_room", "rejected")), _resources(("B2", "idle_room", "candidate"))):
        out = build_strategy_list(problems, resources, NO_DEMANDS)
        assert "use_idle_rooms" not in set(out["strategy_key"])


def test_allocation_brings_a_resource_of_another_block_within_reach() -> None:
    alloc = pd.DataFrame({"resource_id": ["RL-0"], "block_id": ["B1"]})
    out = build_strategy_list(_problems(("B1", "elderly_care_beds_gap")), _resources(("B2", "idle_room", "candidate")), NO_DEMANDS, allocation=alloc)
    assert "use_idle_rooms" in set(out.loc[out["block_id"] == "B1", "strategy_key"])


def test_road_density_with_unbuilt_roads_and_parking_with_demand() -> None:
    demands = pd.DataFrame({"id": ["DM-1"], "block_id": ["B1"], "need_code": ["parking_shortage"], "need_zh": ["停车位不足"]})
    out = build_strategy_list(_problems(("B1", "road_implementation_low"), ("B1", "parking_gap")), _resources(), demands)
    keys = set(out["strategy_key"])
    assert {"complete_network", "time_shared_parking"} <= keys
    parking = out[out["strategy_key"] == "time_shared_parking"].iloc[0]
    assert parking["demand_ids"] == "DM-1" and parking["code"] == "【分时停车】"
    # demand alone (no parking gap) does not trigger it
    assert "time_shared_parking" not in set(build_strategy_list(_problems(), _resources(), demands)["strategy_key"])


def test_policies_follow_chosen_strategies_in_figure_6_order() -> None:
    out = build_strategy_list(_problems(("B1", "elderly_care_beds_gap"), ("B1", "parking_gap")), _resources(("B1", "idle_room", "confirmed")),
                              pd.DataFrame({"id": ["D"], "block_id": ["B1"], "need_code": ["parking_shortage"], "need_zh": ["停车位不足"]}))
    policies = build_policy_list(out)
    assert list(policies["number"]) == sorted(policies["number"])
    assert {1, 16} <= set(policies["number"])
    assert policies.set_index("number").loc[1, "lead_departments"] == "市住房城乡建设委、市规划自然资源委"
