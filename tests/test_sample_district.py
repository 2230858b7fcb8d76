"""The committed synthetic sample district (data/sample_blocks): contents, intended gaps, determinism."""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer

from blockcheck.inputs.model import input_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_blocks"
GPKG = SAMPLE / "sample_district.gpkg"
SCRIPT = SAMPLE / "make_sample.py"
DEMAND_HEADERS = ["街道", "社区", "公共服务设施", "公共空间", "市政公用设施", "交通停车问题"]  # 图3, verbatim
VISION_HEADERS = ["街道", "社区", "愿景"]
CITY_ROADS = ["expressway", "arterial", "secondary", "branch"]


def _read_all(path: Path) -> dict[str, gpd.GeoDataFrame]:
    return {str(name): pyogrio.read_dataframe(path, layer=str(name)) for name, _ in pyogrio.list_layers(path)}


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    """The model layers (the dataset_info table is tested on its own)."""
    return {name: frame for name, frame in _read_all(GPKG).items() if name != "dataset_info"}


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_sample_district", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _within_index(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Index of the polygon each point lies in (NaN when none)."""
    pt_idx, poly_idx = polygons.sindex.query(points.to_numpy(), predicate="within")
    return pd.Series(poly_idx, index=pt_idx).groupby(level=0).first().reindex(range(len(points)))


# ------------------------------------------------------------------ structure


#: Optional layers the sample leaves out, with the reason: their absence is a documented default.
NOT_IN_SAMPLE = {"entrances": "no gates mapped: parks and polygon facilities are entered along their outline"}


def test_layers_crs_and_geometry_types(layers) -> None:
    model = input_model()
    assert set(layers) == set(model.layers) - set(NOT_IN_SAMPLE)
    assert all(not model.layer(name).required and not model.layer(name).note_absent for name in NOT_IN_SAMPLE)
    for name, frame in layers.items():
        assert frame.crs.to_epsg() == 4548, name
        assert set(frame.geom_type) <= model.layer(name).allowed_geometry_types, name
        assert not frame.geometry.is_empty.any(), name
        assert frame.geometry.is_valid.all(), name
    assert (layers["facilities"].geom_type == "Point").sum() > (layers["facilities"].geom_type == "Polygon").sum() > 0


def test_marked_synthetic_in_dataset_info() -> None:
    from blockcheck.inputs.read import dataset_meta, is_synthetic, read_dataset_info

    assert [name for name, _ in pyogrio.list_layers(GPKG)][-1] == "dataset_info"
    info = read_dataset_info(GPKG)
    assert list(info) == ["synthetic", "description", "description_en", "generator"]
    assert is_synthetic(info) and info["generator"] == "data/sample_blocks/make_sample.py (seed 20201103)"
    assert info["description"].startswith("虚构示例数据") and "回天" in info["description"]
    assert info["description_en"].startswith("Synthetic sample data")
    meta = dataset_meta(GPKG)
    assert meta["synthetic"] == "true" and meta["dataset_description"] == info["description"]


def test_located_between_huilongguan_and_tiantongyuan(layers) -> None:
    minx, miny, maxx, maxy = layers["blocks"].total_bounds
    to_lonlat = Transformer.from_crs(4548, 4490, always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_lonlat.transform([minx, maxx], [miny, maxy])
    assert 116.32 < lon0 < lon1 < 116.44
    assert 40.05 < lat0 < lat1 < 40.11


def test_counts(layers) -> None:
    blocks, comm = layers["blocks"], layers["communities"]
    assert len(blocks) >= 12
    assert blocks["block_id"].str.fullmatch(r"[A-Z]{2}\d{2}-\d{4}").all()
    assert blocks["subdistrict"].nunique() >= 3
    assert blocks["name"].map(lambda s: bool(re.search(r"[\u4e00-\u9fff]", s))).all()
    assert blocks.area.between(40e4, 120e4).all()  # 40–120 ha
    assert len(comm) >= 30
    assert comm["population"].between(8_000, 20_000).all()
    assert comm["households"].between(comm["population"] / 3, comm["population"] / 2.2).all()
    assert (comm["elderly_population"] / comm["population"]).between(0.13, 0.20).all()
    assert len(layers["buildings"]) >= 2000
    assert len(layers["parcels"]) >= len(blocks)


def test_ids_unique_and_fields_follow_the_model(layers) -> None:
    model = input_model()
    for name, frame in layers.items():
        spec = model.layer(name)
        assert frame[spec.id_field].notna().all(), name
        assert frame[spec.id_field].is_unique, name
        for field in spec.fields:
            if field.name not in frame.columns and not field.required and not field.note_absent:
                continue  # an optional field whose absence means its default (roads' bridge, tunnel, layer: at grade)
            assert field.name in frame.columns, f"{name}.{field.name}"
            values = frame[field.name]
            if field.required:
                assert values.notna().all(), f"{name}.{field.name}"
            present = values.dropna()
            if field.vocabulary:
                allowed = set(model.vocabulary(field.vocabulary).keys)
                assert set(present) <= allowed, f"{name}.{field.name}: {set(present) - allowed}"
            if field.min is not None:
                assert (present >= field.min).all(), f"{name}.{field.name}"
            if field.max is not None:
                assert (present <= field.max).all(), f"{name}.{field.name}"


def test_blocks_tile_without_overlap_and_communities_nest(layers) -> None:
    blocks, comm = layers["blocks"], layers["communities"]
    geoms = blocks.geometry.to_numpy()
    i, j = blocks.sindex.query(geoms, predicate="intersects")
    pairs = i < j
    assert shapely.area(shapely.intersection(geoms[i[pairs]], geoms[j[pairs]])).max() < 1.0
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon"  # one contiguous district without holes
    assert len(union.interiors) == 0
    assert abs(union.area - blocks.area.sum()) < 1.0
    # every community lies in one block; communities cover the blocks
    for geom in comm.geometry:
        assert (shapely.area(shapely.intersection(geoms, geom)) > geom.area - 1.0).any()
    assert abs(comm.area.sum() - blocks.area.sum()) < 1.0


def test_buildings_avoid_each_other_and_the_roads(layers) -> None:
    bld, roads = layers["buildings"], layers["roads"]
    geoms = bld.geometry.to_numpy()
    i, j = bld.sindex.query(geoms, predicate="intersects")
    assert not (i < j).any()
    corridors = shapely.buffer(roads.geometry.to_numpy(), roads["width_m"].to_numpy() / 2, cap_style="flat")
    hit, _ = bld.sindex.query(corridors, predicate="intersects")
    assert hit.size == 0
    # buildings stand inside parcels
    parcel_of = _within_index(bld.geometry.representative_point(), layers["parcels"])
    assert parcel_of.notna().all()


# ------------------------------------------------------------ resources (图2)


def test_every_resource_kind_is_present(layers) -> None:
    parcels, green, bld, fac, roads = (
        layers["parcels"],
        layers["green"],
        layers["buildings"],
        layers["facilities"],
        layers["roads"],
    )
    # land: idle sites, low-quality spaces, planned new land, retained land
    assert {"idle", "vacant"} <= set(parcels["status"])
    idle_sites = parcels[parcels["status"].isin(["idle", "vacant"])]
    assert len(idle_sites) >= 10
    assert idle_sites.area.median() < 5_000  # small plots at street corners
    assert (green["quality"] == "poor").sum() >= 10
    assert (parcels["status"] == "planned").sum() >= 3
    assert (parcels["status"] == "retained").sum() >= 3
    # buildings: idle rooms, low-efficiency buildings, roofs, underground space, retained buildings
    assert set(bld["status"]) == {"in_use", "idle", "low_efficiency"}
    assert {"boiler_room", "bike_shed", "office"} <= set(bld["subtype"].dropna())
    idle_rooms = bld[(bld["use"] == "ancillary") & (bld["status"] == "idle")]
    assert {"boiler_room", "bike_shed", "office"} <= set(idle_rooms["subtype"])
    low = bld[bld["use"].isin(["office", "commercial"]) & (bld["status"] == "low_efficiency")]
    assert len(low) >= 5
    assert (low["occupancy_ratio"] < 0.6).all()
    assert (bld["use"].isin(["office", "commercial"]) & (bld["roof"] == "flat")).sum() >= 10
    assert (bld["underground_area_m2"] > bld["underground_used_m2"]).sum() >= 100
    assert (bld["underground_used_m2"] <= bld["underground_area_m2"]).all()
    assert (bld["status"] == "in_use").sum() > len(bld) / 2
    # expandable facilities: schools / health facilities on parcels with FAR headroom
    kinds = ["primary_school", "middle_school", "hospital", "community_health_center", "clinic"]
    facilities = fac[fac["category"].isin(kinds)]
    parcel_of = _within_index(facilities.geometry.representative_point().reset_index(drop=True), parcels)
    headroom = (parcels["permitted_far"] > parcels["built_far"]).to_numpy()
    assert headroom[parcel_of.dropna().astype(int).to_numpy()].sum() >= 10
    # roads: the network is unfinished
    assert {"planned", "under_construction"} <= set(roads["status"])
    assert (roads[(roads["class"] == "branch")]["status"] == "planned").sum() >= 5
    # old compounds (1976–2002) dominate the housing stock
    res = bld[bld["use"] == "residential"]
    assert res["year_built"].between(1976, 2010).all()
    assert (res["year_built"] <= 2002).mean() > 0.5


# ------------------------------------------------------------ gaps (图1)


def test_intended_gaps(layers) -> None:
    blocks, comm, roads, green = layers["blocks"], layers["communities"], layers["roads"], layers["green"]
    fac, bld, parking = layers["facilities"], layers["buildings"], layers["parking"]
    pop = comm["population"].sum()
    area_km2 = blocks.area.sum() / 1e6
    cat = fac["category"]

    park_per_person = green.loc[green["kind"] == "park"].area.sum() / pop
    assert 1.5 < park_per_person < 3.0  # standard: > 8 m² (GB 55014), Huitian 2.2

    assert fac.loc[cat == "elderly_care", "beds"].sum() / pop * 1000 < 7.0
    assert fac.loc[cat.isin(["hospital", "community_health_center", "clinic"]), "beds"].sum() / pop * 1000 < 6.0
    assert fac.loc[cat.isin(["primary_school", "middle_school"]), "land_area_m2"].sum() / pop * 1000 < 2218
    assert fac.loc[cat == "culture", "floor_area_m2"].sum() / pop < 0.36
    assert fac.loc[cat == "sports", "land_area_m2"].sum() / pop < 0.65

    jobs_per_worker = bld["employees"].sum() / comm["resident_workers"].sum()
    assert 0.25 <= jobs_per_worker <= 0.35  # Beijing 0.53

    assert parking["spaces"].sum() < comm["households"].sum()  # standard 1.0 per household

    city = roads[roads["class"].isin(CITY_ROADS)]
    built_km = city.loc[city["status"] == "built"].length.sum() / 1000
    assert 5.0 < built_km / area_km2 < 7.0  # standard 8 km/km²
    assert roads.loc[roads["status"] == "built"].length.sum() / 1000 / area_km2 < 8.0  # even with compound roads
    assert 0.75 < built_km / (city.length.sum() / 1000) < 0.87  # implementation ratio, Huitian 81.1 %

    used = bld["underground_used_m2"].sum() / bld["underground_area_m2"].sum()
    assert used == pytest.approx(0.40, abs=0.03)

    stops = fac[cat == "bus_stop"]
    res = bld[bld["use"] == "residential"].geometry.centroid
    _, dist = stops.sindex.nearest(res, return_distance=True)
    assert 0.0 < (dist > 500).mean() < 0.3  # some homes beyond 500 m of a bus stop


# ------------------------------------------------------------ surveys, size, determinism


def test_surveys(layers) -> None:
    comm = layers["communities"]
    raw = (SAMPLE / "demand_survey.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with (SAMPLE / "demand_survey.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == DEMAND_HEADERS
    demand = pd.DataFrame(rows[1:], columns=rows[0])
    assert list(demand["社区"]) == list(comm["name"])
    assert list(demand["街道"]) == list(comm["subdistrict"])
    needs = demand[DEMAND_HEADERS[2:]]
    assert (needs != "").all().all()
    assert (needs == "--").any().any()
    assert (needs != "--").any().any()
    assert demand["交通停车问题"].str.contains("停车位不足").mean() > 0.5

    with (SAMPLE / "vision_survey.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == VISION_HEADERS
    vision = pd.DataFrame(rows[1:], columns=rows[0])
    assert set(vision["社区"]) == set(comm["name"])
    assert (vision["愿景"].str.len() > 5).all()


def test_total_size_below_10_mb() -> None:
    files = [SAMPLE / name for name in ("sample_district.gpkg", "demand_survey.csv", "vision_survey.csv")]
    assert sum(f.stat().st_size for f in files) < 10 * 1024 * 1024


def test_generator_reproduces_the_committed_files(generator, layers, tmp_path: Path) -> None:
    summary = generator.build(tmp_path)
    for name in ("demand_survey.csv", "vision_survey.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    fresh = _read_all(tmp_path / "sample_district.gpkg")
    committed = _read_all(GPKG)
    assert list(fresh) == list(committed) == [*layers, "dataset_info"]
    for name, frame in layers.items():
        assert_geodataframe_equal(fresh[name], frame)
    pd.testing.assert_frame_equal(fresh["dataset_info"], committed["dataset_info"])
    assert summary["blocks"] == len(layers["blocks"])
    assert summary["population"] == layers["communities"]["population"].sum()
    assert np.isclose(
        summary["jobs_per_resident_worker"],
        layers["buildings"]["employees"].sum() / layers["communities"]["resident_workers"].sum(),
        atol=1e-3,
    )


# ------------------------------------------------------------ synthetic, all the way through


def test_checked_input_stays_synthetic(tmp_path: Path) -> None:
    from blockcheck.inputs.read import read_dataset_info
    from blockcheck.pipeline import check_input, run_metadata, write_checked_input

    result = check_input(GPKG)
    meta = run_metadata(result, step="validate").set_index("key")["value"]
    assert meta["synthetic"] == "true" and meta["dataset_description"].startswith("虚构示例数据")
    checked = write_checked_input(result, tmp_path)["gpkg"]
    assert read_dataset_info(checked) == read_dataset_info(GPKG)  # carried on unchanged
    written = pyogrio.read_dataframe(checked, layer="blockcheck_meta").set_index("key")["value"]
    assert written["synthetic"] == "true"
    again = run_metadata(check_input(checked), step="validate").set_index("key")[
        "value"
    ]  # a later run on the checked input
    assert again["synthetic"] == "true"


def test_dataset_info_of_other_inputs(tmp_path: Path) -> None:
    from blockcheck.errors import InputError
    from blockcheck.inputs.read import dataset_meta, read_dataset_info
    from districts import tiny_layers, write_input

    real = write_input(tmp_path / "real.gpkg", tiny_layers())
    assert read_dataset_info(real) == {}
    assert dataset_meta(real) == {"synthetic": "false", "dataset_description": "", "dataset_description_en": ""}
    folder = tmp_path / "folder"  # a folder input declares it in dataset_info.csv
    folder.mkdir()
    (folder / "dataset_info.csv").write_text(
        "key,value\nsynthetic,TRUE\ndescription,教学用虚构数据\n", encoding="utf-8-sig"
    )
    assert dataset_meta(folder) == {
        "synthetic": "true",
        "dataset_description": "教学用虚构数据",
        "dataset_description_en": "",
    }
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dataset_info.csv").write_text("name,value\nsynthetic,true\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs the columns key and value"):
        read_dataset_info(bad)
    (bad / "dataset_info.csv").write_text("key,value\nsynthetic,maybe\n", encoding="utf-8")
    with pytest.raises(InputError, match="write true"):
        read_dataset_info(bad)
