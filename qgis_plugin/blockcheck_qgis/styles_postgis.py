"""Map layers of a PostGIS team workbook, styled from the database's ``layer_styles`` as QGIS keeps styles there.

The checklist editor adds ``block_metrics``, ``resource_list`` and
``project_list`` of the workbook it opened (one layer per geometry type, as
for a GeoPackage, :mod:`.styles`). A layer takes blockcheck's themes saved in
the database's ``layer_styles`` table (QGIS's own table for styles kept in
PostgreSQL, in the ``public`` schema); when there are none yet, the themes are
built from the core (the blocks' choropleths at the standards of the
workbook's ``standards_used`` table) and saved there for everyone — by a login
allowed to (the workbook's owner, who runs ``blockcheck run``; for other
logins the save is refused by the database and the layers are styled for this
session only).
"""

from __future__ import annotations

from qgis.core import QgsDataSourceUri, QgsProject, QgsVectorLayer, QgsWkbTypes

from . import styles

__all__ = ["GEOMETRY_KINDS", "MAP_TABLES", "load_database_workbook"]

#: The workbook's tables shown on the map, drawn in this order (last on top).
MAP_TABLES = ("block_metrics", "resource_list", "project_list")
#: PostGIS's geometry type names by blockcheck's geometry kind, and the layer type that reads them.
GEOMETRY_KINDS = {
    "point": (("POINT", "MULTIPOINT"), QgsWkbTypes.Type.MultiPoint),
    "line": (("LINESTRING", "MULTILINESTRING"), QgsWkbTypes.Type.MultiLineString),
    "polygon": (("POLYGON", "MULTIPOLYGON"), QgsWkbTypes.Type.MultiPolygon),
}


def _kinds(workbook, table: str) -> list[str]:
    """The geometry kinds present in `table` (its schema name was checked by DatabaseWorkbook; tables are ours)."""
    found = workbook.provider_connection.executeSql(
        f'SELECT DISTINCT upper(GeometryType(geometry)) FROM "{workbook.schema}"."{table}" WHERE geometry IS NOT NULL'
    )
    present = {str(row[0]) for row in found}
    return [kind for kind, (names, _) in GEOMETRY_KINDS.items() if present & set(names)]


def _standards(workbook) -> list[dict]:
    layer = workbook.layer("standards_used")
    if not layer.isValid():
        return []
    names = layer.fields().names()
    return [{n: styles._plain(f[n]) for n in names if n != "fid"} for f in layer.getFeatures()]


def load_database_workbook(workbook, project: QgsProject | None = None) -> list[QgsVectorLayer]:
    """Add the map layers of `workbook` (a :class:`.postgis_workbook.DatabaseWorkbook`) to `project`, styled;
    return the layers added (tables already in the project are left alone)."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    name = f"blockcheck · {workbook.path}"
    group = root.findGroup(name) or root.insertGroup(0, name)
    present = {layer.source() for layer in project.mapLayers().values()}
    standards = None
    added = []
    for table in MAP_TABLES:
        kinds = _kinds(workbook, table) if table in workbook.srids else []
        for kind in kinds:
            layer = workbook.layer(table, GEOMETRY_KINDS[kind][1])
            if not layer.isValid() or layer.source() in present:
                continue
            layer.setName(styles._layer_name(table, kind, len(kinds) > 1))
            if standards is None and table == "block_metrics":
                standards = _standards(workbook)
            _style(layer, table, kind, workbook.path, standards, default=kind == kinds[0])
            project.addMapLayer(layer, False)
            group.insertLayer(_place(group, table, kind), layer)
            added.append(layer)
    return added


def _rank(table: str, kind: str | None) -> tuple[int, int]:
    """Drawing order as in a GeoPackage's group (:mod:`.styles`): projects over resources over blocks, points
    over lines over polygons."""
    first = styles._ORDER.index(table) if table in styles._ORDER else len(styles._ORDER)
    return first, styles._KIND_ORDER.index(kind) if kind in styles._KIND_ORDER else len(styles._KIND_ORDER)


def _place(group, table: str, kind: str) -> int:
    """Where in `group` a layer of `table` with geometries of `kind` goes (after every layer drawn above it)."""
    rank, index = _rank(table, kind), 0
    for child in group.children():
        other = getattr(child, "layer", lambda: None)()
        if isinstance(other, QgsVectorLayer) and other.providerType() == "postgres":
            other_table = QgsDataSourceUri(other.source()).table()
            if _rank(other_table, styles.layer_kind(other)) <= rank:
                index += 1
    return index


def _style(
    layer: QgsVectorLayer, table: str, kind: str, workbook: str, standards: list[dict] | None, *, default: bool
) -> None:
    """Blockcheck's themes of the layer's geometry kind from ``layer_styles`` (saved as ``THEME · KIND``: the
    layers of one table share its rows there); else built from the core and saved there (when permitted)."""
    import contextlib

    with contextlib.suppress(ImportError):  # the core is missing: forms need the schema
        styles.set_field_forms(layer, table)
    suffix = f" · {kind}"
    saved = [(name[: -len(suffix)], qml) for name, qml in styles._saved_styles(layer) if name.endswith(suffix)]
    themes = (
        [(name, styles._importer(qml)) for name, qml in saved]
        if saved
        else styles.layer_styles(workbook, table, standards=standards or [])
    )
    if not themes:
        return
    manager = layer.styleManager()
    for i, (name, apply) in enumerate(themes):
        apply(layer)
        if not saved:  # the first time: kept in the database for every login (the owner may; others are refused)
            layer.saveStyleToDatabase(name + suffix, styles.STYLE_DESCRIPTION, default and i == 0, "")
        if i:
            manager.addStyleFromLayer(name)
    themes[0][1](layer)
    manager.renameStyle(manager.currentStyle(), themes[0][0])
