"""The hearing print layout: the shipped template with an atlas over the blocks, exported to PDF.

``resources/layouts/hearing_atlas.qpt`` holds the title, the map, the legend,
the scale bar, the north arrow (QGIS's own SVG library) and a frame for the key
figures of each block; here it is bound to a workbook's layers, the figures are
written with the labels and units of the core's metric schema, and the atlas is
exported with one page per block. A PostGIS team workbook (a
:class:`.postgis_workbook.DatabaseWorkbook`: a saved QGIS connection and a
schema) gives the same layout: its layers come through QGIS's postgres
provider, styled from the database's ``layer_styles``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from qgis.core import (
    QgsExpressionContextUtils,
    QgsLayerTree,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsPathResolver,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsRectangle,
    QgsScaleBarSettings,
    QgsSymbolLayerUtils,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument

from . import styles, styles_postgis, vocabulary
from .i18n import tr
from .postgis_workbook import DatabaseWorkbook
from .renderers import field_name

__all__ = ["FIGURES", "LAYOUT_NAME", "TEMPLATE", "export_hearing_pdf", "figures_text", "hearing_layout"]

TEMPLATE = Path(__file__).resolve().parent / "resources" / "layouts" / "hearing_atlas.qpt"
LAYOUT_NAME = "blockcheck 听证会图册 hearing atlas"
NORTH_ARROW = "arrows/NorthArrow_02.svg"
#: The margin the atlas leaves around each block, as a share of the block's extent.
ATLAS_MARGIN = 0.15
#: The key figures of each block page: block_metrics columns (or the metric schema's keys with placeholders).
FIGURES = (
    "population",
    "area_ha",
    "road_density_km_per_km2",
    "park_green_m2_per_capita",
    "park_coverage_{radius}m_ratio",
)


def figures_text(columns: list[str]) -> str:
    """The key-figures label: one line per figure of :data:`FIGURES` among `columns`, e.g. ``人口 [% … %] 人``.

    Labels, units and decimals come from the core's metric schema; a block
    without a value shows the core's no-data label.
    """
    entries = [vocabulary.metric_entry(c) for c in columns]
    blank = vocabulary.no_data_label("zh").replace("'", "''")
    lines = []
    for wanted in FIGURES:
        metric = next((m for m in entries if m is not None and wanted in (m.key, m.template)), None)
        if metric is None:
            continue
        name = field_name(metric.key)
        if metric.unit.percent:
            value = f"format_number(100 * {name}, {metric.unit.decimals}) || '%'"
        else:
            value = f"format_number({name}, {metric.unit.decimals}) || ' {metric.unit.zh}'"
        lines.append(f"{metric.zh} [% coalesce({value}, '{blank}') %]")
    return "\n".join(lines)


#: A workbook as the layout takes it: a GeoPackage's path, or a PostGIS workbook.
Workbook = Union[str, os.PathLike, DatabaseWorkbook]  # noqa: UP007 - evaluated at import (Python 3.9 QGIS)


def _table_of(workbook: Workbook):
    """layer → the table of `workbook` it shows, else None."""
    if isinstance(workbook, DatabaseWorkbook):
        return workbook.table_of
    wanted = os.path.normpath(str(workbook))

    def table_of(layer) -> str | None:
        if isinstance(layer, QgsVectorLayer) and layer.providerType() == "ogr":
            path, table = styles.workbook_path(layer)
            return table if path == wanted else None
        return None

    return table_of


def _workbook_layers(project: QgsProject, workbook: Workbook) -> dict[str, list[QgsVectorLayer]]:
    """table → project layers of this workbook, in the project's drawing order (top first)."""
    table_of = _table_of(workbook)
    found: dict[str, list[QgsVectorLayer]] = {}
    ordered = {layer.id(): layer for layer in project.layerTreeRoot().layerOrder()}
    for layer in {**ordered, **project.mapLayers()}.values():
        table = table_of(layer)
        if table:
            found.setdefault(table, []).append(layer)
    return found


def workbook_name(workbook: Workbook) -> str:
    """How the layout's footer names the workbook: the file's name, or ``CONNECTION ▸ SCHEMA``."""
    return workbook.path if isinstance(workbook, DatabaseWorkbook) else Path(workbook).name


def hearing_layout(workbook: Workbook, project: QgsProject | None = None) -> QgsPrintLayout:
    """The template bound to the workbook: atlas over ``block_metrics``; map shows blocks, resources, projects.

    Workbook layers missing from `project` are added first (styled).
    """
    project = project or QgsProject.instance()
    layers = _workbook_layers(project, workbook)
    missing = [t for t in styles_postgis.MAP_TABLES if t not in layers]
    if missing:
        if isinstance(workbook, DatabaseWorkbook):
            styles_postgis.load_database_workbook(workbook, project)
        else:
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
    QgsExpressionContextUtils.setLayoutVariable(layout, "blockcheck_workbook", workbook_name(workbook))
    for item in layout.items():
        if isinstance(item, QgsLayoutItemLegend):
            _legend(item, shown)
        elif isinstance(item, QgsLayoutItemScaleBar):
            item.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeMode.SegmentSizeFitWidth)
        elif isinstance(item, QgsLayoutItemMap):
            item.setLayers(shown)
            item.setKeepLayerSet(True)
            item.setCrs(blocks.crs())
            _atlas_map(item, blocks.extent())
        elif isinstance(item, QgsLayoutItemLabel) and item.id() == "figures":
            item.setText(figures_text(blocks.fields().names()))
        elif isinstance(item, QgsLayoutItemPicture) and item.id() == "north_arrow":
            item.setPicturePath(QgsSymbolLayerUtils.svgSymbolNameToPath(NORTH_ARROW, QgsPathResolver()))
    atlas = layout.atlas()
    atlas.setCoverageLayer(blocks)
    atlas.setEnabled(True)
    return layout


def _atlas_map(item: QgsLayoutItemMap, extent: QgsRectangle) -> None:
    """Show `extent` in the map frame and let the atlas move and scale the extent, never the frame.

    QGIS 3.22 fits the frame to an extent whose aspect differs from it (``setExtent``), and the atlas's
    automatic scaling keeps the aspect of the map's current extent: the first extent must have the frame's
    aspect (the template's placeholder extent has none), so the frame stays the template's size on every page.
    """
    item.setExtent(_with_aspect(extent, item.rect().width() / item.rect().height()))
    item.setAtlasDriven(True)
    item.setAtlasScalingMode(QgsLayoutItemMap.AtlasScalingMode.Auto)
    item.setAtlasMargin(ATLAS_MARGIN)


def _with_aspect(extent: QgsRectangle, aspect: float) -> QgsRectangle:
    """`extent` grown about its centre to width / height = `aspect`."""
    width, height = max(extent.width(), 1e-9), max(extent.height(), 1e-9)
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    centre = extent.center()
    return QgsRectangle(
        centre.x() - width / 2, centre.y() - height / 2, centre.x() + width / 2, centre.y() + height / 2
    )


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
    workbook: Workbook,
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
