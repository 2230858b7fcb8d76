"""What-if: before/after gaps if chosen projects were built (``blockcheck whatif``)."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from .. import _deps, bridge
from ..i18n import tr
from .base import BlockcheckAlgorithm
from .workbook_param import WorkbookParameters

__all__ = ["WhatIfAlgorithm"]


class WhatIfAlgorithm(WorkbookParameters, BlockcheckAlgorithm):
    """Re-run the health check as if the projects were built; one row per scope and gap."""

    GROUP = "scenarios"
    PROJECTS = "PROJECTS"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "whatif"

    def displayName(self) -> str:
        return tr("What-if")

    def shortHelpString(self) -> str:
        return tr(
            "Re-runs the health check of a workbook as if the chosen projects (project_id, comma-separated) "
            "were built: facility projects add their capacity at their site, road projects turn the planned "
            "roads they cover into built roads. The table has one row per scope (block or ALL) and metric: "
            "before, after, change."
        )

    def initAlgorithm(self, config=None) -> None:
        self.add_workbook_parameters()
        self.addParameter(QgsProcessingParameterString(self.PROJECTS, tr("Project ids (comma-separated)")))
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, tr("What-if gaps"), type=QgsProcessing.SourceType.TypeVector)
        )

    def processAlgorithm(self, parameters, context, feedback) -> dict:
        _deps.require()
        workbook = self.workbook_target(parameters, context)
        ids = [
            p.strip()
            for p in self.parameterAsString(parameters, self.PROJECTS, context).replace("，", ",").split(",")
            if p.strip()
        ]
        feedback.setProgressText(tr("Re-running the health check with {n} project(s)").format(n=len(ids)))
        with bridge.core_call():
            fields, rows = bridge.what_if_table(workbook, ids)
        sink, dest = self.parameterAsSink(
            parameters, self.OUTPUT, context, fields, QgsWkbTypes.Type.NoGeometry, QgsCoordinateReferenceSystem()
        )
        for i, row in enumerate(rows):
            if feedback.isCanceled():
                break
            feature = QgsFeature(fields)
            feature.setAttributes(row)
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
            feedback.setProgress(100.0 * (i + 1) / max(len(rows), 1))
        return {self.OUTPUT: dest}
