"""Generator of the synthetic, Huitian-like sample district (see ../README.md).

Modules, in the order `generate` uses them:

- `assumptions`: every number the district is made from (named, units in the names);
- `district`: the `District` holding the random generator and the features being made;
- `layout`: jittered grid, blocks, road-bounded cells, communities, programme allocation;
- `programmes`: what each cell becomes (compounds with slices and corner plots, whole-cell uses);
- `buildings`: residential compounds and the building attributes (year, status, roof, underground, jobs);
- `roads`: grid and branch roads, junction noding, built / planned status;
- `facilities`: community services, compound parking, rail / bus stops, on-street parking;
- `population`: community population from the residential floor area;
- `parcels`: the parcel layer with built and permitted FAR;
- `surveys`: the demand (图3) and vision (图4) lists;
- `summary`: the headline numbers;
- :func:`dataset_info`: the ``dataset_info`` table marking the data synthetic.

Everything draws from one seeded numpy ``Generator`` in a fixed order: moving a
random draw changes the committed sample files.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import buildings, facilities, layout, parcels, population, programmes, roads
from .assumptions import SEED
from .district import District
from .summary import summarize
from .surveys import DEMAND_CSV, DEMAND_HEADERS, VISION_CSV, VISION_HEADERS, csv_bytes, surveys

__all__ = [
    "DEMAND_CSV",
    "DEMAND_HEADERS",
    "SEED",
    "VISION_CSV",
    "VISION_HEADERS",
    "csv_bytes",
    "dataset_info",
    "generate",
    "summarize",
]

BUILDING_COLUMNS = [
    "building_id",
    "use",
    "subtype",
    "floors",
    "year_built",
    "status",
    "occupancy_ratio",
    "roof",
    "underground_area_m2",
    "underground_used_m2",
    "employees",
]
COMMUNITY_COLUMNS = [
    "community_id",
    "name",
    "subdistrict",
    "population",
    "households",
    "elderly_population",
    "resident_workers",
]
INTEGER_FIELDS = {
    "communities": ("population", "households", "elderly_population", "resident_workers"),
    "buildings": ("floors", "year_built"),
    "parking": ("spaces",),
}


def dataset_info(seed: int = SEED) -> pd.DataFrame:
    """The non-spatial ``dataset_info`` table (key, value): the district is synthetic, what it is, what made it."""
    rows = {
        "synthetic": "true",
        "description": "虚构示例数据：仿照“四步走、八清单”回天地区（回龙观、天通苑）案例生成的16个街区。"
        "街道、小区和道路名称仅借作标签，位置与数量均为虚构，不代表任何真实地点的现状。",
        "description_en": "Synthetic sample data: 16 made-up street blocks modelled on the Huitian "
        "(Huilongguan, Tiantongyuan) "
        "example of the 'four steps, eight lists' guideline. Place names are borrowed as labels only; "
        "locations and numbers are invented and describe no real place.",
        "generator": f"data/sample_blocks/make_sample.py (seed {seed})",
    }
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())})


def generate(seed: int = SEED) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """Generate the district: (GeoPackage layers by name, survey tables by file name)."""
    d = District(seed)
    layout.make_grid(d)
    layout.allocate(d)
    for idx in range(len(d.cells)):
        programmes.do_cell(d, idx)
    roads.make_roads(d)

    # ---- buildings: one frame, attributes vectorised; people from the housing
    bld = buildings.collect(d)
    facilities.community_services(d, bld)
    facilities.resident_parking(d, bld)
    buildings.add_attributes(d, bld)
    comm_rows = population.community_rows(d, bld)
    buildings.add_jobs(bld, sum(row["resident_workers"] for row in comm_rows))
    buildings.add_geometry(bld)

    # ---- layers
    block_rows = [
        {"_b": b, "_geom": layout.block_outline(d, b), **{k: blk[k] for k in ("block_id", "name", "subdistrict")}}
        for b, blk in enumerate(d.blocks)
    ]
    blocks_layer = d.layer(block_rows, ["block_id", "name", "subdistrict"])
    communities_layer = d.layer(comm_rows, COMMUNITY_COLUMNS)

    road_rows = roads.node_roads(d)
    road_rows["status"] = roads.road_status(d, road_rows)
    road_rows["quality"] = roads.road_quality(road_rows)
    road_rows["_b"] = -1
    roads_layer = d.layer(road_rows, ["road_id", "name", "class", "status", "width_m", "quality"], "R", "road_id")

    buildings_layer = d.layer(bld, BUILDING_COLUMNS, "B", "building_id")
    parcels_layer = parcels.parcels_layer(d, buildings_layer, bld["_parcel"].to_numpy())
    green_layer = d.layer(d.green, ["green_id", "name", "kind", "quality"], "G", "green_id")

    facilities.transport_points(d, road_rows)
    facilities_layer = d.layer(
        d.facilities,
        ["facility_id", "name", "category", "beds", "seats", "floor_area_m2", "land_area_m2"],
        "F",
        "facility_id",
    )
    # schools: land area = their parcel
    school = facilities_layer["category"].isin(["primary_school", "middle_school"])
    facilities_layer.loc[school, "land_area_m2"] = np.round(shapely.area(facilities_layer.geometry[school].to_numpy()))
    parking_layer = d.layer(d.parking, ["parking_id", "name", "spaces", "access"], "P", "parking_id")

    layers = {
        "blocks": blocks_layer,
        "communities": communities_layer,
        "roads": roads_layer,
        "green": green_layer,
        "facilities": facilities_layer,
        "buildings": buildings_layer,
        "parcels": parcels_layer,
        "parking": parking_layer,
    }
    for name, fields in INTEGER_FIELDS.items():
        for field in fields:
            layers[name][field] = layers[name][field].astype("int64")
    return layers, surveys(layers, d.rng)
