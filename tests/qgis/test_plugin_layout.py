"""The hearing print layout (issue 7, point 5): template with map, legend, scale bar, north arrow and
title, an atlas over the blocks, exported to one PDF page per block from the plugin's toolbar action."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.qgis


def _pdf_pages(data: bytes) -> int:
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max(counts) if counts else len(re.findall(rb"/Type\s*/Page\b", data))


def test_layout_action_exports_one_pdf_page_per_block(qgis_iface, plugin_module, core_lists_run, tmp_path) -> None:
    from qgis.core import (
        QgsLayoutItemLabel,
        QgsLayoutItemLegend,
        QgsLayoutItemMap,
        QgsLayoutItemPicture,
        QgsLayoutItemScaleBar,
        QgsProject,
    )

    from blockcheck_qgis.layout import LAYOUT_NAME

    workbook = tmp_path / "workbook.gpkg"
    shutil.copy(core_lists_run.workbook, workbook)
    plugin = plugin_module.classFactory(qgis_iface)
    plugin.initGui()
    try:
        pdf = plugin.export_layout(str(workbook), str(tmp_path / "hearing.pdf"))
    finally:
        plugin.unload()
    assert pdf == tmp_path / "hearing.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert _pdf_pages(data) == len(core_lists_run.health.block_metrics) == 16

    layout = QgsProject.instance().layoutManager().layoutByName(LAYOUT_NAME)
    assert layout is not None
    items = {type(item): item for item in layout.items()}
    for kind in (
        QgsLayoutItemMap,
        QgsLayoutItemLegend,
        QgsLayoutItemScaleBar,
        QgsLayoutItemPicture,
        QgsLayoutItemLabel,
    ):
        assert kind in items, kind
    arrow = next(i for i in layout.items() if isinstance(i, QgsLayoutItemPicture))
    assert Path(arrow.picturePath()).is_file() and arrow.picturePath().endswith("NorthArrow_02.svg")
    atlas = layout.atlas()
    assert atlas.enabled() and "block_metrics" in atlas.coverageLayer().source()
    assert atlas.updateFeatures() == 16
    atlas.beginRender()
    atlas.seekTo(0)
    title = next(i for i in layout.items() if isinstance(i, QgsLayoutItemLabel) and i.id() == "title")
    first = sorted(core_lists_run.health.block_metrics["block_id"])[0]
    assert first in title.currentText() and "[%" not in title.currentText()
    atlas.endRender()
    shown = [layer.name() for layer in items[QgsLayoutItemMap].layers()]
    assert any("block_metrics" in n for n in shown) and any("project_list" in n for n in shown)


def test_every_atlas_page_keeps_every_item_inside_the_page(qgis_iface, plugin_module, core_lists_run, tmp_path) -> None:
    """The atlas scales the map's extent, never its frame (issue 16.5): on each of the 16 block pages, rendered as
    for the PDF, every item lies inside the A3 page and the map keeps the template's size and place."""
    from qgis.core import QgsLayoutExporter, QgsLayoutItem, QgsLayoutItemMap, QgsLayoutItemPage, QgsProject
    from qgis.PyQt.QtCore import QRectF, QSize

    from blockcheck_qgis.layout import hearing_layout

    workbook = tmp_path / "workbook.gpkg"
    shutil.copy(core_lists_run.workbook, workbook)
    layout = hearing_layout(workbook, QgsProject.instance())
    page = layout.pageCollection().page(0)
    bounds = QRectF(page.pos(), page.rect().size()).adjusted(-0.1, -0.1, 0.1, 0.1)  # mm, 0.1 mm tolerance
    assert (round(page.rect().width()), round(page.rect().height())) == (420, 297)  # A3 landscape
    map_item = next(i for i in layout.items() if isinstance(i, QgsLayoutItemMap))

    def frame() -> tuple[float, ...]:
        position, size = map_item.positionWithUnits(), map_item.sizeWithUnits()
        return (position.x(), position.y(), size.width(), size.height())

    assert frame() == (10, 32, 300, 255)
    assert map_item.atlasDriven() and map_item.atlasScalingMode() == QgsLayoutItemMap.AtlasScalingMode.Auto
    atlas, exporter = layout.atlas(), QgsLayoutExporter(layout)
    assert atlas.updateFeatures() == 16
    atlas.beginRender()
    try:
        outside, scales, extents = [], set(), set()
        for number in range(atlas.count()):
            assert atlas.seekTo(number)
            exporter.renderPageToImage(0, QSize(420, 297))  # as exported: legends and labels take their size
            if frame() != pytest.approx((10, 32, 300, 255), abs=0.1):
                outside.append(f"page {number + 1}: map frame at {frame()} mm")
            for item in layout.items():
                if isinstance(item, QgsLayoutItem) and not isinstance(item, QgsLayoutItemPage) and item.isVisible():
                    rect = item.sceneBoundingRect()
                    if not bounds.contains(rect):
                        outside.append(f"page {number + 1}: {item.displayName()} {rect} outside {bounds}")
            extent = map_item.extent()
            scales.add(round(map_item.scale()))
            extents.add((round(extent.center().x()), round(extent.center().y())))
            assert extent.width() / extent.height() == pytest.approx(300 / 255)  # the extent fits the frame
    finally:
        atlas.endRender()
    assert not outside, "\n".join(outside)
    assert len(extents) == 16 and len(scales) > 1  # the atlas moved and scaled the extent to each block
