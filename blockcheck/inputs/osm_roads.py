"""Roads, walk-only ways and entrances of an OpenStreetMap extract (``[roads]`` and ``[entrances]`` of
``data/osm_tags.toml``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["ENTRANCE_TAGS", "GRADE_TAGS", "entrance_points", "grade_fields", "road_lines", "tag_column", "tag_number"]

#: OSM tags that become the grade fields of the roads layer (bridge, tunnel, layer).
GRADE_TAGS = ("bridge", "tunnel", "layer")
#: OSM tags read by the entrance rule (besides access and foot).
ENTRANCE_TAGS = ("barrier", "entrance", "locked")

_METRE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?)?\s*$", re.IGNORECASE)


def tag_column(tags: pd.DataFrame, key: str) -> pd.Series:
    """Tag `key` as a string Series (NaN where absent)."""
    return tags[key] if key in tags.columns else pd.Series(np.nan, index=tags.index, dtype=object)


def tag_number(values: pd.Series) -> pd.Series:
    """Numeric tag values (``12``, ``12.5``, ``12 m``) as floats, NaN otherwise."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    return pd.to_numeric(text.str.extract(_METRE_NUMBER, expand=False), errors="coerce")


def road_lines(lines: gpd.GeoDataFrame, cfg: Mapping) -> gpd.GeoDataFrame:
    """Road lines with class, status and width from highway=* ways, walk-only ways included.

    Roads: ``[roads.class]`` of the highway value (or of its lifecycle tag).
    Walk-only ways (``[roads.walk_only]``): a highway value of its list whose
    ``foot`` tag is allowed, or not denied while ``access`` is not denied; they
    get the walk-only class (``footway``) and the default status.
    """
    highway = tag_column(lines, "highway")
    classes = highway.map(cfg["class"])
    status = pd.Series(np.where(classes.notna(), cfg["default_status"], None), index=lines.index, dtype=object)
    for value, life in cfg["lifecycle"].items():
        is_life = (highway == value).to_numpy()
        sub = tag_column(lines, life["class_tag"]).map(cfg["class"])
        classes = classes.where(~is_life, sub)
        status = status.where(~(is_life & sub.notna()), life["status"])
    walk = cfg["walk_only"]
    is_walk = (classes.isna() & highway.isin(walk["highway"]) & _walking_allowed(lines, walk)).to_numpy()
    classes = classes.where(~is_walk, walk["class"])
    status = status.where(~is_walk, cfg["default_status"])
    keep = classes.notna().to_numpy()
    out = lines[keep].copy()
    width = tag_number(tag_column(out, "width"))
    lanes = pd.to_numeric(tag_column(out, "lanes"), errors="coerce")
    out["class"] = classes[keep]
    out["status"] = status[keep]
    out["width_m"] = width.fillna(lanes * cfg["lane_width_m"])
    return out


def _walking_allowed(tags: pd.DataFrame, cfg: Mapping) -> pd.Series:
    """True where ``foot`` is one of ``foot_allowed``, or ``foot`` is not one of ``foot_denied`` and ``access``
    not one of ``access_denied`` (an explicit permission to walk wins over a general access restriction)."""
    foot, access = tag_column(tags, "foot"), tag_column(tags, "access")
    return foot.isin(cfg["foot_allowed"]) | ~(foot.isin(cfg["foot_denied"]) | access.isin(cfg["access_denied"]))


def entrance_points(points: gpd.GeoDataFrame, cfg: Mapping) -> gpd.GeoDataFrame:
    """The open gates and entrances among tagged nodes (the ``[entrances]`` rule of ``data/osm_tags.toml``).

    A node is an entrance when its ``barrier`` is one of ``cfg["barrier"]`` or
    it has an ``entrance`` tag that is not one of ``cfg["entrance_not"]``
    (an ``entrance=emergency`` gate is left out too), and it is open: walking
    allowed as for walk-only ways (``foot`` / ``access``) and ``locked`` not
    one of ``cfg["locked"]``.
    """
    barrier, entrance = tag_column(points, "barrier"), tag_column(points, "entrance")
    has_entrance = entrance.notna() & (entrance.astype(str).str.strip() != "")
    candidate = barrier.isin(cfg["barrier"]) | has_entrance
    excluded = entrance.isin(cfg["entrance_not"])
    open_ = _walking_allowed(points, cfg) & ~tag_column(points, "locked").isin(cfg["locked"])
    return points[(candidate & ~excluded & open_).to_numpy()]


def grade_fields(roads: pd.DataFrame) -> dict[str, pd.Series]:
    """The grade fields of the roads layer from the OSM tags ``bridge``, ``tunnel`` and ``layer``.

    ``bridge`` / ``tunnel`` are ``"yes"`` where the tag is present and not
    ``no`` (bridge=viaduct, tunnel=culvert … included), empty otherwise;
    ``layer`` is the tag as an integer in [-5, 5] (OSM's range), empty when
    missing or not a whole number there.
    """
    out = {}
    for key in ("bridge", "tunnel"):
        value = tag_column(roads, key)
        present = value.notna() & (value.astype(str).str.strip() != "") & (value != "no")
        out[key] = pd.Series(np.where(present.to_numpy(), "yes", None), index=roads.index, dtype=object)
    layer = pd.to_numeric(tag_column(roads, "layer"), errors="coerce")
    out["layer"] = layer.where((layer == layer.round()) & (layer.abs() <= 5))
    return out
