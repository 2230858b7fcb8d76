"""The block atlas: page count = blocks + fixed pages, fonts embedded, no missing glyphs, CLI, a page as PNG.

docs/img/atlas_page.png (shown in the README) is a block page rendered by
render_block_page in this test; refresh it with

    BLOCKCHECK_REGEN_BASELINES=1 QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg \\
        .venv/bin/pytest -q tests/test_report_atlas.py -k page_png
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader

from districts import ROOT
from test_report_common import font_is_embedded, pdf_fonts, sample_data, sample_workbook

DOC_IMAGE = ROOT / "docs" / "img" / "atlas_page.png"


@pytest.fixture(scope="module")
def atlas(tmp_path_factory) -> Path:
    from blockcheck.report.atlas import export_atlas

    out = tmp_path_factory.mktemp("atlas") / "atlas.pdf"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_atlas(sample_data(), out)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    return out


def test_page_count_is_blocks_plus_fixed_pages(atlas: Path) -> None:
    from blockcheck.report.atlas import FIXED_PAGES

    assert FIXED_PAGES == 2  # cover, district overview
    assert len(PdfReader(atlas).pages) == len(sample_data().blocks) + FIXED_PAGES


def test_fonts_are_embedded(atlas: Path) -> None:
    fonts = pdf_fonts(atlas)
    assert fonts
    assert all(font_is_embedded(f) for f in fonts), [str(f.get("/BaseFont")) for f in fonts if not font_is_embedded(f)]
    assert any("NotoSansCJK" in str(f.get("/BaseFont")) for f in fonts)


def test_pages_say_what_they_show(atlas: Path) -> None:
    reader = PdfReader(atlas)
    cover = reader.pages[0].extract_text()
    assert "图集" in cover and "图8 项目清单" in cover
    first_block = sample_data().blocks.iloc[0]
    page = reader.pages[2].extract_text()
    assert first_block["block_id"] in page and first_block["name"] in page
    for title in ("图1 问题清单", "图2 资源清单", "图8 项目清单", "北"):
        assert title in page


def test_atlas_cli(tmp_path: Path) -> None:
    from blockcheck.cli import main

    out = tmp_path / "atlas.pdf"
    main(["atlas", str(sample_workbook()), "--out", str(out), "--quiet"])
    assert len(PdfReader(out).pages) == len(sample_data().blocks) + 2


def test_english_block_page() -> None:
    from blockcheck.report.atlas import _BlockPage
    from blockcheck.report.fonts import glyph_guard

    with glyph_guard():
        page = _BlockPage(sample_data(), "en")
        block = sample_data().block_ids()[0]
        page.show(block, 3)
        texts = [t.get_text() for t in page.fig.texts]
    assert f"Block {block}" in texts[0]
    assert {"Fig. 1 Problem list", "Fig. 8 Project list", "Step", "List", "Rows", "Main contents"} <= set(texts)
    steps = [t.replace("\n", " ") for t in texts if t.startswith("Step ")]
    assert steps == [
        "Step 1 Health check finds problems",
        "Step 2 Consultation finds needs",
        "Step 3 Whole-area strategy with policies",
        "Step 4 Plans into action",
    ]
    assert any(t.startswith("Resources") for t in texts)


def test_block_page_png(tmp_path: Path) -> None:
    from PIL import Image

    from blockcheck.report.atlas import render_block_page

    block = sample_data().block_ids()[5]
    png = render_block_page(sample_data(), block, tmp_path / "page.png")
    with Image.open(png) as im:
        assert im.size == (909, 1285)  # A4 at 110 dpi
    if os.environ.get("BLOCKCHECK_REGEN_BASELINES") == "1":
        DOC_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        DOC_IMAGE.write_bytes(png.read_bytes())
    assert DOC_IMAGE.exists()


def test_atlas_names_the_four_steps_as_the_method_does(atlas: Path) -> None:
    from blockcheck.report.workbook_data import EIGHT_LISTS, feature_counts

    reader = PdfReader(atlas)
    cover = " ".join(reader.pages[0].extract_text().split())
    steps = ["第一步 体检评估找问题", "第二步 多元协商问需求", "第三步 整体策划配政策", "第四步 制定计划推行动"]
    assert [cover.index(s) for s in steps] == sorted(cover.index(s) for s in steps)
    wb = sample_data()
    for i, (name, title) in enumerate(
        zip(
            EIGHT_LISTS,
            [
                "图1 问题清单",
                "图2 资源清单",
                "图3 需求清单",
                "图4 愿景清单",
                "图5 策略清单",
                "图6 政策清单",
                "图7 任务清单",
                "图8 项目清单",
            ],
            strict=True,
        )
    ):
        n = int(feature_counts(wb.lists[name]).sum()) if name == "resource_list" else len(wb.lists[name])
        assert f"{title} {n:,}" in cover  # the cover counts every row of each list (resources: every feature)
        assert cover.index(steps[i // 2]) < cover.index(title)
    page = reader.pages[2].extract_text()
    for ordinal, name in (s.split() for s in steps):
        assert ordinal in page and name in page
    flat = page.replace("\n", "")
    assert "多元协商问需求" in flat and "协商共治" not in flat


def test_atlas_never_breaks_a_block_code(atlas: Path) -> None:
    text = "\n".join(page.extract_text() for page in PdfReader(atlas).pages)
    codes = sample_data().block_ids()
    assert all(code in text for code in codes)
    for code in codes:
        for k in range(1, len(code)):
            assert f"{code[:k]}\n{code[k:]}" not in text, (code[:k], code[k:])
