"""Real QGIS (Debian's python3-qgis 3.22) for the plugin-side tests.

scripts/test.sh sets BLOCKCHECK_REQUIRE_QGIS=1, so in CI a missing QGIS is a
failure, never a skip; elsewhere the tests skip with the install command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def qgis_app():
    """An initialised QgsApplication without GUI."""
    try:
        from qgis.core import QgsApplication
    except ImportError as err:
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail(
                f"QGIS Python bindings are required here but do not import ({err}); run scripts/setup.sh --test"
            )
        pytest.skip("QGIS not installed: sudo apt-get install qgis python3-qgis (or run scripts/setup.sh --test)")
    app = QgsApplication([], False)
    app.initQgis()
    yield app
    # exitQgis() at interpreter end can crash with PyQt5; leave cleanup to process exit.


# ---------------------------------------------------------------- the QGIS plugin (qgis_plugin/blockcheck_qgis)

PLUGIN_ROOT = Path(__file__).resolve().parents[2] / "qgis_plugin"
SAMPLE_GPKG = Path(__file__).resolve().parents[2] / "data" / "sample_blocks" / "sample_district.gpkg"
_KEEP: list = []
INPUT_LAYERS = ("blocks", "communities", "roads", "green", "facilities", "buildings", "parcels", "parking")


@pytest.fixture(scope="session")
def plugin_module(qgis_app):
    """The plugin package, imported from the source tree (qgis_plugin/ on sys.path)."""
    if str(PLUGIN_ROOT) not in sys.path:
        sys.path.insert(0, str(PLUGIN_ROOT))
    import blockcheck_qgis

    return blockcheck_qgis


@pytest.fixture(scope="session")
def qgis_processing(qgis_app, plugin_module):
    """Processing initialised with the blockcheck provider registered; yields ``processing``."""
    if "/usr/share/qgis/python/plugins" not in sys.path:
        sys.path.insert(0, "/usr/share/qgis/python/plugins")
    import processing
    from processing.core.Processing import Processing
    from qgis.core import QgsApplication

    from blockcheck_qgis.provider import BlockcheckProvider

    Processing.initialize()
    registry = QgsApplication.processingRegistry()
    if registry.providerById("blockcheck") is None:
        _KEEP.append(BlockcheckProvider())  # the Python object must outlive the registration
        registry.addProvider(_KEEP[-1])
    return processing


class StubIface:
    """The part of QgisInterface the plugin uses, around a real main window, map canvas and message bar."""

    def __init__(self) -> None:
        from qgis.gui import QgsMapCanvas, QgsMessageBar
        from qgis.PyQt.QtWidgets import QMainWindow

        self.window = QMainWindow()
        self.canvas = QgsMapCanvas(self.window)
        self.window.setCentralWidget(self.canvas)
        self.bar = QgsMessageBar(self.window)
        self.active = None
        self.menus: dict = {}
        self.docks: list = []

    def mainWindow(self):  # noqa: N802 - QgisInterface's method name
        return self.window

    def mapCanvas(self):  # noqa: N802 - QgisInterface's method name
        return self.canvas

    def messageBar(self):  # noqa: N802 - QgisInterface's method name
        return self.bar

    def activeLayer(self):  # noqa: N802 - QgisInterface's method name
        return self.active

    def setActiveLayer(self, layer) -> bool:  # noqa: N802 - QgisInterface's method name
        self.active = layer
        return True

    def addToolBar(self, name: str):  # noqa: N802 - QgisInterface's method name
        return self.window.addToolBar(name)

    def addPluginToMenu(self, menu: str, action) -> None:  # noqa: N802 - QgisInterface's method name
        self.menus.setdefault(menu, []).append(action)

    def removePluginMenu(self, menu: str, action) -> None:  # noqa: N802 - QgisInterface's method name
        self.menus.get(menu, []).remove(action)

    def addDockWidget(self, area, dock) -> None:  # noqa: N802 - QgisInterface's method name
        self.window.addDockWidget(area, dock)
        self.docks.append(dock)

    def removeDockWidget(self, dock) -> None:  # noqa: N802 - QgisInterface's method name
        self.window.removeDockWidget(dock)
        self.docks.remove(dock)


@pytest.fixture
def qgis_iface(qgis_app):
    """A stub iface (real canvas) installed as ``qgis.utils.iface``; the project is cleared afterwards."""
    import qgis.utils
    from qgis.core import QgsProject

    iface = StubIface()
    previous, qgis.utils.iface = qgis.utils.iface, iface
    QgsProject.instance().clear()
    yield iface
    QgsProject.instance().clear()
    qgis.utils.iface = previous
    iface.window.deleteLater()


@pytest.fixture(scope="session")
def core_lists_run(tmp_path_factory):
    """The core's own run of all four steps on the sample district (what the plugin must reproduce)."""
    from blockcheck.pipeline import run

    out = tmp_path_factory.mktemp("core_lists")
    sample = SAMPLE_GPKG.parent
    return run(SAMPLE_GPKG, out, demands=sample / "demand_survey.csv", visions=sample / "vision_survey.csv")
