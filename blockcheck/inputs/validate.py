"""Checking an input against the data model: every problem found at once, in plain words.

:func:`validate_input` reads the input (with a mapping), checks it, and returns
the normalised layers (model field names, canonical category keys, model types,
one metric CRS) together with a :class:`~blockcheck.report.ValidationReport`.
Errors stop a run; warnings reduce or qualify what is computed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from blockcheck.crs import reproject_layers, resolve_metric_crs
from blockcheck.errors import BlockcheckError
from blockcheck.inputs.field_mapping import Mapping
from blockcheck.inputs.ids import check_ids
from blockcheck.inputs.model import FieldSpec, InputModel, LayerSpec, input_model
from blockcheck.inputs.network_notes import report_grade_crossings
from blockcheck.inputs.plausibility import check_places
from blockcheck.inputs.read import RawLayer, read_raw_layers
from blockcheck.inputs.report import ERROR, INFO, WARNING, ValidationReport

__all__ = ["CheckedInput", "validate_input"]

#: Numbers at or above this (or infinite) are input errors in any field of the model.
PLAUSIBLE_MAX = 1e12
#: Blocks overlapping by more than this are reported (m², in the metric CRS).
OVERLAP_TOLERANCE_M2 = 1.0


@dataclass(frozen=True)
class CheckedInput:
    """Normalised input layers in one metric CRS, and what validation found."""

    layers: dict[str, gpd.GeoDataFrame]
    crs: CRS | None
    report: ValidationReport
    sources: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when validation found no error."""
        return self.report.ok


def _ids(frame: pd.DataFrame, spec: LayerSpec, mask: pd.Series | np.ndarray) -> list[str]:
    """Feature ids for messages: the layer's id field when present, else 'fid N'."""
    sub = frame[mask]
    if spec.id_field in sub.columns and sub[spec.id_field].notna().all():
        return [str(v) for v in sub[spec.id_field]]
    return [f"fid {i}" for i in sub.index]


def _apply_field_mapping(raw: RawLayer, spec: LayerSpec, mapping: Mapping, report: ValidationReport) -> pd.DataFrame:
    frame = raw.frame
    renames = {}
    for model_field, user_field in mapping.layer(spec.name).fields.items():
        if user_field in frame.columns:
            renames[user_field] = model_field
        else:
            report.add(
                ERROR,
                "missing_field",
                spec.name,
                f"the mapping points field '{model_field}' at '{user_field}', which {raw.source} does not have; it "
                f"has: {', '.join(map(str, frame.columns))}.",
                field=model_field,
                fix="Correct the field name in the mapping file.",
            )
    if raw.source.lower().endswith(".shp"):
        # shapefiles cut field names to 10 characters: accept the cut model names
        have = set(frame.columns) | set(renames.values())
        cut = {fs.name[:10]: fs.name for fs in spec.fields if len(fs.name) > 10 and fs.name not in have}
        found = {short: full for short, full in cut.items() if short in frame.columns and short not in renames}
        if found:
            renames.update(found)
            report.add(
                INFO,
                "shapefile_field_names",
                spec.name,
                "shapefile field names cut to 10 characters were recognised: "
                f"{', '.join(f'{s} → {f}' for s, f in found.items())}.",
            )
    return frame.rename(columns=renames)


def _check_fields(
    frame: pd.DataFrame, spec: LayerSpec, mapping: Mapping, model: InputModel, report: ValidationReport
) -> pd.DataFrame:
    """Types, required values, vocabularies and limits; returns converted columns."""
    out = pd.DataFrame(index=frame.index)
    present = set(frame.columns)
    missing_optional = []
    for fs in spec.fields:
        if fs.name not in present:
            if fs.required:
                _report_missing_field(frame, spec, fs, report)
            elif fs.note_absent:
                missing_optional.append(fs.name)
            continue
        column = frame[fs.name]
        text = None if column.dtype.kind in "fiub" else _stripped(column)  # numbers are never blank text
        blank = column.isna() if text is None else text.isna() | (text == "")
        if fs.required and blank.any():
            report.add(
                ERROR,
                "missing_value",
                spec.name,
                f"{int(blank.sum())} feature(s) have no value in required field '{fs.name}'.",
                field=fs.name,
                ids=_ids(frame, spec, blank),
                fix="Fill the field for these features (or delete them).",
            )
        if fs.vocabulary or fs.type == "str":
            stripped = (_stripped(column) if text is None else text).where(~blank, None)
            if fs.vocabulary:
                out[fs.name] = _vocabulary_values(frame, spec, fs, blank, stripped, mapping, model, report)
            else:
                out[fs.name] = _text_values(spec, fs, stripped, report)
        else:
            out[fs.name] = _number_values(frame, spec, fs, blank, report)
    if missing_optional:
        report.add(
            INFO,
            "missing_optional_fields",
            spec.name,
            f"optional fields not present (computations needing them are skipped): {', '.join(missing_optional)}.",
        )
    return out


def _stripped(column: pd.Series) -> pd.Series:
    """Each value as text without surrounding white space (None where missing), index-aligned.

    A column of text only (ids: a distinct value per feature) is stripped at C
    speed; any other is converted once per distinct value.
    """
    values = column.to_numpy(dtype=object)
    if set(map(type, values)) <= {str}:
        return pd.Series(list(map(str.strip, values)), index=column.index, dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    done = np.array([str(u).strip() for u in uniques] + [None], dtype=object)  # the last: missing values
    return pd.Series(done[codes], index=column.index, dtype=object)


def _report_missing_field(frame: pd.DataFrame, spec: LayerSpec, fs: FieldSpec, report: ValidationReport) -> None:
    """An error for required field `fs` missing from the layer, naming the fields it has."""
    user = ", ".join(str(c) for c in frame.columns if c != "geometry")
    report.add(
        ERROR,
        "missing_field",
        spec.name,
        f"required field '{fs.name}' ({fs.label_zh}) is missing; the layer has: {user or 'no fields'}.",
        field=fs.name,
        fix=f'Add the field, or map yours: [layers.{spec.name}.fields] {fs.name} = "<your field>".',
    )


def _vocabulary_values(
    frame: pd.DataFrame,
    spec: LayerSpec,
    fs: FieldSpec,
    blank: pd.Series,
    stripped: pd.Series,
    mapping: Mapping,
    model: InputModel,
    report: ValidationReport,
) -> pd.Series:
    """The keys of vocabulary field `fs` (None where blank or unknown); an error lists the unknown values."""
    vocab = model.vocabulary(fs.vocabulary)
    user_values = mapping.layer(spec.name).values.get(fs.name, {})
    # decide once per distinct value (the mapping file first, then keys, labels, aliases)
    codes, distinct = pd.factorize(stripped, use_na_sentinel=True)
    keys = np.array([user_values.get(v) or vocab.normalise(v) for v in distinct] + [None], dtype=object)
    normal = pd.Series(keys[codes], index=stripped.index, dtype=object)  # code -1 (blank): the last, None
    unknown = ~blank & normal.isna()
    if unknown.any():
        counts = stripped[unknown].astype("string").value_counts()
        listed = ", ".join(f"'{v}' ({n}×)" for v, n in counts.head(12).items())
        report.add(
            ERROR,
            "unknown_category",
            spec.name,
            f"unknown {fs.vocabulary} value(s): {listed}. Known keys: "
            f"{', '.join(f'{k} {vocab.labels_zh[k]}' for k in vocab.keys)}.",
            field=fs.name,
            ids=_ids(frame, spec, unknown),
            fix=f'Map them in a mapping file: [layers.{spec.name}.values.{fs.name}] "{counts.index[0]}" = "<key>".',
        )
    return normal.astype(object).where(normal.notna(), None)


def _text_values(spec: LayerSpec, fs: FieldSpec, values: pd.Series, report: ValidationReport) -> pd.Series:
    """Text field `fs` as `values` (stripped, None where blank); a warning for values that do not match its pattern."""
    if fs.pattern:
        bad = values.notna() & ~values.fillna("").str.match(fs.pattern)
        if bad.any():
            report.add(
                WARNING,
                "id_pattern",
                spec.name,
                f"{int(bad.sum())} value(s) of '{fs.name}' do not look like block codes such as CP02-0101.",
                field=fs.name,
                ids=values[bad].astype(str).tolist(),
                fix=(
                    "Use the codes of the block-level regulatory plan (街区控规) if you have them; "
                    "other codes work but sort oddly in reports."
                ),
            )
    return values


def _number_values(
    frame: pd.DataFrame, spec: LayerSpec, fs: FieldSpec, blank: pd.Series, report: ValidationReport
) -> pd.Series:
    """Number field `fs` converted (NaN where blank or not a number); errors for text, absurd, out-of-range values."""
    column = frame[fs.name]
    numeric = pd.to_numeric(column.where(~blank), errors="coerce")
    bad_type = ~blank & numeric.isna()
    if fs.type == "int":
        bad_type |= numeric.notna() & (numeric.round() != numeric)
    if bad_type.any():
        examples = ", ".join(repr(v) for v in column[bad_type].astype(str).unique()[:5])
        report.add(
            ERROR,
            "wrong_type",
            spec.name,
            f"field '{fs.name}' must hold {'whole numbers' if fs.type == 'int' else 'numbers'} ({fs.unit}); "
            f"{int(bad_type.sum())} value(s) are not, e.g. {examples}.",
            field=fs.name,
            ids=_ids(frame, spec, bad_type),
            fix="Correct these values (no units or text inside the number), or map the right field.",
        )
    # inf, NaN written as a number, or magnitudes no district has (1e20 people, beds or m²)
    absurd = numeric.notna() & ~(numeric.abs() < PLAUSIBLE_MAX)
    if absurd.any():
        examples = ", ".join(f"{v:g}" for v in numeric[absurd].unique()[:5])
        report.add(
            ERROR,
            "non_finite_value",
            spec.name,
            f"field '{fs.name}' ({fs.label_zh}) has {int(absurd.sum())} value(s) that are infinite or implausibly "
            f"large (≥ {PLAUSIBLE_MAX:g}), e.g. {examples}.",
            field=fs.name,
            ids=_ids(frame, spec, absurd),
            fix="Correct these values (a unit or export error?) or leave them empty where unknown.",
        )
        numeric = numeric.where(~absurd)
    if fs.min is not None and (numeric < fs.min).any():
        low = numeric < fs.min
        report.add(
            ERROR,
            "negative_value" if fs.min == 0 else "below_minimum",
            spec.name,
            f"field '{fs.name}' ({fs.label_zh}) has {int(low.sum())} value(s) below {fs.min:g}, e.g. "
            f"{numeric[low].iloc[0]:g}.",
            field=fs.name,
            ids=_ids(frame, spec, low),
            fix=f"{fs.label_en.capitalize()} cannot be below {fs.min:g}; correct the values.",
        )
    if fs.max is not None and (numeric > fs.max).any():
        high = numeric > fs.max
        report.add(
            ERROR,
            "above_maximum",
            spec.name,
            f"field '{fs.name}' ({fs.label_zh}) has {int(high.sum())} value(s) above {fs.max:g}, e.g. "
            f"{numeric[high].iloc[0]:g}.",
            field=fs.name,
            ids=_ids(frame, spec, high),
            fix=f"Values must lie in [{fs.min:g}, {fs.max:g}] ({fs.unit}).",
        )
    return numeric.where(~bad_type).astype("Int64" if fs.type == "int" else "float64")


def _check_geometry(
    frame: gpd.GeoDataFrame, spec: LayerSpec, report: ValidationReport, *, repair: bool
) -> gpd.GeoSeries:
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        report.add(
            ERROR,
            "empty_geometry",
            spec.name,
            f"{int(empty.sum())} feature(s) have no or empty geometry.",
            ids=_ids(frame, spec, empty),
            fix="Draw the geometry or delete these features.",
        )
    types = geom.geom_type
    wrong = ~empty & ~types.isin(spec.allowed_geometry_types)
    if wrong.any():
        report.add(
            ERROR,
            "wrong_geometry_type",
            spec.name,
            f"{int(wrong.sum())} feature(s) are {', '.join(sorted(types[wrong].unique()))}; this layer needs "
            f"{spec.geometry.replace('_', ' ')} geometries.",
            ids=_ids(frame, spec, wrong),
            fix="Put these features in the right layer or convert them.",
        )
    invalid = ~empty & ~geom.is_valid
    if invalid.any():
        reasons = shapely.is_valid_reason(geom[invalid].values)
        first = str(reasons[0])
        if repair:
            before = geom[invalid].area
            fixed = shapely.make_valid(geom[invalid].values)
            if spec.geometry != "line":  # make_valid may return collections: keep the polygons
                fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
            geom = geom.copy()
            geom[invalid] = fixed
            change = (geom[invalid].area - before).abs()
            report.add(
                WARNING,
                "geometry_repaired",
                spec.name,
                f"repaired {int(invalid.sum())} invalid geometr(y/ies) with make_valid (first problem: {first}); total "
                f"area changed by {change.sum():.1f} (map units²).",
                ids=_ids(frame, spec, invalid),
                fix="Check the repaired features; fix them in the source to silence this.",
            )
        else:
            report.add(
                ERROR,
                "invalid_geometry",
                spec.name,
                f"{int(invalid.sum())} invalid geometr(y/ies), e.g. {first}.",
                ids=_ids(frame, spec, invalid),
                fix=(
                    "Run again with --repair to apply make_valid, or fix them in QGIS (Vector ▸ Geometry Tools ▸ Check "
                    "Validity / Fix Geometries)."
                ),
            )
    return geom


def _polygonal(g: shapely.Geometry | None) -> shapely.Geometry | None:
    """Keep the polygonal part of a make_valid result."""
    if g is None or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _check_block_overlaps(blocks: gpd.GeoDataFrame, report: ValidationReport) -> None:
    geom = blocks.geometry.values
    ok = ~(shapely.is_empty(geom) | shapely.is_missing(geom)) & shapely.is_valid(geom)
    tree = shapely.STRtree(geom[ok])
    idx = np.flatnonzero(ok)
    left, right = tree.query(geom[ok], predicate="intersects")
    keep = left < right
    left, right = idx[left[keep]], idx[right[keep]]
    if len(left) == 0:
        return
    areas = shapely.area(shapely.intersection(geom[left], geom[right]))
    over = areas > OVERLAP_TOLERANCE_M2
    if over.any():
        ids = blocks["block_id"].astype(str).to_numpy() if "block_id" in blocks else blocks.index.astype(str).to_numpy()
        pairs = [
            f"{ids[a]} & {ids[b]} ({ar:,.0f} m²)" for a, b, ar in zip(left[over], right[over], areas[over], strict=True)
        ]
        report.add(
            ERROR,
            "overlapping_blocks",
            "blocks",
            f"{int(over.sum())} pair(s) of blocks overlap: {'; '.join(pairs[:10])}.",
            ids=sorted({ids[a] for a in left[over]} | {ids[b] for b in right[over]}),
            fix=(
                "Blocks must not overlap (each place belongs to one block): snap shared edges in QGIS (Vector ▸ "
                "Geometry Tools, or the Topology Checker)."
            ),
        )


def validate_input(
    path: str | os.PathLike,
    mapping: Mapping | None = None,
    *,
    crs: object = None,
    repair: bool = False,
    model: InputModel | None = None,
) -> CheckedInput:
    """Read and check an input against the data model.

    Parameters
    ----------
    path
        An input GeoPackage, or a folder with one vector file per layer.
    mapping
        Field mapping (see :mod:`blockcheck.inputs.field_mapping`); none when the data follows the model.
    crs
        Working CRS (``--crs``); chosen automatically otherwise (see :mod:`blockcheck.crs`).
    repair
        Apply ``make_valid`` to invalid geometries and report what changed.

    Returns
    -------
    CheckedInput
        Normalised layers in the metric CRS (empty when errors prevent it) and the report.
    """
    model = model or input_model()
    mapping = mapping or Mapping()
    report = ValidationReport(source=str(path))
    raw = read_raw_layers(path, mapping, report, model)
    checked: dict[str, gpd.GeoDataFrame] = {}
    for name, layer in raw.items():
        spec = model.layers[name]
        if not isinstance(layer.frame, gpd.GeoDataFrame):
            report.add(
                ERROR,
                "no_geometry",
                name,
                f"{layer.source} has no geometry column.",
                fix="Use a spatial layer (points, lines or polygons as the model says).",
            )
            continue
        if layer.frame.empty:
            report.add(
                ERROR,
                "empty_layer",
                name,
                f"{layer.source} has no features.",
                fix="Add the features, or remove the layer from the input so it counts as absent.",
            )
            continue
        if layer.frame.crs is None:
            report.add(
                ERROR,
                "missing_crs",
                name,
                f"{layer.source} has no coordinate reference system.",
                fix=(
                    "Assign the right CRS in QGIS (Layer Properties ▸ Source) or with ogr2ogr -a_srs, then export "
                    "again."
                ),
            )
        frame = _apply_field_mapping(layer, spec, mapping, report)
        attributes = _check_fields(frame, spec, mapping, model, report)
        geometry = _check_geometry(frame, spec, report, repair=repair)
        attributes.index = frame.index
        check_ids(attributes, spec, report)
        checked[name] = gpd.GeoDataFrame(attributes, geometry=geometry.values, crs=layer.frame.crs, index=frame.index)
    with_crs = {n: g for n, g in checked.items() if g.crs is not None}
    distinct = {CRS.from_user_input(g.crs).to_string() for g in with_crs.values()}
    if len(distinct) > 1:
        listing = "; ".join(f"{n}: {CRS.from_user_input(g.crs).to_string()}" for n, g in with_crs.items())
        report.add(
            ERROR,
            "mixed_crs",
            "(all layers)",
            f"layers are in different coordinate reference systems ({listing}).",
            fix=(
                "Export all layers in one CRS (e.g. EPSG:4548 in Beijing); blockcheck will not guess which one is "
                "meant."
            ),
        )
    metric = None
    crs_ok = not ({"mixed_crs", "missing_crs"} & report.codes(ERROR))
    if crs_ok and checked:
        check_places(checked, {n: model.layers[n].id_field for n in checked}, report)
        crs_ok = not ({"offset_crs", "outside_crs_area", "far_feature"} & report.codes(ERROR))
    if crs_ok and checked:
        try:
            metric = resolve_metric_crs(checked, crs=crs)
        except BlockcheckError as err:
            report.add(ERROR, "crs", "(all layers)", str(err))
        else:
            checked = reproject_layers(checked, metric)
            if "blocks" in checked:
                _check_block_overlaps(checked["blocks"], report)
            if "roads" in checked:
                report_grade_crossings(checked["roads"], report)
    if not report.ok:
        checked = {}
    return CheckedInput(layers=checked, crs=metric, report=report, sources={n: r.source for n, r in raw.items()})
