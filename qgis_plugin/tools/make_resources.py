"""Regenerate the plugin's hearing layout template with the QGIS API (developer tool).

    QT_QPA_PLATFORM=offscreen .venv/bin/python qgis_plugin/tools/make_resources.py

Writes ``blockcheck_qgis/resources/layouts/hearing_atlas.qpt``: page, title,
atlas map, legend, scale bar, north arrow, footer and the frame of the key
figures, which the plugin fills per workbook from the core's metric schema
(``blockcheck_qgis.layout.figures_text``). The output is committed; this script
is not part of the installable zip. Layer styles are not made here: the plugin
builds them from the core's vocabulary and the standards of each workbook
(``blockcheck_qgis.styles``), so no label, colour or threshold is baked in.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendStyle,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsScaleBarSettings,
    QgsTextFormat,
    QgsUnitTypes,
)
from qgis.PyQt.QtGui import QFont

PLUGIN = Path(__file__).resolve().parents[1] / "blockcheck_qgis"
LAYOUTS = PLUGIN / "resources" / "layouts"
FONT = "Noto Sans CJK SC"


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
    styles = QgsLegendStyle.Style
    for style in (styles.Title, styles.Group, styles.Subgroup, styles.SymbolLabel):
        font = QFont(FONT)
        font.setPointSizeF(11 if style == styles.Title else 9)
        legend.setStyleFont(style, font)
    legend.attemptMove(QgsLayoutPoint(318, 32, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
    legend.setResizeToContents(True)
    layout.addLayoutItem(legend)
    _label(layout, "figures", "", 318, 200, 95, 40, 10)  # filled by blockcheck_qgis.layout.figures_text
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
    make_layout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
