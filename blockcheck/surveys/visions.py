"""The vision list (愿景清单, 图4): reading it, and classifying visions by keyword."""

from __future__ import annotations

import os
import re

import pandas as pd

from blockcheck.surveys._reading import _data_rows, _find_columns, _read_grid
from blockcheck.surveys._text import _is_blank, _squash
from blockcheck.surveys.vocabulary import OTHER, DemandVocabulary, VisionKeywords, demand_vocabulary, vision_keywords

#: Columns of :func:`read_vision_survey`'s result.
VISION_COLUMNS = ("subdistrict", "community", "vision_text", "categories", "source_row")
# Separators of several visions in one cell: line breaks and semicolons.
_VISION_SEPARATORS = re.compile(r"[\n\r;；]+")
_ENUMERATION = re.compile(r"^\s*(?:[(（]?\d{1,2}[.)）、．]|[①-⑳]|[一二三四五六七八九十][、.．])\s*")


def classify_vision(text: str, *, keywords: VisionKeywords | None = None) -> list[str]:
    """Vision categories of a text, by keyword.

    Parameters
    ----------
    text
        A resident's hope, e.g. ``"家门口有便民菜市场和早餐店"``.
    keywords
        Categories and keywords; default :func:`vision_keywords` (the packaged
        ``data/vision_keywords.toml``).

    Returns
    -------
    list of str
        Codes of every category with a keyword in the text (after removing that
        category's ``exclude`` phrases), in the order of the keyword file;
        ``["other"]`` if none matches (also for empty text).

    Examples
    --------
    >>> classify_vision("社区里开一家老年餐桌，老人能吃上热乎饭")
    ['food', 'elderly_care']
    >>> classify_vision("老楼加装电梯，楼道、管线和外墙翻新")
    ['housing']
    """
    keywords = keywords or vision_keywords()
    key = "" if _is_blank(text) else _squash(str(text)).lower()
    found = []
    for category in keywords.categories:
        haystack = key
        for phrase in category.exclude:
            haystack = haystack.replace(phrase, "\x00")
        if any(word in haystack for word in category.keywords):
            found.append(category.code)
    return found or [OTHER]


def read_vision_survey(
    path: str | os.PathLike,
    *,
    sheet: str | int | None = None,
    keywords: VisionKeywords | None = None,
    vocabulary: DemandVocabulary | None = None,
) -> pd.DataFrame:
    """Read a vision list (愿景清单, 图4) into one row per vision.

    Parameters
    ----------
    path
        ``.csv`` (UTF-8 with or without BOM, GB18030) or ``.xlsx`` with the
        headers ``街道, 社区, 愿景`` (aliases accepted, e.g. 居民愿景).
    sheet
        XLSX only: sheet name or 0-based number. Default: the first sheet whose
        name contains 愿景, else the first sheet.
    keywords
        Vision categories; default :func:`vision_keywords`.
    vocabulary
        Only its accepted 街道 / 社区 headers are used; default :func:`demand_vocabulary`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VISION_COLUMNS`: ``subdistrict``, ``community``,
        ``vision_text`` (as written, trimmed; leading numbering such as ``1.``
        or ``①`` removed), ``categories`` (comma-separated codes from
        :func:`classify_vision`), ``source_row`` (1-based, as Excel shows it).
        A cell holding several visions on separate lines or separated by ；
        gives one row each. ``attrs["warnings"]`` and ``attrs["source"]`` as
        for :func:`read_demand_survey`.

    Raises
    ------
    blockcheck.errors.InputError
        If the file is missing, unreadable or lacks the 社区 or 愿景 header.

    Notes
    -----
    Vision lists usually give several rows per community with 街道 and 社区
    merged; both are carried down over empty cells without a warning.
    """
    keywords = keywords or vision_keywords()
    vocabulary = vocabulary or demand_vocabulary()
    grid = _read_grid(path, sheet=sheet, sheet_hint="愿景", what="vision list (图4)")
    wanted = {
        "subdistrict": vocabulary.id_headers["subdistrict"],
        "community": vocabulary.id_headers["community"],
        "vision": keywords.headers,
    }
    expected = [headers[0] for headers in wanted.values()]
    header_row, columns, warnings = _find_columns(grid, wanted, expected, "vision list (图4)")
    records = []
    for row in _data_rows(grid, header_row, columns, warn_carried_community=False, warnings=warnings):
        raw = row.cells["vision"]
        if keywords.is_none(raw):
            continue
        for piece in _VISION_SEPARATORS.split(raw):
            text = _ENUMERATION.sub("", piece).strip(" \t\u3000")
            if keywords.is_none(text):
                continue
            records.append(
                {
                    "subdistrict": row.subdistrict,
                    "community": row.community,
                    "vision_text": text,
                    "categories": ",".join(classify_vision(text, keywords=keywords)),
                    "source_row": row.source_row,
                }
            )
    table = pd.DataFrame.from_records(records, columns=list(VISION_COLUMNS))
    table["source_row"] = table["source_row"].astype("int64")
    table.attrs = {"source": grid.where, "warnings": warnings}
    return table
