"""The health check's per-block metrics computed tile by tile on Dask workers (``blockcheck run --tiles``).

The driver (the process running :func:`blockcheck.pipeline.run`) validates the
input, distributes residents and builds the walking network as a whole-city
run does; :class:`TiledBlockMetrics` then sends each tile's blocks, the
features within the tile's box grown by the halo and the network's edges there
to a worker (:func:`tile_block_metrics`), which computes the metrics of the
tile's own blocks with the same functions as the whole run. The driver joins
the tiles' rows in block order and goes on with the steps that couple the whole
city (the whole-area row, the allocation LP and the later lists; step 1's resources and the blocks'
problems are found tile by tile too: :meth:`TiledBlockMetrics.locate_resources`,
:meth:`~TiledBlockMetrics.problem_list`), so tiled and whole-city runs write the same workbook.

Why a tile's figures are the city's: every search of the health check ends
within the largest radius R of the standards (:func:`blockcheck.tiles.partition.halo_m`)
of the resident's point on the network; the network's edges are the city's,
with the city's fragments; and the worker checks (:func:`halo_shortfall_m`)
that each of its residents lies farther than its snapping distance + R inside
the box, and that no facility or park edge that could be reached from them was
attached to another road than in the city (a point lying farther from its road
than from the box's border). When a check fails the tile is computed again with
the halo the worker asks for.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.errors import BlockcheckError
from blockcheck.metrics.accessibility import PARK_ACCESS_SPACING_M
from blockcheck.network import WalkNetwork, snap_points
from blockcheck.progress import Progress, silent
from blockcheck.standards import Standards
from blockcheck.tiles.network import subnetwork
from blockcheck.tiles.partition import (
    HALO_SLACK_M,
    features_in,
    halo_m,
    largest_radius_m,
    overlap_groups,
    residents_of,
    tile_of_blocks,
)

__all__ = ["MAX_ATTEMPTS", "TiledBlockMetrics", "halo_shortfall_m", "tile_block_metrics"]

#: Layers a tile takes within the core box only (features assigned to blocks) and within the halo box.
CORE_LAYERS = ("roads", "buildings", "parking", "parcels")
HALO_LAYERS = ("facilities", "green", "entrances")
#: Layers taken as whole groups of overlapping features (their metrics dissolve them).
GROUPED_LAYERS = ("green", "parcels")
#: Halos tried per tile before giving up (each wider, as the worker asks).
MAX_ATTEMPTS = 4


def _peak_rss_gb() -> float:
    """This process's peak RSS (GB): Linux's VmHWM (ru_maxrss keeps the parent's peak across fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e9


def halo_shortfall_m(
    network: WalkNetwork,
    residents: gpd.GeoDataFrame,
    sources: np.ndarray,
    core_box: tuple[float, float, float, float],
    halo: float,
    radius_m: float,
    spacing_m: float = PARK_ACCESS_SPACING_M,
) -> float:
    """0 when `halo` was wide enough for the tile's residents, else the halo to try next (metres).

    Checks (see the module docstring): every counted resident ``p`` (population
    > 0, inside the core box) has ``snap(p) + radius_m < halo``; every possible
    source ``f`` (:func:`_sources`: facility and park points, their outlines
    every `spacing_m`, gates) near enough to matter — within
    ``S + radius_m + snap(f) + spacing_m`` of the core box, S the residents'
    largest snapping distance — lies farther inside the box than
    ``snap(f) + spacing_m``, so its road is the city's (an access point lies
    within ``spacing_m / 2`` of a point checked, and snapping distances change
    no faster than the point moves).
    """
    population = pd.to_numeric(residents["population"], errors="coerce").to_numpy(dtype=float)
    points = np.asarray(residents.geometry.values)[population > 0]
    if points.size == 0:
        return 0.0
    s_r = float(snap_points(network, points).snap_m.max())
    need = s_r + radius_m
    if sources.size:
        snapped = snap_points(network, sources).snap_m
        xy = shapely.get_coordinates(sources)
        x0, y0, x1, y1 = core_box
        dx = np.maximum.reduce([x0 - xy[:, 0], xy[:, 0] - x1, np.zeros(len(xy))])
        dy = np.maximum.reduce([y0 - xy[:, 1], xy[:, 1] - y1, np.zeros(len(xy))])
        to_core = np.hypot(dx, dy)
        inside = np.minimum.reduce(
            [xy[:, 0] - (x0 - halo), (x1 + halo) - xy[:, 0], xy[:, 1] - (y0 - halo), (y1 + halo) - xy[:, 1]]
        )
        margin = spacing_m
        doubtful = (inside <= snapped + margin) & (to_core <= s_r + radius_m + snapped + margin)
        if doubtful.any():
            need = max(need, s_r + radius_m + 2 * float(snapped[doubtful].max()) + 2 * margin)
    return 0.0 if need < halo else need + HALO_SLACK_M


def _sources(layers: dict[str, gpd.GeoDataFrame], spacing_m: float) -> np.ndarray:
    """Every point a walking search of the tile can start from, or one within `spacing_m` / 2 of it.

    Facilities, parks and gates (:data:`HALO_LAYERS`): points as they are,
    polygons by a point inside and their outlines' points every `spacing_m`
    (where a search enters a polygon: :mod:`blockcheck.network` access points).
    """
    parts = []
    for name in HALO_LAYERS:
        frame = layers.get(name)
        if frame is None or not len(frame):
            continue
        geoms = np.asarray(frame.geometry.values)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        point = shapely.get_type_id(geoms) == 0
        parts.append(geoms[point])
        if not point.all():
            parts.append(shapely.point_on_surface(geoms[~point]))
            rings = shapely.segmentize(shapely.boundary(geoms[~point]), spacing_m)
            parts.append(shapely.points(shapely.get_coordinates(rings)))
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def tile_block_metrics(tile: dict) -> dict:
    """On a worker: the per-block metrics of one tile's own blocks, the halo check and the worker's peak RSS.

    `tile` holds ``blocks`` (the blocks around the tile's own, indexed by
    block_id, in the city's order), ``core`` (the tile's block ids), ``layers``,
    ``residents``, ``network``, ``standards``, ``core_box`` and ``halo``.
    """
    from blockcheck.steps.health_check import metrics_for  # the whole run's own function

    layers, network, standards = tile["layers"], tile["network"], tile["standards"]
    blocks, residents = tile["blocks"], tile["residents"]
    shortfall = 0.0
    if network is not None:
        core_residents = residents_of(residents, pd.Index(tile["core"]))
        spacing_m = float(standards.get("network.entry_spacing_m", PARK_ACCESS_SPACING_M))
        shortfall = halo_shortfall_m(
            network,
            core_residents,
            _sources(layers, spacing_m),
            tile["core_box"],
            tile["halo"],
            largest_radius_m(standards),
            spacing_m,
        )
    metrics = None
    if not shortfall:
        metrics = metrics_for(blocks, layers, residents, network, standards, silent)
        metrics = metrics.loc[list(tile["core"])]
    return {"metrics": metrics, "shortfall_m": shortfall, "peak_rss_gb": _peak_rss_gb()}


@dataclass
class TiledBlockMetrics:
    """The per-block step of :func:`blockcheck.steps.health_check.health_check`, tile by tile on a Dask client.

    Called like the health check's own per-block function; after a run,
    :attr:`tiles` holds per tile its blocks, halo, attempts and the worker's peak RSS.
    """

    client: object  # distributed.Client
    n_tiles: int | str
    #: The halo tried first (default :func:`blockcheck.tiles.partition.halo_m`); a narrower one is widened as needed.
    first_halo_m: float | None = None
    tiles: list[dict] = field(default_factory=list)
    #: After :meth:`locate_resources`: the resource rows each task found (the tiles', then the features outside).
    resource_rows: list[int] = field(default_factory=list)
    #: After :meth:`problem_list`: the blocks' problem rows each tile's worker found.
    problem_rows: list[int] = field(default_factory=list)
    #: The tile of each block (by block id) of the last call of the metrics.
    block_tile: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    def __call__(
        self,
        blocks: gpd.GeoDataFrame,
        layers: dict[str, gpd.GeoDataFrame],
        residents: gpd.GeoDataFrame,
        network: WalkNetwork | None,
        standards: Standards,
        say: Progress,
    ) -> pd.DataFrame:
        n = self._n_tiles(layers)
        tile = tile_of_blocks(blocks, n)
        n = int(tile.max()) + 1 if len(tile) else 0
        self.block_tile = pd.Series(tile, index=blocks.index)
        source = _Source(blocks, layers, residents, network, standards)
        halos = [self.first_halo_m if self.first_halo_m is not None else halo_m(standards)] * n
        done: dict[int, pd.DataFrame] = {}
        self.tiles = [{"tile": t, "blocks": int((tile == t).sum()), "attempts": 0} for t in range(n)]
        pending = list(range(n))
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        from distributed import as_completed

        running = as_completed()
        futures: dict = {}

        def submit(t: int) -> None:
            # sent to a worker as data of its own (not inside the task), and not kept here
            [data] = self.client.scatter([source.tile(np.flatnonzero(tile == t), halos[t])], hash=False)
            self.tiles[t]["attempts"] += 1
            self.tiles[t]["halo_m"] = halos[t]
            future = self.client.submit(tile_block_metrics, data, pure=False)
            futures[future.key] = (t, data)
            running.add(future)

        while pending and running.count() < workers + 1:
            submit(pending.pop(0))
        for future in running:
            t, data = futures.pop(future.key)
            result = future.result()
            future.release()
            data.release()
            self.tiles[t]["peak_rss_gb"] = max(self.tiles[t].get("peak_rss_gb", 0.0), result["peak_rss_gb"])
            if result["shortfall_m"]:
                if self.tiles[t]["attempts"] >= MAX_ATTEMPTS:
                    msg = (
                        f"Tile {t}: residents or facilities lie farther than {halos[t]:,.0f} m from the walking "
                        "network near the tile's border, so its metrics could differ from a whole-city run. Run "
                        "with fewer tiles (or without --tiles), or check the roads layer for gaps."
                    )
                    raise BlockcheckError(msg)
                halos[t] = max(result["shortfall_m"], halos[t] * 2)
                pending.insert(0, t)
            else:
                done[t] = result["metrics"]
                say(0.3 + 0.6 * len(done) / n, f"tile {len(done)} of {n}")
            while pending and running.count() < workers + 1:
                submit(pending.pop(0))
        merged = pd.concat([done[t] for t in range(n)])
        return merged.loc[blocks.index]

    def _n_tiles(self, layers: dict[str, gpd.GeoDataFrame]) -> int:
        """The tiles asked for: a number, or ``auto`` from the input's size (fixed by the first call)."""
        if self.n_tiles == "auto":
            from blockcheck.tiles.partition import auto_tiles

            self.n_tiles = auto_tiles(layers)
        return int(self.n_tiles)

    def locate_resources(
        self, layers: dict[str, gpd.GeoDataFrame], standards: Standards, *, as_of_year: int | None = None
    ) -> gpd.GeoDataFrame:
        """Step 1's resources tile by tile on the workers (:mod:`blockcheck.tiles.resources`), joined in tile order.

        Called as :func:`blockcheck.lists.resources.locate_resources` (by
        :func:`~blockcheck.lists.resources.find_resources`), with the same tiles as the metrics.
        """
        from blockcheck.tiles.resources import merge_resources, resource_payloads, tile_resources

        tile = tile_of_blocks(layers["blocks"], self._n_tiles(layers))
        parts = self._run_tasks(tile_resources, resource_payloads(layers, standards, tile, as_of_year=as_of_year))
        self.resource_rows = [len(parts[t]) for t in sorted(parts)]
        return merge_resources([parts[t] for t in sorted(parts)], layers["blocks"].crs)

    def problem_list(
        self,
        block_metrics: pd.DataFrame,
        area_metrics: pd.DataFrame,
        standards: Standards,
        *,
        metric_status: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Step 1's problem list: each tile's blocks' rows on a worker, the whole-area rows here, joined in order.

        Called as :func:`blockcheck.lists.problems.build_problem_list`, with
        the tiles of the last call of the metrics (:mod:`blockcheck.tiles.problems`).
        """
        from blockcheck.lists.problems import build_problem_list
        from blockcheck.tiles.problems import merge_problems, problem_payloads, tile_problems

        area = build_problem_list(block_metrics.iloc[:0], area_metrics, standards, metric_status=metric_status)
        tile = self.block_tile.reindex(block_metrics.index)
        if tile.isna().any():  # not the blocks of the metrics' tiles: built here as a run without tiles
            return build_problem_list(block_metrics, area_metrics, standards, metric_status=metric_status)
        tile = tile.to_numpy(dtype="int64")
        parts = self._run_tasks(tile_problems, problem_payloads(block_metrics, standards, tile, metric_status))
        self.problem_rows = [len(parts[t]) for t in sorted(parts)]
        return merge_problems(area, [parts[t] for t in sorted(parts)])

    def _run_tasks(self, function: Callable[[dict], object], payloads) -> dict[int, object]:
        """`function` of each payload (a dict with ``tile``) on the workers, at most one more than the workers at once.

        A payload is made when a task can start and is sent to a worker as data
        of its own; the results by tile.
        """
        from distributed import as_completed

        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        running, order, results = as_completed(), {}, {}

        def submit() -> bool:
            payload = next(payloads, None)
            if payload is None:
                return False
            [data] = self.client.scatter([payload], hash=False)
            future = self.client.submit(function, data, pure=False)
            order[future.key] = (payload["tile"], data)
            running.add(future)
            return True

        while running.count() < workers + 1 and submit():
            pass
        for future in running:
            t, data = order.pop(future.key)
            results[t] = future.result()
            future.release()
            data.release()
            while running.count() < workers + 1 and submit():
                pass
        return results


class _Source:
    """What tiles are cut from: the city's blocks, layers, residents and network, with indexes built once."""

    def __init__(self, blocks, layers, residents, network, standards) -> None:
        self.blocks, self.layers, self.residents = blocks, layers, residents
        self.network, self.standards = network, standards
        self.block_tree = shapely.STRtree(np.asarray(blocks.geometry.values))
        wanted = CORE_LAYERS + HALO_LAYERS
        self.trees = {k: shapely.STRtree(np.asarray(layers[k].geometry.values)) for k in wanted if k in layers}
        self.groups = {k: overlap_groups(layers[k]) for k in GROUPED_LAYERS if k in layers}
        # a facility's capacity shared by the blocks its catchment reaches couples blocks up to 2 radii apart
        shared = standards.get("provision.supply_rule", "in_block") not in ("in_block", None)
        self.reach_m = 2 * largest_radius_m(standards) if shared else 0.0

    def tile(self, own: np.ndarray, halo: float) -> dict:
        """The payload of the tile whose blocks are at positions `own`, with features within `halo` metres."""
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(self.blocks.geometry.values)[own])
        core = shapely.box(x0, y0, x1, y1)
        wide = shapely.box(x0 - halo, y0 - halo, x1 + halo, y1 + halo)
        reach = shapely.box(x0 - self.reach_m, y0 - self.reach_m, x1 + self.reach_m, y1 + self.reach_m)
        around = np.sort(self.block_tree.query(reach, predicate="intersects"))
        blocks = self.blocks.iloc[around]
        layers = {}
        for name, frame in self.layers.items():
            if name in self.trees:
                box = core if name in CORE_LAYERS else wide
                layers[name] = features_in(frame, self.trees[name], box, self.groups.get(name))
        return {
            "blocks": blocks,
            "core": list(self.blocks.index[own]),
            "layers": layers,
            "residents": residents_of(self.residents, blocks.index),
            "network": subnetwork(self.network, wide) if self.network is not None else None,
            "standards": self.standards,
            "core_box": (x0, y0, x1, y1),
            "halo": halo,
        }
