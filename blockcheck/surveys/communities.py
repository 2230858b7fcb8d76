"""Putting survey rows on the communities layer and on the block holding most of each community."""

from __future__ import annotations

import difflib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from blockcheck.errors import CRSError, InputError
from blockcheck.surveys._text import _clean_name, _is_blank, _name_key, _subdistrict_key


def _valid(geoms: np.ndarray) -> np.ndarray:
    """`geoms` with invalid geometries repaired (a copy where needed)."""
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _block_of_communities(communities: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame, block_ids: np.ndarray) -> np.ndarray:
    """Block id holding the largest part of each community (None where no block overlaps).

    Ties go to the block that comes first in `blocks`.
    """
    out = np.full(len(communities), None, dtype=object)
    if communities.empty or blocks.empty:
        return out
    c_geom = _valid(np.asarray(communities.geometry.values, dtype=object))
    b_geom = _valid(np.asarray(blocks.geometry.values, dtype=object))
    tree = shapely.STRtree(b_geom)
    c_idx, b_idx = tree.query(c_geom, predicate="intersects")
    if len(c_idx) == 0:
        return out
    areas = shapely.area(shapely.intersection(c_geom[c_idx], b_geom[b_idx]))
    keep = areas > 0
    c_idx, b_idx, areas = c_idx[keep], b_idx[keep], areas[keep]
    order = np.lexsort((b_idx, -areas, c_idx))  # per community: largest area first, then block order
    c_idx, b_idx = c_idx[order], b_idx[order]
    first = np.unique(c_idx, return_index=True)[1]
    out[c_idx[first]] = block_ids[b_idx[first]]
    return out


def _check_match_inputs(table: pd.DataFrame, communities: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> np.ndarray:
    problems = []
    if "community" not in table.columns:
        problems.append(
            "the survey table has no 'community' column; read it with read_demand_survey or read_vision_survey"
        )
    if "name" not in communities.columns:
        problems.append(
            f"the communities layer has no 'name' field (fields: {', '.join(map(str, communities.columns))}); map the "
            "community-name field to 'name'"
        )
    if "block_id" in blocks.columns:
        block_ids = blocks["block_id"].to_numpy(dtype=object)
    elif blocks.index.name == "block_id":
        block_ids = blocks.index.to_numpy(dtype=object)
    else:
        block_ids = np.array([], dtype=object)
        problems.append("the blocks layer has neither a 'block_id' field nor an index named 'block_id'")
    for name, frame in (("communities", communities), ("blocks", blocks)):
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.append(f"{name} must be a GeoDataFrame with polygons")
    if not problems and communities.crs != blocks.crs:
        c_crs = communities.crs.to_string() if communities.crs else "none"
        b_crs = blocks.crs.to_string() if blocks.crs else "none"
        msg = (
            f"communities ({c_crs}) and blocks ({b_crs}) are in different CRS. Re-project one with .to_crs() (or read "
            "both with blockcheck.io) first."
        )
        raise CRSError(msg)
    if problems:
        msg = "match_communities: " + "; ".join(problems) + "."
        raise InputError(msg)
    return block_ids


def _clean_names(values: pd.Series) -> list[str]:
    """Names of a layer field as written, trimmed and NFKC'd; "" where blank."""
    return [_clean_name(str(v)) if not _is_blank(v) else "" for v in values]


def _resolve(
    sub: object,
    name: object,
    by_name: dict[str, list[int]],
    layer_subs: list[str],
    layer_names: list[str],
) -> tuple[int | None, str | None]:
    """Position of the community a survey name means, or None with the reason."""
    key = _name_key(name)
    if not key:
        return None, "has no community name"
    candidates = by_name.get(key, [])
    sub_key = _subdistrict_key(sub)
    if len(candidates) > 1 and sub_key:
        narrowed = [p for p in candidates if _subdistrict_key(layer_subs[p]) == sub_key]
        if narrowed:
            candidates = narrowed
    if len(candidates) == 1:
        pos = candidates[0]
        layer_sub = _subdistrict_key(layer_subs[pos])
        if sub_key and layer_sub and layer_sub != sub_key:
            return (
                pos,
                f"community {name!r} is in {layer_subs[pos]} in the communities layer, not in {sub}; matched anyway",
            )
        return pos, None
    if candidates:
        places = ", ".join(f"{layer_names[p]} ({layer_subs[p] or '?'})" for p in candidates)
        return (
            None,
            (
                f"community {name!r} ({sub or 'no 街道'}) matches several communities: {places}; "
                "fill in 街道 to tell them apart"
            ),
        )
    keys = list(by_name)
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.5)
    names = [
        f"{layer_names[by_name[k][0]]}" + (f" ({layer_subs[by_name[k][0]]})" if layer_subs[by_name[k][0]] else "")
        for k in close
    ]
    hint = f" Close names: {', '.join(names)}." if names else ""
    return None, f"community {name!r} ({sub or 'no 街道'}) is not in the communities layer.{hint}"


def community_blocks(communities: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> np.ndarray:
    """Block id of the block holding the largest part of each community (None where no block overlaps).

    The overlay :func:`match_communities` makes; computed once, it serves every survey matched to the same
    communities and blocks (``community_blocks=``). Ties go to the block that comes first in `blocks`.
    """
    block_ids = _check_match_inputs(pd.DataFrame({"community": []}), communities, blocks)
    return _block_of_communities(communities, blocks, block_ids)


def match_communities(
    table: pd.DataFrame,
    communities: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    *,
    community_blocks: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Put each survey row on a community of the layer and on that community's block.

    Parameters
    ----------
    table
        Result of :func:`read_demand_survey` or :func:`read_vision_survey` (any
        frame with ``community`` and optionally ``subdistrict`` / ``source_row``).
    communities
        Community polygons with ``name`` and optionally ``subdistrict`` and
        ``community_id`` (input-model layer ``communities``).
    blocks
        Block polygons with ``block_id`` (a field or the index), in the same CRS.
    community_blocks
        :func:`community_blocks` of the same `communities` and `blocks`, when
        already computed for another survey (default: computed here).

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        A copy of `table` with ``community_id`` (the layer's ``community_id``,
        or its ``name`` when the layer has no ids) and ``block_id`` (the block
        with the largest overlap with the community polygon) added; both are
        None for rows whose community is not found — such rows are kept, never
        dropped. If `table` carries ``attrs["respondents"]`` they are matched
        too. The list holds one warning per survey row that could not be (or
        was only loosely) matched, naming the file row, the name and close
        names from the layer.

    Raises
    ------
    blockcheck.errors.InputError
        If a column is missing (all problems in one message).
    blockcheck.errors.CRSError
        If communities and blocks are in different CRS.

    Notes
    -----
    Names match after normalisation: white space (including full-width
    spaces) removed, full-width characters made half-width and a trailing
    社区 / 居委会 ignored, so 伯嘉城 matches 伯嘉城社区. When a name occurs in
    several sub-districts the survey's 街道 (ignoring a trailing 街道 / 地区)
    picks one. A community overlapping no block gets block_id None and a warning.
    """
    block_ids = _check_match_inputs(table, communities, blocks)
    layer_names = _clean_names(communities["name"])
    layer_subs = (
        _clean_names(communities["subdistrict"]) if "subdistrict" in communities.columns else [""] * len(communities)
    )
    if "community_id" in communities.columns:
        layer_ids = [None if _is_blank(v) else str(v) for v in communities["community_id"]]
    else:
        layer_ids = [n or None for n in layer_names]
    by_name: dict[str, list[int]] = {}
    for pos, name in enumerate(layer_names):
        if name:
            by_name.setdefault(_name_key(name), []).append(pos)
    block_of = _block_of_communities(communities, blocks, block_ids) if community_blocks is None else community_blocks
    source = table.attrs.get("source", "survey")

    warnings: list[str] = []
    warned: set[tuple] = set()
    cache: dict[tuple[str, str], tuple[int | None, str | None]] = {}

    def annotate(frame: pd.DataFrame) -> tuple[list, list]:
        ids, blocks_out = [], []
        subs = (
            frame["subdistrict"]
            if "subdistrict" in frame.columns
            else pd.Series([None] * len(frame), index=frame.index)
        )
        rows = (
            frame["source_row"]
            if "source_row" in frame.columns
            else pd.Series(range(1, len(frame) + 1), index=frame.index)
        )
        for sub, name, source_row in zip(subs, frame["community"], rows, strict=True):
            sub = None if _is_blank(sub) else str(sub)
            name = None if _is_blank(name) else str(name)
            cache_key = (_subdistrict_key(sub), _name_key(name))
            if cache_key not in cache:
                cache[cache_key] = _resolve(sub, name, by_name, layer_subs, layer_names)
            pos, reason = cache[cache_key]
            block = None if pos is None else block_of[pos]
            if pos is not None and block is None and reason is None:
                reason = f"community {layer_names[pos]!r} ({layer_ids[pos]}) overlaps no block; it gets no block_id"
            if reason is not None and (source_row, cache_key) not in warned:
                warned.add((source_row, cache_key))
                kept = (
                    ""
                    if pos is not None
                    else " Its rows are kept with block_id None; fix the name in the survey or the layer."
                )
                warnings.append(f"{source}, row {source_row}: {reason}{kept}".rstrip())
            ids.append(None if pos is None else layer_ids[pos])
            blocks_out.append(block)
        return ids, blocks_out

    out = table.copy()
    ids, block_col = annotate(out)
    out["community_id"] = pd.Series(ids, index=out.index, dtype=object)
    out["block_id"] = pd.Series(block_col, index=out.index, dtype=object)
    respondents = table.attrs.get("respondents")
    if respondents:
        frame = pd.DataFrame.from_records(respondents)
        r_ids, r_blocks = annotate(frame)
        out.attrs["respondents"] = [
            {**rec, "community_id": cid, "block_id": bid}
            for rec, cid, bid in zip(respondents, r_ids, r_blocks, strict=True)
        ]
    return out, warnings
