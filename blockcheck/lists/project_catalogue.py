"""The step-4 catalogue (``data/projects.toml``): kinds of project, their sources, authorities and scoring.

:func:`project_settings` loads the file once and checks it (unknown strategies,
kinds without a domain or name, sources of unknown resource categories are
listed together in one :class:`~blockcheck.errors.CatalogueError`).
:func:`kind_sources` resolves the sources of a kind with the defaults of
``[sources.<category>]``; :func:`authority_and_unit` picks 主管单位 and 项目单位
by the project's scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd

from blockcheck import vocabulary
from blockcheck.catalogue import load_data, location, require, require_tables
from blockcheck.errors import CatalogueError

__all__ = ["KIND_FIELDS", "authority_and_unit", "kind_sources", "project_settings", "source_defaults"]

#: Fields every ``[kinds.<key>]`` entry must have.
KIND_FIELDS = (
    "domain",
    "task_type",
    "task_label",
    "facility",
    "unit",
    "scale",
    "name",
    "answers",
    "demand_codes",
    "siting",
)
_SITINGS = ("allocation", "allocation2", "block", "roads")


def _check(doc: dict) -> list[str]:
    """Every problem of the catalogue (empty when it is sound)."""
    from blockcheck.lists.strategies import strategy_catalogue

    keys = set(strategy_catalogue().index)
    problems = [
        f"{name}: must be tables ([{name}.<key>] with their fields)"
        for name in ("sources", "kinds")
        if not all(isinstance(v, Mapping) for v in require(doc, name, dict, default={}).values())
    ]
    if problems:
        return problems
    for name, src in doc.get("sources", {}).items():
        if src.get("strategy") not in keys:
            problems.append(f"sources.{name}: unknown strategy {src.get('strategy')!r}")
    for key, kind in doc.get("kinds", {}).items():
        if not isinstance(kind.get("sources", []), list) or not all(
            isinstance(s, Mapping) for s in kind.get("sources", [])
        ):
            problems.append(f"kinds.{key}.sources: must be an array of tables ([[kinds.{key}.sources]])")
            continue
        missing = [f for f in KIND_FIELDS if f not in kind]
        if missing:
            problems.append(f"kinds.{key}: missing {missing}")
            continue
        task_types = vocabulary.codes("task_type")
        if kind["siting"] not in _SITINGS or kind["task_type"] not in task_types:
            problems.append(f"kinds.{key}: siting must be one of {list(_SITINGS)}, task_type one of {list(task_types)}")
        for n, src in enumerate(kind.get("sources", [])):
            category = src.get("category")
            if category is None and src.get("layer") != "parking":
                problems.append(f'kinds.{key}.sources[{n}]: needs a category (resource list) or layer = "parking"')
            elif category is not None and category not in vocabulary.codes("resource_category"):
                problems.append(f"kinds.{key}.sources[{n}]: unknown resource category {category!r}")
        for n, src in enumerate(kind_sources(key, doc)):
            if src["strategy"] not in keys:
                problems.append(f"kinds.{key}.sources[{n}]: unknown strategy {src['strategy']!r}")
    phases = require_tables(doc, "phases") if "phases" in doc else []
    if abs(sum(require(p, "share", float) for p in phases) - 1.0) > 1e-6:
        problems.append("phases: the shares must add up to 1")
    return problems


@cache
def project_settings() -> dict:
    """``data/projects.toml``, checked: kinds, sources, authorities, priority weights, phases, unlocking policies.

    Raises
    ------
    blockcheck.errors.CatalogueError
        Listing every malformed entry.
    """
    doc = load_data("projects.toml")
    problems = _check(doc)
    if problems:
        raise CatalogueError(
            f"{location(doc)}: " + "; ".join(problems) + ". See the comments in the file for the fields."
        )
    return doc


def source_defaults(category: str, doc: dict | None = None) -> dict:
    """``[sources.<category>]`` (word, strategy, difficulty, optional readiness); {} when not listed."""
    doc = doc or project_settings()
    return dict(doc.get("sources", {}).get(category, {}))


def kind_sources(kind: str, doc: dict | None = None) -> list[dict]:
    """The sources of `kind` in order, each with ``key``, ``category``, ``word``, ``strategy``, ``difficulty``,
    ``readiness`` (NaN: from the resource), ``name`` (template), ``stacked``, ``m2_per_unit``, ``min_m2``,
    ``subtypes`` and ``facility_categories`` (empty: any) resolved against ``[sources.<category>]``.
    """
    doc = doc or project_settings()
    entry = doc["kinds"][kind]
    out = []
    for src in entry.get("sources", []):
        base = source_defaults(src.get("key") if src.get("layer") else src.get("category"), doc)
        key = src.get("key", src.get("category"))
        out.append(
            {
                **src,
                "key": key,
                "category": src.get("category", key),
                "word": src.get("word", base.get("word", key)),
                "strategy": src.get("strategy", base.get("strategy", "")),
                "difficulty": float(src.get("difficulty", base.get("difficulty", 0.5))),
                "readiness": float(src.get("readiness", base.get("readiness", np.nan))),
                "name": src.get("name", entry["name"]),
                "stacked": bool(src.get("stacked", False)),
                "m2_per_unit": float(src.get("m2_per_unit", 1.0)),
                "min_m2": float(src.get("min_m2", src.get("m2_per_unit", 0.0))),
                "subtypes": tuple(src.get("subtypes", ())),
                "facility_categories": tuple(src.get("facility_categories", ())),
            }
        )
    return out


def authority_and_unit(
    kinds: pd.Series, amounts: pd.Series, road_classes: pd.Series, subdistricts: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """主管单位 and 项目单位 per project from its kind and scale.

    A kind's ``municipal = {min_amount, authority, unit}`` makes projects of at
    least `min_amount` municipal ones (e.g. hospitals of ≥ 100 beds); for roads
    ``municipal_classes`` does the same by road class. Other projects are the
    district's: ``[authority].district`` supervises, the kind's ``unit`` carries
    them (``{subdistrict}`` is replaced by the site's sub-district).

    Returns
    -------
    authority, unit : pandas.Series
        Indexed like `kinds`.
    """
    cfg = project_settings()
    kinds_cfg = cfg["kinds"]
    scaled = {k: v.get("municipal", v.get("municipal_classes", {})) for k, v in kinds_cfg.items()}
    table = pd.DataFrame(
        {
            "unit": {k: v["unit"] for k, v in kinds_cfg.items()},
            "m_min": {k: float(v.get("municipal", {}).get("min_amount", np.inf)) for k, v in kinds_cfg.items()},
            "m_auth": {k: s.get("authority") for k, s in scaled.items()},
            "m_unit": {k: s.get("unit") for k, s in scaled.items()},
        }
    )
    classes = pd.MultiIndex.from_tuples(
        [(k, c) for k, v in kinds_cfg.items() for c in v.get("municipal_classes", {}).get("classes", ())]
    )
    rows = table.reindex(kinds.to_numpy())
    by_amount = pd.to_numeric(amounts, errors="coerce").to_numpy() >= rows["m_min"].to_numpy("float64")
    by_class = pd.MultiIndex.from_arrays([kinds.astype(str), road_classes.fillna("").astype(str)]).isin(classes)
    municipal = by_amount | by_class
    units = pd.Series(rows["unit"].to_numpy(object), index=kinds.index)
    district_unit = units.str.replace("{subdistrict}", "", regex=False)
    sub = subdistricts.fillna("").to_numpy(object).astype(str).astype(object)
    for template, at in units.groupby(units, sort=False).indices.items():  # one pass per unit template (catalogue)
        if "{subdistrict}" in template:
            pieces = template.split("{subdistrict}")
            text = np.full(len(at), pieces[0], dtype=object)
            for piece in pieces[1:]:
                text = text + sub[at] + piece
            district_unit.iloc[at] = text
    authority = np.where(municipal, rows["m_auth"].to_numpy(object), cfg["authority"]["district"])
    unit = np.where(municipal, rows["m_unit"].to_numpy(object), district_unit.to_numpy(object))
    return pd.Series(authority, index=kinds.index, dtype=object), pd.Series(unit, index=kinds.index, dtype=object)
