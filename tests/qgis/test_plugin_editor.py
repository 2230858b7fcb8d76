"""The checklist editor round trip in real QGIS (issue 7, point 3): select features → add rows → edit a
status → reopen the workbook → rows and history are there; rows ↔ map selection both ways; every
edit committed at once (a killed QGIS loses nothing) while the workbook is open as map layers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PLUGIN_ROOT, SAMPLE_GPKG

pytestmark = pytest.mark.qgis

STATUSES = ["registered", "adjusted", "implementing", "done"]


def _read_in_other_process(workbook: Path) -> dict:
    """Read the workbook with pyogrio in a fresh process (its own GDAL/SQLite, as another program would)."""
    code = textwrap.dedent(f"""
        import json, pyogrio
        wb = {str(workbook)!r}
        out = {{}}
        for name in ("resource_list", "project_list", "project_history"):
            frame = pyogrio.read_dataframe(wb, layer=name)
            frame["wkt"] = frame.geometry.to_wkt() if "geometry" in frame else None
            plain = frame.drop(columns="geometry", errors="ignore").astype(object)
            out[name] = plain.where(frame.notna(), None).to_dict("records")
        print(json.dumps(out, default=str))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def workbook(core_lists_run, tmp_path) -> Path:
    target = tmp_path / "workbook.gpkg"
    shutil.copy(core_lists_run.workbook, target)
    return target


@pytest.fixture
def editor(qgis_iface, plugin_module, workbook):
    """The plugin started as QGIS starts it, the workbook open as map layers, the editor docked on it."""
    from qgis.core import QgsProject

    from blockcheck_qgis import styles

    styles.load_workbook(
        workbook, ["block_metrics", "resource_list", "project_list", "problem_list"], QgsProject.instance()
    )
    plugin = plugin_module.classFactory(qgis_iface)
    plugin.initGui()
    dock = plugin.open_editor(str(workbook))
    assert dock is not None and dock in qgis_iface.docks
    yield dock
    plugin.unload()


def test_tabs_are_the_eight_lists_with_chinese_labels(editor) -> None:
    titles = [editor.tabs.tabText(i) for i in range(editor.tabs.count())]
    assert titles[:8] == [
        "图1 问题清单",
        "图2 资源清单",
        "图3 需求清单",
        "图4 愿景清单",
        "图5 策略清单",
        "图6 政策清单",
        "图7 任务清单",
        "图8 项目清单",
    ]
    model = editor.models["project_list"]
    from qgis.PyQt.QtCore import Qt

    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert headers[:3] == ["序号", "领域", "项目名称"]
    assert model.headerData(2, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).startswith("Project (name, str")


def test_rows_and_map_selection_follow_each_other(editor, qgis_iface) -> None:
    store = editor.store
    projects = store.project_layers("project_list")
    # lines (roads), points (shared school/office lots, stations at facilities) and polygons (sites) of the one table
    assert sorted(layer.name().rsplit("(", 1)[-1] for layer in projects) == ["line)", "point)", "polygon)"]
    editor.show_tab("project_list")
    editor.select_rows("project_list", [0, 150])
    wanted = {editor.models["project_list"].fid(0), editor.models["project_list"].fid(150)}
    assert set().union(*[set(layer.selectedFeatureIds()) for layer in projects]) == wanted
    extent = qgis_iface.canvas.extent()
    for layer in projects:
        if layer.selectedFeatureCount():
            assert extent.contains(layer.boundingBoxOfSelected())
    # a problem row selects its block on the map
    problems = editor.models["problem_list"]
    row = next(i for i in range(problems.rowCount()) if problems.value(i, "scope") != "ALL")
    editor.select_rows("problem_list", [row])
    blocks = store.project_layers("block_metrics")[0]
    assert [f["block_id"] for f in blocks.selectedFeatures()] == [problems.value(row, "scope")]
    # the map selects rows: a block selects the problems of that block
    blocks.selectByExpression("\"block_id\" = 'CP02-0101'")
    selected = {problems.value(i.row(), "scope") for i in editor.views["problem_list"].selectionModel().selectedRows()}
    assert selected == {"CP02-0101"}
    assert len(editor.views["problem_list"].selectionModel().selectedRows()) == sum(
        1 for i in range(problems.rowCount()) if problems.value(i, "scope") == "CP02-0101"
    )
    # and project features select their rows (the union over the table's line and polygon layers)
    for layer in projects:
        layer.removeSelection()
    assert editor.views["project_list"].selectionModel().selectedRows() == []
    fid = editor.models["project_list"].fid(3)
    holder = next(layer for layer in projects if layer.getFeature(fid).isValid())
    holder.selectByIds([fid])
    assert [i.row() for i in editor.views["project_list"].selectionModel().selectedRows()] == [3]


def test_round_trip_add_edit_reopen(editor, qgis_iface, workbook) -> None:
    from qgis.core import QgsProject, QgsVectorLayer
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtWidgets import QComboBox, QStyleOptionViewItem

    from blockcheck_qgis.editor.store import WorkbookStore

    parcels = QgsVectorLayer(f"{SAMPLE_GPKG}|layername=parcels", "地块 parcels", "ogr")
    QgsProject.instance().addMapLayer(parcels)
    picked = list(parcels.getFeatures())[:2]
    parcels.selectByIds([f.id() for f in picked])
    qgis_iface.setActiveLayer(parcels)
    editor.reasonEdit.setText("听证会意见 hearing feedback")

    # select features → add resource rows (geometry copied, block by location)
    editor.show_tab("resource_list")
    added = editor.add_from_selection(category="idle_site")
    assert len(added) == 2
    resources = editor.models["resource_list"]
    for position, feature in zip(added, picked, strict=True):
        assert resources.value(position, "block_id") == feature["parcel_id"][:9]  # parcel ids start with their block
        assert (
            resources.value(position, "status") == "confirmed"
            and resources.value(position, "source_layer") == "地块 parcels"
        )
    assert {i.row() for i in editor.views["resource_list"].selectionModel().selectedRows()} == set(added)

    # … and project rows (registered in project_history)
    editor.show_tab("project_list")
    new_projects = editor.add_from_selection(domain="教育", names=["新建幼儿园", "口袋公园"])
    model = editor.models["project_list"]
    new_ids = [model.value(p, "project_id") for p in new_projects]
    assert [model.value(p, "status") for p in new_projects] == ["registered", "registered"]
    assert [model.value(p, "provenance") for p in new_projects] == ["added", "added"]

    # edit a status with the drop-down of coded values
    view, column = editor.views["project_list"], model.columns.index("status")
    index = model.index(0, column)
    combo = view.itemDelegate().createEditor(view.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(combo, QComboBox)
    assert [combo.itemData(i) for i in range(combo.count())] == STATUSES
    view.itemDelegate().setEditorData(combo, index)
    assert combo.currentData() == model.value(0, "status")
    combo.setCurrentIndex(STATUSES.index("implementing"))
    view.itemDelegate().setModelData(combo, model, index)
    edited_id = model.value(0, "project_id")
    assert model.value(0, "status") == "implementing" and model.value(0, "provenance") == "edited"

    # the core's schema refuses bad values; nothing is written
    assert not model.setData(model.index(0, model.columns.index("year")), "next year")
    assert "not a number" in editor.statusLabel.text()
    assert not model.setData(model.index(0, model.columns.index("name")), "")
    assert "name" in editor.statusLabel.text()

    # the map layers of the open workbook see the committed edit
    status = {
        f["project_id"]: f["status"]
        for layer in editor.store.project_layers("project_list")
        for f in layer.getFeatures()
    }
    assert status[edited_id] == "implementing"
    assert set(new_ids) <= set(status)  # … and the added rows

    # reopen: another process, and a new editor store
    saved = _read_in_other_process(workbook)
    rows = {r["project_id"]: r for r in saved["project_list"]}
    assert rows[edited_id]["status"] == "implementing" and rows[edited_id]["provenance"] == "edited"
    assert all(
        rows[i]["provenance"] == "added" and rows[i]["wkt"].startswith(("POLYGON", "MULTIPOLYGON")) for i in new_ids
    )
    assert sum(r["resource_id"].startswith("RL-idle_site-地块 parcels-") for r in saved["resource_list"]) == 2
    history = saved["project_history"]
    assert [(h["project_id"], h["field"], h["to_value"]) for h in history[-3:]] == [
        (new_ids[0], "status", "registered"),
        (new_ids[1], "status", "registered"),
        (edited_id, "status", "implementing"),
    ]
    assert history[-1]["from_value"] == "registered" and history[-1]["reason"] == "听证会意见 hearing feedback"
    assert [h["history_id"] for h in history] == [f"H{i:06d}" for i in range(1, len(history) + 1)]
    again = WorkbookStore(workbook, QgsProject.instance())
    assert len(again.rows["project_list"]) == model.rowCount()
    assert again.rows["project_history"][-1].values["to_value"] == "implementing"
    assert model.headerData(column, Qt.Orientation.Horizontal) == "项目状态"


def test_an_edit_survives_a_killed_qgis(workbook) -> None:
    """Edit through the editor's store in a QGIS process that is then killed without any clean-up."""
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(PLUGIN_ROOT)!r})
        from qgis.core import QgsApplication, QgsProject
        app = QgsApplication([], False); app.initQgis()
        from blockcheck_qgis.editor.store import WorkbookStore
        store = WorkbookStore({str(workbook)!r}, QgsProject.instance())
        row = next(i for i, r in enumerate(store.rows["project_list"]) if r.values["status"] == "registered")
        store.update("project_list", row, "status", "adjusted", who="test", reason="crash test")
        print(store.rows["project_list"][row].values["project_id"], flush=True)
        os.kill(os.getpid(), 9)
    """)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == -9, done.stderr
    project_id = done.stdout.split()[-1]
    saved = _read_in_other_process(workbook)
    assert {r["project_id"]: r["status"] for r in saved["project_list"]}[project_id] == "adjusted"
    assert saved["project_history"][-1]["reason"] == "crash test"


def test_the_editor_waits_for_a_writer_and_names_it(workbook, qgis_iface, monkeypatch) -> None:
    """While `blockcheck run` holds the workbook's lock the editor's commit is refused (naming it); then it lands."""
    from qgis.core import QgsProject

    monkeypatch.setenv("BLOCKCHECK_LOCK_WAIT_S", "0.5")
    from blockcheck.workbook.lock import workbook_lock
    from blockcheck_qgis.editor.store import WorkbookStore

    store = WorkbookStore(workbook, QgsProject.instance())
    row = next(i for i, r in enumerate(store.rows["project_list"]) if r.values["status"] == "registered")
    with (
        workbook_lock(workbook, command="blockcheck run (test)"),
        pytest.raises(OSError, match=r"blockcheck run \(test\)"),
    ):
        store.update("project_list", row, "status", "adjusted", who="test", reason="during a run")
    store.update("project_list", row, "status", "adjusted", who="test", reason="after the run")
    saved = _read_in_other_process(workbook)
    pid = store.rows["project_list"][row].values["project_id"]
    assert {r["project_id"]: r["status"] for r in saved["project_list"]}[pid] == "adjusted"
