"""The workbook an algorithm reads: a workbook.gpkg, or a PostGIS team workbook from a saved QGIS connection."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterDatabaseSchema,
    QgsProcessingParameterFile,
    QgsProcessingParameterProviderConnection,
)

from .. import bridge
from ..i18n import tr

__all__ = ["WorkbookParameters"]


class WorkbookParameters:
    """Mixin of an algorithm that takes a workbook: ``WORKBOOK`` (a file), or ``CONNECTION`` and ``SCHEMA``.

    The connection is one of the user's saved PostgreSQL connections (Data Source Manager ▸ PostgreSQL); the
    core gets it as its PostGIS target through :func:`.bridge.database_target`. Only the connection's name
    appears in the Processing log, never its password.
    """

    WORKBOOK = "WORKBOOK"
    CONNECTION = "CONNECTION"
    SCHEMA = "SCHEMA"

    def add_workbook_parameters(self) -> None:
        self.addParameter(
            QgsProcessingParameterFile(
                self.WORKBOOK,
                tr("Workbook (workbook.gpkg)"),
                behavior=QgsProcessingParameterFile.Behavior.File,
                extension="gpkg",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterProviderConnection(
                self.CONNECTION,
                tr("Or a team workbook (PostGIS): saved PostgreSQL connection"),
                "postgres",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterDatabaseSchema(
                self.SCHEMA, tr("Team workbook: schema"), self.CONNECTION, optional=True
            )
        )

    def workbook_target(self, parameters: dict, context):
        """The workbook as the core takes it: the file's path, or the PostGIS workbook's target.

        Raises
        ------
        QgsProcessingException
            Neither or both given, or the connection or schema is unknown (says what to choose).
        """
        from ..postgis_workbook import DatabaseWorkbook

        path = self.parameterAsFile(parameters, self.WORKBOOK, context)
        connection = self.parameterAsConnectionName(parameters, self.CONNECTION, context)
        if bool(path) == bool(connection):
            raise QgsProcessingException(
                tr(
                    "Choose one workbook: a workbook.gpkg, or a saved PostgreSQL connection and the schema of a "
                    "team workbook."
                )
            )
        if path:
            return path
        schema = self.parameterAsSchema(parameters, self.SCHEMA, context)
        try:
            workbook = DatabaseWorkbook(connection, schema)
        except ValueError as err:
            raise QgsProcessingException(str(err)) from None
        with bridge.core_call():
            return bridge.database_target(workbook.conninfo(), schema)
