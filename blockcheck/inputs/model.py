"""The input data model: layers, fields and vocabularies, loaded from ``data/input_model.toml``.

The TOML file is the single definition of what an input GeoPackage holds; this
module turns it into frozen objects used by reading, mapping, validation,
the OSM import, the sample generator and the generated documentation.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

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

    @property
    def python_type(self) -> type:
        """The Python type values of this field convert to."""
        return _PYTHON_TYPES[self.type]


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the input GeoPackage."""

    name: str
    geometry: str  # "polygon", "line", "point_or_polygon"
    required: bool
    id_field: str
    fields: tuple[FieldSpec, ...]
    needed_for: tuple[str, ...] = ()
    label_zh: str = ""
    label_en: str = ""

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


def _parse(doc: dict) -> InputModel:
    vocabularies = {}
    for name, table in doc["vocabularies"].items():
        table = dict(table)
        aliases = table.pop("aliases", {})
        vocabularies[name] = Vocabulary(name=name, labels_zh=table, aliases=aliases)
    layers = {}
    for name, table in doc["layers"].items():
        fields = tuple(FieldSpec(**spec) for spec in table["fields"])
        for spec in fields:
            if spec.vocabulary and spec.vocabulary not in vocabularies:
                msg = f"input model: field {name}.{spec.name} names unknown vocabulary {spec.vocabulary!r}"
                raise KeyError(msg)
        layers[name] = LayerSpec(
            name=name,
            geometry=table["geometry"],
            required=table["required"],
            id_field=table["id_field"],
            fields=fields,
            needed_for=tuple(table.get("needed_for", ())),
            label_zh=table.get("label_zh", ""),
            label_en=table.get("label_en", ""),
        )
    return InputModel(version=doc["model_version"], layers=layers, vocabularies=vocabularies)


@cache
def input_model() -> InputModel:
    """Load the packaged input model (cached)."""
    text = resources.files("blockcheck").joinpath("data/input_model.toml").read_text("utf-8")
    return _parse(tomllib.loads(text))
