"""The workbook read once for all exports: blocks, the eight lists, data gaps, metadata, standards, context.

:func:`load_workbook` reads ``workbook.gpkg`` (written by ``blockcheck run``)
into a :class:`WorkbookData`. Maps, atlas and report take that object (or a
path, which they load themselves).

Only the workbook layers the exports draw are read (``block_metrics``,
``area_metrics``, the eight lists without the columns no export prints, the
resource list's summary, data gaps, metric status, metadata and standards) —
never ``resource_members``, the allocation or the history.

Context layers (roads and green spaces for the overview and the block maps) are
not in the workbook: :func:`blockcheck.report.context.read_context` reads just
those two layers from the run's input (``blockcheck_meta``: ``input``,
``mapping_file``) with the run's layer and field names, without validating the
input again, reprojected to the workbook's CRS. When the input cannot be found,
or has changed since the run (its digest differs), the maps are drawn without
context.

``blockcheck_meta`` also says whether the input was synthetic (``synthetic =
true``, from the input's ``dataset_info``): :attr:`WorkbookData.synthetic`, and
every export then carries :meth:`WorkbookData.notice`. Workbooks older than the
``data_gaps`` and ``metric_status`` tables give empty frames for them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from blockcheck.errors import BlockcheckError
from blockcheck.gpkg_inplace import readable
from blockcheck.inputs.read import is_synthetic
from blockcheck.lists.schema import EIGHT_LISTS, list_table, list_tables
from blockcheck.report.context import context_ids, read_context
from blockcheck.report.settings import text
from blockcheck.workbook.read import layer_names, read_meta, read_table, require_workbook

__all__ = ["EIGHT_LISTS", "WorkbookData", "feature_counts", "load_workbook"]

log = logging.getLogger(__name__)

DATA_GAPS, METRIC_STATUS = "data_gaps", "metric_status"
_RESOURCE_COLUMNS = [
    "resource_id",
    "member_count",
    "block_id",
    "family",
    "category",
    "subtype",
    "land_area_m2",
    "floor_area_m2",
    "source_id",
    "status",
]
#: Columns of the lists no export prints or counts (reasons, provenance, links the report does not follow): not read.
_NOT_READ = frozenset(
    {
        "provenance",
        "priority_reason",
        "priority_reason_en",
        "demand_ids",
        "served_block_ids",
        "rationale",
        "raw_text",
        "source_row",
        "rule_ids",
        "year",
        "amount_unit_zh",
        "community_id",
        "catalogue_number",
    }
)


@dataclass
class WorkbookData:
    """Everything the exports draw, read once."""

    path: Path
    blocks: gpd.GeoDataFrame  # block_metrics
    area: pd.Series  # area_metrics, the ALL row
    lists: dict[str, pd.DataFrame]  # the eight lists (empty frames for lists the run did not make)
    resource_summary: pd.DataFrame
    meta: dict[str, str]
    standards: pd.DataFrame  # standards_used: key, value, unit, source, grade
    crs: CRS
    context: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # roads, green (may be empty)
    osm: bool = False  # some data came from OpenStreetMap
    data_gaps: pd.DataFrame = field(default_factory=lambda: _empty_table(DATA_GAPS))  # schema data_gaps
    metric_status: pd.DataFrame = field(default_factory=lambda: _empty_table(METRIC_STATUS))  # schema metric_status

    @property
    def synthetic(self) -> bool:
        """True when the run's input was marked synthetic (``blockcheck_meta`` synthetic = true)."""
        return is_synthetic(self.meta)

    def notice(self, lang: str) -> str:
        """The synthetic-data notice (示例数据（虚构） / synthetic sample data) of a synthetic workbook, else an empty
        string.
        """
        return text(lang, "synthetic_notice") if self.synthetic else ""

    def block_data_gaps(self, block_id: str) -> tuple[int, int]:
        """(rows of data_gaps for `block_id`, rows for the whole area ``ALL``)."""
        scope = self.data_gaps["scope"].astype(str) if "scope" in self.data_gaps else pd.Series(dtype=str)
        return int((scope == str(block_id)).sum()), int((scope == "ALL").sum())

    @property
    def date(self) -> str:
        """The run's date (YYYY-MM-DD)."""
        return str(self.meta.get("run_at_utc", ""))[:10]

    @property
    def source_name(self) -> str:
        """The input's file name as the credits quote it."""
        return Path(str(self.meta.get("input", "") or self.path)).name

    def district(self, lang: str) -> str:
        """A name for the whole area: its sub-districts, or the input's name."""
        names = [str(n) for n in pd.unique(self.blocks.get("subdistrict", pd.Series(dtype=object)).dropna()) if str(n)]
        if not names:
            return Path(self.source_name).stem
        if len(names) <= 3:
            return ("、" if lang == "zh" else ", ").join(names)
        return (
            f"{names[0]}等{len(names)}个街道" if lang == "zh" else f"{names[0]} and {len(names) - 1} more sub-districts"
        )

    def standard(self, key: str) -> dict | None:
        """One row of standards_used as a dict (value as float when numeric), or None."""
        rows = self.standards[self.standards["key"] == key]
        if rows.empty:
            return None
        row = rows.iloc[0].to_dict()
        number = pd.to_numeric(pd.Series([row.get("value")]), errors="coerce").iloc[0]
        row["number"] = None if pd.isna(number) else float(number)
        return row

    def block_ids(self) -> list[str]:
        """Block ids in workbook order."""
        return self.blocks["block_id"].astype(str).tolist()


def _empty_table(name: str) -> pd.DataFrame:
    """An empty attribute table with the schema's columns (data_gaps, metric_status …)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in list_table(name).columns})


def _empty_list(name: str, crs: CRS) -> pd.DataFrame:
    table = list_table(name)
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in table.columns})
    if table.geometry != "none":
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return frame


def _list_columns(name: str) -> list[str]:
    """The columns of list `name` the exports read (``read_table`` reads those present)."""
    if name == "resource_list":
        return _RESOURCE_COLUMNS
    return [c for c in list_table(name).columns if c not in _NOT_READ]


def feature_counts(resources: pd.DataFrame) -> pd.Series:
    """Features each row of a resource list stands for: ``member_count`` (an aggregated row of retained land or
    buildings counts its features), 1 where it is missing or the column is absent (a workbook older than it).
    """
    if "member_count" not in resources:
        return pd.Series(1, index=resources.index, dtype="int64")
    counts = pd.to_numeric(resources["member_count"], errors="coerce").fillna(1)
    return counts.clip(lower=0).astype("int64")


def _has_osm_ids(*columns: pd.Series) -> bool:
    return any(bool(c.dropna().astype(str).str.contains("osm_", regex=False).any()) for c in columns if c is not None)


def load_workbook(path: str | os.PathLike, *, context: bool = True) -> WorkbookData:
    """Read `path` (a ``workbook.gpkg``) for the exports.

    Parameters
    ----------
    path
        The workbook written by ``blockcheck run``.
    context
        Also read roads and green spaces from the run's input, when it can be found
        (:func:`blockcheck.report.context.read_context`: those two layers only, not validated).

    Raises
    ------
    BlockcheckError
        When the file is missing or is not a blockcheck workbook (no block_metrics).
    """
    path = require_workbook(path)
    with readable(path) as source:  # one consistent copy while QGIS holds the file open, else the file
        available = layer_names(source)
        if "block_metrics" not in available:
            msg = f"{path}: no block_metrics layer; this is not a blockcheck workbook (blockcheck run writes one)."
            raise BlockcheckError(msg)
        blocks = read_table(source, "block_metrics")
        if blocks.crs is None or not blocks.crs.is_projected:
            msg = f"{path}: block_metrics has no metric CRS ({blocks.crs}); maps need one for their scale bars."
            raise BlockcheckError(msg)
        crs = CRS.from_user_input(blocks.crs)
        meta = read_meta(source)
        standards = read_table(source, "standards_used")
        if standards is None:
            standards = pd.DataFrame(columns=["key", "value", "unit", "source", "grade"])
        area = read_table(source, "area_metrics")
        lists: dict[str, pd.DataFrame] = {}
        for name in EIGHT_LISTS:
            frame = read_table(source, name, columns=_list_columns(name))
            lists[name] = _empty_list(name, crs) if frame is None else frame
        gaps, status = (read_table(source, name) for name in (DATA_GAPS, METRIC_STATUS))
        summary = read_table(source, "resource_summary")
        if summary is None:
            summary = pd.DataFrame(columns=list_tables()["resource_summary"].columns)
    resources = lists["resource_list"]
    if "status" in resources:
        lists["resource_list"] = resources[resources["status"].fillna("") != "rejected"].reset_index(drop=True)
    ctx = read_context(meta, path, crs) if context else {}
    ids = context_ids()
    osm = "openstreetmap" in meta.get("source", "").lower() or _has_osm_ids(
        lists["resource_list"].get("source_id"),
        lists["project_list"].get("resource_ids"),
        *(frame.get(ids.get(name, "")) for name, frame in ctx.items()),
    )
    return WorkbookData(
        path=path,
        blocks=blocks,
        area=area.iloc[0] if area is not None and len(area) else pd.Series(dtype=object),
        lists=lists,
        resource_summary=summary,
        meta=meta,
        standards=standards,
        crs=crs,
        context=ctx,
        osm=bool(osm),
        data_gaps=_empty_table(DATA_GAPS) if gaps is None else gaps,
        metric_status=_empty_table(METRIC_STATUS) if status is None else status,
    )


def as_workbook(workbook: WorkbookData | str | os.PathLike) -> WorkbookData:
    """`workbook` itself, or the workbook read from that path."""
    return workbook if isinstance(workbook, WorkbookData) else load_workbook(workbook)


def block_index(frame: pd.DataFrame, column: str = "block_id") -> dict[str, np.ndarray]:
    """Row positions of `frame` by block id (one groupby, for per-block pages)."""
    if frame.empty or column not in frame:
        return {}
    return {str(k): v for k, v in frame.groupby(frame[column].astype(str), sort=False).indices.items()}
