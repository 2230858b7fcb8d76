"""The part of a walking network a tile's worker needs: the city's edges within a box, with the city's fragments."""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from blockcheck.network import WalkNetwork
from blockcheck.network.graph import adjacency_matrix, piece_index

__all__ = ["subnetwork"]


def subnetwork(network: WalkNetwork, box: shapely.Polygon) -> WalkNetwork:
    """The edges of `network` that intersect `box`, as a network of their own.

    The edges are the city's (same noding, same geometry, same lengths) and
    keep the city's fragment marks, so points near the middle of `box` snap
    and walk as they do on the whole network. Nodes are renumbered.
    """
    edges = np.sort(network.tree.query(box, predicate="intersects"))
    nodes, uv = np.unique(np.concatenate([network.u[edges], network.v[edges]]), return_inverse=True)
    u, v = uv[: edges.size], uv[edges.size :]
    geometry, length_m = network.geometry[edges], network.length_m[edges]
    fragment = network.fragment[edges] if network.fragment is not None else np.zeros(edges.size, dtype=bool)
    main_pieces = main_tree = None
    if fragment.any():
        main = np.flatnonzero(~fragment)
        main_pieces = piece_index(geometry[main])
        main_pieces = dataclasses.replace(main_pieces, edge=main[main_pieces.edge])
        main_tree = shapely.STRtree(geometry[main])
    return WalkNetwork(
        node_xy_m=network.node_xy_m[nodes],
        u=u,
        v=v,
        length_m=length_m,
        geometry=geometry,
        tree=shapely.STRtree(geometry),
        adjacency=adjacency_matrix(u, v, length_m, nodes.size),
        crs=network.crs,
        pieces=piece_index(geometry),
        component=network.component[edges] if network.component is not None else None,
        fragment=fragment,
        main_pieces=main_pieces,
        main_tree=main_tree,
    )
