"""Edits made outside blockcheck (QGIS's attribute table, GDAL/OGR, SQL) survive a re-run.

The workbook's own triggers mark a changed ``generated`` row ``edited`` and a new row ``added``
(blockcheck/workbook/edit_marks.py); the re-run's merge keeps both. Each edit here is committed through
GDAL/OGR, as QGIS commits it, on the tiny district's workbook.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio
import pytest

from blockcheck.errors import SchemaError
from blockcheck.lists.schema import list_table
from blockcheck.pipeline import run
from blockcheck.workbook.edit_marks import EDIT_TRIGGERS, provenance_tables
from districts import tiny_layers, write_input


def _ogr(workbook: Path, *statements: str) -> None:
    """Commit SQL through GDAL/OGR, as QGIS's GeoPackage provider does."""
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    ds = ogr.Open(str(workbook), update=1)
    for sql in statements:
        ds.ExecuteSQL(sql)
    ds = None


def _rows(workbook: Path, layer: str, key: str):
    return pyogrio.read_dataframe(workbook, layer=layer, read_geometry=False).set_index(key)


def list_key(table: str) -> str:
    return list_table(table).key


@pytest.fixture
def tiny_workbook(tmp_path: Path) -> tuple[Path, Path]:
    source = write_input(tmp_path / "in.gpkg", tiny_layers())
    out = tmp_path / "out"
    run(source, out)
    return source, out / "workbook.gpkg"


def test_a_fresh_run_is_all_generated_and_every_provenance_table_has_both_triggers(tiny_workbook):
    _, workbook = tiny_workbook
    with sqlite3.connect(workbook) as con:
        triggers = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for table in provenance_tables():
        assert {f"{table}_{suffix}" for suffix in EDIT_TRIGGERS} <= triggers, table
        assert set(_rows(workbook, table, list_key(table))["provenance"]) <= {"generated"}, table
    assert "resource_list" not in provenance_tables()  # its decisions are statuses (keep_decisions)


def test_ogr_edits_inserts_and_no_op_saves_are_marked_and_a_rerun_keeps_the_analysts_rows(tiny_workbook):
    source, workbook = tiny_workbook
    projects = _rows(workbook, "project_list", "project_id")
    assert len(projects) >= 2, "the tiny district needs two projects for this test"
    edited, untouched = projects.index[:2]
    assert projects.loc[edited, "status"] == "registered"
    tasks = _rows(workbook, "task_list", "id")
    _ogr(
        workbook,
        f"UPDATE project_list SET status = 'adjusted' WHERE project_id = '{edited}'",
        # a program saving a row as it was is not an edit; handing a row back to the run is allowed
        f"UPDATE project_list SET status = status, name = name WHERE project_id = '{untouched}'",
        "INSERT INTO task_list (id, block_id, task_type, provenance) "
        f"VALUES ('T-analyst-1', '{tasks['block_id'].iloc[0]}', '其他', NULL)",
    )
    projects = _rows(workbook, "project_list", "project_id")
    assert projects.loc[edited, ["status", "provenance"]].tolist() == ["adjusted", "edited"]
    assert projects.loc[untouched, "provenance"] == "generated"
    assert _rows(workbook, "task_list", "id").loc["T-analyst-1", "provenance"] == "added"

    run(source, workbook.parent)  # the re-run regenerates every list and merges

    projects = _rows(workbook, "project_list", "project_id")
    assert projects.loc[edited, ["status", "provenance"]].tolist() == ["adjusted", "edited"]
    assert projects.loc[untouched, ["status", "provenance"]].tolist() == ["registered", "generated"]
    assert "T-analyst-1" in _rows(workbook, "task_list", "id").index
    # the re-run's tables carry the triggers again: the next edit is marked too
    _ogr(workbook, f"UPDATE project_list SET status = 'implementing' WHERE project_id = '{untouched}'")
    assert _rows(workbook, "project_list", "project_id").loc[untouched, "provenance"] == "edited"
    # an analyst hands a row back to the run by setting provenance alone
    _ogr(workbook, f"UPDATE project_list SET provenance = 'generated' WHERE project_id = '{untouched}'")
    run(source, workbook.parent)
    assert _rows(workbook, "project_list", "project_id").loc[untouched, "status"] == "registered"


def test_an_incomplete_row_added_in_qgis_stops_the_rerun_with_its_key_and_loses_nothing(tiny_workbook):
    source, workbook = tiny_workbook
    block = _rows(workbook, "task_list", "id")["block_id"].iloc[0]
    _ogr(workbook, f"INSERT INTO task_list (id, block_id) VALUES ('T-analyst-2', '{block}')")
    before = workbook.read_bytes()
    with pytest.raises(SchemaError, match=r"task_type: 1 empty value.*T-analyst-2.*fill in the fields named"):
        run(source, workbook.parent)
    assert workbook.read_bytes() == before
