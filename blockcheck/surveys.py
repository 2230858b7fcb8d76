"""Reading the consultation surveys: the demand list (需求清单, 图3) and the vision list (愿景清单, 图4).

Step 2 of the method ("consultation finds needs") produces two tables filled in
by sub-districts and communities, usually in Excel:

- the **demand list**: one row per community with the headers
  ``街道, 社区, 公共服务设施, 公共空间, 市政公用设施, 交通停车问题``; each category cell
  lists needs (文化活动室、养老 …) or ``--`` for none;
- the **vision list**: ``街道, 社区, 愿景``, residents' hopes for daily life (衣食住行 …).

:func:`read_demand_survey` and :func:`read_vision_survey` read either table
from CSV (UTF-8 with or without BOM, GB18030) or XLSX, the way people make them:
merged 街道 cells, blank rows, full-width punctuation, several needs per cell.
Needs are coded with the vocabulary ``data/demand_vocabulary.toml``; visions are
classified with ``data/vision_keywords.toml``. :func:`match_communities` puts
every row on a community of the communities layer and on the block holding
most of that community; :func:`demand_summary` counts needs per block for the
strategy rules.

Readers return DataFrames; what they noticed (unknown phrases, carried-down
names) is in ``table.attrs["warnings"]``, every community that answered the demand
survey (including those with no needs at all) in ``table.attrs["respondents"]``
(see :func:`survey_respondents`) and the file in ``table.attrs["source"]``.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import re
import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import CRSError, InputError

__all__ = [
    "DEMAND_COLUMNS",
    "OTHER",
    "RESPONDENT_COLUMNS",
    "SUMMARY_COLUMNS",
    "VISION_COLUMNS",
    "DemandVocabulary",
    "Need",
    "NeedCategory",
    "VisionCategory",
    "VisionKeywords",
    "classify_vision",
    "demand_summary",
    "demand_vocabulary",
    "match_communities",
    "read_demand_survey",
    "read_vision_survey",
    "survey_respondents",
    "vision_keywords",
]

#: Code of a need or vision that the vocabulary does not know.
OTHER = "other"
#: Columns of :func:`read_demand_survey`'s result.
DEMAND_COLUMNS = ("subdistrict", "community", "category", "need_code", "need_zh", "raw_text", "source_row")
#: Columns of :func:`read_vision_survey`'s result.
VISION_COLUMNS = ("subdistrict", "community", "vision_text", "categories", "source_row")
#: Columns of :func:`survey_respondents`' result (before matching).
RESPONDENT_COLUMNS = ("subdistrict", "community", "source_row", "has_needs")
#: Columns of :func:`demand_summary`'s result.
SUMMARY_COLUMNS = ("block_id", "category", "need_code", "need_zh", "community_count")

_HEADER_SCAN_ROWS = 20
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_DASHES = frozenset("-‐‑‒–—―−－﹣─━")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_TRIM = "。.!?:\"'“”‘’"
# Separators of several needs in one cell (after NFKC: ，；／｜ are already , ; / |).
_NEED_SEPARATORS = re.compile(r"[、,;/|\n\r\t]+")
# Separators of several visions in one cell: line breaks and semicolons.
_VISION_SEPARATORS = re.compile(r"[\n\r;；]+")
_ENUMERATION = re.compile(r"^\s*(?:[(（]?\d{1,2}[.)）、．]|[①-⑳]|[一二三四五六七八九十][、.．])\s*")
_NAME_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "居委会", "社区")
_SUBDISTRICT_SUFFIXES = ("街道办事处", "地区办事处", "办事处", "街道", "地区")


# ------------------------------------------------------------- normalising ----


def _nfkc(text: str) -> str:
    """Full-width letters, digits, punctuation and spaces → their half-width forms."""
    return unicodedata.normalize("NFKC", text)


def _squash(text: str) -> str:
    """NFKC, all white space removed."""
    return re.sub(r"\s+", "", _nfkc(text))


def _phrase_key(text: str) -> str:
    """Key a phrase is matched on: NFKC, no white space, lower case, no bracketed notes."""
    key = _BRACKETS.sub("", _squash(text).lower())
    return key.strip(_TRIM)


def _header_keys(text: str) -> tuple[str, ...]:
    """Keys a header cell is matched on: as is, and without bracketed notes."""
    key = _squash(text).lower().strip("*:#").strip(_TRIM)
    bare = _BRACKETS.sub("", key)
    return (key, bare) if bare != key else (key,)


def _is_dashes(key: str) -> bool:
    return bool(key) and all(ch in _DASHES for ch in key)


def _name_key(text: object) -> str:
    """Community name key: NFKC, no white space, trailing 社区 / 居委会 ignored."""
    if _is_blank(text):
        return ""
    key = _squash(str(text))
    for suffix in _NAME_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _subdistrict_key(text: object) -> str:
    """Sub-district key: NFKC, no white space, trailing 街道 / 地区 / 办事处 ignored."""
    if _is_blank(text):
        return ""
    key = _squash(str(text))
    for suffix in _SUBDISTRICT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return value is pd.NA or (isinstance(value, str) and not value.strip())


def _clean_name(value: str) -> str:
    """A name as written, trimmed of white space (including full-width spaces) and NFKC'd."""
    return _squash(value)


# ---------------------------------------------------------- vocabularies ----


@dataclass(frozen=True)
class NeedCategory:
    """One column of the demand list (图3), e.g. ``public_service`` 公共服务设施."""

    code: str
    label_zh: str
    label_en: str
    headers: tuple[str, ...]  # accepted headers; the first is the 图3 header


@dataclass(frozen=True)
class Need:
    """One need of the demand vocabulary, e.g. ``elderly_care`` 养老."""

    code: str
    category: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()
    facility_category: tuple[str, ...] = ()  # input-model facility_category keys
    problem_metric: tuple[str, ...] = ()  # metric keys evidencing the need


@dataclass(frozen=True)
class DemandVocabulary:
    """Categories and needs of the demand list, with the lookups used to read surveys."""

    categories: tuple[NeedCategory, ...]
    needs: tuple[Need, ...]
    id_headers: dict[str, tuple[str, ...]]  # "subdistrict" / "community" → accepted headers
    none_markers: frozenset[str]
    source: str = ""
    _by_phrase: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for need in self.needs:
            for phrase in (need.code, need.label_zh, need.label_en, *need.aliases):
                table.setdefault(_phrase_key(phrase), need.code)
        object.__setattr__(self, "_by_phrase", table)

    def lookup(self, phrase: str) -> Need | None:
        """The need `phrase` names (code, label or alias, after normalisation), or None."""
        code = self._by_phrase.get(_phrase_key(phrase))
        return None if code is None else self.need(code)

    def need(self, code: str) -> Need:
        """The need with code `code` (KeyError if unknown)."""
        for need in self.needs:
            if need.code == code:
                return need
        raise KeyError(code)

    def category(self, code: str) -> NeedCategory:
        """The category with code `code` (KeyError if unknown)."""
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)

    def needs_of(self, category: str) -> tuple[Need, ...]:
        """The needs of one category, in file order."""
        return tuple(n for n in self.needs if n.category == category)

    def is_none(self, text: str) -> bool:
        """True if `text` means "no need" (empty, dashes or a none marker)."""
        key = _phrase_key(text)
        return not key or _is_dashes(key) or key in self.none_markers


@dataclass(frozen=True)
class VisionCategory:
    """One category of the vision list, e.g. ``food`` 食, with its keywords."""

    code: str
    label_zh: str
    label_en: str
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisionKeywords:
    """Vision categories (file order) and the accepted vision column headers."""

    categories: tuple[VisionCategory, ...]
    headers: tuple[str, ...]
    none_markers: frozenset[str]
    source: str = ""

    def is_none(self, text: str) -> bool:
        """True if `text` holds no vision (empty, dashes or a none marker)."""
        key = _phrase_key(text)
        return not key or _is_dashes(key) or key in self.none_markers


def _read_toml(path: str | os.PathLike | None, packaged: str) -> tuple[dict, str]:
    if path is None:
        text = resources.files("blockcheck").joinpath(f"data/{packaged}").read_text("utf-8")
        return tomllib.loads(text), f"blockcheck/data/{packaged}"
    path = Path(path)
    try:
        return tomllib.loads(path.read_text("utf-8")), str(path)
    except FileNotFoundError:
        msg = f"{path}: file not found. Give the path of a {packaged}-style TOML file, or None for the packaged one."
        raise InputError(msg) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"{path}: not a valid UTF-8 TOML file ({err}). Fix the syntax; blockcheck/data/{packaged} is an example."
        raise InputError(msg) from None


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in (value or ()))


def _parse_demand_vocabulary(doc: dict, where: str) -> DemandVocabulary:
    from .input_model import input_model  # local: keeps module import light

    problems: list[str] = []
    facility_keys = set(input_model().vocabulary("facility_category").keys)
    categories = []
    for code, table in doc.get("categories", {}).items():
        if not _SNAKE.match(code):
            problems.append(f"category code {code!r} is not snake_case ASCII")
        headers = _strings(table.get("headers")) or (table.get("label_zh", code),)
        categories.append(NeedCategory(code, table.get("label_zh", code), table.get("label_en", code), headers))
    if not categories:
        problems.append("no [categories.<code>] tables")
    category_codes = {c.code for c in categories}
    needs = []
    seen_phrases: dict[str, str] = {}
    for code, table in doc.get("needs", {}).items():
        if not _SNAKE.match(code) or code == OTHER:
            problems.append(f"need code {code!r} must be snake_case ASCII and not {OTHER!r}")
        if table.get("category") not in category_codes:
            problems.append(f"need {code!r}: category {table.get('category')!r} is not one of {sorted(category_codes)}")
        if "label_zh" not in table:
            problems.append(f"need {code!r}: label_zh is missing")
        facilities = _strings(table.get("facility_category"))
        problems.extend(
            f"need {code!r}: facility_category {f!r} is not a key of vocabularies.facility_category in input_model.toml"
            for f in facilities
            if f not in facility_keys
        )
        need = Need(
            code=code,
            category=str(table.get("category", "")),
            label_zh=str(table.get("label_zh", code)),
            label_en=str(table.get("label_en", code)),
            aliases=_strings(table.get("aliases")),
            facility_category=facilities,
            problem_metric=_strings(table.get("problem_metric")),
        )
        for phrase in dict.fromkeys((need.code, need.label_zh, need.label_en, *need.aliases)):
            key = _phrase_key(phrase)
            if key in seen_phrases and seen_phrases[key] != code:
                problems.append(f"wording {phrase!r} is used by needs {seen_phrases[key]!r} and {code!r}")
            seen_phrases.setdefault(key, code)
        needs.append(need)
    id_headers = {}
    for name, label in (("subdistrict", "街道"), ("community", "社区")):
        table = doc.get("columns", {}).get(name, {})
        id_headers[name] = _strings(table.get("headers")) or (label,)
    if problems:
        msg = f"{where}: the demand vocabulary has {len(problems)} problem(s):\n- " + "\n- ".join(problems)
        raise InputError(msg)
    markers = frozenset(_phrase_key(m) for m in _strings(doc.get("none_markers")))
    return DemandVocabulary(tuple(categories), tuple(needs), id_headers, markers, str(doc.get("source", "")))


def _parse_vision_keywords(doc: dict, where: str) -> VisionKeywords:
    problems: list[str] = []
    categories = []
    for code, table in doc.get("categories", {}).items():
        if not _SNAKE.match(code) or code == OTHER:
            problems.append(f"category code {code!r} must be snake_case ASCII and not {OTHER!r}")
        keywords = tuple(_phrase_key(k) for k in _strings(table.get("keywords")))
        if not keywords or not all(keywords):
            problems.append(f"category {code!r} has no or empty keywords")
        exclude = tuple(_phrase_key(k) for k in _strings(table.get("exclude")))
        categories.append(VisionCategory(code, table.get("label_zh", code), table.get("label_en", code), keywords, exclude))
    if not categories:
        problems.append("no [categories.<code>] tables")
    if problems:
        msg = f"{where}: the vision keywords have {len(problems)} problem(s):\n- " + "\n- ".join(problems)
        raise InputError(msg)
    headers = _strings(doc.get("columns", {}).get("vision", {}).get("headers")) or ("愿景",)
    markers = frozenset(_phrase_key(m) for m in _strings(doc.get("none_markers")))
    return VisionKeywords(tuple(categories), headers, markers, str(doc.get("source", "")))


@cache
def _packaged_demand_vocabulary() -> DemandVocabulary:
    return _parse_demand_vocabulary(*_read_toml(None, "demand_vocabulary.toml"))


@cache
def _packaged_vision_keywords() -> VisionKeywords:
    return _parse_vision_keywords(*_read_toml(None, "vision_keywords.toml"))


def demand_vocabulary(path: str | os.PathLike | None = None) -> DemandVocabulary:
    """Load the demand vocabulary.

    Parameters
    ----------
    path
        A TOML file shaped like ``blockcheck/data/demand_vocabulary.toml``; None
        (default) loads the packaged one (cached).

    Returns
    -------
    DemandVocabulary
        Categories (survey columns) and needs with their codes, labels, aliases
        and links (``facility_category``, ``problem_metric``).

    Raises
    ------
    blockcheck.errors.InputError
        If the file is missing, not TOML, or inconsistent (every problem listed).
    """
    if path is None:
        return _packaged_demand_vocabulary()
    return _parse_demand_vocabulary(*_read_toml(path, "demand_vocabulary.toml"))


def vision_keywords(path: str | os.PathLike | None = None) -> VisionKeywords:
    """Load the vision categories and keywords.

    Parameters
    ----------
    path
        A TOML file shaped like ``blockcheck/data/vision_keywords.toml``; None
        (default) loads the packaged one (cached).

    Returns
    -------
    VisionKeywords

    Raises
    ------
    blockcheck.errors.InputError
        If the file is missing, not TOML, or inconsistent.
    """
    if path is None:
        return _packaged_vision_keywords()
    return _parse_vision_keywords(*_read_toml(path, "vision_keywords.toml"))


# ------------------------------------------------------------ file reading ----


@dataclass
class _Grid:
    """Cells of a sheet as text; ``rows[i]`` is the row a user sees as number i + 1."""

    rows: list[list[str]]
    merged: set[tuple[int, int]]  # (row, col) positions filled from a merged range (not its first cell)
    where: str  # file name (and sheet) for messages

    def cell(self, row: int, col: int) -> str:
        values = self.rows[row]
        return values[col] if col < len(values) else ""


def _decode(data: bytes, path: Path) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", data)]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, raw in candidates:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    tried = " or ".join(enc for enc, _ in candidates)
    msg = f"{path}: the text is neither {tried}. Save it from Excel as 'CSV UTF-8 (逗号分隔)' or as .xlsx."
    raise InputError(msg)


def _read_csv_grid(path: Path) -> _Grid:
    text = _decode(path.read_bytes(), path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return _Grid(rows, set(), str(path))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx_grid(path: Path, *, sheet: str | int | None, sheet_hint: str) -> _Grid:
    import openpyxl  # a core dependency; imported here to keep module import light
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, OSError, KeyError, ValueError) as err:
        msg = f"{path}: cannot be read as an Excel .xlsx workbook ({err}). Open it in Excel and save it again as .xlsx or as CSV UTF-8."
        raise InputError(msg) from None
    try:
        names = workbook.sheetnames
        if sheet is None:
            chosen = next((n for n in names if sheet_hint in _squash(n)), names[0])
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                msg = f"{path}: there is no sheet number {sheet} (the workbook has {len(names)}: {', '.join(names)})."
                raise InputError(msg)
            chosen = names[sheet]
        else:
            if sheet not in names:
                msg = f"{path}: there is no sheet {sheet!r}. Sheets: {', '.join(names)}. Pass one of them as sheet=."
                raise InputError(msg)
            chosen = sheet
        ws = workbook[chosen]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
        merged: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            value = _cell_text(ws.cell(rng.min_row, rng.min_col).value)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) == (rng.min_row, rng.min_col) or r > len(rows):
                        continue
                    values = rows[r - 1]
                    values.extend([""] * (c - len(values)))
                    values[c - 1] = value
                    merged.add((r - 1, c - 1))
    finally:
        workbook.close()
    where = f"{path}" if len(names) == 1 else f"{path}, sheet {chosen!r}"
    return _Grid(rows, merged, where)


def _read_grid(path: str | os.PathLike, *, sheet: str | int | None, sheet_hint: str, what: str) -> _Grid:
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path (relative paths start from {Path.cwd()})."
        raise InputError(msg)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx_grid(path, sheet=sheet, sheet_hint=sheet_hint)
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv_grid(path)
    if suffix in {".xls", ".et", ".wps", ".ods"}:
        msg = f"{path}: {suffix} workbooks are not read. Open it in Excel or WPS and save the {what} as .xlsx or as CSV UTF-8."
        raise InputError(msg)
    msg = f"{path}: unknown file type {suffix or '(no extension)'!r}. Give the {what} as .csv (UTF-8 or GB18030) or .xlsx."
    raise InputError(msg)


def _find_columns(grid: _Grid, wanted: dict[str, tuple[str, ...]], expected: list[str], what: str) -> tuple[int, dict[str, int], list[str]]:
    """Locate the header row and the column of each wanted field.

    Returns the header row position, field → column, and notes on ignored columns.
    Raises one InputError listing every missing or doubled header.
    """
    lookup: dict[str, str] = {}
    for name, headers in wanted.items():
        for header in headers:
            for key in _header_keys(header):
                lookup.setdefault(key, name)
    community_keys = {k for h in wanted["community"] for k in _header_keys(h)}
    header_row = None
    for i, row in enumerate(grid.rows[:_HEADER_SCAN_ROWS]):
        if any(not community_keys.isdisjoint(_header_keys(cell)) for cell in row if cell.strip()):
            header_row = i
            break
    expected_text = ", ".join(expected)
    if header_row is None:
        first = next((r for r in grid.rows if any(c.strip() for c in r)), [])
        seen = ", ".join(c.strip() for c in first if c.strip()) or "(nothing)"
        msg = (
            f"{grid.where}: no header row naming the 社区 column in the first {_HEADER_SCAN_ROWS} rows "
            f"(first row: {seen}). The {what} needs the headers {expected_text} in one row."
        )
        raise InputError(msg)
    columns: dict[str, int] = {}
    problems, notes = [], []
    for col, cell in enumerate(grid.rows[header_row]):
        if not cell.strip():
            continue
        name = next((lookup[k] for k in _header_keys(cell) if k in lookup), None)
        if name is None:
            notes.append(f"{grid.where}, row {header_row + 1}: column {cell.strip()!r} is not a column of the {what} and was ignored.")
        elif name in columns:
            problems.append(f"columns {columns[name] + 1} and {col + 1} are both read as {wanted[name][0]!r}; keep one of them")
        else:
            columns[name] = col
    missing = [headers[0] for name, headers in wanted.items() if name not in columns]
    if missing:
        problems.insert(
            0,
            f"missing column(s) {', '.join(missing)}; add them (an empty column, or '--' in every cell, "
            "if the survey did not ask)",
        )
    if problems:
        found = ", ".join(c.strip() for c in grid.rows[header_row] if c.strip())
        msg = (
            f"{grid.where}, header row {header_row + 1} ({found}): "
            + "; ".join(problems)
            + f". The {what} expects the headers {expected_text}."
        )
        raise InputError(msg)
    return header_row, columns, notes


@dataclass
class _Row:
    source_row: int
    subdistrict: str | None
    community: str | None
    cells: dict[str, str]  # field → raw cell text


def _data_rows(grid: _Grid, header_row: int, columns: dict[str, int], *, warn_carried_community: bool, warnings: list[str]) -> list[_Row]:
    """Non-blank rows below the header, with 街道 / 社区 carried down from merged or blank cells."""
    out: list[_Row] = []
    subdistrict: str | None = None
    community: str | None = None
    comm_col = columns["community"]
    for i in range(header_row + 1, len(grid.rows)):
        if not any(c.strip() for c in grid.rows[i]):
            continue  # blank row
        cells = {name: grid.cell(i, col) for name, col in columns.items()}
        others = {k: v for k, v in cells.items() if k not in {"subdistrict", "community"}}
        sub_text, comm_text = cells["subdistrict"].strip(), cells["community"].strip()
        if sub_text:
            new_sub = _clean_name(sub_text)
            if new_sub != subdistrict:
                community = None  # a new 街道 block starts
            subdistrict = new_sub
        if comm_text:
            community = _clean_name(comm_text)
        elif any(v.strip() for v in others.values()):
            if community is None:
                warnings.append(
                    f"{grid.where}, row {i + 1}: the 社区 cell is empty and there is no community above to carry down; "
                    "the row is kept without a community. Fill in the community name."
                )
            elif warn_carried_community and (i, comm_col) not in grid.merged:
                warnings.append(
                    f"{grid.where}, row {i + 1}: the 社区 cell is empty; read as {community!r} from the row above "
                    "(as a merged cell). Fill in the name if that is wrong."
                )
        else:
            continue  # only a 街道 (a group heading) or only blank category cells without a community
        out.append(_Row(i + 1, subdistrict, community, others))
    return out


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
                        f"{grid.where}, row {row.source_row}, column {category.headers[0]}: {phrase!r} is not in the demand "
                        f"vocabulary; kept as need_code 'other'.{hint} Add it as an alias in demand_vocabulary.toml "
                        "or write a listed need."
                    )
                else:
                    code, label, cat = need.code, need.label_zh, need.category
                    if cat != category.code:
                        warnings.append(
                            f"{grid.where}, row {row.source_row}: {phrase!r} is written under {category.headers[0]} but is a "
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


# ------------------------------------------------------ matching to layers ----


def _valid(geoms: np.ndarray) -> np.ndarray:
    """`geoms` with invalid geometries repaired (a copy where needed)."""
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _block_of_communities(communities: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame, block_ids: np.ndarray) -> np.ndarray:
    """Block id holding the largest part of each community (None where no block overlaps).

    Ties go to the block that comes first in `blocks`.
    """
    out = np.full(len(communities), None, dtype=object)
    if communities.empty or blocks.empty:
        return out
    c_geom = _valid(np.asarray(communities.geometry.values, dtype=object))
    b_geom = _valid(np.asarray(blocks.geometry.values, dtype=object))
    tree = shapely.STRtree(b_geom)
    c_idx, b_idx = tree.query(c_geom, predicate="intersects")
    if len(c_idx) == 0:
        return out
    areas = shapely.area(shapely.intersection(c_geom[c_idx], b_geom[b_idx]))
    keep = areas > 0
    c_idx, b_idx, areas = c_idx[keep], b_idx[keep], areas[keep]
    order = np.lexsort((b_idx, -areas, c_idx))  # per community: largest area first, then block order
    c_idx, b_idx = c_idx[order], b_idx[order]
    first = np.unique(c_idx, return_index=True)[1]
    out[c_idx[first]] = block_ids[b_idx[first]]
    return out


def _check_match_inputs(table: pd.DataFrame, communities: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> np.ndarray:
    problems = []
    if "community" not in table.columns:
        problems.append("the survey table has no 'community' column; read it with read_demand_survey or read_vision_survey")
    if "name" not in communities.columns:
        problems.append(f"the communities layer has no 'name' field (fields: {', '.join(map(str, communities.columns))}); map the community-name field to 'name'")
    if "block_id" in blocks.columns:
        block_ids = blocks["block_id"].to_numpy(dtype=object)
    elif blocks.index.name == "block_id":
        block_ids = blocks.index.to_numpy(dtype=object)
    else:
        block_ids = np.array([], dtype=object)
        problems.append("the blocks layer has neither a 'block_id' field nor an index named 'block_id'")
    for name, frame in (("communities", communities), ("blocks", blocks)):
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.append(f"{name} must be a GeoDataFrame with polygons")
    if not problems and communities.crs != blocks.crs:
        c_crs = communities.crs.to_string() if communities.crs else "none"
        b_crs = blocks.crs.to_string() if blocks.crs else "none"
        msg = f"communities ({c_crs}) and blocks ({b_crs}) are in different CRS. Re-project one with .to_crs() (or read both with blockcheck.io) first."
        raise CRSError(msg)
    if problems:
        msg = "match_communities: " + "; ".join(problems) + "."
        raise InputError(msg)
    return block_ids


def _resolve(
    sub: object,
    name: object,
    by_name: dict[str, list[int]],
    layer_subs: list[str],
    layer_names: list[str],
) -> tuple[int | None, str | None]:
    """Position of the community a survey name means, or None with the reason."""
    key = _name_key(name)
    if not key:
        return None, "has no community name"
    candidates = by_name.get(key, [])
    sub_key = _subdistrict_key(sub)
    if len(candidates) > 1 and sub_key:
        narrowed = [p for p in candidates if _subdistrict_key(layer_subs[p]) == sub_key]
        if narrowed:
            candidates = narrowed
    if len(candidates) == 1:
        pos = candidates[0]
        layer_sub = _subdistrict_key(layer_subs[pos])
        if sub_key and layer_sub and layer_sub != sub_key:
            return pos, f"community {name!r} is in {layer_subs[pos]} in the communities layer, not in {sub}; matched anyway"
        return pos, None
    if candidates:
        places = ", ".join(f"{layer_names[p]} ({layer_subs[p] or '?'})" for p in candidates)
        return None, f"community {name!r} ({sub or 'no 街道'}) matches several communities: {places}; fill in 街道 to tell them apart"
    keys = list(by_name)
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.5)
    names = [f"{layer_names[by_name[k][0]]}" + (f" ({layer_subs[by_name[k][0]]})" if layer_subs[by_name[k][0]] else "") for k in close]
    hint = f" Close names: {', '.join(names)}." if names else ""
    return None, f"community {name!r} ({sub or 'no 街道'}) is not in the communities layer.{hint}"


def match_communities(
    table: pd.DataFrame,
    communities: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
) -> tuple[pd.DataFrame, list[str]]:
    """Put each survey row on a community of the layer and on that community's block.

    Parameters
    ----------
    table
        Result of :func:`read_demand_survey` or :func:`read_vision_survey` (any
        frame with ``community`` and optionally ``subdistrict`` / ``source_row``).
    communities
        Community polygons with ``name`` and optionally ``subdistrict`` and
        ``community_id`` (input-model layer ``communities``).
    blocks
        Block polygons with ``block_id`` (a field or the index), in the same CRS.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        A copy of `table` with ``community_id`` (the layer's ``community_id``,
        or its ``name`` when the layer has no ids) and ``block_id`` (the block
        with the largest overlap with the community polygon) added; both are
        None for rows whose community is not found — such rows are kept, never
        dropped. If `table` carries ``attrs["respondents"]`` they are matched
        too. The list holds one warning per survey row that could not be (or
        was only loosely) matched, naming the file row, the name and close
        names from the layer.

    Raises
    ------
    blockcheck.errors.InputError
        If a column is missing (all problems in one message).
    blockcheck.errors.CRSError
        If communities and blocks are in different CRS.

    Notes
    -----
    Names match after normalisation: white space (including full-width
    spaces) removed, full-width characters made half-width and a trailing
    社区 / 居委会 ignored, so 伯嘉城 matches 伯嘉城社区. When a name occurs in
    several sub-districts the survey's 街道 (ignoring a trailing 街道 / 地区)
    picks one. A community overlapping no block gets block_id None and a warning.
    """
    block_ids = _check_match_inputs(table, communities, blocks)
    layer_names = [_clean_name(str(v)) if not _is_blank(v) else "" for v in communities["name"]]
    layer_subs = (
        [_clean_name(str(v)) if not _is_blank(v) else "" for v in communities["subdistrict"]]
        if "subdistrict" in communities.columns
        else [""] * len(communities)
    )
    if "community_id" in communities.columns:
        layer_ids = [None if _is_blank(v) else str(v) for v in communities["community_id"]]
    else:
        layer_ids = [n or None for n in layer_names]
    by_name: dict[str, list[int]] = {}
    for pos, name in enumerate(layer_names):
        if name:
            by_name.setdefault(_name_key(name), []).append(pos)
    block_of = _block_of_communities(communities, blocks, block_ids)
    source = table.attrs.get("source", "survey")

    warnings: list[str] = []
    warned: set[tuple] = set()
    cache: dict[tuple[str, str], tuple[int | None, str | None]] = {}

    def annotate(frame: pd.DataFrame) -> tuple[list, list]:
        ids, blocks_out = [], []
        subs = frame["subdistrict"] if "subdistrict" in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        rows = frame["source_row"] if "source_row" in frame.columns else pd.Series(range(1, len(frame) + 1), index=frame.index)
        for sub, name, source_row in zip(subs, frame["community"], rows, strict=True):
            sub = None if _is_blank(sub) else str(sub)
            name = None if _is_blank(name) else str(name)
            cache_key = (_subdistrict_key(sub), _name_key(name))
            if cache_key not in cache:
                cache[cache_key] = _resolve(sub, name, by_name, layer_subs, layer_names)
            pos, reason = cache[cache_key]
            block = None if pos is None else block_of[pos]
            if pos is not None and block is None and reason is None:
                reason = f"community {layer_names[pos]!r} ({layer_ids[pos]}) overlaps no block; it gets no block_id"
            if reason is not None and (source_row, cache_key) not in warned:
                warned.add((source_row, cache_key))
                kept = "" if pos is not None else " Its rows are kept with block_id None; fix the name in the survey or the layer."
                warnings.append(f"{source}, row {source_row}: {reason}{kept}".rstrip())
            ids.append(None if pos is None else layer_ids[pos])
            blocks_out.append(block)
        return ids, blocks_out

    out = table.copy()
    ids, block_col = annotate(out)
    out["community_id"] = pd.Series(ids, index=out.index, dtype=object)
    out["block_id"] = pd.Series(block_col, index=out.index, dtype=object)
    respondents = table.attrs.get("respondents")
    if respondents:
        frame = pd.DataFrame.from_records(respondents)
        r_ids, r_blocks = annotate(frame)
        out.attrs["respondents"] = [
            {**rec, "community_id": cid, "block_id": bid} for rec, cid, bid in zip(respondents, r_ids, r_blocks, strict=True)
        ]
    return out, warnings


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
        msg = "survey_respondents: the table carries no attrs['respondents']; pass the table returned by read_demand_survey (or match_communities) unchanged."
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
        msg = f"demand_summary: the table lacks column(s) {', '.join(missing)}. Read it with read_demand_survey and put it on blocks with match_communities first."
        raise InputError(msg)
    frame = demands.copy()
    sub = frame["subdistrict"].fillna("") if "subdistrict" in frame.columns else ""
    key_id = frame["community_id"] if "community_id" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    frame["_community"] = key_id.where(key_id.notna(), sub + "\x1f" + frame["community"].fillna(""))
    frame["_block"] = frame["block_id"].astype(object).where(frame["block_id"].notna(), None)
    grouped = frame.groupby(["_block", "category", "need_code"], dropna=False, sort=False)["_community"].nunique().reset_index(name="community_count")
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
            "block_id": pd.Series(grouped["_block"].to_list(), dtype=object).where(grouped["_block"].notna().to_numpy(), None),
            "category": grouped["category"].to_numpy(),
            "need_code": grouped["need_code"].to_numpy(),
            "need_zh": [labels.get(code, "其他") for code in grouped["need_code"]],
            "community_count": grouped["community_count"].astype("int64").to_numpy(),
        }
    )
    return result.reset_index(drop=True)
