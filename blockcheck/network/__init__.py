"""The walking network: roads noded into a graph, point snapping and nearest-source walking distances.

The network is kept as plain arrays (node coordinates, edge end nodes, edge
lengths and geometries, an STRtree over the edges and a scipy CSR adjacency),
so that distances are computed with one :func:`scipy.sparse.csgraph.dijkstra`
call per search, whatever the number of sources. :func:`to_networkx` exports
the same network as a :class:`networkx.Graph` for inspection and plotting; it
is never used for computation.

Points (residents, facilities' and parks' entry points) are attached to the network
on the nearest point of the nearest *edge* (not the nearest node): a point is
described by its edge, its offset along that edge from the edge's first node
``u`` and its straight-line snap distance. The walking distance between two
snapped points is

    snap(source) + along-network distance + snap(target),

where the along-network part starts and ends at the snapped positions, inside
the edges (see :func:`nearest_source_distance_m`). Points are never attached to
a *fragment*, a small connected piece of the network (see
:mod:`blockcheck.network.fragments`). Parks and polygon facilities are
entered at their gates, else along their outline where it fronts a walkable
edge (see :mod:`blockcheck.network.entries`).

All coordinates are in one projected CRS with metre units.
"""

from blockcheck.network.distance import nearest_source_distance_m
from blockcheck.network.entries import ENTERED, Entries, EntryRule, feature_entries, gate_points
from blockcheck.network.fragments import FRAGMENT_COLUMNS, fragment_table
from blockcheck.network.graph import (
    DEFAULT_EXCLUDE_CLASSES,
    DEFAULT_STATUSES,
    DISTANCE_TOLERANCE_M,
    NODE_PRECISION_M,
    SNAP_PIECE_MAX_M,
    WalkNetwork,
    build_walk_network,
    to_networkx,
)
from blockcheck.network.snapping import Access, Snapped, access_costs, point_array, snap_points

__all__ = [
    "DEFAULT_EXCLUDE_CLASSES",
    "DEFAULT_STATUSES",
    "DISTANCE_TOLERANCE_M",
    "ENTERED",
    "FRAGMENT_COLUMNS",
    "NODE_PRECISION_M",
    "SNAP_PIECE_MAX_M",
    "Access",
    "Entries",
    "EntryRule",
    "Snapped",
    "WalkNetwork",
    "access_costs",
    "build_walk_network",
    "feature_entries",
    "fragment_table",
    "gate_points",
    "nearest_source_distance_m",
    "point_array",
    "snap_points",
    "to_networkx",
]
