"""Residents from a people-per-pixel raster (blockcheck.metrics.population_raster) on hand-checkable grids.

The grid fixture is 4 × 4 pixels of 10 m in EPSG:4548 whose values are 1..16
row by row; blocks cut pixels, whose people go in proportion to the area cut. One test
reads the shared WorldPop clip of Kathmandu and compares zonal sums with an
independent supersampled computation.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import Polygon, box

from blockcheck.errors import CRSError, InputError
from blockcheck.metrics.population import block_population
from blockcheck.metrics.population_raster import residents_from_raster
from test_metrics_population import CRS, X0, Y0, _b, _blocks, _pop_at

KATHMANDU = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "realdata"
    / "worldpop-clips"
    / "NPL_ppp_v2c_2020_UNadj_kathmandu.tif"
)


def _write_raster(path, values, transform, crs, nodata=None):
    values = np.asarray(values, dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path


@pytest.fixture
def grid_tif(tmp_path):
    """4 × 4 pixels of 10 m in EPSG:4548, top-left corner at (X0, Y0 + 40), values 1..16 row by row::

    y=40 +----+----+----+----+
         |  1 |  2 |  3 |  4 |
    y=30 +----+----+----+----+
         |  5 |  6 |  7 |  8 |
    y=20 +----+----+----+----+
         |  9 | 10 | 11 | 12 |
    y=10 +----+----+----+----+
         | 13 | 14 | 15 | ND |      ND = nodata (-9999)
    y=0  +----+----+----+----+
         x=0  10   20   30   40
    """
    values = np.arange(1, 17, dtype=float).reshape(4, 4)
    values[3, 3] = -9999
    # Affine built from its six terms (rasterio.transform.from_origin needs Affine arithmetic)
    return _write_raster(tmp_path / "grid.tif", values, Affine(10, 0, X0, 0, -10, Y0 + 40), CRS, nodata=-9999)


def test_raster_fractional_pixels(grid_tif):
    """Block P = x 0–15, y 20–40: pixels 1, 5 whole and half of 2, 6 → 1 + 5 + 0.5 × (2 + 6) = 10.
    Block Q = x 20–40, y 0–10: pixel 15 whole, 16 is nodata → 15."""
    blocks = gpd.GeoDataFrame(
        {"block_id": ["P", "Q"]}, geometry=[_b(0, 20, 15, 40), _b(20, 0, 40, 10)], crs=CRS
    ).set_index("block_id")
    residents = residents_from_raster(blocks, grid_tif)
    assert residents.crs == blocks.crs
    assert (residents["source"] == "raster").all()
    assert residents[["households", "elderly_population", "resident_workers"]].isna().all().all()
    assert sorted(residents["population"].tolist()) == pytest.approx([1.0, 1.0, 3.0, 5.0, 15.0])
    assert _pop_at(residents, 5, 35) == pytest.approx(1.0)  # pixel 1, its centre
    assert _pop_at(residents, 12.5, 35) == pytest.approx(1.0)  # left half of pixel 2, centroid of the piece
    out = block_population(blocks, residents)
    assert out["population"].tolist() == pytest.approx([10.0, 15.0])
    assert out["households"].isna().all()


def test_raster_errors(tmp_path, grid_tif):
    blocks = _blocks()
    with pytest.raises(InputError, match="does not exist"):
        residents_from_raster(blocks, tmp_path / "missing.tif")
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    with pytest.raises(InputError, match="cannot be read"):
        residents_from_raster(blocks, junk)
    with pytest.raises(InputError, match="does not overlap"):
        residents_from_raster(_blocks(dx=X0 + 5000), grid_tif)
    with pytest.raises(InputError, match="band 2"):
        residents_from_raster(blocks, grid_tif, band=2)
    with pytest.raises(CRSError):
        residents_from_raster(blocks.to_crs(4326), grid_tif)


def test_raster_in_degrees_against_blocks_in_metres(tmp_path):
    """4 × 4 pixels of 0.001° (EPSG:4326) near Beijing, values 1..16 (136 people); one block in
    EPSG:4548 covering the raster with a margin → all 136 people; a second block off the raster gets 0."""
    path = _write_raster(
        tmp_path / "deg.tif", np.arange(1, 17).reshape(4, 4), Affine(0.001, 0, 116.400, 0, -0.001, 39.904), "EPSG:4326"
    )
    to_m = Transformer.from_crs(4326, 4548, always_xy=True)
    xs, ys = to_m.transform([116.399, 116.405, 116.405, 116.399], [39.899, 39.899, 39.905, 39.905])
    cover = box(min(xs), min(ys), max(xs), max(ys))
    far = affinity.translate(cover, 5000, 0)
    blocks = gpd.GeoDataFrame({"block_id": ["ALL", "FAR"]}, geometry=[cover, far], crs=CRS).set_index("block_id")
    residents = residents_from_raster(blocks, path)
    assert len(residents) == 16
    assert residents.geometry.within(cover).all()
    out = block_population(blocks, residents)
    assert out.loc["ALL", "population"] == pytest.approx(136.0, rel=1e-6)
    assert out.loc["FAR", "population"] == 0.0


def _supersampled_sum(src_values, transform, raster_crs, polygon_m, crs_m, factor=10):
    """Independent zonal sum: rasterize the block at `factor`× finer resolution (centre rule)."""
    from rasterio.features import rasterize

    polygon = gpd.GeoSeries([polygon_m], crs=crs_m).to_crs(raster_crs).iloc[0]
    fine = Affine(transform.a / factor, 0, transform.c, 0, transform.e / factor, transform.f)
    h, w = src_values.shape
    mask = rasterize(
        [polygon], out_shape=(h * factor, w * factor), transform=fine, all_touched=False, dtype="uint8"
    ).astype(bool)
    values = np.repeat(np.repeat(np.ma.filled(src_values.astype(float), 0.0), factor, axis=0), factor, axis=1)
    return float(values[mask].sum()) / factor**2


@pytest.mark.shared
@pytest.mark.skipif(not KATHMANDU.exists(), reason="shared real data not available")
def test_shared_worldpop_kathmandu_zonal_sums_match_independent_computation():
    """WorldPop 2020 (≈100 m pixels, EPSG:4326) against blocks drawn in UTM 45N (EPSG:32645)."""
    crs_m = "EPSG:32645"
    with rasterio.open(KATHMANDU) as src:
        values = src.read(1, masked=True)
        transform = src.transform
        raster_crs = src.crs
    geoms = [
        box(333_000, 3_065_000, 334_000, 3_066_000),
        box(334_000, 3_065_000, 335_250, 3_065_800),
        box(332_480, 3_066_300, 333_330, 3_067_410),
        Polygon([(335_500, 3_066_500), (336_700, 3_066_900), (336_200, 3_067_800), (335_300, 3_067_300)]),
    ]
    # a block whose corners are pixel corners (rows 50–62, cols 60–70): its sum is exact
    cols, rows = np.array([60, 70, 70, 60]), np.array([50, 50, 62, 62])
    lon, lat = transform.c + transform.a * cols, transform.f + transform.e * rows
    geoms.append(
        Polygon(zip(*Transformer.from_crs(raster_crs, crs_m, always_xy=True).transform(lon, lat), strict=True))
    )
    ids = ["KT01-0001", "KT01-0002", "KT01-0003", "KT01-0004", "KT01-0005"]
    blocks = gpd.GeoDataFrame({"block_id": ids}, geometry=geoms, crs=crs_m).set_index("block_id")

    start = time.perf_counter()
    out = block_population(blocks, residents_from_raster(blocks, KATHMANDU))
    assert time.perf_counter() - start < 5
    assert (out["population"] > 100).all()
    for block_id, polygon in zip(ids[:4], geoms[:4], strict=True):
        expected = _supersampled_sum(values, transform, raster_crs, polygon, crs_m)
        assert out.loc[block_id, "population"] == pytest.approx(expected, rel=0.01)
    exact = float(np.ma.filled(values[50:62, 60:70].astype(float), 0.0).sum())
    assert out.loc["KT01-0005", "population"] == pytest.approx(exact, rel=1e-6)
