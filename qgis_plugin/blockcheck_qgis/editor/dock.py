"""The checklist editor: a dock with one tab per list, kept in step with the map.

- Selecting rows selects (and zooms to) their features: the rows' own features
  for the resource and project lists, their blocks for the other lists.
- Selecting features on the map selects their rows (blocks select the rows of
  the lists that name a block).
- "Add from map selection" turns the selected features of the active layer
  into resource or project rows (geometry copied, block found by location).
- Every edit is validated by the core's schema (types, coded values, ranges,
  unique values, references to blocks and to other lists' rows) and committed
  to the GeoPackage at once; project changes are appended to ``project_history``.
  A refused edit keeps the cell's value and says why in the status line.
- Tabs and headers are the schema's titles and labels in QGIS's language
  (Chinese in a Chinese QGIS, else English); a feature is a resource once.
"""

from __future__ import annotations

import contextlib
from functools import partial
from pathlib import Path

from qgis.core import (
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt import uic
from qgis.PyQt.QtCore import QItemSelection, QItemSelectionModel
from qgis.PyQt.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMenu, QTableView, QToolButton

from .. import bridge, reload, styles, vocabulary
from ..i18n import tr, ui_language
from .store import HISTORY, WorkbookStore, current_user
from .table_model import ListTableModel
from .view import list_view

__all__ = ["ChecklistDock"]

UI_FILE = Path(__file__).resolve().parent.parent / "resources" / "ui" / "checklist_dock.ui"
FORM_CLASS, _ = uic.loadUiType(str(UI_FILE))
#: Lists that rows can be added to from the map (the two with geometries).
ADDABLE = ("resource_list", "project_list")


class ChecklistDock(QDockWidget, FORM_CLASS):
    """Edit the eight lists of a workbook next to the map."""

    def __init__(self, iface, project: QgsProject | None = None, parent=None) -> None:
        super().__init__(parent or iface.mainWindow())
        self.setupUi(self)
        self.setObjectName("BlockcheckChecklistDock")
        self.iface = iface
        self.project = project or QgsProject.instance()
        self.store: WorkbookStore | None = None
        self.models: dict[str, ListTableModel] = {}
        self.views: dict[str, QTableView] = {}
        self._syncing = False
        self._watched: list[tuple[QgsVectorLayer, object]] = []
        self._retranslate()
        self.openButton.clicked.connect(self._choose_workbook)
        menu = QMenu(self.openButton)
        self.openDatabaseAction = menu.addAction(tr("Open from a PostgreSQL connection…"))
        self.openDatabaseAction.triggered.connect(self._choose_database_workbook)
        self.openButton.setMenu(menu)
        self.openButton.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.addButton.clicked.connect(lambda: self.add_from_selection())
        self.reasonEdit.textChanged.connect(self._set_reason)
        self.project.layersAdded.connect(self._layers_added)
        self.project.layersWillBeRemoved.connect(self._layers_removed)
        reload.NOTICES.rewritten.connect(self._rewritten)

    def _retranslate(self) -> None:
        self.setWindowTitle(tr("blockcheck checklist editor (清单编辑)"))
        self.openButton.setText(tr("Open workbook…"))
        self.addButton.setText(tr("Add from map selection"))
        self.addButton.setToolTip(
            tr("Turn the selected features of the active layer into rows of the resource or project list")
        )
        self.zoomCheck.setText(tr("Zoom to selection"))
        self.reasonEdit.setPlaceholderText(tr("Reason for project changes (kept in project_history)"))
        if self.store is None:
            self.workbookLabel.setText(tr("No workbook"))

    # ---------------------------------------------------------------- workbook

    def _choose_workbook(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Open a blockcheck workbook"), "", "GeoPackage (*.gpkg)")
        if path:
            self.open_workbook(path)

    def _choose_database_workbook(self) -> None:
        from .store_postgis import saved_connections

        names = saved_connections()
        if not names:
            self.show_message(
                tr("No saved PostgreSQL connection: add one in Data Source Manager ▸ PostgreSQL."), error=True
            )
            return
        title = tr("Open a team workbook (PostGIS)")
        name, ok = QInputDialog.getItem(self, title, tr("Saved PostgreSQL connection:"), names, 0, False)
        if not ok:
            return
        schema, ok = QInputDialog.getText(self, title, tr("Schema of the workbook:"), text="blockcheck")
        if ok and schema.strip():
            self.open_database_workbook(name, schema.strip())

    def open_workbook(self, path: str) -> None:
        """Show the lists of `path`; its map layers are added to the project when missing (styled)."""
        try:
            store = WorkbookStore(path, self.project, self)
        except ValueError as err:
            self.show_message(str(err), error=True)
            return
        styles.load_workbook(store.path, ["block_metrics", *[t for t in ADDABLE if t in store.tables]], self.project)
        self._show(store)

    def open_database_workbook(self, connection: str, schema: str) -> None:
        """Show the lists of the PostGIS workbook in `schema` of saved QGIS connection `connection`."""
        from ..styles_postgis import load_database_workbook
        from .store_postgis import DatabaseStore

        try:
            store = DatabaseStore(connection, schema, self.project, self)
        except ValueError as err:
            self.show_message(str(err), error=True)
            return
        load_database_workbook(store.workbook, self.project)
        self._show(store)

    def _show(self, store: WorkbookStore) -> None:
        self.store = store
        self.models.clear()
        self.views.clear()
        self.tabs.clear()
        schemas, lang = store.schemas, ui_language()
        for table in (*store.tables, HISTORY):
            if table not in store.rows:
                continue
            model = ListTableModel(store, table, self, lang=lang)
            model.who = current_user()
            model.reason = self.reasonEdit.text()
            model.message.connect(lambda text, error: self.show_message(text, error=error))
            view = list_view(model, self.tabs)
            view.selectionModel().selectionChanged.connect(partial(self._rows_selected, table))
            schema = schemas[table]
            title, other = (schema.title_zh, schema.title_en) if lang == "zh" else (schema.title_en, schema.title_zh)
            index = self.tabs.addTab(view, f"{schema.figure} {title or other}".strip())
            self.tabs.setTabToolTip(index, f"{other} ({table})")
            self.models[table], self.views[table] = model, view
        self.workbookLabel.setText(Path(store.path).name)
        self.workbookLabel.setToolTip(store.path)
        self._watch_layers()
        self.show_message(tr("Edits are saved to the workbook at once."))

    def current_table(self) -> str | None:
        """The list of the visible tab."""
        view = self.tabs.currentWidget()
        return next((t for t, v in self.views.items() if v is view), None)

    def show_tab(self, table: str) -> None:
        """Bring the tab of `table` to the front."""
        if table in self.views:
            self.tabs.setCurrentWidget(self.views[table])

    def show_message(self, text: str, *, error: bool = False) -> None:
        """Tell the user (status line; QGIS message bar for errors)."""
        self.statusLabel.setText(text)
        self.statusLabel.setStyleSheet("color: #b00020;" if error else "")
        bar = getattr(self.iface, "messageBar", None)
        if error and bar is not None and bar() is not None:
            bar().pushWarning("blockcheck", text)

    def _set_reason(self, text: str) -> None:
        for model in self.models.values():
            model.reason = text

    # ---------------------------------------------------------------- rows ↔ map

    def _watch_layers(self) -> None:
        self._unwatch()
        if self.store is None:
            return
        for table in ("block_metrics", *self.models):
            for layer in self.store.project_layers(table):
                if table == "block_metrics" or self.store.is_spatial(table):
                    slot = partial(self._map_selected, layer)
                    layer.selectionChanged.connect(slot)
                    self._watched.append((layer, slot))
                if table in self.models:  # edits committed on the map layer (QGIS's own editing)
                    committed = partial(self._committed_elsewhere, table)
                    layer.afterCommitChanges.connect(committed)
                    self._watched.append((layer, committed))

    def _selected_rows(self, table: str) -> list[int]:
        return sorted({index.row() for index in self.views[table].selectionModel().selectedRows()})

    def _rows_selected(self, table: str, *_args) -> None:
        if self._syncing or self.store is None:
            return
        model, rows = self.models[table], self._selected_rows(table)
        self._syncing = True
        try:
            if self.store.is_spatial(table):
                fids = [model.fid(r) for r in rows]
                layers = self.store.project_layers(table)
                for layer in layers:
                    layer.selectByIds(fids)
            else:
                column = model.block_column()
                blocks = {str(model.value(r, column)) for r in rows} if column else set()
                layers = self.store.project_layers("block_metrics")
                for layer in layers:
                    layer.selectByIds([f.id() for f in layer.getFeatures() if str(f["block_id"]) in blocks])
            if self.zoomCheck.isChecked() and rows:
                self._zoom(layers)
        finally:
            self._syncing = False

    def _map_selected(self, layer: QgsVectorLayer, *_args) -> None:
        if self._syncing or self.store is None:
            return
        _, table = styles.workbook_path(layer)
        self._syncing = True
        try:
            if table in self.models:
                fids = set()
                for part in self.store.project_layers(table):
                    fids |= set(part.selectedFeatureIds())
                self._select_rows(table, self.models[table].rows_of_fids(fids))
            elif table == "block_metrics":
                blocks = {str(f["block_id"]) for f in layer.selectedFeatures()}
                for name, model in self.models.items():
                    column = model.block_column()
                    if self.store.is_spatial(name) or name == HISTORY or column is None:
                        continue
                    self._select_rows(
                        name, [i for i in range(model.rowCount()) if str(model.value(i, column)) in blocks]
                    )
        finally:
            self._syncing = False

    def _select_rows(self, table: str, rows: list[int]) -> None:
        model, view = self.models[table], self.views[table]
        selection = QItemSelection()
        last = model.columnCount() - 1
        start = previous = None
        for row in sorted(rows) + [None]:
            if row is not None and previous is not None and row == previous + 1:
                previous = row
                continue
            if start is not None:
                selection.select(model.index(start, 0), model.index(previous, last))
            start = previous = row
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        view.selectionModel().select(selection, flags)
        if rows:
            view.scrollTo(model.index(min(rows), 0))

    def select_rows(self, table: str, rows: list[int]) -> None:
        """Select rows of `table` as a user would (their features are selected on the map)."""
        self._select_rows(table, rows)

    def _zoom(self, layers: list[QgsVectorLayer]) -> None:
        canvas = self.iface.mapCanvas()
        extent = None
        for layer in layers:
            if layer.selectedFeatureCount():
                box = canvas.mapSettings().layerExtentToOutputExtent(layer, layer.boundingBoxOfSelected())
                if extent is None:
                    extent = QgsRectangle(box)
                else:
                    extent.combineExtentWith(box)
        if extent is None:
            return
        extent = extent.buffered(max(extent.width(), extent.height(), 50.0) * 0.15)
        canvas.setExtent(extent)
        canvas.refresh()

    # ---------------------------------------------------------------- adding rows

    def add_from_selection(
        self,
        layer: QgsVectorLayer | None = None,
        *,
        category: str | None = None,
        domain: str | None = None,
        names: list[str] | None = None,
    ) -> list[int]:
        """Add rows to the current tab's list from the selected features of `layer` (default: the active layer).

        Resource rows need a category, project rows a domain (asked when not given);
        project names default to the features' ``name``. Returns the new row positions.
        """
        from blockcheck.errors import SchemaError

        table = self.current_table()
        if self.store is None or table not in ADDABLE:
            self.show_message(
                tr("Add from map selection works on the resource list and the project list: open one of those tabs."),
                error=True,
            )
            return []
        layer = layer or self.iface.activeLayer()
        if not isinstance(layer, QgsVectorLayer) or not layer.isSpatial() or layer.selectedFeatureCount() == 0:
            self.show_message(tr("Select features on a vector layer first and make it the active layer."), error=True)
            return []
        if layer.providerType() == "ogr" and styles.workbook_path(layer) == (self.store.path, table):
            self.show_message(tr("These features are rows of this list already."), error=True)
            return []
        features = layer.selectedFeatures()
        skipped: list[str] = []
        if table == "resource_list":
            features, skipped = self._new_resources(layer, features)
            if not features:
                self.show_message(
                    tr(
                        "Not added: the selected features are resources already ({ids}); "
                        "select features that are not in the resource list yet."
                    ).format(ids=", ".join(skipped[:5])),
                    error=True,
                )
                return []
        transform = QgsCoordinateTransform(layer.crs(), self.store.crs(table), self.project)
        geometries = []
        for feature in features:
            geometry = QgsGeometry(feature.geometry())
            geometry.transform(transform)
            geometries.append(geometry)
        wkbs = [bytes(g.asWkb()) for g in geometries]
        try:
            if table == "resource_list":
                category = category or self._ask_category()
                if not category:
                    return []
                rows = bridge.new_resource_rows(
                    self.store.blocks(self.store.crs(table)),
                    wkbs,
                    category=category,
                    source_layer=layer.name(),
                    source_ids=[_feature_id(layer, f) for f in features],
                    existing_keys=self.store.keys(table),
                )
            else:
                domain = domain or self._ask_domain()
                if not domain:
                    return []
                names = names or [
                    _feature_name(f) or tr("{domain} project {n}").format(domain=domain, n=i + 1)
                    for i, f in enumerate(features)
                ]
                numbers = [r.values.get("number") for r in self.store.rows[table] if r.values.get("number") is not None]
                rows = bridge.new_project_rows(
                    self.store.blocks(self.store.crs(table)),
                    wkbs,
                    domain=domain,
                    names=names,
                    first_number=int(max(numbers, default=0)) + 1,
                    existing_keys=self.store.keys(table),
                )
            positions = self.store.add_rows(table, rows, geometries, who=current_user(), reason=self.reasonEdit.text())
        except (SchemaError, OSError) as err:
            self.show_message(str(err), error=True)
            return []
        styles.load_workbook(self.store.path, [table], self.project)  # a new geometry type gets its layer
        self._select_rows(table, positions)
        self._rows_selected(table)
        note = (
            tr(" · {n} selected feature(s) left out: resources already ({ids})").format(
                n=len(skipped), ids=", ".join(skipped[:5])
            )
            if skipped
            else ""
        )
        self.show_message(tr("{n} row(s) added to the workbook").format(n=len(positions)) + note)
        return positions

    def _new_resources(self, layer: QgsVectorLayer, features: list) -> tuple[list, list[str]]:
        """The features that are no resource yet, and the resource ids of those that are.

        A feature's identity is its layer and its own id (``source_layer``, ``source_id``: the parts of
        its resource id, ``RL-<category>-<source layer>-<source id>``, that are the feature's), so the
        same feature is never a resource twice, under one category or two; a feature selected twice
        counts once.
        """
        rows = self.store.rows["resource_list"]
        known = {(str(r.values.get("source_layer")), str(r.values.get("source_id"))): r for r in rows}
        keep, skipped = [], []
        for feature in features:
            identity = (layer.name(), _feature_id(layer, feature))
            if identity in known:
                row = known[identity]
                skipped.append(str(row.values.get("resource_id")) if row is not None else identity[1])
                continue
            known[identity] = None
            keep.append(feature)
        return keep, skipped

    def _ask_category(self) -> str | None:
        labels = vocabulary.coded_labels("resource_list", "category", ui_language())
        items = [f"{label} ({key})" for key, label in labels.items()]
        item, ok = QInputDialog.getItem(
            self, tr("Resource category"), tr("Category of the new resources:"), items, 0, False
        )
        return list(labels)[items.index(item)] if ok and item in items else None

    def _ask_domain(self) -> str | None:
        used = sorted({str(r.values["domain"]) for r in self.store.rows["project_list"] if r.values.get("domain")})
        known = list(dict.fromkeys([*vocabulary.domain_codes("project_domain"), *used]))
        item, ok = QInputDialog.getItem(self, tr("Project domain"), tr("Domain of the new projects:"), known, 0, True)
        return item.strip() if ok and item.strip() else None

    def _layers_added(self, _layers) -> None:
        if self.store is not None and self.store.refresh_if_replaced():  # a run rewrote the workbook
            self.show_message(tr("The workbook was rewritten by a run; the lists were read again."))
        self._watch_layers()

    def _rewritten(self, path: str) -> None:
        """A run (Processing, in this QGIS) has written into a workbook: read its lists again if it is ours."""
        if self.store is not None and path == self.store.path and self.store.refresh_if_replaced():
            self.show_message(tr("The workbook was rewritten by a run; the lists were read again."))
        self._watch_layers()

    def _layers_removed(self, layer_ids) -> None:
        gone = set(layer_ids)
        keep = []
        for layer, slot in self._watched:
            if layer.id() in gone:
                continue
            keep.append((layer, slot))
        self._watched = keep

    def shutdown(self) -> None:
        """Disconnect from the project and its layers (before the dock is deleted)."""
        self._unwatch()
        for signal, slot in (
            (self.project.layersAdded, self._layers_added),
            (self.project.layersWillBeRemoved, self._layers_removed),
            (reload.NOTICES.rewritten, self._rewritten),
        ):
            with contextlib.suppress(TypeError, RuntimeError):  # not connected, or already gone
                signal.disconnect(slot)
        self.store = None

    def _unwatch(self) -> None:
        for layer, slot in self._watched:
            for signal in (layer.selectionChanged, layer.afterCommitChanges):
                with contextlib.suppress(TypeError, RuntimeError):  # not connected, or already gone
                    signal.disconnect(slot)
        self._watched = []

    def _committed_elsewhere(self, table: str) -> None:
        if self.store is not None:
            self.store.reload(table)

    def closeEvent(self, event) -> None:
        self._unwatch()
        super().closeEvent(event)


def _feature_id(layer: QgsVectorLayer, feature) -> str:
    """The feature's own id (first ``*_id`` field with a value), else its QGIS feature id."""
    for field in layer.fields():
        if field.name().lower().endswith("_id") and feature[field.name()] not in (None, ""):
            value = feature[field.name()]
            if not (hasattr(value, "isNull") and value.isNull()):
                return str(value)
    return str(feature.id())


def _feature_name(feature) -> str:
    names = feature.fields().names()
    if "name" in names:
        value = feature["name"]
        if value is not None and not (hasattr(value, "isNull") and value.isNull()) and str(value).strip():
            return str(value)
    return ""
