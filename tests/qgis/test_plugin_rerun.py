"""Edit in the checklist editor, then run again into the same folder, in real QGIS (issue 16, point 1).

The workbook is open as map layers and in the editor (QGIS's own connections, WAL mode) while the
Processing algorithms write into it again and again: after every run it opens in QGIS, ``ogrinfo`` and
SQLite, the project's layers and the editor show the new tables, and the analyst's edit is still there.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from districts import tiny_layers, write_input

pytestmark = pytest.mark.qgis

RESOURCE = "RL-idle_site-parcels-P2"
#: Runs into the same folder, as many as the issue asks (each a full run of the core in QGIS, ~3 s on the tiny
#: district, and the test is to stay near a minute).
REPETITIONS = 20
#: Every third run stops after the health check or the resources (the lists of the longer run are kept).
ALGORITHMS = ("blockcheck:eightlists", "blockcheck:resources", "blockcheck:eightlists", "blockcheck:healthcheck")


def _sqlite_rows(workbook: Path) -> dict[str, int]:
    """Integrity ok and every layer selectable in SQLite; rows per layer."""
    con = sqlite3.connect(workbook)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def _status(workbook: Path) -> str:
    con = sqlite3.connect(workbook)
    try:
        return con.execute("SELECT status FROM resource_list WHERE resource_id = ?", (RESOURCE,)).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def folder(qgis_processing, tmp_path) -> tuple[Path, dict]:
    """The tiny district as input layers and a first run of the eight lists into ``out/``."""
    source = write_input(tmp_path / "in.gpkg", tiny_layers())
    params = {name.upper(): f"{source}|layername={name}" for name in tiny_layers()}
    out = tmp_path / "out"
    qgis_processing.run("blockcheck:eightlists", {**params, "OUTPUT_FOLDER": str(out)})
    return out, params


def test_edit_then_rerun_into_the_same_folder_keeps_the_workbook_and_the_edit(
    qgis_processing, qgis_iface, plugin_module, folder
) -> None:
    from qgis.core import QgsProject, QgsVectorLayer

    from blockcheck.report.maps import map_names
    from blockcheck_qgis import styles

    out, params = folder
    workbook = out / "workbook.gpkg"
    project = QgsProject.instance()
    styles.load_workbook(workbook, ["block_metrics", "resource_list", "project_list", "problem_list"], project)
    plugin = plugin_module.classFactory(qgis_iface)
    plugin.initGui()
    try:
        editor = plugin.open_editor(str(workbook))
        for i in range(REPETITIONS):
            # the analyst's edit through the editor, committed at once (QGIS's connection, WAL mode)
            model = editor.models["resource_list"]
            row = next(r for r in range(model.rowCount()) if model.value(r, "resource_id") == RESOURCE)
            wanted = ("confirmed", "rejected")[i % 2]
            assert model.setData(model.index(row, model.columns.index("status")), wanted), editor.statusLabel.text()
            assert _status(workbook) == wanted
            assert Path(f"{workbook}-wal").exists()  # QGIS holds the workbook open in WAL mode

            print("EDITED", i, flush=True)
            algorithm = ALGORITHMS[i % len(ALGORITHMS)]
            result = qgis_processing.run(algorithm, {**params, "OUTPUT_FOLDER": str(out)})
            assert Path(result["WORKBOOK"]) == workbook

            print("RAN", i, flush=True)
            # SQLite and GDAL open it …
            rows = _sqlite_rows(workbook)
            done = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(workbook)], capture_output=True, text=True)
            assert done.returncode == 0 and not done.stderr.strip(), f"run {i} ({algorithm}): {done.stderr}"
            # … so does QGIS: a new layer of each table, and the project's layers (reloaded after the run)
            for table, count in rows.items():
                layer = QgsVectorLayer(f"{workbook}|layername={table}", table, "ogr")
                assert layer.isValid() and layer.featureCount() == count, (i, table)
            print("QGIS LAYERS OK", i, flush=True)
            shown = {}
            for layer in project.mapLayers().values():
                path, table = styles.workbook_path(layer)
                if path == str(workbook):
                    assert layer.isValid(), (i, layer.name())
                    shown[table] = shown.get(table, 0) + len(list(layer.getFeatures()))
            assert shown["block_metrics"] == rows["block_metrics"] and shown["resource_list"] == rows["resource_list"]
            # the edit survived, in the file and in the editor (which read the rewritten tables again)
            assert _status(workbook) == wanted, f"run {i} ({algorithm}) lost the edit"
            model = editor.models["resource_list"]
            assert model.rowCount() == rows["resource_list"]
            row = next(r for r in range(model.rowCount()) if model.value(r, "resource_id") == RESOURCE)
            assert model.value(row, "status") == wanted
            fids = QgsVectorLayer(f"{workbook}|layername=resource_list", "r", "ogr")
            assert model.fid(row) in {f.id() for f in fids.getFeatures() if f["resource_id"] == RESOURCE}

        # the algorithms that only read the workbook read it while QGIS holds it open, and leave it whole
        projects = QgsVectorLayer(f"{workbook}|layername=project_list", "p", "ogr")
        project_id = next(projects.getFeatures())["project_id"]
        scenario = {"WORKBOOK": str(workbook), "PROJECTS": project_id, "OUTPUT": "memory:"}
        assert qgis_processing.run("blockcheck:whatif", scenario)["OUTPUT"].featureCount() > 0
        hearing = {"WORKBOOK": str(workbook), "MAP_NAMES": map_names()[0], "MAPS_FOLDER": str(out / "maps")}
        assert qgis_processing.run("blockcheck:exporthearing", {**hearing, "ATLAS_PDF": str(out / "atlas.pdf")})
        assert _sqlite_rows(workbook) == rows and _status(workbook) == wanted
    finally:
        plugin.unload()


def test_a_run_stops_while_layers_of_the_workbook_have_unsaved_edits(qgis_processing, qgis_iface, folder) -> None:
    from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsProject

    from blockcheck_qgis import styles

    class Feedback(QgsProcessingFeedback):
        errors: list[str] = []

        def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803 - QGIS's names
            self.errors.append(error)

    out, params = folder
    workbook = out / "workbook.gpkg"
    project = QgsProject.instance()
    (layer,) = styles.load_workbook(workbook, ["problem_list"], project)
    before = _sqlite_rows(workbook)
    layer.startEditing()
    feature = next(layer.getFeatures())
    layer.changeAttributeValue(feature.id(), layer.fields().indexOf("situation"), "未保存的修改")
    feedback = Feedback()
    with pytest.raises(QgsProcessingException):
        qgis_processing.run("blockcheck:eightlists", {**params, "OUTPUT_FOLDER": str(out)}, feedback=feedback)
    assert any("toggle editing off" in e and layer.name() in e for e in feedback.errors), feedback.errors
    assert _sqlite_rows(workbook) == before
    layer.rollBack()
    qgis_processing.run("blockcheck:eightlists", {**params, "OUTPUT_FOLDER": str(out)})
