"""Markdown documentation of the input data model, generated from ``data/input_model.toml``.

``python -m blockcheck.inputs.model_doc > docs/data-model.md`` rewrites the reference
part of the docs; a test checks that the committed file is current.
"""

from __future__ import annotations

from blockcheck.inputs.model import InputModel, input_model
from blockcheck.inputs.read import DATASET_INFO_LAYER, dataset_info_keys, dataset_info_model

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
  `blockcheck.inputs.chinacoords.convert_frame(gdf, "gcj02" | "bd09")` (iterative inverse, < 1 cm).
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
is neither UTF-8 nor GBK/GB18030. Warnings: missing optional layers (with the metrics lost;
not `entrances`, whose absence means parks and polygon facilities are entered along their
outline), GBK detected without `.cpg`, repaired geometries, block codes not like `CP02-0101`.
Information: optional fields absent, shapefile names recognised.

"""


def _layer_md(model: InputModel, name: str) -> list[str]:
    spec = model.layers[name]
    lines = [
        f"## `{name}` — {spec.label_zh} ({spec.label_en})",
        "",
        (
            f"Geometry: **{spec.geometry.replace('_', ' or ')}** · {'**required**' if spec.required else 'optional'} · "
            "id "
            f"field `{spec.id_field}`"
        ),
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
        lines.append(
            f"| `{fs.name}` | {fs.type} | {'yes' if fs.required else ''} | {fs.unit} | {fs.label_zh} | "
            f"{'; '.join(notes)} |"
        )
    return [*lines, ""]


def _vocab_md(model: InputModel, name: str) -> list[str]:
    vocab = model.vocabularies[name]
    lines = [f"### vocabulary `{name}`", "", "| key | 中文 | also accepted |", "|---|---|---|"]
    for key, label in vocab.labels_zh.items():
        aliases = ", ".join(a for a, k in vocab.aliases.items() if k == key and a != label)
        lines.append(f"| `{key}` | {label} | {aliases} |")
    return [*lines, ""]


def _dataset_info_md() -> list[str]:
    """The optional ``dataset_info`` table (from ``[dataset_info]`` of the model file)."""
    doc = dataset_info_model()
    if not doc:
        return []
    lines = [
        f"## `{DATASET_INFO_LAYER}` — {doc.get('label_zh', '')} ({doc.get('label_en', '')})",
        "",
        (
            "No geometry · optional · a table with text columns `key` and `value` (a layer of the GeoPackage, "
            f"or `{DATASET_INFO_LAYER}.csv` in an input folder)."
        ),
        "",
        doc.get("description", ""),
        "",
        "| key | 中文 | values | notes |",
        "|---|---|---|---|",
    ]
    for name, entry in dataset_info_keys().items():
        values = ", ".join(f"`{v}`" for v in entry.get("values", []))
        lines.append(f"| `{name}` | {entry.get('label_zh', '')} | {values} | {entry.get('description', '')} |")
    return [*lines, ""]


def _completeness_md() -> list[str]:
    """Completeness, estimates and the data-gap list (from ``data/data_needs.toml``)."""
    from blockcheck.inputs.completeness import capacity_estimates, data_needs

    lines = [
        "## Completeness: what the metrics need, and missing data",
        "",
        "Missing data is never a finding. `blockcheck validate` prints a completeness table — for each layer, each",
        "optional field a metric needs and each facility category the health check uses: all / some / none of the",
        "features carry it (e.g. `hospital: 2 of 2 lack beds`, `jobs: no building has employees`,",
        "`garbage_station: no feature`); `validate --out` and `run` write it as the table `input_completeness`.",
        "",
        "In `run`, a metric computed from missing data is **null, never 0**, in `block_metrics` and `area_metrics`;",
        "the workbook table `metric_status` gives every metric's status per scope (`measured`, `estimated`, `no_data`)",
        "with a note. No problem is raised from a `no_data` metric, and each problem row says whether its figure is",
        "`measured` or `estimated` (`data_status`). What is missing becomes a row of the **data-gap list**",
        "`data_gaps` (数据缺口清单): id `DG-<scope>-<layer>[-<category>][-<field>]`, scope (ALL, or the block holding",
        (
            "a facility without its capacity), layer, item, coverage, the metrics and problem rules it leaves "
            "unjudged, "
            "and"
        ),
        "how to fix it, in Chinese and English. It is a layer of the workbook, a sheet of `eight_lists.xlsx` after the",
        "eight lists, a section of the hearing report and a line on each atlas page.",
        "",
        "A layer or facility category absent from the input is a data gap, unless the mapping declares it absent on",
        "purpose — then it is measured as none and its coverage problem stands:",
        "",
        "```toml",
        "[completeness]",
        'absent = ["parking", "facilities.substation"]   # not in this district',
        (
            'complete = ["facilities"]                        # the layer holds every facility: a category not found '
            "is "
            "absent"
        ),
        "```",
        "",
        "| layer | field | needed for (metric patterns) | how to fill it |",
        "|---|---|---|---|",
    ]
    for need in data_needs():
        metrics = ", ".join(f"`{m}`" for m in need.metrics) or "every facility metric"
        lines.append(
            f"| `{need.layer}` | {f'`{need.field}`' if need.field else '(the layer)'} | {metrics} | {need.fix_en} |"
        )
    lines += [
        "",
        "Facility categories need no entry: a category's metrics follow from their names (`supply_`/`gap_` of its",
        "provision entry, `<category>_coverage_*`, `life_circle_*_<category>_ratio`, `<category>_within_reach`).",
        "A facility without its capacity leaves its block's (and the area's) supply and gap null; where a documented",
        "conversion applies, the capacity is estimated and the metric marked `estimated`:",
        "",
        "| capacity | categories | conversion |",
        "|---|---|---|",
    ]
    for rule in capacity_estimates():
        how = (
            f"`{rule.source_field}` ÷ `{rule.divide_by}`"
            if rule.method == "divide"
            else "Σ footprint × `floors` of the buildings on the polygon site"
        )
        lines.append(f"| `{rule.field}` | {', '.join(rule.categories)} | {how} ({rule.note_en}) |")
    return [*lines, ""]


def data_model_markdown(model: InputModel | None = None) -> str:
    """The whole docs/data-model.md text."""
    model = model or input_model()
    lines = [_INTRO.rstrip(), "", f"Model version {model.version}.", ""]
    for name in model.layers:
        lines += _layer_md(model, name)
    lines += _dataset_info_md()
    lines += _completeness_md()
    lines += ["## Vocabularies", "", "Keys are English snake_case (land use: GB 50137-2011 codes).", ""]
    for name in model.vocabularies:
        lines += _vocab_md(model, name)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(data_model_markdown(), end="")
