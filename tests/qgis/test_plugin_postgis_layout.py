"""The hearing print layout and the Processing algorithms on a PostGIS team workbook in real QGIS (issue 17.5).

One input run into a GeoPackage and into a schema of a throwaway server; QGIS reaches the PostGIS workbook
through a saved connection whose password (ignored by the test server's local trust) must never show. The
layout made from either has the same atlas pages, page texts, map layers, features and themes, and the PostGIS
one is exported to a PDF page per block; What-if and the hearing atlas export give the GeoPackage's results.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blockcheck.pipeline import run
from blockcheck.workbook.read import read_table

#: The server and the input with two sub-districts: fixtures pg_cluster, two_subdistrict_input.
pytest_plugins = ("postgis_cluster",)

pytestmark = pytest.mark.qgis

SCHEMA = "qlayout"
CONNECTION = "blockcheck test layout workbook"
PASSWORD = "s3cret-never-shown"


@pytest.fixture(scope="module")
def pair(pg_cluster, two_subdistrict_input, tmp_path_factory):
    """(GeoPackage workbook, PostGIS workbook URL) of one run of the same input each."""
    pg_cluster.sql("CREATE DATABASE wb_qlayout")
    url, out = pg_cluster.url(db="wb_qlayout", schema=SCHEMA), tmp_path_factory.mktemp("qlayout")
    run(two_subdistrict_input, out)
    run(two_subdistrict_input, url)
    return out / "workbook.gpkg", url


@pytest.fixture
def connection(qgis_app, pg_cluster, pair):
    """The owner's saved QGIS connection to the workbook's database, with a saved password (removed after)."""
    from qgis.core import QgsDataSourceUri, QgsProviderRegistry

    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    uri = QgsDataSourceUri()
    uri.setConnection(str(pg_cluster.root), str(pg_cluster.port), "wb_qlayout", "postgres", PASSWORD)
    settings = {"saveUsername": True, "savePassword": True}
    metadata.saveConnection(metadata.createConnection(uri.uri(False), settings), CONNECTION)
    yield CONNECTION
    metadata.deleteConnection(CONNECTION)


def _pdf_pages(data: bytes) -> int:
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max(counts) if counts else len(re.findall(rb"/Type\s*/Page\b", data))


def _layout_summary(workbook, project) -> dict:
    """What a hearing layout shows: its map layers (name, features, themes, current theme), the atlas's coverage
    table and, per page, the texts of the labels that name the block and its figures."""
    from qgis.core import QgsDataSourceUri, QgsLayoutItemLabel, QgsLayoutItemMap, QgsProviderRegistry

    from blockcheck_qgis.layout import hearing_layout

    layout = hearing_layout(workbook, project)
    map_item = next(i for i in layout.items() if isinstance(i, QgsLayoutItemMap))
    labels = [i for i in layout.items() if isinstance(i, QgsLayoutItemLabel) and i.id() != "footer"]
    layers = [
        (layer.name(), layer.featureCount(), layer.styleManager().styles(), layer.styleManager().currentStyle())
        for layer in map_item.layers()
    ]
    coverage = layout.atlas().coverageLayer()
    if coverage.providerType() == "postgres":
        table = QgsDataSourceUri(coverage.source()).table()
    else:
        table = QgsProviderRegistry.instance().decodeUri("ogr", coverage.source())["layerName"]
    atlas = layout.atlas()
    pages = []
    assert atlas.updateFeatures() > 0
    atlas.beginRender()
    try:
        for number in range(atlas.count()):
            assert atlas.seekTo(number)
            pages.append(sorted(label.currentText() for label in labels))
    finally:
        atlas.endRender()
    return {"layers": layers, "coverage": table, "pages": pages, "enabled": atlas.enabled()}


def test_the_hearing_layout_of_a_postgis_workbook_equals_the_geopackages(
    qgis_iface, plugin_module, pair, connection, tmp_path
) -> None:
    from qgis.core import QgsProject

    from blockcheck_qgis.layout import LAYOUT_NAME
    from blockcheck_qgis.postgis_workbook import DatabaseWorkbook

    gpkg, _ = pair
    project = QgsProject.instance()
    project.clear()
    database = DatabaseWorkbook(connection, SCHEMA)
    from_db = _layout_summary(database, project)
    from_file = _layout_summary(gpkg, project)
    assert from_db["coverage"] == from_file["coverage"] == "block_metrics" and from_db["enabled"]
    assert from_db["layers"] == from_file["layers"]
    names = [name for name, *_ in from_db["layers"]]
    assert any("block_metrics" in n for n in names) and any("project_list" in n for n in names), names
    blocks = next(layer for layer in from_db["layers"] if "block_metrics" in layer[0])
    assert blocks[1] == 2 and len(blocks[2]) > 1  # both blocks; the themes of the blocks (choropleths)
    assert len(from_db["pages"]) == 2 and from_db["pages"] == from_file["pages"]
    assert any("CP02-0101" in text for text in from_db["pages"][0]), from_db["pages"][0]
    assert not any("[%" in text for page in from_db["pages"] for text in page)

    # the toolbar action: the project's PostGIS layers name the workbook; one PDF page per block
    project.clear()
    _layout_summary(database, project)  # the PostGIS workbook's layers only
    plugin = plugin_module.classFactory(qgis_iface)
    plugin.initGui()
    try:
        assert plugin.current_workbook() == database
        pdf = plugin.export_layout(None, str(tmp_path / "hearing.pdf"))
        dock = plugin.open_editor()  # the checklist editor on the same workbook
        assert dock.store is not None and dock.store.workbook == database, dock.statusLabel.text()
    finally:
        plugin.unload()
    assert pdf == tmp_path / "hearing.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and _pdf_pages(data) == 2
    layout = project.layoutManager().layoutByName(LAYOUT_NAME)
    assert layout is not None and layout.atlas().coverageLayer().providerType() == "postgres"
    assert PASSWORD.encode() not in data


def test_processing_algorithms_take_a_postgis_workbook(qgis_processing, pair, connection, tmp_path) -> None:
    from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

    gpkg, _ = pair
    ids = list(read_table(gpkg, "project_list")["project_id"][:3])

    class Recorder(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.texts: list[str] = []

        def setProgressText(self, text: str) -> None:  # noqa: N802 - QGIS's method name
            self.texts.append(text)
            super().setProgressText(text)

        def pushInfo(self, text: str) -> None:  # noqa: N802 - QGIS's method name
            self.texts.append(text)
            super().pushInfo(text)

    def rows(workbook: dict) -> list[tuple]:
        params = {**workbook, "PROJECTS": ",".join(ids), "OUTPUT": "memory:"}
        feedback = Recorder()
        result = qgis_processing.run("blockcheck:whatif", params, context=QgsProcessingContext(), feedback=feedback)
        assert feedback.texts and not any(PASSWORD in text for text in feedback.texts)
        layer = result["OUTPUT"]
        return sorted(tuple(f.attributes()) for f in layer.getFeatures())

    from blockcheck_qgis.postgis_workbook import DatabaseWorkbook

    assert PASSWORD in DatabaseWorkbook(connection, SCHEMA).conninfo()  # the core connects with the saved password
    database = {"CONNECTION": connection, "SCHEMA": SCHEMA}
    from_db = rows(database)
    assert from_db == rows({"WORKBOOK": str(gpkg)}) and len(from_db) > 0

    from blockcheck.report.maps import map_names

    name, written = map_names()[0], {}
    for kind, workbook in (("db", database), ("file", {"WORKBOOK": str(gpkg)})):
        folder, atlas = tmp_path / f"maps_{kind}", tmp_path / f"atlas_{kind}.pdf"
        params = {**workbook, "MAP_NAMES": name, "MAPS_FOLDER": str(folder), "ATLAS_PDF": str(atlas)}
        result = qgis_processing.run("blockcheck:exporthearing", params)
        assert result["ATLAS_PDF"] == str(atlas)
        maps = sorted(Path(p).relative_to(folder).as_posix() for p in result["MAP_FILES"].splitlines())
        written[kind] = (maps, _pdf_pages(atlas.read_bytes()))
    assert written["db"] == written["file"] and written["db"][1] > 2, written
    assert f"{name}.png" in written["db"][0], written

    # refusals say what to choose, and a core error on the PostGIS workbook never shows the password
    with pytest.raises(QgsProcessingException, match="Choose one workbook"):
        qgis_processing.run("blockcheck:whatif", {"PROJECTS": ids[0], "OUTPUT": "memory:"})
    with pytest.raises(QgsProcessingException) as refused:
        qgis_processing.run("blockcheck:whatif", {**database, "PROJECTS": "no-such-project", "OUTPUT": "memory:"})
    assert "no-such-project" in str(refused.value) and PASSWORD not in str(refused.value)
    with pytest.raises(QgsProcessingException) as missing:
        qgis_processing.run(
            "blockcheck:whatif", {**database, "SCHEMA": "no_workbook", "OUTPUT": "memory:", "PROJECTS": "x"}
        )
    assert "no_workbook" in str(missing.value) and "***" in str(missing.value), str(missing.value)
    assert PASSWORD not in str(missing.value)
