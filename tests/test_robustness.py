"""An analyst's edit is never lost: one writer at a time, edits during a run kept, no write over the input.

Real processes (the CLI in subprocesses) on the tiny district; timings varied.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
from districts import tiny_layers, write_input

from blockcheck.errors import OutputError, WorkbookLockedError
from blockcheck.io import write_gpkg
from blockcheck.locking import workbook_lock

RESOURCE = "RL-idle_site-parcels-P2"


def _cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "blockcheck.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _set_status(workbook: Path, status: str) -> None:
    """Commit a status edit through GDAL/OGR, as the QGIS editor does (retried while a writer replaces the file)."""
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    for _ in range(100):
        try:
            ds = ogr.Open(str(workbook), update=1)
            ds.ExecuteSQL(f"UPDATE resource_list SET status = '{status}' WHERE resource_id = '{RESOURCE}'")
            ds = None
            return
        except RuntimeError:  # the file is being replaced at this instant
            time.sleep(0.05)
    raise AssertionError("could not commit the edit")


def _status(workbook: Path) -> str:
    frame = pyogrio.read_dataframe(workbook, layer="resource_list", columns=["resource_id", "status"], read_geometry=False)
    return frame.set_index("resource_id").loc[RESOURCE, "status"]


@pytest.fixture
def tiny_run(tmp_path: Path) -> tuple[Path, Path]:
    source = write_input(tmp_path / "in.gpkg", tiny_layers())
    out = tmp_path / "out"
    done = _cli("run", str(source), "--out", str(out))
    assert done.wait(120) == 0, done.stderr.read()
    return source, out


def test_two_runs_at_once_lose_no_layer_and_no_decision(tiny_run) -> None:  # noqa: ANN001
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    _set_status(workbook, "confirmed")
    layers_before = {n for n, _ in pyogrio.list_layers(workbook)}
    for delay in (0.0, 0.3, 0.8):
        first = _cli("run", str(source), "--out", str(out))
        time.sleep(delay)
        second = _cli("run", str(source), "--out", str(out))
        assert first.wait(180) == 0, first.stderr.read()
        assert second.wait(180) == 0, second.stderr.read()
        assert {n for n, _ in pyogrio.list_layers(workbook)} == layers_before
        assert _status(workbook) == "confirmed"
    assert not list(out.glob(".*.tmp.gpkg"))  # no temporary file left behind


def test_an_edit_committed_during_a_run_survives_it(tiny_run) -> None:  # noqa: ANN001
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    for i, delay in enumerate((0.2, 0.6, 1.0)):
        running = _cli("run", str(source), "--out", str(out))
        time.sleep(delay)
        wanted = "confirmed" if i % 2 == 0 else "rejected"
        _set_status(workbook, wanted)
        assert running.wait(180) == 0, running.stderr.read()
        assert _status(workbook) == wanted, f"edit after {delay} s reverted"


def test_a_second_writer_stops_naming_the_holder(tmp_path: Path) -> None:
    workbook = tmp_path / "workbook.gpkg"
    with workbook_lock(workbook, command="blockcheck run (test)"):
        with pytest.raises(WorkbookLockedError, match=r"blockcheck run \(test\).*process \d+"):
            with workbook_lock(workbook, command="blockcheck import-lists", wait_s=0.3):
                pass
    with workbook_lock(workbook, command="again", wait_s=0.3):  # released: free again
        pass


def test_run_never_writes_over_its_own_input(tmp_path: Path) -> None:
    folder = tmp_path / "here"
    source = write_input(folder / "workbook.gpkg", tiny_layers())
    before = source.read_bytes()
    result = subprocess.run([sys.executable, "-m", "blockcheck.cli", "run", str(source), "--out", str(folder)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "this is the input itself" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert source.read_bytes() == before


def test_a_failed_write_leaves_the_saved_file_and_no_partial_file(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import errno

    import blockcheck.io as bio

    saved = write_gpkg(tmp_path / "w.gpkg", {"blocks": tiny_layers()["blocks"]})
    before = saved.read_bytes()
    real = bio.pyogrio.write_dataframe
    calls = []

    def disk_full_on_the_second_layer(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(kwargs.get("layer"))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(bio.pyogrio, "write_dataframe", disk_full_on_the_second_layer)
    with pytest.raises(OutputError, match="No space left on device.*Nothing already saved was changed"):
        write_gpkg(saved, {"blocks": tiny_layers()["blocks"], "roads": tiny_layers()["roads"]})
    assert saved.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gpkg"]


def test_import_osm_never_replaces_an_existing_file_without_overwrite(tmp_path: Path) -> None:
    from districts import SHARED

    out = write_input(tmp_path / "mine.gpkg", tiny_layers())
    before = out.read_bytes()
    osm = SHARED / "realdata" / "beijing-xueyuanlu-osm" / "map.osm"
    refused = subprocess.run([sys.executable, "-m", "blockcheck.cli", "import-osm", str(osm), "--out", str(out), "--quiet"],
                             capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr + refused.stdout
    assert out.read_bytes() == before
    replaced = subprocess.run([sys.executable, "-m", "blockcheck.cli", "import-osm", str(osm), "--out", str(out), "--quiet", "--overwrite"],
                              capture_output=True, text=True, check=False)
    assert replaced.returncode == 0, replaced.stderr
    assert "roads" in {n for n, _ in pyogrio.list_layers(out)} and out.read_bytes() != before


def test_validate_out_never_replaces_its_own_input(tmp_path: Path) -> None:
    source = write_input(tmp_path / "input_checked.gpkg", tiny_layers())
    before = source.read_bytes()
    result = subprocess.run([sys.executable, "-m", "blockcheck.cli", "validate", str(source), "--out", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "this is the input itself" in result.stderr + result.stdout
    assert source.read_bytes() == before


def test_run_keeps_layers_it_did_not_make(tiny_run) -> None:  # noqa: ANN001
    source, out = tiny_run
    workbook = out / "workbook.gpkg"
    mine = tiny_layers()["green"].assign(note="分析员自绘")
    pyogrio.write_dataframe(mine, workbook, layer="analyst_sketch", driver="GPKG")
    done = _cli("run", str(source), "--out", str(out))
    assert done.wait(120) == 0, done.stderr.read()
    kept = pyogrio.read_dataframe(workbook, layer="analyst_sketch")
    assert kept["note"].tolist() == ["分析员自绘"]
