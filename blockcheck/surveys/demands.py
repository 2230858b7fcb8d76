"""The demand list (需求清单, 图3): reading it, its respondents, and needs counted per block."""

from __future__ import annotations

import difflib
import os
import re

import pandas as pd

from blockcheck.errors import InputError
from blockcheck.surveys._reading import _data_rows, _find_columns, _read_grid
from blockcheck.surveys._text import _nfkc
from blockcheck.surveys.vocabulary import OTHER, DemandVocabulary, demand_vocabulary

#: Columns of :func:`read_demand_survey`'s result.
DEMAND_COLUMNS = ("subdistrict", "community", "category", "need_code", "need_zh", "raw_text", "source_row")
#: Columns of :func:`survey_respondents`' result (before matching).
RESPONDENT_COLUMNS = ("subdistrict", "community", "source_row", "has_needs")
#: Columns of :func:`demand_summary`'s result.
SUMMARY_COLUMNS = ("block_id", "category", "need_code", "need_zh", "community_count")
# Separators of several needs in one cell (after NFKC: ，；／｜ are already , ; / |).
_NEED_SEPARATORS = re.compile(r"[、,;/|\n\r\t]+")


def _split_needs(text: str, vocabulary: DemandVocabulary) -> list[str]:
    """Need phrases of one cell (NFKC'd, white space removed), none markers dropped."""
    if vocabulary.is_none(text):
        return []
    phrases: list[str] = []
    for part in _NEED_SEPARATORS.split(_nfkc(text)):
        part = part.strip()
        if not part or vocabulary.is_none(part):
            continue
        words = part.split()
        joined = "".join(words)
        if len(words) > 1 and vocabulary.lookup(joined) is None and all(vocabulary.lookup(w) for w in words):
            phrases.extend(words)  # "养老 医疗": spaces used as separators
        else:
            phrases.append(joined)
    return phrases


def _close_labels(phrase: str, vocabulary: DemandVocabulary, category: str) -> list[str]:
    labels = [n.label_zh for n in vocabulary.needs_of(category)] or [n.label_zh for n in vocabulary.needs]
    contained = [label for label in labels if label in phrase or phrase in label]
    return list(dict.fromkeys(contained + difflib.get_close_matches(phrase, labels, n=3, cutoff=0.4)))[:3]


def read_demand_survey(
    path: str | os.PathLike,
    *,
    sheet: str | int | None = None,
    vocabulary: DemandVocabulary | None = None,
) -> pd.DataFrame:
    """Read a demand list (需求清单, 图3) into one row per community × category × need.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8 with or without BOM, GB18030, UTF-16; comma or tab
        separated) or ``.xlsx`` file whose header row (within the first 20
        rows; title rows above are skipped) holds ``街道, 社区, 公共服务设施,
        公共空间, 市政公用设施, 交通停车问题`` (or the header aliases of the
        vocabulary, e.g. 交通停车, 市政设施, 公共服务设施需求).
    sheet
        XLSX only: sheet name or 0-based number. Default: the first sheet whose
        name contains 需求 (e.g. 需求清单), else the first sheet.
    vocabulary
        Need vocabulary; default :func:`demand_vocabulary` (the packaged one).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DEMAND_COLUMNS`: ``subdistrict``, ``community`` (names
        as written, full-width characters and spaces normalised), ``category``
        (category code of the need), ``need_code`` (vocabulary code or
        ``"other"``), ``need_zh`` (vocabulary label, or the phrase as written
        for ``other``), ``raw_text`` (the cell as written), ``source_row``
        (1-based row number as Excel shows it, header row included).
        Rows are in file order, then column order, then order in the cell; a
        need repeated in one cell appears once.

        ``attrs["warnings"]``: list of messages (unknown phrases kept as
        ``other``, needs written in another category's column, community names
        carried down from the row above, ignored columns).
        ``attrs["respondents"]``: every community row of the survey (see
        :func:`survey_respondents`), including those whose four cells are all
        none, which yield no need rows. ``attrs["source"]``: the file.

    Raises
    ------
    blockcheck.errors.InputError
        If the file is missing, unreadable or lacks headers (the message names
        the file, the missing headers and the expected 图3 headers).

    Notes
    -----
    - 街道 is carried down over empty cells (merged cells in Excel are empty
      below their first row; in XLSX every merged range is filled). 社区 is
      carried down too, with a warning unless the cell is part of a merged range.
    - Blank rows are skipped; a row with only 街道 is a group heading.
    - A cell means "none" when empty, ``--``, ``—``, ``——``, ``无`` or another
      none marker of the vocabulary.
    - Needs in a cell are separated by 、 ， , ； ; / | or line breaks; spaces
      separate needs only when every part is a known need.
    """
    vocabulary = vocabulary or demand_vocabulary()
    grid = _read_grid(path, sheet=sheet, sheet_hint="需求", what="demand list (图3)")
    wanted = {"subdistrict": vocabulary.id_headers["subdistrict"], "community": vocabulary.id_headers["community"]}
    wanted.update({c.code: c.headers for c in vocabulary.categories})
    expected = [wanted["subdistrict"][0], wanted["community"][0], *(c.headers[0] for c in vocabulary.categories)]
    header_row, columns, warnings = _find_columns(grid, wanted, expected, "demand list (图3)")

    records: list[dict] = []
    respondents: list[dict] = []
    for row in _data_rows(grid, header_row, columns, warn_carried_community=True, warnings=warnings):
        seen: set[tuple[str, str, str]] = set()
        n_before = len(records)
        as_needs = _split_needs(row.community or "", vocabulary)
        if as_needs and all(vocabulary.lookup(p) for p in as_needs):
            warnings.append(
                f"{grid.where}, row {row.source_row}: the 社区 cell {row.community!r} reads as a list of needs; "
                "are the cells of this row shifted by one column? Put the community name in the 社区 column."
            )
        for category in vocabulary.categories:
            raw = row.cells[category.code]
            for phrase in _split_needs(raw, vocabulary):
                need = vocabulary.lookup(phrase)
                if need is None:
                    code, label, cat = OTHER, phrase, category.code
                    close = _close_labels(phrase, vocabulary, category.code)
                    hint = f" Did you mean {' / '.join(close)}?" if close else ""
                    warnings.append(
                        f"{grid.where}, row {row.source_row}, column {category.headers[0]}: {phrase!r} is not in the "
                        "demand "
                        f"vocabulary; kept as need_code 'other'.{hint} Add it as an alias in demand_vocabulary.toml "
                        "or write a listed need."
                    )
                else:
                    code, label, cat = need.code, need.label_zh, need.category
                    if cat != category.code:
                        warnings.append(
                            f"{grid.where}, row {row.source_row}: {phrase!r} is written under {category.headers[0]} "
                            "but is a "
                            f"{vocabulary.category(cat).headers[0]} need; read as category {cat!r}."
                        )
                key = (cat, code, label)
                if key in seen:
                    continue
                seen.add(key)
                records.append(
                    {
                        "subdistrict": row.subdistrict,
                        "community": row.community,
                        "category": cat,
                        "need_code": code,
                        "need_zh": label,
                        "raw_text": raw,
                        "source_row": row.source_row,
                    }
                )
        respondents.append(
            {
                "subdistrict": row.subdistrict,
                "community": row.community,
                "source_row": row.source_row,
                "has_needs": len(records) > n_before,
            }
        )
    table = pd.DataFrame.from_records(records, columns=list(DEMAND_COLUMNS))
    table["source_row"] = table["source_row"].astype("int64")
    table.attrs = {"source": grid.where, "warnings": warnings, "respondents": respondents}
    return table


def survey_respondents(demands: pd.DataFrame) -> pd.DataFrame:
    """Every community row of a demand survey, including those that answered "no needs".

    Parameters
    ----------
    demands
        Result of :func:`read_demand_survey` (or of :func:`match_communities` on it).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RESPONDENT_COLUMNS` (``has_needs`` False when all four
        cells were none), plus ``community_id`` and ``block_id`` after matching.

    Raises
    ------
    blockcheck.errors.InputError
        If `demands` does not carry ``attrs["respondents"]`` (it was not made
        by :func:`read_demand_survey`, or attrs were lost on the way).
    """
    if "respondents" not in demands.attrs:
        msg = (
            "survey_respondents: the table carries no attrs['respondents']; pass the table returned by "
            "read_demand_survey (or match_communities) unchanged."
        )
        raise InputError(msg)
    records = demands.attrs["respondents"]
    columns = list(RESPONDENT_COLUMNS)
    if records and "block_id" in records[0]:
        columns += ["community_id", "block_id"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for name in ("community_id", "block_id"):
        if name in frame.columns:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def demand_summary(demands: pd.DataFrame, *, vocabulary: DemandVocabulary | None = None) -> pd.DataFrame:
    """Count the communities asking for each need, per block.

    Parameters
    ----------
    demands
        Result of :func:`match_communities` on :func:`read_demand_survey`
        (needs ``block_id``, ``category``, ``need_code``, ``community``).
    vocabulary
        Used for labels and the order of categories and needs; default
        :func:`demand_vocabulary`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`: ``block_id`` (None for communities
        not matched to a block — they are counted, not dropped),
        ``category``, ``need_code``, ``need_zh`` (vocabulary label; ``其他``
        for ``other``), ``community_count`` (distinct communities asking).
        Sorted by block, then vocabulary order of categories and needs
        (``other`` last in its category).

    Raises
    ------
    blockcheck.errors.InputError
        If a required column is missing (e.g. ``block_id``: call
        :func:`match_communities` first).
    """
    vocabulary = vocabulary or demand_vocabulary()
    missing = [c for c in ("block_id", "category", "need_code", "community") if c not in demands.columns]
    if missing:
        msg = (
            f"demand_summary: the table lacks column(s) {', '.join(missing)}. Read it with read_demand_survey and put "
            "it on blocks with match_communities first."
        )
        raise InputError(msg)
    frame = demands.copy()
    sub = frame["subdistrict"].fillna("") if "subdistrict" in frame.columns else ""
    key_id = (
        frame["community_id"] if "community_id" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    )
    frame["_community"] = key_id.where(key_id.notna(), sub + "\x1f" + frame["community"].fillna(""))
    frame["_block"] = frame["block_id"].astype(object).where(frame["block_id"].notna(), None)
    grouped = (
        frame.groupby(["_block", "category", "need_code"], dropna=False, sort=False)["_community"]
        .nunique()
        .reset_index(name="community_count")
    )
    category_order = {c.code: i for i, c in enumerate(vocabulary.categories)}
    need_order = {n.code: i for i, n in enumerate(vocabulary.needs)}
    grouped["_block_missing"] = grouped["_block"].isna()
    grouped["_cat"] = grouped["category"].map(category_order).fillna(len(category_order))
    grouped["_need"] = grouped["need_code"].map(need_order).fillna(len(need_order))
    grouped["_block_sort"] = grouped["_block"].fillna("").astype(str)
    grouped = grouped.sort_values(["_block_missing", "_block_sort", "_cat", "_need"], kind="stable")
    labels = {n.code: n.label_zh for n in vocabulary.needs}
    result = pd.DataFrame(
        {
            "block_id": pd.Series(grouped["_block"].to_list(), dtype=object).where(
                grouped["_block"].notna().to_numpy(), None
            ),
            "category": grouped["category"].to_numpy(),
            "need_code": grouped["need_code"].to_numpy(),
            "need_zh": [labels.get(code, "其他") for code in grouped["need_code"]],
            "community_count": grouped["community_count"].astype("int64").to_numpy(),
        }
    )
    return result.reset_index(drop=True)
