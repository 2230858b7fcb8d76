"""Whether two workbooks hold the same results: a tiled run against the whole-city run (issue 18.2)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import shapely

from blockcheck.io import list_layers, read_layer

__all__ = ["RUN_ONLY_LAYERS", "compare_workbooks"]

#: Layers that say when and how a run was made (time, input path), not what it found.
RUN_ONLY_LAYERS = ("blockcheck_meta",)
#: Text columns holding the time of the run.
RUN_TIME_COLUMNS = ("generated_at", "changed_at", "run_at_utc", "at_utc")


def _same_column(a: pd.Series, b: pd.Series, rtol: float) -> str:
    """'' when equal (numbers to `rtol` relative, NaN where NaN), else what differs."""
    if a.dtype.kind in "fiub" and b.dtype.kind in "fiub":
        x, y = a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64")
        nan = np.isnan(x)
        if (nan != np.isnan(y)).any():
            return f"NaN in {int((nan != np.isnan(y)).sum())} other rows"
        off = ~nan & ~np.isclose(x, y, rtol=rtol, atol=0.0)
        if off.any():
            worst = int(np.argmax(np.where(off, np.abs(x - y), -1)))
            return f"{int(off.sum())} values differ (e.g. row {worst}: {x[worst]!r} vs {y[worst]!r})"
        return ""
    if a.dtype.name == "geometry":
        same = shapely.equals_exact(np.asarray(a.values), np.asarray(b.values), tolerance=0.0)
        same |= shapely.is_missing(np.asarray(a.values)) & shapely.is_missing(np.asarray(b.values))
        return "" if same.all() else f"{int((~same).sum())} geometries differ"
    x, y = a.astype(object).where(a.notna(), None), b.astype(object).where(b.notna(), None)
    off = x.to_numpy() != y.to_numpy()
    return f"{int(off.sum())} values differ (e.g. {x[off].iloc[0]!r} vs {y[off].iloc[0]!r})" if off.any() else ""


def compare_workbooks(
    first: str | os.PathLike, second: str | os.PathLike, *, rtol: float = 1e-9
) -> dict[str, list[str]]:
    """What differs between two workbooks, layer by layer (an empty dict: the same results).

    Every layer but :data:`RUN_ONLY_LAYERS` is compared row by row: the same
    layers, columns and number of rows; numbers equal to `rtol` relative with
    NaN in the same places; texts and geometries equal. Columns holding the time
    of the run (:data:`RUN_TIME_COLUMNS`) are left out.
    """
    layers_a, layers_b = list_layers(first), list_layers(second)
    out: dict[str, list[str]] = {}
    if set(layers_a) != set(layers_b):
        out["(layers)"] = [f"only in one: {sorted(set(layers_a) ^ set(layers_b))}"]
    for name in sorted(set(layers_a) & set(layers_b)):
        if name in RUN_ONLY_LAYERS:
            continue
        a, b = read_layer(first, name), read_layer(second, name)
        problems = []
        if list(a.columns) != list(b.columns):
            problems.append(f"columns differ: {sorted(set(a.columns) ^ set(b.columns))}")
        elif len(a) != len(b):
            problems.append(f"{len(a)} vs {len(b)} rows")
        else:
            for column in a.columns:
                if column in RUN_TIME_COLUMNS:
                    continue
                why = _same_column(a[column].reset_index(drop=True), b[column].reset_index(drop=True), rtol)
                if why:
                    problems.append(f"{column}: {why}")
        if problems:
            out[name] = problems
    return out
