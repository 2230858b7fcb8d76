"""The hearing report: the method note, the key maps, the four steps with the eight lists (图1–图8), the
problem–strategy–project table, the data gaps, the appendix and the standards used.

:func:`export_report` writes ``report.pdf`` (matplotlib's PdfPages, fonts
embedded) and, by default, ``report.html`` next to it (its maps are PNG files
in ``<stem>_files/`` beside it). Both are drawn from one plan,
:func:`blockcheck.report.sections.report_plan`, which decides what each section
prints and every count the report states.

The PDF is built in two passes: the body pages are laid out first (tables are
split into pages by estimated widths, nothing drawn: :func:`report_pages`), so
the page where every section starts is known; then the cover and the contents
— with those page numbers — are written, and the body pages are drawn one by
one (only one page figure is alive at a time). A report made from synthetic
input says so on every page (and at the top of the HTML).
"""

from __future__ import annotations

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)

# isort: split
import functools
import math
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from blockcheck import __version__
from blockcheck.outputs import guard_output
from blockcheck.report import cartography as carto
from blockcheck.report.fonts import glyph_guard
from blockcheck.report.htmlreport import write_html
from blockcheck.report.maps import export_maps, plot_map
from blockcheck.report.pages import (
    LEFT,
    RIGHT,
    ContentsEntry,
    contents_pages,
    contents_per_page,
    landscape,
    paginate,
    part_heading,
    portrait,
    render_table_page,
)
from blockcheck.report.sections import Section, report_plan
from blockcheck.report.settings import check_lang, method_paragraphs, settings, steps, text
from blockcheck.report.textfit import wrap_em
from blockcheck.report.workbook_data import WorkbookData, as_workbook

__all__ = ["export_report", "report_pages"]

PageMaker = Callable[[], Figure]


class _Pager:
    """Numbers pages and adds the footer (credits and page number) to each."""

    def __init__(self, pdf: PdfPages, wb: WorkbookData, lang: str) -> None:
        self.pdf, self.lang, self.page = pdf, lang, 0
        self.credits = carto.Credits.of(wb)

    def save(self, fig: Figure, *, credits: bool = True) -> None:
        """Number and write `fig`; with `credits`, add the credits line and (synthetic data) the notice.

        Maps carry their own credits.
        """
        self.page += 1
        if credits:
            fig.text(LEFT, 0.02, self.credits.line(self.lang), fontsize=6, color="#444444", gid="credits")
            carto.add_page_notice(fig, self.credits, lang=self.lang)
        fig.text(RIGHT, 0.02, text(self.lang, "page", page=self.page), fontsize=7, ha="right", gid="page_number")
        self.pdf.savefig(fig)


def _facts(wb: WorkbookData, lang: str) -> str:
    meta = wb.meta
    return text(
        lang,
        "run_facts",
        input=wb.source_name,
        crs=wb.crs.to_string(),
        profile=meta.get("standards_profile", ""),
        run_at=meta.get("run_at_utc", ""),
        version=__version__,
    )


def _cover(wb: WorkbookData, lang: str) -> Figure:
    fig = portrait()
    fig.text(0.5, 0.78, text(lang, "report_title"), ha="center", fontsize=20, fontweight="bold", gid="title")
    fig.text(0.5, 0.73, text(lang, "report_subtitle", district=wb.district(lang)), ha="center", fontsize=13)
    fig.text(0.5, 0.70, wb.date, ha="center", fontsize=11, color="#444444")
    y = 0.60
    for step in steps(lang):
        fig.text(0.5, y, step.title, ha="center", fontsize=11.5, color="#222222")
        y -= 0.03
    for i, line in enumerate(wrap_em(_facts(wb, lang), 80)):
        fig.text(0.5, 0.30 - i * 0.02, line, ha="center", fontsize=8, color="#444444")
    return fig


def _method(wb: WorkbookData, lang: str, part: str) -> Figure:
    fig = portrait()
    if part:
        part_heading(fig, part)
    fig.text(LEFT, 0.94, text(lang, "method_title"), fontsize=15, fontweight="bold", gid="title", zorder=2)
    y = 0.90
    width_em = (RIGHT - LEFT) * fig.get_size_inches()[0] * 72 / 9.5 - 1
    for paragraph in [*method_paragraphs(lang), _facts(wb, lang)]:
        lines = wrap_em(paragraph, width_em)
        fig.text(LEFT, y, "\n".join(lines), fontsize=9.5, va="top", linespacing=1.6)
        y -= 9.5 * 1.6 / (fig.get_size_inches()[1] * 72) * len(lines) + 0.015
    return fig


def _map_page(wb: WorkbookData, name: str, lang: str, part: str) -> Figure:
    fig = landscape()
    if part:
        fig.text(0.03, 0.965, part, fontsize=11, fontweight="bold", color="#222222", zorder=-2, gid="part_heading")
    ax = fig.add_axes(settings()["figure"]["map_axes"])
    plot_map(wb, name, ax=ax, lang=lang)
    return fig


def report_pages(
    wb: WorkbookData, plan: list[Section], lang: str
) -> tuple[list[tuple[PageMaker, bool]], dict[str, int]]:
    """The body pages of `plan` (after the cover and contents), not drawn yet, and each section's first page (0-based).

    Each page is (maker, credits): calling the maker draws the page; `credits`
    says whether the page needs the report's credits line (maps carry their own).
    """
    pages: list[tuple[PageMaker, bool]] = []
    first: dict[str, int] = {}
    waiting: list[str] = []  # parts whose heading goes on the next page drawn
    part = ""
    for section in plan:
        if section.kind == "part":
            waiting.append(section.key)
            part = section.title
            continue
        for key in [*waiting, section.key]:
            first[key] = len(pages)
        heading = part if waiting else ""
        waiting = []
        if section.kind == "method":
            pages.append((functools.partial(_method, wb, lang, heading), True))
        elif section.kind == "map":
            pages.append((functools.partial(_map_page, wb, section.map_name, lang, heading), False))
        else:
            for page in paginate(section.table, lang, part=heading, kicker=section.kicker):
                pages.append((functools.partial(render_table_page, page), True))
        if section.level == 1:
            part = ""
    return pages, first


def contents_entries(plan: list[Section], first: dict[str, int], lang: str) -> list[ContentsEntry]:
    """The contents of the PDF: one entry per section of `plan`, with the page it starts on (1-based, cover counted)."""
    offset = 1 + max(1, math.ceil(len(plan) / contents_per_page()))  # the cover and the contents pages
    pages = [first.get(s.key) for s in plan]
    for i in range(len(pages) - 2, -1, -1):  # a part without pages of its own: the page of what follows
        if pages[i] is None:
            pages[i] = pages[i + 1]
    return [ContentsEntry(s.entry(lang), s.level, offset + (p or 0) + 1) for s, p in zip(plan, pages, strict=True)]


def export_report(
    workbook: WorkbookData | str | os.PathLike,
    out_pdf: str | os.PathLike,
    *,
    lang: str = "zh",
    html: bool = True,
    coverage: pd.DataFrame | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write the hearing report: `out_pdf` and (with `html`) ``<stem>.html`` plus its maps in ``<stem>_files/``.

    Parameters
    ----------
    workbook
        The workbook (or its path).
    out_pdf
        The PDF to write.
    lang
        ``zh`` or ``en``.
    html
        Also write the HTML page.
    coverage
        The problem–strategy–project frame to print; default: made from the workbook's
        lists (:func:`blockcheck.report.sections.coverage_frame`).

    Returns
    -------
    list of Path
        The files written (PDF first, then the HTML and its PNG maps).
    """
    out = guard_output(out_pdf, overwrite=overwrite)
    if html:
        guard_output(out.with_suffix(".html"), overwrite=overwrite)
    wb, lang = as_workbook(workbook), check_lang(lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    key_maps = list(settings()["report"]["key_maps"])
    plan = report_plan(wb, lang, key_maps=key_maps, coverage=coverage)
    meta = {"Title": text(lang, "report_title"), "Creator": f"blockcheck {__version__}", "CreationDate": None}
    with glyph_guard(), PdfPages(out, metadata=meta) as pdf:
        pages, first = report_pages(wb, plan, lang)
        pager = _Pager(pdf, wb, lang)
        pager.save(_cover(wb, lang))
        for fig in contents_pages(contents_entries(plan, first, lang), lang):
            pager.save(fig)
        for make, credits in pages:
            pager.save(make(), credits=credits)
    written = [out]
    if html:
        files = out.parent / f"{out.stem}_files"
        pngs = [
            p for p in export_maps(wb, files, lang=lang, names=key_maps, overwrite=True) if p.suffix == ".png"
        ]  # its own folder
        for svg in files.glob("*.svg"):
            svg.unlink()  # the HTML shows the PNGs
        written += [
            write_html(wb, plan, lang, {p.stem: p for p in pngs}, _facts(wb, lang), out.with_suffix(".html")),
            *pngs,
        ]
    return written
