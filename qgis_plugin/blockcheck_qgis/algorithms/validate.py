"""Validate inputs: every problem of the input layers at once (``blockcheck validate``)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFolderDestination,
)

from .. import _deps, bridge
from ..i18n import tr
from .base import BlockcheckAlgorithm, InputParameters

__all__ = ["ValidateAlgorithm"]


class ValidateAlgorithm(InputParameters, BlockcheckAlgorithm):
    """Check the layers against the input model; write the report and, when valid, the checked input."""

    GROUP = "input"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"

    def name(self) -> str:
        return "validate"

    def displayName(self) -> str:
        return tr("Validate inputs")

    def shortHelpString(self) -> str:
        return tr(
            "Checks the input layers against blockcheck's data model and reports every problem at once "
            "(layer, field, feature ids, how to fix it). Only Blocks is required; the field mapping points "
            "the model at your own layer, field and category names. Writes validation_report.txt and, when "
            "there is no error, input_checked.gpkg (the layers in the working CRS). Fails with the report "
            "when there are errors."
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_input_parameters()
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, tr("Output folder")))
        self.addOutput(QgsProcessingOutputFile("REPORT", tr("Validation report")))
        self.addOutput(QgsProcessingOutputFile("CHECKED", tr("Checked input GeoPackage")))
        self.addOutput(QgsProcessingOutputNumber("ERRORS", tr("Errors")))
        self.addOutput(QgsProcessingOutputNumber("WARNINGS", tr("Warnings")))
        self.addOutput(QgsProcessingOutputString("REPORT_TEXT", tr("Report text")))

    def processAlgorithm(self, parameters, context, feedback) -> dict:
        _deps.require()
        out_dir = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        with bridge.core_call():
            result = bridge.validate_inputs(
                self.input_sources(parameters, context),
                out_dir,
                **self.run_settings(parameters, context),
                feedback=feedback,
            )
        feedback.pushInfo(result["report_text"])
        return {
            self.OUTPUT_FOLDER: out_dir,
            "REPORT": result["report"],
            "CHECKED": result["checked"],
            "ERRORS": result["errors"],
            "WARNINGS": result["warnings"],
            "REPORT_TEXT": result["report_text"],
        }
