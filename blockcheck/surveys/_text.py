"""Normalising survey text: full-width forms, white space, bracketed notes, name suffixes.

Shared by every part of :mod:`blockcheck.surveys`: phrases and headers are
matched on keys made here, and community / sub-district names are compared
without their trailing 社区 / 居委会 / 街道 / 地区.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

_DASHES = frozenset("-‐‑‒–—―−－﹣─━")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_TRIM = "。.!?:\"'“”‘’"
_NAME_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "居委会", "社区")
_SUBDISTRICT_SUFFIXES = ("街道办事处", "地区办事处", "办事处", "街道", "地区")


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


def _is_none_text(text: str, none_markers: frozenset[str]) -> bool:
    """True if `text` means "nothing": empty, only dashes, or one of `none_markers` (phrase keys)."""
    key = _phrase_key(text)
    return not key or _is_dashes(key) or key in none_markers


def _strip_suffix(text: object, suffixes: tuple[str, ...]) -> str:
    """NFKC, no white space, the first of `suffixes` that ends the text (and is not all of it) removed."""
    if _is_blank(text):
        return ""
    key = _squash(str(text))
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _name_key(text: object) -> str:
    """Community name key: NFKC, no white space, trailing 社区 / 居委会 ignored."""
    return _strip_suffix(text, _NAME_SUFFIXES)


def _subdistrict_key(text: object) -> str:
    """Sub-district key: NFKC, no white space, trailing 街道 / 地区 / 办事处 ignored."""
    return _strip_suffix(text, _SUBDISTRICT_SUFFIXES)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return value is pd.NA or (isinstance(value, str) and not value.strip())


def _clean_name(value: str) -> str:
    """A name as written, trimmed of white space (including full-width spaces) and NFKC'd."""
    return _squash(value)
