"""Population: where the residents of each block live, and how many there are.

Two ways to put people on the map, both returning *residents* — a
GeoDataFrame of POINTS with float columns ``population``, ``households``,
``elderly_population`` and ``resident_workers`` (persons, households) and the
``block_id`` of the block each point lies in. Residents are the input of the
coverage metrics (walking and straight-line, see the accessibility module)
and of :func:`block_population`.

- :func:`residents_from_communities` — dasymetric distribution of community
  counts to residential buildings by residential floor area, with an
  area-weighted fallback for communities without residential buildings;
- :func:`blockcheck.metrics.population_raster.residents_from_raster` —
  people-per-pixel GeoTIFFs (e.g. WorldPop), with fractional pixel coverage.

:func:`block_population` sums residents per block.

All functions are pure (inputs are never modified) and vectorised (shapely 2
STRtree queries and numpy; no Python loop over features).
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.crs import require_same_metric_crs
from blockcheck.errors import InputError
from blockcheck.metrics.assign import given_or_representative_points

__all__ = ["RESIDENT_COLUMNS", "block_population", "residents_from_communities"]

#: Count columns carried by residents, in this order (persons, except ``households``).
RESIDENT_COLUMNS: tuple[str, ...] = ("population", "households", "elderly_population", "resident_workers")

#: Values of the ``source`` column of residents.
_SOURCE_BUILDING = "building"
_SOURCE_AREA = "community_area"
_SOURCE_RASTER = "raster"


# --------------------------------------------------------------- helpers ----


def _check_blocks(blocks: gpd.GeoDataFrame) -> None:
    if not blocks.index.is_unique:
        dupes = blocks.index[blocks.index.duplicated()].unique()[:5].tolist()
        msg = (
            f"The blocks index (block_id) is not unique: {dupes} occur more than once. Give every block its own "
            "block_id."
        )
        raise InputError(msg)


def _counts(frame: pd.DataFrame) -> np.ndarray:
    """(n, 4) float array of the resident count columns; missing columns, NaN and non-numbers → 0."""
    out = np.zeros((len(frame), len(RESIDENT_COLUMNS)), dtype=float)
    for k, column in enumerate(RESIDENT_COLUMNS):
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            out[:, k] = np.where(np.isfinite(values), values, 0.0)
    return out


def _usable(geoms: np.ndarray) -> np.ndarray:
    """Boolean mask of geometries that are neither missing nor empty."""
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _first_hit(n: int, query: np.ndarray) -> np.ndarray:
    """Position of the first (lowest-position) tree geometry hit by each of `n` inputs; -1 if none.

    `query` is the (2, k) result of :meth:`shapely.STRtree.query` (input, tree).
    """
    out = np.full(n, -1, dtype=np.intp)
    if query.shape[1]:
        order = np.lexsort((query[1], query[0]))  # by input, then by tree position
        inputs, tree = query[0][order], query[1][order]
        first, start = np.unique(inputs, return_index=True)
        out[first] = tree[start]
    return out


def _residents_frame(
    blocks: gpd.GeoDataFrame,
    points: np.ndarray,
    counts: np.ndarray,
    block_pos: np.ndarray,
    source: np.ndarray,
    crs: object,
) -> gpd.GeoDataFrame:
    """Assemble residents: the count columns, ``block_id`` (dtype of the blocks' index) and ``source``."""
    data: dict[str, object] = {column: counts[:, k].astype(float) for k, column in enumerate(RESIDENT_COLUMNS)}
    data["block_id"] = blocks.index.take(block_pos).array
    data["source"] = pd.Series(np.asarray(source, dtype=object), dtype=str).array
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=crs).array, crs=crs)


def _area_pieces(
    blocks_geoms: np.ndarray, community_geoms: np.ndarray, community_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each community's counts over its overlaps with the blocks, by area.

    Returns representative points of the pieces community ∩ block, the counts
    ``X_c × area(c ∩ b) / area(c)`` and the block positions.
    """
    empty = (np.empty(0, dtype=object), np.empty((0, len(RESIDENT_COLUMNS))), np.empty(0, dtype=np.intp))
    if community_geoms.size == 0 or blocks_geoms.size == 0:
        return empty
    pairs = shapely.STRtree(blocks_geoms).query(community_geoms, predicate="intersects")
    if pairs.shape[1] == 0:
        return empty
    c, b = pairs
    pieces = shapely.intersection(community_geoms[c], blocks_geoms[b])
    piece_m2 = shapely.area(pieces)
    community_m2 = shapely.area(community_geoms)[c]
    keep = (piece_m2 > 0) & (community_m2 > 0)
    c, b, pieces = c[keep], b[keep], pieces[keep]
    share = piece_m2[keep] / community_m2[keep]
    return shapely.point_on_surface(pieces), community_counts[c] * share[:, None], b


# --------------------------------------------------------------- metrics ----


def residents_from_communities(
    blocks: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    residential_uses: Iterable[str] = ("residential", "mixed"),
    mixed_residential_share: float = 0.5,
    default_floors: float = 1,
    building_points: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    r"""Distribute community counts to residential buildings (dasymetric mapping) as resident points.

    Parameters
    ----------
    blocks
        Block polygons indexed by ``block_id`` (unique), in a projected CRS in metres.
    communities
        Community polygons with counts ``population``, ``households``,
        ``elderly_population`` and ``resident_workers``. Missing columns,
        missing values and non-numbers count as 0.
    buildings
        Building footprints (polygons) with ``use`` (building_use vocabulary)
        and optionally ``floors``. ``None``: no buildings — every community
        is split over the blocks by area.
    residential_uses
        Values of ``use`` whose buildings house residents.
    mixed_residential_share
        Share in [0, 1] of a ``mixed`` building's floor area that is residential.
    default_floors
        Floors (>= 0) assumed where ``floors`` is missing, not a number, or the
        column is absent.
    building_points
        :func:`blockcheck.metrics.assign.representative_points` of `buildings`
        (one per row) when the caller has them; made here otherwise.

    Returns
    -------
    geopandas.GeoDataFrame
        Residents: one POINT per residential building whose representative
        point lies in a block, then one point per community × block piece of
        the communities placed by area. Columns ``population``,
        ``households``, ``elderly_population``, ``resident_workers`` (float),
        ``block_id`` (dtype of the blocks' index) and ``source``
        (``"building"`` or ``"community_area"``); a fresh ``RangeIndex``; CRS
        of `blocks`. Residential buildings of no community are kept with 0.

    Raises
    ------
    blockcheck.errors.CRSError
        If a layer is not in a projected CRS in metres, or the layers' CRSs differ.
    blockcheck.errors.InputError
        If the blocks index is not unique, `buildings` lacks ``use``, or an
        option is out of range.

    Notes
    -----
    **Residential floor area** of building *i* (m²):

    .. math:: F_i = A_i \, f_i \, s_i

    with :math:`A_i` the footprint area, :math:`f_i` its floors
    (`default_floors` where missing) and :math:`s_i` = 1 for residential uses,
    `mixed_residential_share` for ``use == "mixed"``. Only buildings whose
    ``use`` is in `residential_uses` count.

    **Community of a building**: the community polygon its representative
    point (:func:`shapely.point_on_surface`, always inside the footprint) lies
    within (strictly inside: a point on a community's boundary belongs to no
    community); where communities overlap, the first in `communities`' row
    order. A building of no community receives nobody.

    **Building path.** For each count :math:`X` (population, households,
    elderly_population, resident_workers) of community *c*:

    .. math:: x_i = X_c \, \frac{F_i}{\sum_{j \in c} F_j}

    **Area path.** A community with no residential floor area
    (:math:`\sum_{j \in c} F_j = 0`: no residential building inside, or all
    with 0 floors), and every community when `buildings` is ``None``, is split
    over the blocks by overlap area, one point per piece :math:`c \cap b` at
    the piece's representative point:

    .. math:: x_{c,b} = X_c \, \frac{\mathrm{area}(c \cap b)}{\mathrm{area}(c)}

    **Block of a building**: the block its representative point intersects
    (a point exactly on an edge shared by two blocks goes to the first of
    them in `blocks`' row order). Points in no block are dropped.

    **Conservation.** The total of each count over the output equals its total
    over the communities, as long as each community lies inside the union of
    the blocks (blocks derived from roads tile the study area, so this holds
    inside it). The part of a community outside every block is lost: on the
    building path, the share of the floor area of its residential buildings
    outside the blocks; on the area path, the share of its area outside the
    blocks. A community that does not intersect any block contributes nothing.
    """
    _check_blocks(blocks)
    if buildings is None:
        require_same_metric_crs(blocks=blocks, communities=communities)
    else:
        require_same_metric_crs(blocks=blocks, communities=communities, buildings=buildings)
    if not 0.0 <= float(mixed_residential_share) <= 1.0:
        msg = (
            "mixed_residential_share must be between 0 and 1 (share of a mixed building's floor area that is "
            f"residential), got {mixed_residential_share!r}."
        )
        raise InputError(msg)
    if not float(default_floors) >= 0.0:
        msg = f"default_floors must be a number >= 0, got {default_floors!r}."
        raise InputError(msg)
    uses = (residential_uses,) if isinstance(residential_uses, str) else tuple(residential_uses)

    block_geoms = blocks.geometry.to_numpy()
    block_ok = np.flatnonzero(_usable(block_geoms))
    block_geoms = block_geoms[block_ok]  # positions in block_ok map back to blocks

    community_geoms = communities.geometry.to_numpy()
    community_counts = _counts(communities)
    community_ok = _usable(community_geoms)

    pts_parts: list[np.ndarray] = []
    cnt_parts: list[np.ndarray] = []
    blk_parts: list[np.ndarray] = []
    src_parts: list[np.ndarray] = []

    by_area = community_ok.copy()
    if buildings is not None:
        residential, floor_m2 = _residential_floor_m2(buildings, uses, mixed_residential_share, default_floors)
        if building_points is None:  # only the residential ones
            points = shapely.point_on_surface(buildings.geometry.to_numpy()[residential])
        else:
            points = given_or_representative_points(buildings, building_points)[residential]
        counts, housed = _share_by_floor_area(points, floor_m2, community_geoms, community_ok, community_counts)
        by_area &= ~housed
        block = _first_hit(points.shape[0], shapely.STRtree(block_geoms).query(points, predicate="intersects"))
        in_block = block >= 0
        pts_parts.append(points[in_block])
        cnt_parts.append(counts[in_block])
        blk_parts.append(block_ok[block[in_block]])
        src_parts.append(np.full(int(in_block.sum()), _SOURCE_BUILDING, dtype=object))

    area_idx = np.flatnonzero(by_area)
    points, counts, block = _area_pieces(block_geoms, community_geoms[area_idx], community_counts[area_idx])
    pts_parts.append(points)
    cnt_parts.append(counts)
    blk_parts.append(block_ok[block])
    src_parts.append(np.full(points.shape[0], _SOURCE_AREA, dtype=object))

    return _residents_frame(
        blocks,
        np.concatenate(pts_parts),
        np.concatenate(cnt_parts, axis=0),
        np.concatenate(blk_parts),
        np.concatenate(src_parts),
        blocks.crs,
    )


def _residential_floor_m2(
    buildings: gpd.GeoDataFrame, uses: tuple[str, ...], mixed_residential_share: float, default_floors: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which buildings are residential (a boolean row mask) and their residential floor area F = area × floors ×
    share (m², one per residential building).

    Raises
    ------
    blockcheck.errors.InputError
        If `buildings` lacks ``use``.
    """
    if "use" not in buildings.columns:
        msg = (
            "The buildings lack the column 'use' (building_use vocabulary, e.g. residential, mixed). Add it or map it "
            "with a field-mapping file."
        )
        raise InputError(msg)
    geoms = buildings.geometry.to_numpy()
    use = buildings["use"].to_numpy(dtype=object)
    residential = np.isin(use, np.asarray(uses, dtype=object)) & _usable(geoms)
    geoms = geoms[residential]
    use = use[residential]
    if "floors" in buildings.columns:
        floors = pd.to_numeric(buildings["floors"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[residential]
        floors = np.where(np.isfinite(floors), floors, float(default_floors))
    else:
        floors = np.full(geoms.shape[0], float(default_floors))
    share = np.where(use == "mixed", float(mixed_residential_share), 1.0)
    return residential, shapely.area(geoms) * np.maximum(floors, 0.0) * share


def _share_by_floor_area(
    points: np.ndarray,
    floor_m2: np.ndarray,
    community_geoms: np.ndarray,
    community_ok: np.ndarray,
    community_counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each community's counts shared over its buildings (at `points`) by residential floor area.

    Returns
    -------
    counts : numpy.ndarray
        One row of :data:`RESIDENT_COLUMNS` per building (0 for a building of
        no community, or of a community without floor area).
    housed : numpy.ndarray
        True for the communities with residential floor area (the others go
        the area path).
    """
    ok_geoms = np.where(community_ok, community_geoms, None)
    community = _first_hit(points.shape[0], shapely.STRtree(ok_geoms).query(points, predicate="within"))
    in_community = community >= 0
    total_m2 = np.bincount(community[in_community], weights=floor_m2[in_community], minlength=len(community_geoms))
    housed = total_m2 > 0
    counts = np.zeros((points.shape[0], len(RESIDENT_COLUMNS)))
    gets = np.zeros(points.shape[0], dtype=bool)
    gets[in_community] = housed[community[in_community]]
    c = community[gets]
    counts[gets] = community_counts[c] * (floor_m2[gets] / total_m2[c])[:, None]
    return counts, housed


def block_population(blocks: gpd.GeoDataFrame, residents: gpd.GeoDataFrame) -> pd.DataFrame:
    r"""Sum residents per block.

    Parameters
    ----------
    blocks
        Blocks indexed by ``block_id`` (unique).
    residents
        Resident points with ``block_id`` and ``population`` and optionally
        ``households``, ``elderly_population``, ``resident_workers``
        (from :func:`residents_from_communities` or :func:`residents_from_raster`).

    Returns
    -------
    pandas.DataFrame
        Indexed like `blocks`, float columns ``population``, ``households``,
        ``elderly_population``, ``resident_workers``:

        .. math:: X_b = \sum_{r \,:\, \mathrm{block\_id}(r) = b} x_r

        NaN values count as 0 and blocks without residents get 0, except
        that a column absent from `residents`, or NaN in every row of a
        non-empty `residents` (e.g. households from a raster), is NaN for
        every block (unknown, not zero). Residents whose ``block_id`` is not
        in `blocks` are ignored.

    Raises
    ------
    blockcheck.errors.InputError
        If `residents` lacks ``block_id`` or ``population``, or the blocks
        index is not unique.
    """
    _check_blocks(blocks)
    missing = [c for c in ("block_id", "population") if c not in residents.columns]
    if missing:
        msg = (
            f"The residents lack the column(s) {', '.join(missing)} (see residents_from_communities / "
            "residents_from_raster)."
        )
        raise InputError(msg)
    code = blocks.index.get_indexer(residents["block_id"])
    inside = code >= 0
    out = {}
    for column in RESIDENT_COLUMNS:
        if column not in residents.columns:
            out[column] = np.full(len(blocks), np.nan)
            continue
        values = pd.to_numeric(residents[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if values.size and not np.isfinite(values).any():
            out[column] = np.full(len(blocks), np.nan)
            continue
        values = np.where(np.isfinite(values), values, 0.0)
        out[column] = np.bincount(code[inside], weights=values[inside], minlength=len(blocks)).astype(float)
    return pd.DataFrame(out, index=blocks.index.copy())
