"""The hearing report as one HTML page: the same sections as the PDF, with a linked table of contents.

Written with the standard library only (``string.Template`` and
``html.escape``). Every section of :func:`blockcheck.report.sections.report_plan`
is a ``<section id="…">`` (its key: ``method``, ``map-overview``, ``step1``,
``problem_list``, ``coverage``, ``appendix1`` …) and the contents at the top
link to those anchors, with the same entries (and counts) as the PDF's. A group
column (图1 类型, 图5 策略类型) spans its rows.
"""

from __future__ import annotations

import html
import string
from pathlib import Path

import pandas as pd

from blockcheck.report import cartography as carto
from blockcheck.report.sections import Section
from blockcheck.report.settings import method_paragraphs, text
from blockcheck.report.workbook_data import WorkbookData

__all__ = ["write_html"]

esc = html.escape


def _spans(values: list[str]) -> list[int]:
    """Rows each cell of a group column spans: the run's length at its first row, 0 inside it."""
    spans = [0] * len(values)
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            spans[start], start = i - start, i
    return spans


def _table(frame: pd.DataFrame, group: int) -> str:
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    rows = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
    spans = _spans([r[group] for r in rows]) if group >= 0 else [1] * len(rows)
    body = []
    for row, span in zip(rows, spans, strict=True):
        cells = []
        for j, value in enumerate(row):
            if j != group:
                cells.append(f"<td>{esc(value)}</td>")
            elif span:
                cells.append(f'<td rowspan="{span}">{esc(value)}</td>' if span > 1 else f"<td>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"


def _section(section: Section, body: str) -> str:
    level = section.level + 1
    return f'<section id="{esc(section.key)}"><h{level}>{esc(section.title)}</h{level}>\n{body}\n</section>'


def write_html(
    wb: WorkbookData, plan: list[Section], lang: str, maps: dict[str, Path], facts: str, out_html: Path
) -> Path:
    """Write the report page `out_html` from `plan`; `maps`: the PNG of each key map by name (beside the page)."""
    notice = wb.notice(lang)
    contents, parts, current = [], [], None
    for section in plan:
        contents.append(
            f'<li class="level{section.level}"><a href="#{esc(section.key)}">{esc(section.entry(lang))}</a></li>'
        )
        if section.kind == "method":
            body = "\n".join(f"<p>{esc(p)}</p>" for p in [*method_paragraphs(lang), facts])
        elif section.kind == "map":
            png = maps.get(section.map_name)
            body = (
                f'<figure><img src="{esc(png.relative_to(out_html.parent).as_posix())}" '
                f'alt="{esc(section.title)}"></figure>'
                if png is not None
                else ""
            )
        elif section.kind == "table":
            note = f'<p class="note">{esc(section.table.note)}</p>\n' if section.table.note else ""
            body = note + _table(section.table.frame, section.table.group)
        else:
            body = ""
        if section.level == 1:
            current = [section, body, []]
            parts.append(current)
        elif current is not None:
            current[2].append(_section(section, body))
        else:
            parts.append([section, body, []])
    sections = "\n".join(_section(s, "\n".join(x for x in (body, *children) if x)) for s, body, children in parts)
    page = _PAGE.substitute(
        lang="zh-CN" if lang == "zh" else "en",
        title=esc(text(lang, "report_title")),
        subtitle=esc(text(lang, "report_subtitle", district=wb.district(lang))),
        date=esc(wb.date),
        contents_title=esc(text(lang, "contents")),
        contents="\n".join(contents),
        sections=sections,
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
nav ol { list-style: none; padding-left: 0; } nav li.level2 { padding-left: 2em; } nav li.level1 { font-weight: bold; margin-top: 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0 2em; font-size: 0.85em; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #333; background: #f4f4f4; }
td[rowspan] { border-right: 1px solid #ccc; }
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
<nav id="contents"><h2>$contents_title</h2>
<ol>
$contents
</ol>
</nav>
$sections
<footer>$credits$footer_notice</footer>
</body>
</html>
""")  # noqa: E501 - CSS rules of the page template are kept one per line
