"""The resource list (资源清单, 图2): stable ids, analysts' decisions kept across runs, the summary, and the sample
district (the detection rules: test_lists_resource_rules.py).

Scenes are tiny and drawn in code (EPSG:4548 metres, origin X0, Y0 of tests/districts.py).
"""

from __future__ import annotations

import sqlite3
import warnings

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from blockcheck.errors import BlockcheckWarning
from blockcheck.lists import resource_rules as rr
from blockcheck.lists.resources import (
    AGGREGATED,
    CATEGORIES,
    build_resource_list,
    resource_labels,
    resource_summary,
)
from blockcheck.lists.schema import list_table
from blockcheck.pipeline import run
from blockcheck.standards import load_standards
from districts import CRS, ROOT, tiny_layers
from test_lists_resource_rules import _b

SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"
STD = load_standards("beijing")


# ------------------------------------------------------------ the list


def test_ids_are_stable_and_do_not_depend_on_row_order() -> None:
    layers = tiny_layers()
    first = build_resource_list(layers, STD, as_of_year=2026)
    shuffled = {k: v.iloc[::-1] for k, v in tiny_layers().items()}
    again = build_resource_list(shuffled, STD, as_of_year=2026)
    assert first["resource_id"].tolist() == again["resource_id"].tolist()
    assert first["resource_id"].is_unique
    single = ~first["category"].isin(AGGREGATED)
    expected = "RL-" + first["category"] + "-" + first["source_layer"] + "-" + first["source_id"]
    assert (first.loc[single, "resource_id"] == expected[single]).all()
    # retained land and buildings: one row per block, its own id, features in resource_members
    per_block = first[~single]
    assert (
        len(per_block)
        and (per_block["resource_id"] == "RL-" + per_block["category"] + "-block-" + per_block["block_id"]).all()
    )
    assert (per_block["source_layer"] == "resource_members").all()
    assert (per_block["source_id"] == per_block["resource_id"]).all()
    assert (first.loc[single, "member_count"] == 1).all()
    assert {
        "RL-idle_site-parcels-P2",
        "RL-idle_room-buildings-B4",
        "RL-low_efficiency_building-buildings-B3",
        "RL-roof-buildings-B3",
    } <= set(first["resource_id"])
    assert list(first.columns) == [*list_table("resource_list").columns, "geometry"]
    assert (first["status"] == "candidate").all()
    assert first.set_index("resource_id").loc["RL-idle_site-parcels-P2", "block_id"] == "CP02-0102"
    # detection thresholds are blockcheck's parameters, quoted as such, never as standards
    assert first["standard_ref"].str.contains("（参数）").all()
    assert not first["standard_ref"].str.contains("标准").any()


def test_previous_decisions_are_kept() -> None:
    layers = tiny_layers()
    first = build_resource_list(layers, STD, as_of_year=2026)
    previous = first.copy()
    decided = {"RL-idle_site-parcels-P2": ("confirmed", "口袋公园"), "RL-roof-buildings-B3": ("rejected", "屋顶有设备")}
    for rid, (status, note) in decided.items():
        previous.loc[previous["resource_id"] == rid, ["status", "note"]] = [status, note]
    second = build_resource_list(layers, STD, previous=previous, as_of_year=2026).set_index("resource_id")
    for rid, (status, note) in decided.items():
        assert (second.loc[rid, "status"], second.loc[rid, "note"]) == (status, note)
    assert (second.drop(index=list(decided))["status"] == "candidate").all()
    # the idle parcel is built on: still listed as confirmed, with a note; the rejected roof just disappears
    layers["parcels"].loc[layers["parcels"]["parcel_id"] == "P2", "status"] = "built"
    layers["buildings"].loc[layers["buildings"]["building_id"] == "B3", "roof"] = "pitched"
    third = build_resource_list(layers, STD, previous=second.reset_index(), as_of_year=2026).set_index("resource_id")
    assert third.loc["RL-idle_site-parcels-P2", "status"] == "confirmed"
    assert third.loc["RL-idle_site-parcels-P2", "note"].startswith("口袋公园；本次运行未再检出")
    assert "RL-roof-buildings-B3" not in third.index
    fourth = build_resource_list(layers, STD, previous=third.reset_index(), as_of_year=2026).set_index("resource_id")
    assert fourth.loc["RL-idle_site-parcels-P2", "note"] == third.loc["RL-idle_site-parcels-P2", "note"]


def test_resource_drawn_by_an_analyst_is_kept_when_confirmed() -> None:
    layers = tiny_layers()
    previous = build_resource_list(layers, STD, as_of_year=2026)
    drawn = gpd.GeoDataFrame(
        {
            "resource_id": ["RL-manual-1", "RL-manual-2", None],
            "category": ["idle_site", "roof", "idle_site"],
            "status": ["confirmed", "candidate", "confirmed"],
            "note": ["现场踏勘发现", None, None],
        },
        geometry=[_b(10, 150, 30, 170)] * 3,
        crs=CRS,
    )
    previous = pd.concat([previous, drawn], ignore_index=True)
    again = build_resource_list(layers, STD, previous=previous, as_of_year=2026).set_index("resource_id")
    assert "RL-manual-2" not in again.index and again.index.notna().all()
    row = again.loc["RL-manual-1"]
    assert (row["family"], row["source_layer"], row["status"]) == ("land", "resource_list", "confirmed")
    assert row["note"].startswith("现场踏勘发现；本次运行未再检出")


def test_unknown_previous_status_warns_and_falls_back_to_candidate() -> None:
    layers = tiny_layers()
    previous = build_resource_list(layers, STD, as_of_year=2026)
    previous.loc[0, "status"] = "maybe"
    with pytest.warns(BlockcheckWarning, match="maybe"):
        again = build_resource_list(layers, STD, previous=previous, as_of_year=2026)
    assert again.loc[0, "status"] == "candidate"


def test_summary_counts_sizes_and_labels() -> None:
    resources = build_resource_list(tiny_layers(), STD, as_of_year=2026)
    resources.loc[resources["resource_id"] == "RL-roof-buildings-B3", "status"] = "rejected"
    resources.loc[resources["resource_id"] == "RL-idle_site-parcels-P2", "status"] = "confirmed"
    summary = resource_summary(resources, block_ids=["CP02-0101", "CP02-0102"])
    assert list(summary.columns) == list_table("resource_summary").columns
    assert len(summary) == 3 * len(CATEGORIES) and summary["id"].is_unique
    area = summary[summary["scope"] == "ALL"].set_index("category")
    assert list(area.index) == list(CATEGORIES)
    kept = resources[resources["status"] != "rejected"]
    assert area["count"].to_dict() == {c: int((kept["category"] == c).sum()) for c in CATEGORIES}
    assert area.loc["roof", "count"] == 0 and area.loc["roof", "situation"] == "无"
    assert area.loc["idle_site", "confirmed_count"] == 1
    assert area.loc["idle_site", "measure"] == pytest.approx(0.16) and area.loc["idle_site", "measure_unit"] == "公顷"
    assert (
        area.loc["idle_site", "situation"] == "街角空间1处，共1处，0.16公顷"
    )  # P2 sits in the corner of the ring road
    assert (
        area.loc["idle_room", "category_zh"] == "小区闲置用房" and area.loc["idle_room", "family_zh"] == "存量建筑资源"
    )
    blocks = summary[summary["scope"] != "ALL"].groupby("category")["count"].sum()
    assert (blocks.reindex(list(CATEGORIES)) == area["count"]).all()
    assert set(resource_labels()["category"]) == set(CATEGORIES)


def test_empty_input_gives_empty_list_and_zero_summary() -> None:
    layers = {"blocks": tiny_layers()["blocks"]}
    empty = build_resource_list(layers, STD)
    assert empty.empty and list(empty.columns) == [*list_table("resource_list").columns, "geometry"]
    summary = resource_summary(empty)
    assert summary["count"].tolist() == [0] * len(CATEGORIES)


def test_run_twice_keeps_status_edited_in_the_workbook(tiny_input, tmp_path) -> None:
    out = tmp_path / "out"
    first = run(tiny_input, out)
    workbook = out / "workbook.gpkg"
    layers = dict(pyogrio.list_layers(workbook))
    assert layers["resource_summary"] is None and layers["resource_list"] in {"Polygon", "MultiPolygon", "Unknown"}
    ids = first.resource_list["resource_id"].tolist()
    assert "RL-idle_site-parcels-P2" in ids and "RL-roof-buildings-B3" in ids
    with sqlite3.connect(workbook) as db:  # what an analyst does in QGIS
        # GeoPackage triggers name GDAL's SQL functions; they only run when a geometry or fid changes
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(name, 1, lambda geometry: None)
        db.execute(
            "UPDATE resource_list SET status = 'confirmed', note = '改口袋公园' "
            "WHERE resource_id = 'RL-idle_site-parcels-P2'"
        )
        db.execute("UPDATE resource_list SET status = 'rejected' WHERE resource_id = 'RL-roof-buildings-B3'")
    db.close()
    second = run(tiny_input, out)
    back = pyogrio.read_dataframe(workbook, layer="resource_list").set_index("resource_id")
    assert back.loc["RL-idle_site-parcels-P2", ["status", "note"]].tolist() == ["confirmed", "改口袋公园"]
    assert back.loc["RL-roof-buildings-B3", "status"] == "rejected"
    assert sorted(back.index) == sorted(ids)
    summary = pyogrio.read_dataframe(workbook, layer="resource_summary").set_index("id")
    assert summary.loc["ALL:idle_site", "confirmed_count"] == 1 and summary.loc["ALL:roof", "count"] == 0
    assert "Resources:" in second.summary() and "闲置场地 1" in second.summary()


# ------------------------------------------------------------ the sample district


@pytest.fixture(scope="module")
def sample_resources(tmp_path_factory):
    out = tmp_path_factory.mktemp("resources")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BlockcheckWarning)
        run(SAMPLE, out)
    workbook = out / "workbook.gpkg"
    return pyogrio.read_dataframe(workbook, layer="resource_list"), pyogrio.read_dataframe(
        workbook, layer="resource_summary"
    )


def test_sample_district_yields_every_category_with_reasons(sample_resources) -> None:
    resources, summary = sample_resources
    assert set(resources["category"]) == set(CATEGORIES)
    assert resources["reason"].str.len().gt(10).all() and resources["reason_en"].str.len().gt(10).all()
    assert resources["resource_id"].is_unique and resources["block_id"].notna().all()
    assert resources.geometry.notna().all() and resources.geometry.is_valid.all()
    area = summary[summary["scope"] == "ALL"].set_index("category")
    assert (area["count"] > 0).all() and (area["measure"] > 0).all()
    assert len(summary) == 17 * len(CATEGORIES)


def test_sample_district_counts_match_the_data(sample_resources) -> None:
    """Independent counts from the sample GeoPackage (the generator's README lists them)."""
    resources, _ = sample_resources
    parcels = pyogrio.read_dataframe(SAMPLE, layer="parcels")
    green = pyogrio.read_dataframe(SAMPLE, layer="green")
    buildings = pyogrio.read_dataframe(SAMPLE, layer="buildings")
    count = resources["category"].value_counts()
    idle = resources[resources["category"] == "idle_site"]
    assert set(idle["source_id"]) == set(
        parcels.loc[parcels["status"].isin(["idle", "vacant"]), "parcel_id"]
    )  # 22 corner plots
    assert set(idle["subtype"]) == {"street_corner"}  # the sample's idle sites are all street-corner plots
    assert count["planned_new_land"] == (parcels["status"] == "planned").sum() == 7
    roads = pyogrio.read_dataframe(SAMPLE, layer="roads")
    assert (
        count["low_quality_space"] == (green["quality"] == "poor").sum() + (roads["quality"] == "poor").sum() == 47 + 29
    )
    streets = resources[(resources["category"] == "low_quality_space") & (resources["subtype"] == "street")]
    assert set(streets["source_id"]) == set(roads.loc[roads["quality"] == "poor", "road_id"])
    rooms = resources[resources["category"] == "idle_room"]
    assert {"boiler_room", "bike_shed", "office"} <= set(rooms["subtype"])
    assert (
        count["idle_room"]
        == ((buildings["status"] == "idle") & ~buildings["use"].isin(list(rr.LOW_EFFICIENCY_USES))).sum()
    )
    unused = buildings["underground_area_m2"] - buildings["underground_used_m2"].clip(
        upper=buildings["underground_area_m2"]
    )
    assert count["underground"] == (unused >= STD["resources.underground_min_unused_m2"]).sum()
