"""``blockcheck batch --scheduler``: the same batch on a real ``dask scheduler`` and ``dask worker`` processes
started on localhost (TCP, free ports), stopped after the test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from batch_districts import BROKEN, write_batch
from blockcheck.batch.summary import SUMMARY_LAYER
from blockcheck.cli import main

pytestmark = pytest.mark.slow

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def scheduler(tmp_path):
    """The address of a `dask scheduler` with two `dask worker` processes (one thread each) on localhost."""
    from distributed import Client

    if not DASK.is_file():
        pytest.skip(f"no dask command at {DASK}: pip install 'dask[distributed]'")
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = [(tmp_path / f"{name}.log").open("w") for name in ("scheduler", "worker")]
    started = []
    try:
        port = address.rsplit(":", 1)[1]
        started.append(
            subprocess.Popen(
                [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                stdout=logs[0],
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        started.append(
            subprocess.Popen(
                [DASK, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                stdout=logs[1],
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
                start_new_session=True,
            )
        )
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            yield address
            client.shutdown()  # the scheduler and its workers stop at once
    finally:
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # its own session: the worker processes under it go too
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in logs:
            log.close()


def test_a_batch_on_a_running_scheduler_finishes_the_good_districts_and_reports_the_broken_one(
    tmp_path, scheduler, capsys
) -> None:
    manifest = write_batch(tmp_path / "districts", ("north",))  # one good district, one broken: one each per worker
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(manifest), "--out", str(out), "--scheduler", scheduler])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"{BROKEN}: FAILED" in err and "blocks.block_id" in err and "Traceback" not in err
    summary = gpd.read_file(out / "batch_summary.gpkg", layer=SUMMARY_LAYER)
    assert summary["name"].tolist() == ["north", BROKEN]
    assert summary["status"].tolist() == ["ok", "failed"]
    assert (out / "north" / "workbook.gpkg").is_file() and (out / "north" / "eight_lists.xlsx").is_file()
    assert summary.loc[0, "problems_total"] > 0 and "block_id" in summary.loc[1, "message"]


def test_a_scheduler_nobody_runs_is_a_clear_error(tmp_path, capsys) -> None:
    manifest = write_batch(tmp_path / "districts", ("north",), broken=False)
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{_free_port()}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "no Dask scheduler answers there" in err and "dask scheduler" in err and "Traceback" not in err
