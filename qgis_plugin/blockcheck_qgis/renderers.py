"""QGIS renderers from the core's vocabulary: no class, label or colour is decided here.

The core (:mod:`blockcheck.vocabulary`, :mod:`blockcheck.choropleth`) gives the
classes of a metric at the thresholds of the standards a run used, the codes of
a coded field with their labels and colours, and the priority classes; this
module turns them into QGIS symbols and renderers. What it adds is map
furniture only: outlines, line widths, marker sizes, the atlas highlight and
the block-name labels.
"""

from __future__ import annotations

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsPalLayerSettings,
    QgsProperty,
    QgsRendererCategory,
    QgsRuleBasedRenderer,
    QgsSymbol,
    QgsSymbolLayer,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

__all__ = ["block_labels", "category_renderer", "class_renderer", "field_name", "interval_filter", "symbol"]

FONT = "Noto Sans CJK SC"
#: Outline of block polygons (white; the current atlas block dark and heavy) and of list features.
BLOCK_OUTLINE, ATLAS_OUTLINE, FEATURE_OUTLINE = "#ffffff", "#202020", "#606060"
BLOCK_OPACITY = 0.85
#: Stroke width (mm) of polygons drawn as outlines only.
HOLLOW_WIDTH = 0.6


def field_name(name: str) -> str:
    """`name` quoted as a field in a QGIS expression."""
    return '"' + name.replace('"', '""') + '"'


def symbol(layer: QgsVectorLayer, colour: str, *, outline: str = FEATURE_OUTLINE, hollow: bool = False) -> QgsSymbol:
    """The layer's default symbol in `colour`: polygons with a thin outline, lines 1.2 mm, points 3 mm.

    `hollow` polygons are outlines only, drawn in `colour` (:data:`HOLLOW_WIDTH` mm): what lies below stays visible.
    """
    sym = QgsSymbol.defaultSymbol(layer.geometryType())
    sym.setColor(QColor(colour))
    if layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry and hollow:
        sym.symbolLayer(0).setBrushStyle(Qt.BrushStyle.NoBrush)
        sym.symbolLayer(0).setStrokeColor(QColor(colour))
        sym.symbolLayer(0).setStrokeWidth(HOLLOW_WIDTH)
    elif layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry:
        sym.symbolLayer(0).setStrokeColor(QColor(outline))
        sym.symbolLayer(0).setStrokeWidth(0.3)
    elif layer.geometryType() == QgsWkbTypes.GeometryType.LineGeometry:
        sym.setWidth(1.2)
    else:
        sym.setSize(3.0)
    return sym


def _atlas_outline(sym: QgsSymbol) -> QgsSymbol:
    """Blocks: the current atlas block drawn with a heavy dark outline, the others thin and white."""
    fill = sym.symbolLayer(0)
    fill.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeColor,
        QgsProperty.fromExpression(f"if(@atlas_featureid = $id, '{ATLAS_OUTLINE}', '{BLOCK_OUTLINE}')"),
    )
    fill.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeWidth, QgsProperty.fromExpression("if(@atlas_featureid = $id, 1.2, 0.3)")
    )
    return sym


def interval_filter(
    field: str, lower: float | None, upper: float | None, closed: str = "left", *, with_null: bool = False
) -> str:
    """The QGIS expression selecting values of `field` from `lower` to `upper` (None: unbounded; both None: NULL).

    ``closed = "left"`` includes `lower` and excludes `upper`; ``"right"`` the reverse.
    With `with_null`, features without a value are selected too.
    """
    name = field_name(field)
    if lower is None and upper is None:
        return f"{name} IS NULL"
    parts = []
    if lower is not None:
        parts.append(f"{name} {'>=' if closed == 'left' else '>'} {float(lower)!r}")
    if upper is not None:
        parts.append(f"{name} {'<' if closed == 'left' else '<='} {float(upper)!r}")
    expression = " AND ".join(parts)
    return f"({expression}) OR {name} IS NULL" if with_null else expression


def class_renderer(layer: QgsVectorLayer, field: str, classes, *, blocks: bool = False) -> QgsRuleBasedRenderer:
    """One rule per class of the core (``lower``, ``upper``, ``closed``, ``colour``, ``label``), in its order.

    `classes` are :class:`blockcheck.choropleth.ColourClass` (a class with
    neither bound holds the features without a value). With `blocks`, symbols
    are block fills with the atlas highlight.
    """
    root = QgsRuleBasedRenderer.Rule(None)
    for cls in classes:
        sym = symbol(layer, cls.colour, outline=BLOCK_OUTLINE if blocks else FEATURE_OUTLINE)
        rule = QgsRuleBasedRenderer.Rule(
            _atlas_outline(sym) if blocks else sym,
            0,
            0,
            interval_filter(field, cls.lower, cls.upper, cls.closed, with_null=cls.with_null),
            cls.label,
        )
        root.appendChild(rule)
    return QgsRuleBasedRenderer(root)


def category_renderer(
    layer: QgsVectorLayer, field: str, terms, *, hollow: bool = False
) -> QgsCategorizedSymbolRenderer:
    """One category per code of the core (:class:`blockcheck.vocabulary.Term`), labelled ``中文 code``.

    With `hollow`, polygons are outlines in the category's colour (resources over the blocks' choropleth).
    """
    categories = [
        QgsRendererCategory(
            t.code, symbol(layer, t.colour, hollow=hollow), f"{t.zh} {t.code}" if t.zh != t.code else t.code
        )
        for t in terms
    ]
    return QgsCategorizedSymbolRenderer(field, categories)


def block_labels(layer: QgsVectorLayer, field: str = "name", size: float = 9.0) -> None:
    """Label each block with `field` (CJK font, white buffer)."""
    settings = QgsPalLayerSettings()
    settings.fieldName = field_name(field)
    settings.isExpression = True
    text = QgsTextFormat()
    text.setFont(QFont(FONT))
    text.setSize(size)
    buffer = text.buffer()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    text.setBuffer(buffer)
    settings.setFormat(text)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)
