"""Export hearing maps / atlas: the core's hearing exports (``blockcheck.report``) from a workbook."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from .. import _deps, bridge
from ..i18n import tr
from .base import BlockcheckAlgorithm
from .workbook_param import WorkbookParameters

__all__ = ["ExportHearingAlgorithm"]

LANGS = ("zh", "en")


class ExportHearingAlgorithm(WorkbookParameters, BlockcheckAlgorithm):
    """Map images per list and metric, and the per-block atlas PDF, for public hearings."""

    GROUP = "scenarios"
    LANG = "LANG"
    DPI = "DPI"
    MAPS = "MAPS_FOLDER"
    NAMES = "MAP_NAMES"
    ATLAS = "ATLAS_PDF"

    def name(self) -> str:
        return "exporthearing"

    def displayName(self) -> str:
        return tr("Export hearing maps / atlas")

    def shortHelpString(self) -> str:
        return tr(
            "Writes the hearing exports of a workbook: map images (a folder) and/or an atlas PDF with one "
            "section per block, with Chinese (default) or English labels. Leave an output empty to skip it. "
            "The QGIS print layout (toolbar: Export hearing layout) is the alternative made in QGIS."
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_workbook_parameters()
        self.addParameter(
            QgsProcessingParameterEnum(
                self.LANG, tr("Language"), options=[tr("Chinese (中文)"), tr("English")], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.DPI,
                tr("Resolution of the map images (dpi)"),
                type=QgsProcessingParameterNumber.Type.Integer,
                defaultValue=200,
                minValue=200,
                maxValue=1200,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.NAMES, tr("Maps to draw (names, comma-separated; empty: all)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.MAPS, tr("Map images folder"), optional=True, createByDefault=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.ATLAS, tr("Atlas PDF"), fileFilter="PDF (*.pdf)", optional=True, createByDefault=True
            )
        )
        self.addOutput(QgsProcessingOutputString("MAP_FILES", tr("Map images written (one path a line)")))

    def processAlgorithm(self, parameters, context, feedback) -> dict:
        _deps.require()
        workbook = self.workbook_target(parameters, context)
        maps_dir = self.parameterAsString(parameters, self.MAPS, context) or None
        atlas = self.parameterAsFileOutput(parameters, self.ATLAS, context) or None
        if not maps_dir and not atlas:
            raise QgsProcessingException(tr("Choose a map images folder, an atlas PDF, or both."))
        names = [n.strip() for n in self.parameterAsString(parameters, self.NAMES, context).split(",") if n.strip()]
        feedback.setProgressText(tr("Drawing the hearing exports"))
        with bridge.core_call():
            written = bridge.export_hearing(
                workbook,
                maps_dir=maps_dir,
                atlas_pdf=atlas,
                names=names or None,
                lang=LANGS[self.parameterAsEnum(parameters, self.LANG, context)],
                dpi=self.parameterAsInt(parameters, self.DPI, context),
                feedback=feedback,
            )
        feedback.setProgress(100)
        return {
            self.MAPS: maps_dir or "",
            self.ATLAS: written.get("atlas", ""),
            "MAP_FILES": "\n".join(map(str, written.get("maps") or [])),
        }
