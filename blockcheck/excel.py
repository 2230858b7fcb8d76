"""The eight lists as an Excel workbook (one sheet per list, 图1–图8 headers first), and back.

``eight_lists.xlsx`` is what officials and analysts open; an edited copy is
imported back with :func:`import_lists`, validated against the list schema,
and merged into the GeoPackage workbook (edited rows marked ``edited``, new
rows ``added``, project changes appended to ``project_history``).

Each sheet starts with a title row (``图1 问题清单``; for data from a synthetic
input ``图1 问题清单 · 示例数据（虚构）``, also in the printed page header),
then the header row, then the rows. After the eight lists come the data-gap
list (read-only: never imported) and the project history. The reader finds the
header row itself (the first rows are searched for the schema's labels), so
sheets with or without a title row import alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import InputError
from .inputs import is_synthetic
from .io import write_gpkg
from .lists.schema import SchemaError, conform, list_table
from .pipeline import META_LAYER
from .report.settings import settings, text
from .workbook import EIGHT_LISTS, HISTORY_LAYER, _text, history_rows, record_project_changes

__all__ = ["DATA_GAPS_SHEET", "find_header_row", "import_lists", "read_eight_lists", "sheet_heading", "sheet_title", "write_eight_lists"]

#: The data-gap list: written after the eight lists, never imported.
DATA_GAPS_SHEET = "data_gaps"
_EXTRA_SHEETS = (DATA_GAPS_SHEET, HISTORY_LAYER)
_READ_ONLY = (DATA_GAPS_SHEET,)
_MAX_WIDTH = 60
_HEADER_SCAN_ROWS = 10  # the header row is looked for in this many rows from the top


def sheet_title(name: str, lang: str = "zh") -> str:
    """Sheet name of a list, e.g. ``图1 问题清单`` (Excel allows 31 characters)."""
    table = list_table(name)
    title = table.title_zh if lang == "zh" else table.title_en
    return (f"{table.figure} {title}" if table.figure else title)[:31]


def sheet_heading(name: str, lang: str = "zh", *, synthetic: bool = False) -> str:
    """The title row of a sheet: ``图1 问题清单``, with `` · 示例数据（虚构）`` for synthetic data (and the read-only note)."""
    table = list_table(name)
    title = table.title_zh if lang == "zh" else table.title_en
    figure = table.figure if lang == "zh" else table.figure.replace("图", "Fig. ")
    parts = [f"{figure} {title}" if figure else title]
    if synthetic:
        parts.append(text(lang, "synthetic_notice"))
    if name in _READ_ONLY:
        parts.append(text(lang, "sheet_read_only"))
    return " · ".join(parts)


def _meta_synthetic(meta: object) -> bool:
    """True when a blockcheck_meta table (key, value) says synthetic = true."""
    if not isinstance(meta, pd.DataFrame) or not {"key", "value"} <= set(meta.columns):
        return False
    return is_synthetic(dict(zip(meta["key"].astype(str), meta["value"].fillna("").astype(str), strict=True)))


def write_eight_lists(path: str | os.PathLike, tables: dict[str, pd.DataFrame], *, lang: str = "zh") -> Path:
    """Write the lists, the data-gap list and the project history to an .xlsx file, atomically.

    Columns follow the list schema, so the 图1–图8 columns come first, with
    their Chinese (or English) headers; geometry is left out. Row 1 of each
    sheet is its title (:func:`sheet_heading`), row 2 the header.

    Parameters
    ----------
    path
        The .xlsx file to write.
    tables
        Tables by name: the eight lists, ``data_gaps`` and ``project_history``
        (those present are written), and optionally ``blockcheck_meta``: when
        it says ``synthetic = true`` every sheet's title row and printed page
        header say "示例数据（虚构）" / "synthetic sample data".
    lang
        ``zh`` (default) or ``en`` headers and titles.
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp{path.suffix}")
    synthetic = _meta_synthetic(tables.get(META_LAYER))
    red = settings()["synthetic"]["background"].lstrip("#").upper()
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name in (*EIGHT_LISTS, *_EXTRA_SHEETS):
            if name not in tables:
                continue
            table = list_table(name)
            frame = conform(pd.DataFrame(tables[name]).drop(columns="geometry", errors="ignore"), table)
            frame = frame.rename(columns=table.labels(lang))
            title = sheet_title(name, lang)
            frame.to_excel(writer, sheet_name=title, index=False, startrow=1)
            sheet = writer.sheets[title]
            heading = sheet_heading(name, lang, synthetic=synthetic)
            sheet["A1"] = heading
            sheet["A1"].font = Font(bold=True, size=13, color=red if synthetic else None)
            sheet.freeze_panes = "A3"
            sheet.print_title_rows = "1:2"
            sheet.oddHeader.center.text = heading.replace("&", "&&")
            if synthetic:
                sheet.oddHeader.center.color = red
            sheet.oddFooter.right.text = text(lang, "page", page="&P")
            for cell in sheet[2]:
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="DDEBF7")
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            for i, column in enumerate(frame.columns, start=1):
                values = frame[column].astype("string").str.len().fillna(0)
                longest = int(values.max()) if len(values) else 0
                width = min(_MAX_WIDTH, max(len(str(column)) * 2, longest + 2, 6))
                sheet.column_dimensions[get_column_letter(i)].width = width
    os.replace(tmp, path)
    return path


def find_header_row(grid: pd.DataFrame, labels: set[str], *, rows: int = _HEADER_SCAN_ROWS) -> int | None:
    """Position of the header row in the first `rows` rows of a sheet read without a header.

    The header is the first row with the most cells naming a column (a label
    or field name in `labels`); it needs two such cells (one when the schema
    has a single column). None when no row qualifies.
    """
    best, best_hits = None, 0
    for i in range(min(rows, len(grid))):
        hits = sum(1 for v in grid.iloc[i] if isinstance(v, str) and v.strip() in labels)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= min(2, len(labels)) else None


def read_eight_lists(path: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read an (edited) eight-lists workbook back into schema tables.

    Headers may be the Chinese or English labels or the field names; rows above
    the header row (the title row blockcheck writes, or any other) are skipped.
    The data-gap sheet is not read. Every problem (unknown sheet headers, schema
    violations) is collected and raised together.

    Raises
    ------
    InputError
        File missing/unreadable or not matching the list schemas.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found. Give the eight_lists.xlsx written by `blockcheck run` (edited in Excel or LibreOffice)."
        raise InputError(msg)
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as err:  # noqa: BLE001
        msg = f"{path}: cannot be read as an Excel workbook ({err})."
        raise InputError(msg) from None
    titles = {sheet_title(n, lang): n for n in (*EIGHT_LISTS, *_EXTRA_SHEETS) if n not in _READ_ONLY for lang in ("zh", "en")}
    out, problems = {}, []
    for title, grid in sheets.items():
        name = titles.get(str(title).strip())
        if name is None:
            continue
        table = list_table(name)
        lookup = {}
        for f in table.fields:
            lookup.update({f.label_zh: f.name, f.label_en: f.name, f.name: f.name})
        at = find_header_row(grid, set(lookup))
        if at is None:
            problems.append(f"sheet '{title}': no header row with the column names of {table.title_zh} in its first {_HEADER_SCAN_ROWS} rows "
                            f"(e.g. {', '.join(f.label_zh for f in table.fields[:3])}); put the header row back")
            continue
        heads = ["" if pd.isna(h) else str(h).strip() for h in grid.iloc[at]]
        body = grid.iloc[at + 1 :]
        keep = [i for i, h in enumerate(heads) if h or body.iloc[:, i].notna().any()]  # empty columns without a header go
        unknown = [heads[i] or f"(column {i + 1} without a header)" for i in keep if heads[i] not in lookup]
        known = [i for i in keep if heads[i] in lookup]
        frame = body.iloc[:, known].set_axis([lookup[heads[i]] for i in known], axis=1).dropna(how="all")
        try:
            out[name] = conform(frame, table)
        except SchemaError as err:
            problems.append(f"sheet '{title}': {err}")
        if unknown:
            problems.append(f"sheet '{title}': columns not in the schema were ignored: {', '.join(map(str, unknown))}")
    errors = [p for p in problems if "ignored" not in p]
    if errors:
        msg = f"{path}: " + "; ".join(errors) + ". Fix the cells named and import again; nothing was changed."
        raise InputError(msg)
    out["_notes"] = pd.DataFrame({"note": problems})
    return out


def _changed_rows(new: pd.DataFrame, old: pd.DataFrame, key: str) -> tuple[pd.Series, pd.Series]:
    """Masks over `new`: rows whose key is new, rows whose values differ from `old`."""
    old_i = old.set_index(key)
    is_new = ~new[key].isin(old_i.index)
    common = new[~is_new]
    cols = [c for c in new.columns if c not in (key, "provenance") and c in old_i.columns]
    a = common[cols].astype(object).where(common[cols].notna(), None).map(_text).to_numpy()
    b = old_i.loc[common[key], cols].astype(object).where(old_i.loc[common[key], cols].notna(), None).map(_text).to_numpy()
    differs = pd.Series(False, index=new.index)
    differs[common.index] = (a != b).any(axis=1)
    return is_new, differs


def import_lists(
    workbook: str | os.PathLike,
    xlsx: str | os.PathLike,
    *,
    who: str = "",
    reason: str = "",
) -> dict[str, int]:
    """Merge an edited eight_lists.xlsx into the workbook GeoPackage.

    Returns
    -------
    dict
        Per list, the number of rows marked edited or added.
    """
    workbook = Path(workbook)
    if not workbook.is_file():
        msg = f"{workbook}: workbook not found. Run `blockcheck run INPUT --out DIR` first."
        raise InputError(msg)
    edited = read_eight_lists(xlsx)
    all_layers = {str(n): pyogrio.read_dataframe(workbook, layer=str(n)) for n, _ in pyogrio.list_layers(workbook)}
    counts: dict[str, int] = {}
    history_changes: list[dict] = []
    for name in EIGHT_LISTS:
        if name not in edited or name not in all_layers:
            continue
        table = list_table(name)
        old = all_layers[name]
        new_attrs = edited[name]
        if "provenance" not in old:
            old = old.assign(provenance="generated")
        is_new, differs = _changed_rows(new_attrs, conform(old.drop(columns="geometry", errors="ignore"), table), table.key)
        new_attrs = new_attrs.copy()
        if "provenance" in new_attrs:
            new_attrs.loc[is_new, "provenance"] = "added"
            new_attrs.loc[differs, "provenance"] = "edited"
        counts[name] = int(is_new.sum() + differs.sum())
        if name == "project_list":
            history_changes += record_project_changes(new_attrs, conform(old.drop(columns="geometry", errors="ignore"), table), who=who, reason=reason)
        if isinstance(old, gpd.GeoDataFrame):
            geom = old.set_index(table.key).geometry.reindex(new_attrs[table.key]).to_numpy()
            all_layers[name] = gpd.GeoDataFrame(new_attrs, geometry=list(geom), crs=old.crs)
        else:
            all_layers[name] = new_attrs
    all_layers[HISTORY_LAYER] = history_rows(history_changes, all_layers.get(HISTORY_LAYER))
    write_gpkg(workbook, all_layers)
    return counts
