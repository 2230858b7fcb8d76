"""Regenerate the plugin's QML styles and the hearing layout template with the QGIS API (developer tool).

    QT_QPA_PLATFORM=offscreen .venv/bin/python qgis_plugin/tools/make_resources.py

Writes ``blockcheck_qgis/resources/styles/<table>.<style>.<kind>.qml`` and
``blockcheck_qgis/resources/layouts/hearing_atlas.qpt``. The outputs are
committed; this script is not part of the installable zip. Class breaks follow
the Beijing standards profile (road density ≥ 8 km/km², park green 16.5 m² per
person, park coverage ≥ 85 %).
"""

from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsField,
    QgsGraduatedSymbolRenderer,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendStyle,
    QgsMapLayer,
    QgsPalLayerSettings,
    QgsPrintLayout,
    QgsProject,
    QgsProperty,
    QgsReadWriteContext,
    QgsRendererCategory,
    QgsRendererRange,
    QgsScaleBarSettings,
    QgsSymbolLayer,
    QgsSymbol,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant
from qgis.PyQt.QtGui import QColor, QFont

PLUGIN = Path(__file__).resolve().parents[1] / "blockcheck_qgis"
STYLES = PLUGIN / "resources" / "styles"
LAYOUTS = PLUGIN / "resources" / "layouts"
FONT = "Noto Sans CJK SC"
KINDS = {"point": "Point", "line": "LineString", "polygon": "Polygon"}

RESOURCE_CATEGORIES = [
    ("idle_site", "闲置场地", "#e41a1c"),
    ("low_quality_space", "低品质空间", "#ff7f00"),
    ("planned_new_land", "可利用规划新建用地", "#984ea3"),
    ("retained_land", "其他现状保留空间", "#a6cee3"),
    ("idle_room", "小区闲置用房", "#4daf4a"),
    ("low_efficiency_building", "低效楼宇", "#f781bf"),
    ("roof", "建筑屋顶", "#ffff33"),
    ("expandable_facility", "可扩容设施", "#377eb8"),
    ("underground", "地下空间", "#a65628"),
    ("retained_building", "其他现状保留建筑", "#bdbdbd"),
]
PROJECT_STATUS = [
    ("registered", "入库", "#6baed6"),
    ("adjusted", "动态调整", "#fd8d3c"),
    ("implementing", "滚动实施", "#31a354"),
    ("done", "完成", "#756bb1"),
]
BLOCK_CHOROPLETHS = {
    "road_density": (
        "road_density_km_per_km2",
        [(0, 4, "< 4 km/km²"), (4, 8, "4 – 8"), (8, 12, "8 – 12 达标"), (12, 1e9, "≥ 12")],
        ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"],
    ),
    "park_green_per_capita": (
        "park_green_m2_per_capita",
        [(0, 2, "< 2 m²/人"), (2, 5, "2 – 5"), (5, 10, "5 – 10"), (10, 16.5, "10 – 16.5"), (16.5, 1e9, "≥ 16.5 达标")],
        ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"],
    ),
    "park_coverage": (
        "park_coverage_500m_ratio",
        [(0, 0.5, "< 50%"), (0.5, 0.7, "50 – 70%"), (0.7, 0.85, "70 – 85%"), (0.85, 1.01, "≥ 85% 达标")],
        ["#d7191c", "#fdae61", "#a6d96a", "#1a9641"],
    ),
}
PRIORITY = (
    "priority_score",
    [(0, 40, "< 40"), (40, 60, "40 – 60"), (60, 80, "60 – 80"), (80, 100.01, "≥ 80")],
    ["#fee5d9", "#fcae91", "#fb6a4a", "#cb181d"],
)


def _layer(kind: str, fields: dict[str, QVariant.Type]) -> QgsVectorLayer:
    layer = QgsVectorLayer(f"{KINDS[kind]}?crs=EPSG:4548", "style", "memory")
    layer.dataProvider().addAttributes([QgsField(n, t) for n, t in fields.items()])
    layer.updateFields()
    return layer


def _symbol(layer: QgsVectorLayer, color: str, *, outline: str = "#ffffff") -> QgsSymbol:
    symbol = QgsSymbol.defaultSymbol(layer.geometryType())
    symbol.setColor(QColor(color))
    if layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry:
        symbol.symbolLayer(0).setStrokeColor(QColor(outline))
        symbol.symbolLayer(0).setStrokeWidth(0.3)
    elif layer.geometryType() == QgsWkbTypes.GeometryType.LineGeometry:
        symbol.setWidth(1.2)
    else:
        symbol.setSize(3.0)
    return symbol


def _atlas_outline(symbol: QgsSymbol) -> QgsSymbol:
    """Blocks: the current atlas block drawn with a heavy dark outline, the others thin and white."""
    fill = symbol.symbolLayer(0)
    fill.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeColor,
        QgsProperty.fromExpression("if(@atlas_featureid = $id, '#202020', '#ffffff')"),
    )
    fill.setDataDefinedProperty(
        QgsSymbolLayer.Property.PropertyStrokeWidth, QgsProperty.fromExpression("if(@atlas_featureid = $id, 1.2, 0.3)")
    )
    return symbol


def _graduated(
    layer: QgsVectorLayer, field: str, classes, colors, outline: str = "#ffffff", atlas: bool = False
) -> None:
    ranges = [
        QgsRendererRange(
            lo,
            hi,
            _atlas_outline(_symbol(layer, c, outline=outline)) if atlas else _symbol(layer, c, outline=outline),
            label,
        )
        for (lo, hi, label), c in zip(classes, colors, strict=True)
    ]
    layer.setRenderer(QgsGraduatedSymbolRenderer(field, ranges))


def _categorized(layer: QgsVectorLayer, field: str, categories) -> None:
    cats = [
        QgsRendererCategory(value, _symbol(layer, color, outline="#606060"), f"{label} {value}")
        for value, label, color in categories
    ]
    layer.setRenderer(QgsCategorizedSymbolRenderer(field, cats))


def _labels(layer: QgsVectorLayer, expression: str, size: float = 8.0) -> None:
    settings = QgsPalLayerSettings()
    settings.fieldName = expression
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


def _save(layer: QgsVectorLayer, name: str) -> None:
    path = STYLES / f"{name}.qml"
    categories = QgsMapLayer.StyleCategory.Symbology | QgsMapLayer.StyleCategory.Labeling
    message, ok = layer.saveNamedStyle(str(path), categories)
    if not ok:
        raise RuntimeError(f"{path}: {message}")
    print("wrote", path.relative_to(PLUGIN.parent))


def make_styles() -> None:
    STYLES.mkdir(parents=True, exist_ok=True)
    for style, (field, classes, colors) in BLOCK_CHOROPLETHS.items():
        layer = _layer(
            "polygon", {field: QVariant.Type.Double, "name": QVariant.Type.String, "block_id": QVariant.Type.String}
        )
        _graduated(layer, field, classes, colors, atlas=True)
        _labels(layer, '"name"', 9.0)
        layer.setOpacity(0.85)
        _save(layer, f"block_metrics.{style}.polygon")
    for kind in KINDS:
        layer = _layer(kind, {"category": QVariant.Type.String})
        _categorized(layer, "category", RESOURCE_CATEGORIES)
        _save(layer, f"resource_list.category.{kind}")
        layer = _layer(kind, {"status": QVariant.Type.String, "priority_score": QVariant.Type.Double})
        _categorized(layer, "status", PROJECT_STATUS)
        _save(layer, f"project_list.status.{kind}")
        layer = _layer(kind, {"priority_score": QVariant.Type.Double})
        _graduated(layer, PRIORITY[0], PRIORITY[1], PRIORITY[2], outline="#606060")
        _save(layer, f"project_list.priority.{kind}")


def _label(
    layout: QgsPrintLayout,
    item_id: str,
    text: str,
    x: float,
    y: float,
    w: float,
    h: float,
    size: float,
    bold: bool = False,
) -> QgsLayoutItemLabel:
    label = QgsLayoutItemLabel(layout)
    label.setId(item_id)
    label.setText(text)
    font = QFont(FONT)
    font.setPointSizeF(size)
    font.setBold(bold)
    label.setFont(font)
    label.attemptMove(QgsLayoutPoint(x, y, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    label.attemptResize(QgsLayoutSize(w, h, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    layout.addLayoutItem(label)
    return label


def make_layout() -> None:
    """A3 landscape: title, map (atlas over blocks), legend, scale bar, north arrow, key figures, footer."""
    LAYOUTS.mkdir(parents=True, exist_ok=True)
    project = QgsProject()
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName("blockcheck hearing atlas")
    page = layout.pageCollection().page(0)
    page.setPageSize("A3", page.Orientation.Landscape)
    _label(layout, "title", '[% "name" %]（[% "block_id" %]）体检评估与更新清单', 10, 8, 300, 14, 22, bold=True)
    _label(
        layout,
        "subtitle",
        '[% "subdistrict" %] · 第 [% @atlas_featurenumber %] / [% @atlas_totalfeatures %] 页',
        10,
        22,
        300,
        8,
        12,
    )
    map_item = QgsLayoutItemMap(layout)
    map_item.setId("map")
    map_item.attemptMove(QgsLayoutPoint(10, 32, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    map_item.attemptResize(QgsLayoutSize(300, 255, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    map_item.setFrameEnabled(True)
    map_item.setAtlasDriven(True)
    map_item.setAtlasScalingMode(QgsLayoutItemMap.AtlasScalingMode.Auto)
    map_item.setAtlasMargin(0.15)
    layout.addLayoutItem(map_item)
    legend = QgsLayoutItemLegend(layout)
    legend.setId("legend")
    legend.setTitle("图例 Legend")
    legend.setLinkedMap(map_item)
    legend.setLegendFilterByMapEnabled(True)
    for style in (QgsLegendStyle.Title, QgsLegendStyle.Group, QgsLegendStyle.Subgroup, QgsLegendStyle.SymbolLabel):
        font = QFont(FONT)
        font.setPointSizeF(11 if style == QgsLegendStyle.Title else 9)
        legend.setStyleFont(style, font)
    legend.attemptMove(QgsLayoutPoint(318, 32, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    legend.setResizeToContents(True)
    layout.addLayoutItem(legend)
    _label(
        layout,
        "figures",
        '人口 [% format_number("population", 0) %] 人\n'
        '面积 [% format_number("area_ha", 1) %] 公顷\n'
        '路网密度 [% format_number("road_density_km_per_km2", 1) %] km/km²\n'
        '人均公园绿地 [% format_number("park_green_m2_per_capita", 1) %] m²\n'
        '公园绿地覆盖 [% format_number(100 * "park_coverage_500m_ratio", 0) %]%',
        318,
        200,
        95,
        40,
        10,
    )
    scale = QgsLayoutItemScaleBar(layout)
    scale.setId("scalebar")
    scale.setStyle("Single Box")
    scale.setLinkedMap(map_item)
    scale.setUnits(QgsUnitTypes.DistanceUnit.DistanceMeters)
    scale.setUnitLabel("m")
    scale.setNumberOfSegments(3)
    scale.setNumberOfSegmentsLeft(0)
    scale.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeMode.SegmentSizeFitWidth)
    scale.setMinimumBarWidth(40)
    scale.setMaximumBarWidth(80)
    scale.setUnitsPerSegment(100)
    scale.setHeight(3)
    font = QFont(FONT)
    font.setPointSizeF(8)
    text = QgsTextFormat.fromQFont(font)
    scale.setTextFormat(text)
    scale.attemptMove(QgsLayoutPoint(318, 250, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    layout.addLayoutItem(scale)
    arrow = QgsLayoutItemPicture(layout)
    arrow.setId("north_arrow")
    arrow.setPicturePath("arrows/NorthArrow_02.svg")
    arrow.setLinkedMap(map_item)
    arrow.setNorthMode(QgsLayoutItemPicture.NorthMode.GridNorth)
    arrow.attemptMove(QgsLayoutPoint(395, 8, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    arrow.attemptResize(QgsLayoutSize(16, 20, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    layout.addLayoutItem(arrow)
    _label(
        layout,
        "footer",
        "blockcheck · [% @blockcheck_workbook %] · 导出 [% format_date(now(), 'yyyy-MM-dd') %]",
        318,
        275,
        95,
        12,
        8,
    )
    atlas = layout.atlas()
    atlas.setEnabled(True)
    atlas.setPageNameExpression('"block_id"')
    atlas.setSortFeatures(True)
    atlas.setSortExpression('"block_id"')
    atlas.setFilenameExpression("'hearing_' || \"block_id\"")
    path = LAYOUTS / "hearing_atlas.qpt"
    if not layout.saveAsTemplate(str(path), QgsReadWriteContext()):
        raise RuntimeError(f"cannot write {path}")
    print("wrote", path.relative_to(PLUGIN.parent))
    del layout


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    make_styles()
    make_layout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
