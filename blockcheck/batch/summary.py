"""The batch summary: one row per district, read from its workbook, written as a GeoPackage layer, Excel and a map.

A district's row (:func:`district_row`) holds its name, ``status`` (``ok`` |
``failed``), ``message``, whether the run was skipped as unchanged, its
district area row (``area_metrics``, the one-row metrics of the whole district the run computes),
the problem counts by type (图1's types) and the data-gap counts (by coverage),
and its outline (the union of its blocks) as geometry. :func:`write_summary`
writes ``batch_summary.gpkg`` (layer :data:`SUMMARY_LAYER`, plus
``blockcheck_meta``), ``batch_summary.xlsx`` (headers in Chinese by default,
through the lists' Excel writer) and ``batch_summary.png``: the districts
coloured by :data:`HEADLINE`, drawn by the hearing maps' choropleth.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from blockcheck import __version__, vocabulary
from blockcheck.lists.data_gaps import DATA_GAPS_LAYER
from blockcheck.lists.schema import list_table, value_labels
from blockcheck.workbook.read import META_LAYER, read_table

__all__ = [
    "COUNT_COLUMNS",
    "HEADLINE",
    "SUMMARY_FILES",
    "SUMMARY_LAYER",
    "column_label",
    "data_gap_column",
    "district_row",
    "problem_column",
    "summary_frame",
    "write_summary",
]

#: The layer of ``batch_summary.gpkg`` (a contract: scripts and QGIS projects read it by this name).
SUMMARY_LAYER = "district_summary"
#: The batch's own output files in DIR, by kind.
SUMMARY_FILES = {"gpkg": "batch_summary.gpkg", "xlsx": "batch_summary.xlsx", "png": "batch_summary.png"}
#: The measure the comparison map colours districts by.
HEADLINE = "problems_total"
#: Labels (zh, en) of the summary's own columns; metric columns take theirs from data/metrics.toml.
_LABELS = {
    "name": ("区域名称", "District"),
    "status": ("状态", "Status"),
    "message": ("说明", "Message"),
    "skipped": ("未变化已跳过", "Skipped (unchanged)"),
    "problems_total": ("问题总数", "Problems"),
    "data_gaps_total": ("数据缺口数", "Data gaps"),
}
_STATUS = {"ok": ("完成", "ok"), "failed": ("失败", "failed")}
_YES_NO = (("是", "yes"), ("否", "no"))
_TITLE = ("批量体检汇总", "Batch health-check summary")
_MAP_TITLE = ("各区域{measure}对比", "{measure} by district")


def _problem_types() -> list[str]:
    """The problem types in the order of 图1 (the values of problem_list.type)."""
    return list(next(f for f in list_table("problem_list").fields if f.name == "type").values)


def _coverages() -> list[str]:
    """The coverage codes of data_gaps (none, some, absent)."""
    return list(next(f for f in list_table(DATA_GAPS_LAYER).fields if f.name == "coverage").values)


def problem_column(problem_type: str) -> str:
    """The column counting problems of `problem_type`: ``problems_`` and its English label as a word."""
    english = vocabulary.label("problem_type", problem_type, "en")
    return "problems_" + re.sub(r"\W+", "_", english.lower()).strip("_")


def data_gap_column(coverage: str) -> str:
    """The column counting data gaps of a coverage (``none`` / ``some`` / ``absent``)."""
    return f"data_gaps_{coverage}"


def count_columns() -> list[str]:
    """The count columns of a district row, in order."""
    return [
        "problems_total",
        *(problem_column(t) for t in _problem_types()),
        "data_gaps_total",
        *(data_gap_column(c) for c in _coverages()),
    ]


COUNT_COLUMNS = tuple(count_columns())


def column_label(column: str, lang: str = "zh") -> str:
    """The header of a summary column in `lang`."""
    i = 0 if lang == "zh" else 1
    if column in _LABELS:
        return _LABELS[column][i]
    for problem_type in _problem_types():
        if column == problem_column(problem_type):
            return f"{_LABELS['problems_total'][i]}：{vocabulary.label('problem_type', problem_type, lang)}"
    coverage_labels = value_labels(DATA_GAPS_LAYER, "coverage", lang)
    for coverage in _coverages():
        if column == data_gap_column(coverage):
            shown = coverage_labels.get(coverage, coverage)
            return f"{_LABELS['data_gaps_total'][i]}：{shown}" if lang == "zh" else f"Data gaps: {shown}"
    from blockcheck.vocabulary import metric_schema

    metric = metric_schema().get(column)
    return metric.title(lang) if metric is not None else column


def district_row(workbook: str | os.PathLike) -> tuple[dict[str, object], object, str | None]:
    """The summary values of the district whose workbook is `workbook`, its outline and the outline's CRS (WKT).

    Values: every column of ``area_metrics`` (the district's one-row metrics,
    ``block_id`` left out), then :data:`COUNT_COLUMNS`: the problems of
    ``problem_list`` (every scope) in all and by type, the rows of ``data_gaps``
    in all and by coverage. The outline is the union of the blocks of
    ``block_metrics``.
    """
    area = read_table(workbook, "area_metrics")
    values: dict[str, object] = {}
    if area is not None and len(area):
        row = pd.DataFrame(area).drop(columns=["block_id", "geometry"], errors="ignore").iloc[0]
        values.update({k: (None if pd.isna(v) else v) for k, v in row.items()})
    problems = read_table(workbook, "problem_list", columns=["type"])
    types = problems["type"] if problems is not None and "type" in problems else pd.Series(dtype=object)
    values["problems_total"] = int(len(types))
    for problem_type in _problem_types():
        values[problem_column(problem_type)] = int((types == problem_type).sum())
    gaps = read_table(workbook, DATA_GAPS_LAYER, columns=["coverage"])
    coverage = gaps["coverage"] if gaps is not None and "coverage" in gaps else pd.Series(dtype=object)
    values["data_gaps_total"] = int(len(coverage))
    for code in _coverages():
        values[data_gap_column(code)] = int((coverage == code).sum())
    blocks = gpd.read_file(workbook, layer="block_metrics", columns=["block_id"], engine="pyogrio")
    outline = shapely.union_all(shapely.make_valid(blocks.geometry.to_numpy())) if len(blocks) else None
    crs = blocks.crs.to_wkt() if blocks.crs is not None else None
    return values, outline, crs


def summary_frame(outcomes: list[dict]) -> gpd.GeoDataFrame:
    """The ``district_summary`` table of the batch's outcomes, in manifest order.

    Each outcome is a dict with ``name``, ``status``, ``message``, ``skipped``,
    ``values`` (:func:`district_row`'s values, empty for a failed district),
    ``outline`` (WKB or None) and ``crs`` (WKT or None). Outlines are put in
    the CRS of the first district that has one.
    """
    crs = next((o["crs"] for o in outcomes if o.get("crs")), None)
    metric_columns: list[str] = []
    for outcome in outcomes:
        metric_columns += [c for c in outcome.get("values", {}) if c not in COUNT_COLUMNS and c not in metric_columns]
    columns = ["name", "status", "message", "skipped", *metric_columns, *COUNT_COLUMNS]
    rows, geometries = [], []
    for outcome in outcomes:
        values = outcome.get("values", {})
        rows.append(
            {
                "name": outcome["name"],
                "status": outcome["status"],
                "message": outcome.get("message", ""),
                "skipped": bool(outcome.get("skipped", False)),
                **{c: values.get(c) for c in (*metric_columns, *COUNT_COLUMNS)},
            }
        )
        outline = shapely.from_wkb(outcome["outline"]) if outcome.get("outline") is not None else None
        if outline is not None and crs is not None and outcome.get("crs") not in (None, crs):
            outline = gpd.GeoSeries([outline], crs=outcome["crs"]).to_crs(crs).iloc[0]
        geometries.append(outline)
    frame = pd.DataFrame(rows, columns=columns)
    counts = [c for c in COUNT_COLUMNS if c in frame]
    frame[counts] = frame[counts].astype("Int64")  # a failed district has no counts: null, not 0
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=crs), crs=crs)


def _number_format(column: str) -> str | None:
    from blockcheck.vocabulary import metric_schema

    if column in COUNT_COLUMNS:
        return "#,##0"
    metric = metric_schema().get(column)
    if metric is None:
        return None
    if metric.unit.percent:
        return "0.0%"
    decimals = metric.unit.decimals
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _excel(path: Path, frame: pd.DataFrame, lang: str) -> Path:
    from blockcheck.workbook.excel_write import write_table

    i = 0 if lang == "zh" else 1
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["status"] = table["status"].map(lambda s: _STATUS.get(s, (s, s))[i])
    table["skipped"] = table["skipped"].map(lambda skipped: _YES_NO[not skipped][i])
    columns = [table[c].astype(object).where(table[c].notna(), None).tolist() for c in table.columns]
    headers = [column_label(c, lang) for c in table.columns]
    formats = [_number_format(c) for c in table.columns]
    return write_table(path, _TITLE[i], headers, columns, formats, lang=lang)


def _map(path: Path, frame: gpd.GeoDataFrame, lang: str, dpi: int) -> Path | None:
    """The comparison map: the districts with an outline, coloured by :data:`HEADLINE` (None: nothing to draw)."""
    shown = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if shown.empty or frame.crs is None:
        return None
    import matplotlib as mpl

    from blockcheck.outputs import MARK
    from blockcheck.report import cartography as carto
    from blockcheck.report.fonts import glyph_guard, style
    from blockcheck.report.maps import plot_metric
    from blockcheck.report.paths import representative_xy

    i = 0 if lang == "zh" else 1
    measure = column_label(HEADLINE, lang)
    blocks = shown.assign(block_id=shown["name"], **{HEADLINE: shown[HEADLINE].astype("float64")})
    credits = carto.Credits(crs=shown.crs, source=_TITLE[i], date=_dt.date.today().isoformat(), version=__version__)
    with glyph_guard(), mpl.rc_context(style()):
        fig, ax = plot_metric(
            blocks,
            HEADLINE,
            good="low",
            integer=True,
            lang=lang,
            title=_MAP_TITLE[i].format(measure=measure),
            legend_title=measure,
            credits=credits,
        )
        for (x, y), name in zip(representative_xy(blocks.geometry.to_numpy()), blocks["name"], strict=True):
            ax.annotate(  # the district's name above its value
                str(name), (x, y), xytext=(0, 9), textcoords="offset points", ha="center", fontsize=8, weight="bold"
            )
        fig.savefig(path, dpi=dpi, metadata={"Software": MARK})
    return path


def write_summary(
    out_dir: str | os.PathLike, frame: gpd.GeoDataFrame, *, manifest: str = "", lang: str = "zh", dpi: int = 200
) -> dict[str, Path]:
    """Write ``batch_summary.gpkg`` (:data:`SUMMARY_LAYER` and ``blockcheck_meta``), ``.xlsx`` and ``.png``.

    Returns
    -------
    dict
        The files written by kind (``gpkg``, ``xlsx``, and ``png`` when a district has an outline).
    """
    from blockcheck.io import write_gpkg

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "blockcheck_version": __version__,
        "step": "batch",
        "run_at_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "manifest": manifest,
        "districts": str(len(frame)),
        "failed": str(int((frame["status"] == "failed").sum())),
    }
    written = {
        "gpkg": write_gpkg(
            out / SUMMARY_FILES["gpkg"],
            {SUMMARY_LAYER: frame, META_LAYER: pd.DataFrame({"key": list(meta), "value": list(meta.values())})},
        ),
        "xlsx": _excel(out / SUMMARY_FILES["xlsx"], frame, lang),
    }
    png = _map(out / SUMMARY_FILES["png"], frame, lang, dpi)
    if png is not None:
        written["png"] = png
    else:  # no district to draw: an earlier batch's map would be mistaken for this one's
        (out / SUMMARY_FILES["png"]).unlink(missing_ok=True)
    return written
