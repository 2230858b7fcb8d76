"""Per group and per row without a Python call per group or row: joined ids, filled templates, unions.

The lists carry id lists as comma text (``PB-B1-rule_a,PB-B2-rule_b``); they
are built from long tables (one row per key and id) by sorting once and
concatenating neighbours pairwise (:func:`join_runs`), never by a lambda or
a boolean filter per group. Names and sentences from the catalogues'
``str.format`` templates are filled column-wise, one pass per distinct template;
geometries are unioned per group in a few row-wise ``shapely.union_all`` calls.
"""

from __future__ import annotations

from string import Formatter

import numpy as np
import pandas as pd
import shapely

__all__ = ["as_text", "filled", "join_runs", "joined", "joined_in_order", "sorted_unique", "union_by_group"]


def as_text(values: pd.Series) -> pd.Series:
    """`values` as Python ``str`` (``str(v)`` of each element, so a missing value becomes ``"nan"``/``"None"``)."""
    return pd.Series(values.to_numpy(dtype=object), index=values.index, dtype=object).map(str)


def join_runs(text: np.ndarray, group: np.ndarray, sep: str) -> np.ndarray:
    """The `text` values of each run of equal `group` numbers joined by `sep`, one string per run.

    `text` is an object array of strings ordered so that equal `group` numbers
    are adjacent. Neighbours in a run are concatenated pairwise, halving every
    run per round (log2 of the longest run rounds of vectorised ``+``), so a
    run of m strings costs O(m log m) characters, not the O(m²) of adding
    them one after another.
    """
    pieces = np.asarray(text, dtype=object) + sep if sep else np.asarray(text, dtype=object)
    group = np.asarray(group)
    while len(group):
        new_run = np.r_[True, group[1:] != group[:-1]]
        if new_run.all():
            break
        starts = np.flatnonzero(new_run)
        position = np.arange(len(group)) - starts[np.cumsum(new_run) - 1]
        left = np.flatnonzero(position % 2 == 0)
        right = left + 1
        pair = right < len(group)
        pair[pair] = group[right[pair]] == group[left[pair]]
        merged = pieces[left]
        merged[pair] = merged[pair] + pieces[right[pair]]
        pieces, group = merged, group[left]
    if not sep:
        return pieces
    return pd.Series(pieces, dtype=object).str.slice(0, -len(sep)).to_numpy(object)


def sorted_unique(numbers: np.ndarray) -> np.ndarray:
    """The distinct `numbers`, ascending (``numpy.unique`` by one sort: it hashes first, many times slower here)."""
    ordered = np.sort(numbers, kind="stable")
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _empty(keys: list[str], column: str) -> pd.Series:
    index = pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1 else pd.Index([], name=keys[0])
    return pd.Series([], index=index, dtype=object, name=column)


def joined_in_order(frame: pd.DataFrame, keys: list[str], column: str, sep: str) -> pd.Series:
    """`column` joined by `sep` per `keys`, in the frame's row order (values must be text, none missing).

    Returns
    -------
    pandas.Series
        Indexed by `keys` (sorted), one string per group.
    """
    if frame.empty:
        return _empty(keys, column)
    groups = frame.groupby(keys, sort=True)
    number = groups.ngroup().to_numpy()  # -1 for a row with a missing key: left out, as a group-by does
    order = np.argsort(number, kind="stable")
    order = order[number[order] >= 0]
    if not len(order):
        return _empty(keys, column)
    text = join_runs(frame[column].to_numpy(dtype=object)[order], number[order], sep)
    return pd.Series(text, index=groups.size().index, name=column).infer_objects()


def joined(frame: pd.DataFrame, keys: list[str], column: str, sep: str = ",") -> pd.Series:
    """The sorted unique values of `column` joined by `sep` per `keys` (rows with a missing key or value dropped).

    Equals ``sep.join(sorted(set(values)))`` per group for text values. Each
    column is hashed once: the keys into group numbers, the values into codes
    in sorted order; de-duplicating and ordering are then on integers.

    Returns
    -------
    pandas.Series
        Indexed by `keys` (sorted), one string per group that has a value.
    """
    values = frame[[*keys, column]].dropna()
    if values.empty:
        return _empty(keys, column)
    groups = values.groupby(keys, sort=True)
    code, uniques = pd.factorize(values[column], sort=True)
    pairs = sorted_unique(groups.ngroup().to_numpy().astype(np.int64) * len(uniques) + code)
    group, code = np.divmod(pairs, len(uniques))
    text = np.asarray(uniques, dtype=object)[code]
    return pd.Series(join_runs(text, group, sep), index=groups.size().index, name=column).infer_objects()


def filled(templates: pd.Series, values: pd.DataFrame) -> pd.Series:
    """Each row's ``str.format`` template filled with that row's `values`: ``template.format(**row)`` column-wise.

    Parameters
    ----------
    templates
        One template per row; fields are plain names of `values` columns (``{place}``), ``{{`` and ``}}`` escape braces.
    values
        Indexed like `templates`; each value is written as ``str(value)``.

    Returns
    -------
    pandas.Series
        The texts, indexed like `templates`.

    Raises
    ------
    ValueError
        A field that is not a column of `values`, or has a format spec or conversion.
    """
    text = np.empty(len(templates), dtype=object)
    for template, rows in templates.groupby(templates, sort=False).indices.items():  # one pass per template
        out = np.full(len(rows), "", dtype=object)
        for literal, field, spec, conversion in Formatter().parse(template):
            out = out + literal
            if field is None:
                continue
            if field not in values or spec or conversion:
                names = ", ".join(f"{{{c}}}" for c in values.columns)
                msg = f"template {template!r}: {{{field}}} must be one of {names}, without a format"
                raise ValueError(msg)
            out = out + as_text(values[field].iloc[rows]).to_numpy()
        text[rows] = out
    return pd.Series(text, index=templates.index).infer_objects()


def union_by_group(geometries: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """The union of the `geometries` of each group ``0 … n-1`` (`codes`): ``shapely.union_all`` of the group, in order.

    Groups of similar size are padded into one 2-D array and unioned row-wise
    (``union_all(axis=1)``: the same collection and GEOS call as for each
    group alone), one call per power-of-two size.
    """
    order = np.argsort(codes, kind="stable")
    codes, geometries = codes[order], geometries[order]
    sizes = np.bincount(codes, minlength=n)
    position = np.arange(len(codes)) - (np.cumsum(sizes) - sizes)[codes]
    width = np.left_shift(1, np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64))
    out = np.empty(n, dtype=object)
    for w in np.unique(width):  # one call per group size class (log2 of the largest group)
        groups = np.flatnonzero(width == w)
        row = np.full(n, -1)
        row[groups] = np.arange(len(groups))
        take = row[codes] >= 0
        grid = np.full((len(groups), int(w)), None, dtype=object)
        grid[row[codes[take]], position[take]] = geometries[take]
        out[groups] = shapely.union_all(grid, axis=1)
    return out
