"""Finding and reading the input layers (a GeoPackage, or a folder of vector files).

An input is either one GeoPackage (or other multi-layer file) whose layers are
named as in the model, or a folder holding one file per layer
(``blocks.shp``, ``roads.geojson`` …). A mapping file may point a model layer
at another layer name or file. Shapefiles without a .cpg file get their
attribute encoding detected (GBK/GB18030 is common for Chinese data).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .encoding import detect_dbf_encoding
from .errors import InputError
from .io import list_layers, read_layer
from .mapping import Mapping
from .validation_report import ERROR, WARNING, ValidationReport

__all__ = ["RawLayer", "read_raw_layers"]

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


def _resolve(path: Path, name: str, mapping: Mapping, layers_in_file: dict[str, str | None] | None) -> tuple[Path, str | None] | None:
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


def read_raw_layers(path: str | os.PathLike, mapping: Mapping, report: ValidationReport, model) -> dict[str, RawLayer]:  # noqa: ANN001
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
                    ERROR, "missing_layer", name,
                    f"required layer '{wanted}' ({spec.label_zh}) was not found; available: {', '.join(available) or 'none'}.",
                    fix=f"Add a layer named '{name}', or point at yours in a mapping file: [layers.{name}] source = \"<your layer>\".",
                )
            else:
                report.add(
                    WARNING, "missing_layer", name,
                    f"optional layer '{wanted}' ({spec.label_zh}) is absent, so these will not be computed: {'; '.join(spec.needed_for)}.",
                    fix=f"Add a '{name}' layer (see docs/data-model.md) or map yours with [layers.{name}] source = \"...\".",
                )
            continue
        file_path, layer_name = found
        encoding = mapping.layer(name).encoding
        if file_path.suffix.lower() == ".shp" and encoding is None:
            detected = detect_dbf_encoding(file_path)
            if detected.encoding is None:
                report.add(
                    ERROR, "unknown_encoding", name,
                    f"{file_path.name} has no .cpg file and its text is neither UTF-8 nor GBK/GB18030.",
                    fix=f"Add a file {file_path.with_suffix('.cpg').name} naming the encoding (e.g. GB18030), or set encoding = \"...\" under [layers.{name}] in a mapping file.",
                )
                continue
            if not detected.has_cpg and detected.encoding != "UTF-8":
                report.add(
                    WARNING, "encoding_detected", name,
                    f"{file_path.name} has no .cpg file; its attributes were detected as {detected.encoding} ({detected.how}) and read as such.",
                    fix=f"To make this explicit, add {file_path.with_suffix('.cpg').name} containing '{detected.encoding}'.",
                )
            encoding = detected.encoding
        frame = read_layer(file_path, layer_name, encoding=encoding)
        source = f"{file_path}" + (f":{layer_name}" if layer_name else "")
        raw[name] = RawLayer(name=name, frame=frame, source=source)
    return raw
