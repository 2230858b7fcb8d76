"""Planning standards: packaged TOML profiles plus user overrides, as immutable data.

A profile is a TOML file of entries ``[group.key]`` with ``value``, ``unit``,
``source`` and ``grade`` (A seen in the standard, B quoted, C recalled). A
profile may ``extends`` another. A user file overrides single values, either
as a table (``[roads.density_min_km_per_km2] value = 7.5 source = "..."``) or
as a plain dotted value (``roads.density_min_km_per_km2 = 7.5``). The profile
and overrides used are recorded in every output through :func:`standards_table`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import StandardsError

__all__ = [
    "PROFILES",
    "StandardValue",
    "Standards",
    "load_standards",
    "standards_table",
]

#: Profiles shipped with blockcheck.
PROFILES = ("beijing", "national")
_GRADES = {"A", "B", "C"}
_ENTRY_KEYS = {"value", "unit", "source", "grade", "note"}


@dataclass(frozen=True)
class StandardValue:
    """One standard: its value with unit, citation and confidence grade."""

    key: str
    value: float | str
    unit: str
    source: str
    grade: str
    origin: str  # profile id, or the override file it came from
    note: str = ""


@dataclass(frozen=True)
class Standards:
    """An immutable set of standards (a profile with optional overrides)."""

    profile: str
    title: str
    values: dict[str, StandardValue]
    overrides_file: str | None = None

    def __getitem__(self, key: str) -> float | str:
        return self.entry(key).value

    def entry(self, key: str) -> StandardValue:
        """The full entry (value, unit, source, grade) of `key`."""
        try:
            return self.values[key]
        except KeyError:
            close = difflib.get_close_matches(key, self.values, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            msg = f"Standard {key!r} is not in profile {self.profile!r}.{hint}"
            raise StandardsError(msg) from None

    def get(self, key: str, default: float | str | None = None) -> float | str | None:
        """The value of `key`, or `default` when the profile does not define it."""
        entry = self.values.get(key)
        return default if entry is None else entry.value

    def with_prefix(self, prefix: str) -> dict[str, float | str]:
        """Values under ``prefix.`` keyed by the rest of the key (e.g. ``radius_m``)."""
        start = prefix.rstrip(".") + "."
        return {k[len(start):]: v.value for k, v in self.values.items() if k.startswith(start)}

    @property
    def digest(self) -> str:
        """Short SHA-256 of all values, units and sources (identifies what a run used)."""
        payload = json.dumps(
            [[k, v.value, v.unit, v.source, v.grade] for k, v in sorted(self.values.items())],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def _read_toml(text: str, where: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"{where}: not valid TOML ({err}). Fix the line named, or compare with the shipped profiles (blockcheck standards show beijing)."
        raise StandardsError(msg) from None


def _profile_doc(name: str) -> dict:
    if name not in PROFILES:
        msg = f"Unknown standards profile {name!r}. Shipped profiles: {', '.join(PROFILES)}; or give the path of a TOML overrides file with --standards."
        raise StandardsError(msg)
    text = resources.files("blockcheck").joinpath(f"data/standards/{name}.toml").read_text("utf-8")
    return _read_toml(text, f"standards profile {name}")


def _entries(doc: dict, prefix: str = "") -> dict[str, dict]:
    """Flatten nested tables into dotted keys; a table with 'value' is an entry."""
    out: dict[str, dict] = {}
    for key, item in doc.items():
        if not prefix and key == "profile":
            continue
        dotted = f"{prefix}{key}"
        if isinstance(item, dict) and "value" in item:
            out[dotted] = item
        elif isinstance(item, dict):
            out.update(_entries(item, dotted + "."))
        else:
            out[dotted] = {"value": item}
    return out


def _profile_values(name: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, StandardValue], str]:
    doc = _profile_doc(name)
    meta = doc.get("profile", {})
    values: dict[str, StandardValue] = {}
    parent = meta.get("extends")
    if parent:
        if parent in seen:
            msg = f"standards profiles extend each other in a circle: {' -> '.join((*seen, name, parent))}"
            raise StandardsError(msg)
        values, _ = _profile_values(parent, (*seen, name))
    problems = []
    for key, entry in _entries(doc).items():
        missing = {"value", "unit", "source", "grade"} - set(entry)
        if missing or entry.get("grade") not in _GRADES:
            problems.append(f"{key}: needs value, unit, source and grade A/B/C (missing: {', '.join(sorted(missing)) or 'a valid grade'})")
            continue
        values[key] = StandardValue(key=key, origin=name, note=entry.get("note", ""), **{k: entry[k] for k in ("value", "unit", "source", "grade")})
    if problems:
        raise StandardsError(f"standards profile {name}: " + "; ".join(problems))
    return values, meta.get("title", name)


def load_standards(profile: str = "beijing", overrides: str | os.PathLike | None = None) -> Standards:
    """Load a shipped profile and apply a user's overrides file.

    Parameters
    ----------
    profile
        ``"beijing"`` (default) or ``"national"``.
    overrides
        Path of a TOML file overriding single values. It may name a base
        profile in ``[profile] extends = "national"``; every key must exist in
        the profile, and values keep the type of the profile's value.

    Returns
    -------
    Standards

    Raises
    ------
    StandardsError
        Unknown profile, unreadable file, unknown keys (all listed, with close
        matches) or values of the wrong type.
    """
    override_doc: dict = {}
    overrides_name = None
    if overrides is not None:
        path = Path(overrides)
        if not path.is_file():
            msg = f"Standards file {path} not found. Give the path of a TOML file, or a profile name ({', '.join(PROFILES)})."
            raise StandardsError(msg)
        override_doc = _read_toml(path.read_text("utf-8"), str(path))
        profile = override_doc.get("profile", {}).get("extends", profile)
        overrides_name = str(path)
    values, title = _profile_values(profile)
    problems = []
    for key, entry in _entries(override_doc).items():
        if key not in values:
            close = difflib.get_close_matches(key, values, n=2)
            problems.append(f"unknown key {key!r}" + (f" (did you mean {' or '.join(close)}?)" if close else ""))
            continue
        base = values[key]
        new = entry["value"]
        if isinstance(base.value, str) != isinstance(new, str) or isinstance(new, bool):
            problems.append(f"{key} = {new!r} has the wrong type: expected {'text' if isinstance(base.value, str) else 'a number'} ({base.unit})")
            continue
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            problems.append(f"{key}: unknown entry fields {sorted(unknown)} (allowed: {sorted(_ENTRY_KEYS)})")
            continue
        values[key] = StandardValue(
            key=key,
            value=new if isinstance(new, str) else float(new),
            unit=entry.get("unit", base.unit),
            source=entry.get("source", f"user override in {path.name}"),
            grade=entry.get("grade", "C") if entry.get("grade", "C") in _GRADES else "C",
            origin=overrides_name,
            note=entry.get("note", ""),
        )
    if problems:
        msg = f"Standards overrides {overrides_name}: " + "; ".join(problems) + ". See `blockcheck standards show` for the valid keys."
        raise StandardsError(msg)
    return Standards(profile=profile, title=title, values=values, overrides_file=overrides_name)


def standards_table(standards: Standards) -> pd.DataFrame:
    """The standards used, one row per key, for the ``standards_used`` output table."""
    rows = [
        {
            "key": v.key,
            "value": str(v.value),
            "unit": v.unit,
            "source": v.source,
            "grade": v.grade,
            "origin": v.origin,
        }
        for v in standards.values.values()
    ]
    frame = pd.DataFrame(rows, columns=["key", "value", "unit", "source", "grade", "origin"])
    frame.attrs["profile"] = standards.profile
    return frame.sort_values("key", ignore_index=True)
