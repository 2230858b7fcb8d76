"""Tiled runs of one large city (``blockcheck run --tiles auto|N``, issue 18.2).

:mod:`blockcheck.tiles.partition` cuts the blocks into tiles and chooses what
each tile's worker receives; :mod:`blockcheck.tiles.compute` runs the health
check's per-block metrics tile by tile on Dask workers and joins them;
:mod:`blockcheck.tiles.resources` and :mod:`blockcheck.tiles.problems` find step 1's resources and
the blocks' problems tile by tile the same way.
"""

from blockcheck.tiles.compute import TiledBlockMetrics, tile_block_metrics
from blockcheck.tiles.partition import auto_tiles, halo_m, parse_tiles, tile_of_blocks

__all__ = ["TiledBlockMetrics", "auto_tiles", "halo_m", "parse_tiles", "tile_block_metrics", "tile_of_blocks"]
