"""The editor's access to one workbook GeoPackage: read list rows, commit each edit at once.

Rows are read and written through QGIS's OGR provider on the editor's own
connections (layers not added to the project), so every change is committed
to the GeoPackage when it is made — a crash later loses nothing — and the
same workbook can be open as map layers meanwhile (they are reloaded after
each edit). What a valid row is, which history entries a project change
makes and which block a new feature lies in are the core's rules, reached
through :mod:`..bridge`.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsGeometry,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QObject, QVariant, pyqtSignal

from .. import bridge, styles
from ..i18n import tr

__all__ = ["HISTORY", "Row", "WorkbookStore", "current_user"]

HISTORY = "project_history"


def current_user() -> str:
    """Who makes the change, for project_history."""
    try:
        name = QgsApplication.userFullName()
    except Exception:  # noqa: BLE001 - not available in every build
        name = ""
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name in the environment: a neutral name
            name = ""
    return name or "QGIS"


def _py(value: object) -> object:
    """A QGIS attribute value as plain Python (NULL → None)."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    return value


@dataclass
class Row:
    """One list row: its GeoPackage feature id and its values by field name."""

    fid: int
    values: dict = field(default_factory=dict)


class WorkbookStore(QObject):
    """The lists of one workbook, read once and kept in step with every committed edit."""

    #: (table, row positions) after rows were changed or added
    rowsChanged = pyqtSignal(str, list)
    #: every table was read again (the file was replaced, or edited elsewhere)
    reset = pyqtSignal()

    def __init__(
        self, workbook: str | os.PathLike, project: QgsProject | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.path = os.path.normpath(str(workbook))
        self.project = project or QgsProject.instance()
        self.schemas = bridge.list_schemas()
        if not QgsVectorLayer(f"{self.path}|layername=block_metrics", "block_metrics", "ogr").isValid():
            raise ValueError(tr("{path} is not a blockcheck workbook (no block_metrics layer).").format(path=self.path))
        self._open()

    def _open(self) -> None:
        self._file = bridge.workbook_identity(self.path)
        self.layers: dict[str, QgsVectorLayer] = {}
        for table in (*bridge.eight_lists(), HISTORY):
            layer = QgsVectorLayer(f"{self.path}|layername={table}", table, "ogr")
            if layer.isValid():
                self.layers[table] = layer
        self.tables = [t for t in bridge.eight_lists() if t in self.layers]
        self.rows: dict[str, list[Row]] = {t: self._read(t) for t in (*self.tables, HISTORY) if t in self.layers}
        blocks = QgsVectorLayer(f"{self.path}|layername=block_metrics", "block_metrics", "ogr")
        request = QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)
        request.setSubsetOfAttributes(["block_id"], blocks.fields())
        self.block_ids = {str(f["block_id"]) for f in blocks.getFeatures(request)}

    def refresh_if_replaced(self) -> bool:
        """Read every table again when a run has rewritten them since they were read; True when it did."""
        if bridge.workbook_identity(self.path) == self._file:
            return False
        self._open()
        self.reset.emit()
        return True

    def _check_current(self) -> None:
        """Refuse to write into tables a run has since rewritten (the row ids are stale): read them again instead."""
        if self.refresh_if_replaced():
            raise OSError(
                tr("the workbook was rewritten by a run; the editor has reloaded it, please repeat the change")
            )

    # ---------------------------------------------------------------- reading

    def columns(self, table: str) -> list[str]:
        """Schema columns present in the table, in schema order."""
        names = self.layers[table].fields().names()
        return [c for c in self.schemas[table].columns if c in names]

    def _read(self, table: str) -> list[Row]:
        layer = self.layers[table]
        columns = self.columns(table)
        return [Row(f.id(), {c: _py(f[c]) for c in columns}) for f in layer.getFeatures()]

    def reload(self, table: str | None = None) -> None:
        """Read rows again (after an outside change, e.g. edits committed on a map layer)."""
        for name in [table] if table else list(self.rows):
            self.rows[name] = self._read(name)
        self.reset.emit()

    def is_spatial(self, table: str) -> bool:
        """Whether the table has geometries (resource_list, project_list)."""
        return self.layers[table].isSpatial()

    def crs(self, table: str) -> QgsCoordinateReferenceSystem:
        """CRS of a spatial table."""
        return self.layers[table].crs()

    def keys(self, table: str, skip: int | None = None) -> list:
        """Key values of the table's rows (optionally without row `skip`)."""
        key = self.schemas[table].key
        return [r.values.get(key) for i, r in enumerate(self.rows[table]) if i != skip]

    def project_layers(self, table: str) -> list[QgsVectorLayer]:
        """Layers of the project that show `table` of this workbook (all geometry parts)."""
        out = []
        for layer in self.project.mapLayers().values():
            if isinstance(layer, QgsVectorLayer) and layer.providerType() == "ogr":
                path, name = styles.workbook_path(layer)
                if name == table and path == self.path:
                    out.append(layer)
        return out

    # ---------------------------------------------------------------- writing

    def update(
        self, table: str, position: int, column: str, value: object, *, who: str = "", reason: str = ""
    ) -> list[dict]:
        """Set one cell, validated by the core's schema, committed at once; return history entries added.

        Raises
        ------
        blockcheck.errors.SchemaError
            When the new row does not match the schema (nothing is written).
        """
        self._check_current()
        row = self.rows[table][position]
        old = dict(row.values)
        new = {**old, column: value}
        checked = bridge.check_row(table, new, self.keys(table, skip=position))
        self._check_edit(table, position, column, checked)
        changed = {c: v for c, v in checked.items() if c in old and not _same(v, old[c])}
        if not changed:
            return []
        if "provenance" in old and old.get("provenance") != "added":
            changed["provenance"] = checked["provenance"] = "edited"
        layer = self.layers[table]
        attributes = {layer.fields().indexOf(c): v for c, v in changed.items()}
        history = []
        with bridge.workbook_lock(
            self.path, command=f"QGIS checklist editor ({current_user()})"
        ):  # one writer at a time
            if not layer.dataProvider().changeAttributeValues({row.fid: attributes}):
                raise OSError("; ".join(layer.dataProvider().errors()) or tr("the GeoPackage refused the change"))
            row.values = {c: checked.get(c, old[c]) for c in old}
            if table == "project_list":
                history = bridge.history_for_change(
                    old, row.values, self._history(), who=who or current_user(), reason=reason
                )
                self._append_history(history)
            self._file = bridge.workbook_identity(self.path)  # this editor's own commit is no rewrite
        self._refresh(table)
        self.rowsChanged.emit(table, [position])
        return history

    def add_rows(
        self, table: str, rows: list[dict], geometries: list[QgsGeometry], *, who: str = "", reason: str = ""
    ) -> list[int]:
        """Add validated rows with their geometries (in the table's CRS); return their row positions."""
        self._check_current()
        layer = self.layers[table]
        features = []
        for values, geometry in zip(rows, geometries, strict=True):
            feature = QgsFeature(layer.fields())
            for column, value in values.items():
                if layer.fields().indexOf(column) >= 0:
                    feature[column] = value
            feature.setGeometry(geometry)
            features.append(feature)
        with bridge.workbook_lock(
            self.path, command=f"QGIS checklist editor ({current_user()})"
        ):  # one writer at a time
            ok, added = layer.dataProvider().addFeatures(features)
            if not ok:
                raise OSError("; ".join(layer.dataProvider().errors()) or tr("the GeoPackage refused the new rows"))
            columns = self.columns(table)
            start = len(self.rows[table])
            self.rows[table] += [
                Row(f.id(), {c: values.get(c) for c in columns}) for f, values in zip(added, rows, strict=True)
            ]
            if table == "project_list":
                self._append_history(
                    bridge.history_for_new_projects(rows, self._history(), who=who or current_user(), reason=reason)
                )
            self._file = bridge.workbook_identity(self.path)  # this editor's own commit is no rewrite
        self._refresh(table)
        positions = list(range(start, len(self.rows[table])))
        self.rowsChanged.emit(table, positions)
        return positions

    def known_values(self) -> dict[str, set[str]]:
        """What references may name: ``block_metrics.block_id`` and the key of every list read (as text)."""
        from blockcheck.lists.schema import split_ids

        known = {"block_metrics.block_id": set(self.block_ids)}
        for name, rows in self.rows.items():
            key = self.schemas[name].key
            known[f"{name}.{key}"] = {i for r in rows for i in split_ids(r.values.get(key))}
        return known

    def _check_edit(self, table: str, position: int, column: str, row: dict) -> None:
        """The schema's rules between rows and tables for the edited cell: unique values, references."""
        from blockcheck.errors import SchemaError
        from blockcheck.lists.schema import edit_problems

        schema = self.schemas[table]
        others = [r.values for i, r in enumerate(self.rows[table]) if i != position]
        problems = edit_problems(schema, row, column, others, self.known_values())
        if problems:
            raise SchemaError(f"{table} ({schema.title_zh}): " + "; ".join(problems))

    def _history(self) -> list[dict]:
        return [dict(r.values) for r in self.rows.get(HISTORY, [])]

    def _block_layer(self) -> QgsVectorLayer:
        """The workbook's blocks (``block_metrics``) as a QGIS layer."""
        return QgsVectorLayer(f"{self.path}|layername=block_metrics", "block_metrics", "ogr")

    def blocks(self, crs: QgsCoordinateReferenceSystem | None = None) -> list[tuple[str, bytes]]:
        """(block_id, WKB) of every block, read through QGIS (in `crs` when given)."""
        layer = self._block_layer()
        transform = (
            QgsCoordinateTransform(layer.crs(), crs, self.project) if crs is not None and crs != layer.crs() else None
        )
        out = []
        for feature in layer.getFeatures():
            geometry = QgsGeometry(feature.geometry())
            if transform is not None:
                geometry.transform(transform)
            out.append((str(feature["block_id"]), bytes(geometry.asWkb())))
        return out

    def _append_history(self, entries: list[dict]) -> None:
        if not entries or HISTORY not in self.layers:
            return
        layer = self.layers[HISTORY]
        features = []
        for entry in entries:
            feature = QgsFeature(layer.fields())
            for column, value in entry.items():
                if layer.fields().indexOf(column) >= 0:
                    feature[column] = value
            features.append(feature)
        ok, added = layer.dataProvider().addFeatures(features)
        if not ok:
            raise OSError("; ".join(layer.dataProvider().errors()) or tr("project_history refused the entries"))
        columns = self.columns(HISTORY)
        start = len(self.rows[HISTORY])
        self.rows[HISTORY] += [Row(f.id(), {c: e.get(c) for c in columns}) for f, e in zip(added, entries, strict=True)]
        self._refresh(HISTORY)
        self.rowsChanged.emit(HISTORY, list(range(start, len(self.rows[HISTORY]))))

    def _refresh(self, table: str) -> None:
        """Let the project's layers of this table see the committed change."""
        for layer in self.project_layers(table):
            layer.updateExtents()
            layer.triggerRepaint()


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return str(a) == str(b)
