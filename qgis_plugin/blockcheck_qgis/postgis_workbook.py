"""A PostGIS team workbook as QGIS reaches it: a schema of the database of one of the user's saved connections.

The editor (:mod:`.editor.store_postgis`), the map layers and their styles
(:mod:`.styles_postgis`), the hearing print layout (:mod:`.layout`) and the
Processing algorithms all name a PostGIS workbook by a saved QGIS PostgreSQL
connection and a schema. QGIS reads its tables through its ``postgres``
provider with the connection's own login (password or authentication
configuration); the core gets the same connection as a libpq target
(:meth:`DatabaseWorkbook.target`, through :mod:`.bridge`), whose password the
core never shows.
"""

from __future__ import annotations

import re

from qgis.core import QgsDataSourceUri, QgsProviderRegistry, QgsVectorLayer

from .i18n import tr

__all__ = ["DatabaseWorkbook", "connection_for", "saved_connections"]

#: Schema names blockcheck gives workbooks (as the core accepts them).
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
#: The geometry column of the workbook's spatial tables.
GEOMETRY = "geometry"


def _metadata():
    return QgsProviderRegistry.instance().providerMetadata("postgres")


def saved_connections() -> list[str]:
    """The names of the user's saved PostgreSQL connections (Data Source Manager ▸ PostgreSQL)."""
    metadata = _metadata()
    return sorted(metadata.connections().keys()) if metadata is not None else []


def _server(uri: QgsDataSourceUri) -> tuple:
    """What names one database: service, host, port, database."""
    return (uri.service(), uri.host(), uri.port() or "5432", uri.database())


def connection_for(layer: QgsVectorLayer) -> str | None:
    """The saved connection reaching the database of the PostGIS `layer` (its login first), else None."""
    metadata = _metadata()
    if metadata is None or layer.providerType() != "postgres":
        return None
    wanted = QgsDataSourceUri(layer.source())
    same = [
        (QgsDataSourceUri(c.uri()).username() != wanted.username(), name)
        for name, c in metadata.connections().items()
        if _server(QgsDataSourceUri(c.uri())) == _server(wanted)
    ]
    return min(same)[1] if same else None


class DatabaseWorkbook:
    """The workbook in `schema` of the database of saved QGIS PostgreSQL connection `connection`.

    Raises
    ------
    ValueError
        No saved connection of that name, or not a schema name blockcheck writes.
    """

    def __init__(self, connection: str, schema: str) -> None:
        if not SCHEMA_NAME.match(schema):
            raise ValueError(
                tr("{schema} is not a workbook schema name (lower-case letters, digits and _).").format(schema=schema)
            )
        metadata = _metadata()
        found = metadata.connections().get(connection) if metadata is not None else None
        if found is None:
            raise ValueError(
                tr(
                    "There is no saved PostgreSQL connection named {name} (add it in Data Source Manager ▸ PostgreSQL)."
                ).format(name=connection)
            )
        self.connection, self.schema, self.provider_connection = connection, schema, found
        self.uri = found.uri()
        self.path = f"{connection} ▸ {schema}"  # how the plugin names the workbook
        rows = found.executeSql(
            f"SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = '{schema}'"  # a checked name
        )
        self.srids = {str(table): int(srid or 0) for table, srid in rows}

    def __str__(self) -> str:
        return self.path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseWorkbook) and (other.connection, other.schema) == (
            self.connection,
            self.schema,
        )

    def __hash__(self) -> int:
        return hash((self.connection, self.schema))

    def layer(self, table: str, geometry_type=None) -> QgsVectorLayer:
        """`table` through the postgres provider (key ``fid``): its attributes, or its geometries of
        `geometry_type` (a QgsWkbTypes type; single and multi parts both) with them."""
        uri = QgsDataSourceUri(self.uri)
        if geometry_type is None:
            uri.setDataSource(self.schema, table, None, "", "fid")
        else:
            uri.setDataSource(self.schema, table, GEOMETRY, "", "fid")
            uri.setWkbType(geometry_type)
            uri.setSrid(str(self.srids.get(table, 0)))
        return QgsVectorLayer(uri.uri(False), table, "postgres")

    def table_of(self, layer) -> str | None:
        """The table of this workbook that `layer` shows (same database and schema), else None."""
        if not isinstance(layer, QgsVectorLayer) or layer.providerType() != "postgres":
            return None
        uri = QgsDataSourceUri(layer.source())
        if uri.schema() != self.schema or _server(uri) != _server(QgsDataSourceUri(self.uri)):
            return None
        return uri.table()

    def conninfo(self) -> str:
        """The connection as libpq keywords, its authentication configuration expanded (may hold a password:
        only for :func:`.bridge.database_target`, never to be shown)."""
        return QgsDataSourceUri(self.uri).connectionInfo(True)
