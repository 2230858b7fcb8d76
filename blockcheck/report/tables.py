"""The tables of the exports as DataFrames (tables first, pictures second).

:func:`hearing_tables` gives the eight lists in the 图1–图8 layout of the
method — the problem list's area rows in the type order of 图1, the strategies
by type in the order of 图5 (a :class:`ListTable` names the column shown once
per run of rows, ``group``) — :func:`problem_blocks_table` the problem list's
block rows, :func:`data_gaps_table` what the input lacks (area-wide rows first),
:func:`standards_sections` the standards used grouped by grade (A/B standards,
grade-C reference values to verify, blockcheck's own parameters), and
:func:`block_summary` one row per block summarising its eight lists (the atlas
pages). Column headers come from the list schema (``data/lists.toml``) or
``data/report.toml`` in the requested language, labels of coded values from
:mod:`blockcheck.vocabulary`; nothing here hard-codes a Chinese header.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.inputs.model import input_model
from blockcheck.lists.schema import list_table
from blockcheck.lists.strategies import strategy_catalogue
from blockcheck.report.settings import check_lang, settings, text
from blockcheck.report.workbook_data import EIGHT_LISTS, WorkbookData, feature_counts
from blockcheck.standards import grade_label

__all__ = [
    "ListTable",
    "block_summary",
    "data_gaps_table",
    "fill_blank",
    "hearing_tables",
    "in_order",
    "list_title",
    "problem_blocks_table",
    "problem_types",
    "ranked",
    "standards_sections",
    "standards_table",
]


@dataclass(frozen=True)
class ListTable:
    """One list as shown in the report: title (with its figure number) and the table."""

    name: str
    title: str
    frame: pd.DataFrame
    widths: tuple[float, ...]  # relative column widths
    note: str = ""  # a sentence shown under the title
    group: int = -1  # column whose runs of equal values are shown once (图1 类型, 图5 策略类型); -1: none
    totals_by: int = -1  # column counted in the totals of a shortened table; -1: none
    sums: tuple[int, ...] = ()  # columns whose sums a shortened table states (areas, amounts)
    rank: tuple[int, ...] = ()  # row positions, most important first: a shortened table shows the first; (): head
    rank_by: str = ""  # what `rank` orders by (a column label: 优先级得分, 严重程度)
    layer: str = ""  # the workbook layer (and Excel sheet) holding every row; "": the table's name


def list_title(name: str, lang: str) -> str:
    """``图1 问题清单`` / ``Fig. 1 Problem list``."""
    table = list_table(name)
    number = table.figure.removeprefix("图")
    return f"{table.figure} {table.title_zh}" if lang == "zh" else f"Fig. {number} {table.title_en}"


def _in(domain: str, values: pd.Series, lang: str) -> pd.Series:
    """`values` (codes of `domain`) as their labels in `lang`; unknown codes stay as they are."""
    return values.map(vocabulary.labels(domain, lang)).fillna(values)


def _labelled(frame: pd.DataFrame, name: str, columns: list[str], lang: str) -> pd.DataFrame:
    labels = list_table(name).labels(lang)
    out = frame.reindex(columns=columns).copy()
    return out.rename(columns={c: labels.get(c, c) for c in columns})


def _vocab():
    from blockcheck.surveys.vocabulary import demand_vocabulary

    return demand_vocabulary()


def fill_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as text cells: missing values blank."""
    return frame.astype(object).where(frame.notna(), "")


def in_order(frame: pd.DataFrame, column: str, order: list[str], *then: pd.Series) -> pd.DataFrame:
    """`frame` sorted by `column` in `order` (values not in it last), then by `then`, otherwise kept as it was."""
    rank = (
        frame[column].map({v: i for i, v in enumerate(order)}).fillna(len(order))
        if column in frame
        else pd.Series(0, index=frame.index)
    )
    keys = pd.DataFrame(
        {"_r": rank.to_numpy(), **{f"_t{i}": t.to_numpy() for i, t in enumerate(then)}}, index=frame.index
    )
    return frame.loc[keys.sort_values(list(keys.columns), kind="stable").index]


def ranked(values: pd.Series) -> tuple[int, ...]:
    """Row positions of `values` from the highest to the lowest (missing last; ties in row order)."""
    numbers = pd.to_numeric(pd.Series(values.to_numpy()), errors="coerce")
    return tuple(int(i) for i in numbers.sort_values(ascending=False, kind="stable", na_position="last").index)


def problem_types() -> list[str]:
    """The problem types in the order of 图1 (the schema's values)."""
    return list(next(f for f in list_table("problem_list").fields if f.name == "type").values)


def _area_problems(wb: WorkbookData) -> pd.DataFrame:
    """The area-wide rows of the problem list (scope ALL), in the type order of 图1."""
    p = wb.lists["problem_list"]
    p = p[p["scope"] == "ALL"] if "scope" in p else p
    return in_order(p, "type", problem_types())


def _block_problems(wb: WorkbookData) -> pd.DataFrame:
    """The block rows of the problem list (scope a block code): by block in workbook order, then by type (图1)."""
    p = wb.lists["problem_list"]
    p = p[p["scope"] != "ALL"] if "scope" in p else p.iloc[0:0]
    order = {b: i for i, b in enumerate(wb.block_ids())}
    types = {t: i for i, t in enumerate(problem_types())}
    keys = pd.DataFrame(
        {"b": p["scope"].astype(str).map(order).fillna(len(order)), "t": p["type"].map(types).fillna(len(types))},
        index=p.index,
    )
    return p.loc[keys.sort_values(["b", "t"], kind="stable").index]


def _problems(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    p = _area_problems(wb)
    if lang == "zh":
        return _labelled(p, "problem_list", ["type", "problem", "situation"], "zh"), (1.2, 1.6, 3.6)
    p = p.assign(
        type=_in("problem_type", p["type"], "en"),
        observed_value=pd.to_numeric(p["observed_value"], errors="coerce").round(2),
        threshold_value=pd.to_numeric(p["threshold_value"], errors="coerce").round(2),
    )
    return _labelled(
        p, "problem_list", ["type", "problem_en", "observed_value", "threshold_value", "unit", "grade"], "en"
    ), (1.4, 2.2, 0.9, 0.9, 0.8, 0.5)


def _resources(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    s = wb.resource_summary
    s = s[s["scope"] == "ALL"] if "scope" in s else s
    if lang == "zh":
        return _labelled(s, "resource_summary", ["family_zh", "category_zh", "situation"], "zh"), (1.4, 1.4, 4.0)
    s = s.assign(
        category=_in("resource_category", s["category"], "en"),
        land_area_ha=pd.to_numeric(s["land_area_ha"], errors="coerce").round(2),
        floor_area_m2=pd.to_numeric(s["floor_area_m2"], errors="coerce").round(0),
    )
    return _labelled(s, "resource_summary", ["family", "category", "count", "land_area_ha", "floor_area_m2"], "en"), (
        1.0,
        2.2,
        0.8,
        1.0,
        1.2,
    )


def _demands(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    d = wb.lists["demand_list"]
    vocab = _vocab()
    cats = [c.code for c in vocab.categories]
    heads = {c.code: (c.label_zh if lang == "zh" else c.label_en) for c in vocab.categories}
    ids = _labelled(
        pd.DataFrame(columns=["subdistrict", "community"]), "demand_list", ["subdistrict", "community"], lang
    ).columns
    if d.empty:
        return pd.DataFrame(columns=[*ids, *heads.values()]), (1.0, 1.2, *([2.0] * len(cats)))
    if lang == "zh":
        need = d["need_zh"]
    else:
        need = d["need_code"].map({n.code: n.label_en for n in vocab.needs}).fillna(d["need_zh"])
    d = d.assign(_need=need.astype(str))
    grid = d.groupby(["subdistrict", "community", "category"], sort=False)["_need"].agg(
        lambda s: "、".join(dict.fromkeys(s)) if lang == "zh" else ", ".join(dict.fromkeys(s))
    )
    wide = grid.unstack("category").reindex(columns=cats).fillna("--").reset_index()
    wide.columns = [*ids, *(heads[c] for c in cats)]
    return wide, (1.0, 1.2, *([2.0] * len(cats)))


def _visions(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    v = wb.lists["vision_list"]
    cols = ["subdistrict", "community", "vision_text", "categories_zh" if lang == "zh" else "categories"]
    return _labelled(v, "vision_list", cols, lang), (1.0, 1.2, 3.6, 1.2)


def _strategy_types() -> list[str]:
    """The strategy types in the order of 图5 (the schema's values)."""
    return list(next(f for f in list_table("strategy_list").fields if f.name == "type").values)


def _strategies(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    s = wb.lists["strategy_list"]
    point = "code_point" if lang == "zh" else "point_en"
    if s.empty:
        return _labelled(s, "strategy_list", ["type", point], lang), (1.2, 4.0)
    catalogue = {k: i for i, k in enumerate(strategy_catalogue().index)}
    s = in_order(s, "type", _strategy_types(), s["strategy_key"].map(catalogue).fillna(len(catalogue)))
    grouped = s.groupby(["type", point], sort=False)["block_id"].nunique().rename("blocks").reset_index()
    if lang == "en":
        grouped["type"] = _in("strategy_type", grouped["type"], "en")
    out = _labelled(grouped, "strategy_list", ["type", point], lang)
    out[list_table("policy_list").labels(lang)["blocks"]] = grouped["blocks"].to_numpy()
    return out, (1.2, 4.0, 0.9)


def _policies(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    p = wb.lists["policy_list"]
    cols = ["number", "name" if lang == "zh" else "name_en", "lead_departments", "strategy_codes"]
    return _labelled(p, "policy_list", cols, lang), (0.5, 3.0, 2.0, 1.6)


def _tasks(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    t = wb.lists["task_list"]
    if lang == "en" and len(t):
        t = t.assign(task_type=_in("task_type", t["task_type"], "en"))
    t = t.assign(land_area_ha=pd.to_numeric(t.get("land_area_ha"), errors="coerce").round(2))
    return _labelled(t, "task_list", ["block_id", "task_type", "land_area_ha", "contents"], lang), (1.0, 1.0, 0.9, 4.0)


def _projects(wb: WorkbookData, lang: str) -> tuple[pd.DataFrame, tuple]:
    p = wb.lists["project_list"]
    if lang == "en" and len(p):
        p = p.assign(domain=_in("project_domain", p["domain"], "en"), phase=_in("phase", p["phase"], "en"))
    cols = ["number", "domain", "name", "authority", "unit", "location", "phase"]
    return _labelled(p, "project_list", cols, lang), (0.5, 1.0, 2.2, 1.0, 1.3, 2.2, 0.8)


def _project_rank(wb: WorkbookData, lang: str) -> tuple[tuple[int, ...], str]:
    """The projects from the highest priority score down (the rows of :func:`_projects`), and the score's label."""
    p = wb.lists["project_list"]
    if p.empty or "priority_score" not in p:
        return (), ""
    return ranked(p["priority_score"]), list_table("project_list").labels(lang)["priority_score"]


# a shortened list's rows in the order that matters (default: the list's own order)
_RANKS = {"project_list": _project_rank}
# the columns whose sums a shortened list states (positions in the builder's frame)
_SUMS = {"task_list": (2,)}

# the column shown once per run of equal values, and the one a shortened table's totals count
_GROUPS = {
    "problem_list": (0, 0),
    "resource_list": (0, -1),
    "demand_list": (0, 0),
    "vision_list": (0, 0),
    "strategy_list": (0, 0),
    "task_list": (0, 1),
    "project_list": (-1, 1),
}

_BUILDERS = {
    "problem_list": _problems,
    "resource_list": _resources,
    "demand_list": _demands,
    "vision_list": _visions,
    "strategy_list": _strategies,
    "policy_list": _policies,
    "task_list": _tasks,
    "project_list": _projects,
}


def hearing_tables(wb: WorkbookData, lang: str = "zh") -> list[ListTable]:
    """The eight lists in the 图1–图8 layout (district level), headers in `lang`."""
    lang = check_lang(lang)
    out = []
    for name in EIGHT_LISTS:
        frame, widths = _BUILDERS[name](wb, lang)
        group, totals = _GROUPS.get(name, (-1, -1))
        rank, rank_by = _RANKS[name](wb, lang) if name in _RANKS else ((), "")
        out.append(
            ListTable(
                name,
                list_title(name, lang),
                fill_blank(frame.reset_index(drop=True)),
                widths,
                group=group,
                totals_by=totals,
                sums=_SUMS.get(name, ()),
                rank=rank,
                rank_by=rank_by,
                layer=name,
            )
        )
    return out


def problem_blocks_table(wb: WorkbookData, lang: str = "zh") -> ListTable:
    """The block rows of the problem list (图1 by block): block, type, problem, situation; by block, then type."""
    lang = check_lang(lang)
    p = _block_problems(wb)
    if lang == "zh":
        frame, widths = (
            _labelled(p, "problem_list", ["scope", "type", "problem", "situation"], "zh"),
            (1.0, 1.2, 1.6, 3.6),
        )
    else:
        p = p.assign(
            type=_in("problem_type", p["type"], "en"),
            observed_value=pd.to_numeric(p["observed_value"], errors="coerce").round(2),
            threshold_value=pd.to_numeric(p["threshold_value"], errors="coerce").round(2),
        )
        frame = _labelled(
            p, "problem_list", ["scope", "type", "problem_en", "observed_value", "threshold_value", "unit"], "en"
        )
        widths = (1.0, 1.4, 2.2, 0.9, 0.9, 0.8)
    block = list_table("strategy_list").labels(lang)["block_id"]  # 街区编码 / Block
    frame = frame.rename(columns={frame.columns[0]: block})
    severity = p["severity"] if "severity" in p else pd.Series(dtype=float)
    return ListTable(
        "problem_blocks",
        text(lang, "problem_blocks_title"),
        fill_blank(frame.reset_index(drop=True)),
        widths,
        group=0,
        totals_by=1,
        rank=ranked(severity) if len(severity) else (),
        rank_by=list_table("problem_list").labels(lang)["severity"],
        layer="problem_list",
    )


def standards_table(wb: WorkbookData, lang: str = "zh") -> pd.DataFrame:
    """The standards used (key, value, unit, source, grade) with headers in `lang`."""
    heads = settings()["text"][check_lang(lang)]["standards_head"]
    s = wb.standards.reindex(columns=["key", "value", "unit", "source", "grade"])
    return fill_blank(s).set_axis(heads, axis=1).reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str, default: str = "") -> pd.Series:
    """`frame[name]` as text ('' for missing values), or `default` everywhere when the column is absent."""
    if name not in frame:
        return pd.Series(default, index=frame.index, dtype=object)
    return frame[name].astype(object).where(frame[name].notna(), "").astype(str).str.strip()


def _in_lang(frame: pd.DataFrame, stem: str, lang: str) -> pd.Series:
    """The ``<stem>_zh`` / ``<stem>_en`` text of each row, or ``<stem>`` when empty (never the other language)."""
    out = _column(frame, f"{stem}_{lang}")
    return out.where(out != "", _column(frame, stem))


def standards_sections(wb: WorkbookData, lang: str = "zh") -> list[ListTable]:
    """The standards used, grouped: A/B standards, grade-C reference values (how to verify), blockcheck's parameters.

    Reads the ``standards_used`` columns key, value, unit, source, grade and,
    when present, kind (standard | parameter), label_zh / label_en (the short
    label of the source), superseded_by / supersedes, verify (or verify_zh /
    verify_en) and unit_zh. The profiles' citations carry English notes, so a
    Chinese report quotes the short Chinese label as the source (the citation
    when there is none) and names only the document that superseded it.
    Grades are named in `lang` by :func:`blockcheck.standards.grade_label`.
    The first section is always returned; the other two only when they have rows.
    """
    cfg = settings()["text"][check_lang(lang)]
    s = wb.standards.reset_index(drop=True)
    name, citation = _column(s, "key"), _column(s, "source")
    if lang == "zh":
        label = _column(s, "label_zh")
        source = label.where(label != "", citation)
        notes = {
            "superseded_by": _column(s, "superseded_by").str.split(r" \(|；|;", n=1, regex=True).str[0].str.strip()
        }
    else:
        source = citation
        notes = {"supersedes": _column(s, "supersedes"), "superseded_by": _column(s, "superseded_by")}
    for column, values in notes.items():
        note = values.map(lambda v, c=column: text(lang, c, **{"old" if c == "supersedes" else "by": v}) if v else "")
        source = source.where(note == "", source + ("；" if lang == "zh" else "; ") + note)
    grade = _column(s, "grade").str.upper()
    kind = _column(s, "kind", "standard").str.lower()
    parameter = kind == "parameter"
    grade_c = ~parameter & (grade == "C")
    value, unit = _column(s, "value"), _column(s, "unit")
    if lang == "zh":
        unit = _column(s, "unit_zh").where(lambda u: u != "", unit)
    ab = pd.DataFrame({"k": name, "v": value, "u": unit, "s": source, "g": grade.map(lambda g: grade_label(g, lang))})[
        ~parameter & ~grade_c
    ]
    c = pd.DataFrame({"k": name, "v": value, "u": unit, "s": source, "w": _in_lang(s, "verify", lang)})[grade_c]
    par = pd.DataFrame({"k": name, "v": value, "u": unit, "s": source})[parameter]
    sections = [
        ListTable(
            "standards_ab",
            cfg["standards_ab_title"],
            fill_blank(ab.set_axis(cfg["standards_head"], axis=1)).reset_index(drop=True),
            (2.4, 0.7, 1.6, 3.6, 1.0),
        )
    ]
    if len(c):
        sections.append(
            ListTable(
                "standards_c",
                cfg["standards_c_title"],
                fill_blank(c.set_axis(cfg["standards_c_head"], axis=1)).reset_index(drop=True),
                (2.2, 0.7, 1.4, 2.8, 2.2),
                cfg["standards_c_note"],
            )
        )
    if len(par):
        sections.append(
            ListTable(
                "parameters",
                cfg["standards_param_title"],
                fill_blank(par.set_axis(cfg["standards_param_head"], axis=1)).reset_index(drop=True),
                (2.4, 0.8, 1.6, 4.0),
                cfg["standards_param_note"],
            )
        )
    return sections


def data_gaps_table(wb: WorkbookData, lang: str = "zh") -> ListTable:
    """The data-gap list: area-wide rows (scope ``ALL``) first, then by block; texts and headers in `lang`."""
    lang = check_lang(lang)
    table = list_table("data_gaps")
    g = wb.data_gaps.reset_index(drop=True)
    order = {b: i + 1 for i, b in enumerate(wb.block_ids())}
    scope = _column(g, "scope")
    g = g.assign(_o=scope.map(lambda v: 0 if v == "ALL" else order.get(v, len(order) + 1))).sort_values(
        "_o", kind="stable"
    )
    coverage = _column(g, "coverage")
    names = vocabulary.labels("data_gap_coverage", lang)
    texts = ["detail", "effect", "how_to_fix"] if lang == "zh" else ["detail_en", "effect_en", "how_to_fix_en"]
    columns = ["scope", "layer", "item", "coverage", *texts]
    frame = pd.DataFrame({c: _column(g, c) for c in columns})
    frame["coverage"] = coverage.map(lambda v: names.get(v, v))
    layers = {n: (spec.label_zh if lang == "zh" else spec.label_en) or n for n, spec in input_model().layers.items()}
    frame["layer"] = frame["layer"].map(lambda v: layers.get(v, v))
    if lang == "en":  # an English text not given: the Chinese one rather than nothing
        for c in texts:
            frame[c] = frame[c].where(frame[c] != "", _column(g, c.removesuffix("_en")))
    title = table.title_zh if lang == "zh" else table.title_en
    return ListTable(
        "data_gaps",
        title,
        _labelled(frame, "data_gaps", columns, lang).reset_index(drop=True),
        (1.1, 1.0, 1.0, 1.2, 2.0, 2.0, 1.9),
        text(lang, "data_gaps_note"),
        group=0,
        totals_by=1,
        layer="data_gaps",
    )


def _joined(
    frame: pd.DataFrame, by: str, column: str, sep: str, order: str | None = None, ascending: bool = False
) -> pd.Series:
    if frame.empty or column not in frame:
        return pd.Series(dtype=object)
    f = frame.sort_values(order, ascending=ascending, kind="stable") if order else frame
    return (
        f.dropna(subset=[column])
        .groupby(f[by].astype(str), sort=False)[column]
        .agg(lambda s: sep.join(dict.fromkeys(s.astype(str))))
    )


def block_summary(wb: WorkbookData, lang: str = "zh") -> pd.DataFrame:
    """Per block (index block_id): ``n_<list>`` counts and ``text_<list>`` contents of the eight lists."""
    lang = check_lang(lang)
    ids = pd.Index(wb.block_ids(), name="block_id")
    lists = wb.lists
    sep = "、" if lang == "zh" else "; "
    out = pd.DataFrame(index=ids)
    problems = (
        lists["problem_list"][lists["problem_list"]["scope"] != "ALL"]
        if "scope" in lists["problem_list"]
        else lists["problem_list"]
    )
    problems = problems.rename(columns={"scope": "block_id"})
    cats = vocabulary.labels("resource_category", lang)
    res = lists["resource_list"]
    res_text = pd.Series(dtype=object)
    if len(res):  # features, not rows: an aggregated row (retained land/buildings of a block) counts its members
        res = res.assign(_n=feature_counts(res))
        counts = res.groupby([res["block_id"].astype(str), "category"])["_n"].sum().rename("n").reset_index()
        counts["t"] = counts["category"].map(cats).fillna(counts["category"]) + " " + counts["n"].astype(str)
        res_text = counts.sort_values("n", ascending=False).groupby("block_id", sort=False)["t"].agg(" · ".join)
    vocab = _vocab()
    dem = lists["demand_list"]
    if len(dem) and lang == "en":
        dem = dem.assign(need_zh=dem["need_code"].map({n.code: n.label_en for n in vocab.needs}).fillna(dem["need_zh"]))
    strategies = lists["strategy_list"]
    tasks = lists["task_list"]
    if len(tasks):
        types = _in("task_type", tasks["task_type"], lang)
        tasks = tasks.assign(
            _t=types.astype(str) + ("：" if lang == "zh" else ": ") + tasks["contents"].fillna("").astype(str)
        )
    policies = lists["policy_list"]
    if len(policies):
        policies = policies.assign(block_id=policies["blocks"].fillna("").astype(str).str.split(",")).explode(
            "block_id"
        )
    texts = {
        "problem_list": _joined(problems, "block_id", "problem" if lang == "zh" else "problem_en", sep, "severity"),
        "resource_list": res_text,
        "demand_list": _joined(dem, "block_id", "need_zh", sep),
        "vision_list": _joined(lists["vision_list"], "block_id", "vision_text", "；" if lang == "zh" else "; "),
        "strategy_list": _joined(
            strategies, "block_id", "code" if lang == "zh" else "point_en", "" if lang == "zh" else "; "
        ),
        "policy_list": _joined(
            policies, "block_id", "name" if lang == "zh" else "name_en", "；" if lang == "zh" else "; "
        ),
        "task_list": _joined(tasks, "block_id", "_t", "；" if lang == "zh" else "; "),
        "project_list": _joined(lists["project_list"], "block_id", "name", sep, "priority_score"),
    }
    frames = {
        "problem_list": problems,
        "resource_list": res,
        "demand_list": dem,
        "vision_list": lists["vision_list"],
        "strategy_list": strategies,
        "policy_list": policies,
        "task_list": tasks,
        "project_list": lists["project_list"],
    }
    for name in EIGHT_LISTS:
        f = frames[name]
        if not len(f) or "block_id" not in f:
            n = pd.Series(dtype=int)
        elif name == "resource_list":
            n = f.groupby(f["block_id"].astype(str))["_n"].sum()
        else:
            n = f.groupby(f["block_id"].astype(str)).size()
        out[f"n_{name}"] = n.reindex(ids, fill_value=0).astype(int).to_numpy()
        out[f"text_{name}"] = (
            texts[name].reindex(ids).fillna(text(lang, "none")).to_numpy() if len(texts[name]) else text(lang, "none")
        )
    return out


def area_counts(wb: WorkbookData) -> dict[str, int]:
    """Rows of each of the eight lists in the workbook; for the resource list, the features its rows stand for."""
    counts = {name: len(wb.lists[name]) for name in EIGHT_LISTS}
    counts["resource_list"] = int(feature_counts(wb.lists["resource_list"]).sum())
    return counts


def block_facts(wb: WorkbookData) -> pd.DataFrame:
    """Name, sub-district, area, population and job–housing ratio per block (index block_id)."""
    b = wb.blocks
    cols = {"name": "", "subdistrict": "", "area_ha": np.nan, "population": np.nan, "job_housing_ratio": np.nan}
    out = pd.DataFrame({c: (b[c] if c in b else pd.Series(d, index=b.index)) for c, d in cols.items()})
    out.index = pd.Index(b["block_id"].astype(str), name="block_id")
    return out
