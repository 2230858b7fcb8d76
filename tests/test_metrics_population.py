"""Residents and block population (blockcheck.metrics.population) on hand-checkable fixtures.

The main scene (EPSG:4548, metres, origin (X0, Y0) = (500000, 4400000))::

    y=100 +--------------------+--------------------+
          |  block CP01-0001   |  block CP01-0002   |
          |         O          |                    |
          |                    |                    |
          |   A                |   B   C C          |
    y=0   +--------------------+--------------------+
          x=0                x=100                x=200

    community K: the whole 200 m × 100 m, population 1000, households 400,
                 elderly 150, resident workers 500
    A  x 10–20,  y 10–20   residential 6 floors  → 100 m² × 6 = 600 m² → 400 persons
    B  x 110–120, y 10–20  residential 3 floors  → 100 m² × 3 = 300 m² → 200 persons
    C  x 130–150, y 10–20  residential 3 floors  → 200 m² × 3 = 600 m² → 400 persons
    O  x 50–60,  y 50–60   office 10 floors      → nobody
    block sums: CP01-0001 = 400, CP01-0002 = 600
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from blockcheck.errors import CRSError, InputError
from blockcheck.metrics.population import (
    RESIDENT_COLUMNS,
    block_population,
    residents_from_communities,
)

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_400_000.0
IDS = ["CP01-0001", "CP01-0002"]


def _b(x1, y1, x2, y2, dx=X0, dy=Y0):
    return box(x1 + dx, y1 + dy, x2 + dx, y2 + dy)


def _blocks(dx=X0, dy=Y0, ids=IDS):
    geoms = [_b(0, 0, 100, 100, dx, dy), _b(100, 0, 200, 100, dx, dy)]
    return gpd.GeoDataFrame({"block_id": ids}, geometry=geoms, crs=CRS).set_index("block_id")


def _community(dx=X0, dy=Y0, **counts):
    data = {"population": [1000], "households": [400], "elderly_population": [150], "resident_workers": [500]}
    data.update({k: [v] for k, v in counts.items()})
    return gpd.GeoDataFrame({"community_id": ["K"], **data}, geometry=[_b(0, 0, 200, 100, dx, dy)], crs=CRS)


def _buildings(dx=X0, dy=Y0):
    return gpd.GeoDataFrame(
        {
            "building_id": ["A", "B", "C", "O"],
            "use": ["residential", "residential", "residential", "office"],
            "floors": [6, 3, 3, 10],
        },
        geometry=[
            _b(10, 10, 20, 20, dx, dy),
            _b(110, 10, 120, 20, dx, dy),
            _b(130, 10, 150, 20, dx, dy),
            _b(50, 50, 60, 60, dx, dy),
        ],
        crs=CRS,
    )


def _pop_at(residents, x, y):
    """Population of the resident point at (X0 + x, Y0 + y)."""
    hit = shapely.equals_exact(residents.geometry.array, shapely.Point(X0 + x, Y0 + y), tolerance=1e-6)
    assert hit.sum() == 1, f"expected one resident at ({x}, {y})"
    return float(residents.loc[hit, "population"].iloc[0])


# ------------------------------------------------- dasymetric distribution ----


def test_population_follows_residential_floor_area():
    residents = residents_from_communities(_blocks(), _community(), _buildings())
    assert isinstance(residents, gpd.GeoDataFrame)
    assert residents.crs == _blocks().crs
    assert list(residents.columns[:5]) == [*RESIDENT_COLUMNS, "block_id"]
    assert (shapely.get_type_id(residents.geometry.array) == 0).all()  # points
    assert residents["population"].tolist() == pytest.approx([400.0, 200.0, 400.0])
    assert residents["households"].tolist() == pytest.approx([160.0, 80.0, 160.0])
    assert residents["elderly_population"].tolist() == pytest.approx([60.0, 30.0, 60.0])
    assert residents["resident_workers"].tolist() == pytest.approx([200.0, 100.0, 200.0])
    assert residents["block_id"].tolist() == ["CP01-0001", "CP01-0002", "CP01-0002"]
    assert (residents["source"] == "building").all()
    # one point per residential building, at its representative point (the office gets nobody)
    assert _pop_at(residents, 15, 15) == pytest.approx(400)
    assert _pop_at(residents, 115, 15) == pytest.approx(200)
    assert _pop_at(residents, 140, 15) == pytest.approx(400)
    assert not residents.geometry.intersects(_buildings().geometry.iloc[3]).any()

    per_block = block_population(_blocks(), residents)
    assert per_block.index.equals(_blocks().index)
    assert list(per_block.columns) == list(RESIDENT_COLUMNS)
    assert per_block["population"].tolist() == pytest.approx([400.0, 600.0])
    assert per_block["households"].tolist() == pytest.approx([160.0, 240.0])


def test_residents_live_at_the_building_points_the_caller_gives():
    """The health check makes a point inside each building once and passes it: residents stand there."""
    given = np.array([shapely.Point(X0 + x, Y0 + y) for x, y in ((12, 12), (111, 11), (131, 11), (51, 51))])
    residents = residents_from_communities(_blocks(), _community(), _buildings(), building_points=given)
    assert _pop_at(residents, 12, 12) == pytest.approx(400)
    assert _pop_at(residents, 111, 11) == pytest.approx(200)
    assert _pop_at(residents, 131, 11) == pytest.approx(400)
    made = residents_from_communities(_blocks(), _community(), _buildings())
    assert residents.drop(columns="geometry").equals(made.drop(columns="geometry"))
    with pytest.raises(InputError, match="3 representative points for 4 features"):
        residents_from_communities(_blocks(), _community(), _buildings(), building_points=given[:3])


def test_inputs_are_not_mutated():
    blocks, communities, buildings = _blocks(), _community(), _buildings()
    copies = blocks.copy(), communities.copy(), buildings.copy()
    residents = residents_from_communities(blocks, communities, buildings)
    block_population(blocks, residents)
    for frame, copy in zip((blocks, communities, buildings), copies, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_mixed_buildings_count_with_their_residential_share():
    """A becomes mixed: 600 m² × 0.5 = 300 → weights 300 : 300 : 600 → 250, 250, 500."""
    buildings = _buildings()
    buildings.loc[0, "use"] = "mixed"
    residents = residents_from_communities(_blocks(), _community(), buildings)
    assert residents["population"].tolist() == pytest.approx([250.0, 250.0, 500.0])
    residents = residents_from_communities(_blocks(), _community(), buildings, mixed_residential_share=1.0)
    assert residents["population"].tolist() == pytest.approx([400.0, 200.0, 400.0])
    # only the uses listed count
    residents = residents_from_communities(_blocks(), _community(), buildings, residential_uses=("residential",))
    assert residents["population"].tolist() == pytest.approx([1000 / 3, 2000 / 3])


def test_missing_floors_use_the_default():
    """B's floors unknown: default 1 → 600 : 100 : 600; default 3 → the full-data result."""
    buildings = _buildings()
    buildings["floors"] = buildings["floors"].astype(float)
    buildings.loc[1, "floors"] = np.nan
    residents = residents_from_communities(_blocks(), _community(), buildings)
    assert residents["population"].tolist() == pytest.approx([6000 / 13, 1000 / 13, 6000 / 13])
    residents = residents_from_communities(_blocks(), _community(), buildings, default_floors=3)
    assert residents["population"].tolist() == pytest.approx([400.0, 200.0, 400.0])
    # no floors column at all: footprint areas 100 : 100 : 200
    residents = residents_from_communities(_blocks(), _community(), buildings.drop(columns="floors"))
    assert residents["population"].tolist() == pytest.approx([250.0, 250.0, 500.0])


def test_missing_and_nan_counts_count_as_zero():
    communities = _community(households=np.nan).drop(columns=["elderly_population", "resident_workers"])
    residents = residents_from_communities(_blocks(), communities, _buildings())
    assert residents["population"].sum() == pytest.approx(1000)
    for column in ("households", "elderly_population", "resident_workers"):
        assert (residents[column] == 0).all()


def test_building_on_block_edge_goes_where_its_representative_point_is():
    """Two 1-floor residential buildings straddling the edge x = 100 between the blocks::

    E  x 95–105  → representative point (100, 45), exactly on the edge → first block (CP01-0001)
    F  x 96–106  → representative point (101, 45), inside CP01-0002
    """
    buildings = gpd.GeoDataFrame(
        {"use": ["residential", "residential"], "floors": [1, 1]},
        geometry=[_b(95, 40, 105, 50), _b(96, 60, 106, 70)],
        crs=CRS,
    )
    residents = residents_from_communities(_blocks(), _community(), buildings)
    assert residents["block_id"].tolist() == ["CP01-0001", "CP01-0002"]
    assert residents.geometry.x.tolist() == pytest.approx([X0 + 100, X0 + 101])
    assert residents["population"].tolist() == pytest.approx([500.0, 500.0])
    # the tie goes to the first block in row order
    flipped = _blocks().iloc[::-1]
    residents = residents_from_communities(flipped, _community(), buildings)
    assert residents["block_id"].tolist() == ["CP01-0002", "CP01-0002"]


def test_community_without_residential_buildings_is_split_by_area():
    """Community L (x 60–160, y 0–100, 300 people) holds only the office O::
    L ∩ CP01-0001 = x 60–100 (40 %) → 120      L ∩ CP01-0002 = x 100–160 (60 %) → 180
    """
    communities = gpd.GeoDataFrame({"population": [300.0]}, geometry=[_b(60, 0, 160, 100)], crs=CRS)
    buildings = _buildings().iloc[[3]]  # only the office
    residents = residents_from_communities(_blocks(), communities, buildings)
    assert (residents["source"] == "community_area").all()
    assert residents["block_id"].tolist() == IDS
    assert residents["population"].tolist() == pytest.approx([120.0, 180.0])
    assert residents.geometry.within(communities.geometry.iloc[0]).all()
    # the same without any buildings, and with an empty buildings layer
    for buildings in (None, _buildings().iloc[:0]):
        again = residents_from_communities(_blocks(), communities, buildings)
        assert again["population"].tolist() == pytest.approx([120.0, 180.0])


def test_residential_buildings_with_zero_floors_count_as_none():
    buildings = _buildings().iloc[:3].assign(floors=0)
    residents = residents_from_communities(_blocks(), _community(), buildings)
    per_block = block_population(_blocks(), residents)
    assert per_block["population"].tolist() == pytest.approx([500.0, 500.0])  # area split
    assert (residents.loc[residents["source"] == "building", "population"] == 0).all()


def test_part_of_a_community_outside_the_blocks_is_lost_in_proportion():
    """Community M spans x 100–300 (blocks end at x = 200): half its area, half its people, is outside."""
    communities = gpd.GeoDataFrame({"population": [800.0]}, geometry=[_b(100, 0, 300, 100)], crs=CRS)
    residents = residents_from_communities(_blocks(), communities)
    assert block_population(_blocks(), residents)["population"].tolist() == pytest.approx([0.0, 400.0])
    # building path: a residential building outside the blocks keeps its share out of the blocks
    buildings = gpd.GeoDataFrame(
        {"use": ["residential"] * 2, "floors": [1, 1]}, geometry=[_b(110, 10, 120, 20), _b(210, 10, 220, 20)], crs=CRS
    )
    residents = residents_from_communities(_blocks(), communities, buildings)
    assert residents["population"].tolist() == pytest.approx([400.0])


def _random_scene(seed, dx=X0, dy=Y0):
    """3 × 3 blocks of 100 m; communities tile the 300 m square in 4 quadrants (one without buildings)."""
    rng = np.random.default_rng(seed)
    blocks = gpd.GeoDataFrame(
        {"block_id": [f"CP01-{i:04d}" for i in range(9)]},
        geometry=[
            _b(100 * (i % 3), 100 * (i // 3), 100 * (i % 3) + 100, 100 * (i // 3) + 100, dx, dy) for i in range(9)
        ],
        crs=CRS,
    ).set_index("block_id")
    communities = gpd.GeoDataFrame(
        {
            "population": rng.integers(100, 5000, 4).astype(float),
            "households": rng.integers(50, 2000, 4).astype(float),
            "elderly_population": rng.integers(10, 900, 4).astype(float),
            "resident_workers": rng.integers(50, 3000, 4).astype(float),
        },
        geometry=[
            _b(0, 0, 150, 150, dx, dy),
            _b(150, 0, 300, 150, dx, dy),
            _b(0, 150, 150, 300, dx, dy),
            _b(150, 150, 300, 300, dx, dy),
        ],
        crs=CRS,
    )
    n = 60
    x, y = rng.uniform(2, 280, n), rng.uniform(2, 280, n)
    w, h = rng.uniform(5, 18, n), rng.uniform(5, 18, n)
    keep = ~((x > 150) & (y > 150))  # the fourth community has no buildings
    buildings = gpd.GeoDataFrame(
        {
            "use": rng.choice(["residential", "mixed", "office", "commercial"], n),
            "floors": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 30, n)),
        },
        geometry=shapely.box(x + dx, y + dy, np.minimum(x + w, 299) + dx, np.minimum(y + h, 299) + dy),
        crs=CRS,
    )[keep]
    return blocks, communities, buildings


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_totals_are_conserved(seed):
    blocks, communities, buildings = _random_scene(seed)
    for layer in (buildings, None):
        per_block = block_population(blocks, residents_from_communities(blocks, communities, layer))
        for column in RESIDENT_COLUMNS:
            assert per_block[column].sum() == pytest.approx(communities[column].sum(), rel=1e-12)
        assert (per_block["population"] >= 0).all()


def test_translation_invariance():
    blocks, communities, buildings = _random_scene(7)
    moved = _random_scene(7, dx=X0 + 12_345.5, dy=Y0 - 6_789.25)
    a = block_population(blocks, residents_from_communities(blocks, communities, buildings))
    b = block_population(moved[0], residents_from_communities(*moved))
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


def test_invalid_inputs_raise_clear_errors():
    blocks, communities, buildings = _blocks(), _community(), _buildings()
    with pytest.raises(CRSError, match="not a projected CRS"):
        residents_from_communities(blocks.to_crs(4326), communities.to_crs(4326), buildings.to_crs(4326))
    with pytest.raises(CRSError, match="different CRSs"):
        residents_from_communities(blocks, communities.to_crs(32650), buildings)
    with pytest.raises(InputError, match="not unique"):
        residents_from_communities(_blocks(ids=IDS[:1] * 2), communities, buildings)
    with pytest.raises(InputError, match="'use'"):
        residents_from_communities(blocks, communities, buildings.drop(columns="use"))
    with pytest.raises(InputError, match="mixed_residential_share"):
        residents_from_communities(blocks, communities, buildings, mixed_residential_share=1.5)
    with pytest.raises(InputError, match="population"):
        block_population(
            blocks, gpd.GeoDataFrame({"block_id": IDS}, geometry=gpd.points_from_xy([0, 1], [0, 1]), crs=CRS)
        )


# ------------------------------------------------------------ block sums ----


def test_block_population_zero_where_no_residents_nan_where_unknown():
    blocks = _blocks()
    residents = gpd.GeoDataFrame(
        {
            "population": [10.0, np.nan, 5.0],
            "households": [np.nan] * 3,
            "block_id": ["CP01-0002", "CP01-0002", "XX99-9999"],
        },
        geometry=gpd.points_from_xy([X0 + 150] * 3, [Y0 + 50] * 3),
        crs=CRS,
    )
    out = block_population(blocks, residents)
    assert out["population"].tolist() == [0.0, 10.0]  # NaN counts as 0; unknown block ignored
    assert out["households"].isna().all()  # all NaN → unknown, not zero
    assert out["elderly_population"].isna().all()  # absent → unknown
    assert all(dtype == np.float64 for dtype in out.dtypes)
    empty = block_population(blocks, residents.iloc[:0])
    assert empty["population"].tolist() == [0.0, 0.0]
    assert empty["households"].tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- raster ----
