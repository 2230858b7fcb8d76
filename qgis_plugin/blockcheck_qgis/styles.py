"""Styled workbook layers: the shipped QML styles, field forms, and the workbook's ``layer_styles`` table.

Spatial tables whose features mix geometry types (``project_list`` holds road
lines and site polygons) are loaded as one layer per geometry type, because a
QGIS layer draws one kind of geometry. Styles are applied from
``resources/styles/<table>.<style>.<kind>.qml`` (the first style of a table is
its default, the others are alternatives in the layer's style manager) and
saved into the GeoPackage's ``layer_styles`` table, so the workbook opens
styled in any QGIS.
"""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import (
    QgsEditorWidgetSetup,
    QgsLayerTreeGroup,
    QgsProcessingContext,
    QgsProcessingLayerPostProcessorInterface,
    QgsProject,
    QgsProviderRegistry,
    QgsVectorLayer,
    QgsWkbTypes,
)


__all__ = [
    "STYLE_DIR",
    "STYLES",
    "apply_style",
    "layer_uris",
    "load_on_completion",
    "load_workbook",
    "save_styles_to_workbook",
    "set_field_forms",
    "workbook_path",
]

STYLE_DIR = Path(__file__).resolve().parent / "resources" / "styles"

#: table → [(style id, style name)]; the first is the default.
STYLES: dict[str, list[tuple[str, str]]] = {
    "block_metrics": [
        ("road_density", "路网密度 Road density"),
        ("park_green_per_capita", "人均公园绿地 Park green per person"),
        ("park_coverage", "公园绿地覆盖 Park coverage"),
    ],
    "resource_list": [("category", "资源类别 Resource category")],
    "project_list": [("status", "项目状态 Project status"), ("priority", "优先级 Priority")],
}
#: Display labels of coded values the core does not label itself (UI text).
_VALUE_LABELS = {
    "status": {
        "registered": "入库 registered",
        "adjusted": "动态调整 adjusted",
        "implementing": "滚动实施 implementing",
        "done": "完成 done",
    },
    "provenance": {"generated": "生成 generated", "edited": "编辑 edited", "added": "新增 added"},
}
#: Titles of workbook tables that are not lists.
_TITLES = {"block_metrics": "街区体检指标 block_metrics", "area_metrics": "全域指标 area_metrics"}
_KINDS = (
    ("point", "Point", QgsWkbTypes.GeometryType.PointGeometry),
    ("line", "LineString", QgsWkbTypes.GeometryType.LineGeometry),
    ("polygon", "Polygon", QgsWkbTypes.GeometryType.PolygonGeometry),
)
_KIND_OF = {geometry: kind for kind, _, geometry in _KINDS}


def workbook_path(layer: QgsVectorLayer) -> tuple[str, str]:
    """(GeoPackage path, table name) of an OGR layer, decoded by QGIS (never by string surgery)."""
    parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    return os.path.normpath(parts.get("path", "")), str(parts.get("layerName") or "")


def layer_uris(workbook: str | os.PathLike, table: str) -> list[tuple[str, str | None]]:
    """(uri, geometry kind) of the map layers showing `table`: one per geometry type present."""
    base = f"{workbook}|layername={table}"
    layer = QgsVectorLayer(base, table, "ogr")
    if not layer.isValid():
        return []
    if (
        layer.geometryType() in (QgsWkbTypes.GeometryType.NullGeometry, QgsWkbTypes.GeometryType.UnknownGeometry)
        and not layer.isSpatial()
    ):
        return [(base, None)]
    found = []
    for kind, ogr_name, _ in _KINDS:
        part = QgsVectorLayer(f"{base}|geometrytype={ogr_name}", table, "ogr")
        if part.isValid() and next(part.getFeatures(), None) is not None:
            found.append((f"{base}|geometrytype={ogr_name}", kind))
    if len(found) <= 1:
        return [(base, found[0][1] if found else _KIND_OF.get(layer.geometryType(), "polygon"))]
    return found


def _qml(table: str, style: str, kind: str | None) -> Path | None:
    path = STYLE_DIR / f"{table}.{style}.{kind}.qml"
    return path if path.is_file() else None


def layer_kind(layer: QgsVectorLayer) -> str | None:
    """``point`` / ``line`` / ``polygon`` for a spatial layer, None for a table."""
    return _KIND_OF.get(layer.geometryType()) if layer.isSpatial() else None


def set_field_forms(layer: QgsVectorLayer, table: str) -> None:
    """Field aliases (Chinese labels, English fallback) and drop-downs for coded values, from the core's schema."""
    from . import bridge

    schemas = bridge.list_schemas()
    if table not in schemas:
        return
    labels = bridge.resource_categories() if table == "resource_list" else {}
    for field in schemas[table].fields:
        index = layer.fields().indexOf(field.name)
        if index < 0:
            continue
        layer.setFieldAlias(index, field.label_zh or field.label_en)
        if field.values:
            names = labels if field.name == "category" else _VALUE_LABELS.get(field.name, {})
            value_map = [{names.get(v, v): v} for v in field.values]
            layer.setEditorWidgetSetup(index, QgsEditorWidgetSetup("ValueMap", {"map": value_map}))


def apply_style(layer: QgsVectorLayer, table: str) -> bool:
    """Apply the table's default style and add its alternatives to the layer's style manager."""
    kind = layer_kind(layer)
    styles = [(name, _qml(table, style, kind)) for style, name in STYLES.get(table, [])]
    styles = [(name, qml) for name, qml in styles if qml is not None]
    try:
        set_field_forms(layer, table)
    except ImportError:  # the core is missing: styles still apply, forms need the schema
        pass
    if not styles:
        return False
    manager = layer.styleManager()
    for name, qml in styles[1:]:
        layer.loadNamedStyle(str(qml))
        if name not in manager.styles():
            manager.addStyleFromLayer(name)
    layer.loadNamedStyle(str(styles[0][1]))
    if styles[0][0] not in manager.styles():
        manager.renameStyle(manager.currentStyle(), styles[0][0])
    layer.triggerRepaint()
    return True


def save_styles_to_workbook(workbook: str | os.PathLike) -> int:
    """Save every table's styles and forms into the workbook's ``layer_styles`` table; return how many."""
    from . import bridge

    saved = 0
    tables = [t for t in bridge.list_schemas() if t != "project_history"] + ["block_metrics"]
    for table in dict.fromkeys(tables):
        uris = layer_uris(workbook, table)
        for i, (uri, kind) in enumerate(uris):
            layer = QgsVectorLayer(uri, table, "ogr")
            set_field_forms(layer, table)
            styles = [(name, _qml(table, style, kind)) for style, name in STYLES.get(table, [])]
            styles = [(name, qml) for name, qml in styles if qml is not None] or [("blockcheck", None)]
            for j, (name, qml) in enumerate(styles):
                if qml is not None:
                    layer.loadNamedStyle(str(qml))
                label = name if len(uris) == 1 else f"{name} ({kind})"
                error = layer.saveStyleToDatabase(label, "blockcheck", i == 0 and j == 0, "")
                saved += not error
    return saved


def _layer_name(table: str, kind: str | None, several: bool) -> str:
    from . import bridge

    schema = bridge.list_schemas().get(table)
    title = f"{schema.title_zh} {table}" if schema is not None else _TITLES.get(table, table)
    return f"{title} ({kind})" if several and kind else title


#: Drawing order in the workbook's group, top first: projects over resources over blocks, tables last.
_ORDER = ("project_list", "resource_list", "block_metrics")
_KIND_ORDER = ("point", "line", "polygon", None)


def _rank(layer: QgsVectorLayer) -> tuple[int, int]:
    _, table = workbook_path(layer)
    spatial = layer.isSpatial()
    first = _ORDER.index(table) if table in _ORDER else (len(_ORDER) if spatial else len(_ORDER) + 1)
    return first, _KIND_ORDER.index(layer_kind(layer))


def _place(group: QgsLayerTreeGroup, layer: QgsVectorLayer) -> None:
    """Insert `layer` into `group` at its place in the drawing order."""
    rank = _rank(layer)
    index = 0
    for child in group.children():
        other = getattr(child, "layer", lambda: None)()
        if isinstance(other, QgsVectorLayer) and other is not layer and _rank(other) <= rank:
            index += 1
    group.insertLayer(index, layer)


def _group(project: QgsProject, workbook: str | os.PathLike) -> QgsLayerTreeGroup:
    name = f"blockcheck · {Path(workbook).parent.name}"
    root = project.layerTreeRoot()
    return root.findGroup(name) or root.insertGroup(0, name)


def _drop_stale(project: QgsProject, uri: str, keep: QgsVectorLayer | None = None) -> None:
    """Remove project layers reading the same table (an earlier run replaced the file)."""
    for layer in list(project.mapLayers().values()):
        if layer is not keep and isinstance(layer, QgsVectorLayer) and layer.source() == uri:
            project.removeMapLayer(layer.id())


def load_workbook(
    workbook: str | os.PathLike, tables: list[str], project: QgsProject | None = None, *, replace: bool = False
) -> list[QgsVectorLayer]:
    """Add `tables` of a workbook to `project` (styled, in one group) and return the new layers.

    Tables already in the project are left alone unless `replace`.
    """
    project = project or QgsProject.instance()
    group = _group(project, workbook)
    present = {layer.source() for layer in project.mapLayers().values()}
    layers = []
    for table in tables:
        uris = layer_uris(workbook, table)
        for uri, kind in uris:
            if uri in present and not replace:
                continue
            _drop_stale(project, uri)
            layer = QgsVectorLayer(uri, _layer_name(table, kind, len(uris) > 1), "ogr")
            if not layer.isValid():
                continue
            apply_style(layer, table)
            project.addMapLayer(layer, False)
            _place(group, layer)
            layers.append(layer)
    return layers


class _StyleOnLoad(QgsProcessingLayerPostProcessorInterface):
    """Runs in the main thread once Processing added an output layer: style it and group it."""

    def __init__(self, workbook: str, table: str) -> None:
        super().__init__()
        self.workbook, self.table = workbook, table

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802, ANN001 - QGIS API
        if not isinstance(layer, QgsVectorLayer):
            return
        project = context.project() or QgsProject.instance()
        _drop_stale(project, layer.source(), keep=layer)
        apply_style(layer, self.table)
        node = project.layerTreeRoot().findLayer(layer.id())
        if node is not None:
            group = _group(project, self.workbook)
            _place(group, layer)
            node.parent().removeChildNode(node)


#: Post-processors must outlive the algorithm run (Processing keeps only a pointer).
_KEEP_ALIVE: list[_StyleOnLoad] = []


def load_on_completion(
    context: QgsProcessingContext, workbook: str | os.PathLike, tables: list[str], output_name: str
) -> list[str]:
    """Ask Processing to add `tables` of the workbook to the project when the algorithm ends (styled)."""
    uris = []
    project = context.project() or QgsProject.instance()
    for table in tables:
        parts = layer_uris(workbook, table)
        for uri, kind in parts:
            details = QgsProcessingContext.LayerDetails(_layer_name(table, kind, len(parts) > 1), project, output_name)
            processor = _StyleOnLoad(str(workbook), table)
            _KEEP_ALIVE.append(processor)
            details.setPostProcessor(processor)
            context.addLayerToLoadOnCompletion(uri, details)
            uris.append(uri)
    del _KEEP_ALIVE[:-64]
    return uris
