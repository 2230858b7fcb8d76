"""Field mapping: point the input model at users' own layer names, field names and values.

A mapping is a TOML file; nothing in the user's data is edited. Example::

    # which layer (or file, relative to this mapping file) holds each model layer
    [layers.facilities]
    source = "公共服务设施"            # a layer of the input GeoPackage …
    # source = "设施点.shp"            # … or a file next to the mapping file
    encoding = "GB18030"              # only for shapefiles without a .cpg file

    [layers.facilities.fields]        # model field = the user's field
    category = "设施类型"
    beds = "床位"

    [layers.facilities.values.category]   # the user's value = model key
    "社区养老驿站" = "elderly_day_care"
    "卫生站" = "clinic"

    # what the data holds on purpose (see docs/data-model.md, "Completeness")
    [completeness]
    absent = ["parking", "facilities.substation"]   # not in this district: measured as none
    complete = ["facilities"]                        # every facility there is: a category
                                                     # not found is absent, not unknown

Chinese labels of the vocabulary (幼儿园, 主干路 …) and listed aliases are
understood without a mapping; the mapping adds everything else. Without a
``[completeness]`` declaration a missing layer, field or facility category is a
data gap (its metrics are null and raise no problem), never a zero.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from blockcheck.errors import MappingError
from blockcheck.inputs.model import InputModel, input_model

__all__ = ["LayerMapping", "Mapping", "load_mapping"]


@dataclass(frozen=True)
class LayerMapping:
    """How one model layer is found in the user's data."""

    source: str | None = None  # layer name, or a file path (resolved)
    encoding: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # model field -> user field
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # model field -> {user value: key}


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file (empty mapping = the data already follows the model)."""

    layers: dict[str, LayerMapping] = field(default_factory=dict)
    path: str | None = None
    absent: frozenset[str] = frozenset()  # "layer" or "layer.category" declared absent on purpose
    complete: frozenset[str] = frozenset()  # layers declared complete (a category not found is absent)

    def declared_absent(self, layer: str, category: str | None = None) -> bool:
        """True when `layer` (or its `category`) is declared absent on purpose, or complete without it."""
        if layer in self.absent:
            return True
        return category is not None and (f"{layer}.{category}" in self.absent or layer in self.complete)

    def layer(self, name: str) -> LayerMapping:
        """The mapping of model layer `name` (an empty one when not mapped)."""
        return self.layers.get(name, LayerMapping())


def load_mapping(path: str | os.PathLike | None, *, model: InputModel | None = None) -> Mapping:
    """Read and check a mapping file; every problem is reported at once.

    Raises
    ------
    MappingError
        File missing or not TOML; unknown model layers, fields or vocabulary
        keys (with close matches).
    """
    if path is None:
        return Mapping()
    model = model or input_model()
    path = Path(path)
    if not path.is_file():
        msg = (
            f"Mapping file {path} not found. Give the path of a TOML mapping file (see docs/data-model.md, 'Field "
            "mapping')."
        )
        raise MappingError(msg)
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"Mapping file {path}: not valid UTF-8 TOML ({err}). Fix the line named."
        raise MappingError(msg) from None
    problems: list[str] = []
    unknown_top = set(doc) - {"layers", "completeness"}
    if unknown_top:
        problems.append(
            f"unknown top-level tables {sorted(unknown_top)} (only [layers.<name>] and [completeness] are read)"
        )
    absent, complete = _completeness(doc.get("completeness", {}), model, problems)
    layers = {}
    layer_tables = doc.get("layers", {})
    if not isinstance(layer_tables, dict):
        problems.append('layers must be tables, e.g. [layers.facilities] source = "公共服务设施"')
        layer_tables = {}
    for name, table in layer_tables.items():
        if name not in model.layers:
            problems.append(f"[layers.{name}]: no such model layer{_suggest(name, model.layers)}")
            continue
        wrong = _type_problems(name, table)
        if wrong:
            problems.extend(wrong)
            continue
        spec = model.layers[name]
        fields = dict(table.get("fields", {}))
        for model_field in fields:
            if model_field not in spec.field_names:
                problems.append(
                    f"[layers.{name}.fields] {model_field}: no such field in the "
                    f"model{_suggest(model_field, spec.field_names)}"
                )
        values: dict[str, dict[str, str]] = {}
        for model_field, table_values in table.get("values", {}).items():
            if model_field not in spec.field_names or not spec.field(model_field).vocabulary:
                problems.append(
                    f"[layers.{name}.values.{model_field}]: {model_field} is not a category field of {name}"
                )
                continue
            vocab = model.vocabulary(spec.field(model_field).vocabulary)
            for user_value, key in table_values.items():
                if key not in vocab.keys:
                    problems.append(
                        f"[layers.{name}.values.{model_field}] {user_value!r} = {key!r}: {key!r} is not a {vocab.name} "
                        f"key{_suggest(key, vocab.keys)}"
                    )
            values[model_field] = {str(k): str(v) for k, v in table_values.items()}
        source = table.get("source")
        if source is not None and ("/" in source or "\\" in source or Path(source).suffix):
            candidate = (path.parent / source).resolve()
            if candidate.exists():
                source = str(candidate)
        layers[name] = LayerMapping(source=source, encoding=table.get("encoding"), fields=fields, values=values)
    if problems:
        msg = f"Mapping file {path} has {len(problems)} problem(s):\n  - " + "\n  - ".join(problems)
        raise MappingError(msg)
    return Mapping(layers=layers, path=str(path), absent=absent, complete=complete)


def _type_problems(name: str, table: object) -> list[str]:
    """Wrong value types in ``[layers.<name>]`` (a number for a name, a text for a table …)."""
    if not isinstance(table, dict):
        return [f'[layers.{name}] must be a table (source = "...", [layers.{name}.fields] …), not {table!r}']
    problems = [
        f"[layers.{name}] {key} = {table[key]!r}: must be text in quotes"
        for key in ("source", "encoding")
        if key in table and not isinstance(table[key], str)
    ]
    fields = table.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        problems.append(f'[layers.{name}.fields]: each line is model_field = "your field" (text in quotes)')
    values = table.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(t, dict) and all(isinstance(k, str) for k in t.values()) for t in values.values()
    ):
        problems.append(f'[layers.{name}.values.<field>]: each line is "your value" = "model key" (text in quotes)')
    unknown = set(table) - {"source", "encoding", "fields", "values"}
    if unknown:
        problems.append(f"[layers.{name}]: unknown keys {sorted(unknown)} (allowed: source, encoding, fields, values)")
    return problems


def _completeness(table: object, model: InputModel, problems: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The ``[completeness]`` declarations, checked against the model (problems appended)."""
    if not isinstance(table, dict):
        problems.append("[completeness] must be a table with `absent = [...]` and/or `complete = [...]`")
        return frozenset(), frozenset()
    unknown = set(table) - {"absent", "complete"}
    if unknown:
        problems.append(f"[completeness]: unknown keys {sorted(unknown)} (allowed: absent, complete)")
    categories = model.vocabulary("facility_category").keys
    out = []
    for key in ("absent", "complete"):
        names = table.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(
                f"[completeness] {key}: a list of layer names or 'facilities.<category>' strings, e.g. {key} = "
                '["parking"]'
            )
            out.append(frozenset())
            continue
        for name in names:
            layer, _, category = name.partition(".")
            if layer not in model.layers:
                problems.append(f"[completeness] {key}: {name!r} is not a model layer{_suggest(layer, model.layers)}")
            elif model.layers[layer].required:
                problems.append(f"[completeness] {key}: {name!r} is a required layer; it cannot be declared {key}")
            elif category and (layer != "facilities" or key == "complete"):
                problems.append(
                    f"[completeness] {key}: {name!r}: only facility categories can be named (absent = "
                    '["facilities.substation"])'
                )
            elif category and category not in categories:
                problems.append(
                    f"[completeness] {key}: {category!r} is not a facility category{_suggest(category, categories)}"
                )
        out.append(frozenset(names))
    return out[0], out[1]


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else f" (known: {', '.join(list(choices)[:12])})"
