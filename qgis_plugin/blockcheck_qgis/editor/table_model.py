"""A Qt table model over one list of a :class:`WorkbookStore`, and a drop-down delegate for coded fields."""

from __future__ import annotations

from qgis.PyQt.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QStyledItemDelegate

from .. import vocabulary
from ..i18n import tr
from .store import HISTORY, WorkbookStore

__all__ = ["CodedValueDelegate", "ListTableModel", "value_labels"]


def value_labels(table: str, column: str, lang: str = "zh") -> dict[str, str]:
    """Coded value → label shown in the drop-down (``label (value)``): the core's vocabulary in `lang`.

    Codes that are their own label (Chinese words; English codes in English) are left out: they are
    shown as they are.
    """
    return {code: name for code, name in vocabulary.coded_labels(table, column, lang).items() if name != code}


class ListTableModel(QAbstractTableModel):
    """Rows of one list; edits go straight to the store (validated, committed, history kept)."""

    #: message for the user (validation errors, what was saved)
    message = pyqtSignal(str, bool)  # text, is_error

    def __init__(self, store: WorkbookStore, table: str, parent=None, *, lang: str = "zh") -> None:
        super().__init__(parent)
        self.store, self.table, self.lang = store, table, lang
        self.schema = store.schemas[table]
        self.columns = store.columns(table)
        self.fields = {f.name: f for f in self.schema.fields}
        self.read_only = table == HISTORY
        self.who = ""
        self.reason = ""
        self._count = len(store.rows[table])
        #: column → code → label of the coded columns (in the editor's language)
        self.labels = {c: value_labels(table, c, lang) for c in self.columns if self.fields[c].values}
        store.rowsChanged.connect(self._rows_changed)
        store.reset.connect(self._reset)

    def _reset(self) -> None:
        self.beginResetModel()
        self._count = len(self.store.rows.get(self.table, []))
        self.endResetModel()

    # ---- Qt model API

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's own default, an invalid (root) index
        return 0 if parent.isValid() else len(self.store.rows[self.table])

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's own default, an invalid (root) index
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or section >= len(self.columns):
            return None
        spec = self.fields[self.columns[section]]
        label, other = (spec.label_zh, spec.label_en) if self.lang == "zh" else (spec.label_en, spec.label_zh)
        if role == Qt.ItemDataRole.DisplayRole:
            return label or other or spec.name
        if role == Qt.ItemDataRole.ToolTipRole:
            from blockcheck.lists.schema import range_text

            required = f" · {tr('required')}" if spec.required else ""
            lines = [label or other, f"{other} ({spec.name}, {spec.type}{required})"]  # the header in full first
            if spec.minimum is not None or spec.maximum is not None:
                lines.append(f"{tr('Range')}: {range_text(spec)}")
            if spec.references:
                lines.append(f"{tr('Must name a value of')} {spec.references}")
            if spec.values:
                lines.append(f"{tr('Values')}: {', '.join(spec.values)}")
            return "\n".join(lines)
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        value = self.store.rows[self.table][index.row()].values.get(column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):  # the tooltip: all of a cut text
            if value is None:
                return "" if role == Qt.ItemDataRole.DisplayRole else None
            label = self.labels[column].get(str(value)) if column in self.labels else None
            if isinstance(value, float):
                return f"{value:,.2f}".rstrip("0").rstrip(".")
            return f"{label} ({value})" if label else str(value)
        if role == Qt.ItemDataRole.EditRole:
            return "" if value is None else str(value)
        return None

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        if not index.isValid() or self.read_only:
            return base
        column = self.columns[index.column()]
        if column in (self.schema.key, "provenance"):
            return base
        return base | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        from blockcheck.errors import SchemaError

        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        column = self.columns[index.column()]
        text = None if value is None or (isinstance(value, str) and value.strip() == "") else value
        try:
            history = self.store.update(self.table, index.row(), column, text, who=self.who, reason=self.reason)
        except SchemaError as err:
            self.message.emit(tr("Not saved, the cell keeps its value: {error}").format(error=err), True)
            return False
        except OSError as err:
            self.message.emit(tr("Not saved: {error}").format(error=err), True)
            return False
        note = tr(" · {n} change(s) recorded in project_history").format(n=len(history)) if history else ""
        self.message.emit(tr("Saved to the workbook") + note, False)
        return True

    # ---- helpers

    def fid(self, row: int) -> int:
        """GeoPackage feature id of a row."""
        return self.store.rows[self.table][row].fid

    def value(self, row: int, column: str) -> object:
        """A row's value by field name."""
        return self.store.rows[self.table][row].values.get(column)

    def rows_of_fids(self, fids) -> list[int]:
        """Row positions of GeoPackage feature ids."""
        wanted = set(fids)
        return [i for i, r in enumerate(self.store.rows[self.table]) if r.fid in wanted]

    def block_column(self) -> str | None:
        """The column naming the row's block (``block_id``, or ``scope`` for problems)."""
        for column in ("block_id", "scope"):
            if column in self.columns:
                return column
        return None

    def _rows_changed(self, table: str, positions: list) -> None:
        if table != self.table:
            return
        if len(self.store.rows[self.table]) != self._count:  # rows were added: start over
            self.beginResetModel()
            self._count = len(self.store.rows[self.table])
            self.endResetModel()
            return
        for position in positions:
            self.dataChanged.emit(self.index(position, 0), self.index(position, len(self.columns) - 1))


class CodedValueDelegate(QStyledItemDelegate):
    """A drop-down of the schema's allowed values (with labels) for coded fields; text elsewhere."""

    def __init__(self, model: ListTableModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model

    def _spec(self, index: QModelIndex):
        return self.model.fields[self.model.columns[index.column()]]

    def createEditor(self, parent, option, index):
        spec = self._spec(index)
        if not spec.values:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        labels = self.model.labels.get(spec.name, {})
        if not spec.required:
            combo.addItem("", None)
        for value in spec.values:
            combo.addItem(f"{labels[value]} ({value})" if value in labels else value, value)
        return combo

    def setEditorData(self, editor, index) -> None:
        if isinstance(editor, QComboBox):
            current = index.data(Qt.ItemDataRole.EditRole)
            position = editor.findData(current if current != "" else None)
            editor.setCurrentIndex(max(position, 0))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor, model, index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)
