"""The CJK font: a Chinese face taken out of a .ttc collection for matplotlib < 3.11 (blockcheck.report.fonts)."""

from __future__ import annotations

import matplotlib
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from blockcheck.report import fonts


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(tmp_path))
    return tmp_path


def test_the_chinese_face_of_debians_noto_collection_becomes_a_font_of_its_own(cache) -> None:
    collections = {e.fname for e in font_manager.fontManager.ttflist if e.fname.endswith("NotoSansCJK-Regular.ttc")}
    assert collections, "fonts-noto-cjk is installed by scripts/setup.sh"
    face = fonts.collection_face("Noto Sans CJK SC")
    assert face == cache / "blockcheck-fonts" / "Noto Sans CJK SC.otf"
    assert TTFont(face)["name"].getDebugName(1) == "Noto Sans CJK SC"  # the Chinese face, not the first (JP) one
    assert FT2Font(str(face)).family_name == "Noto Sans CJK SC"  # what matplotlib 3.10 reads of the file
    written = face.stat().st_mtime_ns
    assert fonts.collection_face("Noto Sans CJK SC") == face and face.stat().st_mtime_ns == written  # cached


def test_a_family_no_collection_holds_gives_none(cache) -> None:
    assert fonts.collection_face("No Such Font SC") is None
    assert not (cache / "blockcheck-fonts").exists()
