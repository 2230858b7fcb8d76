"""Styled workbook layers: renderers built from the core's vocabulary, field forms, and the workbook's ``layer_styles``.

Spatial tables whose features mix geometry types (``project_list`` holds road
lines and site polygons) are loaded as one layer per geometry type, because a
QGIS layer draws one kind of geometry. Each table's styles (the first is its
default, the others are alternatives in the layer's style manager) are built
when a layer is styled, from the core:

- ``block_metrics``: one choropleth per metric map of the core
  (:func:`blockcheck.choropleth.choropleth`), classed at the thresholds of the
  standards *that workbook's run used* (its ``standards_used`` table), so a
  workbook run with ``--standards national`` is drawn at the national values;
- ``resource_list``: the resource categories of 图2, ``project_list``: the
  project life cycle and the priority classes — labels and colours from
  :mod:`blockcheck.vocabulary`.

After every run they are saved into the GeoPackage's ``layer_styles`` table, one
row per table and theme (the first theme the table's one default), and the
layers Processing loads take them from there by name — so what the user sees
after a run is what the workbook holds, and the workbook opens styled in any
QGIS. A table of several geometry types gets one style per theme for all its
layers: a rule per geometry type holding that type's classes, without the
geometry type QGIS would otherwise tie the style to.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from qgis.core import (
    NULL,
    QgsEditorWidgetSetup,
    QgsLayerTreeGroup,
    QgsMessageLog,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProject,
    QgsProviderRegistry,
    QgsRuleBasedRenderer,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtXml import QDomDocument

from . import renderers, vocabulary

__all__ = [
    "LANG",
    "STYLE_DESCRIPTION",
    "apply_style",
    "layer_styles",
    "layer_uris",
    "load_on_completion",
    "load_workbook",
    "save_styles_to_workbook",
    "set_field_forms",
    "standards_rows",
    "workbook_path",
]

#: Language of legend labels (Chinese first, as every blockcheck output).
LANG = "zh"
#: Coded fields drawn by category, per table: (field, default first); project_list also by priority.
_CATEGORIES = {"resource_list": ("category",), "project_list": ("status",)}
_PRIORITY = {"project_list": "priority_score"}
_KINDS = (
    ("point", "Point", QgsWkbTypes.GeometryType.PointGeometry),
    ("line", "LineString", QgsWkbTypes.GeometryType.LineGeometry),
    ("polygon", "Polygon", QgsWkbTypes.GeometryType.PolygonGeometry),
)
_KIND_OF = {geometry: kind for kind, _, geometry in _KINDS}
#: Each geometry kind as QGIS's ``geometry_type()`` names it, and as a legend heading.
_GEOMETRY_TYPE = {"point": ("Point", "点"), "line": ("Line", "线"), "polygon": ("Polygon", "面")}
#: Tables whose polygons are drawn as outlines (over the blocks' choropleth).
_HOLLOW = {"resource_list"}
#: The ``description`` of the styles blockcheck saves into ``layer_styles`` (others are the user's and kept).
STYLE_DESCRIPTION = "blockcheck"
_GEOMETRY_TYPE_TAG = re.compile(r"<layerGeometryType>[^<]*</layerGeometryType>")
_WORKING = "blockcheck · …"
Style = tuple[str, Callable[[QgsVectorLayer], None]]


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


def layer_kind(layer: QgsVectorLayer) -> str | None:
    """``point`` / ``line`` / ``polygon`` for a spatial layer, None for a table."""
    return _KIND_OF.get(layer.geometryType()) if layer.isSpatial() else None


def _plain(value: object) -> object:
    return None if value == NULL else value


def standards_rows(workbook: str | os.PathLike) -> list[dict]:
    """The rows of a workbook's ``standards_used`` table as plain dicts (empty when it has none)."""
    table = QgsVectorLayer(f"{workbook}|layername=standards_used", "standards_used", "ogr")
    if not table.isValid():
        return []
    names = table.fields().names()
    return [{n: _plain(f[n]) for n in names} for f in table.getFeatures()]


def _log(message: str) -> None:
    QgsMessageLog.logMessage(message, "blockcheck")


def _choropleths(workbook: str | os.PathLike, rows: list[dict] | None = None) -> list[Style]:
    """The block choropleths at the workbook's standards (its ``standards_used`` rows, read from the GeoPackage
    unless given); none (and a log message) when they cannot be drawn."""
    rows = standards_rows(workbook) if rows is None else rows
    if not rows:
        _log(f"{workbook}: no standards_used table; block_metrics left unstyled.")
        return []
    try:
        maps = vocabulary.metric_choropleths(rows, LANG)
    except QgsProcessingException as err:
        _log(f"{workbook}: {err}")
        return []

    def make(choropleth) -> Callable[[QgsVectorLayer], None]:
        def apply(layer: QgsVectorLayer) -> None:
            layer.setRenderer(renderers.class_renderer(layer, choropleth.metric.key, choropleth.classes, blocks=True))
            renderers.block_labels(layer)
            layer.setOpacity(renderers.BLOCK_OPACITY)

        return apply

    return [(m.metric.label(LANG), make(m)) for m in maps]


def _field_title(table: str, field: str) -> str:
    """A style's name: the field's label (short: GeoPackage ``layer_styles`` names hold 30 characters)."""
    from . import bridge

    spec = next((f for f in bridge.list_schemas()[table].fields if f.name == field), None)
    return (spec.label_zh if LANG == "zh" else spec.label_en) if spec is not None else field


def _categories(table: str, field: str) -> Style:
    terms = vocabulary.coded_terms(table, field)

    def apply(layer: QgsVectorLayer) -> None:
        layer.setRenderer(renderers.category_renderer(layer, field, terms, hollow=table in _HOLLOW))

    return _field_title(table, field), apply


def _priority(table: str, field: str) -> Style:
    classes = vocabulary.priority_classes(LANG)

    def apply(layer: QgsVectorLayer) -> None:
        layer.setRenderer(renderers.class_renderer(layer, field, classes))

    return _field_title(table, field), apply


def layer_styles(workbook: str | os.PathLike, table: str, *, standards: list[dict] | None = None) -> list[Style]:
    """The styles of `table`'s layers as (name, apply to a layer), the default first; empty without the core.

    `standards`: the workbook's ``standards_used`` rows, when the workbook is no GeoPackage to read them from.
    """
    try:
        if table == "block_metrics":
            return _choropleths(workbook, standards)
        styles = [_categories(table, field) for field in _CATEGORIES.get(table, ())]
        if table in _PRIORITY:
            styles.append(_priority(table, _PRIORITY[table]))
        return styles
    except ImportError:  # the core is missing: the plugin says so elsewhere; layers stay unstyled
        return []


def set_field_forms(layer: QgsVectorLayer, table: str) -> None:
    """Field aliases (Chinese labels, English fallback) and drop-downs for coded values, from the core's schema."""
    from . import bridge

    schemas = bridge.list_schemas()
    if table not in schemas:
        return
    for field in schemas[table].fields:
        index = layer.fields().indexOf(field.name)
        if index < 0:
            continue
        layer.setFieldAlias(index, field.label_zh or field.label_en)
        if field.values:
            names = vocabulary.coded_labels(table, field.name, LANG)
            shown = {v: f"{names[v]} {v}" if names.get(v, v) != v else v for v in field.values}
            value_map = [{shown[v]: v} for v in field.values]
            layer.setEditorWidgetSetup(index, QgsEditorWidgetSetup("ValueMap", {"map": value_map}))


def apply_style(layer: QgsVectorLayer, table: str, *, theme: str | None = None) -> bool:
    """Give the layer the table's themes by name, the default current: as saved in the workbook, else built.

    `theme` (or the one the layer shows) stays current when the table still has it: a re-run keeps the theme
    the user chose.
    """
    path, _ = workbook_path(layer)
    with contextlib.suppress(ImportError):  # the core is missing: forms need the schema
        set_field_forms(layer, table)
    if not layer.isSpatial():
        return False
    built = layer_styles(path, table)
    saved = dict(_saved_styles(layer))
    themes = [(name, _importer(saved[name]) if name in saved else make) for name, make in built]
    themes += [(name, _importer(qml)) for name, qml in saved.items() if name not in dict(built)]
    if not themes:
        return False
    manager = layer.styleManager()
    chosen = theme or manager.currentStyle()
    manager.renameStyle(manager.currentStyle(), _WORKING)
    for name in manager.styles():
        if name != _WORKING:
            manager.removeStyle(name)
    for name, apply in themes[1:]:
        apply(layer)
        manager.addStyleFromLayer(name)
    themes[0][1](layer)
    manager.renameStyle(_WORKING, themes[0][0])
    if chosen != themes[0][0] and chosen in manager.styles():
        manager.setCurrentStyle(chosen)
    layer.triggerRepaint()
    return True


def _importer(qml: str) -> Callable[[QgsVectorLayer], None]:
    """Apply a saved style; of a style for several geometry types, the rules of the layer's own type only."""

    def apply(layer: QgsVectorLayer) -> None:
        document = QDomDocument()
        document.setContent(qml)
        layer.importNamedStyle(document)
        renderer, kind = layer.renderer(), layer_kind(layer)
        if kind is None or renderer is None or renderer.type() != "RuleRenderer":
            return
        own = f"geometry_type($geometry) = '{_GEOMETRY_TYPE[kind][0]}'"
        root = renderer.rootRule()
        groups = [r for r in root.children() if r.filterExpression().startswith("geometry_type($geometry) = ")]
        if any(r.filterExpression() == own for r in groups):
            for group in groups:  # the layer's own group: its classes become the top rules (a plain legend)
                if group.filterExpression() == own:
                    for rule in group.children():
                        root.appendChild(rule.clone())
                root.removeChild(group)

    return apply


def _saved_styles(layer: QgsVectorLayer) -> list[tuple[str, str]]:
    """(name, QML) of the styles blockcheck saved for the layer's table, in the workbook's order."""
    related, ids, names, descriptions, _ = layer.listStylesInDatabase()
    found: dict[str, str] = {}
    for style_id, name, description in list(zip(ids, names, descriptions, strict=True))[:related]:
        if description == STYLE_DESCRIPTION and name not in found:
            qml, _ = layer.getStyleFromDatabase(style_id)
            if qml:
                found[name] = qml
    return list(found.items())


def _qml(layer: QgsVectorLayer) -> str:
    document = QDomDocument()
    layer.exportNamedStyle(document)
    return document.toString()


def _theme_qml(table: str, uris: list[tuple[str, str | None]], make: Callable | None) -> str:
    """The QML of one theme of `table` for every layer showing it (field forms included).

    Several geometry types: one rule per type (``geometry_type($geometry) = 'Line'`` …) holding the classes of
    that type's own style, and no ``layerGeometryType`` (with it QGIS refuses the style for the other types).
    """
    first = QgsVectorLayer(uris[0][0], table, "ogr")
    with contextlib.suppress(ImportError):
        set_field_forms(first, table)
    if make is None or not first.isSpatial():
        return _qml(first)
    if len(uris) == 1:
        make(first)
        return _qml(first)
    first.setRenderer(_by_geometry_type(table, uris, make))
    return _GEOMETRY_TYPE_TAG.sub("", _qml(first))


def _by_geometry_type(table: str, uris: list[tuple[str, str | None]], make: Callable) -> QgsRuleBasedRenderer:
    """One rule per geometry type holding the rules of that type's own style.

    The rules made here in Python are left (their wrappers released) while the
    renderer that owns them is alive: a rule's destructor does not tell PyQt's
    sip, so a wrapper outliving its rule writes into freed memory when it is
    released (the heap corruption that aborted QGIS after a run).
    """
    root = QgsRuleBasedRenderer.Rule(None)
    for uri, kind in uris:
        part = QgsVectorLayer(uri, table, "ogr")
        make(part)
        rules = QgsRuleBasedRenderer.convertFromRenderer(part.renderer())
        qgis_name, heading = _GEOMETRY_TYPE[kind]
        group = QgsRuleBasedRenderer.Rule(None, 0, 0, f"geometry_type($geometry) = '{qgis_name}'", heading)
        for rule in rules.rootRule().children():
            group.appendChild(rule.clone())
        root.appendChild(group)
    return QgsRuleBasedRenderer(root)


def save_styles_to_workbook(workbook: str | os.PathLike) -> int:
    """Save each table's themes (and field forms) into the workbook's ``layer_styles``; return how many.

    One row per table and theme, the first theme the table's default; blockcheck's rows of an earlier run are
    replaced (they may quote other standards), the user's own styles kept.
    """
    from . import bridge

    rows = []
    tables = [t for t in bridge.list_schemas() if t != "project_history"] + ["block_metrics"]
    for table in dict.fromkeys(tables):
        uris = layer_uris(workbook, table)
        if not uris:
            continue
        for i, (name, make) in enumerate(layer_styles(workbook, table) or [(STYLE_DESCRIPTION, None)]):
            rows.append((table, name, _theme_qml(table, uris, make), i == 0))
    return bridge.save_workbook_styles(workbook, rows, description=STYLE_DESCRIPTION)


def _layer_name(table: str, kind: str | None, several: bool) -> str:
    from . import bridge

    schema = bridge.list_schemas().get(table)
    title = f"{schema.title_zh} {table}" if schema is not None else f"{vocabulary.metric_table_title(table)} {table}"
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


def _drop_stale(project: QgsProject, uri: str, keep: QgsVectorLayer | None = None) -> str | None:
    """Remove project layers reading the same table (an earlier run's); return the theme one of them showed."""
    theme = None
    for layer in list(project.mapLayers().values()):
        if layer is not keep and isinstance(layer, QgsVectorLayer) and layer.source() == uri:
            theme = layer.styleManager().currentStyle()
            project.removeMapLayer(layer.id())
    return theme


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
            theme = _drop_stale(project, uri)
            layer = QgsVectorLayer(uri, _layer_name(table, kind, len(uris) > 1), "ogr")
            if not layer.isValid():
                continue
            apply_style(layer, table, theme=theme)
            project.addMapLayer(layer, False)
            _place(group, layer)
            layers.append(layer)
    return layers


class _StyleOnLoad(QgsProcessingLayerPostProcessorInterface):
    """Runs in the main thread once Processing added an output layer: style it and group it."""

    def __init__(self, workbook: str, table: str) -> None:
        super().__init__()
        self.workbook, self.table = workbook, table

    def postProcessLayer(self, layer, context, feedback) -> None:
        if not isinstance(layer, QgsVectorLayer):
            return
        project = context.project() or QgsProject.instance()
        theme = _drop_stale(project, layer.source(), keep=layer)
        apply_style(layer, self.table, theme=theme)
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
