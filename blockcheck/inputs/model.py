"""The input data model: layers, fields and vocabularies, loaded from ``data/input_model.toml``.

The TOML file is the single definition of what an input GeoPackage holds; this
module turns it into frozen objects used by reading, mapping, validation,
the OSM import, the sample generator and the generated documentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from blockcheck.catalogue import build, load_data, location, require, require_tables
from blockcheck.errors import CatalogueError

__all__ = [
    "FieldSpec",
    "InputModel",
    "LayerSpec",
    "Vocabulary",
    "input_model",
]

_PYTHON_TYPES = {"str": str, "int": int, "float": float}


@dataclass(frozen=True)
class Vocabulary:
    """A closed set of category keys with Chinese labels and accepted aliases."""

    name: str
    labels_zh: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        """The canonical keys, in file order."""
        return tuple(self.labels_zh)

    def normalise(self, value: object) -> str | None:
        """Return the canonical key for `value` (key, Chinese label or alias), or None.

        Matching ignores surrounding white space and, for ASCII keys, case.
        """
        if value is None:
            return None
        text = str(value).strip()
        if text in self.labels_zh:
            return text
        lowered = text.lower()
        for key in self.labels_zh:
            if key.lower() == lowered:
                return key
        if text in self.aliases:
            return self.aliases[text]
        for key, label in self.labels_zh.items():
            if label == text:
                return key
        return None


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of an input layer."""

    name: str
    type: str
    required: bool = False
    unit: str = ""
    vocabulary: str | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    label_zh: str = ""
    label_en: str = ""
    description: str = ""
    #: False for optional fields whose absence changes nothing computed (no "optional fields not present" note).
    note_absent: bool = True

    @property
    def python_type(self) -> type:
        """The Python type values of this field convert to."""
        return _PYTHON_TYPES[self.type]


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the input GeoPackage."""

    name: str
    geometry: str  # "polygon", "line", "point", "point_or_polygon"
    required: bool
    id_field: str
    fields: tuple[FieldSpec, ...]
    needed_for: tuple[str, ...] = ()
    label_zh: str = ""
    label_en: str = ""
    #: False for an optional layer whose absence changes nothing computed (no "optional layer absent" warning).
    note_absent: bool = True

    def field(self, name: str) -> FieldSpec:
        """Return the field spec called `name` (KeyError if unknown)."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of all model fields, in model order."""
        return tuple(spec.name for spec in self.fields)

    @property
    def required_fields(self) -> tuple[FieldSpec, ...]:
        """The fields a layer must have."""
        return tuple(spec for spec in self.fields if spec.required)

    @property
    def allowed_geometry_types(self) -> frozenset[str]:
        """Shapely geometry type names accepted for this layer."""
        kinds = {
            "polygon": {"Polygon", "MultiPolygon"},
            "line": {"LineString", "MultiLineString"},
            "point": {"Point", "MultiPoint"},
            "point_or_polygon": {"Point", "MultiPoint", "Polygon", "MultiPolygon"},
        }
        return frozenset(kinds[self.geometry])


@dataclass(frozen=True)
class InputModel:
    """All layers and vocabularies of the input model."""

    version: str
    layers: dict[str, LayerSpec]
    vocabularies: dict[str, Vocabulary]

    def layer(self, name: str) -> LayerSpec:
        """Return the spec of layer `name` (KeyError if unknown)."""
        return self.layers[name]

    def vocabulary(self, name: str) -> Vocabulary:
        """Return vocabulary `name` (KeyError if unknown)."""
        return self.vocabularies[name]


_FIELD_TYPES = {"required": bool, "min": float, "max": float, "note_absent": bool}
_GEOMETRIES = ("polygon", "line", "point", "point_or_polygon")


def _field_spec(entry: Mapping, vocabularies: Mapping[str, Vocabulary]) -> FieldSpec:
    """One ``[[layers.<name>.fields]]`` entry, checked (CatalogueError naming file, layer and field)."""
    spec = build(FieldSpec, entry, _FIELD_TYPES)
    if spec.type not in _PYTHON_TYPES:
        msg = f"{location(entry, 'type')} = {spec.type!r}: write one of {', '.join(_PYTHON_TYPES)}."
        raise CatalogueError(msg)
    if spec.vocabulary and spec.vocabulary not in vocabularies:
        msg = f"{location(entry, 'vocabulary')} = {spec.vocabulary!r} is not a [vocabularies.<name>] of the file."
        raise CatalogueError(msg)
    return spec


def _layer_spec(name: str, table: Mapping, vocabularies: Mapping[str, Vocabulary]) -> LayerSpec:
    """``[layers.<name>]`` with its fields, checked."""
    geometry = require(table, "geometry", str)
    if geometry not in _GEOMETRIES:
        msg = f"{location(table, 'geometry')} = {geometry!r}: write one of {', '.join(_GEOMETRIES)}."
        raise CatalogueError(msg)
    return LayerSpec(
        name=name,
        geometry=geometry,
        required=require(table, "required", bool),
        id_field=require(table, "id_field", str),
        fields=tuple(_field_spec(entry, vocabularies) for entry in require_tables(table, "fields")),
        needed_for=tuple(require(table, "needed_for", list, default=[])),
        label_zh=require(table, "label_zh", str, default=""),
        label_en=require(table, "label_en", str, default=""),
        note_absent=require(table, "note_absent", bool, default=True),
    )


def _parse(doc: Mapping) -> InputModel:
    vocabularies = {}
    for name, table in require(doc, "vocabularies", dict).items():
        labels = {k: v for k, v in require(doc["vocabularies"], name, dict).items() if k != "aliases"}
        aliases = require(table, "aliases", dict, default={})
        vocabularies[name] = Vocabulary(name=name, labels_zh=labels, aliases=dict(aliases))
    layers = {
        name: _layer_spec(name, require(doc["layers"], name, dict), vocabularies)
        for name in require(doc, "layers", dict)
    }
    return InputModel(version=require(doc, "model_version", str), layers=layers, vocabularies=vocabularies)


@cache
def input_model() -> InputModel:
    """Load the packaged input model (cached).

    Raises
    ------
    blockcheck.errors.CatalogueError
        If ``data/input_model.toml`` lacks a key or has one of the wrong type
        (the message names the file, the layer and the field).
    """
    return _parse(load_data("input_model.toml"))
