"""Step 1 with its evidence: the health check on what the input holds, and what it does not.

:func:`assess` is the health check as the orchestrator runs it: missing
capacities are first estimated where a documented conversion allows
(:func:`blockcheck.completeness.estimate_capacities`), the metrics are computed
(:func:`blockcheck.health_check.health_check`), then every metric whose input
is missing is set to null and listed (:func:`blockcheck.lists.data_gaps.judge_data`),
so the problem list only states what the data show.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from .completeness import completeness_table, estimate_capacities
from .health_check import HealthCheck, health_check
from .lists.data_gaps import judge_data
from .mapping import Mapping
from .standards import Standards

__all__ = ["Assessment", "assess"]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Assessment:
    """The health check with no-data metrics nulled, and the evidence of what was missing."""

    health: HealthCheck  # block_metrics / area_metrics with no-data values null
    layers: dict[str, gpd.GeoDataFrame]  # the input layers with estimated capacities filled
    completeness: pd.DataFrame  # blockcheck.completeness.completeness_table
    metric_status: pd.DataFrame  # schema metric_status
    data_gaps: pd.DataFrame  # schema data_gaps


def assess(
    layers: dict[str, gpd.GeoDataFrame],
    standards: Standards,
    *,
    mapping: Mapping | None = None,
    population_raster: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> Assessment:
    """Run the health check and judge which of its metrics the data support.

    Parameters
    ----------
    layers
        Checked input layers (one metric CRS).
    standards
        The run's standards (thresholds and the ``conversion.*`` factors of the estimates).
    mapping
        The mapping, for its ``[completeness]`` declarations (none: nothing declared).
    population_raster
        People-per-pixel raster replacing the communities' counts.
    progress
        Callback ``(fraction, message)``.

    Returns
    -------
    Assessment
    """
    mapping = mapping or Mapping()
    filled = dict(layers)
    capacity = None
    if "facilities" in layers:
        filled["facilities"], capacity = estimate_capacities(layers["facilities"], buildings=layers.get("buildings"), standards=standards)
    health = health_check(filled, standards, population_raster=population_raster, progress=progress)
    completeness = completeness_table(filled, mapping, standards, capacity=capacity, population_raster=population_raster is not None)
    blocks = filled["blocks"].set_index("block_id", drop=False)
    judged = judge_data(
        health.block_metrics, health.area_metrics, blocks=blocks, layers=filled, completeness=completeness, capacity=capacity,
    )
    block_metrics = gpd.GeoDataFrame(judged.block_metrics, geometry=health.block_metrics.geometry, crs=health.block_metrics.crs)
    health = dataclasses.replace(health, block_metrics=block_metrics, area_metrics=judged.area_metrics)
    return Assessment(health=health, layers=filled, completeness=completeness, metric_status=judged.metric_status, data_gaps=judged.data_gaps)
