"""Fragments of the walking network: small connected pieces no point is attached to (issue 19.4).

The rule. The walking network's connected components are found once
(:func:`scipy.sparse.csgraph.connected_components`, in
:func:`blockcheck.network.build_walk_network`). A component whose edges total
less than ``fragment_max_m``, other than the longest component, is a
*fragment*: a footway inside a compound reached only over an expressway,
a side road cut off by grade separation, a built road whose links are still
planned. Points are attached to the nearest edge outside fragments
(:func:`blockcheck.network.snap_points`), so a resident or a hospital next to
a fragment is measured from the connected network instead of reaching only
what lies on the fragment; the fragments and the points they would have
caught are reported (:func:`fragment_table`;
:func:`blockcheck.inputs.network_notes.report_fragments` writes the run's note).

The threshold is one blockcheck parameter (参数),
``network.fragment_max_length_m`` = 1000 m: the 15-minute life circle's
walking distance, so a piece shorter than one walk of the longest life circle
is never taken for the network. Measured on the Xueyuan Road OSM extract: the
pieces cut off by expressways and grade separation total 6–709 m (the G6 side
road 709 m), the connected network 42.3 km. A share of the longest component
cannot serve: the G6 side road is 1.7 % of Xueyuan's network, the sample
district's isolated compound road 0.37 % of its 90.9 km, and extracts differ
in size. The run passes the parameter (``data/standards/parameters.toml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from blockcheck.network.graph import WalkNetwork
from blockcheck.network.snapping import Snapped

__all__ = ["FRAGMENT_COLUMNS", "fragment_table"]

#: Columns of :func:`fragment_table`.
FRAGMENT_COLUMNS = ("component", "length_m", "n_edges", "x", "y", "residents", "population", "facilities")


def fragment_table(
    network: WalkNetwork,
    residents: Snapped | None = None,
    population: np.ndarray | None = None,
    facilities: Snapped | None = None,
) -> pd.DataFrame:
    """One row per fragment of `network`: its size, a location and the points it would have caught.

    Parameters
    ----------
    network
        The walking network (built with ``fragment_max_m``).
    residents
        The residents snapped to `network` (:func:`blockcheck.network.snap_points`).
    population
        Persons per resident (same order as `residents`); default 1 each.
    facilities
        The facilities snapped to `network`, one point per facility (for
        facilities entered at several points: :meth:`blockcheck.network.Entries.per_feature`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FRAGMENT_COLUMNS`: the component label, the total edge
        length (m) and number of edges, ``x``/``y`` of a point on the fragment
        (the middle of its longest edge, in the network CRS), and how many
        residents (and persons) and facilities were nearest to an edge of the
        fragment and were attached farther away, to the network outside
        fragments. Longest fragment first; no row when there is no fragment.
    """
    if network.fragment is None or not network.fragment.any():
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in FRAGMENT_COLUMNS})
    edges = np.flatnonzero(network.fragment)
    comp = network.component[edges]
    labels, code = np.unique(comp, return_inverse=True)
    length_m = np.bincount(code, weights=network.length_m[edges])
    n_edges = np.bincount(code, minlength=labels.size)
    # the longest edge of each fragment: sort by (fragment, length) and take each fragment's last
    order = np.lexsort((network.length_m[edges], code))
    longest = edges[order[np.r_[np.flatnonzero(np.diff(code[order])), order.size - 1]]]
    where = shapely.line_interpolate_point(network.geometry[longest], 0.5, normalized=True)
    xy = shapely.get_coordinates(where)
    position = np.full(network.n_edges, -1, dtype=np.int64)
    position[edges] = code

    def caught(snapped: Snapped | None, weight: np.ndarray | None = None) -> np.ndarray:
        if snapped is None or snapped.fragment_edge is None:
            return np.zeros(labels.size)
        hit = snapped.fragment_edge >= 0
        w = np.ones(hit.sum()) if weight is None else np.asarray(weight, dtype=float)[hit]
        return np.bincount(position[snapped.fragment_edge[hit]], weights=w, minlength=labels.size)

    table = pd.DataFrame(
        {
            "component": labels,
            "length_m": length_m,
            "n_edges": n_edges,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "residents": caught(residents).astype(np.int64),
            "population": caught(residents, population),
            "facilities": caught(facilities).astype(np.int64),
        }
    )
    return table.sort_values("length_m", ascending=False, kind="stable").reset_index(drop=True)
