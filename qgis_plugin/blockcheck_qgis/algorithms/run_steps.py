"""The four steps (``blockcheck run --until health|resources|lists``), one algorithm per stopping point."""

from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterRasterLayer,
    QgsProject,
)

from .. import _deps, bridge, reload, styles
from ..i18n import tr
from .base import BlockcheckAlgorithm, InputParameters

__all__ = ["EightListsAlgorithm", "FindResourcesAlgorithm", "HealthCheckAlgorithm"]


class _RunAlgorithm(InputParameters, BlockcheckAlgorithm):
    """Shared by the three steps: input layers and settings → ``pipeline.run(until=…)`` → styled workbook layers."""

    UNTIL = "health"
    #: Workbook tables added to the project when the run ends (spatial ones styled).
    LOADED: tuple[str, ...] = ("block_metrics", "problem_list")
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    POPULATION = "POPULATION_RASTER"
    DEMANDS = "DEMANDS"
    VISIONS = "VISIONS"
    #: Tables whose row counts are returned as outputs ``N_<table>``.
    COUNTED = (
        "block_metrics",
        "problem_list",
        "resource_list",
        "demand_list",
        "vision_list",
        "strategy_list",
        "policy_list",
        "task_list",
        "project_list",
    )

    def initAlgorithm(self, config=None) -> None:
        self.add_input_parameters()
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.POPULATION, tr("Population raster (optional)"), optional=True)
        )
        if self.UNTIL == "lists":
            for name, label in (
                (self.DEMANDS, tr("Demand survey (CSV/XLSX in the 图3 layout, optional)")),
                (self.VISIONS, tr("Vision survey (CSV/XLSX in the 图4 layout, optional)")),
            ):
                self.addParameter(
                    QgsProcessingParameterFile(
                        name,
                        label,
                        behavior=QgsProcessingParameterFile.Behavior.File,
                        fileFilter="CSV / Excel (*.csv *.xlsx)",
                        optional=True,
                    )
                )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, tr("Output folder (workbook.gpkg)"))
        )
        self.addOutput(QgsProcessingOutputFile("WORKBOOK", tr("Workbook GeoPackage")))
        self.addOutput(QgsProcessingOutputFile("EXCEL", tr("Eight lists (Excel)")))
        self.addOutput(QgsProcessingOutputString("SUMMARY", tr("Summary")))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", tr("Workbook layers")))
        for table in self.COUNTED:
            self.addOutput(QgsProcessingOutputNumber(f"N_{table}", tr("Rows in {table}").format(table=table)))

    #: The workbook written by the run (set in processAlgorithm, read in postProcessAlgorithm).
    _written: str | None = None

    def prepareAlgorithm(self, parameters, context, feedback) -> bool:
        """In the main thread, before the run: refuse when layers of the folder's workbook have unsaved edits."""
        folder = parameters.get(self.OUTPUT_FOLDER)
        if isinstance(folder, str) and folder and folder != QgsProcessing.TEMPORARY_OUTPUT:
            project = context.project() or QgsProject.instance()
            reload.refuse_pending_edits(os.path.join(folder, "workbook.gpkg"), project)
        return True

    def postProcessAlgorithm(self, context, feedback) -> dict:
        """In the main thread, after the run: the project's layers of the workbook read it again, the styles go
        into it (through QGIS connections opened after the run changed its tables: a connection opened before
        corrupts memory when it writes), and open editors read it again."""
        if self._written:
            reload.reload_layers(self._written, context.project() or QgsProject.instance())
            feedback.setProgressText(tr("Saving styles into the workbook"))
            styles.save_styles_to_workbook(self._written)
            reload.tell_editors(self._written)
        return {}

    def processAlgorithm(self, parameters, context, feedback) -> dict:
        _deps.require()
        out_dir = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        surveys = (
            {
                "demands": self.parameterAsFile(parameters, self.DEMANDS, context) or None,
                "visions": self.parameterAsFile(parameters, self.VISIONS, context) or None,
            }
            if self.UNTIL == "lists"
            else {}
        )
        with bridge.core_call():
            result = bridge.run_steps(
                self.input_sources(parameters, context),
                out_dir,
                until=self.UNTIL,
                population_raster=self.parameterAsRasterLayer(parameters, self.POPULATION, context),
                **surveys,
                **self.run_settings(parameters, context),
                feedback=feedback,
            )
        warnings = self._report_surveys(result["surveys"], feedback)
        summary = "\n".join([*warnings, result["summary"]])
        feedback.pushInfo(result["summary"])
        self._written = str(result["workbook"])
        layers = styles.load_on_completion(context, result["workbook"], list(self.LOADED), "LAYERS")
        outputs = {
            self.OUTPUT_FOLDER: out_dir,
            "WORKBOOK": result["workbook"],
            "EXCEL": result["excel"],
            "SUMMARY": summary,
            "LAYERS": layers,
        }
        outputs.update({f"N_{t}": result["counts"][t] for t in self.COUNTED if t in result["counts"]})
        return outputs

    def _report_surveys(self, surveys: dict, feedback) -> list[str]:
        """Say in the log which survey files were found next to the input; warn (log and summary) for each list
        left empty because no survey was given or found. Returns the warnings."""
        warnings = []
        for kind, parameter in (("demands", self.DEMANDS), ("visions", self.VISIONS)):
            survey = surveys.get(kind)
            if survey is None:
                continue
            label = f"{self.parameterDefinition(parameter).description()} [{parameter}]"
            if survey["next_to"]:
                message = tr("{parameter}: using {path}, found next to the input {source}.")
                feedback.pushInfo(message.format(parameter=label, path=survey["path"], source=survey["next_to"]))
            elif survey["path"] is None:
                message = tr(
                    "{parameter}: no survey was given and none of {files} is next to the input ({folders}), so the "
                    "{title} is empty. Choose the survey file in this parameter, or put it next to the input "
                    "layers' file under one of these names, and run again."
                )
                warnings.append(
                    message.format(
                        parameter=label,
                        files=" / ".join(survey["files"]),
                        folders="; ".join(survey["folders"]),
                        title=survey["title"],
                    )
                )
                feedback.pushWarning(warnings[-1])
        return warnings


class HealthCheckAlgorithm(_RunAlgorithm):
    """Step 1: block metrics and the problem list."""

    UNTIL = "health"
    LOADED = ("block_metrics", "problem_list")

    def name(self) -> str:
        return "healthcheck"

    def displayName(self) -> str:
        return tr("Run health check")

    def shortHelpString(self) -> str:
        return tr(
            "Step 1 (体检评估): validates the layers, computes every block's metrics (road density, population, "
            "park green per person, facility supply and gaps against the standards, walking life circles …) and "
            "the problem list (图1). Writes workbook.gpkg in the output folder and adds block_metrics (styled) "
            "and problem_list to the project. The layers as read from QGIS are kept as input_from_qgis.gpkg "
            "next to the workbook."
        )


class FindResourcesAlgorithm(_RunAlgorithm):
    """Steps 1 and the resource list."""

    UNTIL = "resources"
    LOADED = ("block_metrics", "problem_list", "resource_list")

    def name(self) -> str:
        return "resources"

    def displayName(self) -> str:
        return tr("Find resources")

    def shortHelpString(self) -> str:
        return tr(
            "The health check plus the resource list (资源清单, 图2): idle sites, low-quality spaces, planned "
            "land, idle rooms, low-efficiency buildings, roofs, expandable facilities, underground space … one "
            "feature per resource with the rule and reason. Statuses set by analysts are kept when you run "
            "again into the same folder."
        )


class EightListsAlgorithm(_RunAlgorithm):
    """All four steps: the eight lists."""

    UNTIL = "lists"
    LOADED = (
        "block_metrics",
        "resource_list",
        "project_list",
        "problem_list",
        "demand_list",
        "vision_list",
        "strategy_list",
        "policy_list",
        "task_list",
        "project_history",
    )

    def name(self) -> str:
        return "eightlists"

    def displayName(self) -> str:
        return tr("Build the eight lists")

    def shortHelpString(self) -> str:
        return tr(
            "All four steps (四步走): problems, resources, demands and visions from the resident surveys, "
            "strategies, policies, tasks and projects (八清单), plus eight_lists.xlsx. Without a survey parameter "
            "the survey next to the input layers' file is used (demand_survey.xlsx|csv, vision_survey.xlsx|csv, "
            "as blockcheck run does); when there is none, that list stays empty and the log and the summary say "
            "so. Rows analysts edited or added and the project history are kept when you run again into the same "
            "folder."
        )
