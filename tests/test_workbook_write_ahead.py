"""Steps 1–2's lists written while step 3 works (blockcheck.workbook.write_ahead): the same files as a run that
writes everything at its end, an analyst's edit committed meanwhile never lost, nothing left when anything fails."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from blockcheck import parallel
from blockcheck.errors import OutputError
from blockcheck.pipeline import run
from blockcheck.workbook import write_ahead
from districts import tiny_layers, write_input
from test_parallel import needs_fork
from test_workbook_write import RESOURCE, Holder

#: Layers holding the run's time: they differ between any two runs.
_TIMED = {"blockcheck_meta", "project_history"}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_input(tmp_path / "in.gpkg", tiny_layers())


@pytest.fixture
def started(monkeypatch) -> list:
    """Every WriteAhead a run starts (forking allowed, as on a 2-core Linux machine outside QGIS)."""
    monkeypatch.setattr(parallel, "fork_available", lambda: True)
    made = []
    real_init = write_ahead.WriteAhead.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(write_ahead.WriteAhead, "__init__", init)
    return made


def _late_files() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("blockcheck-late-lists-*"))


def _same_outputs(one: Path, two: Path) -> None:
    """Both folders hold the same workbook (layers in the same order) and the same Excel rows."""
    layers = [str(n) for n, _ in pyogrio.list_layers(one / "workbook.gpkg")]
    assert layers == [str(n) for n, _ in pyogrio.list_layers(two / "workbook.gpkg")]
    for name in set(layers) - _TIMED:
        pd.testing.assert_frame_equal(
            pyogrio.read_dataframe(one / "workbook.gpkg", layer=name),
            pyogrio.read_dataframe(two / "workbook.gpkg", layer=name),
        )
    books = [load_workbook(f / "eight_lists.xlsx", read_only=True) for f in (one, two)]
    assert books[0].sheetnames == books[1].sheetnames
    for title in books[0].sheetnames:
        if "变更记录" not in title:  # the project history: the run's time
            assert list(books[0][title].values) == list(books[1][title].values), title


@needs_fork
def test_the_files_written_ahead_are_those_written_at_the_end(source, tmp_path, started, monkeypatch):
    late_before = _late_files()
    ahead = run(source, tmp_path / "ahead")
    assert len(started) == 1
    monkeypatch.setattr(parallel, "fork_available", lambda: False)
    at_end = run(source, tmp_path / "at_end")
    assert len(started) == 1  # no fork, nothing ahead
    _same_outputs(tmp_path / "ahead", tmp_path / "at_end")
    assert ahead.lists.keys() == at_end.lists.keys()
    # the edit marks are on the lists written ahead too: an analyst's change in QGIS is marked "edited"
    with sqlite3.connect(ahead.workbook) as con:
        triggers = {r[0] for r in con.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"problem_list", "resource_list", "demand_list", "project_list"} <= triggers
    assert not [p.name for p in (tmp_path / "ahead").iterdir() if p.name.startswith(".")]
    assert _late_files() == late_before


@needs_fork
def test_an_edit_committed_while_the_run_works_is_merged_not_overwritten(source, tmp_path, started, monkeypatch):
    out = tmp_path / "out"
    workbook = run(source, out).workbook
    holder = Holder(workbook)
    from blockcheck.steps import action

    real_plan = action.plan_actions

    def plan_while_the_analyst_edits(*args, **kwargs):  # after the early lists went to the files
        assert holder.ask("edit rejected") == "ok"
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(action, "plan_actions", plan_while_the_analyst_edits)
    try:
        run(source, out)
    finally:
        holder.close()
    assert len(started) == 2
    frame = pyogrio.read_dataframe(workbook, layer="resource_list").set_index("resource_id")
    assert frame.loc[RESOURCE, "status"] == "rejected"  # merged again with the workbook as it was then
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


@needs_fork
def test_a_failing_forked_writer_leaves_the_files_to_the_run(source, tmp_path, started, monkeypatch):
    def fail(*_args, **_kwargs):
        msg = "disk full (in the forked writer)"
        raise OutputError(msg)

    monkeypatch.setattr(write_ahead, "_write_early", fail)
    run(source, tmp_path / "ahead")
    assert len(started) == 1
    monkeypatch.setattr(parallel, "fork_available", lambda: False)
    run(source, tmp_path / "at_end")
    _same_outputs(tmp_path / "ahead", tmp_path / "at_end")
    assert not [p.name for p in (tmp_path / "ahead").iterdir() if p.name.startswith(".")]


@needs_fork
def test_a_run_failing_after_the_fork_stops_the_writer_and_leaves_the_workbook_as_it_was(
    source, tmp_path, started, monkeypatch
):
    out = tmp_path / "out"
    run(source, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    late_before = _late_files()
    from blockcheck.steps import action

    def fail(*_args, **_kwargs):
        raise RuntimeError("step 4 failed")

    monkeypatch.setattr(action, "plan_actions", fail)
    with pytest.raises(RuntimeError, match="step 4 failed"):
        run(source, out)
    assert len(started) == 2
    assert not started[-1]._part.running()  # the child was stopped
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing pending left, nothing changed
    assert _late_files() == late_before
