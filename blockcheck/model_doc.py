"""Markdown documentation of the input data model, generated from ``data/input_model.toml``.

``python -m blockcheck.model_doc > docs/data-model.md`` rewrites the reference
part of the docs; a test checks that the committed file is current.
"""

from __future__ import annotations

from .input_model import InputModel, input_model

__all__ = ["data_model_markdown"]

_INTRO = """\
# The blockcheck input data model

An input is **one GeoPackage** (or a folder with one vector file per layer, e.g. shapefiles)
holding the layers below. Only `blocks` is required; every other layer is optional, and a
missing optional layer reduces what is computed — `blockcheck validate` says exactly which
metrics are lost (a warning, not an error). Layer and field names are the contract: use them,
or point blockcheck at your own names with a **field mapping** (below) without editing your data.

- Coordinates: any CRS, the same for all layers. blockcheck reprojects once to a metric CRS:
  the data's own when projected in metres (not Web Mercator); inside China the CGCS2000
  3-degree Gauss–Krüger zone (Beijing: EPSG:4548); UTM elsewhere; `--crs` overrides.
  Web-map points in GCJ-02 (Amap, Tencent) or BD-09 (Baidu) convert to WGS 84 with
  `blockcheck.chinacoords.convert_frame(gdf, "gcj02" | "bd09")` (iterative inverse, < 1 cm).
- Category values: the English keys below, or their Chinese labels (幼儿园, 主干路 …), or
  listed aliases are understood directly; anything else is mapped in the mapping file.
- Types: `str` text, `int` whole number, `float` number. Units are part of the field name
  where they matter (`_m`, `_m2`); ratios lie in 0–1.
- Shapefiles: attributes in GBK/GB18030 without a `.cpg` file are detected and read correctly
  (with a warning suggesting a `.cpg`); field names cut to 10 characters are recognised.

## Field mapping

A TOML file given with `--mapping` says where each model layer, field and category value is
in your data:

```toml
[layers.facilities]
source = "公共服务设施"          # layer name in your GeoPackage, or a file next to the mapping
# encoding = "GB18030"          # only for shapefiles without a .cpg

[layers.facilities.fields]      # model field = your field
category = "设施类型"
beds = "床位"

[layers.facilities.values.category]   # your value = model key
"社区养老驿站" = "elderly_day_care"
"卫生站" = "clinic"
```

Every problem in a mapping file (unknown layer, field or key, with close matches) is reported at once.

## What validation checks

Errors (exit code 2, nothing is computed): missing required layer or field; empty layer;
missing value in a required field; wrong type; unknown category value; value out of range
(negative population or capacity, occupancy above 1); invalid geometry (`--repair` applies
`make_valid` and reports the change); empty geometry; wrong geometry type; missing CRS;
layers in different CRSs; duplicate ids; overlapping blocks (> 1 m²); a shapefile whose text
is neither UTF-8 nor GBK/GB18030. Warnings: missing optional layers (with the metrics lost),
GBK detected without `.cpg`, repaired geometries, block codes not like `CP02-0101`.
Information: optional fields absent, shapefile names recognised.

"""


def _layer_md(model: InputModel, name: str) -> list[str]:
    spec = model.layers[name]
    lines = [
        f"## `{name}` — {spec.label_zh} ({spec.label_en})",
        "",
        f"Geometry: **{spec.geometry.replace('_', ' or ')}** · {'**required**' if spec.required else 'optional'} · id field `{spec.id_field}`",
        "",
        "Needed for: " + "; ".join(spec.needed_for) + ".",
        "",
        "| field | type | required | unit | 中文 | values / notes |",
        "|---|---|---|---|---|---|",
    ]
    for fs in spec.fields:
        notes = []
        if fs.vocabulary:
            notes.append(f"vocabulary [`{fs.vocabulary}`](#vocabulary-{fs.vocabulary.replace('_', '-')})")
        if fs.min is not None or fs.max is not None:
            low = "" if fs.min is None else f"{fs.min:g}"
            high = "" if fs.max is None else f"{fs.max:g}"
            notes.append(f"range [{low}, {high}]")
        if fs.pattern:
            notes.append(f"pattern `{fs.pattern}`")
        if fs.description:
            notes.append(fs.description)
        lines.append(f"| `{fs.name}` | {fs.type} | {'yes' if fs.required else ''} | {fs.unit} | {fs.label_zh} | {'; '.join(notes)} |")
    return [*lines, ""]


def _vocab_md(model: InputModel, name: str) -> list[str]:
    vocab = model.vocabularies[name]
    lines = [f"### vocabulary `{name}`", "", "| key | 中文 | also accepted |", "|---|---|---|"]
    for key, label in vocab.labels_zh.items():
        aliases = ", ".join(a for a, k in vocab.aliases.items() if k == key and a != label)
        lines.append(f"| `{key}` | {label} | {aliases} |")
    return [*lines, ""]


def data_model_markdown(model: InputModel | None = None) -> str:
    """The whole docs/data-model.md text."""
    model = model or input_model()
    lines = [_INTRO.rstrip(), "", f"Model version {model.version}.", ""]
    for name in model.layers:
        lines += _layer_md(model, name)
    lines += ["## Vocabularies", "", "Keys are English snake_case (land use: GB 50137-2011 codes).", ""]
    for name in model.vocabularies:
        lines += _vocab_md(model, name)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(data_model_markdown(), end="")
