"""The plan of the hearing report: its sections in order, what each prints, and every count it states.

:func:`report_plan` is the one place that decides which rows the report
prints where, so the contents, the notes under the titles and the tables agree
(the PDF and the HTML are both drawn from it):

- the method note; the key maps;
- the four steps in the method's words (第一步 体检评估找问题 …), each with its
  two lists in the 图1–图8 layout;
- the problem–strategy–project table (问题—策略—项目对应表), when the lists
  give one (:func:`coverage_frame`);
- the data-gap list; the appendix (附表); the standards used.

A table of at most ``[report] body_rows`` rows (:func:`~blockcheck.report.settings.body_rows`)
is printed whole. A longer one prints ``body_rows`` rows — its first, or its
highest-ranked (projects by priority score, block problems by severity) in the
table's order — with a note "前N项，共M项（按…）…，全部见附表k" and is printed
whole in the appendix — unless it has more than ``appendix_rows`` rows: then the
note gives the totals and says where every row is (the ``workbook.gpkg`` layer
and the sheet of ``eight_lists.xlsx``), and no appendix is made for it (the
report stays a document at city scale; :mod:`blockcheck.report.summary`). The
block rows of the problem list go to the appendix the same way. The count in
the contents is always the number of rows the section prints. Resources are
counted in features: a row of retained land or buildings (one per block) counts
its ``member_count``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pandas as pd

from blockcheck import vocabulary
from blockcheck.report.maps import map_title
from blockcheck.report.settings import appendix_rows, body_rows, check_lang, settings, steps, text
from blockcheck.report.summary import full_list_note, sheet_of, shown_rows
from blockcheck.report.tables import (
    ListTable,
    data_gaps_table,
    fill_blank,
    hearing_tables,
    in_order,
    problem_blocks_table,
    problem_types,
    standards_sections,
)
from blockcheck.report.workbook_data import WorkbookData, feature_counts

__all__ = ["Section", "coverage_frame", "coverage_table_section", "report_plan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Section:
    """One entry of the report's contents: a part heading, the method note, a map or a table."""

    key: str  # HTML anchor
    title: str  # printed at the top of its first page and in the contents
    level: int  # 1: a part of the report; 2: a section within a part
    kind: str  # part | method | map | table
    table: ListTable | None = None
    count: str = ""  # the rows printed, as the contents give them: 18项 / 前40项，共236项
    kicker: str = ""  # running header of its pages (the step it belongs to)
    map_name: str = ""

    def entry(self, lang: str) -> str:
        """The line of the contents: the title and, for a table, the rows it prints."""
        return text(lang, "entry_count", title=self.title, count=self.count) if self.count else self.title


class _Appendix:
    """The appendix tables, numbered as the sections refer to them, with their counts for the contents."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.sections: list[Section] = []
        self.body_rows, self.appendix_rows = body_rows(), appendix_rows()

    def add(self, table: ListTable, *, total: int | None = None, note: str = "") -> str:
        """Put `table` in the appendix (`total`: rows of the whole when it prints only some); returns 附表k."""
        k, n = len(self.sections) + 1, len(table.frame)
        title = text(self.lang, "appendix_table", k=k, title=table.title)
        count = text(self.lang, "rows_count", n=n) if total is None else text(self.lang, "rows_first", n=n, total=total)
        self.sections.append(Section(f"appendix{k}", title, 2, "table", replace(table, title=title, note=note), count))
        return text(self.lang, "appendix_ref", k=k)

    def shorten(self, table: ListTable) -> tuple[ListTable, str]:
        """`table` as the body prints it, and the count for the contents (see the module docstring)."""
        lang, n = self.lang, len(table.frame)
        if n <= self.body_rows:
            return table, text(lang, "rows_count", n=n)
        shown = shown_rows(table, self.body_rows)
        k = len(shown.frame)
        if n <= self.appendix_rows:
            note = full_list_note(table, k, lang, appendix=self.add(table))
        else:
            note = full_list_note(table, k, lang)
        return replace(shown, note=_join(table.note, note, lang)), text(lang, "rows_first", n=k, total=n)

    def detail(self, table: ListTable) -> tuple[str, str]:
        """Put a table that belongs in the appendix only there.

        Returns (附表k, the summary sentence when shortened).
        """
        n = len(table.frame)
        if n <= self.appendix_rows:
            return self.add(table), ""
        shown = shown_rows(table, self.body_rows)
        first = full_list_note(table, len(shown.frame), self.lang)
        return self.add(shown, total=n, note=first), first


def _join(first: str, second: str, lang: str) -> str:
    """Two sentences of a note."""
    return f"{first} {second}".strip() if lang == "en" else first + second


def _noted(table: ListTable, wb: WorkbookData, lang: str) -> ListTable:
    """The list with the sentence under its title saying what a row is and how many items the rows stand for."""
    lists, n = wb.lists, len(table.frame)
    if table.name == "problem_list":
        note = text(lang, "note_problems", n=n)
    elif table.name == "resource_list":
        found = lists["resource_list"]  # an aggregated row (retained buildings/land of a block) counts its features
        features = feature_counts(found)
        sheet = sheet_of("resource_list", len(found), lang)
        note = text(lang, "note_resources", n=n, items=int(features.sum()), **sheet)
        note = _join(note, _members_note(found, features, lang), lang)
    elif table.name == "demand_list":
        note = text(lang, "note_demands", n=n, items=len(lists["demand_list"]))
    elif table.name == "strategy_list":
        strategies = len(lists["strategy_list"])
        note = text(lang, "note_strategies", n=n, items=strategies, **sheet_of("strategy_list", strategies, lang))
    else:
        return table
    return replace(table, note=note)


def _members_note(resources: pd.DataFrame, features: pd.Series, lang: str) -> str:
    """Where the features of the aggregated categories (retained land and buildings, one row per block) are."""
    from blockcheck.lists.resources import AGGREGATED, RESOURCE_MEMBERS_LAYER

    if resources.empty or "category" not in resources or "member_count" not in resources:
        return ""  # an older workbook lists every retained feature as a row of its own
    rows = resources["category"].isin(AGGREGATED).to_numpy()
    if not rows.any():
        return ""
    labels = vocabulary.labels("resource_category", lang)
    present = [c for c in AGGREGATED if (resources["category"] == c).any()]
    return text(
        lang,
        "note_resource_members",
        categories=text(lang, "totals_sep").join(labels.get(c, c) for c in present),
        rows=int(rows.sum()),
        n=int(features[rows].sum()),
        layer=RESOURCE_MEMBERS_LAYER,
    )


# columns coverage_table reads; a workbook written before they existed gets no coverage section
_COVERAGE_NEEDS = {
    "problem_list": ("id", "scope", "type", "problem", "rule_id", "metric_key", "observed_value", "severity"),
    "strategy_list": ("id", "problem_ids", "code"),
    "task_list": ("id", "problem_ids", "status", "open_amount", "policy_numbers"),
    "project_list": ("project_id", "problem_ids", "amount", "amount_unit"),
}


def coverage_frame(wb: WorkbookData) -> pd.DataFrame | None:
    """:func:`blockcheck.lists.coverage.coverage_table` of the workbook's lists (None for a workbook older than it)."""
    from blockcheck.lists.coverage import COVERAGE_COLUMNS, coverage_table

    lists = wb.lists
    missing = [f"{name}.{c}" for name, columns in _COVERAGE_NEEDS.items() for c in columns if c not in lists[name]]
    if missing:
        log.info(
            "workbook %s lacks %s: no problem–strategy–project table (run blockcheck again)",
            wb.path,
            ", ".join(missing),
        )
        return None
    if not (lists["problem_list"]["scope"] == "ALL").any():  # no area problem: an empty table (still shown)
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COVERAGE_COLUMNS})
    return coverage_table(lists["problem_list"], lists["strategy_list"], lists["task_list"], lists["project_list"])


def coverage_table_section(frame: pd.DataFrame, lang: str = "zh", problems: pd.DataFrame | None = None) -> ListTable:
    """The problem–strategy–project table (问题—策略—项目对应表) from the frame of :func:`coverage_frame`.

    Prints the ``[coverage] columns`` of ``data/report.toml`` that `frame` has,
    with their headers in `lang`, rows in the type order of 图1 (the order of
    the problem list's own table). ``open_tasks`` counts the ``task_ids``;
    ``status`` is labelled in `lang` (:mod:`blockcheck.vocabulary`, domain
    ``coverage_status``). In English the problem is the problem list's
    ``problem_en`` (from `problems`) and the type its English label.
    """
    lang = check_lang(lang)
    cfg = settings()["coverage"]
    f = frame.copy()
    if "task_ids" in f:
        f["open_tasks"] = (
            f["task_ids"].fillna("").astype(str).map(lambda v: len([t for t in v.split(",") if t.strip()]))
        )
    if "status" in f:
        f["status"] = f["status"].map(vocabulary.labels("coverage_status", lang)).fillna(f["status"])
    if "type" in f:
        f = in_order(f, "type", problem_types())
        if lang == "en":
            f["type"] = f["type"].map(vocabulary.labels("problem_type", "en")).fillna(f["type"])
    if lang == "en":
        f = _coverage_in_english(f, cfg, problems)
    columns = [c for c in cfg["columns"] if c in f] or list(f.columns)
    widths = tuple(cfg["widths"][cfg["columns"].index(c)] if c in cfg["columns"] else 1.0 for c in columns)
    out = fill_blank(f[columns]).rename(columns=cfg[f"labels_{lang}"]).reset_index(drop=True)
    group = columns.index(cfg["group"]) if cfg["group"] in columns else -1
    totals = columns.index("status") if "status" in columns else -1
    return ListTable(
        "coverage",
        text(lang, "coverage_title"),
        out,
        widths,
        text(lang, "coverage_note"),
        group=group,
        totals_by=totals,
        layer="problem_list",  # the rows are the area problems
    )


def _coverage_in_english(f: pd.DataFrame, cfg: dict, problems: pd.DataFrame | None) -> pd.DataFrame:
    """The problem (``problem_en`` of the problem list) and the closed and open amounts in English."""
    from blockcheck.lists.amounts import format_amount

    if problems is not None and {"problem_id", "problem"} <= set(f) and "problem_en" in problems:
        english = problems.set_index("id")["problem_en"]
        f["problem"] = f["problem_id"].map(english).where(lambda v: v.notna() & (v != ""), f["problem"])
    if not {"unit", "closed_amount", "open_amount", "project_count", "task_ids"} <= set(f):
        return f
    tasks = f["task_ids"].fillna("").astype(str).str.split(",").map(lambda ids: [t for t in ids if t.strip()])

    def closed(row: pd.Series) -> str:
        if row["unit"] and pd.notna(row["closed_amount"]):
            return format_amount(row["closed_amount"], row["unit"], lang="en")
        return cfg["projects_en"].format(n=int(row["project_count"])) if row["project_count"] else "—"

    def still_open(row: pd.Series, ids: list[str]) -> str:
        if row["unit"] and pd.notna(row["open_amount"]) and row["open_amount"] > 0:
            return format_amount(row["open_amount"], row["unit"], lang="en")
        if any(t.startswith("TK-ALL-") for t in ids):
            return cfg["open_area_en"]
        return cfg["open_blocks_en"].format(n=len(ids)) if ids else "—"

    f["unit"] = f["unit"].fillna("").astype(str)
    f["closed"] = [closed(row) for _, row in f.iterrows()]
    f["open"] = [still_open(row, ids) for (_, row), ids in zip(f.iterrows(), tasks, strict=True)]
    return f


def report_plan(
    wb: WorkbookData, lang: str = "zh", *, key_maps: list[str] | None = None, coverage: pd.DataFrame | None = None
) -> list[Section]:
    """The report's sections in order (see the module docstring).

    Parameters
    ----------
    wb
        The workbook.
    lang
        ``zh`` or ``en``.
    key_maps
        The maps to show (default ``[report] key_maps``).
    coverage
        The problem–strategy–project frame; default :func:`coverage_frame` of `wb`
        (the section is left out when there is none).
    """
    lang = check_lang(lang)
    appendix = _Appendix(lang)
    out = [
        Section("method", text(lang, "method_title"), 1, "method"),
        Section("maps", text(lang, "maps_title"), 1, "part"),
    ]
    for name in key_maps if key_maps is not None else settings()["report"]["key_maps"]:
        out.append(Section(f"map-{name}", map_title(wb, name, lang), 2, "map", map_name=name))
    lists = {t.name: t for t in hearing_tables(wb, lang)}
    for step in steps(lang):
        out.append(Section(f"step{step.number}", step.title, 1, "part", kicker=step.title))
        for name in step.lists:
            table = _noted(lists[name], wb, lang)
            if name == "problem_list":
                where, first = appendix.detail(problem_blocks_table(wb, lang))
                blocks = len(wb.lists[name]) - len(table.frame)
                more = (
                    text(lang, "note_problem_blocks_excel", n=blocks, first=first)
                    if first
                    else text(lang, "note_problem_blocks", n=blocks, appendix=where)
                )
                table = replace(table, note=_join(table.note, more, lang))
            shown, count = appendix.shorten(table)
            out.append(Section(name, shown.title, 2, "table", shown, count, kicker=step.title))
    frame = coverage if coverage is not None else coverage_frame(wb)
    if frame is not None:
        shown, count = appendix.shorten(coverage_table_section(frame, lang, wb.lists["problem_list"]))
        out.append(Section("coverage", shown.title, 1, "table", shown, count))
    shown, count = appendix.shorten(data_gaps_table(wb, lang))
    out.append(Section("data_gaps", shown.title, 1, "table", shown, count))
    if appendix.sections:
        out += [Section("appendix", text(lang, "appendix_title"), 1, "part"), *appendix.sections]
    out.append(Section("standards", text(lang, "standards_title"), 1, "part"))
    out += [Section(t.name, t.title, 2, "table", t) for t in standards_sections(wb, lang)]
    return out
