"""Parks and polygon facilities entered where people enter them (issue 19.3): gates, else frontage, else outline.

Hand-drawn scenes test the rule (:mod:`blockcheck.network.entries`) and the two
walking metrics that use it; every distance is also computed independently
with networkx (``test_network._networkx_reference``: each edge split at the
snapped points, one search from a super node). The ``shared`` tests run the
real OSM extract of Xueyuan Road, Beijing (``../shared/realdata``, see its
SOURCE.md), with the run's network (footways, grade separation, fragments).

The campus scene (metres from (500000, 4400000), EPSG:32650)::

    y=340  ..........................................   north street N2 (scene B)
    y=300  ==========================================   north street N (scene A)
           |         +----g----+                    |   campus box(200, 20, 400, 280):
           W         |  campus |                    E   fronts S and N at 20 m; its sides
           |         +---------+                    |   lie 200 m from W and E
    y=0    ==========================================   south street S
           x=0                                     x=600

Scene A: S, N, W, E. A resident r at (300, -10) is 10 m south of S. Without a
gate the campus is entered on both long sides (20 m from a street): r walks
10 + 20 = 30 m. With its one gate g at (300, 280) on the far side: 10 m to S,
300 m west, 300 m north, 300 m east along N, 20 m to the gate = 930 m.
Scene B: S, N2 and W, E up to N2; the campus's north fence lies 60 m from N2,
more than the 30 m within which an outline fronts a walkable edge.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

from blockcheck.errors import StandardsError
from blockcheck.inputs.network_notes import report_entries
from blockcheck.inputs.report import ValidationReport
from blockcheck.io import write_gpkg
from blockcheck.metrics.accessibility import life_circle_coverage, park_coverage_ratio
from blockcheck.network import (
    ENTERED,
    EntryRule,
    build_walk_network,
    feature_entries,
    gate_points,
    nearest_source_distance_m,
    snap_points,
)
from blockcheck.pipeline import check_input
from blockcheck.standards import load_standards
from blockcheck.steps import health_check as hc
from districts import XUEYUAN, xueyuan_layers
from test_network import _networkx_reference

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 4_400_000.0
RULE = EntryRule.from_standards()
PARK_RULE = {"large_min_area_m2": 5000.0, "large_radius_m": 500.0, "small_min_area_m2": 2000.0, "small_radius_m": 300.0}


def _pt(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def _box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _roads(*lines) -> gpd.GeoDataFrame:
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in lines]
    return gpd.GeoDataFrame(
        {"class": ["branch"] * len(geoms), "status": ["built"] * len(geoms)}, geometry=geoms, crs=CRS
    )


S, W, E = [(0, 0), (600, 0)], [(0, 0), (0, 300)], [(600, 0), (600, 300)]
SCENE_A = _roads(S, [(0, 300), (600, 300)], W, E)
#: Scene B: the north street 60 m from the campus (N2 at y = 340): its north side fronts nothing.
SCENE_B = _roads(S, [(0, 340), (600, 340)], [(0, 0), (0, 340)], [(600, 0), (600, 340)])
CAMPUS = _box(200, 20, 400, 280)


def _gates(*xy, access=None) -> gpd.GeoDataFrame:
    n = len(xy)
    data = {"entrance_id": [f"g{i}" for i in range(n)], "access": access or [None] * n}
    return gpd.GeoDataFrame(data, geometry=[_pt(x, y) for x, y in xy], crs=CRS)


def _walk_m(net, entries, *xy) -> np.ndarray:
    """Walking distances to the entries from points `xy`, checked against networkx."""
    targets = snap_points(net, [_pt(x, y) for x, y in xy])
    got = nearest_source_distance_m(net, entries.snapped, targets)
    np.testing.assert_allclose(got, _networkx_reference(net, entries.snapped, targets), atol=1e-6, rtol=0)
    return got


def _relative(entries) -> np.ndarray:
    return entries.xy - [X0, Y0]


# ------------------------------------------------------------------ gates ----


def test_a_campus_with_one_gate_on_the_far_side_is_walked_into_at_the_gate():
    net = build_walk_network(SCENE_A)
    plain = feature_entries(net, [CAMPUS])
    assert plain.entered.tolist() == ["frontage"] and plain.gates.tolist() == [0]
    assert set(_relative(plain)[:, 1]) == {20.0, 280.0}  # both long sides, 20 m from S and N
    assert _walk_m(net, plain, (300, -10)) == pytest.approx([30.0])
    gated = feature_entries(net, [CAMPUS], _gates((300, 280)))
    assert gated.entered.tolist() == ["gate"] and gated.gates.tolist() == [1]
    np.testing.assert_array_equal(_relative(gated), [[300.0, 280.0]])
    assert _walk_m(net, gated, (300, -10)) == pytest.approx([10 + 900 + 20])
    # from the north street the gate is at the door: 10 m to N, 20 m to the gate
    assert _walk_m(net, gated, (300, 310)) == pytest.approx([30.0])


def test_which_gates_belong_to_a_polygon():
    net = build_walk_network(SCENE_A)
    near, off = RULE.gate_max_m - 1, RULE.gate_max_m + 1  # 4 m and 6 m from the outline
    assert feature_entries(net, [CAMPUS], _gates((300, 280 + near))).entered.tolist() == ["gate"]
    assert feature_entries(net, [CAMPUS], _gates((300, 280 + off))).entered.tolist() == ["frontage"]
    assert feature_entries(net, [CAMPUS], _gates((300, 150))).entered.tolist() == ["frontage"]  # inside, off the fence
    closed = _gates((300, 280), (300, 20), access=["private", None])  # the north gate is staff only
    found = feature_entries(net, [CAMPUS], closed)
    assert found.gates.tolist() == [1] and _relative(found).tolist() == [[300.0, 20.0]]
    assert gate_points(closed).size == 1 and gate_points(closed.drop(columns="access")).size == 2
    # two sites sharing a fence share its gate; a multi-point is two gates
    pair = [_box(200, 20, 300, 280), _box(300, 20, 400, 280)]
    shared = feature_entries(net, pair, [shapely.MultiPoint([(X0 + 300, Y0 + 150), (X0 + 250, Y0 + 20)])])
    assert shared.entered.tolist() == ["gate", "gate"] and shared.gates.tolist() == [2, 1]
    assert shared.feature.tolist() == [0, 0, 1]


# --------------------------------------------------------------- frontage ----


def test_without_gates_only_the_outline_that_fronts_a_walkable_edge_is_an_entrance():
    """Scene B: the campus's north fence lies 60 m from N2 (> 30 m): a resident north of it walks round."""
    net = build_walk_network(SCENE_B)
    found = feature_entries(net, [CAMPUS])
    assert found.entered.tolist() == ["frontage"]
    # the south side (vertices and access points every 50 m): 20 m from S; the sides' next points are 43 m up
    np.testing.assert_array_equal(_relative(found), [[400, 20], [200, 20], [250, 20], [300, 20], [350, 20]])
    np.testing.assert_allclose(found.snapped.snap_m, 20.0)
    # round by W to the south-west corner (200, 20): 300 m west, 340 m south, 200 m east
    assert _walk_m(net, found, (300, 350)) == pytest.approx([10 + (300 + 340 + 200) + 20])
    # with a frontage limit of 70 m the north fence fronts N2 too (as every outline point did for parks before)
    wide = feature_entries(net, [CAMPUS], rule=EntryRule(spacing_m=50.0, gate_max_m=5.0, frontage_max_m=70.0))
    assert _walk_m(net, wide, (300, 350)) == pytest.approx([10 + 60])
    # both 200 m sides (5 points each) and on each 260 m side (6 pieces of 43.3 m) the point 63.3 m up, 63.3 m from S
    assert len(wide.snapped) == 5 + 5 + 2


def test_a_site_fronting_no_walkable_edge_is_entered_along_its_whole_outline():
    """Scene B: a smaller campus 100 m from S and from N2 is still reached, across the gap."""
    net = build_walk_network(SCENE_B)
    inner = _box(200, 100, 400, 240)
    found = feature_entries(net, [inner])
    assert found.entered.tolist() == ["outline"]
    assert len(found.snapped) == 4 + 2 * 3 + 2 * 2  # corners; 200 m sides in 4 pieces, 140 m sides in 3
    assert found.snapped.snap_m.min() == pytest.approx(100.0)
    assert _walk_m(net, found, (300, 350), (300, -10)) == pytest.approx([10 + 100, 10 + 100])


def test_points_are_entered_at_the_point_and_empty_features_not_at_all():
    net = build_walk_network(SCENE_A)
    features = [_pt(100, 10), None, Point(), shapely.MultiPoint([(X0 + 100, Y0 + 10), (X0 + 500, Y0 + 10)]), CAMPUS]
    found = feature_entries(net, features)
    assert found.entered.tolist() == ["point", "none", "none", "point", "frontage"]
    assert found.count[:4].tolist() == [1, 0, 0, 2]
    assert set(found.entered) <= set(ENTERED)
    alone = snap_points(net, [_pt(100, 10)])  # a point facility: the same snap as before the rule
    one = found.of(np.array([True, False, False, False, False]))
    np.testing.assert_array_equal(one.edge, alone.edge)
    np.testing.assert_array_equal(one.snap_m, alone.snap_m)
    table = found.table(["a", "b", "c", "d", "e"])
    assert table.columns.tolist() == ["id", "entered", "entries", "gates"]
    assert table["entries"].tolist() == [1, 0, 0, 2, 10]


def test_a_multipolygon_site_is_entered_on_every_part():
    net = build_walk_network(SCENE_A)
    site = MultiPolygon([_box(50, 20, 100, 60), _box(500, 240, 550, 280)])
    found = feature_entries(net, [site])
    assert found.entered.tolist() == ["frontage"]
    assert _walk_m(net, found, (50, -10), (550, 310)) == pytest.approx([30.0, 30.0])  # at a corner of each part


def test_no_entry_is_on_a_fragment_and_a_site_next_to_one_is_reported_once():
    """A 2 km street and a 50 m isolated piece 40 m above it (a fragment, issue 19.4): a site 5 m above the piece
    fronts no connected edge (45 m to the street) and is entered along its whole outline, from the street."""
    from blockcheck.network import fragment_table

    roads = _roads([(0, 0), (2000, 0)], [(500, 40), (550, 40)])
    net = build_walk_network(roads, fragment_max_m=1000.0)
    found = feature_entries(net, [_box(480, 45, 570, 80), _box(100, 10, 150, 40), _pt(1000, 5)])
    assert found.entered.tolist() == ["outline", "frontage", "point"]
    assert not net.fragment[found.snapped.edge].any()
    assert found.snapped.snap_m[found.feature == 0].min() == pytest.approx(45.0)
    one = found.per_feature()
    assert (one.fragment_edge >= 0).tolist() == [True, False, False]
    assert one.edge.tolist() == [0, 0, 0] and one.snap_m[2] == pytest.approx(5.0)
    assert fragment_table(net, facilities=one)["facilities"].tolist() == [1]


def test_the_rule_is_three_parameters_of_grade_c():
    standards = load_standards("beijing")
    assert EntryRule.from_standards(standards) == RULE == EntryRule(50.0, 5.0, 30.0)
    for key in ("network.entry_spacing_m", "network.entry_gate_max_m", "network.entry_frontage_max_m"):
        entry = standards.entry(key)
        assert entry.kind == "parameter" and entry.grade == "C" and entry.origin == "parameters"
    with pytest.raises(StandardsError, match="spacing_m"):
        EntryRule(0.0, 5.0, 30.0)
    with pytest.raises(StandardsError, match="frontage_max_m"):
        EntryRule(50.0, 5.0, -1.0)


def test_an_analyst_sets_the_rule_in_a_standards_file(tmp_path):
    """Scene B with the frontage limit raised to 70 m in the run's standards: the north fence (60 m from N2) fronts."""
    overrides = tmp_path / "standards.toml"
    overrides.write_text("[network]\nentry_frontage_max_m = 70.0\n", encoding="utf-8")
    standards = load_standards("beijing", overrides=overrides)
    rule = EntryRule.from_standards(standards)
    assert rule == EntryRule(50.0, 5.0, 70.0) and standards.entry("network.entry_frontage_max_m").origin != "parameters"
    net = build_walk_network(SCENE_B)
    assert _walk_m(net, feature_entries(net, [CAMPUS], rule=rule), (300, 350)) == pytest.approx([70.0])


# ----------------------------------------------------------------- metrics ----


def _campus_scene(kind: str, gates: gpd.GeoDataFrame | None) -> dict:
    blocks = gpd.GeoDataFrame({"block_id": ["CP01-0001"]}, geometry=[_box(-50, -50, 650, 350)], crs=CRS)
    residents = gpd.GeoDataFrame(
        {"population": [100.0, 300.0], "block_id": ["CP01-0001"] * 2},
        geometry=[_pt(300, -10), _pt(300, 150)],  # south of S; inside the campus
        crs=CRS,
    )
    site = gpd.GeoDataFrame({kind: ["park" if kind == "kind" else "primary_school"]}, geometry=[CAMPUS], crs=CRS)
    return {"blocks": blocks.set_index("block_id"), "residents": residents, "site": site, "entrances": gates}


@pytest.mark.parametrize("gate", [False, True], ids=["no gate", "gate on the far side"])
def test_facilities_and_parks_follow_the_same_rule(gate: bool):
    """The south resident (100 persons) reaches the campus in 30 m without a gate, 930 m with the far gate; the
    resident inside it (300 persons) is covered either way — as a school (500 m) and as a park (500 m)."""
    gates = _gates((300, 280)) if gate else None
    net = build_walk_network(SCENE_A)
    school = _campus_scene("category", gates)
    ratios = life_circle_coverage(
        school["blocks"],
        school["residents"],
        school["site"],
        net,
        radius_by_category_m={"primary_school": 500.0},
        entrances=gates,
    )
    expected = 0.75 if gate else 1.0
    assert ratios.loc["CP01-0001", "primary_school_coverage_500m_walk_ratio"] == pytest.approx(expected)
    assert ratios.loc["CP01-0001", "life_circle_15min_primary_school_ratio"] == pytest.approx(1.0)  # 930 <= 1000
    park = _campus_scene("kind", gates)
    walk = park_coverage_ratio(
        park["blocks"], park["residents"], park["site"], network=net, entrances=gates, **PARK_RULE
    )
    assert walk.loc["CP01-0001"] == pytest.approx(expected)


def test_a_category_is_as_near_as_the_nearest_entry_of_any_of_its_sites():
    """Two schools: the gated campus (930 m away) and a small site fronting S at 2 km (1690 m): min is 930."""
    roads = _roads([(0, 0), (2600, 0)], [(0, 300), (600, 300)], W, E)
    net = build_walk_network(roads)
    schools = gpd.GeoDataFrame(
        {"category": ["primary_school", "primary_school", "kindergarten"]},
        geometry=[CAMPUS, _box(1980, 10, 2020, 50), _pt(300, -5)],
        crs=CRS,
    )
    gates = _gates((300, 280))
    found = feature_entries(net, schools, gates)
    assert found.entered.tolist() == ["gate", "frontage", "point"]
    mask = (schools["category"] == "primary_school").to_numpy()
    targets = snap_points(net, [_pt(300, -10)])
    got = nearest_source_distance_m(net, found.of(mask), targets)
    assert got == pytest.approx([930.0])
    np.testing.assert_allclose(got, _networkx_reference(net, found.of(mask), targets), atol=1e-6, rtol=0)
    blocks = gpd.GeoDataFrame({"block_id": ["B1"]}, geometry=[_box(-50, -50, 2650, 350)], crs=CRS).set_index("block_id")
    residents = gpd.GeoDataFrame({"population": [1.0], "block_id": ["B1"]}, geometry=[_pt(300, -10)], crs=CRS)
    radii = {"primary_school": 929.0, "kindergarten": 300.0}
    one = life_circle_coverage(blocks, residents, schools, net, radius_by_category_m=radii, entrances=gates)
    two = life_circle_coverage(
        blocks, residents, schools, net, radius_by_category_m={**radii, "primary_school": 930.0}, entrances=gates
    )
    assert one["primary_school_coverage_929m_walk_ratio"].iloc[0] == 0.0
    assert two["primary_school_coverage_930m_walk_ratio"].iloc[0] == 1.0
    assert one["kindergarten_coverage_300m_walk_ratio"].iloc[0] == 1.0  # the point: 5 + 10 m
    # the entries made by the caller give the same figures
    given = life_circle_coverage(blocks, residents, schools, net, radius_by_category_m=radii, entries=found)
    pd.testing.assert_frame_equal(given, one)
    with pytest.raises(Exception, match="entries describe 2 features"):
        life_circle_coverage(
            blocks, residents, schools, net, radius_by_category_m=radii, entries=feature_entries(net, [CAMPUS, CAMPUS])
        )


def test_the_validation_note_counts_how_sites_are_entered():
    table = pd.DataFrame(
        {
            "layer": ["facilities", "facilities", "facilities", "green"],
            "id": ["F1", "F2", "F3", "G1,G2"],
            "category": ["primary_school", "hospital", "sports", "park"],
            "entered": ["gate", "frontage", "outline", "frontage"],
            "entries": [2, 7, 12, 9],
            "gates": [2, 0, 0, 0],
        }
    )
    report = ValidationReport("test")
    report_entries(report, table, RULE)
    facilities, parks = report.issues
    assert (facilities.severity, facilities.code, facilities.layer) == ("info", "walk_entries", "facilities")
    assert facilities.message.startswith(
        "Walking distances enter 3 polygon facilities (of the categories measured by walking) where people enter "
        "them: 1 at their gates (2 gate(s) of the entrances layer within 5 m of an outline), 1 along the stretches "
        "of their outline that front a walkable edge (within 30 m; access points at most 50 m apart) and 1 along "
        "their whole outline"
    )
    assert facilities.ids == ("F3",) and "network.entry_frontage_max_m" in facilities.fix
    assert parks.layer == "green" and parks.message.startswith("Walking distances enter 1 parks") and not parks.ids
    empty = ValidationReport("test")
    report_entries(empty, table.iloc[:0], RULE)
    assert not empty.issues


def test_entrances_layer_is_checked_and_its_absence_is_no_warning(tmp_path):
    from districts import tiny_layers

    layers = tiny_layers()
    plain = check_input(write_gpkg(tmp_path / "plain.gpkg", layers))
    assert "entrances" not in plain.checked.layers
    assert not [i for i in plain.checked.report.issues if i.layer == "entrances"]
    x0, y0 = layers["blocks"].total_bounds[:2]
    gates = gpd.GeoDataFrame(
        {"entrance_id": ["E1", "E2"], "name": ["南门", "后门"], "access": ["开放", "内部"]},
        geometry=[Point(x0 + 275, y0 + 20), Point(x0 + 250, y0 + 40)],
        crs=layers["blocks"].crs,
    )
    checked = check_input(write_gpkg(tmp_path / "gates.gpkg", {**layers, "entrances": gates}))
    assert checked.checked.layers["entrances"]["access"].tolist() == ["public", "private"]
    health = hc.health_check(checked.checked.layers, checked.standards)
    # the elderly-care home F2 box(250, 20, 300, 60) has its open gate E1 on its south side
    assert health.entries.to_dict("records")[0] == {
        "layer": "facilities",
        "id": "F2",
        "category": "elderly_care",
        "entered": "gate",
        "entries": 1,
        "gates": 1,
    }
    assert health.entries["layer"].tolist() == ["facilities", "green"]
    from blockcheck.pipeline import run

    run(tmp_path / "gates.gpkg", tmp_path / "out", until="health")
    report = gpd.read_file(tmp_path / "out" / "workbook.gpkg", layer="validation_report")
    notes = report[report["code"] == "walk_entries"].set_index("layer")
    assert notes.loc["facilities", "message"].startswith(
        "Walking distances enter 1 polygon facilities (of the categories measured by walking) where people enter "
        "them: 1 at their gates (1 gate(s)"
    )
    assert notes.loc["green", "message"].startswith("Walking distances enter 1 parks where people enter them: 0 at")
    assert notes["severity"].tolist() == ["info", "info"]
    wrong = gates.set_geometry(gates.buffer(2.0))
    bad = check_input(write_gpkg(tmp_path / "bad.gpkg", {**layers, "entrances": wrong}))
    assert ("wrong_geometry_type", "entrances") in {(i.code, i.layer) for i in bad.checked.report.errors}


def test_users_own_gates_are_read_through_a_field_mapping(tmp_path):
    from districts import tiny_layers

    layers = tiny_layers()
    x0, y0 = layers["blocks"].total_bounds[:2]
    own = gpd.GeoDataFrame(
        {"编号": ["M1", "M2"], "门名": ["南门", "北门"], "状态": ["常开", "常闭"]},
        geometry=[Point(x0 + 275, y0 + 20), Point(x0 + 275, y0 + 60)],
        crs=layers["blocks"].crs,
    )
    path = write_gpkg(tmp_path / "own.gpkg", {**layers, "小区大门": own})
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[layers.entrances]\nsource = "小区大门"\n[layers.entrances.fields]\nentrance_id = "编号"\nname = "门名"\n'
        'access = "状态"\n[layers.entrances.values.access]\n"常开" = "public"\n',
        encoding="utf-8",
    )
    checked = check_input(path, mapping=mapping)
    gates = checked.checked.layers["entrances"]
    assert gates[["entrance_id", "name", "access"]].values.tolist() == [
        ["M1", "南门", "public"],
        ["M2", "北门", "private"],
    ]
    entries = hc.entry_table(
        build_walk_network(checked.checked.layers["roads"]), checked.checked.layers, checked.standards
    )
    assert entries.set_index("id").loc["F2", ["entered", "gates"]].tolist() == ["gate", 1]  # the closed gate is not


# -------------------------------------------------------------- real data ----


@cache
def _xueyuan() -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, object]:
    """The checked layers of the Xueyuan extract (one community over it), its residents and the run's network."""
    if not XUEYUAN.exists():
        pytest.skip(f"real data not available: {XUEYUAN}")
    folder = Path(tempfile.mkdtemp(prefix="xueyuan-entries-"))
    checked = check_input(write_gpkg(folder / "input.gpkg", xueyuan_layers()))
    health = hc.health_check(checked.checked.layers, checked.standards)
    return checked.checked.layers, health.residents, health


def _area_coverage(facilities: gpd.GeoDataFrame, radii: dict, **kw) -> dict[str, float]:
    layers, residents, health = _xueyuan()
    area = gpd.GeoDataFrame(geometry=[shapely.union_all(layers["blocks"].geometry.values)], crs=health.network.crs)
    area.index = ["ALL"]
    ratios = life_circle_coverage(
        area, residents.assign(block_id="ALL"), facilities, health.network, radius_by_category_m=radii, **kw
    )
    return {name: float(ratios[f"{name}_coverage_{int(r)}m_walk_ratio"].iloc[0]) for name, r in radii.items()}


#: 北京石油学院附属中学, a 1.25 ha middle-school site (OSM way 365816824).
SCHOOL = "osm_w365816824"


@pytest.mark.shared
def test_shared_xueyuan_schools_are_entered_along_their_frontage_and_coverage_rises():
    """No mapped gate of the extract lies on a school's outline (its 19 gates are on campus walls, the nearest
    14.9 m from a facility or park); the schools are entered along the stretches of their outline that front a
    walkable edge. Before (a point inside each site, as until issue 19.3) and after, on the run's network:"""
    layers, residents, health = _xueyuan()
    assert len(layers["entrances"]) == 19
    sites = layers["facilities"][layers["facilities"].geom_type.isin(["Polygon", "MultiPolygon"])]
    outlines = shapely.boundary(sites.geometry.to_numpy())
    nearest = [shapely.distance(gate, outlines).min() for gate in layers["entrances"].geometry]
    assert min(nearest) == pytest.approx(14.9, abs=0.1) and min(nearest) > RULE.gate_max_m
    table = health.entries.set_index("id")
    assert table.loc[SCHOOL, ["category", "entered", "entries", "gates"]].tolist() == [
        "middle_school",
        "frontage",
        4,
        0,
    ]
    assert set(table.loc[table["category"].isin(["primary_school", "middle_school"]), "entered"]) == {"frontage"}
    counts = table.groupby("layer")["entered"].value_counts().to_dict()
    assert counts == {("facilities", "frontage"): 20, ("facilities", "outline"): 5, ("green", "frontage"): 7}
    # the middle school is reached at its outline: every resident walks no farther than to its inner point
    net = health.network
    school = sites.set_index("facility_id").geometry[[SCHOOL]]
    targets = snap_points(net, residents.geometry)
    inner = nearest_source_distance_m(net, snap_points(net, shapely.point_on_surface(school.values)), targets)
    found = feature_entries(net, school, layers["entrances"])
    outline = nearest_source_distance_m(net, found.snapped, targets)
    assert (outline <= inner + 1e-9).all() and np.median(inner - outline) == pytest.approx(73.9, abs=0.1)
    # life-circle coverage of the whole area, before → after (share of residents)
    radii = {
        "kindergarten": 300.0,
        "primary_school": 500.0,
        "middle_school": 1000.0,
        "community_health_center": 1000.0,
        "culture": 1000.0,
    }
    points = layers["facilities"].set_geometry(shapely.point_on_surface(layers["facilities"].geometry.to_numpy()))
    before = _area_coverage(points, radii)
    after = _area_coverage(layers["facilities"], radii, entrances=layers["entrances"])
    assert before == pytest.approx(
        {
            "kindergarten": 0.017,
            "primary_school": 0.085,
            "middle_school": 0.165,
            "community_health_center": 0.347,
            "culture": 0.919,
        },
        abs=0.001,
    )
    assert after == pytest.approx(
        {
            "kindergarten": 0.214,
            "primary_school": 0.213,
            "middle_school": 0.165,
            "community_health_center": 0.546,
            "culture": 0.947,
        },
        abs=0.001,
    )
    assert after["kindergarten"] == pytest.approx(health.area_metrics["kindergarten_coverage_300m_walk_ratio"].iloc[0])


@pytest.mark.shared
def test_shared_xueyuan_a_gate_on_the_school_outline_is_where_it_is_entered():
    """A gate added on the middle school's outline (as an analyst would map it): the school is entered there only,
    and every resident's distance to it is the networkx distance to the gate."""
    layers, residents, health = _xueyuan()
    net = health.network
    school = layers["facilities"].set_index("facility_id").geometry[[SCHOOL]]
    plain = feature_entries(net, school)
    door = shapely.points(plain.xy[np.argmin(plain.snapped.snap_m)])  # its access point nearest a walkable edge
    gates = gpd.GeoDataFrame({"entrance_id": ["door"]}, geometry=[door], crs=net.crs)
    found = feature_entries(net, school, pd.concat([layers["entrances"], gates], ignore_index=True))
    assert found.entered.tolist() == ["gate"] and found.gates.tolist() == [1]
    np.testing.assert_array_equal(found.xy, shapely.get_coordinates(door))
    targets = snap_points(net, residents.geometry)
    got = nearest_source_distance_m(net, found.snapped, targets)
    np.testing.assert_allclose(got, _networkx_reference(net, found.snapped, targets), atol=1e-6, rtol=0)
    assert (got >= nearest_source_distance_m(net, plain.snapped, targets) - 1e-9).all()


@pytest.mark.shared
def test_shared_xueyuan_networkx_agrees_on_the_run_network_for_every_entry():
    """The run's network (roads and footways, grade-separated, with fragments): for each category with polygon
    sites, the distance from every resident to the nearest entry equals networkx's, and the coverage the metric
    reports equals the share recomputed from networkx's distances (residents inside a site at 0)."""
    layers, residents, health = _xueyuan()
    net = health.network
    assert net.fragment.any() and (layers["roads"]["class"] == "footway").any()
    facilities = layers["facilities"]
    found = feature_entries(net, facilities, layers["entrances"])
    targets = snap_points(net, residents.geometry)
    population = residents["population"].to_numpy(dtype=float)
    radii = {"kindergarten": 300.0, "primary_school": 500.0, "middle_school": 1000.0, "hospital": 1000.0}
    for category, radius in radii.items():
        mask = (facilities["category"] == category).to_numpy()
        sources = found.of(mask)
        got = nearest_source_distance_m(net, sources, targets)
        reference = _networkx_reference(net, sources, targets)
        np.testing.assert_allclose(got, reference, atol=1e-6, rtol=0, err_msg=category)
        inside = shapely.STRtree(facilities.geometry.to_numpy()[mask]).query(
            residents.geometry.to_numpy(), predicate="intersects"
        )[0]
        reference[inside] = 0.0
        share = population[reference <= radius].sum() / population.sum()
        assert _area_coverage(facilities, {category: radius}, entrances=layers["entrances"])[category] == (
            pytest.approx(share, abs=1e-12)
        )
