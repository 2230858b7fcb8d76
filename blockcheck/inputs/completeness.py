"""Completeness of the input: which layers, fields and facility categories the data actually holds.

Missing data is never a finding. This module measures, for each layer, each
optional field a metric needs (``data/data_needs.toml``) and each facility
category the health check uses, whether all, some or none of the features carry
it; fills missing capacities where a documented conversion allows
(:func:`estimate_capacities`, marked ``estimated``); and says which metrics
each missing piece leaves without data (:func:`metrics_needing`). The
completeness table is printed by ``validate`` and written by ``validate --out``
and ``run``; :mod:`blockcheck.lists.data_gaps` turns it into null metrics,
``metric_status`` and the data-gap list.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.catalogue import build, load_data, location, require_tables
from blockcheck.errors import CatalogueError
from blockcheck.inputs.field_mapping import Mapping
from blockcheck.inputs.model import input_model
from blockcheck.metrics.provision import provision_specs
from blockcheck.standards import Standards

__all__ = [
    "COMPLETENESS_LAYER",
    "CapacityEstimate",
    "capacity_estimates",
    "DataNeed",
    "capacity_status",
    "category_metric_patterns",
    "completeness_table",
    "data_needs",
    "estimate_capacities",
    "format_completeness",
    "metrics_needing",
    "needed_categories",
]

#: Table of the completeness found, written by ``validate --out`` and ``run``.
COMPLETENESS_LAYER = "input_completeness"
#: Methods of a capacity estimate (``[[estimate]] method``).
_METHODS = ("divide", "footprint_x_floors")
#: Facility categories whose coverage the health check measures outside the life circles.
_COVERAGE_CATEGORIES = ("bus_stop", "garbage_station", "substation")
_COLUMNS = [
    "layer",
    "field",
    "category",
    "label_zh",
    "label_en",
    "total",
    "present",
    "estimated",
    "coverage",
    "note_zh",
    "note_en",
    "fix_zh",
    "fix_en",
]


@dataclass(frozen=True)
class DataNeed:
    """A layer, or an optional field of a layer, that metrics need (``[[need]]``)."""

    layer: str
    field: str
    label_zh: str
    label_en: str
    metrics: tuple[str, ...]
    fix_zh: str
    fix_en: str
    unless_raster: bool = False
    applies_to_use: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapacityEstimate:
    """A documented conversion filling a missing capacity (``[[estimate]]``)."""

    field: str
    categories: tuple[str, ...]
    method: str  # divide | footprint_x_floors
    source_field: str
    divide_by: str
    note_zh: str
    note_en: str


def _doc() -> dict:
    return load_data("data_needs.toml")


@cache
def data_needs() -> tuple[DataNeed, ...]:
    """The packaged needs of the metrics (``data/data_needs.toml``).

    Raises
    ------
    blockcheck.errors.CatalogueError
        A ``[[need]]`` lacks a field or has one of the wrong type (the message
        names the file, the entry and the field).
    """
    types = {"metrics": list, "applies_to_use": list, "unless_raster": bool}
    return tuple(build(DataNeed, entry, types) for entry in require_tables(_doc(), "need"))


@cache
def capacity_estimates() -> tuple[CapacityEstimate, ...]:
    """The packaged capacity conversions (``[[estimate]]``), floor areas first.

    Raises
    ------
    blockcheck.errors.CatalogueError
        An ``[[estimate]]`` lacks a field, has one of the wrong type or an
        unknown method (the message names the file, the entry and the field).
    """
    entries = require_tables(_doc(), "estimate")
    rows = tuple(build(CapacityEstimate, entry, {"categories": list}) for entry in entries)
    bad = [location(entry, "method") for entry, row in zip(entries, rows, strict=True) if row.method not in _METHODS]
    if bad:
        msg = f"{'; '.join(bad)}: unknown estimate method; use {' or '.join(_METHODS)}."
        raise CatalogueError(msg)
    # floor areas first: the divisions may use them
    return tuple(sorted(rows, key=lambda e: e.method != "footprint_x_floors"))


def needed_categories(standards: Standards) -> tuple[str, ...]:
    """Facility categories some metric uses: provision, coverage and the life circles."""
    found: list[str] = []
    for spec in provision_specs():
        found += spec.categories
    found += _COVERAGE_CATEGORIES
    found += list(standards.with_prefix("radius_m"))
    return tuple(dict.fromkeys(found))


def category_metric_patterns(category: str) -> tuple[str, ...]:
    """Metric-name patterns that depend on one facility category."""
    patterns = [f"{category}_coverage_*", f"life_circle_*_{category}_ratio", f"{category}_within_reach"]
    for spec in provision_specs():
        if category in spec.categories:
            patterns += [f"supply_{spec.key}", f"gap_{spec.key}"]
    if category == "bus_stop":
        patterns.append("bus_stop_coverage_*")
    return tuple(patterns)


def metrics_needing(patterns: tuple[str, ...] | list[str], columns: list[str] | pd.Index) -> list[str]:
    """The metric columns matching any of `patterns` (fnmatch globs), in column order."""
    return [c for c in columns if any(fnmatch.fnmatchcase(str(c), p) for p in patterns)]


def _footprint_floor_area(facilities: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None) -> np.ndarray:
    """Σ footprint × floors of the buildings whose representative point lies in each polygon facility (NaN: none)."""
    out = np.full(len(facilities), np.nan)
    if buildings is None or buildings.empty or facilities.empty:
        return out
    geoms = np.asarray(facilities.geometry.values)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    if not polygonal.any():
        return out
    floors = pd.to_numeric(buildings.get("floors", pd.Series(np.nan, index=buildings.index)), errors="coerce").to_numpy(
        dtype=float
    )
    footprints = shapely.area(np.asarray(buildings.geometry.values))
    points = shapely.point_on_surface(np.asarray(buildings.geometry.values))
    fac_idx, bld_idx = shapely.STRtree(points).query(geoms[polygonal], predicate="contains")
    floor_area = footprints[bld_idx] * floors[bld_idx]
    positions = np.flatnonzero(polygonal)[fac_idx]
    known = ~np.isnan(floor_area)
    sums = np.bincount(positions[known], weights=floor_area[known], minlength=len(facilities))
    counted = np.bincount(positions[known], minlength=len(facilities)) > 0
    out[counted] = sums[counted]
    return out


def estimate_capacities(
    facilities: gpd.GeoDataFrame, *, buildings: gpd.GeoDataFrame | None, standards: Standards
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Fill missing capacities by the documented conversions of ``data/data_needs.toml``.

    Parameters
    ----------
    facilities
        The checked facilities layer.
    buildings
        The checked buildings (for floor area = Σ footprint × floors of the
        buildings on a polygon site), or None.
    standards
        The run's standards (``conversion.*`` divisors).

    Returns
    -------
    (geopandas.GeoDataFrame, pandas.DataFrame)
        A copy of `facilities` with the estimable gaps filled, and a frame
        aligned with it: one column per capacity field, ``"measured"``,
        ``"estimated"`` or ``"unknown"`` per feature (features of categories
        that do not use the field: ``"measured"``).
    """
    filled = facilities.copy()
    status = pd.DataFrame(index=facilities.index)
    for field in ("beds", "seats", "floor_area_m2", "land_area_m2"):
        if field not in filled:
            filled[field] = np.nan
        filled[field] = pd.to_numeric(filled[field], errors="coerce")
        status[field] = np.where(filled[field].notna(), "measured", "unknown")
    category = filled["category"].astype(object)
    polygonal = np.isin(shapely.get_type_id(np.asarray(filled.geometry.values)), (3, 6))
    # a polygon's own area is its land area (measured from the geometry)
    status.loc[polygonal, "land_area_m2"] = "measured"
    filled.loc[polygonal & filled["land_area_m2"].isna().to_numpy(), "land_area_m2"] = shapely.area(
        np.asarray(filled.geometry.values)[polygonal & filled["land_area_m2"].isna().to_numpy()]
    )
    for rule in capacity_estimates():
        chosen = (category.isin(rule.categories) & filled[rule.field].isna()).to_numpy()
        if not chosen.any():
            continue
        if rule.method == "footprint_x_floors":
            values = _footprint_floor_area(filled[chosen], buildings)
        else:
            divisor = float(standards[rule.divide_by])
            values = filled.loc[chosen, rule.source_field].to_numpy(dtype=float) / divisor
        got = ~np.isnan(values)
        rows = filled.index[chosen][got]
        filled.loc[rows, rule.field] = values[got]
        status.loc[rows, rule.field] = "estimated"
        source_estimated = status.loc[rows, rule.source_field] == "estimated" if rule.source_field else None
        if source_estimated is not None:
            status.loc[rows[source_estimated.to_numpy()], rule.field] = "estimated"
    return filled, status


def capacity_status(status: pd.DataFrame, facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per provision key: each facility's capacity status (``""`` where the feature is not of its categories).

    Columns are the keys of ``data/provision.toml``; counts (no capacity field)
    are always ``measured``.
    """
    out = pd.DataFrame(index=facilities.index)
    category = facilities["category"].astype(object)
    for spec in provision_specs():
        mine = category.isin(spec.categories).to_numpy()
        values = (
            status[spec.capacity].to_numpy(dtype=object)
            if spec.capacity
            else np.full(len(facilities), "measured", dtype=object)
        )
        out[spec.key] = np.where(mine, values, "")
    return out


def _coverage(total: int, present: int) -> str:
    if total == 0 or present == total:
        return "all"
    return "none" if present == 0 else "some"


def _row(
    layer: str, field: str, category: str, label_zh: str, label_en: str, total: int, present: int, **extra: object
) -> dict:
    return {
        "layer": layer,
        "field": field,
        "category": category,
        "label_zh": label_zh,
        "label_en": label_en,
        "total": int(total),
        "present": int(present),
        "estimated": int(extra.pop("estimated", 0)),
        "coverage": extra.pop("coverage", _coverage(total, present)),
        **extra,
    }


def _layer_rows(layers: dict[str, gpd.GeoDataFrame], mapping: Mapping, raster: bool) -> list[dict]:
    """One completeness row per need of ``data/data_needs.toml``: a layer present or not, a field filled or not."""
    rows = []
    for need in data_needs():
        layer = layers.get(need.layer)
        if not need.field:
            rows.append(_layer_row(need, layer, mapping, raster))
        elif layer is not None and not (need.unless_raster and raster):
            rows.append(_field_row(need, layer))
    return rows


def _layer_row(need: DataNeed, layer: gpd.GeoDataFrame | None, mapping: Mapping, raster: bool) -> dict:
    """The row of a needed layer: present (or replaced by the population raster), declared absent, or absent."""
    if layer is not None or (need.unless_raster and raster):
        n = len(layer) if layer is not None else 0
        if layer is None:
            coverage, note_zh, note_en = "all", "由人口栅格替代", "replaced by the population raster"
        else:
            coverage, note_zh, note_en = "all", f"{n}个要素", f"{n} features"
    elif mapping.declared_absent(need.layer):
        n, coverage = 0, "declared_absent"
        note_zh, note_en = "映射文件声明本片区无此图层", "declared absent on purpose in the mapping"
    else:
        n, coverage, note_zh, note_en = 0, "absent", "输入中没有此图层", "no such layer in the input"
    return _row(
        need.layer,
        "",
        "",
        need.label_zh,
        need.label_en,
        n,
        n,
        coverage=coverage,
        note_zh=note_zh,
        note_en=note_en,
        fix_zh=need.fix_zh,
        fix_en=need.fix_en,
    )


def _field_row(need: DataNeed, layer: gpd.GeoDataFrame) -> dict:
    """The row of a needed field: how many of the features it applies to carry a value."""
    considered = (
        layer["use"].isin(need.applies_to_use)
        if need.applies_to_use and "use" in layer
        else pd.Series(True, index=layer.index)
    )
    values = layer[need.field] if need.field in layer else pd.Series(np.nan, index=layer.index)
    total, present = int(considered.sum()), int((values.notna() & considered).sum())
    spec = input_model().layer(need.layer)
    what = spec.label_zh + ("（非居住）" if need.field == "employees" else "")
    return _row(
        need.layer,
        need.field,
        "",
        need.label_zh,
        need.label_en,
        total,
        present,
        note_zh=f"{total}个{what}要素中{total - present}个缺少{spec.field(need.field).label_zh or need.field}",
        note_en=f"{total - present} of {total} {spec.label_en} features lack {need.field}",
        fix_zh=need.fix_zh,
        fix_en=need.fix_en,
    )


def _category_rows(
    facilities: gpd.GeoDataFrame | None, status: pd.DataFrame | None, mapping: Mapping, standards: Standards
) -> list[dict]:
    if facilities is None:
        return []
    labels = dict(input_model().vocabulary("facility_category").labels_zh)
    field_zh = {f.name: f.label_zh or f.name for f in input_model().layer("facilities").fields}
    counts = facilities["category"].value_counts()
    rows = []
    capacity_of = {c: spec.capacity for spec in provision_specs() for c in spec.categories if spec.capacity}
    for category in needed_categories(standards):
        n = int(counts.get(category, 0))
        label_zh = labels.get(category, category)
        if n == 0:
            declared = mapping.declared_absent("facilities", category)
            rows.append(
                _row(
                    "facilities",
                    "",
                    category,
                    label_zh,
                    category,
                    0,
                    0,
                    coverage="declared_absent" if declared else "absent",
                    note_zh="映射文件声明本片区无此类设施" if declared else "输入中没有此类设施",
                    note_en="declared absent on purpose in the mapping" if declared else "no feature of this category",
                    fix_zh=(
                        f"补充{label_zh}设施点；若片区确无此类设施，"
                        f'在映射文件 [completeness] absent 中声明 "facilities.{category}"。'
                    ),
                    fix_en=(
                        f'Add the {category} facilities; if there are none, declare "facilities.{category}" in '
                        "[completeness] absent of the mapping."
                    ),
                )
            )
            continue
        rows.append(
            _row(
                "facilities",
                "",
                category,
                label_zh,
                category,
                n,
                n,
                note_zh=f"{n}处",
                note_en=f"{n} features",
                fix_zh="",
                fix_en="",
            )
        )
        field = capacity_of.get(category)
        if field and status is not None:
            mine = status.loc[(facilities["category"] == category).to_numpy(), field]
            measured, estimated = int((mine == "measured").sum()), int((mine == "estimated").sum())
            unknown = n - measured - estimated
            rows.append(
                _row(
                    "facilities",
                    field,
                    category,
                    f"{label_zh}{field_zh[field]}",
                    f"{category} {field}",
                    n,
                    measured,
                    estimated=estimated,
                    coverage=_coverage(n, measured + estimated) if estimated else _coverage(n, measured),
                    note_zh=f"{n}处{label_zh}中{unknown}处缺少{field_zh[field]}"
                    + (f"，{estimated}处按换算估算" if estimated else ""),
                    note_en=f"{unknown} of {n} lack {field}"
                    + (f"; {estimated} estimated by conversion" if estimated else ""),
                    fix_zh=f"为{label_zh}填写{field_zh[field]}（{field}），或填写建筑面积（floor_area_m2）以便按换算估算。",
                    fix_en=f"Fill {field} for {category} (or floor_area_m2, so that it can be estimated).",
                )
            )
    return rows


def completeness_table(
    layers: dict[str, gpd.GeoDataFrame],
    mapping: Mapping,
    standards: Standards,
    *,
    capacity: pd.DataFrame | None = None,
    population_raster: bool = False,
) -> pd.DataFrame:
    """All / some / none of the features carry each needed layer, field and facility category.

    Parameters
    ----------
    layers
        Checked input layers.
    mapping
        The mapping with its ``[completeness]`` declarations.
    standards
        The run's standards (which categories the life circles use).
    capacity
        Capacity status per facility from :func:`estimate_capacities`
        (computed when None).
    population_raster
        True when a population raster replaces the communities.

    Returns
    -------
    pandas.DataFrame
        One row per item: layer, field, category, labels, total, present,
        estimated, coverage (all | some | none | absent | declared_absent),
        notes and how to fix, in Chinese and English.
    """
    facilities = layers.get("facilities")
    if facilities is not None and capacity is None:
        _, capacity = estimate_capacities(facilities, buildings=layers.get("buildings"), standards=standards)
    rows = _layer_rows(layers, mapping, population_raster) + _category_rows(facilities, capacity, mapping, standards)
    return pd.DataFrame(rows, columns=_COLUMNS)


def format_completeness(table: pd.DataFrame) -> str:
    """The completeness table as plain text for the terminal (what is missing first)."""
    order = {"absent": 0, "none": 1, "some": 2, "declared_absent": 3, "all": 4}
    shown = table.assign(_o=table["coverage"].map(order)).sort_values(
        ["_o", "layer", "category", "field"], kind="stable"
    )
    words = {"all": "all", "some": "SOME", "none": "NONE", "absent": "ABSENT", "declared_absent": "absent (declared)"}
    lines = ["Completeness of the input (what the metrics need):"]
    for r in shown.itertuples():
        item = r.layer + (f".{r.category}" if r.category else "") + (f".{r.field}" if r.field else "")
        lines.append(f"  {words[r.coverage]:<18} {item:<42} {r.note_en}")
    missing = int(table["coverage"].isin(["absent", "none", "some"]).sum())
    lines.append(
        f"  → {missing} item(s) missing or partial: their metrics are left without data (null), never read as zero."
        if missing
        else "  → every item the metrics need is present."
    )
    return "\n".join(lines)
