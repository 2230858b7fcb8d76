"""The editor's access to a PostGIS team workbook, opened from one of the user's saved QGIS connections.

Rows are read and written through QGIS's own ``postgres`` provider (so the
connection's saved login, password or authentication configuration is used as
QGIS uses it), each edit committed at once by the provider. An edit sends the
``row_version`` the row was read at: the database refuses it when someone
changed the row since, naming who and when; the editor then shows that
message and reloads the row. The database does the rest: row-level security
(an analyst edits only the blocks of its sub-districts), ``provenance``, the
change log and ``project_history`` (who = the database login) — so the
editor writes no history of its own here. What a valid row is stays the
core's rule, reached through :mod:`..bridge`, as for a GeoPackage.
"""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsProject,
    QgsTransaction,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QObject

from .. import bridge
from ..i18n import tr
from ..postgis_workbook import DatabaseWorkbook, saved_connections
from .store import HISTORY, Row, WorkbookStore, _py, _same

__all__ = ["DatabaseStore", "saved_connections"]  # saved_connections: kept where the dock imports it

#: The column the database bumps on every change of a list row.
VERSION = "row_version"


class DatabaseStore(WorkbookStore):
    """The lists of the workbook in `schema` of the database of saved connection `connection`."""

    def __init__(
        self, connection: str, schema: str, project: QgsProject | None = None, parent: QObject | None = None
    ) -> None:
        QObject.__init__(self, parent)
        self.workbook = DatabaseWorkbook(connection, schema)  # raises ValueError naming what is wrong
        self.connection, self.schema = connection, schema
        self.provider_connection, self.uri = self.workbook.provider_connection, self.workbook.uri
        self.path = self.workbook.path  # what the editor shows as the workbook's name
        self.project = project or QgsProject.instance()
        self.schemas = bridge.list_schemas()
        if not self._layer("block_metrics").isValid():
            raise ValueError(tr("{path} is not a blockcheck workbook (no block_metrics layer).").format(path=self.path))
        self.srids = self.workbook.srids
        self._open()

    def _layer(self, table: str, geometry_type=None) -> QgsVectorLayer:
        """`table` through the postgres provider: attributes only, or geometries of `geometry_type` with them.

        A list may hold points, lines and polygons at once, which QGIS shows as one layer per type: the editor
        reads every row as attributes and reaches the geometries through typed layers.
        """
        return self.workbook.layer(table, geometry_type)

    def is_spatial(self, table: str) -> bool:
        """Whether the table has geometries (resource_list, project_list)."""
        return table in self.srids

    def crs(self, table: str) -> QgsCoordinateReferenceSystem:
        """CRS of a spatial table (its geometry column's SRID)."""
        return QgsCoordinateReferenceSystem(f"EPSG:{self.srids.get(table, 0)}")

    def _open(self) -> None:
        self.layers: dict[str, QgsVectorLayer] = {}
        for table in (*bridge.eight_lists(), HISTORY):
            layer = self._layer(table)
            if layer.isValid():
                self.layers[table] = layer
        self.tables = [t for t in bridge.eight_lists() if t in self.layers]
        self.versions: dict[str, dict[int, int]] = {}
        self.rows: dict[str, list[Row]] = {t: self._read(t) for t in (*self.tables, HISTORY) if t in self.layers}
        blocks = self._layer("block_metrics")
        request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
        request.setSubsetOfAttributes(["block_id"], blocks.fields())
        self.block_ids = {str(f["block_id"]) for f in blocks.getFeatures(request)}

    def _read(self, table: str) -> list[Row]:
        layer = self.layers[table]
        columns = self.columns(table)
        has_version = layer.fields().indexOf(VERSION) >= 0
        rows, versions = [], {}
        request = QgsFeatureRequest().addOrderBy("fid")
        for feature in layer.getFeatures(request):
            rows.append(Row(feature.id(), {c: _py(feature[c]) for c in columns}))
            if has_version:
                versions[feature.id()] = int(feature[VERSION])
        self.versions[table] = versions
        return rows

    def refresh_if_replaced(self) -> bool:
        """A run merges into the same rows (their ids stay): nothing to read again."""
        return False

    def _check_current(self) -> None:
        return None

    def project_layers(self, table: str) -> list[QgsVectorLayer]:
        """Layers of the project that show `table` of this workbook (same database, schema and table)."""
        layers = self.project.mapLayers().values()
        return [layer for layer in layers if self.workbook.table_of(layer) == table]

    def _block_layer(self):
        """The workbook's blocks (``block_metrics``) through the postgres provider."""
        return self._layer("block_metrics", QgsWkbTypes.Type.MultiPolygon)

    # ---------------------------------------------------------------- writing

    def update(
        self, table: str, position: int, column: str, value: object, *, who: str = "", reason: str = ""
    ) -> list[dict]:
        """Set one cell, validated by the core's schema, committed at once with the row's version; return the
        history entries the database recorded.

        Raises
        ------
        blockcheck.errors.SchemaError
            When the new row does not match the schema (nothing is written).
        OSError
            The database refused the change: someone changed the row since it was read (the message names who
            and when; the row is read again), or this login may not change it.
        """
        del who  # the database records its login as who
        row = self.rows[table][position]
        old = dict(row.values)
        checked = bridge.check_row(table, {**old, column: value}, self.keys(table, skip=position))
        self._check_edit(table, position, column, checked)
        changed = {c: v for c, v in checked.items() if c in old and c != "provenance" and not _same(v, old[c])}
        if not changed:
            return []
        layer = self.layers[table]
        attributes = {layer.fields().indexOf(c): v for c, v in changed.items()}
        attributes[layer.fields().indexOf(VERSION)] = self.versions[table][row.fid]
        history_before = len(self.rows.get(HISTORY, []))
        provider = layer.dataProvider()
        provider.clearErrors()
        if not self._change(layer, {row.fid: attributes}, reason if table == "project_list" else ""):
            error = _server_message(provider.errors()) or tr("the database refused the change")
            self._read_again(table, position)
            raise OSError(error)
        self._read_again(table, position)
        history = self._history_since(history_before)
        self._refresh(table)
        return history

    def add_rows(
        self, table: str, rows: list[dict], geometries: list[QgsGeometry], *, who: str = "", reason: str = ""
    ) -> list[int]:
        """Add validated rows with their geometries (in the table's CRS); return their row positions."""
        del who, reason  # recorded by the database (its login)
        by_type: dict[int, list[QgsFeature]] = {}
        for values, geometry in zip(rows, geometries, strict=True):
            kind = QgsWkbTypes.multiType(QgsWkbTypes.flatType(geometry.wkbType()))
            layer = self._layer(table, kind) if self.is_spatial(table) else self.layers[table]
            feature = QgsFeature(layer.fields())
            for i in range(layer.fields().count()):  # the database's defaults (fid, row_version) where not given
                clause = layer.dataProvider().defaultValueClause(i)
                if clause:
                    feature.setAttribute(i, clause)
            for column, value in values.items():
                if layer.fields().indexOf(column) >= 0 and column not in ("fid", VERSION):
                    feature[column] = value
            if self.is_spatial(table):
                feature.setGeometry(geometry)
            by_type.setdefault(kind, []).append(feature)
        for kind, features in by_type.items():
            layer = self._layer(table, kind) if self.is_spatial(table) else self.layers[table]
            provider = layer.dataProvider()
            if not provider.addFeatures(features)[0]:
                raise OSError(_server_message(provider.errors()) or tr("the database refused the new rows"))
        history_before = len(self.rows.get(HISTORY, []))
        self.rows[table] = self._read(table)
        self._history_since(history_before)
        key = self.schemas[table].key
        added = {str(values.get(key)) for values in rows}
        positions = [i for i, r in enumerate(self.rows[table]) if str(r.values.get(key)) in added]
        self._refresh(table)
        self.reset.emit()
        return positions

    @staticmethod
    def _change(layer: QgsVectorLayer, changes: dict, reason: str) -> bool:
        """Commit `changes` of attribute values; with a reason, in one transaction that gives the database the
        reason for ``project_history`` first (the setting ``blockcheck.reason`` its trigger reads)."""
        provider = layer.dataProvider()
        if not reason:
            return provider.changeAttributeValues(changes)
        transaction = QgsTransaction.create([layer])
        if transaction is None or not transaction.begin()[0]:
            return provider.changeAttributeValues(changes)
        quoted = "'" + reason.replace("'", "''") + "'"  # a string constant (standard_conforming_strings is on)
        done = transaction.executeSql(f"SELECT set_config('blockcheck.reason', {quoted}, true)")[0]
        done = done and provider.changeAttributeValues(changes)
        if done:
            return transaction.commit()[0]
        transaction.rollback()
        return False

    def _read_again(self, table: str, position: int) -> None:
        """Read row `position` of `table` again from the database (after an edit, or a refused one)."""
        row = self.rows[table][position]
        layer = self.layers[table]
        feature = next(layer.getFeatures(QgsFeatureRequest(row.fid)), None)
        if feature is None:  # deleted meanwhile: the whole list read again
            self.rows[table] = self._read(table)
            self.reset.emit()
            return
        row.values = {c: _py(feature[c]) for c in self.columns(table)}
        self.versions[table][row.fid] = int(feature[VERSION])
        self.rowsChanged.emit(table, [position])

    def _history_since(self, count: int) -> list[dict]:
        """The project_history entries the database added after the first `count` (read again)."""
        if HISTORY not in self.layers:
            return []
        self.rows[HISTORY] = self._read(HISTORY)
        added = self.rows[HISTORY][count:]
        if added:
            self.rowsChanged.emit(HISTORY, list(range(count, len(self.rows[HISTORY]))))
        return [dict(r.values) for r in added]


def _server_message(errors: list[str]) -> str:
    """The server's own words in the provider's errors (``ERROR:  … HINT: …``), without the provider's preamble."""
    text = " ".join(e.strip() for e in errors if e and e.strip())
    if "ERROR:" in text:
        text = text.split("ERROR:", 1)[1]
    text = text.split("CONTEXT:", 1)[0]  # where in the trigger: not for the user
    return " ".join(text.split())
