"""After a Processing run every layer shows its own themes, exactly as saved in the workbook (issue 16.4).

The sample district is run twice into the same folder through ``runAndLoadResults`` (as the Processing dialog
does). Then: each block_metrics theme draws its own metric, classed at the run's standards, with more than one
class on the sample; resources are outlines drawn above the blocks; the layers' named styles equal the rows of the
workbook's ``layer_styles`` (one default per table), and a QGIS without the plugin opens every layer — the
project list's points, lines and polygons included — in the same default theme.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from conftest import INPUT_LAYERS, SAMPLE_GPKG

pytestmark = pytest.mark.qgis

_QGIS_TYPE = {"point": "Point", "line": "Line", "polygon": "Polygon"}
_KIND_PREFIX = "geometry_type($geometry) = "


@pytest.fixture(scope="module")
def loaded(qgis_processing, tmp_path_factory):
    """(workbook, {(table, kind): the layer Processing loaded and the plugin styled}) after two runs."""
    from qgis.core import QgsProject, QgsVectorLayer

    from blockcheck_qgis import styles

    QgsProject.instance().clear()
    out = tmp_path_factory.mktemp("styles_after_run")
    params = {name.upper(): f"{SAMPLE_GPKG}|layername={name}" for name in INPUT_LAYERS}
    params.update(
        DEMANDS=str(SAMPLE_GPKG.parent / "demand_survey.csv"),
        VISIONS=str(SAMPLE_GPKG.parent / "vision_survey.csv"),
        OUTPUT_FOLDER=str(out),
    )
    for _ in range(2):  # the styles are applied after every run, not only the first
        result = qgis_processing.runAndLoadResults("blockcheck:eightlists", params)
    workbook = Path(result["WORKBOOK"])
    layers = {}
    for layer in QgsProject.instance().mapLayers().values():
        if isinstance(layer, QgsVectorLayer) and styles.workbook_path(layer)[0] == str(workbook) and layer.isSpatial():
            layers[(styles.workbook_path(layer)[1], styles.layer_kind(layer))] = layer
    assert {"block_metrics", "resource_list", "project_list"} <= {table for table, _ in layers}
    return workbook, layers


def _leaves(renderer, kind: str) -> list[tuple]:
    """(filter, label, colour, symbol type, hollow) of each drawn class of `renderer` for features of `kind`."""
    from qgis.core import QgsRuleBasedRenderer
    from qgis.PyQt.QtCore import Qt

    rules = QgsRuleBasedRenderer.convertFromRenderer(renderer)
    found = []

    def walk(rule, filters: list[str]) -> None:
        expression = rule.filterExpression()
        if expression.startswith(_KIND_PREFIX):
            if expression != f"{_KIND_PREFIX}'{_QGIS_TYPE[kind]}'":
                return
            expression = ""
        filters = [*filters, expression] if expression else filters
        symbol = rule.symbol()
        if symbol is not None:
            layer = symbol.symbolLayer(0)
            hollow = hasattr(layer, "brushStyle") and layer.brushStyle() == Qt.BrushStyle.NoBrush
            found.append((" AND ".join(filters), rule.label(), symbol.color().name(), int(symbol.type()), hollow))
        for child in rule.children():
            walk(child, filters)

    for child in rules.rootRule().children():
        walk(child, [])
    return found


def _saved(workbook: Path) -> dict[tuple[str, str], str]:
    rows = pyogrio.read_dataframe(workbook, layer="layer_styles", read_geometry=False)
    return {(r.f_table_name, r.styleName): r for r in rows.itertuples()}


def _scratch(layer, qml: str):
    """A new layer of the same source with `qml` imported (what QGIS does with a style from the database)."""
    from qgis.core import QgsVectorLayer
    from qgis.PyQt.QtXml import QDomDocument

    scratch = QgsVectorLayer(layer.source(), "scratch", "ogr")
    document = QDomDocument()
    document.setContent(qml)
    ok, message = scratch.importNamedStyle(document)
    assert ok, message
    return scratch


def test_each_block_theme_draws_its_own_metric_at_the_runs_standards(loaded) -> None:
    from blockcheck.choropleth import choropleth, choropleth_names

    workbook, layers = loaded
    blocks = layers[("block_metrics", "polygon")]
    used = pyogrio.read_dataframe(workbook, layer="standards_used", read_geometry=False)
    maps = [choropleth(name, used, "zh") for name in choropleth_names()]
    manager = blocks.styleManager()
    assert manager.currentStyle() == maps[0].metric.label("zh")  # the default theme is current after the run
    assert sorted(manager.styles()) == sorted(m.metric.label("zh") for m in maps)
    for m in maps:
        manager.setCurrentStyle(m.metric.label("zh"))
        leaves = _leaves(blocks.renderer(), "polygon")
        assert [label for _, label, *_ in leaves] == [c.label for c in m.classes]
        assert [colour for _, _, colour, *_ in leaves] == [c.colour.lower() for c in m.classes]
        assert all(f'"{m.metric.key}"' in expression for expression, *_ in leaves)
    manager.setCurrentStyle(maps[0].metric.label("zh"))


def test_every_block_theme_has_more_than_one_class_on_the_sample(loaded) -> None:
    from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils

    _, layers = loaded
    blocks = layers[("block_metrics", "polygon")]
    manager = blocks.styleManager()
    default = manager.currentStyle()
    try:
        for name in manager.styles():
            manager.setCurrentStyle(name)
            rules = blocks.renderer().rootRule().children()
            context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(blocks))
            used = set()
            for feature in blocks.getFeatures():
                context.setFeature(feature)
                hits = [r.label() for r in rules if QgsExpression(r.filterExpression()).evaluate(context)]
                assert len(hits) == 1, (name, feature["block_id"], hits)
                used.add(hits[0])
            assert len(used) > 1, (name, used)
    finally:
        manager.setCurrentStyle(default)


def test_resources_are_outlines_drawn_above_the_blocks(loaded) -> None:
    from qgis.core import QgsProject

    from blockcheck_qgis.vocabulary import coded_terms

    _, layers = loaded
    resources = layers[("resource_list", "polygon")]
    leaves = _leaves(resources.renderer(), "polygon")
    colours = {t.code: t.colour.lower() for t in coded_terms("resource_list", "category")}
    assert leaves and all(hollow for *_, hollow in leaves)  # outlines: the block colours stay visible
    assert {colour for _, _, colour, *_ in leaves} == set(colours.values())
    order = [node.layer() for node in QgsProject.instance().layerTreeRoot().findLayers()]
    above = order.index(resources) < order.index(layers[("block_metrics", "polygon")])
    assert above and all(order.index(v) < order.index(resources) for (t, _), v in layers.items() if t == "project_list")


def test_what_the_layers_show_is_what_the_workbook_holds(loaded) -> None:
    workbook, layers = loaded
    saved = _saved(workbook)
    defaults = {}
    for (table, name), row in saved.items():
        defaults.setdefault(table, []).append(name) if row.useAsDefault else None
    assert all(len(names) == 1 for names in defaults.values()), defaults  # one default per table
    for (table, kind), layer in layers.items():
        manager = layer.styleManager()
        default = manager.currentStyle()
        assert defaults[table] == [default], (table, kind)
        for name in manager.styles():
            manager.setCurrentStyle(name)
            shown = _leaves(layer.renderer(), kind)
            scratch = _scratch(layer, saved[(table, name)].styleQML)  # kept: the renderer belongs to it
            stored = _leaves(scratch.renderer(), kind)
            assert shown == stored and shown, (table, kind, name)
        manager.setCurrentStyle(default)


def test_qgis_without_the_plugin_opens_every_layer_in_its_default_theme(loaded) -> None:
    """A layer opened from the GeoPackage takes the table's default style: polygon and line projects included."""
    from qgis.core import QgsVectorLayer

    from blockcheck_qgis.vocabulary import coded_terms

    _, layers = loaded
    status_colours = {t.colour.lower() for t in coded_terms("project_list", "status")}
    for (table, kind), layer in layers.items():
        plain = QgsVectorLayer(layer.source(), "plain", "ogr")  # loads the provider's default style
        assert plain.isValid()
        assert _leaves(plain.renderer(), kind) == _leaves(layer.renderer(), kind), (table, kind)
        if table == "project_list":
            leaves = _leaves(plain.renderer(), kind)
            assert {colour for _, _, colour, *_ in leaves} <= status_colours and len(leaves) > 1, kind
            assert {symbol_type for *_, symbol_type, _ in leaves} == {("point", "line", "polygon").index(kind)}


def test_a_rerun_keeps_the_theme_the_user_chose(loaded, qgis_processing) -> None:
    """The user switched block_metrics to park green; after the next run the new layer shows park green too."""
    from qgis.core import QgsProject, QgsVectorLayer

    from blockcheck.vocabulary import metric_schema
    from blockcheck_qgis import styles

    workbook, layers = loaded
    park = metric_schema().metric("park_green_m2_per_capita").label("zh")
    layers[("block_metrics", "polygon")].styleManager().setCurrentStyle(park)
    params = {name.upper(): f"{SAMPLE_GPKG}|layername={name}" for name in INPUT_LAYERS}
    qgis_processing.runAndLoadResults("blockcheck:healthcheck", {**params, "OUTPUT_FOLDER": str(workbook.parent)})
    blocks = [
        layer
        for layer in QgsProject.instance().mapLayers().values()
        if isinstance(layer, QgsVectorLayer) and styles.workbook_path(layer) == (str(workbook), "block_metrics")
    ]
    assert len(blocks) == 1 and blocks[0].styleManager().currentStyle() == park
    assert '"park_green_m2_per_capita"' in blocks[0].renderer().rootRule().children()[0].filterExpression()
