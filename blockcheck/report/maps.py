"""The hearing maps: one pure plot function per map, and :func:`export_maps`.

Each ``plot_*`` function draws into `ax` (or a new figure of fixed size) and
returns ``(fig, ax)``; none calls ``plt.show`` or changes global rcParams (the
style is applied with ``matplotlib.rc_context``). Every map has a title, a
legend, a scale bar, a north arrow and a credits line (CRS, data source and
date, "© OpenStreetMap contributors" for OSM data). Titles, legend texts and
colours come from ``data/report.toml``; thresholds from the workbook's
``standards_used`` through the problem rules.
"""

from __future__ import annotations

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)

import functools
import os
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure

from blockcheck.errors import BlockcheckError
from blockcheck.lists.resources import resource_labels
from blockcheck.report import cartography as carto
from blockcheck.report.fonts import glyph_guard, style
from blockcheck.report.paths import add_lines, add_points, add_polygons, representative_xy
from blockcheck.outputs import MARK, guard_output
from blockcheck.report.settings import check_lang, metric_maps, settings, text
from blockcheck.report.thresholds import Threshold, fmt_value, metric_threshold
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


def _styled(func):  # noqa: ANN001, ANN202
    """Run a plot function under the report style (rc_context, never global rcParams)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        with mpl.rc_context(style()):
            return func(*args, **kwargs)

    return wrapper


def _new_map(ax):  # noqa: ANN001, ANN202
    if ax is not None:
        return ax.figure, ax
    fig_cfg = settings()["figure"]
    fig = Figure(figsize=fig_cfg["map_size_in"])
    return fig, fig.add_axes(fig_cfg["map_axes"])


_fmt = fmt_value


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


def _base(ax, wb: WorkbookData, *, fill: str | None = None) -> None:  # noqa: ANN001
    if fill:
        add_polygons(ax, wb.blocks.geometry.to_numpy(), facecolor=fill, edgecolor="none", zorder=0, gid="blocks_fill")


def _outline(ax, geoms: object, *, width: float = 0.8, color: str | None = None) -> None:  # noqa: ANN001
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
) -> list:  # noqa: ANN001
    """Green spaces and roads from the input (`minor_roads`: also branch and internal roads); returns legend handles."""
    cfg, colors, handles = settings()["roads"], settings()["colors"], []
    g = wb.context.get("green")
    if green and g is not None and len(g):
        add_polygons(ax, g.geometry.to_numpy(), facecolor=colors["green"], edgecolor="none", zorder=1, gid="green")
        handles.append(carto.patch_handle(text(lang, "green_legend"), facecolor=colors["green"]))
    r = wb.context.get("roads")
    if roads and r is not None and len(r):
        from blockcheck.inputs.model import input_model

        labels = input_model().vocabulary("road_class").labels_zh if lang == "zh" else cfg["labels_en"]
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


def _block_labels(ax, blocks, labels: pd.Series | np.ndarray, *, size: float = 6.5) -> None:  # noqa: ANN001
    """Write `labels` (one per block) at a point inside each block, up to _MAX_LABELS blocks."""
    if len(blocks) > _MAX_LABELS:
        return
    xy = representative_xy(blocks.geometry.to_numpy())
    for (x, y), label in zip(xy, np.asarray(labels, dtype=object), strict=True):
        ax.text(
            x, y, str(label), ha="center", va="center", fontsize=size, zorder=8, path_effects=_HALO, gid="block_label"
        )


def _finish(ax, wb: WorkbookData, title: str, lang: str, credits: carto.Credits | None) -> None:  # noqa: ANN001
    carto.fit_extent(ax, tuple(wb.blocks.total_bounds))
    carto.decorate(ax, title=title, credits=credits or carto.Credits.of(wb), lang=lang, crs=wb.crs)


# ---------------------------------------------------------------- the maps --


@_styled
def plot_overview(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):  # noqa: ANN001, ANN201
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
                carto.patch_handle(name or text(lang, "no_data"), facecolor=colour, edgecolor=colors["block_edge"])
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
def plot_metric(  # noqa: ANN201, PLR0913
    blocks,  # noqa: ANN001 - GeoDataFrame with `column`
    column: str,
    *,
    ax=None,  # noqa: ANN001
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
        add_polygons(ax, geoms[~valid], facecolor="#e0e0e0", edgecolor="none", zorder=0, gid="no_data")
        handles.append(carto.patch_handle(text(lang, "no_data"), facecolor="#e0e0e0", edgecolor=colors["block_edge"]))
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
):  # noqa: ANN001, ANN201
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
    types_en = settings()["problems"]["types_en"]
    by_type = per_block.groupby("type")["scope"].nunique().sort_values(ascending=False)
    handles = [carto.patch_handle(f"{t if lang == 'zh' else types_en.get(t, t)}: {n}") for t, n in by_type.items()]
    if handles:
        carto.outside_legend(ax, handles, title=text(lang, "problem_types"), y=0.5)
    return fig, ax


def _resource_style(lang: str) -> tuple[dict, dict, list]:
    cfg = settings()["resources"]
    labels = resource_labels()["category"] if lang == "zh" else cfg["labels_en"]
    return cfg["colors"], labels, cfg["background"]


def _count_label(label: str, n: int, lang: str) -> str:
    return f"{label}（{n:,}）" if lang == "zh" else f"{label} ({n:,})"


def draw_resources(ax, resources: pd.DataFrame) -> None:  # noqa: ANN001
    """Resources coloured by category, the background families (retained land/buildings, underground) first."""
    colors, _, background = _resource_style("zh")
    if not len(resources):
        return
    cats = resources["category"].astype(str).to_numpy()
    geoms = resources.geometry.to_numpy()
    order = [c for c in background if c in colors] + [c for c in colors if c not in background]
    for z, cat in enumerate(order):
        mask = cats == cat
        if mask.any():
            add_polygons(
                ax,
                geoms[mask],
                facecolor=colors[cat],
                edgecolor="#555555",
                linewidth=0.2,
                zorder=3 + z * 0.01,
                gid=f"resource_{cat}",
            )


def resource_handles(resources: pd.DataFrame, *, lang: str, counts: bool = True) -> list:
    """Legend entries of the categories present, in the order of 图2 (with counts)."""
    colors, labels, _ = _resource_style(lang)
    present = resources["category"].astype(str).value_counts() if len(resources) else pd.Series(dtype=int)
    return [
        carto.patch_handle(
            _count_label(labels.get(c, c), int(present[c]), lang) if counts else labels.get(c, c),
            facecolor=colors[c],
            edgecolor="#555555",
        )
        for c in colors
        if c in present.index
    ]


@_styled
def plot_resources(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):  # noqa: ANN001, ANN201
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
):  # noqa: ANN001, ANN201
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
    colors = settings()["demand"]["colors"]
    xy = representative_xy(wb.blocks.geometry.to_numpy())
    step = float(np.sqrt(np.median(wb.blocks.area))) * 0.16
    offsets = [(-step, step), (step, step), (-step, -step), (step, -step)]
    labels = demand_category_labels(lang)
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


def demand_category_labels(lang: str) -> dict[str, str]:
    """Need category code → its label (data/demand_vocabulary.toml)."""
    from blockcheck.surveys.vocabulary import demand_vocabulary

    return {c.code: (c.label_zh if lang == "zh" else c.label_en) for c in demand_vocabulary().categories}


def priority_class(scores: pd.Series) -> np.ndarray:
    """Index into ``[projects] priority`` of each priority score (NaN → the lowest class)."""
    bounds = [c["min"] for c in settings()["projects"]["priority"]]
    s = pd.to_numeric(scores, errors="coerce").fillna(-np.inf).to_numpy()
    return np.select([s >= b for b in bounds[:-1]], list(range(len(bounds) - 1)), default=len(bounds) - 1)


def draw_projects(ax, projects: pd.DataFrame, *, scale: float = 1.0) -> None:  # noqa: ANN001
    """Project sites by domain (colour) and priority class (marker size, line width)."""
    cfg = settings()["projects"]
    if not len(projects):
        return
    domains = projects["domain"].fillna("").astype(str).to_numpy()
    pclass = priority_class(projects["priority_score"])
    geoms = projects.geometry.to_numpy()
    xy = representative_xy(geoms)
    for domain in pd.unique(domains):
        colour = cfg["domain_colors"].get(domain, cfg["other_color"])
        for i, spec in enumerate(cfg["priority"]):
            mask = (domains == domain) & (pclass == i)
            if not mask.any():
                continue
            add_polygons(ax, geoms[mask], facecolor=colour, alpha=0.35, edgecolor="none", zorder=4)
            add_lines(ax, geoms[mask], edgecolor=colour, linewidth=spec["width"] * scale, zorder=4.5)
            add_points(
                ax,
                xy[mask],
                s=spec["size"] * scale,
                color=colour,
                edgecolors="black",
                linewidths=0.4,
                zorder=6,
                gid=f"project_{domain}_{i}",
            )


def project_handles(projects: pd.DataFrame, *, lang: str, counts: bool = True, scale: float = 1.0) -> tuple[list, list]:
    """Legend entries: the domains present (with counts) and the priority classes present."""
    cfg = settings()["projects"]
    if not len(projects):
        return [], []
    domains = projects["domain"].fillna("").astype(str)
    pclass = priority_class(projects["priority_score"])
    dom = []
    for domain, n in domains.value_counts(sort=False).items():
        label = domain if lang == "zh" else cfg["domain_labels_en"].get(domain, domain)
        dom.append(
            carto.line_handle(
                _count_label(label, int(n), lang) if counts else label,
                marker="o",
                linestyle="none",
                markerfacecolor=cfg["domain_colors"].get(domain, cfg["other_color"]),
                markeredgecolor="black",
                markersize=7,
            )
        )
    pri = [
        carto.line_handle(
            spec[lang],
            marker="o",
            linestyle="none",
            markerfacecolor="#bbbbbb",
            markeredgecolor="black",
            markersize=float(np.sqrt(spec["size"] * scale)),
        )
        for i, spec in enumerate(cfg["priority"])
        if (pclass == i).any()
    ]
    return dom, pri


@_styled
def plot_projects(
    wb: WorkbookData | str | os.PathLike, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):  # noqa: ANN001, ANN201
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
    return spec[lang]


def plot_map(
    wb: WorkbookData | str | os.PathLike, name: str, *, ax=None, lang: str = "zh", credits: carto.Credits | None = None
):  # noqa: ANN001, ANN201
    """Any map of :func:`map_names` by name."""
    wb = as_workbook(wb)
    if name in _FIXED:
        return _FIXED[name](wb, ax=ax, lang=lang, credits=credits)
    spec = metric_maps().get(name)
    if spec is None:
        msg = f"unknown map {name!r}; maps: {', '.join(map_names())}"
        raise BlockcheckError(msg)
    percent = bool(spec.get("percent", False))
    return plot_metric(
        wb.blocks,
        spec["metric"],
        ax=ax,
        good=spec["good"],
        percent=percent,
        lang=lang,
        title=map_title(wb, name, lang),
        legend_title=spec[lang],
        threshold=metric_threshold(wb, spec["metric"], lang=lang, standard=spec.get("standard", ""), percent=percent),
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
