"""A tiny, hand-checkable input district for the tests (imported by conftest and test modules).

Layout (EPSG:4548, metres; origin at (440000, 4430000), near Huilongguan)::

    y=200 +-----------+-----------+
          |  CP02-0101 |  CP02-0102 |   two 200 m × 200 m blocks (4 ha each)
          |  comm. A   |  comm. B   |   one community per block
    y=0   +-----------+-----------+
          x=0         x=200       x=400

Roads: the outer ring and the middle line (arterial/secondary, built), a
planned branch road. One park, two facilities, four buildings, two parcels,
one parking lot.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString, Point, box

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
X0, Y0 = 440_000.0, 4_430_000.0
CRS = "EPSG:4548"


def _b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _l(*pts):
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """The tiny district as model layers (fresh copies each call)."""
    g = lambda data, geoms: gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)  # noqa: E731 - a short local alias keeps the fixtures readable
    return {
        "blocks": g(
            {
                "block_id": ["CP02-0101", "CP02-0102"],
                "name": ["龙泽苑街区", "回龙观西街区"],
                "subdistrict": ["回龙观街道", "回龙观街道"],
            },
            [_b(0, 0, 200, 200), _b(200, 0, 400, 200)],
        ),
        "communities": g(
            {
                "community_id": ["C1", "C2"],
                "name": ["龙泽苑东区社区", "回龙观西社区"],
                "subdistrict": ["回龙观街道"] * 2,
                "population": [3000, 2000],
                "households": [1150, 770],
                "elderly_population": [450, 300],
                "resident_workers": [1600, 1050],
            },
            [_b(0, 0, 200, 200), _b(200, 0, 400, 200)],
        ),
        "roads": g(
            {
                "road_id": ["R1", "R2", "R3"],
                "name": ["外环", "中路", "规划支路"],
                "class": ["arterial", "secondary", "branch"],
                "status": ["built", "built", "planned"],
                "width_m": [40.0, 30.0, 15.0],
            },
            [_l((0, 0), (400, 0), (400, 200), (0, 200), (0, 0)), _l((200, 0), (200, 200)), _l((0, 100), (200, 100))],
        ),
        "green": g(
            {"green_id": ["G1"], "name": ["小游园"], "kind": ["park"], "quality": ["fair"]}, [_b(20, 20, 80, 80)]
        ),
        "facilities": g(
            {
                "facility_id": ["F1", "F2"],
                "name": ["幼儿园", "养老院"],
                "category": ["kindergarten", "elderly_care"],
                "beds": [None, 50.0],
                "seats": [180.0, None],
                "floor_area_m2": [2200.0, 3000.0],
                "land_area_m2": [3500.0, 2000.0],
            },
            [Point(X0 + 150, Y0 + 150), _b(250, 20, 300, 60)],
        ),
        "buildings": g(
            {
                "building_id": ["B1", "B2", "B3", "B4"],
                "use": ["residential", "residential", "office", "ancillary"],
                "subtype": [None, None, None, "boiler_room"],
                "floors": [6, 18, 10, 1],
                "year_built": [1995, 2005, 2010, 1990],
                "status": ["in_use", "in_use", "low_efficiency", "idle"],
                "occupancy_ratio": [1.0, 0.95, 0.3, 0.0],
                "roof": ["flat", "flat", "flat", "pitched"],
                "underground_area_m2": [0.0, 1200.0, 800.0, 0.0],
                "underground_used_m2": [0.0, 500.0, 300.0, 0.0],
                "employees": [0.0, 0.0, 400.0, 0.0],
            },
            [_b(100, 120, 160, 135), _b(300, 120, 360, 140), _b(320, 150, 370, 180), _b(120, 30, 130, 40)],
        ),
        "parcels": g(
            {
                "parcel_id": ["P1", "P2"],
                "land_use": ["R2", "X"],
                "status": ["built", "idle"],
                "permitted_far": [2.5, 1.0],
                "built_far": [2.0, 0.0],
            },
            [_b(0, 0, 200, 200), _b(360, 160, 400, 200)],
        ),
        "parking": g(
            {"parking_id": ["K1"], "name": ["社会停车场"], "spaces": [120], "access": ["public"]},
            [Point(X0 + 210, Y0 + 10)],
        ),
    }


def write_input(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """Write layers as a GeoPackage input with blockcheck's writer."""
    from blockcheck.io import write_gpkg

    return write_gpkg(path, layers)


#: The real OSM extract of Beijing's Xueyuan Road (ODbL, ../shared/realdata; its SOURCE.md gives the licence).
XUEYUAN = SHARED / "realdata" / "beijing-xueyuanlu-osm" / "map.osm"


def xueyuan_layers() -> dict[str, gpd.GeoDataFrame]:
    """The Xueyuan extract imported from OSM, with one residential community of 30,000 people over all of it."""
    import shapely

    from blockcheck.inputs.osm import import_osm

    layers = import_osm(XUEYUAN)
    hull = shapely.union_all(layers["blocks"].geometry.to_numpy())
    layers["communities"] = gpd.GeoDataFrame(
        {
            "community_id": ["C1"],
            "name": ["学院路社区"],
            "population": [30000],
            "households": [11000],
            "elderly_population": [5000],
            "resident_workers": [15000],
        },
        geometry=[hull],
        crs=layers["blocks"].crs,
    )
    return layers
