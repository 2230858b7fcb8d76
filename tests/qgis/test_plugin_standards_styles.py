"""QGIS styles take their thresholds from the standards of the run (issue 13): with ``--standards national``
the legend of park green per person says the national value, with ``beijing`` the Beijing value, and every
block is painted short of the standard exactly when the problem list names it.

The sample district is run through the plugin's *Run health check* algorithm in real QGIS with each profile;
the expected thresholds are read from the shipped standards files, not written here.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pyogrio
import pytest

from conftest import INPUT_LAYERS, SAMPLE_GPKG

pytestmark = pytest.mark.qgis

PARK_KEY = "green.park_per_capita_min_m2"
PARK_METRIC = "park_green_m2_per_capita"
PARK_RULE = "park_green_per_capita_low"


@pytest.fixture(scope="module", params=["beijing", "national"])
def styled_run(request, qgis_processing, tmp_path_factory):
    """(profile, workbook, the block_metrics layer the plugin loaded and styled) for one standards profile."""
    from qgis.core import QgsProject

    from blockcheck_qgis.algorithms.base import PROFILES

    profile = request.param
    out = tmp_path_factory.mktemp(f"styles_{profile}")
    params = {name.upper(): f"{SAMPLE_GPKG}|layername={name}" for name in INPUT_LAYERS}
    QgsProject.instance().clear()
    result = qgis_processing.runAndLoadResults(
        "blockcheck:healthcheck", {**params, "STANDARDS": PROFILES.index(profile), "OUTPUT_FOLDER": str(out)}
    )
    workbook = Path(result["WORKBOOK"])
    blocks = next(
        layer
        for layer in QgsProject.instance().mapLayers().values()
        if str(workbook) in layer.source() and "layername=block_metrics" in layer.source()
    )
    return profile, workbook, blocks


def _park_entry(profile: str):
    """The park-green standard of a shipped profile, read from data/standards/<profile>.toml."""
    from blockcheck.standards import load_standards

    return load_standards(profile).entry(PARK_KEY)


def _park_style(blocks):
    """The rules of the park-green style of the layer (made current)."""
    from blockcheck.vocabulary import metric_schema

    name = metric_schema().metric(PARK_METRIC).label("zh")
    manager = blocks.styleManager()
    assert name in manager.styles(), manager.styles()
    manager.setCurrentStyle(name)
    return blocks.renderer().rootRule().children()


def test_the_shipped_profiles_differ_on_park_green() -> None:
    assert _park_entry("national").value != _park_entry("beijing").value  # else the test below proves nothing


def test_park_green_legend_quotes_the_profile_of_the_run(styled_run) -> None:
    from blockcheck.standards import threshold_term

    profile, workbook, blocks = styled_run
    entry = _park_entry(profile)
    value, term = float(entry.value), threshold_term(entry, "zh")
    other = float(_park_entry("national" if profile == "beijing" else "beijing").value)
    used = pyogrio.read_dataframe(workbook, layer="standards_used").set_index("key")
    assert float(used.loc[PARK_KEY, "value"]) == value  # the workbook records the profile the run used
    labels = [rule.label() for rule in _park_style(blocks)]
    meeting = [label for label in labels if f"达到{term}" in label]
    # the first class meeting the standard starts at the profile's value, in 平方米/人: 8 (national), 16.5 (Beijing)
    assert meeting and meeting[0].startswith((f"{value:g} – ", f"≥ {value:g} ")), labels
    assert "平方米/人" in meeting[0]
    assert not any(label.startswith((f"{other:g} – ", f"≥ {other:g} ")) for label in meeting), labels
    assert labels[-1] == "无数据"


def test_blocks_short_of_the_standard_are_the_problem_lists(styled_run) -> None:
    from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils

    _, workbook, blocks = styled_run
    problems = pyogrio.read_dataframe(workbook, layer="problem_list", read_geometry=False)
    listed = set(problems.loc[problems["rule_id"] == PARK_RULE, "scope"].astype(str)) - {"ALL"}
    rules = _park_style(blocks)
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(blocks))
    meets_word = "达到"
    painted_short, judged = set(), 0
    for feature in blocks.getFeatures():
        context.setFeature(feature)
        hits = [r for r in rules if QgsExpression(r.filterExpression()).evaluate(context)]
        assert len(hits) == 1, (feature["block_id"], [r.label() for r in hits])  # every block in one class
        judged += 1
        if hits[0].label() != "无数据" and meets_word not in hits[0].label():
            painted_short.add(str(feature["block_id"]))
    assert judged == blocks.featureCount() > 0
    assert painted_short == listed


def test_the_workbook_keeps_the_styles_of_its_standards(styled_run) -> None:
    """The styles saved into layer_styles (the GeoPackage opened without the plugin) quote the same value."""
    from blockcheck.vocabulary import metric_schema

    profile, workbook, _ = styled_run
    value = float(_park_entry(profile).value)
    styles = pyogrio.read_dataframe(workbook, layer="layer_styles", read_geometry=False)
    name = metric_schema().metric(PARK_METRIC).label("zh")
    park = styles[(styles["f_table_name"] == "block_metrics") & (styles["styleName"] == name)]
    assert len(park) == 1
    qml = park["styleQML"].iloc[0]
    assert 'type="RuleRenderer"' in qml
    labels = [rule.get("label") for rule in ElementTree.fromstring(qml).iter("rule")]
    meeting = [label for label in labels if "达到" in label]
    assert meeting and meeting[0].startswith((f"{value:g} – ", f"≥ {value:g} ")), labels
