"""Finding and reading the input layers (a GeoPackage, or a folder of vector files).

An input is either one GeoPackage (or other multi-layer file) whose layers are
named as in the model, or a folder holding one file per layer
(``blocks.shp``, ``roads.geojson`` …). A mapping file may point a model layer
at another layer name or file. Shapefiles without a .cpg file get their
attribute encoding detected (GBK/GB18030 is common for Chinese data).

An input may also hold a non-spatial ``dataset_info`` table (key, value) saying
what the data is: :func:`read_dataset_info` reads it. ``synthetic = "true"``
(the sample district has it) makes every export say "示例数据（虚构）" /
"synthetic sample data".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from blockcheck.catalogue import load_data, require, require_tables
from blockcheck.errors import InputError
from blockcheck.inputs.encoding import detect_dbf_encoding
from blockcheck.inputs.field_mapping import Mapping
from blockcheck.inputs.model import InputModel
from blockcheck.inputs.report import ERROR, WARNING, ValidationReport
from blockcheck.io import list_layers, read_layer

__all__ = [
    "DATASET_INFO_LAYER",
    "RawLayer",
    "dataset_info_frame",
    "dataset_info_keys",
    "dataset_info_model",
    "dataset_meta",
    "is_synthetic",
    "read_dataset_info",
    "read_raw_layers",
]

_VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".sqlite")


@dataclass(frozen=True)
class RawLayer:
    """A layer as read, before mapping and checks."""

    name: str  # model layer name
    frame: gpd.GeoDataFrame | pd.DataFrame
    source: str  # human-readable "file:layer"


def _folder_sources(folder: Path) -> dict[str, tuple[Path, str | None]]:
    """Model-layer-named files in a folder: {stem: (path, None)}."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in _VECTOR_SUFFIXES:
            found.setdefault(path.stem, (path, None))
    return found


def _resolve(
    path: Path, name: str, mapping: Mapping, layers_in_file: dict[str, str | None] | None
) -> tuple[Path, str | None] | None:
    wanted = mapping.layer(name).source or name
    candidate = Path(wanted)
    if candidate.is_absolute() and candidate.exists():
        return candidate, None
    if path.is_dir():
        if (path / wanted).exists():
            return path / wanted, None
        return _folder_sources(path).get(wanted)
    if layers_in_file is not None and wanted in layers_in_file:
        return path, wanted
    return None


def read_raw_layers(
    path: str | os.PathLike, mapping: Mapping, report: ValidationReport, model: InputModel
) -> dict[str, RawLayer]:
    """Read every model layer that can be found; record missing ones in `report`.

    Raises
    ------
    InputError
        When `path` does not exist or cannot be opened at all.
    """
    path = Path(path)
    if not path.exists():
        msg = f"Input {path} not found. Give a GeoPackage (.gpkg) or a folder of layer files."
        raise InputError(msg)
    layers_in_file = None if path.is_dir() else list_layers(path)
    raw: dict[str, RawLayer] = {}
    for name, spec in model.layers.items():
        found = _resolve(path, name, mapping, layers_in_file)
        if found is None:
            wanted = mapping.layer(name).source or name
            available = sorted(layers_in_file) if layers_in_file is not None else sorted(_folder_sources(path))
            if spec.required:
                report.add(
                    ERROR,
                    "missing_layer",
                    name,
                    f"required layer '{wanted}' ({spec.label_zh}) was not found; available: "
                    f"{', '.join(available) or 'none'}.",
                    fix=(
                        f"Add a layer named '{name}', or point at yours in a mapping file: [layers.{name}] source = "
                        '"<your layer>".'
                    ),
                )
            elif spec.note_absent:
                report.add(
                    WARNING,
                    "missing_layer",
                    name,
                    f"optional layer '{wanted}' ({spec.label_zh}) is absent, so these will not be computed: "
                    f"{'; '.join(spec.needed_for)}.",
                    fix=(
                        f"Add a '{name}' layer (see docs/data-model.md) or map yours with [layers.{name}] source = "
                        '"...".'
                    ),
                )
            continue
        file_path, layer_name = found
        encoding = mapping.layer(name).encoding
        if file_path.suffix.lower() == ".shp" and encoding is None:
            detected = detect_dbf_encoding(file_path)
            if detected.encoding is None:
                report.add(
                    ERROR,
                    "unknown_encoding",
                    name,
                    f"{file_path.name} has no .cpg file and its text is neither UTF-8 nor GBK/GB18030.",
                    fix=(
                        f"Add a file {file_path.with_suffix('.cpg').name} naming the encoding (e.g. GB18030), or set "
                        f'encoding = "..." under [layers.{name}] in a mapping file.'
                    ),
                )
                continue
            if not detected.has_cpg and detected.encoding != "UTF-8":
                report.add(
                    WARNING,
                    "encoding_detected",
                    name,
                    f"{file_path.name} has no .cpg file; its attributes were detected as {detected.encoding} "
                    f"({detected.how}) and read as such.",
                    fix=(
                        f"To make this explicit, add {file_path.with_suffix('.cpg').name} containing "
                        f"'{detected.encoding}'."
                    ),
                )
            encoding = detected.encoding
        frame = read_layer(file_path, layer_name, encoding=encoding)
        source = f"{file_path}" + (f":{layer_name}" if layer_name else "")
        raw[name] = RawLayer(name=name, frame=frame, source=source)
    return raw


# ------------------------------------------------------------------ dataset_info

#: The non-spatial table describing the input as a whole (see ``[dataset_info]`` in data/input_model.toml).
DATASET_INFO_LAYER = "dataset_info"
_TRUE = {"true", "1", "yes", "y", "是", "真"}
_FALSE = {"false", "0", "no", "n", "否", "", "假"}
_TABLE_SUFFIXES = (".csv", *_VECTOR_SUFFIXES)


@cache
def dataset_info_model() -> dict:
    """The ``[dataset_info]`` section of data/input_model.toml (labels, description, ``keys``)."""
    return require(load_data("input_model.toml"), "dataset_info", dict, default={})


def dataset_info_keys() -> dict[str, dict]:
    """The keys of ``dataset_info`` the input model defines (name → its entry: labels, values, description)."""
    info = dataset_info_model()
    entries = require_tables(info, "keys") if "keys" in info else []
    return {require(entry, "name", str): dict(entry) for entry in entries}


def _info_source(path: Path) -> tuple[Path, str | None] | None:
    """Where the dataset_info table of input `path` is: (file, layer) or None."""
    if path.is_dir():
        return next(
            (
                (path / f"{DATASET_INFO_LAYER}{s}", None)
                for s in _TABLE_SUFFIXES
                if (path / f"{DATASET_INFO_LAYER}{s}").is_file()
            ),
            None,
        )
    if path.is_file() and path.suffix.lower() in _VECTOR_SUFFIXES and DATASET_INFO_LAYER in list_layers(path):
        return path, DATASET_INFO_LAYER
    return None


def read_dataset_info(path: str | os.PathLike) -> dict[str, str]:
    """The input's ``dataset_info`` table as {key: value} ({} when there is none).

    The table is a layer ``dataset_info`` of the input GeoPackage, or a file
    ``dataset_info.csv`` (UTF-8) / ``dataset_info.gpkg`` … in an input folder,
    with text columns ``key`` and ``value``. Keys are stripped; empty keys are skipped.

    Raises
    ------
    InputError
        When the table exists but has no ``key`` and ``value`` columns, or
        declares ``synthetic`` as something other than true / false.
    """
    found = _info_source(Path(path)) if str(path) else None
    if found is None:
        return {}
    file, layer = found
    if file.suffix.lower() == ".csv":
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        frame = read_layer(file, layer)
    where = f"{file}" + (f":{layer}" if layer else "")
    if not {"key", "value"} <= set(frame.columns):
        msg = (
            f"{where}: the dataset_info table needs the columns key and value (has: "
            f"{', '.join(map(str, frame.columns))}). "
            "Rename them, e.g. one row key = synthetic, value = true."
        )
        raise InputError(msg)
    info = {}
    for key, value in zip(frame["key"], frame["value"], strict=True):
        if pd.isna(key) or not str(key).strip():
            continue
        info[str(key).strip()] = "" if pd.isna(value) else str(value).strip()
    if str(info.get("synthetic", "")).lower() not in _TRUE | _FALSE:
        msg = f"{where}: synthetic = {info['synthetic']!r}; write true (made-up data, e.g. a sample) or false."
        raise InputError(msg)
    return info


def is_synthetic(info: dict[str, str]) -> bool:
    """True when a dataset_info (or blockcheck_meta) mapping says ``synthetic = true``."""
    return str(info.get("synthetic", "")).strip().lower() in _TRUE


def dataset_meta(path: str | os.PathLike) -> dict[str, str]:
    """The ``blockcheck_meta`` rows about the input's dataset_info: synthetic ("true"/"false") and its description."""
    info = read_dataset_info(path)
    return {
        "synthetic": "true" if is_synthetic(info) else "false",
        "dataset_description": info.get("description", ""),
        "dataset_description_en": info.get("description_en", ""),
    }


def dataset_info_frame(info: dict[str, str]) -> pd.DataFrame:
    """`info` as the (key, value) table written to a GeoPackage."""
    return pd.DataFrame({"key": list(info), "value": list(info.values())}, dtype=object)
