"""The contract every public metric function keeps, checked for all of them (in the style of momepy's tests).

Every function in the ``__all__`` of a module of ``blockcheck/metrics/`` is found
by introspection, so a new metric is checked as soon as it is exported. A
*block metric* (all of them but :data:`NOT_METRICS` and :data:`RESIDENT_BUILDERS`)
must:

- return a pandas Series or DataFrame with the index of `blocks`, in its order;
- name every output (Series name, DataFrame columns) with a unit suffix of :data:`UNIT_SUFFIXES`;
- give the same numbers when the blocks and every other input come in another
  row order (compared after reindexing, atol 1e-9);
- leave its input frames as they were;
- take its data (GeoDataFrames, per-block Series/DataFrames, the walking network,
  a raster file) positionally and every option keyword-only;
- carry a numpydoc docstring with a ``Returns`` section.

The resident builders return resident points rather than block rows: the same
signature and docstring rules, and their per-block totals must not depend on row order.

Inputs come from one factory (:func:`_arguments`) over a tiny scene in EPSG:32650
(UTM 50N, Beijing)::

    y=400 +-----------+-----------+
          |  CP-04    |  CP-02    |   four 200 m blocks, listed CP-03, CP-01, CP-04, CP-02
          |           |  park     |   roads: outer ring (arterial), middle lines (secondary,
    y=200 +-----------+-----------+   branch, half planned), an internal road, a planned
          |  CP-03    |  CP-01    |   expressway; two parks, facilities of every provision
          |  park     |           |   category, buildings, parking, parcels, two communities
    y=0   +-----------+-----------+   and a 4 × 4 raster of 100 m pixels
          x=0         x=200       x=400

A function needing an input or an option the factory does not know fails with a
message saying where to add it. No resident lies exactly midway between two
walkable roads: such ties are checked on their own (they do depend on the roads'
order today, see the xfail test).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

import blockcheck.metrics
from blockcheck.network import build_walk_network
from blockcheck.standards import load_standards

CRS = "EPSG:32650"
X0, Y0 = 440_000.0, 4_430_000.0

#: Unit suffixes an output name may end with — the ones the metric code uses today.
UNIT_SUFFIXES = (
    "_m",  # road_length_m
    "_m2",  # park_green_m2, underground_area_m2, supply_culture_floor_m2
    "_km",  # road_length_km
    "_km_per_km2",  # road_density_km_per_km2, road_density_<class>_km_per_km2
    "_m2_per_capita",  # park_green_m2_per_capita
    "_ha",  # supply_school_land_ha, gap_sports_land_ha
    "_ratio",  # *_coverage_*m_ratio, *_walk_ratio, life_circle_*_ratio, job_housing_ratio …
    "_count",  # old_residential_buildings_count, gap_bus_terminal_count
    "_beds",  # gap_hospital_beds, gap_elderly_care_beds
    "_seats",  # gap_kindergarten_seats
    "_spaces",  # parking_gap_spaces
)

#: Exported functions that are not metrics, with the reason.
NOT_METRICS = {
    "block_index_of": "assigns features to blocks (positions, not block rows)",
    "given_or_block_index_of": "assigns features to blocks (positions, not block rows)",
    "representative_points": "a point inside each feature (one per feature, not block rows)",
    "given_or_representative_points": "a point inside each feature (one per feature, not block rows)",
    "sum_by_block": "helper: sums given values by block position",
    "overlap_area_m2": "helper: overlap of given polygons per block",
    "provision_specs": "loads the provision catalogue",
    "park_polygons": "the parks as the park metrics count them (overlapping polygons joined), not block rows",
    "catchment_pairs": "pairs each facility with the blocks its catchment reaches (positions, not block rows)",
}
#: Exported functions returning resident points (one row per resident, not per block).
RESIDENT_BUILDERS = ("residents_from_communities", "residents_from_raster")

#: Contract checks a function fails today, with the reason; each is reported to the lead and
#: marked xfail(strict=True), so the mark must go when the function is fixed.
KNOWN_FAILURES = {
    ("units", "block_population"): "population, households, elderly_population, resident_workers carry no unit suffix",
    ("units", "job_housing_ratio"): "the column 'jobs' carries no unit suffix",
    ("units", "facility_within_reach"): "'<category>_within_reach' (a 1.0 / 0.0 flag) carries no unit suffix",
}

# ------------------------------------------------------------------------------ discovery


def _public_functions() -> dict[str, object]:
    found = {}
    for info in pkgutil.iter_modules(blockcheck.metrics.__path__):
        module = importlib.import_module(f"blockcheck.metrics.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if callable(obj) and not inspect.isclass(obj):  # functions, also behind functools.cache
                found[name] = obj
    return found


FUNCTIONS = _public_functions()
METRICS = sorted(n for n in FUNCTIONS if n not in NOT_METRICS and n not in RESIDENT_BUILDERS)
CHECKED = sorted(n for n in FUNCTIONS if n not in NOT_METRICS)


def _cases(names: list[str], check: str) -> list:
    out = []
    for name in names:
        reason = KNOWN_FAILURES.get((check, name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


def test_discovery_finds_the_metrics_and_the_exclusions_are_current() -> None:
    assert len(METRICS) >= 15, METRICS
    assert {"road_network_metrics", "facility_provision", "life_circle_coverage", "park_green_m2"} <= set(METRICS)
    stale = sorted(set(NOT_METRICS) - set(FUNCTIONS)) + sorted(set(RESIDENT_BUILDERS) - set(FUNCTIONS))
    assert not stale, f"no longer exported, remove from the test's lists: {stale}"
    assert all(check in {"signature", "docstring", "units", "output", "order", "inputs"} for check, _ in KNOWN_FAILURES)
    unknown = sorted({name for _, name in KNOWN_FAILURES} - set(FUNCTIONS))
    assert not unknown, f"KNOWN_FAILURES names functions that are not exported: {unknown}"


# ------------------------------------------------------------------------------ the scene


def _b(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _p(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def _l(*pts: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def _gdf(data: dict, geoms: list, index: list | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS, index=index)


def _raster(path: Path) -> Path:
    import rasterio
    from rasterio.transform import Affine

    values = np.arange(1.0, 17.0).reshape(4, 4)  # persons per 100 m pixel
    profile = {
        "driver": "GTiff",
        "width": 4,
        "height": 4,
        "count": 1,
        "dtype": "float64",
        "crs": CRS,
        "transform": Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + 400),  # 100 m pixels from the top-left corner
        "nodata": -1.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path


def _scene(raster: Path) -> dict:
    from blockcheck.metrics.population import block_population, residents_from_communities

    blocks = _gdf(
        {"name": ["甲", "乙", "丙", "丁"]},
        [_b(0, 0, 200, 200), _b(200, 0, 400, 200), _b(0, 200, 200, 400), _b(200, 200, 400, 400)],
        index=pd.Index(["CP-03", "CP-01", "CP-04", "CP-02"], name="block_id"),
    )
    roads = _gdf(
        {
            "road_id": [f"r{i}" for i in range(1, 10)],
            "class": ["arterial"] * 4 + ["secondary", "branch", "branch", "internal", "expressway"],
            "status": ["built"] * 6 + ["planned", "built", "planned"],
        },
        [
            _l((0, 0), (400, 0)),
            _l((0, 400), (400, 400)),
            _l((0, 0), (0, 400)),
            _l((400, 0), (400, 400)),
            _l((200, 0), (200, 400)),  # on the edge between blocks
            _l((0, 200), (200, 200)),
            _l((200, 200), (400, 200)),
            _l((50, 100), (150, 100)),  # inside CP-03
            _l((20, 250), (180, 350)),  # planned, inside CP-04
        ],
    )
    green = _gdf(
        {"kind": ["park", "park", "attached"]},
        [_b(250, 250, 350, 310), _b(120, 20, 170, 70), _b(250, 50, 300, 100)],  # 6,000 m², 2,500 m², not a park
    )
    facilities = _gdf(
        {
            "category": [
                "bus_stop",
                "bus_stop",
                "kindergarten",
                "elderly_care",
                "hospital",
                "primary_school",
                "bus_terminal",
                "culture",
                "sports",
            ],
            "seats": [np.nan, np.nan, 120, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            "beds": [np.nan, np.nan, np.nan, 30, 100, np.nan, np.nan, np.nan, np.nan],
            "land_area_m2": [np.nan] * 5 + [np.nan, np.nan, np.nan, 2000.0],
            "floor_area_m2": [np.nan] * 7 + [500.0, np.nan],
        },
        [
            _p(100, 190),
            _p(300, 390),
            _p(60, 160),
            _p(320, 120),
            _p(330, 330),
            _b(30, 220, 90, 280),  # a school site: its own area counts
            _p(380, 20),
            _p(150, 300),
            _p(260, 330),
        ],
    )
    buildings = _gdf(
        {
            "use": ["residential", "residential", "office", "mixed", "residential", "residential", "industrial"]
            + ["residential", "residential"],
            "floors": [6, 4, 8, 5, 10, 3, 2, 12, 2],
            "employees": [0, 0, 200, 50, 0, 0, 80, 0, 0],
            "year_built": [1985, 2005, 2000, 1995, 2010, 1970, 1990, 2015, 1960],
            "underground_area_m2": [400, 0, 0, 0, 800, 0, 0, 500, 0],
            "underground_used_m2": [100, 0, 0, 0, 800, 0, 0, 0, 0],
        },
        [  # no residential building's point is equidistant from two walkable roads (see _TIES)
            _b(20, 25, 60, 60),
            _b(70, 120, 110, 150),
            _b(130, 130, 170, 170),
            _b(220, 120, 260, 170),
            _b(320, 20, 360, 60),
            _b(100, 300, 140, 345),
            _b(20, 360, 60, 390),
            _b(210, 210, 240, 240),
            _b(360, 355, 390, 390),
        ],
    )
    parking = _gdf(
        {"spaces": [50, 120, 30], "access": ["public", "private", "public"]},
        [_p(80, 80), _p(280, 150), _p(150, 250)],
    )
    parcels = _gdf(
        {"land_use": ["M1", "M1", "R2"]},
        [_b(0, 340, 100, 400), _b(150, 0, 250, 50), _b(0, 0, 100, 100)],  # the second straddles two blocks
    )
    communities = _gdf(
        {
            "population": [3000, 2000],
            "households": [1100, 700],
            "elderly_population": [400, 300],
            "resident_workers": [1500, 1000],
        },
        [_b(0, 0, 200, 400), _b(200, 0, 400, 400)],
    )
    residents = residents_from_communities(blocks, communities, buildings)
    population = block_population(blocks, residents)
    return {
        "blocks": blocks,
        "roads": roads,
        "green": green,
        "facilities": facilities,
        "buildings": buildings,
        "parking": parking,
        "parcels": parcels,
        "communities": communities,
        "residents": residents,
        "population_frame": population,
        "network": build_walk_network(roads),
        "raster_path": raster,
    }


def _shuffled(scene: dict, seed: int) -> dict:
    """The scene with every frame in another row order (labels kept), the network rebuilt from the shuffled roads."""
    rng = np.random.default_rng(seed)
    out = dict(scene)
    for key, value in scene.items():
        if isinstance(value, pd.DataFrame):
            order = rng.permutation(len(value))
            while len(value) > 1 and (order == np.arange(len(value))).all():
                order = rng.permutation(len(value))
            out[key] = value.iloc[order]
    out["network"] = build_walk_network(out["roads"])
    return out


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    scene = _scene(_raster(tmp_path_factory.mktemp("raster") / "people.tif"))
    return scene, _shuffled(scene, seed=13)


# ------------------------------------------------------------------------------ the input factory

#: Values of required keyword-only options, by parameter name.
OPTIONS = {
    "radius_m": 150.0,  # short enough that some residents and blocks are out of reach
    "radius_by_category_m": {"kindergarten": 300.0, "elderly_care": 500.0, "library": 500.0},  # library: none
    "large_min_area_m2": 5000.0,
    "large_radius_m": 150.0,
    "small_min_area_m2": 2000.0,
    "small_radius_m": 80.0,
    "spaces_per_household": 1.0,
    "built_up_to_year": 2000,
    "category": "bus_terminal",
}
#: Optional inputs a function is also run with (one variant per entry; the default run passes none).
VARIANTS = {"park_coverage_ratio": {"walk": ("network",)}}


def _positional(scene: dict, param: inspect.Parameter, func: str) -> object:
    """The scene's value for a data parameter, by name (and by annotation for ``population``)."""
    name, note = param.name, str(param.annotation)
    if name == "population":
        return scene["population_frame"] if "DataFrame" in note else scene["population_frame"]["population"]
    if name in ("households", "resident_workers"):
        return scene["population_frame"][name]
    if name == "standards":
        return load_standards("beijing")
    if name in scene:
        return scene[name]
    pytest.fail(f"{func}: the contract test has no input for parameter {name!r}; add it to _scene or _positional")


def _arguments(func: str, scene: dict, variant: str | None = None) -> tuple[list, dict]:
    """Positional data and keyword options to call metric `func` on `scene`."""
    args, kwargs = [], {}
    for param in inspect.signature(FUNCTIONS[func]).parameters.values():
        required = param.default is inspect.Parameter.empty
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            if required or param.name in scene:
                args.append(_positional(scene, param, func))
        elif param.kind is param.KEYWORD_ONLY:
            if param.name in VARIANTS.get(func, {}).get(variant, ()):
                kwargs[param.name] = scene[param.name]
            elif param.name == "standards":
                kwargs[param.name] = load_standards("beijing")
            elif required:
                if param.name not in OPTIONS:
                    pytest.fail(f"{func}: the contract test has no value for option {param.name!r}; add it to OPTIONS")
                kwargs[param.name] = OPTIONS[param.name]
    return args, kwargs


def _run(func: str, scene: dict, variant: str | None = None) -> object:
    args, kwargs = _arguments(func, scene, variant)
    return FUNCTIONS[func](*args, **kwargs)


def _metric_cases(check: str) -> list:
    out = []
    for case in _cases(METRICS, check):
        name = case.values[0]
        for variant in (None, *VARIANTS.get(name, {})):
            out.append(pytest.param(name, variant, id=name + (f"[{variant}]" if variant else ""), marks=case.marks))
    return out


# ------------------------------------------------------------------------------ the checks


def _names(result: pd.Series | pd.DataFrame) -> list:
    return [result.name] if isinstance(result, pd.Series) else list(result.columns)


@pytest.mark.parametrize(("func", "variant"), _metric_cases("output"))
def test_output_is_index_aligned_with_the_blocks(func: str, variant: str | None, scenes: tuple[dict, dict]) -> None:
    for scene in scenes:
        result = _run(func, scene, variant)
        assert isinstance(result, pd.Series | pd.DataFrame), f"{func} returned {type(result).__name__}"
        assert result.index.equals(scene["blocks"].index), f"{func}: index {list(result.index)} is not the blocks'"
        assert len(_names(result)) and all(isinstance(n, str) and n for n in _names(result)), f"{func}: unnamed output"


@pytest.mark.parametrize(("func", "variant"), _metric_cases("units"))
def test_output_names_carry_a_unit(func: str, variant: str | None, scenes: tuple[dict, dict]) -> None:
    names = _names(_run(func, scenes[0], variant))
    without = [n for n in names if not str(n).endswith(UNIT_SUFFIXES)]
    assert not without, f"{func}: output names without a unit suffix {UNIT_SUFFIXES}: {without}"


@pytest.mark.parametrize(("func", "variant"), _metric_cases("order"))
def test_result_does_not_depend_on_row_order(func: str, variant: str | None, scenes: tuple[dict, dict]) -> None:
    scene, shuffled = scenes
    expected, got = _run(func, scene, variant), _run(func, shuffled, variant)
    assert not (isinstance(expected, pd.Series) and expected.isna().all()), f"{func}: all NaN on the fixture"
    if isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(got.reindex(expected.index), expected, check_exact=False, rtol=0, atol=1e-9)
    else:
        assert not expected.isna().all().all(), f"{func}: all NaN on the fixture"
        pd.testing.assert_frame_equal(got.reindex(expected.index), expected, check_exact=False, rtol=0, atol=1e-9)


@pytest.mark.parametrize("func", _cases(CHECKED, "inputs"))
def test_inputs_are_left_unchanged(func: str, scenes: tuple[dict, dict]) -> None:
    scene = scenes[1]
    args, kwargs = _arguments(func, scene)
    copies = [a.copy() if isinstance(a, pd.Series | pd.DataFrame) else None for a in args]
    FUNCTIONS[func](*args, **kwargs)
    for arg, copy in zip(args, copies, strict=True):
        if isinstance(arg, pd.DataFrame):
            pd.testing.assert_frame_equal(arg, copy)
        elif isinstance(arg, pd.Series):
            pd.testing.assert_series_equal(arg, copy)


#: What a positional (data) parameter may be annotated with; anything else must be keyword-only.
DATA_TYPES = ("GeoDataFrame", "DataFrame", "Series", "WalkNetwork", "PathLike")


@pytest.mark.parametrize("func", _cases(CHECKED, "signature"))
def test_options_are_keyword_only(func: str) -> None:
    params = list(inspect.signature(FUNCTIONS[func]).parameters.values())
    assert params[0].name == "blocks", f"{func}: the first parameter is {params[0].name!r}, not 'blocks'"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    options = [
        f"{p.name}: {p.annotation}"
        for p in positional
        if p.kind is p.VAR_POSITIONAL or not any(t in str(p.annotation) for t in DATA_TYPES)
    ]
    assert not options, f"{func}: options taken positionally (make them keyword-only, after `*`): {options}"


@pytest.mark.parametrize("func", _cases(CHECKED, "docstring"))
def test_numpydoc_docstring_with_returns(func: str) -> None:
    doc = inspect.getdoc(FUNCTIONS[func]) or ""
    assert doc.split("\n", 1)[0].strip(), f"{func}: no summary line"
    assert re.search(r"^Returns\n-{3,}$", doc, flags=re.MULTILINE), f"{func}: no numpydoc 'Returns' section"


#: Residential buildings whose points lie exactly midway between two walkable roads: (40, 40) between
#: x=0 and y=0, (120, 320) between x=200 and y=400, (375, 375) between x=400 and y=400.
_TIES = {0: (20, 20, 60, 60), 5: (100, 300, 140, 340), 8: (360, 360, 390, 390)}
_WALKING = [("life_circle_coverage", None), ("park_coverage_ratio", "walk")]


@pytest.mark.xfail(
    strict=True,
    reason="a point equidistant from two edges snaps to either (blockcheck.network.snap_points: 'one is chosen "
    "arbitrarily', in fact by the roads' order), and the walking distances from the two differ",
)
@pytest.mark.parametrize(("func", "variant"), _WALKING, ids=[f for f, _ in _WALKING])
def test_walking_metrics_at_a_snapping_tie_do_not_depend_on_road_order(
    func: str, variant: str | None, scenes: tuple[dict, dict]
) -> None:
    from blockcheck.metrics.population import residents_from_communities

    scene = dict(scenes[0])
    buildings = scene["buildings"].copy()
    for position, corners in _TIES.items():
        buildings.iloc[position, buildings.columns.get_loc("geometry")] = _b(*corners)
    scene["residents"] = residents_from_communities(scene["blocks"], scene["communities"], buildings)
    expected = _run(func, scene, variant)
    for seed in range(20):
        roads = scene["roads"].sample(frac=1.0, random_state=seed)
        got = _run(func, {**scene, "roads": roads, "network": build_walk_network(roads)}, variant)
        np.testing.assert_allclose(
            np.asarray(got, float), np.asarray(expected, float), atol=1e-9, err_msg=f"seed {seed}"
        )


# ------------------------------------------------------------------------------ resident builders


@pytest.mark.parametrize("func", _cases(list(RESIDENT_BUILDERS), "output"))
def test_resident_builders_return_points_of_the_blocks_whatever_the_row_order(
    func: str, scenes: tuple[dict, dict]
) -> None:
    from blockcheck.metrics.population import RESIDENT_COLUMNS, block_population

    totals = []
    for scene in scenes:
        residents = _run(func, scene)
        assert isinstance(residents, gpd.GeoDataFrame) and len(residents) > 0
        assert (residents.geometry.geom_type == "Point").all() and residents.crs == scene["blocks"].crs
        assert set(residents["block_id"]) <= set(scene["blocks"].index)
        assert list(residents.columns[: len(RESIDENT_COLUMNS)]) == list(RESIDENT_COLUMNS)
        totals.append(block_population(scene["blocks"], residents))
    assert totals[0]["population"].sum() > 0
    pd.testing.assert_frame_equal(totals[1].reindex(totals[0].index), totals[0], check_exact=False, rtol=0, atol=1e-9)
