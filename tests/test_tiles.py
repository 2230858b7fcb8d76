"""``blockcheck run --tiles``: tiles of whole blocks computed on Dask workers give the whole-city run's results."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from blockcheck.cli import main
from blockcheck.errors import InputError
from blockcheck.io import write_gpkg
from blockcheck.lists.resources import find_resources, locate_resources
from blockcheck.network import build_walk_network, nearest_source_distance_m, snap_points
from blockcheck.pipeline import check_input, run
from blockcheck.steps.health_check import health_check
from blockcheck.tiles import TiledBlockMetrics, halo_m, parse_tiles, tile_of_blocks
from blockcheck.tiles.compare import compare_workbooks
from blockcheck.tiles.network import subnetwork
from blockcheck.tiles.partition import HALO_SLACK_M, overlap_groups
from test_batch_scheduler import scheduler  # noqa: F401 - the fixture: `dask scheduler` + 2 `dask worker`s on TCP

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_blocks" / "sample_district.gpkg"


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two worker processes (one thread each), shared by the module's tests."""
    from distributed import LocalCluster

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
            yield local.scheduler_address


def _squares(xs, ys, size=100.0) -> gpd.GeoDataFrame:
    geoms = [shapely.box(x, y, x + size, y + size) for x, y in zip(xs, ys, strict=True)]
    return gpd.GeoDataFrame({"block_id": [f"B{i}" for i in range(len(geoms))]}, geometry=geoms, crs=4548)


@pytest.mark.parametrize(("given", "expected"), [("auto", "auto"), ("AUTO", "auto"), ("4", 4), (1, 1), ("+2", 2)])
def test_tiles_are_auto_or_a_whole_number(given, expected) -> None:
    assert parse_tiles(given) == expected


@pytest.mark.parametrize("given", ["0", "-3", "2.5", "four", ""])
def test_other_tiles_are_refused_with_the_fix(given) -> None:
    with pytest.raises(InputError, match="give 'auto' or a whole number"):
        parse_tiles(given)


def test_tiles_cut_columns_by_x_then_rows_by_y() -> None:
    # a 3 × 2 grid of blocks (x 0, 100, 200; y 0, 100), listed row by row
    blocks = _squares([0, 100, 200, 0, 100, 200], [0, 0, 0, 100, 100, 100])
    assert tile_of_blocks(blocks, 1).tolist() == [0] * 6
    # 2 tiles: one column (⌊√2⌋ = 1) cut by y into the lower and upper row
    assert tile_of_blocks(blocks, 2).tolist() == [0, 0, 0, 1, 1, 1]
    # 4 tiles: 2 columns (by x: 3 blocks each) of 2 rows (by y): tile sizes 2, 1, 2, 1 in some order
    tiles = tile_of_blocks(blocks, 4)
    assert sorted(np.bincount(tiles).tolist()) == [1, 1, 2, 2]
    assert tiles[0] == tiles[3] - 1  # x = 0: lower and upper block in the same column, rows by y
    # more tiles than blocks: one block each
    assert sorted(tile_of_blocks(blocks, 10).tolist()) == list(range(6))


def test_overlapping_features_form_one_group() -> None:
    green = _squares([0, 50, 90, 500], [0, 0, 0, 0])  # 0–50–90 overlap in a chain, 500 apart
    groups = overlap_groups(green)
    assert groups[0] == groups[1] == groups[2] != groups[3]


def test_halo_is_the_largest_radius_and_a_slack() -> None:
    standards = check_input(SAMPLE).standards
    assert halo_m(standards) == pytest.approx(1000.0 + HALO_SLACK_M)  # life circle 15 min, radius_m.hospital …


def test_a_subnetwork_walks_like_the_whole_network_inside_its_box() -> None:
    # a 5 × 5 street grid, 100 m apart; the box covers the middle 3 × 3
    lines = [shapely.LineString([(0, y), (400, y)]) for y in range(0, 401, 100)]
    lines += [shapely.LineString([(x, 0), (x, 400)]) for x in range(0, 401, 100)]
    roads = gpd.GeoDataFrame({"class": ["branch"] * len(lines), "status": "built"}, geometry=lines, crs=4548)
    whole = build_walk_network(roads)
    part = subnetwork(whole, shapely.box(100, 100, 300, 300))
    assert part.n_edges < whole.n_edges and part.fragment.sum() == 0
    source, target = shapely.points([(150, 110)]), shapely.points([(260, 290)])
    far = [
        nearest_source_distance_m(n, snap_points(n, source), snap_points(n, target), cutoff_m=1000.0)[0]
        for n in (whole, part)
    ]
    assert far[0] == pytest.approx(far[1]) == pytest.approx(10 + 50 + 200 + 60 + 10)


def _city(tmp_path: Path) -> Path:
    """The benchmarks' synthetic city at scale 0.04 (8 × 8 blocks of about 300 m)."""
    spec = importlib.util.spec_from_file_location("make_city", ROOT / "benchmarks" / "make_city.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_city"] = module
    spec.loader.exec_module(module)
    path = tmp_path / "city.gpkg"
    write_gpkg(path, dict(module.make_city(0.04)))
    return path


@pytest.mark.slow
def test_a_tiled_run_writes_the_whole_runs_workbook(tmp_path, cluster) -> None:
    whole = run(SAMPLE, tmp_path / "whole")
    tiled = run(SAMPLE, tmp_path / "tiled", tiles=4, scheduler=cluster)
    a, b = whole.health.block_metrics, tiled.health.block_metrics
    assert a.index.equals(b.index) and list(a.columns) == list(b.columns)
    numbers = a.select_dtypes("number").columns
    assert len(numbers) > 80
    pd.testing.assert_frame_equal(a[numbers], b[numbers], check_exact=False, rtol=1e-9, atol=0)
    # every layer of the workbook, every list row (numbers to 1e-9 relative, NaN in the same places)
    assert compare_workbooks(whole.workbook, tiled.workbook) == {}
    assert len(tiled.lists["problem_list"]) == len(whole.lists["problem_list"]) > 100


@pytest.mark.slow
def test_a_tiled_run_on_a_running_scheduler_and_two_tcp_workers(tmp_path, scheduler) -> None:  # noqa: F811 - `scheduler` is the imported fixture
    main(["run", str(SAMPLE), "--out", str(tmp_path / "whole"), "--until", "health", "--quiet"])
    main(
        ["run", str(SAMPLE), "--out", str(tmp_path / "tiled"), "--until", "health", "--quiet"]
        + ["--tiles", "2", "--scheduler", scheduler]
    )
    assert compare_workbooks(tmp_path / "whole" / "workbook.gpkg", tmp_path / "tiled" / "workbook.gpkg") == {}


@pytest.mark.slow
def test_a_too_narrow_halo_is_found_by_the_worker_and_widened(tmp_path, cluster) -> None:
    from distributed import Client

    checked = check_input(_city(tmp_path))
    layers, standards = checked.checked.layers, checked.standards
    whole = health_check(layers, standards).block_metrics
    with Client(cluster) as client:
        tiles = TiledBlockMetrics(client, 4, first_halo_m=100.0)
        tiled = health_check(layers, standards, per_block=tiles).block_metrics
    assert len(tiles.tiles) == 4 and all(t["attempts"] > 1 for t in tiles.tiles)
    assert all(t["halo_m"] > 1000.0 for t in tiles.tiles)  # at least the 15-minute life circle
    numbers = whole.select_dtypes("number").columns
    pd.testing.assert_frame_equal(whole[numbers], tiled[numbers], check_exact=False, rtol=1e-9, atol=0)
    walk = [c for c in numbers if c.endswith("_walk_ratio")]
    assert len(walk) > 10 and whole[walk].notna().all().all()


@pytest.mark.slow
def test_tiles_with_short_radii_and_the_catchment_rule_equal_the_whole_run(tmp_path, cluster) -> None:
    from distributed import Client

    from blockcheck.standards import load_standards

    # radii of at most 300 m: a halo of 550 m and a catchment reach of 600 m, so the 2.4 km city's tiles leave
    # blocks out; the catchment rule shares a facility's capacity among the blocks it reaches (blocks coupled)
    beijing = load_standards("beijing")
    short = {k: min(float(v.value), 300.0) for k, v in beijing.values.items() if "radius" in k}
    short |= {"life_circle.radius_5min_m": 150.0, "life_circle.radius_10min_m": 200.0}
    overrides = tmp_path / "short.toml"
    tables = [f'[{k}]\nvalue = {v!r}\nsource = "test: short radii"\ngrade = "C"\n' for k, v in short.items()]
    overrides.write_text('provision.supply_rule = "catchment"\n' + "".join(tables), encoding="utf-8")
    checked = check_input(_city(tmp_path), standards=overrides)
    layers, standards = checked.checked.layers, checked.standards
    assert halo_m(standards) == 300.0 + HALO_SLACK_M
    whole = health_check(layers, standards).block_metrics
    with Client(cluster) as client:
        tiles = TiledBlockMetrics(client, 4)
        tiled = health_check(layers, standards, per_block=tiles).block_metrics
    assert whole["provision_rule"].eq("catchment").all()
    numbers = whole.select_dtypes("number").columns
    pd.testing.assert_frame_equal(whole[numbers], tiled[numbers], check_exact=False, rtol=1e-9, atol=0)


@pytest.mark.slow
def test_the_resources_are_found_on_the_workers_and_equal_the_whole_runs(cluster) -> None:
    from distributed import Client

    checked = check_input(SAMPLE)
    layers, standards = dict(checked.checked.layers), checked.standards
    # two vacant parcels outside every block: one 2 km beyond the district (crossing no tile's box: the task
    # of the features outside), one in the middle of the district between its blocks' boxes or not
    parcels = layers["parcels"]
    x0, y0, x1, y1 = layers["blocks"].total_bounds
    extra = parcels.iloc[[0, 0]].copy()
    extra["parcel_id"] = ["far-away", "in-between"]
    extra["status"] = "vacant"
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    extra.geometry = [
        shapely.box(x1 + 2000, y1 + 2000, x1 + 2050, y1 + 2050),
        shapely.box(cx - 1, cy - 1, cx + 1, cy + 1),
    ]
    layers["parcels"] = pd.concat([parcels, extra])
    rows = locate_resources(layers, standards, as_of_year=2025)
    whole = find_resources(layers, standards, as_of_year=2025)
    with Client(cluster) as client:
        tiles = TiledBlockMetrics(client, 4)
        tiled = find_resources(layers, standards, as_of_year=2025, located=tiles.locate_resources)
    # every row found once, by the workers: the four tiles' and the outside task's rows add up to the whole run's
    assert len(tiles.resource_rows) == 5 and min(tiles.resource_rows[:4]) > 500
    assert sum(tiles.resource_rows) == len(rows) == 3493
    far = rows["source_id"].eq("far-away")
    assert far.sum() == 1 and rows.loc[far, "block_id"].isna().all() and tiles.resource_rows[4] == 1
    a, b = whole.resource_list, tiled.resource_list
    assert len(a) == len(b) == 1563 and a["resource_id"].is_unique
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()
    pd.testing.assert_frame_equal(whole.members, tiled.members)


@pytest.mark.slow
def test_step_1_builds_the_blocks_problems_and_the_resources_on_the_workers(cluster) -> None:
    from distributed import Client

    from blockcheck.lists.ids import AREA_SCOPE
    from blockcheck.steps.health_check import find_problems

    checked = check_input(SAMPLE)
    layers, standards = checked.checked.layers, checked.standards
    whole = find_problems(layers, standards, as_of_year=2025)
    with Client(cluster) as client:
        tiles = TiledBlockMetrics(client, 4)
        tiled = find_problems(layers, standards, as_of_year=2025, per_block=tiles)
    area = whole.problem_list["scope"].eq(AREA_SCOPE)
    # the blocks' rows came from the four tiles' workers, the whole-area rows from the driver
    assert len(tiles.problem_rows) == 4 and min(tiles.problem_rows) > 20
    assert sum(tiles.problem_rows) == (~area).sum() == 227 and area.sum() == 18
    pd.testing.assert_frame_equal(whole.problem_list.reset_index(drop=True), tiled.problem_list.reset_index(drop=True))
    assert sum(tiles.resource_rows) == len(locate_resources(layers, standards, as_of_year=2025))
    pd.testing.assert_frame_equal(
        pd.DataFrame(whole.resource_list.drop(columns="geometry")),
        pd.DataFrame(tiled.resource_list.drop(columns="geometry")),
    )


def test_compare_workbooks_names_what_differs(tmp_path) -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "value": [1.0, np.nan], "text": ["x", "y"]})
    write_gpkg(tmp_path / "a.gpkg", {"problem_list": frame})
    write_gpkg(tmp_path / "b.gpkg", {"problem_list": frame.assign(value=[1.0 + 1e-12, np.nan])})
    assert compare_workbooks(tmp_path / "a.gpkg", tmp_path / "b.gpkg") == {}
    write_gpkg(tmp_path / "c.gpkg", {"problem_list": frame.assign(value=[1.0 + 1e-6, 2.0], text=["x", "z"])})
    found = compare_workbooks(tmp_path / "a.gpkg", tmp_path / "c.gpkg")["problem_list"]
    assert found[0].startswith("value: NaN in 1 other rows") and found[1].startswith("text: 1 values differ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tiles", "many"], "--tiles many: give 'auto' or a whole number"),
        (["--workers", "2"], "--scheduler and --workers go with --tiles"),
    ],
)
def test_the_command_refuses_bad_tile_options_with_exit_2(tmp_path, capsys, args, message) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["run", str(SAMPLE), "--out", str(tmp_path / "out"), *args])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "workbook.gpkg").exists()
