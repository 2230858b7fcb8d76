"""Merging a run's lists with analysts' work (blockcheck.workbook.merge): in two parts as in one."""

from __future__ import annotations

import pandas as pd

from blockcheck.pipeline import run
from blockcheck.workbook.merge import merge_run
from blockcheck.workbook.write import read_snapshot
from districts import tiny_layers, write_input

_EARLY = ("problem_list", "resource_list", "demand_list", "vision_list")


def test_lists_merged_in_two_parts_and_joined_equal_one_merge_of_all(tmp_path):
    source = write_input(tmp_path / "in.gpkg", tiny_layers())
    first = run(source, tmp_path / "out")
    latest = read_snapshot(first.workbook).tables  # a workbook with lists and a project history to merge with
    generated = dict(first.lists)
    block_ids = [str(b) for b in first.health.block_metrics["block_id"]]
    whole = merge_run(generated, latest, block_ids=block_ids)
    early = merge_run({k: v for k, v in generated.items() if k in _EARLY}, latest, block_ids=block_ids)
    late = merge_run({k: v for k, v in generated.items() if k not in _EARLY}, latest, block_ids=block_ids)
    joined = early.joined(late)
    assert list(joined.lists) == list(whole.lists)  # the method's order
    assert list(whole.lists)[:4] == list(_EARLY)
    for name, frame in whole.lists.items():
        pd.testing.assert_frame_equal(joined.lists[name], frame)
    pd.testing.assert_frame_equal(joined.resource_summary, whole.resource_summary)
    timed = ["changed_at"] if "changed_at" in whole.history else []
    pd.testing.assert_frame_equal(joined.history.drop(columns=timed), whole.history.drop(columns=timed))
    assert len(whole.history) >= len(latest["project_history"])
