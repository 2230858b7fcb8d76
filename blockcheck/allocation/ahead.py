"""The allocation's walking distances, computed ahead: beside the health check, with the resource search.

The resource search runs in a second process while the health check runs
(:mod:`blockcheck.parallel`); the same process also walks every pair the
allocation will ask for: the pooled resources it found and the blocks' points,
within the largest radius of the allocation rules, on the health check's own
walking network (built once, before the fork: both processes have it).
:func:`blockcheck.allocation.allocate` then reads those walks
(:meth:`~blockcheck.allocation.distances.KnownDistances.lookup`, the same
numbers as computed there) instead of computing them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from blockcheck.allocation.distances import KnownDistances, known_distances
from blockcheck.allocation.inputs import representative_points
from blockcheck.allocation.rules import allocation_rules, resolve_value
from blockcheck.allocation.solve import _block_xy, _usable_resources
from blockcheck.errors import BlockcheckError
from blockcheck.network import DISTANCE_TOLERANCE_M, WalkNetwork
from blockcheck.standards import Standards

__all__ = ["distances_ahead"]


def distances_ahead(
    resources: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame, network: WalkNetwork, standards: Standards
) -> KnownDistances | None:
    """Walks on `network` from the pooled `resources` to the points of `blocks` within the allocation rules'
    largest radius.

    `network` is the run's walking network (the health check's, built from the roads with the fragment length
    of `standards`: the allocation's distances are measured on the same). None when there is nothing to walk
    or the rules cannot be read (the allocation then computes its walks itself and reports the problem).
    """
    try:
        rules = allocation_rules()
        usable = _usable_resources(resources, rules).frame
        radii = [resolve_value(r.radius_m, standards, f"{r.key}: radius_m") for r in rules.rules]
    except (BlockcheckError, KeyError, ValueError):
        return None
    if not len(usable) or not len(blocks) or not radii:
        return None
    r_xy = shapely.get_coordinates(representative_points(np.asarray(usable.geometry.values, dtype=object), "resources"))
    indexed = blocks.set_index("block_id", drop=False) if "block_id" in blocks.columns else blocks
    b_xy = _block_xy(indexed, None, indexed.index)
    return known_distances(network, r_xy, b_xy, max(radii) + DISTANCE_TOLERANCE_M)
