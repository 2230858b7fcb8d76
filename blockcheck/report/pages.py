"""Pages of the hearing report PDF: tables laid out before they are drawn, the contents, the cover.

Laying out is separate from drawing so the report can be built in two passes
(see :mod:`blockcheck.report.hearing`): :func:`paginate` splits a table into
:class:`TablePage` plans by estimated text widths (no rendering), the page
numbers of every section are then known, the contents are written
(:func:`contents_pages`), and only then are the pages drawn one by one.

Tables never break a code, id or number across lines: every column is made at
least as wide as its widest unbreakable unit, shrinking the table's font when
the page is too narrow (:func:`blockcheck.report.textfit.fit_widths`). A group
column (图1 类型, 图5 策略类型) shows its value once per run of rows, again at
the top of each page, with a heavier rule between groups.

The first page of a part (a step of the method, the maps, the appendix, the
standards) carries the part's heading above the section title; the other pages
of a step carry the step as a small running header, drawn after the title, so
the text of every page starts with what its contents entry says.
"""

from __future__ import annotations

from blockcheck.report import _mpl  # noqa: F401  (first: quiet matplotlib import)

# isort: split
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.lines as mlines
from matplotlib.figure import Figure

from blockcheck.report.settings import settings, text
from blockcheck.report.tables import ListTable
from blockcheck.report.textfit import em_width, fit_widths, longest_unit, wrap_em

__all__ = [
    "ContentsEntry",
    "TablePage",
    "contents_pages",
    "contents_per_page",
    "landscape",
    "paginate",
    "part_heading",
    "portrait",
    "render_table_page",
    "running_header",
]

LEFT, RIGHT, TOP, BOTTOM = 0.06, 0.95, 0.91, 0.06
_FONT = 7.0  # table font (pt) when the columns fit
_LINE = 1.42  # line height / font size (linespacing 1.3 of the CJK font's line)
_MAX_CELL_LINES = 6
_CONTENTS_TOP, _CONTENTS_BOTTOM, _CONTENTS_STEP = 0.88, 0.07, 0.0215


def portrait() -> Figure:
    """An empty A4 portrait page."""
    return Figure(figsize=settings()["figure"]["page_size_in"])


def landscape() -> Figure:
    """An empty A4 landscape page."""
    w, h = settings()["figure"]["page_size_in"]
    return Figure(figsize=(h, w))


def _page_pt() -> tuple[float, float]:
    w, h = settings()["figure"]["page_size_in"]
    return w * 72, h * 72


def part_heading(fig: Figure, title: str, *, y: float = 0.968) -> None:
    """The heading of a part above the first section title of the part (drawn first)."""
    fig.text(LEFT, y, title, fontsize=11, fontweight="bold", color="#222222", zorder=1, gid="part_heading")


def running_header(fig: Figure, title: str) -> None:
    """The step a page belongs to, small, at the top left (drawn after the page title)."""
    fig.text(LEFT, 0.968, title, fontsize=7.5, color="#666666", zorder=4, gid="running_header")


@dataclass
class TablePage:
    """One page of a table, laid out: which rows, already wrapped into lines."""

    title: str
    xs: list[float]  # left edge of each column and the right edge (figure fraction)
    font: float
    header: list[list[str]]
    rows: list[list[list[str]]]  # row → cell → lines
    group_starts: list[bool]  # per row: a new group begins here (a heavier rule above it)
    note: list[str] = field(default_factory=list)  # lines of the note (first page only)
    part: str = ""  # heading of the part this page opens
    kicker: str = ""  # running header (the step)


def _note_lines(note: str) -> list[str]:
    return wrap_em(note, (RIGHT - LEFT) * _page_pt()[0] / 8.5 - 1) if note else []


def _cells(table: ListTable, lang: str) -> tuple[list[float], float, list[list[str]], list[list[list[str]]]]:
    """Column edges, font, wrapped header and wrapped rows of `table`, every unit fitting its column."""
    frame = table.frame
    texts = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
    if not texts:
        texts = [[text(lang, "none")] + [""] * (len(frame.columns) - 1)]
    heads = [str(c) for c in frame.columns]
    needs = [max([longest_unit(heads[i]), *(longest_unit(r[i]) for r in texts)]) for i in range(len(heads))]
    width_pt = (RIGHT - LEFT) * _page_pt()[0]
    widths, font = fit_widths(list(table.widths), needs, width_pt, _FONT)
    xs = [LEFT]
    for w in widths:
        xs.append(xs[-1] + w / _page_pt()[0])
    ems = [w / font - 1.2 for w in widths]
    header = [wrap_em(h, ems[i], 4) for i, h in enumerate(heads)]
    rows = [[wrap_em(v, ems[i], _MAX_CELL_LINES) for i, v in enumerate(r)] for r in texts]
    return xs, font, header, rows


def paginate(table: ListTable, lang: str, *, part: str = "", kicker: str = "") -> list[TablePage]:
    """Lay `table` out on pages (rows never split across pages); nothing is drawn."""
    xs, font, header, rows = _cells(table, lang)
    page_h = _page_pt()[1]
    line = font * _LINE / page_h
    head_h = max(len(h) for h in header) * line + 0.006
    values = [r[table.group] if table.group >= 0 else "" for r in table.frame.itertuples(index=False)] or [""]
    starts = [table.group >= 0 and (i == 0 or values[i] != values[i - 1]) for i in range(len(rows))]
    pages: list[TablePage] = []
    i = 0
    while i < len(rows) or not pages:
        first = not pages
        note = _note_lines(table.note) if first else []
        y = TOP - (len(note) * 8.5 * 1.4 / page_h + 0.012 if note else 0.0) - head_h
        page = TablePage(
            table.title if first else text(lang, "continued", title=table.title),
            xs,
            font,
            header,
            [],
            [],
            note,
            part if first else "",
            kicker,
        )
        while i < len(rows):
            height = max(len(c) for c in rows[i]) * line + 0.006
            if y - height < BOTTOM and page.rows:
                break
            cells = list(rows[i])
            if table.group >= 0 and not starts[i] and page.rows:
                cells[table.group] = [""]  # shown once per group (again at the top of a page)
                height = max(len(c) for c in cells) * line + 0.006
            page.rows.append(cells)
            page.group_starts.append(starts[i])
            y -= height
            i += 1
        pages.append(page)
    return pages


def render_table_page(page: TablePage) -> Figure:
    """Draw one laid-out table page."""
    fig = portrait()
    page_h = _page_pt()[1]
    if page.part:
        part_heading(fig, page.part)
    fig.text(LEFT, 0.94, page.title, fontsize=14, fontweight="bold", gid="title", zorder=2)
    if page.kicker and not page.part:
        running_header(fig, page.kicker)
    y = TOP
    if page.note:
        fig.text(LEFT, y, "\n".join(page.note), fontsize=8.5, va="top", linespacing=1.4, gid="table_note")
        y -= len(page.note) * 8.5 * 1.4 / page_h + 0.012
    line = page.font * _LINE / page_h
    fig.add_artist(mlines.Line2D([LEFT, RIGHT], [y, y], linewidth=1.0, color="black"))
    for x, cell in zip(page.xs, page.header, strict=False):
        fig.text(
            x + 0.003,
            y - 0.003,
            "\n".join(cell),
            fontsize=page.font,
            fontweight="bold",
            va="top",
            linespacing=1.3,
            gid="table_header",
        )
    y -= max(len(h) for h in page.header) * line + 0.006
    fig.add_artist(mlines.Line2D([LEFT, RIGHT], [y, y], linewidth=0.8, color="black"))
    for k, (cells, start) in enumerate(zip(page.rows, page.group_starts, strict=True)):
        if start and k:
            fig.add_artist(mlines.Line2D([LEFT, RIGHT], [y, y], linewidth=0.7, color="#333333"))
        for x, cell in zip(page.xs, cells, strict=False):
            fig.text(
                x + 0.003, y - 0.003, "\n".join(cell), fontsize=page.font, va="top", linespacing=1.3, gid="table_cell"
            )
        y -= max(len(c) for c in cells) * line + 0.006
        fig.add_artist(mlines.Line2D([LEFT, RIGHT], [y, y], linewidth=0.25, color="#888888"))
    return fig


@dataclass(frozen=True)
class ContentsEntry:
    """A line of the contents: its text, level (1 part, 2 section) and page number."""

    title: str
    level: int
    page: int


def contents_per_page() -> int:
    """Entries that fit on one contents page."""
    return int((_CONTENTS_TOP - _CONTENTS_BOTTOM) / _CONTENTS_STEP)


def contents_pages(entries: Sequence[ContentsEntry], lang: str) -> list[Figure]:
    """The contents: one line per entry with a dotted leader to its page number."""
    per_page = contents_per_page()
    page_w = _page_pt()[0]
    figs = []
    for p in range(max(1, math.ceil(len(entries) / per_page))):
        fig = portrait()
        title = text(lang, "contents") if p == 0 else text(lang, "continued", title=text(lang, "contents"))
        fig.text(LEFT + 0.04, 0.94, title, fontsize=15, fontweight="bold", gid="title", zorder=2)
        for i, entry in enumerate(entries[p * per_page : (p + 1) * per_page]):
            y = _CONTENTS_TOP - i * _CONTENTS_STEP
            x, size = (0.10, 10.5) if entry.level == 1 else (0.14, 9.5)
            label = wrap_em(entry.title, (0.84 - x) * page_w / size, 1)[0]
            fig.text(
                x,
                y,
                label,
                fontsize=size,
                fontweight="bold" if entry.level == 1 else "normal",
                va="baseline",
                gid="contents_entry",
            )
            fig.text(0.90, y, str(entry.page), fontsize=size, ha="right", va="baseline", gid="contents_page")
            end = x + (em_width(label) * size + 4) / page_w
            fig.add_artist(
                mlines.Line2D(
                    [end, 0.875], [y + 0.002, y + 0.002], linewidth=0.8, linestyle=(0, (1, 2.5)), color="#777777"
                )
            )
        figs.append(fig)
    return figs
