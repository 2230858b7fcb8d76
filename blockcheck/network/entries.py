"""Where people enter a facility or a park: its gates, else its outline where it fronts a walkable edge.

The rule (issue 19.3), one for parks and for every polygon facility, applied
by :func:`feature_entries`:

1. **Gates.** A gate is a point of the optional ``entrances`` layer (from OSM:
   ``entrance=*`` and ``barrier=gate`` nodes, see ``[entrances]`` in
   ``data/osm_tags.toml``; from the user's own data, mapped like any layer);
   gates marked ``access = private`` are not entrances. A gate belongs to a
   polygon when it lies within :attr:`EntryRule.gate_max_m` of the polygon's
   outline (``network.entry_gate_max_m`` = 5 m: OSM gates are nodes of the
   outline; the margin allows for gates digitised apart from it). A polygon
   with at least one gate is entered at its gates, and only there: a walled
   campus is walked into at its gates, not over its wall. Any point of the
   layer counts, so it should hold the ways into sites: a house door within
   5 m of a park's outline would become the park's only gate (the OSM import
   leaves out the doors of homes, staircases, garages, service and emergency
   exits).
2. **Frontage.** A polygon without a gate is entered at access points along
   its outline, at most :attr:`EntryRule.spacing_m` apart
   (``network.entry_spacing_m`` = 50 m; the outline's vertices included), kept
   where the outline *fronts a walkable edge*: the access point's nearest edge
   of the walking network (outside fragments, as for every snapped point) lies
   within :attr:`EntryRule.frontage_max_m` (``network.entry_frontage_max_m`` =
   30 m, half the red-line width of a wide arterial: a site on a road's red
   line lies within it of the road's centre line). A school's back fence on an
   unwalked railway or river is not an entrance.
3. **Whole outline.** A polygon none of whose access points fronts a walkable
   edge is entered at all of them, so that nothing becomes silently
   unreachable: the walk to it then includes the straight line from the
   nearest edge to its outline (the validation report names such polygons).

Point features are entered at their points. The distance from a feature is
the minimum over its entries (snap + along the network + snap, each entry
snapped like any point), and from a category of features the minimum over
all entries of all its features: one multi-source search
(:func:`blockcheck.network.nearest_source_distance_m`) per category. A
resident inside a polygon is inside it (distance 0); the metrics see to that
(:mod:`blockcheck.metrics.accessibility`).

The three thresholds are blockcheck parameters (参数, grade C) of
``data/standards/parameters.toml``; :meth:`EntryRule.from_standards` reads them.
Measured: in the sample district every polygon facility measured by walking
(28) and every park (30) fronts a walkable road within 30 m (its nearest access
point 5–21 m away); on the Xueyuan Road OSM extract no mapped gate lies within 14 m
of a facility or park outline (its gates are on campus walls), and 5 of its
25 polygon facilities (three hospitals, two of them beside the G6 side road,
a fragment; a kindergarten; a sports ground) lie 41–75 m from the nearest
connected edge and are entered along their whole outline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.errors import StandardsError
from blockcheck.network.graph import DISTANCE_TOLERANCE_M, WalkNetwork
from blockcheck.network.snapping import Snapped, _check_network_crs, snap_points

__all__ = ["ENTERED", "ENTRY_KEYS", "Entries", "EntryRule", "feature_entries", "gate_points"]

#: How a feature is entered (:attr:`Entries.entered`): at its point, at its gates, along the stretches of
#: its outline that front a walkable edge, along its whole outline (none of it fronts one), or not at all
#: (missing or empty geometry).
ENTERED = ("point", "gate", "frontage", "outline", "none")
#: The parameters of the rule, by :class:`EntryRule` field.
ENTRY_KEYS = {
    "spacing_m": "network.entry_spacing_m",
    "gate_max_m": "network.entry_gate_max_m",
    "frontage_max_m": "network.entry_frontage_max_m",
}
#: ``access`` values of the entrances layer that make a gate no entrance (vocabulary entrance_access).
CLOSED_ACCESS = ("private",)


@dataclass(frozen=True)
class EntryRule:
    """The thresholds of the entry rule (see the module docstring), in metres.

    Raises
    ------
    blockcheck.errors.StandardsError
        A value that is not a finite number >= 0 (``spacing_m``: > 0).
    """

    spacing_m: float
    gate_max_m: float
    frontage_max_m: float

    def __post_init__(self) -> None:
        for name in ("spacing_m", "gate_max_m", "frontage_max_m"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0) or (name == "spacing_m" and value <= 0):
                msg = (
                    f"The entry rule's {name} is {value!r}; give a finite number of metres, "
                    f"{'> 0' if name == 'spacing_m' else '>= 0'} ({ENTRY_KEYS[name]} in the standards)."
                )
                raise StandardsError(msg)

    @classmethod
    def from_standards(cls, standards: object = None) -> EntryRule:
        """The rule with the values of `standards` (a :class:`blockcheck.standards.Standards`).

        None: the shipped parameters (``data/standards/parameters.toml``, the
        same in every profile unless a standards file overrides them).
        """
        if standards is None:
            return _shipped_rule()
        return cls(**{name: float(standards[key]) for name, key in ENTRY_KEYS.items()})


@cache
def _shipped_rule() -> EntryRule:
    from blockcheck.standards import load_standards

    return EntryRule.from_standards(load_standards("national"))


@dataclass(frozen=True, eq=False)
class Entries:
    """Where each of a list of features is entered: its entry points, snapped, and how it was entered.

    Attributes
    ----------
    snapped
        The entry points attached to the network (:func:`snap_points`), grouped
        by feature in feature order.
    feature
        Position (in the features given) of the feature each entry point belongs to.
    xy
        Coordinates of the entry points, shape ``(n, 2)``.
    entered
        Per feature, one of :data:`ENTERED`.
    gates
        Per feature, the number of gates it is entered at (0 unless ``entered == "gate"``).
    """

    snapped: Snapped
    feature: np.ndarray
    xy: np.ndarray
    entered: np.ndarray
    gates: np.ndarray

    def __len__(self) -> int:
        """The number of features."""
        return int(self.entered.shape[0])

    def of(self, features: np.ndarray) -> Snapped:
        """The snapped entry points of the features selected by `features` (a boolean mask over the features)."""
        return self.snapped.take(np.flatnonzero(np.asarray(features, dtype=bool)[self.feature]))

    @property
    def count(self) -> np.ndarray:
        """Per feature, its number of entry points."""
        return np.bincount(self.feature, minlength=len(self))

    def per_feature(self) -> Snapped:
        """One snapped point per feature, for :func:`blockcheck.network.fragment_table`: its first entry point
        that a fragment moved farther (``fragment_edge`` >= 0), else its first entry point (unattached when it has
        none). A feature counts as caught by a fragment when any of its entry points was."""
        n = len(self)
        moved = self.snapped.fragment_edge
        first = np.full(n, -1, dtype=np.int64)
        position = np.arange(self.feature.shape[0])
        for pick in (position, position[moved >= 0] if moved is not None else position[:0]):
            owner = self.feature[pick]
            _, at = np.unique(owner, return_index=True)  # the first of each feature (entries are grouped in order)
            first[owner[at]] = pick[at]
        has = first >= 0
        out = Snapped(
            np.full(n, -1, dtype=np.int64),
            np.full(n, np.nan),
            np.full(n, np.inf),
            None if moved is None else np.full(n, -1, dtype=np.int64),
        )
        out.edge[has] = self.snapped.edge[first[has]]
        out.offset_m[has] = self.snapped.offset_m[first[has]]
        out.snap_m[has] = self.snapped.snap_m[first[has]]
        if moved is not None:
            out.fragment_edge[has] = moved[first[has]]
        return out

    def table(self, ids: object = None) -> pd.DataFrame:
        """One row per feature: ``id`` (`ids`, default the position), ``entered``, ``entries`` and ``gates``."""
        index = np.arange(len(self)) if ids is None else np.asarray(ids, dtype=object)
        return pd.DataFrame({"id": index, "entered": self.entered, "entries": self.count, "gates": self.gates})


def _geometries(features: object) -> np.ndarray:
    """Shapely geometries of a GeoDataFrame, GeoSeries or sequence, as a 1-d object array."""
    if isinstance(features, gpd.GeoDataFrame):
        features = features.geometry
    if isinstance(features, gpd.GeoSeries):
        return np.asarray(features.values, dtype=object)
    if isinstance(features, shapely.Geometry):
        return np.array([features], dtype=object)
    return np.asarray(features, dtype=object).reshape(-1)


def gate_points(entrances: object) -> np.ndarray:
    """The open gates of an ``entrances`` layer as Points (multi-points split, other geometries left out).

    Gates whose ``access`` is ``private`` (:data:`CLOSED_ACCESS`) are not
    entrances; a layer without the field, or an empty value, means open.
    `entrances` may be a GeoDataFrame, a GeoSeries or a sequence of points.
    """
    geoms = _geometries(entrances)
    if isinstance(entrances, gpd.GeoDataFrame) and "access" in entrances.columns:
        geoms = geoms[~entrances["access"].isin(CLOSED_ACCESS).to_numpy()]
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    parts = shapely.get_parts(geoms)
    return parts[(shapely.get_type_id(parts) == 0) & ~shapely.is_empty(parts)]


def _first_of_each(owner: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Positions of the points that are not an exact repeat of an earlier point of the same owner, in order."""
    if owner.size == 0:
        return np.arange(0)
    order = np.lexsort((xy[:, 1], xy[:, 0], owner))
    same = (
        (owner[order][1:] == owner[order][:-1])
        & (xy[order][1:, 0] == xy[order][:-1, 0])
        & (xy[order][1:, 1] == xy[order][:-1, 1])
    )
    repeat = np.zeros(owner.size, dtype=bool)
    repeat[order[1:][same]] = True
    return np.flatnonzero(~repeat)


def feature_entries(
    network: WalkNetwork,
    features: object,
    entrances: object = None,
    *,
    rule: EntryRule | None = None,
) -> Entries:
    """The entry points of features (points and polygons) on the walking network, by the rule of the module.

    Parameters
    ----------
    network
        The walking network.
    features
        The features' geometries (GeoDataFrame, GeoSeries, shapely array or
        list) in the network CRS: points (entered at their points) and
        polygons (entered at gates or along their outline). Other geometries
        are entered at a point on them (:func:`shapely.point_on_surface`);
        missing or empty ones are not entered (``entered == "none"``).
    entrances
        The gates: the ``entrances`` layer (its ``access`` honoured, see
        :func:`gate_points`) or point geometries; None: no gate.
    rule
        The thresholds; default :meth:`EntryRule.from_standards` (the shipped parameters).

    Returns
    -------
    Entries
        The entry points, snapped, with their features and how each feature is entered.

    Raises
    ------
    blockcheck.errors.CRSError
        If `features` or `entrances` carry a CRS other than the network's.

    Notes
    -----
    One snapping call attaches every candidate (points, gates and outline
    access points); an access point *fronts a walkable edge* when its snap
    distance is at most ``rule.frontage_max_m`` (+ 1 µm). Gates are matched to
    outlines with one :class:`shapely.STRtree` ``dwithin`` query. A gate on
    the shared outline of two polygons belongs to both. Repeated access points
    of one polygon (the closing vertex of a ring) are kept once.
    """
    rule = rule or EntryRule.from_standards()
    _check_network_crs(network, features, "facilities or parks")
    geoms = _geometries(features)
    n = geoms.shape[0]
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kind = np.where(present, shapely.get_type_id(geoms), -1)
    is_point = np.isin(kind, (0, 4))
    is_polygon = np.isin(kind, (3, 6))
    is_other = present & ~is_point & ~is_polygon

    # candidates: (owner, x, y, what) with what 0 = point, 1 = gate, 2 = outline access point
    owners, coords, whats = [], [], []

    def add(owner: np.ndarray, points_xy: np.ndarray, what: int) -> None:
        owners.append(owner)
        coords.append(points_xy.reshape(-1, 2))
        whats.append(np.full(owner.shape[0], what, dtype=np.int8))

    at_point = np.flatnonzero(is_point)
    parts, which = shapely.get_parts(geoms[at_point], return_index=True)
    keep = ~shapely.is_empty(parts)
    add(at_point[which[keep]], shapely.get_coordinates(parts[keep]), 0)
    at_other = np.flatnonzero(is_other)
    add(at_other, shapely.get_coordinates(shapely.point_on_surface(geoms[at_other])), 0)

    polygons = np.flatnonzero(is_polygon)
    outlines = shapely.boundary(geoms[polygons])
    gates = np.zeros(n, dtype=np.int64)
    if entrances is not None and polygons.size:
        _check_network_crs(network, entrances, "entrances")
        doors = gate_points(entrances)
        if doors.size:
            g, p = shapely.STRtree(outlines).query(
                doors, predicate="dwithin", distance=float(rule.gate_max_m) + DISTANCE_TOLERANCE_M
            )
            add(polygons[p], shapely.get_coordinates(doors[g]), 1)
            gates[polygons[p]] = 1
    plain = gates[polygons] == 0
    dense = shapely.segmentize(outlines[plain], float(rule.spacing_m))
    xy, which = shapely.get_coordinates(dense, return_index=True)
    add(polygons[plain][which], xy, 2)

    owner = np.concatenate(owners)
    xy = np.concatenate(coords)
    what = np.concatenate(whats)
    order = np.argsort(owner, kind="stable")  # grouped by feature, in the order found
    owner, xy, what = owner[order], xy[order], what[order]
    first = _first_of_each(owner, xy)
    owner, xy, what = owner[first], xy[first], what[first]

    snapped = snap_points(network, shapely.points(xy))
    outline = what == 2
    fronts = outline & (snapped.snap_m <= float(rule.frontage_max_m) + DISTANCE_TOLERANCE_M)
    fronting = np.zeros(n, dtype=bool)
    fronting[owner[fronts]] = True
    keep = np.flatnonzero(~outline | fronts | ~fronting[owner])

    entered = np.full(n, "none", dtype=object)
    entered[is_point | is_other] = "point"
    entered[polygons] = np.where(plain, np.where(fronting[polygons], "frontage", "outline"), "gate")
    gates = np.bincount(owner[what == 1], minlength=n)
    return Entries(snapped=snapped.take(keep), feature=owner[keep], xy=xy[keep], entered=entered, gates=gates)
