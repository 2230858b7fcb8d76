"""Fitting mixed Chinese/Latin text into table cells, by estimated width in ems (no rendering)."""

from __future__ import annotations

import unicodedata

__all__ = ["em_width", "wrap_em"]


def _char_em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56


def em_width(text: str) -> float:
    """Estimated width of `text` in ems (CJK and full-width characters 1 em, others ~0.56 em)."""
    return sum(_char_em(ch) for ch in text)


def wrap_em(text: object, width_em: float, max_lines: int = 0) -> list[str]:
    """Lines of `text` at most `width_em` wide (breaking anywhere; at spaces when possible).

    With `max_lines`, the last line ends in "…" when text was cut.
    """
    if text is None or (isinstance(text, float) and text != text):
        return [""]
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line, width, last_space = "", 0.0, -1
        for ch in paragraph:
            w = _char_em(ch)
            if width + w > width_em and line:
                if 0 < last_space < len(line) - 1 and ch != " " and w < 1.0:  # inside a Latin word: back to its space
                    lines.append(line[:last_space].rstrip())
                    line = line[last_space + 1 :]
                else:
                    lines.append(line.rstrip())
                    line = "" if ch == " " else ""
                width, last_space = em_width(line), -1
                if ch == " " and not line:
                    continue
            if ch == " ":
                last_space = len(line)
            line += ch
            width += w
        lines.append(line)
    if max_lines and len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and em_width(last) + 1.0 > width_em:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines
