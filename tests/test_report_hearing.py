"""The hearing report: report.pdf and report.html with the eight lists (图1–图8), the standards and the key maps."""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader

from test_report_common import (
    EIGHT_TITLES,
    font_is_embedded,
    pdf_fonts,
    sample_data,
    sample_workbook,
)


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory) -> list[Path]:
    from blockcheck.cli import main

    out = tmp_path_factory.mktemp("report") / "report.pdf"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        main(["report", str(sample_workbook()), "--out", str(out)])
    assert not [w for w in caught if "missing from font" in str(w.message)]
    return [out, out.with_suffix(".html")]


@functools.cache
def _pdf_text(path: Path) -> str:
    """All text of a PDF, white space collapsed (headers may wrap in narrow columns)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_pdf_and_html_exist_with_the_eight_lists(report_zh: list[Path]) -> None:
    pdf, page = report_zh
    assert pdf.exists() and page.exists()
    text, html = _pdf_text(pdf), page.read_text(encoding="utf-8")
    for i, title in enumerate(EIGHT_TITLES, start=1):
        assert f"图{i} {title}" in text
        assert f"图{i} {title}" in html
    for header in ("类型", "问题", "现状情况", "社区", "项目名称", "主管单位"):  # 图1, 图3, 图8 headers from the schema
        assert f"<th>{header}</th>" in html
    assert "示例数据（虚构）" in html and "数据缺口清单" in html and "数据缺口清单" in text  # the sample is synthetic


def test_standards_table_with_sources(report_zh: list[Path]) -> None:
    pdf, page = report_zh
    text, html = _pdf_text(pdf), page.read_text(encoding="utf-8")
    assert "采用的标准及来源" in text and "采用的标准及来源" in html
    std = sample_data().standards
    row = std[std["key"] == "roads.density_min_km_per_km2"].iloc[0]
    assert row["key"] in html and "GB 50180-2018" in row["source"]
    assert "GB 50180-2018" in text
    assert html.count("<tr>") >= len(std)
    # grouped by grade: A/B standards, then grade-C reference values, then blockcheck's parameters (when there are any)
    appendix = html[html.index('<section id="standards">') :]
    assert appendix.index("<h3>标准（A、B级）</h3>") < appendix.index("<h3>参考值（待核实）</h3>")
    grades = set(std["grade"])
    assert ("C" in grades) == ("<h3>参考值（待核实）</h3>" in appendix)


def test_html_embeds_map_files(report_zh: list[Path]) -> None:
    _, page = report_zh
    html = page.read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) >= 5
    assert all((page.parent / s).is_file() for s in sources)
    assert "方法说明" in html and "四步走" in html


def test_report_fonts_embedded(report_zh: list[Path]) -> None:
    fonts = pdf_fonts(report_zh[0])
    assert fonts and all(font_is_embedded(f) for f in fonts)


def test_english_report_has_english_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    monkeypatch.setitem(settings()["report"], "key_maps", ["problems"])  # one map page is enough here
    written = export_report(sample_data(), tmp_path / "report_en.pdf", lang="en", html=False)
    assert written == [tmp_path / "report_en.pdf"]
    text = _pdf_text(written[0])
    for title in (
        "Fig. 1 Problem list",
        "Fig. 2 Resource list",
        "Fig. 8 Project list",
        "Standards used and their sources",
    ):
        assert title in text
    assert "Supervising authority" in text and "Lead departments (suggested)" in text
    assert "主管单位" not in text and "现状情况" not in text


def test_not_a_workbook_is_a_clear_error(tmp_path) -> None:
    import subprocess
    import sys

    bogus = tmp_path / "notes.gpkg"
    bogus.write_text("not a geopackage", encoding="utf-8")
    for command in ("maps", "atlas", "report"):
        out = tmp_path / ("maps" if command == "maps" else f"{command}.pdf")
        proc = subprocess.run(
            [sys.executable, "-m", "blockcheck.cli", command, str(bogus), "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert proc.returncode == 2, (command, proc.stderr)
        assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr


# ------------------------------------------------------------ contents, counts, layout (issue 12)

STEPS_ZH = ["第一步 体检评估找问题", "第二步 多元协商问需求", "第三步 整体策划配政策", "第四步 制定计划推行动"]
STEPS_EN = [
    "Health check finds problems",
    "Consultation finds needs",
    "Whole-area strategy with policies",
    "Plans into action",
]
FIG5_TYPES = ["公服增补", "交通改善", "基础保障", "品质提升", "职住优化", "精治共治"]


@functools.cache
def _pages(path: Path) -> list[str]:
    """The text of each page, lines kept."""
    return [page.extract_text() for page in PdfReader(path).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _plan(lang: str = "zh") -> list:
    from blockcheck.report.sections import report_plan

    return report_plan(sample_data(), lang)


def _contents(pdf: Path) -> list[tuple[str, int]]:
    """(entry, page number) of every line of the contents pages of the PDF."""
    pages = _pages(pdf)
    entries = []
    for text in pages[1:]:
        if not _flat(text).startswith("目录"):
            break
        for line in text.splitlines():
            m = re.match(r"^(.+?)\s+(\d+)$", line.strip())
            if m and not m.group(1).startswith(("坐标系", "第 ")):
                entries.append((_flat(m.group(1)), int(m.group(2))))
    return entries


def test_contents_give_the_page_each_section_starts_on(report_zh: list[Path]) -> None:
    pdf = report_zh[0]
    pages = [_flat(t) for t in _pages(pdf)]
    contents = _contents(pdf)
    plan = _plan()
    assert [e for e, _ in contents] == [s.entry("zh") for s in plan]  # every section, in order, with its count
    part = ""
    for (entry, number), section in zip(contents, plan, strict=True):
        text = pages[number - 1]
        assert f"第 {number} 页" in text  # the footer agrees with the PDF's own page order
        if section.level == 1:
            part = section.title
            assert text.startswith(section.title), (entry, number, text[:80])
        else:  # a part's first section: under the part's heading
            assert text.startswith((section.title, f"{part} {section.title}")), (entry, number, text[:80])
    assert {"方法说明", "主要图纸", *STEPS_ZH, "附表", "采用的标准及来源"} <= {e for e, _ in contents}
    numbers = [n for _, n in contents]
    assert numbers == sorted(numbers) and numbers[-1] <= len(pages)


def test_contents_counts_are_the_rows_printed(report_zh: list[Path]) -> None:
    from blockcheck.report.pages import paginate

    text = _flat(" ".join(_pages(report_zh[0])))
    appendix = {s.title: s for s in _plan() if s.key.startswith("appendix") and s.table is not None}
    for section in _plan():
        if section.table is None or not section.count:
            continue
        n = len(section.table.frame)
        assert sum(len(p.rows) for p in paginate(section.table, "zh")) == max(
            n, 1
        )  # the pages print every row of the frame
        m = re.fullmatch(r"前(\d+)项，共(\d+)项", section.count)
        if m is None:
            assert section.count == f"{n:,}项", section.key
            continue
        shown, total = int(m.group(1)), int(m.group(2))
        assert shown == n < total
        note = section.table.note
        ranked = section.table.rank  # projects: the highest priority scores, in the list's order
        first = f"最高的{n}项（按清单顺序排列），共{total}项" if ranked else f"前{n}项，共{total}项"
        assert first in note and first in text
        where = re.search(r"全部见(附表\d+)", note)
        assert where, note
        full = next(s for title, s in appendix.items() if title.startswith(where.group(1) + " "))
        assert len(full.table.frame) == total and full.count == f"{total}项"
        if ranked:  # the body's rows are the appendix's rows at the top ranks, in the appendix's order
            expected = full.table.frame.iloc[sorted(section.table.rank[:n])].reset_index(drop=True)
            assert expected.equals(section.table.frame)
        else:
            assert full.table.frame.head(n).equals(section.table.frame)  # the body shows the appendix's first rows


def test_counts_agree_with_the_workbook_lists(report_zh: list[Path]) -> None:
    wb = sample_data()
    lists = wb.lists
    sections = {s.key: s for s in _plan()}
    text = _flat(" ".join(_pages(report_zh[0])))
    html = report_zh[1].read_text(encoding="utf-8")
    area = int((lists["problem_list"]["scope"] == "ALL").sum())
    blocks = len(lists["problem_list"]) - area
    assert len(sections["problem_list"].table.frame) == area and 0 < area < blocks
    assert f"全区问题{area}项" in text and f"分街区问题{blocks}项见附表1" in text
    assert (
        sections["appendix1"].title == "附表1 问题清单（分街区）" and len(sections["appendix1"].table.frame) == blocks
    )
    assert f"附表1 问题清单（分街区）（{blocks}项）" in text  # the contents
    resources = sections["resource_list"].table.frame
    assert resources["资源类别"].tolist() == wb.resource_summary.query("scope == 'ALL'")["category_zh"].tolist()
    features = int(lists["resource_list"]["member_count"].fillna(1).sum())  # aggregated rows count their features
    assert int(wb.resource_summary.query("scope == 'ALL'")["count"].sum()) == features
    assert f"共{features:,}处资源" in text and "工作表「图2 资源清单」" in text
    communities = lists["demand_list"].groupby(["subdistrict", "community"]).ngroups
    assert (
        len(sections["demand_list"].table.frame) == communities
        and f"{communities}个社区，需求{len(lists['demand_list'])}项" in text
    )
    strategies = sections["strategy_list"].table.frame
    assert len(strategies) == lists["strategy_list"]["code_point"].nunique()
    assert strategies["涉及街区"].astype(int).sum() == len(
        lists["strategy_list"]
    )  # the block counts add up to the list's rows
    assert f"{len(strategies)}项策略要点；落到街区的策略共{len(lists['strategy_list'])}条" in text
    for name, title in (
        ("vision_list", "图4 愿景清单"),
        ("policy_list", "图6 政策清单"),
        ("task_list", "图7 任务清单"),
        ("project_list", "图8 项目清单"),
    ):
        n, shown = len(lists[name]), len(sections[name].table.frame)
        entry = f"{title}（{n}项）" if n == shown else f"{title}（前{shown}项，共{n}项）"
        assert entry in text and entry in html, entry
    assert len(sections["data_gaps"].table.frame) == len(wb.data_gaps)


def test_strategy_table_is_grouped_by_type_in_fig5_order(report_zh: list[Path]) -> None:
    from blockcheck.lists.strategies import strategy_catalogue

    frame = _plan()[[s.key for s in _plan()].index("strategy_list")].table.frame
    types = frame["策略类型"].tolist()
    runs = [t for i, t in enumerate(types) if i == 0 or t != types[i - 1]]
    assert len(runs) == len(set(runs)) > 1  # each type one block of rows
    assert runs == [t for t in FIG5_TYPES if t in runs]  # in the order of 图5
    codes = frame["策略要点"].str.extract(r"^(【.+?】)")[0].str.strip("【】").tolist()
    catalogue = strategy_catalogue()
    position = {c: i for i, c in enumerate(catalogue["code"])}
    assert codes == sorted(codes, key=position.__getitem__)  # within a type, in the catalogue's order
    page = next(_flat(t) for t in _pages(report_zh[0]) if "图5 策略清单 按图5" in _flat(t))
    shown = [t for t in FIG5_TYPES if t in page]
    assert shown == runs and all(page.count(t) == 1 for t in shown)  # the type printed once, above its points
    html = report_zh[1].read_text(encoding="utf-8")
    assert f'<td rowspan="{types.count(runs[0])}">{runs[0]}</td>' in html


def test_no_table_line_ends_inside_a_code_or_a_number(
    report_zh: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    monkeypatch.setitem(settings()["report"], "key_maps", [])
    english = export_report(sample_data(), tmp_path / "report_en.pdf", lang="en", html=False)[0]
    codes = sample_data().block_ids()
    for pdf in (report_zh[0], english):
        text = "\n".join(_pages(pdf))
        assert sum(text.count(c) for c in codes) > 200  # the tables quote block codes a lot
        for code in codes:
            for k in range(1, len(code)):
                assert f"{code[:k]}\n{code[k:]}" not in text, (pdf.name, code[:k], code[k:])
        assert not re.search(r"\d[,.]\n\d", text)  # 1,714 / 5.6 never split either


def test_method_step_names_everywhere(report_zh: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.hearing import export_report
    from blockcheck.report.settings import settings

    text = _flat(" ".join(_pages(report_zh[0])))
    html = report_zh[1].read_text(encoding="utf-8")
    for where in (text, html):
        for step in STEPS_ZH:
            assert where.count(step) >= 3, step  # the method note, the contents and the step's heading
        for wrong in ("协商共治找需求", "整体统筹定策略", "行动计划推项目"):
            assert wrong not in where
    monkeypatch.setitem(settings()["report"], "key_maps", [])
    english = export_report(sample_data(), tmp_path / "report_en.pdf", lang="en", html=False)[0]
    text_en = _flat(" ".join(_pages(english)))
    for i, step in enumerate(STEPS_EN, start=1):
        assert f"Step {i}: {step}" in text_en


def test_html_contents_link_to_every_section(report_zh: list[Path]) -> None:
    html = report_zh[1].read_text(encoding="utf-8")
    links = re.findall(r'<li class="level\d"><a href="#([^"]+)">([^<]+)</a></li>', html)
    assert [k for k, _ in links] == [s.key for s in _plan()]
    assert [t for _, t in links] == [s.entry("zh") for s in _plan()]
    for key, _ in links:
        assert html.count(f'id="{key}"') == 1, key
    assert (
        html.index('id="step1"')
        < html.index('id="problem_list"')
        < html.index('id="step2"')
        < html.index('id="appendix1"')
    )


def test_long_lists_end_in_a_summary_naming_the_excel_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    from blockcheck.report.sections import report_plan
    from blockcheck.report.settings import settings

    wb = sample_data()
    lists = wb.lists
    limit = len(lists["vision_list"])  # the vision list just fits the appendix; the project list does not
    assert 10 < limit < len(lists["project_list"]) and limit < (lists["problem_list"]["scope"] != "ALL").sum()
    monkeypatch.setitem(settings()["report"], "body_rows", 10)
    monkeypatch.setitem(settings()["report"], "appendix_rows", limit)
    plan = {s.key: s for s in report_plan(wb, "zh", key_maps=[])}
    projects = plan["project_list"]
    n = len(lists["project_list"])
    assert projects.count == f"前10项，共{n}项" and len(projects.table.frame) == 10
    assert "全部见 workbook.gpkg 图层「project_list」及 eight_lists.xlsx 工作表「图8 项目清单」" in projects.table.note
    assert "附表" not in projects.table.note
    domains = lists["project_list"]["domain"].value_counts()
    assert f"（按领域：{domains.index[0]} {domains.iloc[0]}项" in projects.table.note  # the totals by domain
    appendix = [s for s in plan.values() if s.key.startswith("appendix") and s.table is not None]
    assert all(len(s.table.frame) <= limit for s in appendix)
    assert not any("项目清单" in s.title for s in appendix)
    visions = plan["vision_list"]  # first 10 in the body, all in the appendix
    where = re.search(r"全部见(附表\d+)。", visions.table.note).group(1)
    full = next(s for s in appendix if s.title.startswith(where + " "))
    assert len(full.table.frame) == limit and full.count == f"{limit}项"
    block_rows = plan["appendix1"]  # the block problems: the first rows only, and the sheet
    blocks = int((lists["problem_list"]["scope"] != "ALL").sum())
    assert block_rows.count == f"前10项，共{blocks}项" and "工作表「图1 问题清单」" in block_rows.table.note


def test_coverage_table_answers_every_area_problem(report_zh: list[Path]) -> None:
    from blockcheck.lists.coverage import coverage_table

    lists = sample_data().lists
    expected = coverage_table(lists["problem_list"], lists["strategy_list"], lists["task_list"], lists["project_list"])
    area = lists["problem_list"][lists["problem_list"]["scope"] == "ALL"]
    assert sorted(expected["problem_id"]) == sorted(area["id"])
    section = next(s for s in _plan() if s.key == "coverage")
    frame = section.table.frame
    assert section.count == f"{len(area)}项" and len(frame) == len(area)
    # rows in the type order of 图1, like the problem list's own table
    assert frame["问题"].tolist() == next(s for s in _plan() if s.key == "problem_list").table.frame["问题"].tolist()
    by_problem = expected.set_index("problem")
    for _, row in frame.iterrows():
        source = by_problem.loc[row["问题"]]
        assert int(row["项目数（图8）"]) == source["project_count"]
        assert int(row["待落实任务数（图7）"]) == len(
            [t for t in str(source["task_ids"] or "").split(",") if t and t != "None" and t != "nan"]
        )
        assert row["项目落实"] == source["closed"] and row["状态"] == source["status_zh"]
    pages = [_flat(t) for t in _pages(report_zh[0])]
    number = dict(_contents(report_zh[0]))[f"问题—策略—项目对应表（{len(area)}项）"]
    assert pages[number - 1].startswith("问题—策略—项目对应表")
    html = report_zh[1].read_text(encoding="utf-8")
    assert '<section id="coverage"><h2>问题—策略—项目对应表</h2>' in html
    assert html.index('id="step4"') < html.index('id="coverage"') < html.index('id="data_gaps"')


def test_coverage_section_prints_the_columns_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from blockcheck.report.sections import coverage_table_section

    stub = pd.DataFrame(
        {
            "problem_id": ["PB-ALL-parking_gap", "PB-ALL-old_housing"],
            "type": ["交通出行", "居住产业"],
            "problem": ["停车位缺口大", "老旧小区多"],
            "strategy_codes": ["【分时停车】", "【住宅提质】"],
            "project_count": [58, 0],
            "task_ids": ["TK-1,TK-2", None],
            "closed": ["38,868个", "——"],
            "open": ["92,401个", "待落实（16个街区）"],
            "status": ["partly_open", "open"],
            "status_zh": ["部分待落实", "待落实"],
        }
    )
    table = coverage_table_section(stub, "zh")
    assert table.frame.columns.tolist() == [
        "类型",
        "问题",
        "回应的策略（图5）",
        "项目数（图8）",
        "待落实任务数（图7）",
        "项目落实",
        "尚待落实",
        "状态",
    ]
    assert table.frame.iloc[0].tolist() == [
        "居住产业",
        "老旧小区多",
        "【住宅提质】",
        0,
        0,
        "——",
        "待落实（16个街区）",
        "待落实",
    ]  # 图1 order
    assert table.frame.iloc[1, 4] == 2 and table.group == 0
    english = coverage_table_section(
        stub, "en", pd.DataFrame({"id": ["PB-ALL-parking_gap"], "problem_en": ["Parking shortage"]})
    )
    assert english.frame["Problem"].tolist() == ["老旧小区多", "Parking shortage"] and english.frame[
        "Status"
    ].tolist() == ["open", "partly open"]
    assert english.frame["Type"].tolist() == ["Housing and industry", "Transport"]
