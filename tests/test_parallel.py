"""A part of the run in a forked process: the same result, its error raised in the parent, never lost."""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import pytest

from blockcheck import parallel
from blockcheck.errors import ForkedPartError, InputError


def _pid_and_sum(values: np.ndarray, *, offset: float) -> tuple[int, float]:
    return os.getpid(), float(values.sum() + offset)


def _fail(message: str) -> None:
    raise InputError(message)


def _die() -> int:
    if os.environ.get("BLOCKCHECK_TEST_PARENT") != str(os.getpid()):  # only in the child
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is used on Linux only")


@needs_fork
def test_the_call_runs_in_a_child_with_inherited_data_and_gives_its_result():
    values = np.arange(1_000_000, dtype="float64")  # inherited, not pickled
    part = parallel.start(_pid_and_sum, values, offset=0.5, fork=True)
    assert part.forked
    pid, total = part.result()
    assert pid != os.getpid()
    assert total == 499999500000.5


@needs_fork
def test_an_error_of_the_child_is_raised_in_the_parent_with_its_message():
    part = parallel.start(_fail, "blocks: 3 features have no block_id", fork=True)
    with pytest.raises(InputError, match="3 features have no block_id"):
        part.result()


@needs_fork
def test_a_child_killed_without_a_word_is_done_again_in_the_parent(monkeypatch):
    monkeypatch.setenv("BLOCKCHECK_TEST_PARENT", str(os.getpid()))
    part = parallel.start(_die, fork=True)
    assert part.result() == os.getpid()  # computed here after the child was killed


@needs_fork
def test_cancel_stops_the_child():
    part = parallel.start(_pid_and_sum, np.ones(3), offset=0.0, fork=True)
    part.cancel()
    with pytest.raises(ForkedPartError, match="cancelled"):
        part.result()


def test_without_fork_the_call_is_made_at_once_here():
    part = parallel.start(_pid_and_sum, np.ones(4), offset=1.0, fork=False)
    assert not part.forked
    assert part.result() == (os.getpid(), 5.0)


def test_forking_is_off_with_the_variable_and_inside_qt(monkeypatch):
    monkeypatch.setenv(parallel.ENV_PROCESSES, "1")
    assert not parallel.fork_available()
    monkeypatch.delenv(parallel.ENV_PROCESSES)
    monkeypatch.setitem(sys.modules, "qgis.core", object())
    assert not parallel.fork_available()


@needs_fork
def test_a_run_with_its_parts_forked_writes_the_same_workbook_and_excel_as_one_in_one_process(tmp_path, monkeypatch):
    import pandas as pd
    import pyogrio
    from openpyxl import load_workbook

    from blockcheck.pipeline import run
    from districts import tiny_layers, write_input

    source = write_input(tmp_path / "in.gpkg", tiny_layers())
    forks = []
    real_start = parallel.start

    def counted(fn, /, *args, fork=None, **kwargs):
        part = real_start(fn, *args, fork=fork, **kwargs)
        forks.append(part.forked)
        return part

    monkeypatch.setattr(parallel, "start", counted)
    from blockcheck.allocation import distances

    looked_up = []
    real_lookup = distances.KnownDistances.lookup
    monkeypatch.setattr(
        distances.KnownDistances, "lookup", lambda self, *a: looked_up.append(real_lookup(self, *a)) or looked_up[-1]
    )
    outs = {}
    for forked in (False, True):
        monkeypatch.setattr(parallel, "fork_available", lambda forked=forked: forked)
        outs[forked] = tmp_path / f"out_{forked}"
        run(source, outs[forked])
    assert forks == [False, False, True, True]  # the resource search, then the Excel file or the lists written ahead
    # the forked search walked the allocation's pairs ahead and the allocation read them
    assert len(looked_up) == 1 and looked_up[0] is not None
    one, two = (outs[f] / "workbook.gpkg" for f in (False, True))
    layers = [n for n, _ in pyogrio.list_layers(one)]
    assert layers == [n for n, _ in pyogrio.list_layers(two)]
    for name in set(layers) - {"blockcheck_meta", "project_history"}:  # these hold the run's time
        pd.testing.assert_frame_equal(pyogrio.read_dataframe(one, layer=name), pyogrio.read_dataframe(two, layer=name))
    sheets = [load_workbook(outs[f] / "eight_lists.xlsx", read_only=True) for f in (False, True)]
    assert sheets[0].sheetnames == sheets[1].sheetnames
    for title in sheets[0].sheetnames:
        if "变更记录" in title:  # the project history: the run's time
            continue
        rows = [list(s[title].iter_rows(values_only=True)) for s in sheets]
        assert rows[0] == rows[1], title


def test_forking_is_off_in_a_dask_worker_where_batch_runs_districts():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as client:
        assert client.submit(parallel.fork_available, pure=False).result(timeout=60) is False
