"""The four steps, called one after another as the orchestrator does, give linked, finished lists.

Runs the sample district once through :mod:`blockcheck.steps` (no workbook) and
checks what each step hands on: every id a later list cites exists in the list
it names, and the steps' lists equal what ``pipeline.run`` writes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from blockcheck.pipeline import check_input, run
from blockcheck.steps.action import plan_actions
from blockcheck.steps.consultation import ask_needs, default_survey
from blockcheck.steps.health_check import find_problems
from blockcheck.steps.strategy import plan_strategies

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_blocks" / "sample_district.gpkg"


@pytest.fixture(scope="module")
def steps() -> dict:
    checked = check_input(SAMPLE)
    layers, standards = checked.checked.layers, checked.standards
    step1 = find_problems(layers, standards, mapping=checked.mapping, as_of_year=2026)
    health = step1.assessment.health
    step2 = ask_needs(
        layers.get("communities"),
        health.block_metrics,
        demands_path=default_survey(SAMPLE, "demands"),
        visions_path=default_survey(SAMPLE, "visions"),
    )
    step3 = plan_strategies(
        step1.assessment.layers, health, step1.problem_list, step1.resource_list, step2.demand_list, standards
    )
    step4 = plan_actions(health.block_metrics, step3)
    return {"step1": step1, "step2": step2, "step3": step3, "step4": step4}


def _ids(frame: pd.DataFrame, column: str) -> set[str]:
    values = frame[column].dropna().astype(str)
    return {i for v in values for i in v.split(",") if i}


@pytest.mark.slow
def test_each_step_returns_its_lists(steps: dict) -> None:
    assert len(steps["step1"].problem_list) > 0 and len(steps["step1"].resource_list) > 0
    assert len(steps["step2"].demand_list) > 0 and len(steps["step2"].vision_list) > 0
    assert len(steps["step3"].strategy_list) > 0 and len(steps["step3"].policy_list) > 0
    assert len(steps["step4"].task_list) > 0 and len(steps["step4"].project_list) > 0
    assert steps["step2"].warnings == ()  # both surveys were found next to the sample


@pytest.mark.slow
def test_every_cited_id_exists_in_the_list_it_names(steps: dict) -> None:
    problems = set(steps["step1"].problem_list["id"])
    resources = set(steps["step1"].resource_list["resource_id"])
    demands = set(steps["step2"].demand_list["id"])
    strategies = set(steps["step3"].strategy_list["id"])
    projects = set(steps["step4"].project_list["project_id"])
    tasks = set(steps["step4"].task_list["id"])
    s, p, pol = steps["step3"].strategy_list, steps["step4"].project_list, steps["step3"].policy_list
    assert _ids(s, "problem_ids") <= problems
    assert _ids(s, "resource_ids") <= resources
    assert _ids(s, "demand_ids") <= demands
    assert _ids(p, "strategy_ids") <= strategies
    assert _ids(p, "problem_ids") <= problems
    assert _ids(p, "resource_ids") <= resources
    assert _ids(pol, "strategy_ids") <= strategies
    assert _ids(pol, "project_ids") <= projects  # step 3 drafted them; step 4 ranked the same projects
    assert _ids(pol, "task_ids") <= tasks
    assert _ids(steps["step4"].task_list, "project_ids") <= projects


@pytest.mark.slow
def test_projects_are_numbered_by_domain_then_priority(steps: dict) -> None:
    p = steps["step4"].project_list
    assert p["number"].tolist() == list(range(1, len(p) + 1))
    for _, rows in p.groupby("domain", sort=False):
        scores = rows.sort_values("number")["priority_score"].to_numpy()
        assert (scores[:-1] >= scores[1:] - 1e-12).all()
    assert set(p["status"]) == {"registered"}


@pytest.mark.slow
def test_the_steps_give_what_the_run_writes(steps: dict, tmp_path: Path) -> None:
    result = run(SAMPLE, tmp_path)
    pairs = {
        "problem_list": steps["step1"].problem_list,
        "demand_list": steps["step2"].demand_list,
        "strategy_list": steps["step3"].strategy_list,
        "policy_list": steps["step3"].policy_list,
        "task_list": steps["step4"].task_list,
        "project_list": steps["step4"].project_list,
    }
    for name, frame in pairs.items():
        written = result.lists[name].drop(columns="geometry", errors="ignore").reset_index(drop=True)
        pd.testing.assert_frame_equal(written, frame.drop(columns="geometry", errors="ignore").reset_index(drop=True))


def test_step_2_runs_while_the_resource_search_works_and_a_failure_stops_the_search(monkeypatch) -> None:
    from blockcheck import parallel

    checked = check_input(SAMPLE)
    layers, standards = checked.checked.layers, checked.standards
    seen = []

    def consult(assessment):
        seen.append(len(assessment.health.block_metrics))
        return ask_needs(
            assessment.layers.get("communities"),
            assessment.health.block_metrics,
            demands_path=default_survey(SAMPLE, "demands"),
        )

    step1 = find_problems(layers, standards, as_of_year=2026, while_searching=consult)
    assert seen == [len(layers["blocks"])]
    assert len(step1.while_searching.demand_list) > 0 and len(step1.resource_list) > 0

    cancelled = []
    cancel = parallel.Forked.cancel

    def recorded(self) -> None:
        cancelled.append(self.forked)
        cancel(self)

    monkeypatch.setattr(parallel.Forked, "cancel", recorded)

    def fail(assessment):
        raise ValueError("a survey that cannot be matched")

    with pytest.raises(ValueError, match="cannot be matched"):
        find_problems(layers, standards, as_of_year=2026, while_searching=fail)
    assert cancelled == [parallel.fork_available()]  # the search (forked where it can be) was stopped


def test_the_walking_network_is_built_once_for_the_health_check_and_the_walks_ahead(monkeypatch, tmp_path) -> None:
    import os

    import blockcheck.steps.health_parameters as step1_module
    from blockcheck import parallel

    checked = check_input(SAMPLE)
    layers, standards = checked.checked.layers, checked.standards
    builds = tmp_path / "builds.txt"  # a file: a build in the forked search is counted too
    build = step1_module.build_walk_network

    def counted(*args, **kwargs):
        with builds.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return build(*args, **kwargs)

    monkeypatch.setattr(step1_module, "build_walk_network", counted)
    step = find_problems(layers, standards, as_of_year=2026, distances_ahead=True)
    assert builds.read_text().split() == [str(os.getpid())]  # once, here: the fork walks on the same network
    assert step.assessment.health.network is not None
    if parallel.fork_available():  # the allocation's walks were found beside the health check, on that network
        assert step.resource_distances is not None


def test_step_2_refuses_tables_already_read_together_with_a_path() -> None:
    from blockcheck.errors import InputError
    from blockcheck.steps.consultation import read_surveys

    demands = default_survey(SAMPLE, "demands")
    surveys = read_surveys(demands_path=demands)
    blocks = check_input(SAMPLE).checked.layers["blocks"]
    with pytest.raises(InputError, match=r"surveys= .* and visions_path were given.*read_surveys"):
        ask_needs(None, blocks, surveys=surveys, visions_path=default_survey(SAMPLE, "visions"))
    # the tables as read, alone, are used: the demand list is the one the path gives
    from_tables = ask_needs(None, blocks, surveys=surveys).demand_list
    from_path = ask_needs(None, blocks, demands_path=demands).demand_list
    assert len(from_tables) > 0
    pd.testing.assert_frame_equal(from_tables, from_path)
