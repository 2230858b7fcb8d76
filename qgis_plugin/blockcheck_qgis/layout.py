"""The hearing print layout: the shipped template with an atlas over the blocks, exported to PDF.

``resources/layouts/hearing_atlas.qpt`` holds the title, the map, the legend,
the scale bar, the north arrow (QGIS's own SVG library) and the key figures of
each block; here it is bound to a workbook's layers and exported with one page
per block.
"""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import (
    QgsExpressionContextUtils,
    QgsLayerTree,
    QgsLayoutExporter,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsPathResolver,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsScaleBarSettings,
    QgsSymbolLayerUtils,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument

from . import styles
from .i18n import tr

__all__ = ["LAYOUT_NAME", "TEMPLATE", "export_hearing_pdf", "hearing_layout"]

TEMPLATE = Path(__file__).resolve().parent / "resources" / "layouts" / "hearing_atlas.qpt"
LAYOUT_NAME = "blockcheck 听证会图册 hearing atlas"
NORTH_ARROW = "arrows/NorthArrow_02.svg"


def _workbook_layers(project: QgsProject, workbook: str | os.PathLike) -> dict[str, list[QgsVectorLayer]]:
    """table → project layers of this workbook."""
    wanted = os.path.normpath(str(workbook))
    found: dict[str, list[QgsVectorLayer]] = {}
    for layer in project.mapLayers().values():
        if isinstance(layer, QgsVectorLayer) and layer.providerType() == "ogr":
            path, table = styles.workbook_path(layer)
            if path == wanted:
                found.setdefault(table, []).append(layer)
    return found


def hearing_layout(workbook: str | os.PathLike, project: QgsProject | None = None) -> QgsPrintLayout:
    """The template bound to the workbook: atlas over ``block_metrics``; map shows blocks, resources, projects.

    Workbook layers missing from `project` are added first (styled).
    """
    project = project or QgsProject.instance()
    layers = _workbook_layers(project, workbook)
    missing = [t for t in ("block_metrics", "resource_list", "project_list") if t not in layers]
    if missing:
        styles.load_workbook(workbook, missing, project)
        layers = _workbook_layers(project, workbook)
    if "block_metrics" not in layers:
        raise ValueError(tr("{path} has no block_metrics layer: run the health check first.").format(path=workbook))
    blocks = layers["block_metrics"][0]
    document = QDomDocument()
    document.setContent(TEMPLATE.read_text("utf-8"))
    layout = QgsPrintLayout(project)
    layout.loadFromTemplate(document, QgsReadWriteContext())
    layout.setName(LAYOUT_NAME)
    shown = [*layers.get("project_list", []), *layers.get("resource_list", []), blocks]
    QgsExpressionContextUtils.setLayoutVariable(layout, "blockcheck_workbook", Path(workbook).name)
    for item in layout.items():
        if isinstance(item, QgsLayoutItemLegend):
            _legend(item, shown)
        elif isinstance(item, QgsLayoutItemScaleBar):
            item.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeMode.SegmentSizeFitWidth)
        elif isinstance(item, QgsLayoutItemMap):
            item.setLayers(shown)
            item.setKeepLayerSet(True)
            item.setCrs(blocks.crs())
            item.zoomToExtent(blocks.extent())
        elif isinstance(item, QgsLayoutItemPicture) and item.id() == "north_arrow":
            item.setPicturePath(QgsSymbolLayerUtils.svgSymbolNameToPath(NORTH_ARROW, QgsPathResolver()))
    atlas = layout.atlas()
    atlas.setCoverageLayer(blocks)
    atlas.setEnabled(True)
    return layout


def _legend(legend: QgsLayoutItemLegend, layers: list[QgsVectorLayer]) -> None:
    """Only the map's layers, no project groups; each named after its current style (e.g. 路网密度 Road density)."""
    legend.setAutoUpdateModel(False)
    root = QgsLayerTree()
    for layer in layers:
        node = root.addLayer(layer)
        style = layer.styleManager().currentStyle()
        if style and style != "default":
            node.setUseLayerName(False)
            node.setName(f"{layer.name().split(' (')[0]} · {style}")
    legend.model().setRootGroup(root)
    legend.setProperty("blockcheck_root", root)  # the model does not own the tree
    _LEGEND_TREES.append(root)
    del _LEGEND_TREES[:-8]
    legend.adjustBoxSize()


#: Legend trees stay alive as long as their layouts may be shown.
_LEGEND_TREES: list = []


def export_hearing_pdf(
    workbook: str | os.PathLike,
    pdf: str | os.PathLike,
    project: QgsProject | None = None,
    *,
    add_to_project: bool = True,
) -> Path:
    """Export the hearing layout of `workbook` to one PDF, one page per block; keep the layout in the project.

    Raises
    ------
    RuntimeError
        When QGIS cannot write the PDF (the exporter's message).
    """
    project = project or QgsProject.instance()
    layout = hearing_layout(workbook, project)
    pdf = Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.rasterizeWholeImage = False
    settings.forceVectorOutput = False
    settings.appendGeoreference = True
    result, error = QgsLayoutExporter.exportToPdf(layout.atlas(), str(pdf), settings)
    if result != QgsLayoutExporter.ExportResult.Success:
        raise RuntimeError(
            tr("The hearing layout could not be exported to {path}: {error}").format(path=pdf, error=error)
        )
    if add_to_project:
        manager = project.layoutManager()
        old = manager.layoutByName(LAYOUT_NAME)
        if old is not None:
            manager.removeLayout(old)
        manager.addLayout(layout)
    return pdf
