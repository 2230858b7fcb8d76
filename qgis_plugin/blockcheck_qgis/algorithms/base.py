"""What every blockcheck algorithm shares: groups, icon, help, the dependency check, the input parameters."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
)
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QIcon

from .. import _deps
from ..i18n import tr, tr_noop

__all__ = ["BlockcheckAlgorithm", "INPUT_LAYERS", "InputParameters", "PROFILES"]

PLUGIN_DIR = Path(__file__).resolve().parent.parent
#: The plugin guide: in the zip help/index.html (scripts/build_plugin.py), in a source checkout docs/plugin.md.
HELP_FILES = (PLUGIN_DIR / "help" / "index.html", PLUGIN_DIR.parents[1] / "docs" / "plugin.md")


def help_url() -> str:
    """The plugin guide on this machine, as a file URL (it opens without web access); empty when absent."""
    found = next((path for path in HELP_FILES if path.is_file()), None)
    return QUrl.fromLocalFile(str(found)).toString() if found is not None else ""


#: The input model's layers (blockcheck/data/input_model.toml; a test keeps the two equal):
#: name, parameter label, accepted geometry, required.
INPUT_LAYERS = (
    ("blocks", tr_noop("Blocks (街区)"), QgsProcessing.SourceType.TypeVectorPolygon, True),
    ("communities", tr_noop("Residential communities (社区)"), QgsProcessing.SourceType.TypeVectorPolygon, False),
    ("roads", tr_noop("Roads (道路)"), QgsProcessing.SourceType.TypeVectorLine, False),
    ("green", tr_noop("Green spaces (绿地)"), QgsProcessing.SourceType.TypeVectorPolygon, False),
    ("facilities", tr_noop("Facilities (公共服务与市政设施)"), QgsProcessing.SourceType.TypeVectorAnyGeometry, False),
    ("entrances", tr_noop("Entrances and gates (出入口)"), QgsProcessing.SourceType.TypeVectorPoint, False),
    ("buildings", tr_noop("Buildings (建筑)"), QgsProcessing.SourceType.TypeVectorPolygon, False),
    ("parcels", tr_noop("Land parcels (地块)"), QgsProcessing.SourceType.TypeVectorPolygon, False),
    ("parking", tr_noop("Parking (停车设施)"), QgsProcessing.SourceType.TypeVectorAnyGeometry, False),
)
#: Standards profiles of the core (blockcheck.standards.PROFILES; a test keeps them equal).
PROFILES = ("beijing", "national")

_GROUPS = {
    "input": tr_noop("1 · Input"),
    "steps": tr_noop("2 · Four steps (四步走)"),
    "scenarios": tr_noop("3 · Scenarios and hearings"),
}


class BlockcheckAlgorithm(QgsProcessingAlgorithm):
    """Base class: subclasses declare parameters and make one call into the core through ``bridge``."""

    GROUP = "steps"

    def tr(self, text: str) -> str:
        """Translate in the plugin's context."""
        return tr(text)

    def createInstance(self):
        return type(self)()

    def group(self) -> str:
        return tr(_GROUPS[self.GROUP])

    def groupId(self) -> str:
        return self.GROUP

    def icon(self) -> QIcon:
        return QIcon(str(PLUGIN_DIR / "icon.svg"))

    def helpUrl(self) -> str:
        return help_url()

    def canExecute(self):
        message = _deps.check()
        return (message is None, message or "")


class InputParameters:
    """The input layers (one parameter per model layer) and the run settings, shared by several algorithms."""

    MAPPING = "MAPPING"
    STANDARDS = "STANDARDS"
    STANDARDS_FILE = "STANDARDS_FILE"
    CRS = "CRS"
    REPAIR = "REPAIR"

    @staticmethod
    def layer_parameter(name: str) -> str:
        """Parameter name of input layer `name` (``blocks`` → ``BLOCKS``)."""
        return name.upper()

    def add_input_parameters(self) -> None:
        for name, label, kind, required in INPUT_LAYERS:
            self.addParameter(
                QgsProcessingParameterFeatureSource(
                    self.layer_parameter(name), tr(label), [kind], optional=not required
                )
            )
        self.addParameter(
            QgsProcessingParameterFile(
                self.MAPPING,
                tr("Field mapping (TOML, optional)"),
                behavior=QgsProcessingParameterFile.Behavior.File,
                extension="toml",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.STANDARDS,
                tr("Standards profile"),
                options=[tr("Beijing (北京)"), tr("National (全国)")],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.STANDARDS_FILE,
                tr("Standards overrides (TOML over the Beijing profile, optional)"),
                behavior=QgsProcessingParameterFile.Behavior.File,
                extension="toml",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterCrs(
                self.CRS, tr("Working CRS in metres (optional; default: from the data)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.REPAIR, tr("Repair invalid geometries"), defaultValue=False)
        )

    def input_sources(self, parameters: dict, context) -> dict:
        """Model layer name → QgsProcessingFeatureSource (selections and filters honoured) or None."""
        return {
            name: self.parameterAsSource(parameters, self.layer_parameter(name), context) for name, *_ in INPUT_LAYERS
        }

    def run_settings(self, parameters: dict, context) -> dict:
        """mapping / standards / crs / repair as the core takes them."""
        overrides = self.parameterAsFile(parameters, self.STANDARDS_FILE, context) or None
        profile = PROFILES[self.parameterAsEnum(parameters, self.STANDARDS, context)]
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        return {
            "mapping": self.parameterAsFile(parameters, self.MAPPING, context) or None,
            "standards": overrides or profile,
            "crs": (crs.authid() or crs.toWkt()) if crs.isValid() else None,
            "repair": self.parameterAsBoolean(parameters, self.REPAIR, context),
            "transform_context": context.transformContext(),
            "dataset_from": self._layer_files(parameters, context),
        }

    def _layer_files(self, parameters: dict, context) -> list[str]:
        """The files holding the input layers (their dataset_info, e.g. "synthetic", is carried to the run)."""
        layers = (
            self.parameterAsVectorLayer(parameters, self.layer_parameter(name), context) for name, *_ in INPUT_LAYERS
        )
        return list(dict.fromkeys(layer.source().split("|")[0] for layer in layers if layer is not None))
