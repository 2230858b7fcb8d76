"""The block atlas: cover, district overview, then one page per block.

A block page shows the block map (the block, its neighbours, roads and green,
its resources by category and its projects by domain and priority), its
problems beside the map, a line counting its data gaps (its own and the
area-wide ones of the data-gap list), and a table summarising its eight lists
(图1–图8) under the four steps of the method, named as the method names them
(第一步 体检评估找问题 …). The cover counts the rows of every list of the
workbook, step by step. Every page of an atlas made from synthetic input
carries the "示例数据（虚构）" / "synthetic sample data" label.

For speed (≥ 1,500 blocks in minutes) one page figure is built once and
re-used: per block only the map axes is redrawn and the texts are replaced.
Context features are found with STRtree window queries, and every group of
features is one artist (see :mod:`blockcheck.report.paths`).
"""

from __future__ import annotations

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)

# isort: split
import math
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.lines
import matplotlib.patches
import shapely
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from blockcheck import __version__
from blockcheck.lists.schema import list_table
from blockcheck.outputs import guard_output
from blockcheck.progress import Progress, reporter
from blockcheck.report import cartography as carto
from blockcheck.report.features import draw_projects, draw_resources, project_handles, resource_handles
from blockcheck.report.fonts import glyph_guard
from blockcheck.report.maps import plot_overview
from blockcheck.report.paths import add_lines, add_polygons
from blockcheck.report.settings import check_lang, settings, steps, text
from blockcheck.report.tables import area_counts, block_facts, block_summary, list_title
from blockcheck.report.textfit import wrap_em
from blockcheck.report.workbook_data import EIGHT_LISTS, WorkbookData, as_workbook, block_index

__all__ = ["FIXED_PAGES", "export_atlas", "render_block_page"]

#: Pages before the block pages: cover and district overview.
FIXED_PAGES = 2

_MAP_RECT = (0.06, 0.40, 0.60, 0.495)
_SIDE_X = 0.69
_TABLE_TOP, _ROW_H = 0.345, 0.0335
_COLS = (0.06, 0.17, 0.32, 0.37, 0.95)  # step | list | rows | contents | right edge
_FONT = 7.0
_CONTENT_LINES = 2  # lines of contents per list in the block table
_MAX_PROBLEMS = 12  # problems listed beside the map (the table row has them all, clipped)


def _page() -> Figure:
    return Figure(figsize=settings()["figure"]["page_size_in"])


def _footer(fig: Figure, wb: WorkbookData, lang: str) -> tuple:
    """Credits line and page number (and, for synthetic data, the notice label at the top right)."""
    credits = carto.Credits.of(wb)
    line = fig.text(0.06, 0.018, credits.line(lang), fontsize=6, color="#444444", gid="credits")
    number = fig.text(0.95, 0.018, "", fontsize=7, ha="right", gid="page_number")
    carto.add_page_notice(fig, credits, lang=lang, y=0.98)
    return line, number


def _cover(wb: WorkbookData, lang: str) -> Figure:
    fig = _page()
    fig.text(0.5, 0.80, text(lang, "atlas_title"), ha="center", fontsize=20, fontweight="bold", gid="title")
    fig.text(
        0.5,
        0.75,
        text(lang, "atlas_subtitle", district=wb.district(lang), blocks=len(wb.blocks)),
        ha="center",
        fontsize=13,
    )
    fig.text(0.5, 0.72, wb.date, ha="center", fontsize=11, color="#444444")
    counts = area_counts(wb)
    y = 0.65
    for step in steps(lang):
        fig.text(0.26, y, step.title, fontsize=11, fontweight="bold", gid="step")
        y -= 0.026
        for name in step.lists:
            fig.text(0.30, y, list_title(name, lang), fontsize=10.5)
            fig.text(0.74, y, f"{counts[name]:,}", fontsize=10.5, ha="right")
            y -= 0.024
        y -= 0.006
    gaps = list_table("data_gaps")
    fig.text(0.26, y, gaps.title_zh if lang == "zh" else gaps.title_en, fontsize=11, fontweight="bold")
    fig.text(0.74, y, f"{len(wb.data_gaps):,}", fontsize=10.5, ha="right")
    meta = wb.meta
    facts = text(
        lang,
        "run_facts",
        input=wb.source_name,
        crs=wb.crs.to_string(),
        profile=meta.get("standards_profile", ""),
        run_at=meta.get("run_at_utc", ""),
        version=__version__,
    )
    for i, line in enumerate(wrap_em(facts, 80)):
        fig.text(0.5, 0.20 - i * 0.02, line, ha="center", fontsize=8, color="#444444")
    _footer(fig, wb, lang)[1].set_text(text(lang, "page", page=1))
    return fig


def _overview(wb: WorkbookData, lang: str) -> Figure:
    fig = _page()
    ax = fig.add_axes((0.06, 0.22, 0.62, 0.68))
    plot_overview(wb, ax=ax, lang=lang)  # has its own credits line
    fig.text(0.95, 0.018, text(lang, "page", page=2), fontsize=7, ha="right", gid="page_number")
    return fig


class _BlockPage:
    """One re-used page figure; :meth:`show` redraws it for a block."""

    def __init__(self, wb: WorkbookData, lang: str) -> None:
        self.wb, self.lang = wb, lang
        self.cfg = settings()
        self.fig = _page()
        fig = self.fig
        self.title = fig.text(0.06, 0.955, "", fontsize=15, fontweight="bold", gid="title")
        self.facts = fig.text(0.06, 0.93, "", fontsize=8.5, color="#333333")
        self.gaps = fig.text(0.06, 0.911, "", fontsize=8, color="#333333", gid="block_data_gaps")
        self.ax = fig.add_axes(_MAP_RECT)
        self.problems_head = fig.text(
            _SIDE_X,
            _MAP_RECT[1] + _MAP_RECT[3] - 0.005,
            "",
            fontsize=9,
            fontweight="bold",
            va="top",
            color=self.cfg["colors"]["highlight_edge"],
        )
        self.problems = fig.text(
            _SIDE_X,
            _MAP_RECT[1] + _MAP_RECT[3] - 0.025,
            "",
            fontsize=7,
            va="top",
            linespacing=1.35,
            gid="block_problems",
        )
        self._legend()
        self._table()
        _, self.number = _footer(fig, wb, lang)
        # data, indexed once
        self.summary = block_summary(wb, lang)
        self.facts_table = block_facts(wb)
        self.res = wb.lists["resource_list"]
        self.prj = wb.lists["project_list"]
        self.res_at, self.prj_at = block_index(self.res), block_index(self.prj)
        self.block_geoms = wb.blocks.geometry.to_numpy()
        self.block_tree = shapely.STRtree(self.block_geoms)
        self.context = {k: (v, shapely.STRtree(v.geometry.to_numpy())) for k, v in wb.context.items()}
        self.block_pos = {b: i for i, b in enumerate(wb.block_ids())}

    def _legend(self) -> None:
        """A legend of plain patches and texts, drawn once (much cheaper per page than matplotlib's Legend)."""
        lang, wb = self.lang, self.wb
        colors = self.cfg["colors"]
        dom, pri = project_handles(wb.lists["project_list"], lang=lang, counts=False)
        base = [
            carto.patch_handle(
                text(lang, "blocks"), facecolor=colors["block_fill"], edgecolor=colors["highlight_edge"], linewidth=1.5
            )
        ]
        if "green" in wb.context:
            base.append(carto.patch_handle(text(lang, "green_legend"), facecolor=colors["green"]))
        groups = (
            (text(lang, "block_resources"), resource_handles(wb.lists["resource_list"], lang=lang, counts=False)),
            (text(lang, "block_projects"), dom + pri),
            ("", base),
        )
        y, step, fig = 0.655, 0.0118, self.fig
        for title, handles in groups:
            if not handles:
                continue
            if title:
                fig.text(_SIDE_X, y, title, fontsize=7.5, fontweight="bold", va="center", gid="legend")
                y -= step
            for handle in handles:
                if isinstance(handle, mpl.patches.Patch):
                    fig.add_artist(
                        mpl.patches.Rectangle(
                            (_SIDE_X, y - 0.0045),
                            0.022,
                            0.009,
                            transform=fig.transFigure,
                            facecolor=handle.get_facecolor(),
                            edgecolor=handle.get_edgecolor(),
                            hatch=handle.get_hatch(),
                            linewidth=handle.get_linewidth(),
                        )
                    )
                else:
                    fig.add_artist(
                        mpl.lines.Line2D(
                            [_SIDE_X + 0.011],
                            [y],
                            transform=fig.transFigure,
                            marker=handle.get_marker(),
                            markersize=handle.get_markersize(),
                            markerfacecolor=handle.get_markerfacecolor(),
                            markeredgecolor=handle.get_markeredgecolor(),
                            linestyle="none",
                        )
                    )
                fig.text(_SIDE_X + 0.03, y, handle.get_label(), fontsize=6.5, va="center", gid="legend")
                y -= step
            y -= step * 0.4

    def _table(self) -> None:
        """The eight lists under the four steps: step | list | rows | contents (the step spans its two lists)."""
        fig, lang = self.fig, self.lang
        heads = self.cfg["text"][lang]["list_table_head"]
        top = _TABLE_TOP
        for x, head in zip(_COLS[:4], heads, strict=True):
            fig.text(x + 0.004, top - _ROW_H * 0.5, head, fontsize=_FONT + 0.5, fontweight="bold", va="center")
        self.counts, self.contents = [], []
        step_em = (_COLS[1] - _COLS[0]) * fig.get_size_inches()[0] * 72 / (_FONT - 0.5) - 1
        row = 0
        for step in steps(lang):
            middle = top - _ROW_H * (row + 1 + len(step.lists) / 2)
            label = "\n".join([step.ordinal, *wrap_em(step.name, step_em, 3)])
            fig.text(
                _COLS[0] + 0.004,
                middle,
                label,
                fontsize=_FONT - 0.5,
                va="center",
                linespacing=1.2,
                gid="step",
                color="#333333",
            )
            for name in step.lists:
                y = top - _ROW_H * (row + 1.5)
                fig.text(_COLS[1] + 0.004, y, list_title(name, lang), fontsize=_FONT, va="center")
                self.counts.append(fig.text(_COLS[3] - 0.008, y, "", fontsize=_FONT, va="center", ha="right"))
                self.contents.append(fig.text(_COLS[3] + 0.006, y, "", fontsize=_FONT, va="center", linespacing=1.25))
                row += 1
            y = top - _ROW_H * (row + 1)
            if row < len(EIGHT_LISTS):
                fig.add_artist(mpl.lines.Line2D([_COLS[0], _COLS[4]], [y, y], linewidth=0.6, color="black"))
        ys = [top - _ROW_H * k for k in range(len(EIGHT_LISTS) + 2)]
        fig.add_artist(mpl.lines.Line2D([_COLS[0], _COLS[4]], [ys[0], ys[0]], linewidth=1.0, color="black"))
        for k, y in enumerate(ys[1:], start=1):
            x0 = _COLS[0] if k in (1, len(ys) - 1) or k % 2 else _COLS[1]  # the step cell spans its two rows
            fig.add_artist(
                mpl.lines.Line2D([x0, _COLS[4]], [y, y], linewidth=1.0 if k in (1, len(ys) - 1) else 0.3, color="black")
            )
        self.table_width_em = (_COLS[4] - _COLS[3]) * fig.get_size_inches()[0] * 72 / _FONT - 1

    def show(self, block_id: str, page: int) -> None:
        lang = self.lang
        f = self.facts_table.loc[block_id]
        self.title.set_text(text(lang, "block_page", block_id=block_id, name=_txt(f["name"])))
        self.facts.set_text(
            text(
                lang,
                "block_facts",
                subdistrict=_txt(f["subdistrict"]),
                area_ha=_num(f["area_ha"]),
                population=_num(f["population"]),
                job_housing=_num(f["job_housing_ratio"]),
            )
        )
        own, area = self.wb.block_data_gaps(block_id)
        self.gaps.set_text(
            text(lang, "block_data_gaps", n=own + area, own=own, area=area)
            if own + area
            else text(lang, "block_data_gaps_none")
        )
        row = self.summary.loc[block_id]
        n = int(row["n_problem_list"])
        self.problems_head.set_text(text(lang, "block_problems", n=n))
        names = [] if n == 0 else str(row["text_problem_list"]).split("、" if lang == "zh" else "; ")
        lines = [
            f"{i}. {line}" for i, name in enumerate(names[:_MAX_PROBLEMS], start=1) for line in wrap_em(name, 24, 1)
        ]
        if len(names) > _MAX_PROBLEMS:
            lines.append(text(lang, "more", n=len(names) - _MAX_PROBLEMS))
        self.problems.set_text("\n".join(lines))
        for name, count, content in zip(EIGHT_LISTS, self.counts, self.contents, strict=True):
            count.set_text(f"{int(row[f'n_{name}']):,}")
            content.set_text("\n".join(wrap_em(row[f"text_{name}"], self.table_width_em, _CONTENT_LINES)))
        self.number.set_text(text(lang, "page", page=page))
        self._map(block_id)

    def _map(self, block_id: str) -> None:
        ax, colors, lang = self.ax, self.cfg["colors"], self.lang
        ax.cla()
        geom = self.block_geoms[self.block_pos[block_id]]
        carto.fit_extent(ax, tuple(shapely.bounds(geom)), margin=0.10)
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        window = shapely.box(x0, y0, x1, y1)
        near = self.block_geoms[self.block_tree.query(window)]
        add_polygons(ax, near, facecolor=colors["neighbour_fill"], edgecolor="none", zorder=0)
        add_polygons(ax, [geom], facecolor=colors["block_fill"], edgecolor="none", zorder=0.5)
        for name, (frame, tree) in self.context.items():
            hits = tree.query(window)
            if not len(hits):
                continue
            geoms = frame.geometry.to_numpy()[hits]
            if name == "green":
                add_polygons(ax, geoms, facecolor=colors["green"], edgecolor="none", zorder=1)
            else:
                add_lines(ax, geoms, edgecolor=colors["road"], linewidth=0.6, zorder=2)
        if block_id in self.res_at:
            draw_resources(ax, self.res.iloc[self.res_at[block_id]])
        if block_id in self.prj_at:
            draw_projects(ax, self.prj.iloc[self.prj_at[block_id]])
        add_lines(ax, near, edgecolor="#9a9a9a", linewidth=0.6, zorder=5)
        add_lines(ax, [geom], edgecolor=colors["highlight_edge"], linewidth=1.8, zorder=9, gid="block_outline")
        carto.add_scale_bar(ax, lang=lang)
        carto.add_north_arrow(ax, self.wb.crs, lang=lang)


def _txt(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _num(value: object) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return v


def export_atlas(
    workbook: WorkbookData | str | os.PathLike,
    out_pdf: str | os.PathLike,
    *,
    lang: str = "zh",
    blocks: list[str] | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the atlas PDF: cover, district overview, one page per block (`blocks`: a subset, in that order).

    Pages = :data:`FIXED_PAGES` + number of blocks. Fonts are embedded (see
    :mod:`blockcheck.report.fonts`); a missing glyph raises MissingGlyphError.
    """
    out = guard_output(out_pdf, overwrite=overwrite)
    wb, lang = as_workbook(workbook), check_lang(lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    ids = blocks if blocks is not None else wb.block_ids()
    say = reporter(progress)
    meta = {"Title": text(lang, "atlas_title"), "Creator": f"blockcheck {__version__}", "CreationDate": None}
    with glyph_guard(), PdfPages(out, metadata=meta) as pdf:
        pdf.savefig(_cover(wb, lang))
        pdf.savefig(_overview(wb, lang))
        page = _BlockPage(wb, lang)
        for i, block_id in enumerate(ids):
            page.show(str(block_id), FIXED_PAGES + i + 1)
            pdf.savefig(page.fig)
            if i % 25 == 0:
                say(i / max(len(ids), 1), f"atlas page {FIXED_PAGES + i + 1}")
    say(1.0, "atlas written")
    return out


def render_block_page(
    workbook: WorkbookData | str | os.PathLike,
    block_id: str,
    out_png: str | os.PathLike,
    *,
    lang: str = "zh",
    dpi: int = 110,
) -> Path:
    """One block page of the atlas as a PNG (for documents and previews)."""
    wb, lang = as_workbook(workbook), check_lang(lang)
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    with glyph_guard():
        page = _BlockPage(wb, lang)
        page.show(str(block_id), FIXED_PAGES + wb.block_ids().index(str(block_id)) + 1)
        page.fig.savefig(out, dpi=dpi, metadata={"Software": None})
    return out
