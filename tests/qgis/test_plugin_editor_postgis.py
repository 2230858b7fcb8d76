"""The checklist editor on a PostGIS team workbook in real QGIS (issue 17), against a throwaway server.

The plugin opens the workbook from a saved QGIS PostgreSQL connection (as a user adds it in Data Source
Manager ▸ PostgreSQL), the editor edits a project's name and commits: the database bumps the row's version,
writes the change log and project history as the connection's login; an edit based on a version another
analyst has since changed is refused with the database's message naming who and when, and the row is
reloaded; a row of another sub-district is refused by the database.
"""

from __future__ import annotations

import pytest

from blockcheck.workbook.postgis_conn import connect, parse_target

#: The server and the workbooks on it: fixtures pg_cluster, two_subdistrict_input.
from postgis_cluster import team_workbook

pytest_plugins = ("postgis_cluster",)

pytestmark = pytest.mark.qgis

SCHEMA = "qteam"
CONNECTION = "blockcheck test team workbook"
A, B = "CP02-0101", "CP02-0102"


@pytest.fixture(scope="module")
def team(pg_cluster, two_subdistrict_input):
    """The owner's URL of a run workbook; analysts ana_q (sub-district A街道) and ana_q2 (A街道)."""
    analyst = ("analyst", ["A街道"])
    logins = {"ana_q": analyst, "ana_q2": analyst}
    return team_workbook(pg_cluster, two_subdistrict_input, db="wb_qteam", schema=SCHEMA, logins=logins)


def _save_connection(cluster, login: str, name: str) -> None:
    """Save a QGIS PostgreSQL connection `name` of `login` to the workbook's database in the user's settings."""
    from qgis.core import QgsDataSourceUri, QgsProviderRegistry

    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    uri = QgsDataSourceUri()
    uri.setConnection(str(cluster.root), str(cluster.port), "wb_qteam", login, "")
    metadata.saveConnection(metadata.createConnection(uri.uri(False), {"saveUsername": True}), name)


@pytest.fixture
def saved_connection(qgis_app, pg_cluster, team):
    """The QGIS connection of login ana_q to the workbook's database, saved in the user's settings (removed after)."""
    from qgis.core import QgsProviderRegistry

    _save_connection(pg_cluster, "ana_q", CONNECTION)
    yield CONNECTION
    QgsProviderRegistry.instance().providerMetadata("postgres").deleteConnection(CONNECTION)


def _one(url: str, statement: str, params: tuple = ()):
    with connect(parse_target(url)) as conn:
        return conn.execute(statement, params).fetchone()


def test_the_editor_commits_to_a_postgis_workbook(qgis_iface, plugin_module, saved_connection, team) -> None:
    from qgis.core import QgsProject

    from blockcheck_qgis.editor.dock import ChecklistDock
    from blockcheck_qgis.editor.store_postgis import saved_connections

    assert CONNECTION in saved_connections()
    dock = ChecklistDock(qgis_iface, QgsProject.instance())
    dock.open_database_workbook(CONNECTION, SCHEMA)
    assert dock.store is not None, dock.statusLabel.text()
    assert "project_list" in dock.models and dock.store.is_spatial("project_list")
    model = dock.models["project_list"]
    rows = dock.store.rows["project_list"]
    row = next(i for i, r in enumerate(rows) if r.values["block_id"] == A)
    pid = rows[row].values["project_id"]
    version = dock.store.versions["project_list"][rows[row].fid]
    log_before = _one(team, "SELECT count(*) FROM qteam.change_log")[0]

    model.reason = "街道议事会意见"
    assert model.setData(model.index(row, model.columns.index("name")), "街道议事会改名")
    name, db_version, provenance = _one(
        team, "SELECT name, row_version, provenance FROM qteam.project_list WHERE project_id = %s", (pid,)
    )
    assert (name, db_version, provenance) == ("街道议事会改名", version + 1, "edited")
    assert dock.store.versions["project_list"][rows[row].fid] == version + 1
    assert model.value(row, "provenance") == "edited"  # the row as the database made it
    who, op, new = _one(
        team, "SELECT who, op, new_row ->> 'name' FROM qteam.change_log WHERE id > %s ORDER BY id", (log_before,)
    )
    assert (who, op, new) == ("ana_q", "UPDATE", "街道议事会改名")
    history = dock.store.rows["project_history"][-1].values
    assert (history["project_id"], history["field"], history["to_value"], history["changed_by"]) == (
        pid,
        "name",
        "街道议事会改名",
        "ana_q",
    )
    assert history["reason"] == "街道议事会意见"

    # another analyst changes the row meanwhile: the editor's next edit is refused, names them, reloads the row
    with connect(parse_target(team.replace("postgres@", "ana_q2@"))) as other, other.transaction():
        other.execute("UPDATE qteam.project_list SET unit = '另一位规划师' WHERE project_id = %s", (pid,))
    messages = []
    model.message.connect(lambda text, error: messages.append((text, error)))
    assert not model.setData(model.index(row, model.columns.index("name")), "过时的修改")
    text, error = messages[-1]
    assert error and "ana_q2" in text and "UTC" in text and "Reload" in text, text
    assert model.value(row, "unit") == "另一位规划师" and model.value(row, "name") == "街道议事会改名"
    assert dock.store.versions["project_list"][rows[row].fid] == version + 2
    assert _one(team, "SELECT name FROM qteam.project_list WHERE project_id = %s", (pid,))[0] == "街道议事会改名"
    assert model.setData(model.index(row, model.columns.index("name")), "重新修改")  # on the reloaded row: saved
    assert _one(team, "SELECT row_version FROM qteam.project_list WHERE project_id = %s", (pid,))[0] == version + 3

    # a project of sub-district B: the database refuses it, the cell keeps its value
    other_row = next(i for i, r in enumerate(rows) if r.values["block_id"] == B)
    before = model.value(other_row, "name")
    assert not model.setData(model.index(other_row, model.columns.index("name")), "不是我的街道")
    assert "B街道" in messages[-1][0] and messages[-1][1] and "CONTEXT" not in messages[-1][0]
    assert model.value(other_row, "name") == before
    dock.shutdown()


def test_map_layers_take_their_styles_from_the_databases_layer_styles(
    qgis_iface, plugin_module, pg_cluster, team, saved_connection
) -> None:
    """The owner's QGIS builds the themes and saves them in layer_styles; an analyst's QGIS takes them from there."""
    from qgis.core import QgsProject, QgsProviderRegistry

    from blockcheck_qgis import styles
    from blockcheck_qgis.editor.dock import ChecklistDock

    owner_connection = "blockcheck test team workbook (owner)"
    _save_connection(pg_cluster, "postgres", owner_connection)
    try:
        dock = ChecklistDock(qgis_iface, QgsProject.instance())
        dock.open_database_workbook(owner_connection, SCHEMA)
        assert dock.store is not None, dock.statusLabel.text()
        owner_layers = {layer.name(): layer for layer in QgsProject.instance().mapLayers().values()}
        dock.shutdown()
    finally:
        QgsProviderRegistry.instance().providerMetadata("postgres").deleteConnection(owner_connection)
    assert any("block_metrics" in name for name in owner_layers), list(owner_layers)
    saved = pg_cluster.sql(
        "SELECT f_table_name, stylename, useasdefault FROM public.layer_styles "
        "WHERE f_table_schema = 'qteam' AND description = 'blockcheck' ORDER BY id",
        db="wb_qteam",
    )
    tables = {table for table, _, _ in saved}
    assert tables == {"block_metrics", "resource_list", "project_list"}, saved
    assert any(name.endswith(" · line") for table, name, _ in saved if table == "project_list")  # roads
    assert len([1 for table, _, default in saved if table == "block_metrics" and default]) == 1
    owner_styles = {n: layer.styleManager().styles() for n, layer in owner_layers.items()}
    owner_blocks = next(layer for n, layer in owner_layers.items() if "block_metrics" in n)
    blocks_renderer = owner_blocks.renderer().type()
    QgsProject.instance().clear()

    dock = ChecklistDock(qgis_iface, QgsProject.instance())  # an analyst, who may not write layer_styles
    dock.open_database_workbook(saved_connection, SCHEMA)
    layers = {layer.name(): layer for layer in QgsProject.instance().mapLayers().values()}
    assert set(layers) == set(owner_layers)
    for name, layer in layers.items():
        assert layer.styleManager().styles() == owner_styles[name], name
        assert layer.featureCount() > 0, name
    blocks = next(layer for n, layer in layers.items() if "block_metrics" in n)
    assert blocks.renderer().type() == blocks_renderer

    readable = {name for name, _ in styles._saved_styles(blocks)}  # the analyst reads them from layer_styles
    assert readable == {f"{name} · polygon" for name in owner_styles[blocks.name()]}
    count = pg_cluster.sql("SELECT count(*) FROM public.layer_styles", db="wb_qteam")[0][0]
    assert count == len(saved)  # the analyst's QGIS saved nothing
    projects = sum(layer.featureCount() for n, layer in layers.items() if "project_list" in n)
    assert projects == len(dock.store.rows["project_list"])  # every project on the map, whatever its geometry
    dock.shutdown()


def test_an_analyst_adds_a_project_from_the_map_selection(qgis_iface, plugin_module, saved_connection, team) -> None:
    """A site drawn in block A becomes a project row: the database marks it added, logs it and starts its history."""
    from qgis.core import QgsFeature, QgsGeometry, QgsProject, QgsVectorLayer

    from blockcheck_qgis.editor.dock import ChecklistDock

    dock = ChecklistDock(qgis_iface, QgsProject.instance())
    dock.open_database_workbook(saved_connection, SCHEMA)
    store = dock.store
    crs = store.crs("project_list")
    block = QgsGeometry()
    block.fromWkb(dict(store.blocks(crs))[A])
    sites = QgsVectorLayer(f"Polygon?crs={crs.authid()}&field=name:string", "sites", "memory")
    site = QgsFeature(sites.fields())
    site.setGeometry(block.centroid().buffer(5, 8))
    site["name"] = "口袋公园"
    sites.dataProvider().addFeatures([site])
    QgsProject.instance().addMapLayer(sites)
    sites.selectAll()
    dock.show_tab("project_list")
    before = len(store.rows["project_list"])
    positions = dock.add_from_selection(sites, domain="public_space")
    assert len(positions) == 1, dock.statusLabel.text()
    assert len(store.rows["project_list"]) == before + 1
    row = store.rows["project_list"][positions[0]].values
    pid = row["project_id"]
    assert row["block_id"] == A and row["name"] == "口袋公园" and row["provenance"] == "added"
    kind, version = _one(
        team, "SELECT GeometryType(geometry), row_version FROM qteam.project_list WHERE project_id = %s", (pid,)
    )
    assert kind.endswith("POLYGON") and version == 1  # written through the multi-part layer of its kind
    assert _one(team, "SELECT who, op FROM qteam.change_log WHERE row_key = %s", (pid,)) == ("ana_q", "INSERT")
    entry = store.rows["project_history"][-1].values
    assert (entry["project_id"], entry["field"], entry["from_value"], entry["changed_by"]) == (
        pid,
        "status",
        "",
        "ana_q",
    )
    dock.shutdown()
