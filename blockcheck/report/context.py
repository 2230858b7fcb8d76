"""Map context from the run's input: the roads and green spaces the maps draw, read without validating the input.

The overview, the thematic maps and the atlas pages draw roads (by class,
planned ones dashed) and green spaces under the lists. They are not in the
workbook: :func:`read_context` reads them from the input ``blockcheck_meta``
names (``input``; ``mapping_file`` when the run used one). Only these two
layers are read — found as the run found them, with the mapping file's layer
names, shapefile encodings and field names
(:func:`blockcheck.inputs.read.read_raw_layers` over a model of the context
layers only) — and only what is drawn is kept: the id (OpenStreetMap credits),
a road's class and status as model keys (the mapping's values, then the
vocabulary, as validation reads them) and the geometry, reprojected to the
workbook's CRS. The input is not validated (the run did that): a problem in
another layer does not take the context away.

As before, when the input cannot be found, has changed since the run (its
digest differs from ``input_sha256``) or cannot be read, the maps are drawn
without context (a log message says why).
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from blockcheck.errors import BlockcheckError
from blockcheck.inputs.field_mapping import Mapping, load_mapping
from blockcheck.inputs.model import InputModel, input_model
from blockcheck.inputs.read import RawLayer, read_raw_layers
from blockcheck.inputs.report import ValidationReport

__all__ = ["CONTEXT_FIELDS", "context_ids", "read_context", "resolve_input"]

log = logging.getLogger(__name__)

#: The input layers the maps draw, and the fields drawn besides the geometry (the id is always kept).
CONTEXT_FIELDS: dict[str, tuple[str, ...]] = {"roads": ("class", "status"), "green": ()}


def resolve_input(raw: str, workbook: Path) -> Path | None:
    """The run's input (or mapping file): as recorded (absolute or relative to the current folder), else next to
    the workbook or up to four folders above it; None when not found.
    """
    if not raw:
        return None
    given = Path(raw)
    candidates = (
        [given] if given.is_absolute() else [Path.cwd() / given, *(p / given for p in workbook.resolve().parents[:4])]
    )
    return next((c for c in candidates if c.exists()), None)


def context_model() -> InputModel:
    """The input model restricted to the context layers (what :func:`read_raw_layers` then reads)."""
    model = input_model()
    return replace(model, layers={name: model.layers[name] for name in CONTEXT_FIELDS if name in model.layers})


def context_ids() -> dict[str, str]:
    """The id field of each context layer (``road_id``, ``green_id``)."""
    return {name: spec.id_field for name, spec in context_model().layers.items()}


def _keys(column: pd.Series, vocabulary: str, user_values: dict[str, str], model: InputModel) -> pd.Series:
    """Model keys of a category column: the mapping's values first, then the vocabulary's keys, labels and aliases
    (None where blank or unknown), as validation reads them.
    """
    vocab = model.vocabulary(vocabulary)
    codes, uniques = pd.factorize(column)  # decide once per distinct value (missing values: code -1)
    texts = [str(v).strip() for v in uniques]
    keys = np.array([(user_values.get(t) or vocab.normalise(t)) if t else None for t in texts] + [None], dtype=object)
    return pd.Series(keys[codes], index=column.index, dtype=object)


def _drawn(layer: RawLayer, mapping: Mapping, model: InputModel) -> gpd.GeoDataFrame | None:
    """The id, the drawn fields (model names and keys) and the non-empty geometries of `layer`; None when it has
    no geometry or no CRS.
    """
    frame, spec = layer.frame, model.layers[layer.name]
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        log.warning("%s has no geometry or no CRS: maps without it", layer.source)
        return None
    lm = mapping.layer(layer.name)
    frame = frame.rename(columns={user: model_field for model_field, user in lm.fields.items() if user in frame})
    geometry = frame.geometry
    keep = (geometry.notna() & ~geometry.is_empty).to_numpy()
    out = pd.DataFrame(index=frame.index[keep])
    for name in (spec.id_field, *CONTEXT_FIELDS[layer.name]):
        column = frame[name][keep] if name in frame else pd.Series(None, index=out.index, dtype=object)
        vocab = spec.field(name).vocabulary
        out[name] = _keys(column, vocab, lm.values.get(name, {}), model) if vocab else column
    return gpd.GeoDataFrame(out, geometry=geometry[keep].to_numpy(), crs=frame.crs)


def read_context(meta: dict[str, str], workbook: str | os.PathLike, crs: CRS) -> dict[str, gpd.GeoDataFrame]:
    """The context layers of the run's input (``roads``, ``green``: those present and not empty) in `crs`.

    Parameters
    ----------
    meta
        The workbook's ``blockcheck_meta`` (``input``, ``input_sha256``, ``mapping_file``).
    workbook
        The workbook's path (a relative input path is also looked for beside it).
    crs
        The workbook's CRS.

    Returns
    -------
    dict
        Layer name → GeoDataFrame (id, drawn fields, geometry); empty when the
        input is missing, changed since the run or unreadable.
    """
    from blockcheck.pipeline import file_digest
    from blockcheck.workbook.postgis_conn import is_database_target

    workbook = Path.cwd() / "workbook" if is_database_target(workbook) else Path(workbook)  # PostGIS: no folder
    found = resolve_input(meta.get("input", ""), workbook)
    if found is None:
        log.info("input %s not found: maps without roads and green", meta.get("input"))
        return {}
    digest = meta.get("input_sha256", "")
    if digest and found.is_file() and file_digest(found) != digest:
        log.warning("input %s changed since the run: maps without roads and green", found)
        return {}
    model = context_model()
    try:
        mapping = load_mapping(resolve_input(meta.get("mapping_file", ""), workbook))
        raw = read_raw_layers(found, mapping, ValidationReport(source=str(found)), model)
    except BlockcheckError as err:
        log.warning("input %s could not be read for map context (%s)", found, err)
        return {}
    out = {}
    for name in CONTEXT_FIELDS:
        frame = _drawn(raw[name], mapping, model) if name in raw else None
        if frame is not None and len(frame):
            out[name] = frame.to_crs(crs)
    return out
