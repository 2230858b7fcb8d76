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
