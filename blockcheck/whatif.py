"""What-if: re-run the health check as if chosen projects were built, and compare gaps.

Facility projects add their capacity (the allocation amount, converted back
to the facility layer's capacity field) at their site; road projects turn the
planned roads they cover into built roads. Everything else is as in the run
that wrote the workbook (same input, mapping, standards and CRS, read from
``blockcheck_meta``).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.errors import InputError, ValidationError
from blockcheck.metrics.provision import provision_specs
from blockcheck.pipeline import check_input, file_digest
from blockcheck.steps.health_check import assess
from blockcheck.workbook.read import read_meta, read_table, require_workbook

__all__ = ["what_if"]


def _check_inputs_unchanged(workbook: Path, meta: dict[str, str]) -> None:
    """The what-if re-runs the run's input: it must be the same file the workbook was made from."""
    recorded = meta.get("input_sha256", "")
    now = file_digest(meta.get("input", ""))
    if not now:
        msg = (
            f"{workbook}: the input of its run, {meta.get('input')}, is gone. Restore it, or run `blockcheck "
            "run` again on the input you have."
        )
        raise InputError(msg)
    if recorded and now != recorded:
        msg = (
            f"{workbook}: its input {meta.get('input')} has changed since the run (sha256 {recorded} then, {now} now), "
            "so before and after would not compare like with like. Run `blockcheck run` again into the same "
            "folder, then the what-if."
        )
        raise InputError(msg)


def _check_simulable(chosen: pd.DataFrame) -> None:
    """Every chosen project needs an amount and a site; list those that lack them (all at once)."""
    geometry = chosen.geometry if isinstance(chosen, gpd.GeoDataFrame) else pd.Series(None, index=chosen.index)
    no_amount = chosen["amount"].isna() | (pd.to_numeric(chosen["amount"], errors="coerce") <= 0)
    no_site = geometry.isna() | geometry.is_empty
    bad = no_amount | no_site
    if bad.any():
        listed = "; ".join(
            f"{pid} ({'no amount' if a else ''}{', ' if a and g else ''}{'no site' if g else ''})"
            for pid, a, g in zip(chosen.loc[bad, "project_id"], no_amount[bad], no_site[bad], strict=True)
        )
        msg = (
            f"these projects cannot be simulated: {listed}. Give each an amount (amount, amount_unit) and a site "
            "(draw it in QGIS or keep the generated one), then run the what-if again."
        )
        raise InputError(msg)


def _facility_additions(projects: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    specs = {s.key: s for s in provision_specs()}
    rows = []
    for p in projects.itertuples():
        spec = specs.get(p.amount_unit)
        if spec is None or not spec.categories:
            continue
        field = spec.capacity or None
        value = float(p.amount) / spec.factor  # back from the gap's unit to the capacity field's
        row = {
            "category": spec.categories[0],
            "name": p.name,
            "facility_id": f"WHATIF-{p.project_id}",
            "geometry": shapely.point_on_surface(p.geometry),
        }
        if field:
            row[field] = value
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else gpd.GeoDataFrame(geometry=[], crs=crs)


def _long(frame: pd.DataFrame, keys: list[str], name: str) -> pd.Series:
    """``frame[keys]`` as one number per (row, key), row by row, missing values kept.

    What ``frame[keys].stack(future_stack=True)`` gives on pandas ≥ 2.1; built directly so pandas 2.0 does too.
    """
    index = pd.MultiIndex.from_product([frame.index, keys])
    return pd.Series(frame[keys].to_numpy(dtype="float64").ravel(), index=index, name=name)


def what_if(workbook: str | os.PathLike, project_ids: list[str]) -> pd.DataFrame:
    """Before/after gaps when `project_ids` are built.

    Returns
    -------
    pandas.DataFrame
        One row per scope (blocks and ``ALL``) and metric (every ``gap_*``
        column, road density and implementation): ``scope``, ``metric_key``,
        ``before``, ``after``, ``change``.

    Raises
    ------
    InputError
        Unknown workbook or project ids (all listed), or the original input is gone.
    """
    workbook = require_workbook(workbook)
    meta = read_meta(workbook)
    projects = read_table(workbook, "project_list")
    if not meta or projects is None:
        msg = f"{workbook}: no blockcheck_meta or project_list table. Give a workbook written by `blockcheck run`."
        raise InputError(msg)
    unknown = sorted(set(project_ids) - set(projects["project_id"]))
    if unknown:
        msg = (
            f"unknown project id(s): {', '.join(unknown)}. See the project_id column of project_list (e.g. "
            f"{projects['project_id'].iloc[0]})."
        )
        raise InputError(msg)
    chosen = projects[projects["project_id"].isin(project_ids)]
    _check_inputs_unchanged(workbook, meta)
    _check_simulable(chosen)
    overrides = meta.get("standards_overrides") or None
    result = check_input(
        meta["input"],
        mapping=meta.get("mapping_file") or None,
        standards=overrides or meta.get("standards_profile"),
        crs=meta.get("crs") or None,
    )
    if not result.ok:
        raise ValidationError(result.checked.report)
    layers = dict(result.checked.layers)
    before = assess(layers, result.standards, mapping=result.mapping).health
    chosen = chosen.to_crs(result.checked.crs)
    added = _facility_additions(chosen, result.checked.crs)
    if not added.empty:
        base = layers.get("facilities")
        layers["facilities"] = (
            gpd.GeoDataFrame(pd.concat([base, added], ignore_index=True), geometry="geometry", crs=result.checked.crs)
            if base is not None
            else added
        )
    roads = layers.get("roads")
    road_sites = chosen[chosen["amount_unit"] == "road_km"]
    if roads is not None and not road_sites.empty:
        zone = shapely.buffer(shapely.union_all(road_sites.geometry.to_numpy()), 0.05)
        covered = shapely.within(roads.geometry.to_numpy(), zone) & (roads["status"] != "built").to_numpy()
        layers["roads"] = roads.assign(status=np.where(covered, "built", roads["status"]))
    after = assess(layers, result.standards, mapping=result.mapping).health
    keys = [c for c in before.area_metrics.columns if c.startswith("gap_")] + [
        "road_density_km_per_km2",
        "road_implementation_ratio",
    ]
    frames = []
    for scope_before, scope_after in (
        (before.area_metrics, after.area_metrics),
        (before.block_metrics, after.block_metrics),
    ):
        frames.append(pd.concat([_long(scope_before, keys, "before"), _long(scope_after, keys, "after")], axis=1))
    table = pd.concat(frames)
    table.index = table.index.set_names(["scope", "metric_key"])
    table = table.reset_index()
    table["change"] = table["after"] - table["before"]
    return table
