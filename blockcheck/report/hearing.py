"""The hearing report: the eight lists in the 图1–图8 layout, the key maps, a method note, the data gaps and the standards used.

:func:`export_report` writes ``report.pdf`` (matplotlib's PdfPages, fonts
embedded) and, by default, ``report.html`` next to it, written with the
standard library only (``string.Template`` and ``html.escape``); its maps are
PNG files in ``<stem>_files/`` beside it. After the eight lists come the
data-gap list (what the input lacks; missing data is not a finding) and the
standards used, grouped by grade. A report made from synthetic input says so
on every page (and at the top of the HTML).
"""

from __future__ import annotations

from . import _mpl  # noqa: F401  (first: quiet matplotlib import)

import html
import os
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import matplotlib.lines as mlines
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .. import __version__
from . import cartography as carto
from .fonts import glyph_guard
from .maps import export_maps, plot_map
from .settings import check_lang, settings, text
from .tables import ListTable, area_counts, data_gaps_table, hearing_tables, list_title, standards_sections
from .textfit import wrap_em
from .workbook_data import EIGHT_LISTS, WorkbookData, as_workbook

__all__ = ["export_report"]

_LEFT, _RIGHT, _TOP, _BOTTOM = 0.06, 0.95, 0.91, 0.06
_FONT, _LINE = 7.0, 0.0118  # table font (pt) and line height (figure fraction)


def _portrait() -> Figure:
    return Figure(figsize=settings()["figure"]["page_size_in"])


def _landscape() -> Figure:
    w, h = settings()["figure"]["page_size_in"]
    return Figure(figsize=(h, w))


class _Pager:
    """Numbers pages and adds the footer (credits and page number) to each."""

    def __init__(self, pdf: PdfPages, wb: WorkbookData, lang: str) -> None:
        self.pdf, self.lang, self.page = pdf, lang, 0
        self.credits = carto.Credits.of(wb)

    def save(self, fig: Figure, *, credits: bool = True) -> None:
        """Number and write `fig`; with `credits`, add the credits line and (synthetic data) the notice (maps carry their own)."""
        self.page += 1
        if credits:
            fig.text(_LEFT, 0.02, self.credits.line(self.lang), fontsize=6, color="#444444", gid="credits")
            carto.add_page_notice(fig, self.credits, lang=self.lang)
        fig.text(_RIGHT, 0.02, text(self.lang, "page", page=self.page), fontsize=7, ha="right", gid="page_number")
        self.pdf.savefig(fig)


def _cover(wb: WorkbookData, lang: str) -> Figure:
    fig = _portrait()
    fig.text(0.5, 0.78, text(lang, "report_title"), ha="center", fontsize=20, fontweight="bold", gid="title")
    fig.text(0.5, 0.73, text(lang, "report_subtitle", district=wb.district(lang)), ha="center", fontsize=13)
    fig.text(0.5, 0.70, wb.date, ha="center", fontsize=11, color="#444444")
    fig.text(0.30, 0.62, text(lang, "contents"), fontsize=12, fontweight="bold")
    counts = area_counts(wb)
    gaps = data_gaps_table(wb, lang)
    counted = [*((list_title(n, lang), counts[n]) for n in EIGHT_LISTS), (gaps.title, len(gaps.frame))]
    entries = [text(lang, "method_title"), text(lang, "maps_title"),
               *(f"{title}（{n:,}）" if lang == "zh" else f"{title} ({n:,})" for title, n in counted), text(lang, "standards_title")]
    for i, entry in enumerate(entries):
        fig.text(0.32, 0.59 - i * 0.026, entry, fontsize=10.5)
    return fig


def _method(wb: WorkbookData, lang: str) -> Figure:
    fig = _portrait()
    fig.text(_LEFT, 0.94, text(lang, "method_title"), fontsize=15, fontweight="bold", gid="title")
    y = 0.90
    width_em = (_RIGHT - _LEFT) * fig.get_size_inches()[0] * 72 / 9.5 - 1
    meta = wb.meta
    facts = text(lang, "run_facts", input=wb.source_name, crs=wb.crs.to_string(), profile=meta.get("standards_profile", ""),
                 run_at=meta.get("run_at_utc", ""), version=__version__)
    for paragraph in [*settings()["method"][lang], facts]:
        lines = wrap_em(paragraph, width_em)
        fig.text(_LEFT, y, "\n".join(lines), fontsize=9.5, va="top", linespacing=1.6)
        y -= 9.5 * 1.6 / (fig.get_size_inches()[1] * 72) * len(lines) + 0.015
    return fig


def _map_page(wb: WorkbookData, name: str, lang: str) -> Figure:
    fig = _landscape()
    ax = fig.add_axes(settings()["figure"]["map_axes"])
    plot_map(wb, name, ax=ax, lang=lang)
    return fig


def _table_pages(title: str, frame: pd.DataFrame, widths: tuple[float, ...], lang: str, note: str = "") -> Iterator[Figure]:
    """Pages of one table: a title, a `note` (first page), a header row and wrapped cells; rows never split across pages."""
    page_w = _portrait().get_size_inches()[0] * 72
    total = sum(widths)
    xs = [_LEFT]
    for w in widths:
        xs.append(xs[-1] + (_RIGHT - _LEFT) * w / total)
    ems = [(xs[i + 1] - xs[i]) * page_w / _FONT - 1.2 for i in range(len(widths))]
    header = [wrap_em(c, ems[i], 2) for i, c in enumerate(frame.columns)]
    rows = [[wrap_em(v, ems[i], 6) for i, v in enumerate(r)] for r in frame.itertuples(index=False)]
    if not rows:
        rows = [[[text(lang, "none")]] + [[""]] * (len(widths) - 1)]
    part, i = 0, 0
    while i < len(rows):
        part += 1
        fig = _portrait()
        fig.text(_LEFT, 0.94, title if part == 1 else f"{title}（续）" if lang == "zh" else f"{title} (continued)",
                 fontsize=14, fontweight="bold", gid="title")
        y = _TOP
        if note and part == 1:
            lines = wrap_em(note, (_RIGHT - _LEFT) * page_w / 8.5 - 1)
            fig.text(_LEFT, y, "\n".join(lines), fontsize=8.5, va="top", linespacing=1.4, gid="table_note")
            y -= len(lines) * 8.5 * 1.4 / (_portrait().get_size_inches()[1] * 72) + 0.012
        fig.add_artist(mlines.Line2D([_LEFT, _RIGHT], [y, y], linewidth=1.0, color="black"))
        height = max(len(h) for h in header) * _LINE + 0.006
        for x, cell in zip(xs, header, strict=False):
            fig.text(x + 0.003, y - 0.003, "\n".join(cell), fontsize=_FONT, fontweight="bold", va="top", linespacing=1.3, gid="table_header")
        y -= height
        fig.add_artist(mlines.Line2D([_LEFT, _RIGHT], [y, y], linewidth=0.8, color="black"))
        while i < len(rows):
            height = max(len(c) for c in rows[i]) * _LINE + 0.006
            if y - height < _BOTTOM:
                break
            for x, cell in zip(xs, rows[i], strict=False):
                fig.text(x + 0.003, y - 0.003, "\n".join(cell), fontsize=_FONT, va="top", linespacing=1.3)
            y -= height
            fig.add_artist(mlines.Line2D([_LEFT, _RIGHT], [y, y], linewidth=0.25, color="#888888"))
            i += 1
        yield fig


def _html(wb: WorkbookData, lang: str, maps: list[Path], out_html: Path) -> Path:
    esc = html.escape
    lists = hearing_tables(wb, lang)
    notice = wb.notice(lang)

    def table(frame: pd.DataFrame) -> str:
        head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
        body = "\n".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"

    figures = "\n".join(
        f'<figure><img src="{esc(p.relative_to(out_html.parent).as_posix())}" alt="{esc(p.stem)}"></figure>' for p in maps
    )

    def section(t: ListTable, level: int = 2) -> str:
        note = f'<p class="note">{esc(t.note)}</p>\n' if t.note else ""
        return f'<section id="{t.name}"><h{level}>{esc(t.title)}</h{level}>\n{note}{table(t.frame)}\n</section>'

    sections = "\n".join(section(t) for t in lists)
    standards = standards_sections(wb, lang)
    meta = wb.meta
    facts = text(lang, "run_facts", input=wb.source_name, crs=wb.crs.to_string(), profile=meta.get("standards_profile", ""),
                 run_at=meta.get("run_at_utc", ""), version=__version__)
    page = _PAGE.substitute(
        lang="zh-CN" if lang == "zh" else "en",
        title=esc(text(lang, "report_title")),
        subtitle=esc(text(lang, "report_subtitle", district=wb.district(lang))),
        date=esc(wb.date),
        method_title=esc(text(lang, "method_title")),
        method="\n".join(f"<p>{esc(p)}</p>" for p in [*settings()["method"][lang], facts]),
        maps_title=esc(text(lang, "html_maps")),
        figures=figures,
        lists_title=esc(text(lang, "html_lists")),
        sections=sections,
        data_gaps=section(data_gaps_table(wb, lang)),
        standards_title=esc(text(lang, "standards_title")),
        standards="\n".join(section(t, 3) for t in standards),
        credits=esc(carto.Credits.of(wb).line(lang)),
        banner=f'<p class="synthetic" id="synthetic_notice">{esc(notice)}</p>' if notice else "",
        footer_notice=f" · <strong>{esc(notice)}</strong>" if notice else "",
    )
    out_html.write_text(page, encoding="utf-8")
    return out_html


_PAGE = string.Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { margin-bottom: 0.2em; } .subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 2em; font-size: 0.85em; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #333; background: #f4f4f4; }
figure { margin: 1em 0; } img { max-width: 100%; border: 1px solid #ddd; }
footer { color: #555; font-size: 0.8em; margin-top: 3em; }
.synthetic { display: inline-block; background: #b2182b; color: #fff; font-weight: bold; padding: 0.2em 0.6em; }
.note { color: #444; }
</style>
</head>
<body>
$banner
<h1>$title</h1>
<p class="subtitle">$subtitle · $date</p>
<section id="method"><h2>$method_title</h2>
$method
</section>
<section id="maps"><h2>$maps_title</h2>
$figures
</section>
<h2>$lists_title</h2>
$sections
$data_gaps
<section id="standards"><h2>$standards_title</h2>
$standards
</section>
<footer>$credits$footer_notice</footer>
</body>
</html>
""")


def export_report(workbook: WorkbookData | str | os.PathLike, out_pdf: str | os.PathLike, *, lang: str = "zh",
                  html: bool = True) -> list[Path]:
    """Write the hearing report: `out_pdf` and (with `html`) ``<stem>.html`` plus its maps in ``<stem>_files/``.

    Returns the files written (PDF first, then the HTML and its PNG maps).
    """
    wb, lang = as_workbook(workbook), check_lang(lang)
    out = Path(out_pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    key_maps = settings()["report"]["key_maps"]
    meta = {"Title": text(lang, "report_title"), "Creator": f"blockcheck {__version__}", "CreationDate": None}
    with glyph_guard(), PdfPages(out, metadata=meta) as pdf:
        pager = _Pager(pdf, wb, lang)
        pager.save(_cover(wb, lang))
        pager.save(_method(wb, lang))
        for name in key_maps:
            pager.save(_map_page(wb, name, lang), credits=False)  # maps carry their own credits
        standards = standards_sections(wb, lang)
        standards[0] = replace(standards[0], title=f"{text(lang, 'standards_title')} · {standards[0].title}")
        for table in [*hearing_tables(wb, lang), data_gaps_table(wb, lang), *standards]:
            for fig in _table_pages(table.title, table.frame, table.widths, lang, table.note):
                pager.save(fig)
    written = [out]
    if html:
        files = out.parent / f"{out.stem}_files"
        pngs = [p for p in export_maps(wb, files, lang=lang, names=key_maps) if p.suffix == ".png"]
        for svg in files.glob("*.svg"):
            svg.unlink()  # the HTML shows the PNGs
        written += [_html(wb, lang, pngs, out.with_suffix(".html")), *pngs]
    return written
