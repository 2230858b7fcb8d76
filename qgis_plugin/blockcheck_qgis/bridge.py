"""The one translation layer between QGIS and blockcheck.

Everything that crosses the boundary goes through here, and this is the only
plugin module that touches geopandas, shapely or pandas:

- QGIS feature sources → one input GeoPackage (kept next to the outputs) written with
  QGIS's own writer (:mod:`.input_writer`: selections, filters and any provider —
  GeoPackage, Shapefile, PostGIS, memory — work), then the core is called with its path;
- the core's progress callback → ``QgsProcessingFeedback`` (cancel included);
- ``BlockcheckError`` → ``QgsProcessingException`` with the core's message;
- DataFrames → QGIS fields and attribute rows; list rows (plain dicts) ↔ the
  core's list schema (validation, new rows, project history).

Labels, colours and classes of the core's vocabulary cross in
:mod:`blockcheck_qgis.vocabulary` (plain data, no analysis library).

No analysis happens here: each public function makes one core call.
"""

from __future__ import annotations

import contextlib
import math
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from qgis.core import (
    Qgis,
    QgsField,
    QgsFields,
    QgsMessageLog,
    QgsProcessingException,
)

from .compat import field_type
from .i18n import core_message, tr
from .input_writer import write_input_gpkg
from .raster import raster_path

if TYPE_CHECKING:  # the core is imported when an algorithm runs, not when QGIS loads the plugin
    from blockcheck.progress import Progress

__all__ = [
    "INPUT_FILE",
    "block_ids_at",
    "check_row",
    "core_call",
    "database_target",
    "export_hearing",
    "history_for_change",
    "history_for_new_projects",
    "list_schemas",
    "new_project_rows",
    "new_resource_rows",
    "progress_callback",
    "run_steps",
    "validate_inputs",
    "what_if_table",
    "workbook_lock",
    "write_input_gpkg",
]

#: The input as the plugin hands it to the core, kept next to the workbook
#: (``blockcheck_meta`` records it, and what-if re-reads it).
INPUT_FILE = "input_from_qgis.gpkg"


# ------------------------------------------------------------------ plumbing


def progress_callback(feedback, start: float = 0.0, span: float = 1.0) -> Progress:
    """The core's ``progress(fraction, message)`` mapped onto `feedback` (raises CancelledError on cancel)."""

    def say(fraction: float, message: str) -> None:
        if feedback is None:
            return
        if feedback.isCanceled():
            from blockcheck.errors import CancelledError

            raise CancelledError(tr("Canceled."))
        feedback.setProgress(100.0 * (start + span * float(fraction)))
        if message:
            feedback.setProgressText(core_message(redact(message)))  # in the interface language

    return say


@contextlib.contextmanager
def core_call() -> Iterator[None]:
    """Turn the core's errors into ``QgsProcessingException`` (message kept, no traceback); others too, naming
    the error and the library versions (a library too old or too new), with the traceback in the log."""
    from blockcheck.errors import BlockcheckError, CancelledError

    try:
        yield
    except CancelledError:
        raise QgsProcessingException(tr("Canceled.")) from None
    except BlockcheckError as err:
        raise QgsProcessingException(redact(err)) from None
    except QgsProcessingException:
        raise
    except Exception as err:  # noqa: BLE001 - whatever else fails: say what and where the traceback is
        QgsMessageLog.logMessage(redact(traceback.format_exc()), "blockcheck", Qgis.MessageLevel.Critical)
        message = tr("blockcheck stopped on an unexpected error: {error} ({versions}); the traceback is in the log.")
        versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
        error = redact(f"{type(err).__name__}: {err}")
        raise QgsProcessingException(message.format(error=error, versions=versions)) from None


def redact(text: object) -> str:
    """`text` with the password of any connection string in it hidden (the core's rule)."""
    from blockcheck.workbook.postgis_conn import redact as core_redact

    return core_redact(text)


def database_target(conninfo: str, schema: str):
    """The core's target of the PostGIS workbook in `schema` of the database reached by libpq keywords `conninfo`
    (what ``blockcheck … --out postgresql://…?schema=`` names); shown or logged, it hides any password."""
    from blockcheck.workbook.postgis_conn import parse_target

    return parse_target(f"{conninfo} schema={schema}")


# ------------------------------------------------------------------ can the core run here?


def self_test(folder: str | os.PathLike) -> str | None:
    """Exercise the core's compiled dependencies once (None when fine, else what failed).

    Importing is not enough inside QGIS: the QGIS executable has its own GEOS,
    GDAL and PROJ loaded, and PyPI wheels built for newer versions can resolve
    to those (e.g. shapely ≥ 2.1 asks QGIS 3.22's GEOS 3.11 for 4-D WKB and fails).
    """
    import geopandas as gpd
    import pyogrio
    import shapely

    try:
        bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
        frame = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.GeoSeries([bowtie]).make_valid(), crs=4548)
        shapely.to_wkb(frame.geometry.values)
        path = Path(folder) / "blockcheck_self_test.gpkg"
        pyogrio.write_dataframe(frame, path, layer="t", driver="GPKG")
        back = pyogrio.read_dataframe(path, layer="t")
        path.unlink(missing_ok=True)
        if abs(float(back.geometry.area.sum()) - 0.5) > 1e-9:
            return "geometry round trip changed the area"
    except Exception as err:  # noqa: BLE001 - any failure means the binaries do not fit together
        return f"{err.__class__.__name__}: {err}"
    return None


def library_versions() -> dict[str, str]:
    """Versions of the compiled libraries as the Python packages see them."""
    import pyogrio
    import shapely

    return {
        "shapely": shapely.__version__,
        "shapely GEOS": ".".join(map(str, shapely.geos_version)),
        "pyogrio GDAL": pyogrio.__gdal_version_string__,
    }


# ------------------------------------------------------------------ inputs


def _layer_names(mapping: str | os.PathLike | None) -> dict[str, str]:
    """Model layer → name to write it under: the field mapping's ``source`` when it names a layer."""
    from blockcheck.inputs.field_mapping import load_mapping

    names = {}
    for name, layer in load_mapping(mapping).layers.items():
        if layer.source and not Path(layer.source).is_absolute():
            names[name] = layer.source
    return names


# ------------------------------------------------------------------ the core calls


def save_workbook_styles(workbook: str | os.PathLike, rows: list, *, description: str) -> int:
    """Write (table, name, QML, default) style rows into the workbook's ``layer_styles`` through the core
    (SQLite, in one transaction; QGIS's own GDAL writing there after a run corrupted memory); return how many."""
    from blockcheck.gpkg_inplace import replace_styles

    return replace_styles(workbook, rows, description=description)


def workbook_identity(workbook: str | os.PathLike) -> tuple:
    """The core's mark of a workbook rewrite (file and SQLite schema version): the editor reloads when it changes."""
    from blockcheck.gpkg_inplace import file_identity

    return file_identity(workbook)


@contextlib.contextmanager
def workbook_lock(workbook: str | os.PathLike, *, command: str, wait_s: float | None = None) -> Iterator[None]:
    """The core's write lock of `workbook` (the editor holds it for each commit; a run holds it throughout).

    Raises OSError with the core's message (naming the holder) when another writer still holds it after
    `wait_s` seconds, so the editor shows it like any refused write.
    """
    from blockcheck.errors import WorkbookLockedError
    from blockcheck.workbook.lock import workbook_lock as core_lock

    if wait_s is None:  # the editor waits briefly (QGIS stays responsive), BLOCKCHECK_LOCK_WAIT_S or 10 s
        wait_s = float(os.environ.get("BLOCKCHECK_LOCK_WAIT_S", "10"))
    try:
        with core_lock(workbook, command=command, wait_s=wait_s):
            yield
    except WorkbookLockedError as err:
        raise OSError(str(err)) from None


def _carry_dataset_info(source_files: list[str] | None, input_path: Path) -> None:
    """Copy the first ``dataset_info`` table (``synthetic = true`` …) of the layers' GeoPackages into the input."""
    import pyogrio

    from blockcheck.inputs.read import DATASET_INFO_LAYER, dataset_info_frame, read_dataset_info

    for source_file in source_files or ():
        if not str(source_file).lower().endswith(".gpkg") or not Path(source_file).is_file():
            continue
        try:
            info = read_dataset_info(source_file)
        except Exception:  # noqa: BLE001 - no readable table there: look at the next file
            continue
        if info:
            pyogrio.write_dataframe(dataset_info_frame(info), input_path, layer=DATASET_INFO_LAYER, driver="GPKG")
            return


def validate_inputs(
    sources: dict,
    out_dir: str | os.PathLike,
    *,
    mapping=None,
    standards=None,
    crs=None,
    repair: bool = False,
    transform_context=None,
    feedback=None,
    dataset_from: list[str] | None = None,
) -> dict:
    """Validate the layers (``blockcheck validate``): report and, when valid, ``input_checked.gpkg``."""
    from blockcheck.pipeline import check_input, write_checked_input

    out = Path(out_dir)
    input_path = write_input_gpkg(
        sources, out / INPUT_FILE, transform_context=transform_context, feedback=feedback, names=_layer_names(mapping)
    )
    _carry_dataset_info(dataset_from, input_path)
    result = check_input(
        input_path,
        mapping=mapping,
        standards=standards,
        crs=crs,
        repair=repair,
        progress=progress_callback(feedback, 0.1, 0.8),
    )
    report = result.checked.report
    written = write_checked_input(result, out)  # raises ValidationError (the whole report) when invalid
    return {
        "report_text": report.format(),
        "report": str(written["report"]),
        "checked": str(written["gpkg"]),
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }


def run_steps(
    sources: dict,
    out_dir: str | os.PathLike,
    *,
    until: str,
    mapping=None,
    standards=None,
    crs=None,
    repair: bool = False,
    population_raster=None,
    demands=None,
    visions=None,
    transform_context=None,
    feedback=None,
    dataset_from: list[str] | None = None,
) -> dict:
    """``blockcheck run --until …`` on the layers: writes ``out_dir/workbook.gpkg`` (and the Excel lists)."""
    from blockcheck.pipeline import run

    out = Path(out_dir)
    input_path = write_input_gpkg(
        sources, out / INPUT_FILE, transform_context=transform_context, feedback=feedback, names=_layer_names(mapping)
    )
    _carry_dataset_info(dataset_from, input_path)
    raster = raster_path(population_raster, out, transform_context)
    surveys = _surveys({"demands": demands, "visions": visions}, [*(dataset_from or ()), input_path])
    result = run(
        input_path,
        out,
        mapping=mapping,
        standards=standards,
        crs=crs,
        repair=repair,
        population_raster=raster,
        demands=surveys["demands"]["path"],
        visions=surveys["visions"]["path"],
        until=until,
        progress=progress_callback(feedback, 0.1, 0.85),
    )
    counts = {name: len(frame) for name, frame in (result.lists or {}).items()}
    counts["block_metrics"] = len(result.health.block_metrics)
    return {
        "workbook": str(result.workbook),
        "excel": str(result.excel) if result.excel else "",
        "summary": result.summary(),
        "counts": counts,
        "surveys": surveys if until == "lists" else {},
    }


def _is_file(source) -> bool:
    """Whether a layer source is a file (a memory layer's or a database's URI is not; it may be too long for one)."""
    try:
        return Path(source).is_file()
    except (OSError, ValueError):
        return False


def _surveys(given: dict, source_files: list) -> dict:
    """Kind (``demands``/``visions``) → ``path``: given, else found next to an input file as ``blockcheck run``
    finds it (the core's rule), else None; ``next_to``: the file it was found beside; ``files``: the names looked
    for; ``folders``: where; ``title``: the list it fills."""
    from blockcheck.lists.schema import list_table
    from blockcheck.steps.consultation import SURVEY_FILES, default_survey

    files = [str(source) for source in source_files if _is_file(source)]
    out = {}
    for kind, path in given.items():
        next_to = None
        for source in files if path is None else ():
            if (path := default_survey(source, kind)) is not None:
                next_to = source
                break
        table = list_table(f"{kind[:-1]}_list")
        out[kind] = {
            "path": str(path) if path else None,
            "next_to": next_to,
            "files": SURVEY_FILES[kind],
            "folders": list(dict.fromkeys(str(Path(f).parent) for f in files)),
            "title": f"{table.title_zh} ({table.name})",
        }
    return out


def _qgis_value(value: object) -> object:
    """A pandas/numpy scalar as a plain Python value (None for missing)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    import pandas as pd

    return None if value is pd.NA or value is pd.NaT else value


#: pandas dtype test → QgsField type, first match wins (text otherwise).
_FIELD_KINDS = (("is_bool_dtype", "Bool"), ("is_integer_dtype", "LongLong"), ("is_float_dtype", "Double"))


def _frame_to_qgis(frame) -> tuple[QgsFields, list[list]]:
    import pandas as pd

    fields = QgsFields()
    for column in frame.columns:
        dtype, types = frame[column].dtype, pd.api.types
        kind = next((k for test, k in _FIELD_KINDS if getattr(types, test)(dtype)), "QString")
        fields.append(QgsField(str(column), field_type(kind)))
    rows = [[_qgis_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return fields, rows


def what_if_table(workbook: str | os.PathLike, project_ids: list[str]) -> tuple[QgsFields, list[list]]:
    """Before/after gaps when `project_ids` are built (``blockcheck whatif``), as QGIS fields and rows."""
    from blockcheck.whatif import what_if

    return _frame_to_qgis(what_if(workbook, project_ids))


def export_hearing(
    workbook: str | os.PathLike,
    *,
    maps_dir=None,
    atlas_pdf=None,
    names=None,
    lang: str = "zh",
    dpi: int = 200,
    feedback=None,
) -> dict:
    """The core's hearing exports: map images (``report.maps.export_maps``) and/or the atlas (``export_atlas``)."""
    out: dict = {}
    if maps_dir:
        from blockcheck.report.maps import export_maps

        out["maps"] = [
            str(p) for p in export_maps(workbook, maps_dir, lang=lang, dpi=dpi, **({"names": names} if names else {}))
        ]
    if atlas_pdf:
        from blockcheck.report.atlas import export_atlas

        out["atlas"] = str(export_atlas(workbook, atlas_pdf, lang=lang, progress=progress_callback(feedback, 0.5, 0.5)))
    return out


# ------------------------------------------------------------------ the editor's rows


def list_schemas() -> dict:
    """The list tables (``blockcheck.lists.schema``): names, zh/en labels, coded values, keys."""
    from blockcheck.lists.schema import list_tables

    return dict(list_tables())


def eight_lists() -> tuple[str, ...]:
    """The eight lists in the method's order (图1–图8)."""
    from blockcheck.lists.schema import EIGHT_LISTS

    return tuple(EIGHT_LISTS)


def check_row(name: str, row: dict, other_keys=()) -> dict:
    """Validate one row of list `name` with the core's schema; return it conformed (plain Python values).

    Raises
    ------
    blockcheck.errors.SchemaError
        With the schema's message (required field empty, value not allowed,
        text in a number field, key already used).
    """
    import pandas as pd

    from blockcheck.errors import SchemaError
    from blockcheck.lists.schema import conform, list_table

    table = list_table(name)
    frame = pd.DataFrame([{c: row.get(c) for c in table.columns}])
    bad_numbers = []
    for f in table.fields:
        value = row.get(f.name)
        if (
            f.type != "str"
            and value not in (None, "")
            and pd.isna(pd.to_numeric(pd.Series([value]), errors="coerce")[0])
        ):
            bad_numbers.append(f"{f.name}: {value!r} {tr('is not a number')}")
    if bad_numbers:
        raise SchemaError(f"{name}: " + "; ".join(bad_numbers))
    out = conform(frame, table)
    key = out.at[0, table.key]
    if key is not None and str(key) in {str(k) for k in other_keys}:
        raise SchemaError(f"{name}: {table.key} {key} {tr('is already used')}")
    return {c: _qgis_value(out.at[0, c]) for c in table.columns}


def _history_tail(changes: list[dict], previous: list[dict]) -> list[dict]:
    import pandas as pd

    from blockcheck.workbook.history import history_rows

    full = history_rows(changes, pd.DataFrame(previous) if previous else None)
    tail = full.iloc[len(full) - len(changes) :] if changes else full.iloc[0:0]
    return [
        {c: _qgis_value(v) for c, v in zip(tail.columns, values, strict=True)}
        for values in tail.itertuples(index=False, name=None)
    ]


def history_for_change(old_row: dict, new_row: dict, previous: list[dict], *, who: str, reason: str) -> list[dict]:
    """``project_history`` rows to append for one edited project (every changed field, status included).

    `previous` is the history as it stands (rows as dicts), so new entries get the next ids.
    """
    import pandas as pd

    from blockcheck.lists.schema import conform, list_table
    from blockcheck.workbook.history import record_project_changes

    table = list_table("project_list")
    old = conform(pd.DataFrame([old_row]), table)
    new = conform(pd.DataFrame([new_row]), table)
    return _history_tail(record_project_changes(new, old, who=who, reason=reason), previous)


def history_for_new_projects(rows: list[dict], previous: list[dict], *, who: str, reason: str) -> list[dict]:
    """``project_history`` rows registering new projects (入库)."""
    import pandas as pd

    from blockcheck.lists.schema import conform, list_table
    from blockcheck.workbook.history import record_project_changes

    new = conform(pd.DataFrame(rows), list_table("project_list"))
    return _history_tail(record_project_changes(new, None, who=who, reason=reason), previous)


def block_ids_at(blocks: list[tuple[str, bytes]], wkbs: list[bytes]) -> list[str | None]:
    """The block of each geometry, by the resource list's rule (representative point, else largest overlap).

    `blocks` are (block_id, WKB) pairs and `wkbs` the geometries, all in one CRS. The editor reads
    both through QGIS: a second GDAL/SQLite opening the workbook it is writing would break SQLite's locks.
    """
    import geopandas as gpd
    import shapely

    from blockcheck.lists.resources import block_ids_of

    frame = gpd.GeoDataFrame({"block_id": [b for b, _ in blocks]}, geometry=shapely.from_wkb([w for _, w in blocks]))
    features = gpd.GeoDataFrame(geometry=shapely.from_wkb(list(wkbs)))
    return [_qgis_value(v) for v in block_ids_of(frame, features)]


def new_resource_rows(
    blocks: list[tuple[str, bytes]],
    wkbs: list[bytes],
    *,
    category: str,
    source_layer: str,
    source_ids: list[str],
    existing_keys=(),
    status: str = "confirmed",
) -> list[dict]:
    """Resource-list rows for features an analyst picked on the map (validated, with their blocks).

    Status ``confirmed``: the core carries confirmed resources over when the list is rebuilt.
    """
    from blockcheck.lists.ids import resource_id
    from blockcheck.lists.resources import CATEGORIES

    rows, used = [], {str(k) for k in existing_keys}
    for block, source_id in zip(block_ids_at(blocks, wkbs), source_ids, strict=True):
        row = {
            "resource_id": _unique(resource_id(category, source_layer, source_id), used),
            "block_id": block,
            "family": CATEGORIES[category][0],
            "category": category,
            "source_layer": source_layer,
            "source_id": str(source_id),
            "rule_id": "analyst",
            "reason": "分析人员从地图选择添加 / added by an analyst from the map",
            "status": status,
        }
        rows.append(check_row("resource_list", row, used))
        used.add(row["resource_id"])
    return rows


def new_project_rows(
    blocks: list[tuple[str, bytes]],
    wkbs: list[bytes],
    *,
    domain: str,
    names: list[str],
    first_number: int,
    existing_keys=(),
) -> list[dict]:
    """Project-list rows (status registered, provenance added) for features picked on the map."""
    from blockcheck.lists.ids import added_project_id

    rows, used = [], {str(k) for k in existing_keys}
    for i, (block, name) in enumerate(zip(block_ids_at(blocks, wkbs), names, strict=True)):
        number = first_number + i
        row = {
            "number": number,
            "domain": domain,
            "name": name,
            "project_id": _unique(added_project_id(number), used),
            "block_id": block,
            "status": "registered",
            "provenance": "added",
        }
        rows.append(check_row("project_list", row, used))
        used.add(row["project_id"])
    return rows


def _unique(key: str, used: set[str]) -> str:
    candidate, n = key, 2
    while candidate in used:
        candidate, n = f"{key}-{n}", n + 1
    return candidate
