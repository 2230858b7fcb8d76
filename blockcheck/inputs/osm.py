"""Import an OpenStreetMap extract (.osm XML or .osm.pbf) as input layers of the data model.

GDAL's OSM driver (through pyogrio) reads the ``points``, ``lines`` and
``multipolygons`` layers; the tags that are not columns are parsed from the
``other_tags`` string. The rules that turn tags into model layers and
categories are data, in ``data/osm_tags.toml`` (read with :func:`osm_tags`).

Steps of :func:`import_osm`: read → clip everything to the extract's bounding
box → map tags to the model (roads, green, facilities, buildings, parcels,
parking, entrances) → reproject once to the metric CRS of
:func:`blockcheck.crs.resolve_metric_crs` → count each facility and car park
once → blocks (given, or derived from the main roads with
:func:`blockcheck.blocks.derive_blocks`). Communities cannot come from OSM and
are not produced; layers without features are left out.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Collection, Mapping
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from blockcheck.blocks import assign_block_ids, derive_blocks
from blockcheck.catalogue import Entry, load_data, location
from blockcheck.crs import reproject_layers, resolve_metric_crs
from blockcheck.errors import CatalogueError, OSMImportError, WouldOverwriteError
from blockcheck.inputs.model import input_model
from blockcheck.inputs.osm_roads import ENTRANCE_TAGS, GRADE_TAGS, entrance_points, grade_fields, road_lines
from blockcheck.inputs.osm_roads import tag_column as _col
from blockcheck.inputs.osm_roads import tag_number as _number
from blockcheck.io import write_gpkg
from blockcheck.progress import Progress, reporter

__all__ = [
    "OSM_LAYERS",
    "OUTPUT_LAYERS",
    "Progress",
    "import_osm",
    "osm_bounds",
    "osm_tags",
    "parse_hstore",
    "parse_other_tags",
    "read_osm",
    "write_osm_import",
]

log = logging.getLogger(__name__)

#: GDAL OSM driver layers read by the importer.
OSM_LAYERS = ("points", "lines", "multipolygons")

#: Model layers produced, in the order they are written.
OUTPUT_LAYERS = ("blocks", "roads", "green", "facilities", "entrances", "buildings", "parcels", "parking")

_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
_UNESCAPE = re.compile(r"\\(.)")
_RULE_KEYS = {"when", "contains", "unless", "layers", "only_outside"}
_REF = "__osm_ref"  # "n123" node, "w123" way, "r123" relation
_GEOMETRY_KINDS = {"points": "point", "lines": "line", "multipolygons": "polygon"}


def parse_hstore(text: str | None) -> dict[str, str]:
    """Parse one ``other_tags`` value (``"k"=>"v","k2"=>"v2"``) into a dict.

    Backslash-escaped quotes and backslashes are unescaped; None gives ``{}``.
    """
    if text is None or (isinstance(text, float) and text != text):
        return {}
    return {_UNESCAPE.sub(r"\1", k): _UNESCAPE.sub(r"\1", v) for k, v in _HSTORE.findall(str(text))}


def parse_other_tags(values: pd.Series, keys: Collection[str] | None = None) -> pd.DataFrame:
    """Parse a column of ``other_tags`` strings into one column per tag key (vectorised).

    Parameters
    ----------
    values
        The ``other_tags`` column of a GDAL OSM layer.
    keys
        Only these tag keys (default: all), which keeps the table small for
        large extracts with many ``name:xx`` and ``addr:*`` keys.

    Returns
    -------
    pandas.DataFrame
        Same index as `values`; one object column per key; missing tags are NaN.
    """
    text = values.dropna().astype(str)
    pairs = text.str.extractall(_HSTORE) if len(text) else pd.DataFrame()
    if pairs.empty:
        return pd.DataFrame(index=values.index)
    long = pd.DataFrame({"row": pairs.index.get_level_values(0)})
    for i, column in enumerate(("key", "value")):
        long[column] = pairs[i].str.replace(_UNESCAPE, r"\1", regex=True).to_numpy()
    long = long.drop_duplicates(["row", "key"], keep="last")
    if keys is not None:
        long = long[long["key"].isin(list(keys))]
    wide = long.pivot(index="row", columns="key", values="value")
    wide.columns.name = None
    return wide.reindex(values.index)


@cache
def osm_tags() -> dict:
    """The tag rules of ``data/osm_tags.toml``, checked against the input model (cached).

    Raises
    ------
    blockcheck.errors.CatalogueError
        If a section is missing, or a rule sets a field the model layer does
        not have or a value that is not in the field's vocabulary (the message
        names the file and the rule).
    """
    rules = load_data("osm_tags.toml")
    model = input_model()
    checks = {name: rules[name].get("rules", []) for name in ("green", "facilities", "buildings", "parcels")}
    checks["roads"] = [{"class": c} for c in [*rules["roads"]["class"].values(), rules["roads"]["walk_only"]["class"]]]
    checks["roads"] += [{"status": s["status"]} for s in rules["roads"]["lifecycle"].values()]
    for layer, layer_rules in checks.items():
        spec = model.layer(layer)
        for rule in layer_rules:
            for key, value in ((k, v) for k, v in rule.items() if k not in _RULE_KEYS):
                vocabulary = spec.field(key).vocabulary if key in spec.field_names else "?"
                if vocabulary == "?" or (vocabulary and value not in model.vocabulary(vocabulary).keys):
                    where = location(rule if isinstance(rule, Entry) else rules["roads"])
                    msg = (
                        f"{where}: a {layer} rule sets {key} = {value!r}, not a field of the layer or not in its "
                        "vocabulary (see data/input_model.toml)."
                    )
                    raise CatalogueError(msg)
    return rules


def _needed_keys(rules: Mapping) -> set[str]:
    """Every tag key the rules (and the attribute fields) read."""
    keys = {
        "name",
        "highway",
        "width",
        "lanes",
        "beds",
        "capacity",
        "building:levels",
        "start_date",
        "access",
        "foot",
        *GRADE_TAGS,
        *ENTRANCE_TAGS,
    }
    keys |= {life["class_tag"] for life in rules["roads"]["lifecycle"].values()}
    for section in rules.values():
        for rule in [section, *section.get("rules", [])]:
            for part in ("when", "contains", "unless"):
                keys |= set(rule.get(part, {}))
            if "only_outside" in rule:
                keys.add(rule["only_outside"])
    return keys


def osm_bounds(osm_path: str | os.PathLike) -> tuple[float, float, float, float] | None:
    """The extract's bounding box (west, south, east, north) in degrees, or None.

    OSM XML: the ``<bounds>`` element of the header; PBF: the header bbox, as GDAL reports it.
    """
    path = Path(osm_path)
    with path.open("rb") as handle:
        head = handle.read(65536)
    if head.lstrip().startswith(b"<"):
        element = re.search(rb"<bounds\b[^>]*>", head)
        attrs = dict(re.findall(rb'(\w+)="([^"]*)"', element.group(0))) if element else {}
        try:
            return tuple(float(attrs[k]) for k in (b"minlon", b"minlat", b"maxlon", b"maxlat"))
        except (KeyError, ValueError):
            return None
    try:
        bounds = pyogrio.read_info(path, layer="points").get("total_bounds")
    except Exception:  # noqa: BLE001 - not an OSM file (GDAL's own error types): read_osm says so
        return None
    return None if bounds is None else tuple(float(v) for v in bounds)


def read_osm(osm_path: str | os.PathLike, keys: Collection[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Read the points, lines and multipolygons of an OSM extract with their tags.

    Returns GDAL layer name → GeoDataFrame (EPSG:4326): one column per tag (the
    driver's columns and the ``other_tags`` parsed, only `keys` when given),
    ``__osm_ref`` (``n<id>``, ``w<id>`` or ``r<id>``) and the geometry. Features
    GDAL cannot build a geometry for (rings of < 4 points in a truncated
    extract) are left out.

    Raises
    ------
    OSMImportError
        If the file is missing or is not an OpenStreetMap extract.
    """
    path = Path(osm_path)
    if not path.is_file():
        msg = (
            f"{path}: OSM file not found. Give an .osm (XML) or .osm.pbf extract, e.g. from openstreetmap.org Export "
            "or Geofabrik."
        )
        raise OSMImportError(msg)
    try:
        driver = pyogrio.read_info(path, layer="points").get("driver")
    except Exception as err:  # noqa: BLE001 - pyogrio's DataSourceError and friends
        driver = f"unreadable ({err})"
    if driver != "OSM":
        msg = f"{path}: not an OpenStreetMap extract (GDAL reads it as {driver}). Give an .osm (XML) or .osm.pbf file."
        raise OSMImportError(msg)
    out = {}
    for layer in OSM_LAYERS:
        try:
            raw = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
        except Exception as err:  # noqa: BLE001 - GDAL's error types: said in the message
            msg = f"{path}: layer {layer} of the OSM extract cannot be read ({err})."
            raise OSMImportError(msg) from None
        raw = raw[raw.geometry.notna().to_numpy()]
        dropped = {"osm_id", "osm_way_id", "other_tags", "z_order", raw.geometry.name}
        tags = raw[[c for c in raw.columns if c not in dropped]]
        extra = (
            parse_other_tags(raw["other_tags"], keys) if "other_tags" in raw.columns else pd.DataFrame(index=raw.index)
        )
        extra = extra[[c for c in extra.columns if c not in tags.columns and c not in (_REF, "geometry")]]
        if layer == "multipolygons":
            way = raw["osm_way_id"].notna().to_numpy()
            ref = np.where(way, "w" + raw["osm_way_id"].astype(str), "r" + raw["osm_id"].astype(str))
        else:
            ref = ("n" if layer == "points" else "w") + raw["osm_id"].astype(str)
        frame = pd.concat([tags, extra], axis=1).astype(object)
        frame[_REF] = np.asarray(ref, dtype=object)
        out[layer] = gpd.GeoDataFrame(frame, geometry=raw.geometry.to_numpy(), crs=raw.crs or "EPSG:4326").reset_index(
            drop=True
        )
    return out


def _keep_parts(geoms: np.ndarray, type_ids: tuple[int, ...], collect: Callable) -> np.ndarray:
    """The parts of `geoms` of the given types (with length/area), regrouped per feature."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # multi-parts inside collections
    index = index[inner]
    kind = shapely.get_type_id(parts)
    ok = np.isin(kind, type_ids) & (shapely.area(parts) > 0 if 3 in type_ids else shapely.length(parts) > 0)
    out = np.full(len(geoms), None, dtype=object)
    if ok.any():
        multi = collect(parts[ok], indices=index[ok], out=out)
        single = shapely.get_num_geometries(multi) == 1
        out = np.where(single, shapely.get_geometry(multi, 0), multi)
    return out


def _make_valid_polygons(geoms: np.ndarray) -> np.ndarray:
    """Valid versions of polygons: GEOS's "structure" repair (shapely >= 2.1), else the "linework" one.

    Inside QGIS 3.22 (GEOS 3.11) shapely must stay below 2.1, which has only the
    linework method; both keep the polygonal parts (taken by :func:`_keep_parts`).
    """
    try:
        return shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    except TypeError:
        return shapely.make_valid(geoms)


def _clip(frame: gpd.GeoDataFrame, box: shapely.Polygon, kind: str) -> gpd.GeoDataFrame:
    """Clip lines and polygons to `box`; keep the points inside it (boundary included)."""
    geoms = frame.geometry.to_numpy()
    if kind == "point":
        return frame[shapely.intersects(geoms, box)]
    if kind == "polygon":
        geoms = np.where(shapely.is_valid(geoms), geoms, _make_valid_polygons(geoms))
    types, collect = ((3, 6), shapely.multipolygons) if kind == "polygon" else ((1, 5), shapely.multilinestrings)
    clipped = _keep_parts(shapely.intersection(geoms, box), types, collect)
    keep = ~shapely.is_missing(clipped)
    out = frame[keep].copy()
    out.geometry = gpd.GeoSeries(clipped[keep], index=out.index, crs=frame.crs)
    return out


def _condition(tags: pd.DataFrame, conditions: Mapping[str, object]) -> np.ndarray:
    """True where every tag condition holds ("*" = present and not "no"; list = any of)."""
    mask = np.ones(len(tags), dtype=bool)
    for key, value in conditions.items():
        col = _col(tags, key)
        if value == "*":
            mask &= (col.notna() & (col.astype(str).str.strip() != "") & (col != "no")).to_numpy()
        else:
            mask &= col.isin(value if isinstance(value, list) else [value]).to_numpy()
    return mask


def _rule_mask(tags: pd.DataFrame, rule: Mapping) -> np.ndarray:
    """True where a rule's ``when``, ``contains`` (case-insensitive) and ``unless`` hold."""
    mask = _condition(tags, rule.get("when", {}))
    for key, texts in rule.get("contains", {}).items():
        col = _col(tags, key).fillna("").astype(str).str.lower()
        mask &= np.logical_or.reduce([col.str.contains(t.lower(), regex=False).to_numpy() for t in texts])
    if "unless" in rule:
        mask &= ~_condition(tags, rule["unless"])
    return mask


def _classify(source: gpd.GeoDataFrame, layer: str, section: Mapping) -> gpd.GeoDataFrame:
    """Features of one GDAL layer matched by a section's ordered rules (first match wins).

    The fields the rules set become columns, plus ``__only_outside`` (the
    matching rule's only_outside tag, or None).
    """
    rules = section.get("rules", [{}])
    pre = _condition(source, section.get("when", {}))
    chosen = np.full(len(source), -1)
    for i, rule in enumerate(rules):
        if layer in rule.get("layers", section["layers"]):
            chosen[pre & (chosen < 0) & _rule_mask(source, rule)] = i
    out = source[chosen >= 0].copy()
    picked = chosen[chosen >= 0]
    for field in sorted({k for r in rules for k in r if k not in _RULE_KEYS}) + ["only_outside"]:
        table = np.array([r.get(field) for r in rules] + [None], dtype=object)
        out["__only_outside" if field == "only_outside" else field] = table[picked]
    return out


def _count_once(frame: gpd.GeoDataFrame, key: str, outside: np.ndarray) -> gpd.GeoDataFrame:
    """Drop duplicates of one real facility (see the facilities section of osm_tags.toml).

    Polygons inside a larger polygon of the same `key`, polygons with an
    ``__only_outside`` rule inside any of the `outside` polygons, and points
    inside a kept polygon of the same `key` are dropped.
    """
    geoms = frame.geometry.to_numpy()
    cats = frame[key].to_numpy(dtype=object)
    is_poly = shapely.get_type_id(geoms) >= 3
    poly = np.flatnonzero(is_poly)
    drop = np.zeros(len(frame), dtype=bool)
    if len(poly):
        rep = shapely.point_on_surface(geoms[poly])
        area = shapely.area(geoms[poly])
        tree = shapely.STRtree(geoms[poly])
        inner, outer = tree.query(rep, predicate="within")
        bigger = (area[outer] > area[inner]) | ((area[outer] == area[inner]) & (outer < inner))
        same = (cats[poly][inner] == cats[poly][outer]) & (inner != outer) & bigger
        drop[poly[np.unique(inner[same])]] = True
        if "__only_outside" in frame.columns and len(outside):
            flagged = frame["__only_outside"].notna().to_numpy()[poly]
            covered = np.zeros(len(poly), dtype=bool)
            covered[shapely.STRtree(outside).query(rep, predicate="within")[0]] = True
            drop[poly[flagged & covered]] = True
    kept = np.flatnonzero(is_poly & ~drop)
    points = np.flatnonzero(~is_poly)
    if len(kept) and len(points):
        pt, pg = shapely.STRtree(geoms[kept]).query(geoms[points], predicate="within")
        same = cats[points][pt] == cats[kept][pg]
        drop[points[np.unique(pt[same])]] = True
    return frame[~drop]


def _model_frame(frame: gpd.GeoDataFrame, layer: str, values: Mapping[str, object]) -> gpd.GeoDataFrame:
    """A GeoDataFrame with exactly the model fields of `layer` (missing ones empty)."""
    columns, n = {}, len(frame)
    for field in input_model().layer(layer).fields:
        value = np.asarray(values[field.name], dtype=object) if field.name in values else np.full(n, None, dtype=object)
        data = pd.Series(value, dtype=object)
        data = data.where(data.notna(), None)
        columns[field.name] = (
            data if field.type == "str" else data.astype("Int64" if field.type == "int" else "float64")
        )
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(frame.geometry.to_numpy(), crs=frame.crs), crs=frame.crs)


def _ids(frame: gpd.GeoDataFrame) -> np.ndarray:
    return ("osm_" + frame[_REF].astype(str)).to_numpy(dtype=object)


def _study_box(sources: Mapping[str, gpd.GeoDataFrame], bounds: tuple | None) -> shapely.Polygon:
    """The extract's box; without header bounds, the extent of its points and lines."""
    if bounds is None:
        parts = [f.geometry for name, f in sources.items() if name != "multipolygons" and len(f)]
        bounds = tuple(pd.concat(parts).total_bounds) if parts else (0.0, 0.0, 0.0, 0.0)
    if not (bounds[2] > bounds[0] and bounds[3] > bounds[1]):
        msg = f"the OSM extract has no bounding box with an area ({bounds}): no <bounds> header and too few nodes."
        raise OSMImportError(msg)
    return shapely.box(*bounds)


#: Coordinate grid of imported roads (metres).
_GRID_M = 0.01


def import_osm(
    osm_path: str | os.PathLike,
    *,
    blocks: str | os.PathLike | gpd.GeoDataFrame | None = None,
    crs: object = None,
    progress: Progress | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Turn an OpenStreetMap extract into layers of the input model.

    Parameters
    ----------
    osm_path
        An .osm (XML) or .osm.pbf extract.
    blocks
        Block polygons to use (a vector file path or a GeoDataFrame); codes are
        generated where ``block_id`` is missing. Default: derived from the
        expressways, arterials and secondary roads and the extract's box.
    crs
        Working metric CRS (e.g. ``EPSG:4548``); default chosen by
        :func:`blockcheck.crs.resolve_metric_crs` (CGCS2000 3° GK in China, else UTM).
    progress
        Called with (fraction done, message).

    Returns
    -------
    dict
        Layer name → GeoDataFrame in the metric CRS, with exactly the model's
        fields: blocks, roads, green, facilities, entrances (open gates and
        entrances, see ``[entrances]`` of ``data/osm_tags.toml``), buildings,
        parcels, parking (layers without features are left out; no communities).

    Raises
    ------
    OSMImportError
        If the file is missing, is not OSM, or has no usable features in its box.
    """
    say = reporter(progress)
    rules = osm_tags()
    say(0.0, "reading OSM")
    sources = read_osm(osm_path, keys=_needed_keys(rules))
    bounds = osm_bounds(osm_path)
    box = _study_box(sources, bounds)
    say(0.35, "clipping to the extract's box")
    sources = {name: _clip(frame, box, _GEOMETRY_KINDS[name]) for name, frame in sources.items()}
    if not any(len(frame) for frame in sources.values()):
        msg = f"{osm_path}: no OSM features inside the extract's box {tuple(round(v, 6) for v in box.bounds)}."
        raise OSMImportError(msg)
    say(0.45, "mapping tags to the data model")
    mapped: dict[str, gpd.GeoDataFrame] = {
        "roads": road_lines(sources["lines"], rules["roads"]),
        "entrances": entrance_points(sources["points"], rules["entrances"]),
    }
    for layer in ("green", "facilities", "buildings", "parcels", "parking"):
        parts = [_classify(sources[name], name, rules[layer]) for name in rules[layer]["layers"]]
        mapped[layer] = pd.concat(parts, ignore_index=True) if parts else gpd.GeoDataFrame(geometry=[], crs=4326)
    polys = sources["multipolygons"]  # polygons that make an only_outside facility rule not apply
    outside = [_condition(polys, {r["only_outside"]: "*"}) for r in rules["facilities"]["rules"] if "only_outside" in r]
    mapped["__outside"] = polys[np.logical_or.reduce([np.zeros(len(polys), bool), *outside])][["geometry"]]
    mapped["__box"] = gpd.GeoDataFrame(geometry=[shapely.segmentize(box, 0.0005)], crs=4326)
    if blocks is not None:
        mapped["__blocks"] = _read_blocks(blocks)
    if not any(len(mapped[name]) for name in ("roads", "green", "facilities", "buildings", "parcels", "parking")):
        msg = (
            f"{osm_path}: no roads, green spaces, facilities, buildings, land use or parking inside the extract's box."
        )
        raise OSMImportError(msg)
    say(0.6, "reprojecting")
    target = resolve_metric_crs({k: v for k, v in mapped.items() if k != "__outside"}, crs=crs)
    mapped = reproject_layers(mapped, target)
    say(0.7, "building the model layers")
    layers = _build_layers(mapped, rules)
    # roads on a 1 cm grid, so that blocks derived from them share their vertices exactly
    roads = layers["roads"]
    roads = roads.set_geometry(shapely.set_precision(roads.geometry.to_numpy(), _GRID_M))
    layers["roads"] = roads[~roads.geometry.is_empty]
    say(0.85, "blocks")
    if blocks is not None:
        given = assign_block_ids(mapped["__blocks"])
        layers["blocks"] = _model_frame(given, "blocks", {k: given[k] for k in ("block_id", "name", "subdistrict")})
    else:
        layers["blocks"] = derive_blocks(layers["roads"], mapped["__box"])
    out = {name: layers[name] for name in OUTPUT_LAYERS if name in layers and len(layers[name])}
    log.info("OSM import %s (%s): %s", osm_path, target.to_string(), ", ".join(f"{k} {len(v)}" for k, v in out.items()))
    say(1.0, "done")
    return out


def _build_layers(mapped: Mapping[str, gpd.GeoDataFrame], rules: Mapping) -> dict[str, gpd.GeoDataFrame]:
    """Model layers from the mapped (reprojected) features."""
    roads, green, par, bld, gates = (mapped[k] for k in ("roads", "green", "parcels", "buildings", "entrances"))
    fac = _count_once(mapped["facilities"], "category", mapped["__outside"].geometry.to_numpy())
    fac_area = shapely.area(fac.geometry.to_numpy())
    levels = np.floor(pd.to_numeric(_col(bld, "building:levels"), errors="coerce"))
    year = pd.to_numeric(_col(bld, "start_date").astype(str).str.extract(r"^(\d{4})", expand=False), errors="coerce")
    cfg = rules["parking"]
    park = _count_once(mapped["parking"].assign(__key="parking"), "__key", np.array([], dtype=object))
    park_area = shapely.area(park.geometry.to_numpy())
    estimate = np.where(park_area > 0, np.floor(park_area / cfg["m2_per_space"]), cfg["point_default_spaces"])
    capacity = _number(_col(park, "capacity"))
    fields = {
        "roads": (
            roads,
            {
                "road_id": _ids(roads),
                "name": _col(roads, "name"),
                "class": roads["class"],
                "status": roads["status"],
                "width_m": roads["width_m"],
                **grade_fields(roads),
            },
        ),
        "green": (green, {"green_id": _ids(green), "name": _col(green, "name"), "kind": green["kind"]}),
        "entrances": (gates, {"entrance_id": _ids(gates), "name": _col(gates, "name")}),  # closed ones left out
        "facilities": (
            fac,
            {
                "facility_id": _ids(fac),
                "name": _col(fac, "name"),
                "category": fac["category"],
                "beds": _number(_col(fac, "beds")),
                "seats": _number(_col(fac, "capacity")),
                "land_area_m2": np.where(fac_area > 0, fac_area, np.nan),
            },
        ),
        "buildings": (
            bld,
            {
                "building_id": _ids(bld),
                "use": bld["use"],
                "subtype": _col(bld, "subtype"),
                "floors": levels.where(levels >= 0),
                "year_built": year.where((year >= 1000) & (year <= 2100)),
            },
        ),
        "parcels": (par, {"parcel_id": _ids(par), "land_use": par["land_use"], "status": par["status"]}),
        "parking": (
            park,
            {
                "parking_id": _ids(park),
                "name": _col(park, "name"),
                "spaces": capacity.where(capacity >= 0, estimate).round().to_numpy(),  # NaN: not known
                "access": np.where(_col(park, "access").isin(cfg["private_access"]).to_numpy(), "private", "public"),
            },
        ),
    }
    return {name: _model_frame(frame, name, values) for name, (frame, values) in fields.items()}


def _read_blocks(blocks: str | os.PathLike | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """User-given block polygons (a vector file or a GeoDataFrame) with a CRS."""
    frame = blocks
    if not isinstance(blocks, gpd.GeoDataFrame):
        try:
            frame = pyogrio.read_dataframe(blocks)
        except Exception as err:  # noqa: BLE001 - GDAL's error types: said in the message
            msg = f"{blocks}: cannot read block polygons ({err})."
            raise OSMImportError(msg) from None
    if frame.crs is None or frame.empty:
        msg = f"the block polygons {'have no CRS; set it in the file (e.g. EPSG:4548)' if len(frame) else 'are empty'}."
        raise OSMImportError(msg)
    return frame


def write_osm_import(
    osm_path: str | os.PathLike,
    out_gpkg: str | os.PathLike,
    *,
    blocks: str | os.PathLike | gpd.GeoDataFrame | None = None,
    crs: object = None,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """Import `osm_path` (see :func:`import_osm`) and write the layers to the GeoPackage `out_gpkg`.

    Returns
    -------
    dict
        The layers written, by name.

    Raises
    ------
    WouldOverwriteError
        `out_gpkg` exists and `overwrite` is False (checked before any work).
    """
    if Path(out_gpkg).exists() and not overwrite:
        msg = (
            f"{out_gpkg} exists already; the import would replace it. Choose another --out file, or give --overwrite "
            "to replace it."
        )
        raise WouldOverwriteError(msg)
    layers = import_osm(osm_path, blocks=blocks, crs=crs, progress=progress)
    write_gpkg(out_gpkg, layers)
    return layers
