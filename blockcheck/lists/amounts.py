"""Amounts as the lists carry and print them: whole facilities, hectares, square metres, kilometres.

One place decides how a gap or a project's size is rounded (:func:`whole_units`)
and written into a sentence (:func:`format_amount`), so the task list, the
project list and every text read aloud at a hearing agree:

- whole-unit amounts (beds, seats, places, spaces, counts of facilities): a
  project carries a whole number, rounded *up*, at least 1;
- hectares to 2 decimals (at least 0.01 for a positive amount); m² and m to
  whole numbers (at least 1); km to 2 decimals;
- in text a number shows what it is: a gap of 0.02 ha prints as 200 m², never
  "0.0 ha"; below 1, two significant digits.

The unit of a provision key is its suffix (``elderly_care_beds`` → ``beds``,
``school_land_ha`` → ``ha``, ``bus_terminal_count`` → ``count``); see
:func:`unit_of`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["WHOLE_UNITS", "format_amount", "unit_of", "unit_word", "whole_units"]

#: Units counted in whole items (a project provides whole beds, seats, facilities).
WHOLE_UNITS = frozenset({"beds", "seats", "places", "spaces", "count"})
# unit → (Chinese word, English word); "count" is a number of facilities (处)
_WORDS = {
    "beds": ("张", "beds"),
    "seats": ("个", "seats"),
    "places": ("个", "places"),
    "spaces": ("个", "spaces"),
    "count": ("处", "facilities"),
    "ha": ("公顷", "ha"),
    "m2": ("平方米", "m²"),
    "km": ("公里", "km"),
    "m": ("米", "m"),
}
_SINGULAR = {"beds": "bed", "seats": "seat", "places": "place", "spaces": "space", "facilities": "facility"}
_DECIMALS = {"ha": 2, "m2": 0, "km": 2, "m": 0}  # rounding of carried (not whole-unit) amounts
# below this a figure in the first unit prints in the second (× factor): 0.02 ha → 200 m²
_SMALLER = {"ha": (0.05, "m2", 1e4), "km": (0.05, "m", 1e3)}
_TOLERANCE = 1e-6  # float noise: 41.0000001 beds is 41, not 42


def unit_of(key: str) -> str:
    """The unit of a provision or amount key, from its suffix (``""`` when none is known).

    Examples
    --------
    >>> unit_of("elderly_care_beds"), unit_of("sports_land_ha"), unit_of("road_km"), unit_of("green_m2")
    ('beds', 'ha', 'km', 'm2')
    """
    suffix = str(key).rsplit("_", 1)[-1]
    return suffix if suffix in _WORDS else ""


def unit_word(unit: str, lang: str = "zh") -> str:
    """The word a list writes after an amount of `unit` (or of a provision key): ``张``, ``处``, ``公顷`` …

    Examples
    --------
    >>> unit_word("elderly_care_beds"), unit_word("parking_spaces"), unit_word("road_km", "en"), unit_word("population")
    ('张', '个', 'km', '')
    """
    unit = unit if unit in _WORDS else unit_of(unit)
    return _WORDS.get(unit, ("", ""))[0 if lang == "zh" else 1]


def whole_units(value: float | np.ndarray | pd.Series, unit: str) -> float | np.ndarray | pd.Series:
    """An amount as a project or task carries it: whole items up, areas and lengths to sensible decimals.

    Parameters
    ----------
    value
        A number, array or Series (NaN stays NaN; 0 stays 0; negatives are left as they are).
    unit
        ``beds``, ``seats``, ``places``, ``spaces``, ``count`` (whole items:
        ``ceil``, at least 1 for a positive amount), ``ha`` and ``km`` (2
        decimals, at least 0.01), ``m2`` and ``m`` (whole, at least 1); any
        other unit is returned unchanged. A provision key works too (see :func:`unit_of`).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Like `value`.

    Examples
    --------
    >>> whole_units(0.28, "beds"), whole_units(22.493536, "beds"), whole_units(0.004, "ha"), whole_units(2482.43, "m2")
    (1.0, 23.0, 0.01, 2482.0)
    """
    unit = unit if unit in _WORDS else unit_of(unit)
    v = np.asarray(value, dtype="float64")
    positive = v > 0
    if unit in WHOLE_UNITS:
        out = np.where(positive, np.maximum(np.ceil(v - _TOLERANCE), 1.0), v)
    elif unit in _DECIMALS:
        step = 10.0 ** -_DECIMALS[unit]
        out = np.where(positive, np.maximum(np.round(v, _DECIMALS[unit]), step), v)
    else:
        out = v
    if isinstance(value, pd.Series):
        return pd.Series(out, index=value.index, name=value.name)
    return float(out) if out.ndim == 0 else out


def _number(value: float, *, whole: bool, decimals: int) -> str:
    """`value` with thousands separators and a precision that shows it (2 significant digits below 1)."""
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1000 or (whole and size >= 1):
        return f"{value:,.0f}"
    if size >= 1:
        text = f"{value:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    digits = 1 - math.floor(math.log10(size))  # two significant digits: 0.06 → "0.06", 0.125 → "0.13"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def format_amount(value: float, unit: str, *, lang: str = "zh", sep: str | None = None) -> str:
    """An amount in words for a list or a hearing, e.g. ``"200平方米"``, ``"23张"``, ``"1.61公里"``.

    Parameters
    ----------
    value
        The amount in `unit` (NaN → ``"——"``).
    unit
        As for :func:`whole_units` (or a provision key).
    lang
        ``"zh"`` (number and word joined) or ``"en"`` (separated by a space).
    sep
        Between number and word; default ``""`` in Chinese, ``" "`` in English.

    Returns
    -------
    str

    Notes
    -----
    Whole items print as whole numbers from 1 up (a gap of 0.46 bus terminals
    prints as ``0.46处``); hectares and kilometres with up to 2 decimals, and
    below 0.05 in m² and m (``0.0179 ha`` → ``179平方米``); m² whole from 1 up.
    Below 1 every unit shows two significant digits, never ``0.0``.
    """
    if value is None or pd.isna(value):
        return "——"
    value = float(value)
    unit = unit if unit in _WORDS else unit_of(unit)
    if unit in _SMALLER and 0 < abs(value) < _SMALLER[unit][0]:
        _, unit, factor = _SMALLER[unit]
        value *= factor
    word = _WORDS.get(unit, ("", ""))[0 if lang == "zh" else 1]
    number = _number(value, whole=unit in WHOLE_UNITS or _DECIMALS.get(unit) == 0, decimals=_DECIMALS.get(unit, 2))
    if not word:
        return number
    if lang != "zh" and number == "1":  # one bed, one facility
        word = _SINGULAR.get(word, word)
    return f"{number}{('' if lang == 'zh' else ' ') if sep is None else sep}{word}"
