"""The hearing report: report.pdf and report.html with the eight lists (图1–图8), the standards and the key maps."""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_report_common import EIGHT_TITLES, font_is_embedded, pdf_fonts, sample_data, sample_workbook


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory) -> list[Path]:  # noqa: ANN001
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
    appendix = html[html.index('<section id="standards">'):]
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
    for title in ("Fig. 1 Problem list", "Fig. 2 Resource list", "Fig. 8 Project list", "Standards used and their sources"):
        assert title in text
    assert "Supervising authority" in text and "Lead departments (suggested)" in text
    assert "主管单位" not in text and "现状情况" not in text


def test_not_a_workbook_is_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    import subprocess
    import sys

    bogus = tmp_path / "notes.gpkg"
    bogus.write_text("not a geopackage", encoding="utf-8")
    for command in ("maps", "atlas", "report"):
        out = tmp_path / ("maps" if command == "maps" else f"{command}.pdf")
        proc = subprocess.run([sys.executable, "-m", "blockcheck.cli", command, str(bogus), "--out", str(out)], capture_output=True, text=True, check=False, cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stderr)
        assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr
