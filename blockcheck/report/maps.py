"""The hearing maps: one pure plot function per map, and :func:`export_maps`.

Each ``plot_*`` function draws into `ax` (or a new figure of fixed size) and
returns ``(fig, ax)``; none calls ``plt.show`` or changes global rcParams (the
style is applied with ``matplotlib.rc_context``). Every map has a title, a
legend, a scale bar, a north arrow and a credits line (CRS, data source and
date, "© OpenStreetMap contributors" for OSM data). Titles, texts and map
furniture come from ``data/report.toml``; labels and colours of coded values
(resource categories, need categories, project domains, priority classes, road
classes, problem types) from :mod:`blockcheck.vocabulary`, map titles from the
metric schema; thresholds from the workbook's ``standards_used`` through the
problem rules.
"""

from __future__ import annotations

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)

# isort: split
import functools
import os
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure

from blockcheck import vocabulary
from blockcheck.errors import BlockcheckError
from blockcheck.outputs import MARK, guard_output
from blockcheck.report import cartography as carto
from blockcheck.report.features import draw_projects, draw_resources, project_handles, resource_handles
from blockcheck.report.fonts import glyph_guard, style
from blockcheck.report.paths import add_lines, add_points, add_polygons, representative_xy
from blockcheck.report.settings import check_lang, metric_maps, settings, text
from blockcheck.report.thresholds import Threshold, metric_threshold
from blockcheck.report.workbook_data import WorkbookData, as_workbook

__all__ = [
    "Threshold",
    "draw_projects",
    "draw_resources",
    "export_maps",
    "map_names",
    "map_title",
    "metric_threshold",
    "plot_demand",
    "plot_map",
    "plot_metric",
    "plot_overview",
    "plot_problems",
    "plot_projects",
    "plot_resources",
    "project_handles",
    "resource_handles",
]

_MAX_JENKS = 1000  # more blocks: Quantiles instead of FisherJenks
_MAX_LEGEND_SUBDISTRICTS = 8  # more are summarised as "… n more"
_MAX_LABELS = 60  # blocks labelled with their value up to this many blocks
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


def _styled(func):
    """Run a plot function under the report style (rc_context, never global rcParams)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(style()):
            return func(*args, **kwargs)

    return wrapper


def _new_map(ax):
    if ax is not None:
        return ax.figure, ax
    fig_cfg = settings()["figure"]
    fig = Figure(figsize=fig_cfg["map_size_in"])
    return fig, fig.add_axes(fig_cfg["map_axes"])


_fmt = vocabulary.format_value


def _colors(n: int, cmap: str) -> list:
    sample = mpl.colormaps[cmap](np.linspace(0.15, 0.9, max(n, 1)))
    return [tuple(c) for c in sample[:n]]


def _classify(values: np.ndarray, scheme: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(class of each value, upper bounds) with mapclassify; fewer classes for few distinct values."""
    try:
        import mapclassify
    except ImportError:  # pragma: no cover - a core dependency
        msg = "mapclassify is needed for the choropleth maps: pip install mapclassify"
        raise BlockcheckError(msg) from None
    distinct = np.unique(values)
    if len(distinct) <= k:
        bins = distinct
        return np.searchsorted(bins, values), bins
    if scheme == "FisherJenks" and len(values) > _MAX_JENKS:
        scheme = "Quantiles"  # exact Jenks is O(k·n²) in pure Python without numba
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed")
        classifier = getattr(mapclassify, scheme)(values, k=k)
    return np.asarray(classifier.yb), np.asarray(classifier.bins)


def _base(ax, wb: WorkbookData, *, fill: str | None = None) -> None:
    if fill:
        add_polygons(ax, wb.blocks.geometry.to_numpy(), facecolor=fill, edgecolor="none", zorder=0, gid="blocks_fill")


def _outline(ax, geoms: object, *, width: float = 0.8, color: str | None = None) -> None:
    add_lines(
        ax,
        geoms,
        edgecolor=color or settings()["colors"]["block_edge"],
        linewidth=width,
        zorder=5,
        gid="block_outlines",
    )


def _context(
    ax, wb: WorkbookData, *, lang: str, roads: bool = True, green: bool = True, minor_roads: bool = True
) -> list:
    """Green spaces and roads from the input (`minor_roads`: also branch and internal roads); returns legend handles."""
    cfg, colors, handles = settings()["roads"], settings()["colors"], []
    g = wb.context.get("green")
    if green and g is not None and len(g):
        add_polygons(ax, g.geometry.to_numpy(), facecolor=colors["green"], edgecolor="none", zorder=1, gid="green")
        handles.append(carto.patch_handle(text(lang, "green_legend"), facecolor=colors["green"]))
    r = wb.context.get("roads")
    if roads and r is not None and len(r):
        labels = vocabulary.labels("road_class", lang)
        classes = r["class"].astype(str).to_numpy()
        dashed = (
            r["status"].astype(str).isin(cfg["status_dashed"]).to_numpy() if "status" in r else np.zeros(len(r), bool)
        )
        geoms = r.geometry.to_numpy()
        planned = False
        for cls, width in cfg["widths"].items():
            mask = classes == cls
            if not mask.any() or (not minor_roads and cls in cfg["minor"]):
                continue
            add_lines(
                ax, geoms[mask & ~dashed], edgecolor=colors["road"], linewidth=width * 0.6, zorder=2, gid=f"roads_{cls}"
            )
            add_lines(
                ax,
                geoms[mask & dashed],
                edgecolor=colors["road"],
                linewidth=width * 0.6,
                linestyle=(0, (3, 2)),
                zorder=2,
            )
            handles.append(carto.line_handle(labels.get(cls, cls), color=colors["road"], linewidth=width * 0.6))
            planned = planned or bool((mask & dashed).any())
        if planned:
            handles.append(
                carto.line_handle(
                    text(lang, "planned_road"), color=colors["road"], linewidth=1.0, linestyle=(0, (3, 2))
                )
            )
    return handles


def _block_labels(ax, blocks, labels: pd.Series | np.ndarray, *, size: float = 6.5) -> None:
    """Write `labels` (one per block) at a point inside each block, up to _MAX_LABELS blocks."""
    if len(blocks) > _MAX_LABELS:
        return
    xy = representative_xy(blocks.geometry.to_numpy())
    for (x, y), label in zip(xy, np.asarray(labels, dtype=object), strict=True):
        ax.text(
            x, y, str(label), ha="center", va="center", fontsize=size, zorder=8, path_effects=_HALO, gid="block_label"
        )


def _finish(ax, wb: WorkbookData, title: str, lang: str, credits: carto.Credits | None) -> None:
    carto.fit_extent(ax, tuple(wb.blocks.total_bounds))
    carto.decorate(ax, title=title, credits=credits or carto.Credits.of(wb), lang=lang, crs=wb.crs)


# ---------------------------------------------------------------- the maps --


@_styled
def plot_overview(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):
    """District overview: blocks by sub-district with their codes, roads by class and green spaces."""
    wb, lang = as_workbook(wb), check_lang(lang)
    fig, ax = _new_map(ax)
    colors = settings()["colors"]
    subs = (
        wb.blocks["subdistrict"].fillna("").astype(str).to_numpy()
        if "subdistrict" in wb.blocks
        else np.full(len(wb.blocks), "")
    )
    geoms = wb.blocks.geometry.to_numpy()
    sub_handles = []
    names = pd.unique(subs)
    for i, name in enumerate(names):
        colour = colors["subdistricts"][i % len(colors["subdistricts"])]
        add_polygons(ax, geoms[subs == name], facecolor=colour, edgecolor="none", zorder=0, gid="subdistrict")
        if i < _MAX_LEGEND_SUBDISTRICTS:
            sub_handles.append(
                carto.patch_handle(
                    name or vocabulary.no_data().label(lang), facecolor=colour, edgecolor=colors["block_edge"]
                )
            )
    if len(names) > _MAX_LEGEND_SUBDISTRICTS:
        sub_handles.append(carto.patch_handle(text(lang, "more", n=len(names) - _MAX_LEGEND_SUBDISTRICTS)))
    minor = len(wb.blocks) <= settings()["roads"]["minor_max_blocks"]
    context = _context(ax, wb, lang=lang, minor_roads=minor)
    _outline(ax, geoms, width=1.0)
    _block_labels(ax, wb.blocks, wb.blocks["block_id"], size=6)
    carto.outside_legend(ax, sub_handles, title=text(lang, "subdistrict_legend"))
    if context:
        carto.outside_legend(
            ax,
            [*context, carto.line_handle(text(lang, "blocks"), color=colors["block_edge"], linewidth=1.0)],
            title=text(lang, "road_legend"),
            y=0.55,
        )
    _finish(ax, wb, map_title(wb, "overview", lang), lang, credits)
    return fig, ax


@_styled
def plot_metric(
    blocks,
    column: str,
    *,
    ax=None,
    cmap: str | None = None,
    scheme: str | None = None,
    k: int | None = None,
    legend_title: str | None = None,
    title: str | None = None,
    threshold: Threshold | None = None,
    good: str = "high",
    percent: bool = False,
    integer: bool = False,
    lang: str = "zh",
    credits: carto.Credits | None = None,
):
    """Choropleth of a block metric, classed with mapclassify; blocks missing the standard are hatched.

    Parameters
    ----------
    blocks
        Block polygons (``block_metrics``) in a metric CRS.
    column
        The metric to map.
    cmap, scheme, k
        Colour map and mapclassify scheme / number of classes (defaults from ``data/report.toml``).
    threshold
        The standard: quoted in the legend; failing blocks hatched.
    good
        ``high`` (more is better) or ``low`` (a gap: more is worse) — picks the default colours.
    """
    lang = check_lang(lang)
    cfg, colors = settings()["classify"], settings()["colors"]
    scheme, k = scheme or cfg["scheme"], k or cfg["k"]
    cmap = cmap or (colors["choropleth_cmap_good"] if good == "high" else colors["choropleth_cmap"])
    fig, ax = _new_map(ax)
    values = pd.to_numeric(blocks[column], errors="coerce")
    valid = values.notna().to_numpy()
    geoms = blocks.geometry.to_numpy()
    handles = []
    if valid.any():
        classes, bins = _classify(values[valid].to_numpy(dtype=float), scheme, k)
        shades = _colors(len(bins), cmap)
        lower = float(values[valid].min())
        for i, upper in enumerate(bins):
            in_class = np.zeros(len(values), dtype=bool)
            in_class[np.flatnonzero(valid)[classes == i]] = True
            add_polygons(ax, geoms[in_class], facecolor=shades[i], edgecolor="none", zorder=0, gid=f"class_{i}")
            label = _fmt(upper, percent) if lower == upper else f"{_fmt(lower, percent)} – {_fmt(upper, percent)}"
            handles.append(carto.patch_handle(label, facecolor=shades[i], edgecolor=colors["block_edge"]))
            lower = float(np.floor(upper) + 1) if integer else float(upper)
    if (~valid).any():
        blank = vocabulary.no_data()
        add_polygons(ax, geoms[~valid], facecolor=blank.colour, edgecolor="none", zorder=0, gid="no_data")
        handles.append(carto.patch_handle(blank.label(lang), facecolor=blank.colour, edgecolor=colors["block_edge"]))
    if threshold is not None:
        fails = threshold.fails(values, blocks.get("block_id"))
        if fails.any():
            add_polygons(
                ax,
                geoms[fails],
                facecolor="none",
                edgecolor=colors["fail_edge"],
                hatch=colors["fail_hatch"],
                linewidth=0.0,
                zorder=3,
                gid="fails",
            )
        if threshold.value is not None:
            # the word follows the threshold's grade: 未达标准 only for an A/B standard
            fails_text = text(lang, "fails", term=threshold.term or text(lang, "standard"))
            handles.append(
                carto.patch_handle(
                    f"{fails_text}（{int(fails.sum())}）" if lang == "zh" else f"{fails_text} ({int(fails.sum())})",
                    edgecolor=colors["fail_edge"],
                    hatch=colors["fail_hatch"],
                )
            )
        handles.append(carto.patch_handle(threshold.label))
    _outline(ax, geoms, width=0.6)
    _block_labels(ax, blocks, values.map(lambda v: "" if pd.isna(v) else _fmt(v, percent)))
    carto.outside_legend(ax, handles, title=legend_title or column)
    carto.fit_extent(ax, tuple(blocks.total_bounds))
    carto.decorate(ax, title=title, credits=credits, lang=lang, crs=blocks.crs)
    return fig, ax


@_styled
def plot_problems(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):
    """Problem map: problems per block (classed), and how many blocks have each problem type."""
    wb, lang = as_workbook(wb), check_lang(lang)
    problems = wb.lists["problem_list"]
    per_block = problems[problems["scope"] != "ALL"] if "scope" in problems else problems.iloc[0:0]
    counts = per_block.groupby("scope").size().reindex(wb.block_ids(), fill_value=0).to_numpy()
    frame = wb.blocks.assign(_problems=counts)
    fig, ax = plot_metric(
        frame,
        "_problems",
        ax=ax,
        good="low",
        integer=True,
        legend_title=text(lang, "problems_legend"),
        title=text(lang, "problems_title"),
        lang=lang,
        credits=credits or carto.Credits.of(wb),
    )
    by_type = per_block.groupby("type")["scope"].nunique().sort_values(ascending=False)
    handles = [carto.patch_handle(f"{vocabulary.label('problem_type', t, lang)}: {n}") for t, n in by_type.items()]
    if handles:
        carto.outside_legend(ax, handles, title=text(lang, "problem_types"), y=0.5)
    return fig, ax


@_styled
def plot_resources(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):
    """Resource map: every resource of the resource list (not rejected), coloured by category."""
    wb, lang = as_workbook(wb), check_lang(lang)
    fig, ax = _new_map(ax)
    _base(ax, wb, fill=settings()["colors"]["block_fill"])
    _context(ax, wb, lang=lang, green=False)
    draw_resources(ax, wb.lists["resource_list"])
    handles = resource_handles(wb.lists["resource_list"], lang=lang)
    _outline(ax, wb.blocks.geometry.to_numpy(), width=0.9)
    _block_labels(ax, wb.blocks, wb.blocks["block_id"], size=5.5)
    carto.outside_legend(ax, handles or [carto.patch_handle(text(lang, "none"))], title=text(lang, "resources_legend"))
    _finish(ax, wb, text(lang, "resources_title"), lang, credits)
    return fig, ax


@_styled
def plot_demand(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):
    """Demand map: needs per block (classed) and, per block, one dot per need category sized by its count."""
    wb, lang = as_workbook(wb), check_lang(lang)
    demands = wb.lists["demand_list"]
    ids = wb.block_ids()
    table = demands.groupby(["block_id", "category"]).size().unstack(fill_value=0) if len(demands) else pd.DataFrame()
    table = table.reindex(index=ids, fill_value=0)
    frame = wb.blocks.assign(_demands=table.sum(axis=1).to_numpy() if len(table.columns) else np.zeros(len(ids)))
    fig, ax = plot_metric(
        frame,
        "_demands",
        ax=ax,
        good="low",
        integer=True,
        cmap="Purples",
        legend_title=text(lang, "demand_legend"),
        title=text(lang, "demand_title"),
        lang=lang,
        credits=credits or carto.Credits.of(wb),
    )
    for artist in [t for t in ax.texts if t.get_gid() == "block_label"]:
        artist.remove()  # the dots carry the numbers
    colors = vocabulary.colours("demand_category")
    xy = representative_xy(wb.blocks.geometry.to_numpy())
    step = float(np.sqrt(np.median(wb.blocks.area))) * 0.16
    offsets = [(-step, step), (step, step), (-step, -step), (step, -step)]
    labels = vocabulary.labels("demand_category", lang)
    handles = []
    for (dx, dy), (cat, colour) in zip(offsets, colors.items(), strict=False):
        n = table[cat].to_numpy() if cat in table else np.zeros(len(ids))
        has = n > 0
        add_points(
            ax,
            xy[has] + (dx, dy),
            s=14 * n[has],
            color=colour,
            edgecolors="white",
            linewidths=0.5,
            zorder=7,
            gid=f"demand_{cat}",
        )
        handles.append(
            carto.line_handle(
                f"{labels.get(cat, cat)}（{int(n.sum())}）"
                if lang == "zh"
                else f"{labels.get(cat, cat)} ({int(n.sum())})",
                marker="o",
                linestyle="none",
                markerfacecolor=colour,
                markeredgecolor="white",
                markersize=7,
            )
        )
    carto.outside_legend(ax, handles, title=text(lang, "demand_categories"), y=0.5)
    return fig, ax


@_styled
def plot_projects(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):
    """Project map: every project of the project list by domain (colour) and priority (size)."""
    wb, lang = as_workbook(wb), check_lang(lang)
    fig, ax = _new_map(ax)
    _base(ax, wb, fill=settings()["colors"]["block_fill"])
    _context(ax, wb, lang=lang, green=False)
    draw_projects(ax, wb.lists["project_list"])
    dom, pri = project_handles(wb.lists["project_list"], lang=lang)
    _outline(ax, wb.blocks.geometry.to_numpy(), width=0.9)
    _block_labels(ax, wb.blocks, wb.blocks["block_id"], size=5.5)
    carto.outside_legend(ax, dom or [carto.patch_handle(text(lang, "none"))], title=text(lang, "projects_domain"))
    if pri:
        carto.outside_legend(ax, pri, title=text(lang, "projects_priority"), y=0.55)
    _finish(ax, wb, text(lang, "projects_title"), lang, credits)
    return fig, ax


# ------------------------------------------------------------------ export --

_FIXED = {
    "overview": plot_overview,
    "problems": plot_problems,
    "resources": plot_resources,
    "demand": plot_demand,
    "projects": plot_projects,
}


def map_names() -> list[str]:
    """Every map export_maps writes, in order."""
    return ["overview", *metric_maps(), "problems", "resources", "demand", "projects"]


def map_title(wb: WorkbookData, name: str, lang: str = "zh") -> str:
    """The title map `name` carries (the report's contents quote it)."""
    if name == "overview":
        return f"{text(lang, 'overview_title')} · {wb.district(lang)}"
    if name in _FIXED:
        return text(lang, f"{name}_title")
    spec = metric_maps().get(name)
    if spec is None:
        msg = f"unknown map {name!r}; maps: {', '.join(map_names())}"
        raise BlockcheckError(msg)
    return spec.title(lang)


def plot_map(
    wb: WorkbookData | str | os.PathLike, name: str, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):
    """Any map of :func:`map_names` by name."""
    wb = as_workbook(wb)
    if name in _FIXED:
        return _FIXED[name](wb, ax=ax, lang=lang, credits=credits)
    spec = metric_maps().get(name)
    if spec is None:
        msg = f"unknown map {name!r}; maps: {', '.join(map_names())}"
        raise BlockcheckError(msg)
    metric = spec.metric
    return plot_metric(
        wb.blocks,
        metric.key,
        ax=ax,
        good=spec.good,
        percent=spec.percent,
        lang=lang,
        title=map_title(wb, name, lang),
        legend_title=spec.title(lang),
        threshold=metric_threshold(wb, metric.key, lang=lang, standard=metric.standard, percent=spec.percent),
        credits=credits or carto.Credits.of(wb),
    )


def export_maps(
    workbook: WorkbookData | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    lang: str = "zh",
    dpi: int = 200,
    names: list[str] | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write a PNG (`dpi` ≥ 200) and an SVG of every map into `out_dir`; returns the files written.

    Raises
    ------
    blockcheck.errors.MissingGlyphError
        When a text has a character no font in use can draw.
    """
    if dpi < 200:
        msg = f"dpi={dpi}: hearing maps are exported at 200 dpi or more."
        raise BlockcheckError(msg)
    wb, lang = as_workbook(workbook), check_lang(lang)
    out = Path(out_dir)
    chosen = names or map_names()
    for name in chosen:  # every target checked before the first is written
        for suffix in (".png", ".svg"):
            guard_output(out / f"{name}{suffix}", overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with glyph_guard():
        for name in chosen:
            fig, _ = plot_map(wb, name, lang=lang)
            for suffix, meta in ((".png", {"Software": MARK}), (".svg", {"Date": None, "Creator": MARK})):
                path = out / f"{name}{suffix}"
                fig.savefig(path, dpi=dpi, metadata=meta)
                written.append(path)
    return written
