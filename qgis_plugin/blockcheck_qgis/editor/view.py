"""The table view of one list in the editor: resizable columns sized to their content, at least
:data:`VISIBLE_ROWS` rows in view, the full text of every cell in its tooltip."""

from __future__ import annotations

from qgis.PyQt.QtGui import QPalette
from qgis.PyQt.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView

from .table_model import CodedValueDelegate, ListTableModel

__all__ = ["MAX_COLUMN_WIDTH", "MIN_COLUMN_WIDTH", "VISIBLE_ROWS", "list_view", "minimum_view_height"]

#: Rows the docked editor shows at least (its minimum height follows from the row height).
VISIBLE_ROWS = 10
#: Initial column widths (pixels): as wide as the content, within these bounds; users drag them wider.
MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 60, 320
#: Rows sampled to size the columns to their content (all rows of a 3,000-row list would be slow).
WIDTH_SAMPLE_ROWS = 200
#: Vertical padding of a row around one line of text (pixels).
ROW_PADDING = 8


def list_view(model: ListTableModel, parent=None) -> QTableView:
    """A table view over `model`: rows selected whole, drop-downs for coded values, columns sized to the content."""
    view = QTableView(parent)
    view.setModel(model)
    view.setItemDelegate(CodedValueDelegate(model, view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked
        | QAbstractItemView.EditTrigger.EditKeyPressed
        | QAbstractItemView.EditTrigger.AnyKeyPressed
    )
    view.setAlternatingRowColors(True)
    palette = view.palette()  # keep selected rows visible while the map has the focus
    for role in (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText):
        palette.setColor(QPalette.ColorGroup.Inactive, role, palette.color(QPalette.ColorGroup.Active, role))
    view.setPalette(palette)
    view.setWordWrap(False)
    rows = view.verticalHeader()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + ROW_PADDING)
    columns = view.horizontalHeader()
    columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    columns.setSectionsMovable(False)
    columns.setStretchLastSection(False)
    columns.setResizeContentsPrecision(WIDTH_SAMPLE_ROWS)
    columns.setMinimumSectionSize(MIN_COLUMN_WIDTH)
    fit_columns(view)
    view.setMinimumHeight(minimum_view_height(view))
    return view


def fit_columns(view: QTableView) -> None:
    """Each column as wide as its header and content, within :data:`MIN_COLUMN_WIDTH`–:data:`MAX_COLUMN_WIDTH`."""
    view.resizeColumnsToContents()
    header = view.horizontalHeader()
    for column in range(header.count()):
        header.resizeSection(column, min(max(header.sectionSize(column), MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH))


def minimum_view_height(view: QTableView) -> int:
    """The height that shows :data:`VISIBLE_ROWS` whole rows under the header, above a horizontal scroll bar."""
    scroll_bar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    header = view.horizontalHeader().sizeHint().height()
    return header + VISIBLE_ROWS * view.verticalHeader().defaultSectionSize() + scroll_bar + 2 * view.frameWidth()
