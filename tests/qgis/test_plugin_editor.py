"""The checklist editor round trip in real QGIS (issue 7, point 3): select features → add rows → edit a
status → reopen the workbook → rows and history are there; rows ↔ map selection both ways; every
edit committed at once (a killed QGIS loses nothing) while the workbook is open as map layers.
"""

from __future__ import annotations

import ast
import contextlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PLUGIN_ROOT, SAMPLE_GPKG

ROOT = PLUGIN_ROOT.parent

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


@contextlib.contextmanager
def qgis_locale(locale: str):
    """QGIS's interface locale overridden (Settings ▸ Options ▸ General), restored afterwards."""
    from qgis.core import QgsSettings

    settings = QgsSettings()
    before = {key: settings.value(key) for key in ("locale/overrideFlag", "locale/userLocale")}
    settings.setValue("locale/overrideFlag", True)
    settings.setValue("locale/userLocale", locale)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                settings.remove(key)
            else:
                settings.setValue(key, value)


@pytest.fixture
def editor(qgis_iface, plugin_module, workbook):
    """The plugin started as QGIS starts it (in Chinese), the workbook open as map layers, the editor docked on it."""
    with qgis_locale("zh_CN"):
        yield from _editor(qgis_iface, plugin_module, workbook)


def _editor(qgis_iface, plugin_module, workbook):
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
    tip = model.headerData(2, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).split("\n")
    assert tip[0] == "项目名称" and tip[1] == "Project (name, str · required)"  # the header in full, then English


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


# ---------------------------------------------------------------- issue 16.7: language, layout, validation


def test_tabs_and_headers_follow_the_qgis_language(editor, workbook) -> None:
    """English QGIS: the schema's English titles, headers and coded-value labels; Chinese QGIS: Chinese again."""
    from qgis.PyQt.QtCore import Qt

    from blockcheck.lists.schema import EIGHT_LISTS, list_table

    horizontal = Qt.Orientation.Horizontal
    with qgis_locale("en_US"):
        editor.open_workbook(str(workbook))
        titles = [editor.tabs.tabText(i) for i in range(8)]
        assert titles == [f"{list_table(t).figure} {list_table(t).title_en}" for t in EIGHT_LISTS]
        assert titles[0] == "图1 Problem list" and titles[7] == "图8 Project list"
        projects = editor.models["project_list"]
        headers = [projects.headerData(i, horizontal) for i in range(projects.columnCount())]
        assert headers[:3] == ["No.", "Domain", "Project"]
        assert "优先级得分" in projects.headerData(projects.columns.index("priority_score"), horizontal, 3)
        resources = editor.models["resource_list"]
        category = resources.columns.index("category")
        row = next(i for i in range(resources.rowCount()) if resources.value(i, "category") == "idle_site")
        assert resources.data(resources.index(row, category)) == "Idle sites (idle_site)"
        assert resources.headerData(category, horizontal) == "Category"
    editor.open_workbook(str(workbook))  # the override is gone again: the fixture's Chinese QGIS
    assert editor.tabs.tabText(7) == "图8 项目清单"
    assert editor.models["project_list"].headerData(0, horizontal) == "序号"


def _whole_rows_in_view(view) -> int:
    viewport = view.viewport().rect()
    model = view.model()
    return sum(viewport.contains(view.visualRect(model.index(r, 0))) for r in range(model.rowCount()))


def test_the_docked_editor_shows_ten_rows_and_resizable_columns(editor, qgis_iface) -> None:
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtWidgets import QApplication, QHeaderView

    from blockcheck_qgis.editor.view import MAX_COLUMN_WIDTH, VISIBLE_ROWS

    window = qgis_iface.window
    window.resize(window.minimumSizeHint())  # the smallest the main window (and so the dock) can be
    window.show()
    editor.show_tab("project_list")
    QApplication.processEvents()
    view, model = editor.views["project_list"], editor.models["project_list"]
    assert editor.isVisible() and not editor.isFloating()
    assert editor.height() <= editor.minimumSizeHint().height() + 1  # docked at its smallest
    assert _whole_rows_in_view(view) >= VISIBLE_ROWS == 10
    editor.resize(editor.sizeHint())
    QApplication.processEvents()
    assert _whole_rows_in_view(view) >= VISIBLE_ROWS
    header = view.horizontalHeader()
    assert all(header.sectionResizeMode(i) == QHeaderView.ResizeMode.Interactive for i in range(header.count()))
    name = model.columns.index("name")
    widths = [header.sectionSize(i) for i in range(header.count())]
    assert max(widths) <= MAX_COLUMN_WIDTH and len(set(widths)) > 3  # sized by content, not one fixed width
    longest = max((model.data(model.index(r, name)) for r in range(model.rowCount())), key=len)
    assert widths[name] >= min(view.fontMetrics().horizontalAdvance(longest[:8]), MAX_COLUMN_WIDTH)
    header.resizeSection(name, widths[name] + 150)  # users drag a column wider
    assert header.sectionSize(name) == widths[name] + 150
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r, name)) == longest)
    assert model.data(model.index(row, name), Qt.ItemDataRole.ToolTipRole) == longest  # the full text
    window.hide()


def _refused(model, row: int, column: str, value, status_label) -> str:
    before = model.value(row, column)
    assert not model.setData(model.index(row, model.columns.index(column)), value)
    assert model.value(row, column) == before  # the cell keeps its value
    return status_label.text()


def test_edits_are_checked_by_the_schema_ranges_references_uniqueness(editor, workbook) -> None:
    import pandas as pd

    from blockcheck.errors import SchemaError
    from blockcheck.lists.schema import conform, list_table

    model, label = editor.models["project_list"], editor.statusLabel
    score = model.columns.index("priority_score")
    # range from the schema (priority score 0–100), for the editor …
    message = _refused(model, 0, "priority_score", "150", label)
    assert "priority_score" in message and "0–100" in message and "from 0 to 100" in message
    assert _refused(model, 0, "priority_score", "-0.5", label)
    assert model.setData(model.index(0, score), "99.5") and model.value(0, "priority_score") == 99.5
    assert model.setData(model.index(0, score), "100") and model.value(0, "priority_score") == 100
    # … and for the Excel import (the same rule: conform)
    row = {c: model.value(0, c) for c in model.columns} | {"priority_score": 150.0}
    with pytest.raises(SchemaError, match="0–100"):
        conform(pd.DataFrame([row]), list_table("project_list"))
    # references: block ids of block_metrics, ids of the other lists
    blocks = editor.store.block_ids
    assert "CP02-0101" in blocks and len(blocks) > 10
    message = _refused(model, 0, "block_id", "CP99-9999", label)
    assert "CP99-9999" in message and "block_metrics" in message and "existing" in message
    assert model.setData(model.index(0, model.columns.index("block_id")), "CP02-0101")
    assert model.value(0, "block_id") == "CP02-0101"
    message = _refused(model, 0, "served_block_ids", "CP02-0101, CP02-9999", label)
    assert "CP02-9999" in message and "CP02-0101" not in message.split("found")[0].split(":")[-1]
    problem = editor.models["problem_list"].value(0, "id")
    assert model.setData(model.index(0, model.columns.index("problem_ids")), f"{problem}")
    assert "PB-nothing" in _refused(model, 0, "problem_ids", f"{problem},PB-nothing", label)
    # uniqueness: 序号 (number) and the key
    taken = model.value(1, "number")
    message = _refused(model, 0, "number", str(taken), label)
    assert "number" in message and "already used" in message
    free = max(model.value(r, "number") for r in range(model.rowCount())) + 1
    assert f"e.g. {free}" in message
    assert model.setData(model.index(0, model.columns.index("number")), str(free))
    # nothing refused reached the file
    saved = {r["project_id"]: r for r in _read_in_other_process(workbook)["project_list"]}[model.value(0, "project_id")]
    assert (saved["priority_score"], saved["block_id"], saved["number"]) == (100.0, "CP02-0101", free)


def test_a_feature_is_added_as_a_resource_once(editor, qgis_iface) -> None:
    from qgis.core import QgsProject, QgsVectorLayer

    parcels = QgsVectorLayer(f"{SAMPLE_GPKG}|layername=parcels", "地块 parcels", "ogr")
    QgsProject.instance().addMapLayer(parcels)
    picked = list(parcels.getFeatures())[:3]
    qgis_iface.setActiveLayer(parcels)
    editor.show_tab("resource_list")
    resources = editor.models["resource_list"]
    count = resources.rowCount()
    parcels.selectByIds([f.id() for f in picked[:2]])
    assert len(editor.add_from_selection(category="idle_site")) == 2
    # the same features again, under the same or another category: nothing added, the user told why
    assert editor.add_from_selection(category="idle_site") == []
    assert "already" in editor.statusLabel.text() and "RL-idle_site-地块 parcels-" in editor.statusLabel.text()
    assert editor.add_from_selection(category="low_quality_space") == []
    assert resources.rowCount() == count + 2
    # two known and one new: the new one only
    parcels.selectByIds([f.id() for f in picked])
    added = editor.add_from_selection(category="idle_site")
    assert [resources.value(p, "source_id") for p in added] == [picked[2]["parcel_id"]]
    assert "2" in editor.statusLabel.text() and "left out" in editor.statusLabel.text()
    sources = [
        (resources.value(r, "source_layer"), resources.value(r, "source_id")) for r in range(resources.rowCount())
    ]
    assert len(sources) == count + 3 and len(set(sources[count:])) == 3


def _core_progress_messages() -> list[str]:
    """Every literal message the core reports progress with (``say(fraction, "…")``)."""
    found = []
    for path in sorted((ROOT / "blockcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say" and len(node.args) == 2:
                message = node.args[1]
                if isinstance(message, ast.Constant) and isinstance(message.value, str):
                    found.append(message.value)
    return found


def test_core_progress_arrives_translated_in_a_chinese_qgis(plugin_module, tmp_path, monkeypatch) -> None:
    import importlib
    import sys

    from qgis.core import QgsProcessingFeedback
    from qgis.PyQt.QtCore import QCoreApplication

    from blockcheck.pipeline import check_input
    from blockcheck_qgis import bridge, i18n

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        build_plugin = importlib.import_module("build_plugin")
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    qm = build_plugin.compile_translations(tmp_path, use_lrelease=False)[0]
    monkeypatch.setattr(i18n, "I18N_DIR", qm.parent)

    class Recorder(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.texts: list[str] = []

        def setProgressText(self, text: str) -> None:  # noqa: N802 - QgsProcessingFeedback's method name
            self.texts.append(text)
            super().setProgressText(text)

    with qgis_locale("zh_CN"):
        translator = i18n.install_translator()
    assert translator is not None
    try:
        feedback = Recorder()
        check_input(SAMPLE_GPKG, progress=bridge.progress_callback(feedback))  # the core's own messages
        assert feedback.texts == ["读取标准与字段映射", "读取并校验输入数据", "校验完成"]
        assert feedback.progress() == 100.0
        messages = _core_progress_messages()
        assert len(messages) >= 20 and set(messages) == set(i18n.CORE_PROGRESS)  # the lookup knows each one
        untranslated = [m for m in messages if i18n.core_message(m) == m]
        assert not untranslated, f"core progress messages without a Chinese translation: {untranslated}"
        assert i18n.core_message("atlas page 12") == "图集第 12 页"
        assert i18n.core_message("a message the core does not send") == "a message the core does not send"
    finally:
        QCoreApplication.removeTranslator(translator)
    feedback = Recorder()
    bridge.progress_callback(feedback)(0.5, "roads")
    assert feedback.texts == ["roads"]  # English without the translator
