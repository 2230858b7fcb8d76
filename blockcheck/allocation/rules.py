"""The allocation catalogue (``data/allocation.toml``): resource pools and one rule per provision key.

:func:`allocation_rules` loads and checks it; :func:`_resolve` turns a
catalogue value (a number or a standards key) into a number for a run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as _res
from os import PathLike
from pathlib import Path

import numpy as np

from blockcheck.errors import BlockcheckError
from blockcheck.standards import Standards

#: Resource statuses that may be allocated (``rejected`` never is).
USABLE_STATUSES = ("candidate", "confirmed")
#: Every status the resource list may carry.
_STATUSES = (*USABLE_STATUSES, "rejected")
_AREAS = ("floor", "land")


class AllocationError(BlockcheckError, ValueError):
    """The allocation catalogue is invalid, or the optimisation failed."""


@dataclass(frozen=True)
class ResourcePool:
    """How one resource category's capacity is measured (``[pools.<category>]``).

    Attributes
    ----------
    category
        Resource category (``idle_room``, ``idle_site`` …).
    field
        Resource column holding the pool area in m².
    geometry_fallback
        Use the polygon's area when `field` is empty.
    floor_m2_per_m2, land_m2_per_m2
        Floor / ground area provided by one m² of the pool: a number or a
        standards key; None when the pool provides none of it.
    exclude_subtypes
        Resources of these subtypes are not allocated.
    """

    category: str
    field: str
    geometry_fallback: bool = False
    floor_m2_per_m2: float | str | None = None
    land_m2_per_m2: float | str | None = None
    exclude_subtypes: tuple[str, ...] = ()

    def factor(self, area: str) -> float | str | None:
        """Floor (``area="floor"``) or land m² per m² of the pool (number, standards key or None)."""
        return self.floor_m2_per_m2 if area == "floor" else self.land_m2_per_m2


@dataclass(frozen=True)
class AllocationRule:
    """Which resources serve one provision key, and how (a ``[[rules]]`` entry).

    Attributes
    ----------
    key
        Provision key: the gap column is ``gap_<key>``.
    unit
        Unit of the key (for the tables).
    area
        ``"floor"`` or ``"land"``: the kind of area the key measures.
    m2_per_unit
        m² of that area per unit of the key: number or standards key.
    radius_m
        Maximum walking distance from resource to block: number or standards key.
    categories
        Resource categories that can serve the key.
    subtypes
        Category → subtypes: a resource of a category named here serves the
        key only if its ``subtype`` is listed (e.g. expandable facilities of
        kind ``elderly_care`` for elderly-care beds).
    facility_categories
        Facility categories a resource carrying a ``facility_category`` must
        have to serve the key; None: the key's categories in ``data/provision.toml``.
    """

    key: str
    unit: str
    area: str
    m2_per_unit: float | str
    radius_m: float | str
    categories: tuple[str, ...]
    facility_categories: tuple[str, ...] | None = None
    subtypes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AllocationRules:
    """The allocation catalogue: resource pools and one rule per provision key."""

    pools: Mapping[str, ResourcePool]
    rules: tuple[AllocationRule, ...]
    not_allocated: tuple[str, ...] = ()
    source: str = "blockcheck/data/allocation.toml"

    def rule(self, key: str) -> AllocationRule | None:
        """The rule of provision key `key`, or None."""
        return next((r for r in self.rules if r.key == key), None)


_POOL_FIELDS = {"field", "geometry_fallback", "floor_m2_per_m2", "land_m2_per_m2", "exclude_subtypes"}
_RULE_FIELDS = {"key", "unit", "area", "m2_per_unit", "radius_m", "categories", "facility_categories", "subtypes"}
_RULE_REQUIRED = _RULE_FIELDS - {"facility_categories", "subtypes"}


def _is_value(v: object) -> bool:
    return isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))


def _parse_rules(doc: dict, source: str) -> AllocationRules:
    problems: list[str] = []
    pools: dict[str, ResourcePool] = {}
    for category, entry in doc.get("pools", {}).items():
        unknown = set(entry) - _POOL_FIELDS
        if unknown:
            problems.append(f"pools.{category}: unknown fields {sorted(unknown)} (allowed: {sorted(_POOL_FIELDS)})")
            continue
        if not isinstance(entry.get("field"), str):
            problems.append(
                f'pools.{category}: needs field = the resource column of the pool area (e.g. "floor_area_m2")'
            )
            continue
        factors = [entry.get(f) for f in ("floor_m2_per_m2", "land_m2_per_m2")]
        if all(f is None for f in factors) or not all(f is None or _is_value(f) for f in factors):
            problems.append(
                f"pools.{category}: needs floor_m2_per_m2 and/or land_m2_per_m2 (a number or a standards key)"
            )
            continue
        pools[category] = ResourcePool(
            category=category,
            field=entry["field"],
            geometry_fallback=bool(entry.get("geometry_fallback", False)),
            floor_m2_per_m2=factors[0],
            land_m2_per_m2=factors[1],
            exclude_subtypes=tuple(entry.get("exclude_subtypes", ())),
        )
    rules: list[AllocationRule] = []
    for n, entry in enumerate(doc.get("rules", []), start=1):
        where = f"rules #{n} ({entry.get('key', '?')})"
        missing, unknown = _RULE_REQUIRED - set(entry), set(entry) - _RULE_FIELDS
        if missing or unknown:
            problems.append(
                f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)} (fields: {sorted(_RULE_FIELDS)})"
            )
            continue
        if entry["area"] not in _AREAS:
            problems.append(f'{where}: area = {entry["area"]!r}, expected "floor" or "land"')
            continue
        if not (_is_value(entry["m2_per_unit"]) and _is_value(entry["radius_m"])):
            problems.append(f"{where}: m2_per_unit and radius_m must be numbers or standards keys")
            continue
        for category in entry["categories"]:
            pool = pools.get(category)
            if pool is None:
                problems.append(f"{where}: resource category {category!r} has no [pools.{category}]")
            elif pool.factor(entry["area"]) is None:
                problems.append(
                    f"{where}: [pools.{category}] gives no {entry['area']} area ({entry['area']}_m2_per_m2 missing)"
                )
        subtypes = entry.get("subtypes", {})
        if not isinstance(subtypes, dict) or not set(subtypes) <= set(entry["categories"]):
            problems.append(f"{where}: subtypes must be a table category → [subtypes] of categories the rule names")
            continue
        if any(r.key == entry["key"] for r in rules):
            problems.append(f"{where}: a second rule for key {entry['key']!r}")
        fc = entry.get("facility_categories")
        rules.append(
            AllocationRule(
                key=entry["key"],
                unit=entry["unit"],
                area=entry["area"],
                m2_per_unit=entry["m2_per_unit"],
                radius_m=entry["radius_m"],
                categories=tuple(entry["categories"]),
                facility_categories=None if fc is None else tuple(fc),
                subtypes={c: tuple(v) for c, v in subtypes.items()},
            )
        )
    if problems:
        raise AllocationError(
            f"Allocation catalogue {source}: "
            + "; ".join(problems)
            + ". Compare with the shipped blockcheck/data/allocation.toml."
        )
    return AllocationRules(
        pools=pools, rules=tuple(rules), not_allocated=tuple(doc.get("not_allocated", ())), source=source
    )


@cache
def _packaged_rules() -> AllocationRules:
    text = _res.files("blockcheck").joinpath("data/allocation.toml").read_text("utf-8")
    return _parse_rules(tomllib.loads(text), "blockcheck/data/allocation.toml")


def allocation_rules(path: str | PathLike | None = None) -> AllocationRules:
    """Load the allocation catalogue: the packaged one, or a TOML file in the same layout.

    Parameters
    ----------
    path
        A TOML file laid out like ``blockcheck/data/allocation.toml``; None for
        the packaged catalogue.

    Returns
    -------
    AllocationRules

    Raises
    ------
    AllocationError
        If the file is missing or unreadable, or a pool or rule is incomplete
        (all problems listed at once).
    """
    if path is None:
        return _packaged_rules()
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AllocationError(f"Allocation catalogue {path}: cannot be read ({err}).") from None
    return _parse_rules(doc, str(path))


def _resolve(value: float | str, standards: Standards, what: str) -> float:
    """A catalogue number, or the value of the standards key it names; must be finite and >= 0."""
    out = float(standards[value]) if isinstance(value, str) else float(value)
    if not np.isfinite(out) or out < 0:
        raise AllocationError(f"{what} = {out} ({value!r}) must be a finite number >= 0.")
    return out


def _default_facility_categories(key: str) -> tuple[str, ...] | None:
    from blockcheck.metrics.provision import provision_specs

    spec = next((s for s in provision_specs() if s.key == key), None)
    return None if spec is None else spec.categories
