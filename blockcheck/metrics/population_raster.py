"""Residents from a people-per-pixel raster (e.g. WorldPop), with fractional pixel coverage.

:func:`residents_from_raster` returns the same *residents* as
:func:`blockcheck.metrics.population.residents_from_communities` (points with
``population``, ``households``, ``elderly_population``, ``resident_workers``
and ``block_id``): one point per piece of a pixel inside a block, carrying
the pixel's people in proportion to the piece's area. Vectorised: one window
of the raster read, pieces cut by shapely 2 over all pixels at once.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from blockcheck.crs import require_same_metric_crs
from blockcheck.errors import CRSError, InputError
from blockcheck.metrics.population import (
    _SOURCE_RASTER,
    RESIDENT_COLUMNS,
    _check_blocks,
    _residents_frame,
    _usable,
)

if TYPE_CHECKING:
    from affine import Affine
    from rasterio.io import DatasetReader

__all__ = ["residents_from_raster"]


def residents_from_raster(
    blocks: gpd.GeoDataFrame, raster_path: str | os.PathLike, *, band: int = 1
) -> gpd.GeoDataFrame:
    r"""Residents from a people-per-pixel raster (e.g. WorldPop), with fractional pixel coverage.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id`` (unique), in a projected CRS in metres.
    raster_path
        Path of a single- or multi-band GeoTIFF (any format GDAL reads) whose
        pixel values are persons per pixel, north-up (not rotated), with a CRS.
    band
        Band number (1-based).

    Returns
    -------
    geopandas.GeoDataFrame
        Residents: one POINT per pixel × block intersection of positive
        area, at the centroid of the intersection piece, in the CRS of
        `blocks`. Columns ``population`` (persons, float), ``households``,
        ``elderly_population``, ``resident_workers`` (all NaN: unknown from a
        raster), ``block_id`` (dtype of the blocks' index) and ``source``
        (``"raster"``); a fresh ``RangeIndex``. Empty if every pixel under the
        blocks is 0 or nodata.

    Raises
    ------
    blockcheck.errors.CRSError
        If `blocks` has no CRS or one not in metres.
    blockcheck.errors.InputError
        If the file is missing or unreadable, has no CRS, is rotated, has no
        band `band`, or does not overlap the blocks; if the blocks index is not unique.

    Notes
    -----
    For pixel *p* with value :math:`v_p` (persons) and block *b*:

    .. math:: x_{p,b} = v_p \, \frac{\mathrm{area}(p \cap b)}{\mathrm{area}(p)}

    so a block covering half a pixel gets half its people, and
    :math:`\sum_b x_{p,b} = v_p` for a pixel covered by non-overlapping blocks.
    Areas are computed in the **raster's** CRS (the blocks are reprojected
    vertex by vertex with :meth:`geopandas.GeoSeries.to_crs`; the pixel is
    the unit of area, so the ratio is right even in degrees). Only the window
    of the raster covering the blocks is read. Pixels that are nodata (the
    band's nodata value or mask), not finite, or <= 0 are skipped. Pixels
    lying wholly inside a block are not intersected (fraction 1, point at the
    pixel centre).
    """
    from rasterio.errors import RasterioError
    from rasterio.windows import Window

    _check_blocks(blocks)
    if blocks.crs is None:
        msg = "The blocks have no CRS; set their CRS (a projected CRS in metres) before reading a population raster."
        raise CRSError(msg)
    require_same_metric_crs(blocks=blocks)
    path = os.fspath(raster_path)
    src = _open_population_raster(path, band)
    with src:
        # Only the six terms are used: Affine arithmetic (~t, t * xy, src.bounds) is avoided on purpose,
        # as it fails with affine 3 on top of an older attrs.
        t = src.transform
        block_at, geoms_r = _blocks_in_crs(blocks, src.crs)
        if geoms_r.size == 0:  # no block geometry at all: nothing to place
            return _residents_frame(
                blocks,
                shapely.points(np.empty((0, 2))),
                np.empty((0, len(RESIDENT_COLUMNS))),
                np.empty(0, dtype=np.intp),
                np.empty(0, dtype=object),
                blocks.crs,
            )
        col0, row0, col1, row1 = _window_over(geoms_r, src, path)
        try:
            data = src.read(int(band), window=Window(col0, row0, col1 - col0, row1 - row0), masked=True)
        except (RasterioError, OSError) as err:
            msg = (
                f"The population raster {path!r} cannot be read ({err}). Give a people-per-pixel GeoTIFF (e.g. "
                "WorldPop)."
            )
            raise InputError(msg) from None
        raster_crs = src.crs
    persons, block, px, py = _pixel_pieces(np.ma.filled(data.astype(float), np.nan), t, row0, col0, geoms_r)
    counts = np.full((block.shape[0], len(RESIDENT_COLUMNS)), np.nan)
    counts[:, 0] = persons
    block_crs = CRS.from_user_input(blocks.crs)
    if not block_crs.equals(raster_crs):
        px, py = Transformer.from_crs(raster_crs, block_crs, always_xy=True).transform(px, py)
    points = shapely.points(px, py)
    return _residents_frame(
        blocks, points, counts, block_at[block], np.full(block.shape[0], _SOURCE_RASTER, dtype=object), blocks.crs
    )


def _open_population_raster(path: str, band: int) -> DatasetReader:
    """The raster at `path`, open, once it is known to have a CRS, band `band` and a north-up grid.

    Raises
    ------
    blockcheck.errors.InputError
        If the file is missing or unreadable, has no CRS or no band `band`, or is rotated.
    """
    import rasterio
    from rasterio.errors import RasterioError

    if not os.path.isfile(path):
        msg = (
            f"The population raster {path!r} does not exist. Give the path of a people-per-pixel GeoTIFF (e.g. "
            "WorldPop)."
        )
        raise InputError(msg)
    try:
        src = rasterio.open(path)
    except (RasterioError, OSError) as err:
        msg = f"The population raster {path!r} cannot be read ({err}). Give a people-per-pixel GeoTIFF (e.g. WorldPop)."
        raise InputError(msg) from None
    t = src.transform
    if src.crs is None:
        msg = (
            f"The population raster {path!r} has no CRS. Assign one (e.g. gdal_edit.py -a_srs EPSG:4326) before using "
            "it."
        )
    elif not 1 <= int(band) <= src.count:
        msg = f"The population raster {path!r} has {src.count} band(s); band {band!r} does not exist."
    elif t.b != 0 or t.d != 0 or t.a == 0 or t.e == 0:
        msg = (
            f"The population raster {path!r} is rotated or degenerate (affine terms a={t.a}, b={t.b}, d={t.d}, "
            f"e={t.e}). Warp it to a north-up grid first (gdalwarp)."
        )
    else:
        return src
    src.close()
    raise InputError(msg)


def _blocks_in_crs(blocks: gpd.GeoDataFrame, crs: object) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the usable blocks and their geometries in `crs` (blocks that do not project are left out)."""
    block_at = np.flatnonzero(_usable(blocks.geometry.to_numpy()))
    geoms = blocks.geometry.iloc[block_at].to_crs(crs).to_numpy()
    finite = np.isfinite(shapely.bounds(geoms)).all(axis=1) & _usable(geoms)
    return block_at[finite], geoms[finite]


def _window_over(geoms: np.ndarray, src: DatasetReader, path: str) -> tuple[int, int, int, int]:
    """Columns and rows (col0, row0, col1, row1) of the raster `src` covering `geoms` (in its CRS).

    Raises
    ------
    blockcheck.errors.InputError
        If the raster does not overlap the blocks.
    """
    t, width, height = src.transform, src.width, src.height
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    cols = ((xmin - t.c) / t.a, (xmax - t.c) / t.a)
    rows = ((ymin - t.f) / t.e, (ymax - t.f) / t.e)
    col0, col1 = max(int(np.floor(min(cols))), 0), min(int(np.ceil(max(cols))), width)
    row0, row1 = max(int(np.floor(min(rows))), 0), min(int(np.ceil(max(rows))), height)
    if col1 <= col0 or row1 <= row0:
        x = (t.c, t.c + t.a * width)
        y = (t.f + t.e * height, t.f)
        msg = (
            f"The population raster {path!r} (x {min(x):.6f}…{max(x):.6f}, y {min(y):.6f}…{max(y):.6f} in "
            f"{src.crs.to_string()}) does not overlap the blocks. Use a raster covering the study area."
        )
        raise InputError(msg)
    return col0, row0, col1, row1


def _pixel_pieces(
    values: np.ndarray, t: Affine, row0: int, col0: int, geoms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Persons, block position and point (x, y) of each piece of a populated pixel inside a block.

    `values` is the window read at (`row0`, `col0`) of the grid `t`; a pixel
    wholly inside a block is one piece at the pixel centre, others are cut by
    the blocks (persons × area share, point at the piece's centroid). Points
    are in the raster's CRS.
    """
    r, c = np.nonzero(np.isfinite(values) & (values > 0))
    value = values[r, c]
    r, c = r + row0, c + col0
    x0, x1 = t.c + t.a * c, t.c + t.a * (c + 1)
    y0, y1 = t.f + t.e * r, t.f + t.e * (r + 1)
    pixels = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
    pixel_area = abs(t.a * t.e)

    pix, blk = shapely.STRtree(geoms).query(pixels, predicate="intersects")
    shapely.prepare(geoms)
    inside = shapely.contains(geoms[blk], pixels[pix])
    fraction = np.ones(pix.shape[0])
    # piece centroids as coordinate arrays: pixel centres where the pixel lies wholly inside the block
    px = (x0[pix] + x1[pix]) / 2
    py = (y0[pix] + y1[pix]) / 2
    edge = ~inside
    pieces = shapely.intersection(pixels[pix[edge]], geoms[blk[edge]])
    fraction[edge] = shapely.area(pieces) / pixel_area
    keep = fraction > 0
    centroids = shapely.centroid(pieces[keep[edge]])
    px[edge & keep] = shapely.get_x(centroids)
    py[edge & keep] = shapely.get_y(centroids)
    pix, blk, fraction, px, py = pix[keep], blk[keep], fraction[keep], px[keep], py[keep]
    return value[pix] * fraction, blk, px, py
