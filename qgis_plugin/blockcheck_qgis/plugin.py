"""The plugin object: Processing provider, toolbar (checklist editor, hearing layout), translations."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsDataSourceUri, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QFileDialog, QMessageBox

try:
    from qgis.PyQt.QtGui import QAction  # Qt6 (QGIS 4)
except ImportError:  # Qt5 (QGIS 3): a widget class
    from qgis.PyQt.QtWidgets import QAction

from . import _deps, styles
from .i18n import install_translator, tr
from .provider import BlockcheckProvider

__all__ = ["BlockcheckPlugin"]

PLUGIN_DIR = Path(__file__).resolve().parent
MENU = "&blockcheck"
#: The workbook tables a layer may show for the plugin to take its workbook as the current one.
WORKBOOK_TABLES = ("block_metrics", "resource_list", "project_list", "problem_list")


class BlockcheckPlugin:
    """What QGIS loads: ``initGui`` registers everything, ``unload`` removes it again."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.provider: BlockcheckProvider | None = None
        self.translator = None
        self.toolbar = None
        self.actions: list[QAction] = []
        self.dock = None

    # ---------------------------------------------------------------- QGIS hooks

    def initProcessing(self) -> None:
        registry = QgsApplication.processingRegistry()
        if self.provider is None and registry.providerById("blockcheck") is None:
            self.provider = BlockcheckProvider()
            if not registry.addProvider(self.provider):  # the registry deletes a provider it refuses
                self.provider = None

    def initGui(self) -> None:
        self.translator = install_translator()
        self.initProcessing()
        self.toolbar = self.iface.addToolBar(tr("blockcheck"))
        self.toolbar.setObjectName("BlockcheckToolbar")
        icon = QIcon(str(PLUGIN_DIR / "icon.svg"))
        self._action(icon, tr("Checklist editor (清单编辑)"), self.open_editor, "BlockcheckEditorAction")
        self._action(
            QgsApplication.getThemeIcon("/mActionNewLayout.svg"),
            tr("Export hearing layout (PDF)"),
            self.export_layout,
            "BlockcheckLayoutAction",
        )
        self._action(
            QgsApplication.getThemeIcon("/processingAlgorithm.svg"),
            tr("blockcheck algorithms (Processing)"),
            self.show_toolbox,
            "BlockcheckToolboxAction",
        )
        message = _deps.quick_check()  # metadata only: importing geopandas & co. here cost QGIS start-up 1.6 s
        if message:
            self.iface.messageBar().pushMessage(
                "blockcheck",
                tr("blockcheck's packages are missing or incompatible; see Details for the install command."),
                message,
                Qgis.MessageLevel.Warning,
                0,
            )

    def unload(self) -> None:
        for action in self.actions:
            self.iface.removePluginMenu(MENU, action)
        self.actions = []
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.dock is not None:
            self.dock.shutdown()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if self.translator is not None:
            QgsApplication.removeTranslator(self.translator)
            self.translator = None

    def _action(self, icon: QIcon, text: str, slot, name: str) -> QAction:
        action = QAction(icon, text, self.iface.mainWindow())
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        self.iface.addPluginToMenu(MENU, action)
        self.actions.append(action)
        return action

    # ---------------------------------------------------------------- actions

    def _missing_core(self) -> bool:
        message = _deps.check()
        if message:
            QMessageBox.warning(self.iface.mainWindow(), "blockcheck", message)
        return message is not None

    def current_workbook(self):
        """The workbook of the active layer, else of any blockcheck layer in the project: a GeoPackage's path,
        or a PostGIS workbook (:class:`.postgis_workbook.DatabaseWorkbook`) reached by a saved connection."""
        from .postgis_workbook import DatabaseWorkbook, connection_for

        candidates = [self.iface.activeLayer(), *QgsProject.instance().mapLayers().values()]
        for layer in candidates:
            if not isinstance(layer, QgsVectorLayer):
                continue
            if layer.providerType() == "ogr":
                path, table = styles.workbook_path(layer)
                if table in WORKBOOK_TABLES and Path(path).is_file():
                    return path
            elif layer.providerType() == "postgres" and (connection := connection_for(layer)):
                uri = QgsDataSourceUri(layer.source())
                if uri.table() in WORKBOOK_TABLES:
                    with contextlib.suppress(ValueError):  # not a schema blockcheck writes
                        return DatabaseWorkbook(connection, uri.schema())
        return None

    def _ask_workbook(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self.iface.mainWindow(), tr("Open a blockcheck workbook"), "", "GeoPackage (*.gpkg)"
        )
        return path or None

    def open_editor(self, workbook: str | None = None):
        """Dock the checklist editor on `workbook` (default: the project's workbook, else ask)."""
        if self._missing_core():
            return None
        from .editor.dock import ChecklistDock

        workbook = workbook or self.current_workbook() or self._ask_workbook()
        if not workbook:
            return None
        if not isinstance(workbook, (str, os.PathLike)):  # a PostGIS workbook
            return self.open_editor_on_database(workbook.connection, workbook.schema)
        if self.dock is None:
            self.dock = ChecklistDock(self.iface, QgsProject.instance())
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        if self.dock.store is None or self.dock.store.path != os.path.normpath(str(workbook)):
            self.dock.open_workbook(workbook)
        self.dock.show()
        self.dock.raise_()
        return self.dock

    def open_editor_on_database(self, connection: str, schema: str):
        """Dock the checklist editor on the PostGIS workbook in `schema` of saved connection `connection`."""
        from .editor.dock import ChecklistDock

        if self.dock is None:
            self.dock = ChecklistDock(self.iface, QgsProject.instance())
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        store = self.dock.store
        if getattr(store, "workbook", None) is None or (store.connection, store.schema) != (connection, schema):
            self.dock.open_database_workbook(connection, schema)
        self.dock.show()
        self.dock.raise_()
        return self.dock

    def export_layout(self, workbook=None, pdf: str | None = None):
        """Export the hearing layout (atlas over the blocks) of the workbook to a PDF.

        `workbook`: a GeoPackage's path or a PostGIS workbook (``DatabaseWorkbook``); default: the project's.
        """
        from .layout import export_hearing_pdf

        workbook = workbook or self.current_workbook() or self._ask_workbook()
        if not workbook:
            return None
        if pdf is None:
            if isinstance(workbook, (str, os.PathLike)):
                default = str(Path(workbook).with_name("hearing_atlas.pdf"))
            else:  # a PostGIS workbook: beside the project, else in the home folder
                default = str(Path(QgsProject.instance().homePath() or Path.home()) / "hearing_atlas.pdf")
            pdf, _ = QFileDialog.getSaveFileName(
                self.iface.mainWindow(), tr("Export the hearing layout"), default, "PDF (*.pdf)"
            )
            if not pdf:
                return None
        try:
            written = export_hearing_pdf(workbook, pdf, QgsProject.instance())
        except (RuntimeError, ValueError) as err:
            self.iface.messageBar().pushCritical("blockcheck", str(err))
            return None
        self.iface.messageBar().pushSuccess("blockcheck", tr("Hearing layout exported to {path}").format(path=written))
        return written

    def show_toolbox(self) -> None:
        """Open the Processing toolbox filtered on the blockcheck algorithms."""
        from qgis.utils import plugins

        toolbox = getattr(plugins.get("processing"), "toolbox", None)
        if toolbox is None:
            self.iface.messageBar().pushInfo("blockcheck", tr("Open Processing ▸ Toolbox and search for blockcheck."))
            return
        toolbox.setVisible(True)
        toolbox.raise_()
        search = getattr(toolbox, "searchBox", None)
        if search is not None:
            search.setText("blockcheck")
