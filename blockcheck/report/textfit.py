"""Fitting mixed Chinese/Latin text into table cells, by estimated width in ems (no rendering).

Text is cut into unbreakable units first (:func:`units`): one CJK character,
or one run of Latin letters, digits and signs — a word, a number, a block code
such as ``CP02-0101``, an id such as ``PB-ALL-parking_gap`` — with the CJK
punctuation around it (a closing mark stays with what it closes, an opening
mark with what it opens). Lines break only between units: at spaces and at CJK
boundaries, never inside a code or a number. A table makes every column at
least as wide as its widest unit (:func:`fit_widths`), shrinking the font when
the page is too narrow, so no unit ever has to be cut.
"""

from __future__ import annotations

import math
import unicodedata

__all__ = ["em_width", "fit_widths", "longest_unit", "units", "wrap_em"]

_OPENING = frozenset("（《「『【〔〈〖“‘")
_CLOSING = frozenset("）》」』】〕〉〗”’，。、；：！？…％")
_MAX_TERM = 10  # characters of a 【…】 term kept on one line
_EPS = 1e-6  # widths are sums of floats: a unit exactly as wide as its column fits


def _char_em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56


def em_width(text: str) -> float:
    """Estimated width of `text` in ems (CJK and full-width characters 1 em, others ~0.56 em)."""
    return sum(_char_em(ch) for ch in text)


def units(paragraph: str) -> list[tuple[str, bool]]:
    """The unbreakable units of one line of text, each with whether a space came before it.

    A short bracketed term such as ``【利用闲置】`` is one unit; a comma inside a
    Latin run ends a unit when a letter follows (``PB-1,PB-2``), not in a number (``1,234``).
    """
    out: list[tuple[str, bool]] = []
    unit, space, latin, opening, term = "", False, False, False, False
    for i, ch in enumerate(paragraph):
        if ch.isspace():
            if unit:
                out.append((unit, space))
                unit, latin, opening, term = "", False, False, False
            space = bool(out)
            continue
        wide = _char_em(ch) == 1.0
        if term:  # inside 【…】
            unit += ch
            term = ch != "】" and len(unit) <= _MAX_TERM
            latin = opening = False
            continue
        if ch in _CLOSING and unit:
            unit += ch
            latin = False
            continue
        if opening or (not wide and latin and ch not in _OPENING):
            unit += ch
        else:
            if unit:
                out.append((unit, space))
                space = False
            unit = ch
        opening, latin, term = ch in _OPENING, not wide and ch not in _OPENING, ch == "【"
        if ch == "," and latin and not paragraph[i + 1 : i + 2].isdigit():
            out.append((unit, space))
            unit, space, latin = "", False, False
    if unit:
        out.append((unit, space))
    return out


def longest_unit(text: object) -> float:
    """Width in ems of the widest unbreakable unit of `text` (the narrowest column it fits in)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return 0.0
    return max((em_width(u) for line in str(text).splitlines() for u, _ in units(line)), default=0.0)


def _hard_split(unit: str, width_em: float) -> list[str]:
    """A unit wider than a whole line, cut by characters (only where no column could be widened)."""
    parts, part = [], ""
    for ch in unit:
        if part and em_width(part + ch) > width_em + _EPS:
            parts.append(part)
            part = ""
        part += ch
    return [*parts, part]


def wrap_em(text: object, width_em: float, max_lines: int = 0) -> list[str]:
    """Lines of `text` at most `width_em` wide, broken only between units (see :func:`units`).

    A unit wider than a whole line is cut by characters (tables avoid this with
    :func:`fit_widths`). With `max_lines`, the last line ends in "…" when text was cut.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return [""]
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line, width = "", 0.0
        for unit, space in units(paragraph):
            w = em_width(unit)
            gap = 0.56 if space and line else 0.0
            if line and width + gap + w > width_em + _EPS:
                lines.append(line)
                line, width, gap = "", 0.0, 0.0
            if not line and w > width_em + _EPS:
                *full, unit = _hard_split(unit, width_em)
                lines.extend(full)
                w = em_width(unit)
            line += (" " if gap else "") + unit
            width += gap + w
        lines.append(line)
    if max_lines and len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and em_width(last) + 1.0 > width_em:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines


def fit_widths(
    weights: list[float],
    needs_em: list[float],
    total_pt: float,
    font_pt: float,
    *,
    pad_em: float = 1.2,
    min_font_pt: float = 5.0,
) -> tuple[list[float], float]:
    """Column widths (points) and font size so that every column holds its widest unit.

    Parameters
    ----------
    weights
        Relative widths wanted for the columns.
    needs_em
        Per column, the width in ems of its widest unbreakable unit (:func:`longest_unit`).
    total_pt
        Width of the table in points.
    font_pt
        The font size wanted; lowered (not below `min_font_pt`) when the widest units
        do not fit side by side.
    pad_em
        Room kept in each column besides the text (cell padding and estimation slack).

    Returns
    -------
    widths, font
        Widths in points (summing to `total_pt`) and the font size to use.
    """
    need_sum = sum(n + pad_em for n in needs_em)
    font = max(min(font_pt, total_pt / need_sum if need_sum else font_pt), min_font_pt)
    needs = [(n + pad_em) * font for n in needs_em]
    fixed: set[int] = set()
    while True:
        free = [i for i in range(len(weights)) if i not in fixed]
        room = total_pt - sum(needs[i] for i in fixed)
        scale = room / (sum(weights[i] for i in free) or 1.0)
        widths = [needs[i] if i in fixed else weights[i] * scale for i in range(len(weights))]
        short = {i for i in free if widths[i] < needs[i]}
        if not short:
            return widths, font
        fixed |= short
        if len(fixed) == len(weights):  # every column at its need: share out what is left
            return [n * total_pt / sum(needs) for n in needs], font
