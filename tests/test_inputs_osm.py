"""OpenStreetMap import (blockcheck.inputs.osm).

The ``shared`` tests read two real extracts and compare the imported counts
with what GDAL reads when the tag filters documented in data/osm_tags.toml are
applied independently here, with pyogrio, plain pandas and geopandas (no
helper of the module under test). The other tests use a small hand-written
OSM XML file.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import box

from blockcheck.blocks import BLOCK_ID_PATTERN
from blockcheck.errors import BlockcheckWarning, OSMImportError
from blockcheck.inputs.model import input_model
from blockcheck.inputs.osm import import_osm, osm_bounds, osm_tags, parse_hstore, parse_other_tags, write_osm_import

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
XUEYUAN = REALDATA / "beijing-xueyuanlu-osm" / "map.osm"
KOUVOLA = REALDATA / "kouvola-osm" / "test.osm.pbf"
EXTRACTS = {"xueyuan": (XUEYUAN, 4548), "kouvola": (KOUVOLA, 32635)}

# ---- the documented filters (data/osm_tags.toml), written out independently ----
ROAD_CLASS = {
    **dict.fromkeys(["motorway", "motorway_link", "trunk", "trunk_link"], "expressway"),
    **dict.fromkeys(["primary", "primary_link"], "arterial"),
    **dict.fromkeys(["secondary", "secondary_link", "tertiary", "tertiary_link"], "secondary"),
    **dict.fromkeys(["residential", "unclassified", "living_street"], "branch"),
    "service": "internal",
}
MIDDLE = "中学|初中|高中|middle school|secondary school|high school|yläkoulu|lukio"
ENTRANCE_BARRIERS = [
    "gate",
    "lift_gate",
    "swing_gate",
    "sliding_gate",
    "kissing_gate",
    "wicket_gate",
    "turnstile",
    "full-height_turnstile",
    "entrance",
]
NOT_ENTRANCES = ["no", "emergency", "exit", "service", "garage", "home", "staircase"]
PRIMARY = "小学|primary school|elementary school|alakoulu"


def _needs(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"real data not available: {path}")


@cache
def _gdal(path: Path, layer: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
    return frame[frame.geometry.notna()].reset_index(drop=True)


def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    if key in frame.columns:
        return frame[key]
    return frame["other_tags"].str.extract('"' + re.escape(key) + r'"=>"([^"]*)"', expand=False)


def _box(path: Path):
    return box(*pyogrio.read_info(path, layer="points")["total_bounds"])


def _clipped(frame: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Points inside the box; lines and polygons clipped to it (non-degenerate)."""
    area = _box(path)
    kind = frame.geom_type.iloc[0] if len(frame) else "Point"
    if kind == "Point":
        return frame[frame.intersects(area)]
    frame = frame.set_geometry(frame.make_valid())
    clipped = gpd.clip(frame, area)
    geoms = clipped.geometry.to_numpy()
    size = shapely.area(geoms) if "Polygon" in kind else shapely.length(geoms)
    return clipped[size > 0]


def _road_classes(lines: gpd.GeoDataFrame) -> pd.Series:
    highway = lines["highway"]
    classes = highway.map(ROAD_CLASS)
    for value in ("construction", "proposed"):
        classes = classes.where(highway != value, _tag(lines, value).map(ROAD_CLASS))
    foot, access = _tag(lines, "foot"), _tag(lines, "access")
    walkable = foot.isin(["yes", "designated", "permissive"]) | ~(
        foot.isin(["no", "private"]) | access.isin(["private", "no"])
    )
    walk_only = highway.isin(["footway", "path", "steps", "pedestrian", "cycleway"]) & walkable
    return classes.where(~walk_only, "footway")


def _facility_category(frame: gpd.GeoDataFrame, polygons: bool) -> tuple[pd.Series, pd.Series]:
    """Category per feature (NaN when none) and whether it is a building=* fallback."""
    t = {
        k: _tag(frame, k)
        for k in [
            "amenity",
            "healthcare",
            "social_facility",
            "social_facility:for",
            "leisure",
            "shop",
            "highway",
            "public_transport",
            "bus",
            "railway",
            "recycling_type",
            "power",
            "isced:level",
            "building",
        ]
    }
    a = t["amenity"]
    name = frame["name"].fillna("").str.lower()
    fallback = t["building"].isin(["school", "kindergarten", "hospital"]) & a.isna() & polygons
    rules = [
        (
            "community_health_center",
            (a.isin(["hospital", "clinic", "doctors"]) | t["healthcare"].notna())
            & name.str.contains("社区卫生服务中心"),
        ),
        ("community_health_center", a.isin(["hospital", "clinic", "doctors"]) & name.str.contains("community health")),
        ("clinic", a.isin(["hospital", "clinic", "doctors"]) & name.str.contains("社区卫生服务站")),
        ("kindergarten", a.isin(["kindergarten", "childcare"])),
        ("primary_school", (a == "school") & name.str.contains(PRIMARY)),
        (
            "middle_school",
            (a == "school")
            & (name.str.contains(MIDDLE) | t["isced:level"].isin(["2", "3", "2;3", "2-3", "2,3", "3;2"])),
        ),
        ("primary_school", a == "school"),
        ("hospital", a == "hospital"),
        ("clinic", a.isin(["clinic", "doctors"])),
        ("elderly_care", (a == "nursing_home") | t["social_facility"].isin(["nursing_home", "assisted_living"])),
        (
            "elderly_day_care",
            (t["social_facility"] == "day_care") & t["social_facility:for"].isin(["senior", "elderly"]),
        ),
        ("culture", a.isin(["community_centre", "arts_centre", "library", "theatre"])),
        ("sports", t["leisure"].isin(["sports_centre", "stadium", "fitness_centre", "pitch"])),
        ("market", a == "marketplace"),
        ("supermarket", t["shop"] == "supermarket"),
        ("post_express", a == "post_office"),
        ("bus_stop", (t["highway"] == "bus_stop") | ((t["public_transport"] == "platform") & (t["bus"] == "yes"))),
        ("bus_terminal", a == "bus_station"),
        ("rail_station", t["railway"] == "station"),
        ("charging_station", a == "charging_station"),
        ("garbage_station", (a == "waste_transfer_station") | ((a == "recycling") & (t["recycling_type"] == "centre"))),
        ("public_toilet", a == "toilets"),
        ("substation", t["power"] == "substation"),
        ("fire_station", a == "fire_station"),
        ("police", a == "police"),
        ("kindergarten", fallback & (t["building"] == "kindergarten")),
        ("middle_school", fallback & (t["building"] == "school") & name.str.contains(MIDDLE)),
        ("primary_school", fallback & (t["building"] == "school")),
        ("hospital", fallback & (t["building"] == "hospital")),
    ]
    category = pd.Series(
        np.select([m.fillna(False).to_numpy(dtype=bool) for _, m in rules], [c for c, _ in rules], default=""),
        index=frame.index,
    )
    return category.replace("", np.nan), fallback


def _facilities_counted_once(path: Path, epsg: int) -> dict[str, int]:
    """Facility counts per category with the de-duplication done the simple way (spatial joins)."""
    pts, polys = _gdal(path, "points"), _gdal(path, "multipolygons")
    pts = pts.assign(category=_facility_category(pts, False)[0])
    cat, fallback = _facility_category(polys, True)
    polys = polys.assign(category=cat, fallback=fallback)
    amenity_polys = _clipped(polys[polys["amenity"].notna()], path).to_crs(epsg)
    pts = _clipped(pts[pts["category"].notna()], path).to_crs(epsg)[["category", "geometry"]].reset_index(drop=True)
    polys = (
        _clipped(polys[polys["category"].notna()], path)
        .to_crs(epsg)[["category", "fallback", "geometry"]]
        .reset_index(drop=True)
    )
    polys["size"] = polys.area
    reps = polys.set_geometry(polys.representative_point())
    pairs = gpd.sjoin(reps, polys, predicate="within")
    larger = (pairs["size_right"] > pairs["size_left"]) | (
        (pairs["size_right"] == pairs["size_left"]) & (pairs["index_right"] < pairs.index)
    )
    nested = pairs[
        (pairs["category_left"] == pairs["category_right"]) & (pairs["index_right"] != pairs.index) & larger
    ].index
    in_amenity = gpd.sjoin(reps[reps["fallback"]], amenity_polys[["geometry"]], predicate="within").index
    kept = polys.drop(index=nested.union(in_amenity))
    inside = gpd.sjoin(pts, kept[["category", "geometry"]], predicate="within")
    pts = pts.drop(index=inside[inside["category_left"] == inside["category_right"]].index)
    return pd.concat([pts["category"], kept["category"]]).value_counts().to_dict()


@cache
def _imported(name: str) -> dict[str, gpd.GeoDataFrame]:
    path, _ = EXTRACTS[name]
    _needs(path)
    return import_osm(path)


# ------------------------------------------------------------- real data ----


@pytest.mark.shared
@pytest.mark.parametrize("name", ["xueyuan", "kouvola"])
def test_shared_counts_equal_gdal_under_documented_filters(name):
    path, epsg = EXTRACTS[name]
    layers = _imported(name)
    lines, polys = _gdal(path, "lines"), _gdal(path, "multipolygons")

    roads = lines.assign(cls=_road_classes(lines))
    roads = _clipped(roads[roads["cls"].notna()], path)
    assert len(layers["roads"]) == len(roads)
    assert layers["roads"]["class"].value_counts().to_dict() == roads["cls"].value_counts().to_dict()

    buildings = _clipped(polys[polys["building"].notna() & (polys["building"] != "no")], path)
    assert len(layers["buildings"]) == len(buildings)

    parks = _clipped(polys[polys["leisure"].isin(["park", "garden"])], path)
    assert (layers["green"]["kind"] == "park").sum() == len(parks)

    points = _gdal(path, "points")
    entrance, foot, access = _tag(points, "entrance"), _tag(points, "foot"), _tag(points, "access")
    gate = points["barrier"].isin(ENTRANCE_BARRIERS) | (entrance.notna() & ~entrance.isin(NOT_ENTRANCES))
    closed = (_tag(points, "locked") == "yes") | (
        ~foot.isin(["yes", "designated", "permissive"])
        & (foot.isin(["no", "private"]) | access.isin(["private", "no"]))
    )
    gates = _clipped(points[gate & ~entrance.isin(NOT_ENTRANCES) & ~closed], path)
    assert sorted(layers["entrances"]["entrance_id"]) == sorted("osm_n" + gates["osm_id"].astype(str))

    assert layers["facilities"]["category"].value_counts().to_dict() == _facilities_counted_once(path, epsg)

    landuse = [
        "residential",
        "commercial",
        "retail",
        "industrial",
        "brownfield",
        "greenfield",
        "construction",
        "education",
        "religious",
        "railway",
        "garages",
        "recreation_ground",
        "village_green",
        "grass",
        "farmland",
        "meadow",
        "forest",
        "orchard",
        "allotments",
    ]
    assert len(layers["parcels"]) == len(_clipped(polys[polys["landuse"].isin(landuse)], path))


@pytest.mark.shared
def test_shared_bounds_come_from_the_extract_header():
    _needs(XUEYUAN)
    _needs(KOUVOLA)
    assert osm_bounds(XUEYUAN) == pytest.approx((116.34403, 39.99767, 116.35974, 40.00888))
    assert osm_bounds(KOUVOLA) == pytest.approx((26.93, 60.52, 26.97, 60.54), abs=1e-6)


@pytest.mark.shared
@pytest.mark.parametrize("name", ["xueyuan", "kouvola"])
def test_shared_layers_follow_the_input_model(name):
    path, epsg = EXTRACTS[name]
    layers = _imported(name)
    model = input_model()
    assert set(layers) == {"blocks", "roads", "green", "facilities", "entrances", "buildings", "parcels", "parking"}
    for layer, frame in layers.items():
        spec = model.layer(layer)
        assert frame.crs.to_epsg() == epsg, layer
        assert list(frame.columns) == [*spec.field_names, "geometry"], layer
        assert set(frame.geom_type) <= spec.allowed_geometry_types, layer
        assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any(), layer
        for field in spec.fields:
            values = frame[field.name].dropna()
            if field.vocabulary:
                assert set(values) <= set(model.vocabulary(field.vocabulary).keys), (layer, field.name)
            if field.required:
                assert frame[field.name].notna().all(), (layer, field.name)
            if field.min is not None:
                assert (values >= field.min).all(), (layer, field.name)
        if spec.id_field in frame.columns:
            assert frame[spec.id_field].is_unique, layer
    # everything lies inside the extract's box (reprojected)
    area = gpd.GeoSeries([box(*osm_bounds(path))], crs=4326).segmentize(1e-4).to_crs(epsg).buffer(0.01).iloc[0]
    for layer in ("roads", "buildings", "facilities", "green", "parcels", "parking", "entrances"):
        assert layers[layer].within(area).all(), layer


@pytest.mark.shared
def test_shared_xueyuan_roads_blocks_and_details():
    layers = _imported("xueyuan")
    roads = layers["roads"]
    assert {"arterial", "secondary"} <= set(roads["class"])
    assert roads["road_id"].str.match(r"^osm_w\d+$").all()
    assert (roads.loc[roads["width_m"].notna(), "width_m"] == 3 * 3.5).all()  # the only width data: lanes=3
    blocks = layers["blocks"]
    assert len(blocks) >= 2
    assert blocks["block_id"].is_unique and blocks["block_id"].str.match(BLOCK_ID_PATTERN.pattern).all()
    assert (blocks.area >= 2000).all()
    facilities = layers["facilities"].set_index("name")
    assert facilities.loc["中国农业大学东区社区卫生服务中心", "category"] == "community_health_center"
    assert facilities.loc["北京石油学院附属中学", "category"] == "middle_school"
    assert facilities.loc["中国农业大学附属实验小学", "category"] == "primary_school"
    assert (layers["facilities"].geom_type == "Point").eq(layers["facilities"]["land_area_m2"].isna()).all()
    buildings = layers["buildings"]
    assert buildings["floors"].notna().sum() == 6  # only 6 buildings have building:levels
    assert buildings["building_id"].str.match(r"^osm_[wr]\d+$").all()
    parcels = layers["parcels"]
    assert len(parcels[(parcels["land_use"] == "X") & (parcels["status"] == "vacant")]) == 7  # greenfield


@pytest.mark.shared
def test_shared_kouvola_is_utm_35n_with_blocks():
    layers = _imported("kouvola")
    assert layers["roads"].crs.to_epsg() == 32635
    assert "expressway" in set(layers["roads"]["class"])
    assert len(layers["blocks"]) >= 2
    assert (layers["buildings"]["use"] == "residential").sum() >= 1000


@pytest.mark.shared
def test_shared_gpkg_written_lists_the_layers(tmp_path):
    _needs(XUEYUAN)
    calls = []
    out = tmp_path / "xueyuan.gpkg"
    layers = write_osm_import(XUEYUAN, out, progress=lambda f, m: calls.append((f, m)))
    listed = dict(pyogrio.list_layers(out))
    assert set(listed) == set(layers)
    assert set(layers) == {"blocks", "roads", "green", "facilities", "entrances", "buildings", "parcels", "parking"}
    back = pyogrio.read_dataframe(out, layer="facilities")
    assert len(back) == len(layers["facilities"]) and back.crs.to_epsg() == 4548
    assert calls[0][0] == 0.0 and calls[-1][0] == 1.0


# --------------------------------------------------------- small XML file ----

_NODES = {  # id: (lon, lat, tags)
    1: (116.338, 40.005, {}),
    2: (116.352, 40.005, {}),  # primary road, crosses the box
    3: (116.345, 39.998, {}),
    4: (116.345, 40.012, {}),  # secondary road, crosses the box
    5: (116.341, 40.002, {}),
    6: (116.344, 40.002, {}),  # road under construction (dangling)
    7: (116.341, 40.003, {}),
    8: (116.344, 40.003, {}),  # footway
    11: (116.341, 40.006, {}),
    12: (116.343, 40.006, {}),
    13: (116.343, 40.008, {}),
    14: (116.341, 40.008, {}),  # park
    21: (116.346, 40.006, {}),
    22: (116.349, 40.006, {}),
    23: (116.349, 40.009, {}),
    24: (116.346, 40.009, {}),  # school
    25: (116.3475, 40.0075, {"amenity": "school", "name": "学院路中学"}),  # the same school as a point
    26: (116.342, 40.001, {"amenity": "kindergarten", "name": "小太阳幼儿园"}),
    27: (116.360, 40.000, {"amenity": "toilets"}),  # outside the box
    31: (116.3462, 40.0012, {}),
    32: (116.3468, 40.0012, {}),
    33: (116.3468, 40.0015, {}),
    34: (116.3462, 40.0015, {}),  # parking
    41: (116.3412, 40.0042, {}),
    42: (116.3418, 40.0042, {}),
    43: (116.3418, 40.0046, {}),
    44: (116.3412, 40.0046, {}),  # building
}
_WAYS = {  # id: (nodes, tags)
    10: ([1, 2], {"highway": "primary", "name": "学院路", "lanes": "4"}),
    20: ([3, 4], {"highway": "secondary", "width": "30 m"}),
    30: ([5, 6], {"highway": "construction", "construction": "tertiary"}),
    40: ([7, 8], {"highway": "footway"}),
    41: ([7, 8], {"highway": "path", "access": "private"}),  # not walkable: private
    42: ([7, 8], {"highway": "cycleway", "foot": "no"}),  # not walkable: foot=no
    43: ([7, 8], {"highway": "steps", "access": "no", "foot": "designated"}),  # foot wins over access
    44: ([7, 8], {"highway": "track"}),  # not a walk-only class
    50: ([11, 12, 13, 14, 11], {"leisure": "park", "name": '小"公"园'}),
    60: ([21, 22, 23, 24, 21], {"amenity": "school", "name": "学院路中学", "capacity": "1200"}),
    70: ([31, 32, 33, 34, 31], {"amenity": "parking", "access": "private"}),
    80: ([41, 42, 43, 44, 41], {"building": "apartments", "building:levels": "5", "start_date": "1998-05"}),
}


def _xml(nodes=_NODES, ways=_WAYS, bounds=(116.340, 40.000, 116.350, 40.010)) -> str:
    def tags(d):
        return "".join(f'<tag k="{k}" v="{v.replace(chr(34), "&quot;")}"/>' for k, v in d.items())

    head = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
    if bounds:
        head += f' <bounds minlat="{bounds[1]}" minlon="{bounds[0]}" maxlat="{bounds[3]}" maxlon="{bounds[2]}"/>\n'
    body = "".join(
        f' <node id="{i}" version="1" lat="{lat}" lon="{lon}">{tags(t)}</node>\n' for i, (lon, lat, t) in nodes.items()
    )
    body += "".join(
        f' <way id="{i}" version="1">{"".join(f"<nd ref={chr(34)}{n}{chr(34)}/>" for n in nd)}{tags(t)}</way>\n'
        for i, (nd, t) in ways.items()
    )
    return head + body + "</osm>\n"


@pytest.fixture
def small_osm(tmp_path):
    path = tmp_path / "small.osm"
    path.write_text(_xml(), encoding="utf-8")
    return path


def test_small_extract_maps_every_layer(small_osm):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlockcheckWarning)
        layers = import_osm(small_osm)
    assert layers["roads"].crs.to_epsg() == 4548
    roads = layers["roads"].set_index("road_id")
    assert set(roads.index) == {"osm_w10", "osm_w20", "osm_w30", "osm_w40", "osm_w43"}
    assert roads.loc[["osm_w40", "osm_w43"], "class"].tolist() == ["footway", "footway"]  # walk-only ways
    assert roads.loc[["osm_w40", "osm_w43"], "status"].tolist() == ["built", "built"]
    assert roads.loc["osm_w10", ["class", "status", "width_m"]].tolist() == ["arterial", "built", 14.0]
    assert roads.loc["osm_w20", ["class", "width_m"]].tolist() == ["secondary", 30.0]
    assert roads.loc["osm_w30", ["class", "status"]].tolist() == ["secondary", "under_construction"]
    assert np.isnan(roads.loc["osm_w30", "width_m"])
    # clipped to the box: the primary road is as long as the box is wide
    ends = gpd.GeoSeries.from_xy([116.340, 116.350], [40.005, 40.005], crs=4326).to_crs(4548)
    assert roads.loc["osm_w10"].geometry.length == pytest.approx(
        ends.iloc[0].distance(ends.iloc[1]), abs=0.02
    )  # roads are on a 1 cm grid
    assert layers["green"][["green_id", "name", "kind"]].values.tolist() == [["osm_w50", '小"公"园', "park"]]
    facilities = layers["facilities"].set_index("facility_id")
    assert facilities["category"].to_dict() == {
        "osm_n26": "kindergarten",
        "osm_w60": "middle_school",
    }  # point 25 counted once
    assert facilities.loc["osm_w60", "seats"] == 1200
    assert facilities.loc["osm_w60", "land_area_m2"] == pytest.approx(
        layers["facilities"].set_index("facility_id").area["osm_w60"]
    )
    building = layers["buildings"].iloc[0]
    assert (building["use"], building["floors"], building["year_built"]) == ("residential", 5, 1998)
    parking = layers["parking"].iloc[0]
    assert parking["access"] == "private"
    assert parking["spaces"] == int(layers["parking"].area.iloc[0] // 25)
    assert "parcels" not in layers  # no landuse → layer left out
    blocks = layers["blocks"]
    assert len(blocks) == 4  # the primary and the secondary road cross the box
    assert list(blocks["block_id"]) == ["BK01-0001", "BK01-0002", "BK01-0003", "BK01-0004"]
    assert blocks.area.sum() == pytest.approx(
        gpd.GeoSeries([box(116.340, 40.0, 116.350, 40.01)], crs=4326).to_crs(4548).area.iloc[0], rel=1e-6
    )


def test_open_gates_and_entrances_are_imported_and_a_gate_on_a_site_is_its_entrance(tmp_path):
    """[entrances] of osm_tags.toml: gates and entrances that are open; emergency exits, private, locked,
    bollards are not. The school's south-side gate (a node of its outline) is where walks enter it."""
    from blockcheck.network import build_walk_network, feature_entries

    nodes = {
        **_NODES,
        91: (116.3475, 40.006, {"barrier": "gate"}),  # on the school's south side (a node of its outline)
        92: (116.3440, 40.0052, {"entrance": "main", "name": "南门"}),
        93: (116.3441, 40.0052, {"entrance": "emergency", "barrier": "gate"}),  # an emergency exit
        94: (116.3442, 40.0052, {"barrier": "gate", "access": "private"}),
        95: (116.3443, 40.0052, {"barrier": "gate", "access": "private", "foot": "yes"}),  # foot wins
        96: (116.3444, 40.0052, {"barrier": "gate", "locked": "yes"}),
        97: (116.3445, 40.0052, {"barrier": "bollard"}),
        98: (116.3446, 40.0052, {"barrier": "lift_gate"}),
        99: (116.3447, 40.0052, {"entrance": "staircase"}),  # a stairwell door of a home
    }
    ways = {**_WAYS, 60: ([21, 91, 22, 23, 24, 21], _WAYS[60][1])}
    path = tmp_path / "gates.osm"
    path.write_text(_xml(nodes, ways), encoding="utf-8")
    layers = import_osm(path)
    gates = layers["entrances"].set_index("entrance_id")
    assert list(gates.index) == ["osm_n91", "osm_n92", "osm_n95", "osm_n98"]
    assert gates.loc["osm_n92", "name"] == "南门" and gates["access"].isna().all()
    assert list(layers["entrances"].columns) == ["entrance_id", "name", "access", "geometry"]
    school = layers["facilities"].set_index("facility_id").geometry[["osm_w60"]]
    assert school.boundary.distance(gates.geometry["osm_n91"]).iloc[0] < 1e-6
    found = feature_entries(build_walk_network(layers["roads"]), school, layers["entrances"])
    assert found.entered.tolist() == ["gate"] and found.gates.tolist() == [1]
    np.testing.assert_allclose(found.xy, shapely.get_coordinates(gates.geometry[["osm_n91"]].values))


def test_given_blocks_and_crs_are_used(small_osm):
    given = gpd.GeoDataFrame(
        {"name": ["西", "东"]},
        geometry=[box(116.340, 40.0, 116.345, 40.01), box(116.345, 40.0, 116.350, 40.01)],
        crs=4326,
    )
    layers = import_osm(small_osm, blocks=given, crs="EPSG:32650")
    assert all(frame.crs.to_epsg() == 32650 for frame in layers.values())
    assert list(layers["blocks"]["block_id"]) == ["BK01-0001", "BK01-0002"]
    assert list(layers["blocks"]["name"]) == ["西", "东"]
    assert list(layers["blocks"].columns) == ["block_id", "name", "subdistrict", "geometry"]


def test_without_header_bounds_the_data_extent_is_used(tmp_path):
    path = tmp_path / "nobounds.osm"
    path.write_text(_xml(bounds=None), encoding="utf-8")
    assert osm_bounds(path) is None
    layers = import_osm(path)
    facilities = set(layers["facilities"]["facility_id"])
    assert "osm_n27" in facilities  # the toilet now lies inside the extent


def test_errors_are_clear(tmp_path):
    with pytest.raises(OSMImportError, match="not found"):
        import_osm(tmp_path / "missing.osm")
    geojson = tmp_path / "fake.osm"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(OSMImportError, match="not an OpenStreetMap"):
        import_osm(geojson)
    text = tmp_path / "text.osm.pbf"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(OSMImportError, match="not an OpenStreetMap"):
        import_osm(text)
    far = tmp_path / "far.osm"
    far.write_text(_xml(bounds=(10.0, 50.0, 10.01, 50.01)), encoding="utf-8")
    with pytest.raises(OSMImportError, match="no OSM features"):
        import_osm(far)


def test_other_tags_parsing():
    assert parse_hstore('"a"=>"1","b:c"=>"x, \\"y\\"","d"=>"back\\\\slash"') == {
        "a": "1",
        "b:c": 'x, "y"',
        "d": "back\\slash",
    }
    assert parse_hstore(None) == {}
    values = pd.Series(['"a"=>"1"', None, '"b"=>"2","a"=>"3"'], index=[5, 7, 9])
    wide = parse_other_tags(values)
    assert list(wide.index) == [5, 7, 9]
    assert wide["a"].tolist()[0::2] == ["1", "3"] and pd.isna(wide.loc[7, "a"])
    assert pd.isna(wide.loc[5, "b"]) and wide.loc[9, "b"] == "2"


def test_tag_rules_use_model_vocabularies():
    rules = osm_tags()
    model = input_model()
    assert set(rules["roads"]["class"].values()) <= set(model.vocabulary("road_class").keys)
    assert rules["roads"]["walk_only"]["class"] in model.vocabulary("road_class").keys
    walk = set(rules["roads"]["walk_only"]["highway"])
    assert walk == {"footway", "path", "cycleway", "steps", "pedestrian"}
    assert not walk & (set(rules["roads"]["not_roads"]) | set(rules["roads"]["class"]))
    categories = {rule["category"] for rule in rules["facilities"]["rules"]}
    assert categories <= set(model.vocabulary("facility_category").keys)
