"""The allocation catalogue (``data/allocation.toml``): resource pools and one rule per provision key.

:func:`allocation_rules` loads and checks it; :func:`resolve_value` turns a
catalogue value (a number or a standards key) into a number for a run, and
:func:`default_facility_categories` gives a key's facility categories from
``data/provision.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from os import PathLike

import numpy as np

from blockcheck import vocabulary
from blockcheck.catalogue import load_data, location
from blockcheck.errors import AllocationCatalogueError, AllocationError, CatalogueError
from blockcheck.standards import Standards

__all__ = [
    "RESOURCE_STATUSES",
    "USABLE_STATUSES",
    "AllocationRule",
    "AllocationRules",
    "ResourcePool",
    "allocation_rules",
    "default_facility_categories",
    "resolve_value",
]

#: Resource statuses that may be allocated (``rejected`` never is).
USABLE_STATUSES = ("candidate", "confirmed")
#: Every status the resource list may carry.
RESOURCE_STATUSES = vocabulary.codes("resource_status")
_AREAS = ("floor", "land")
_PACKAGED = "blockcheck/data/allocation.toml"


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


def _is_text_list(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _parse_pool(category: str, entry: object, problems: list[str]) -> ResourcePool | None:
    """``[pools.<category>]`` as a ResourcePool, or None with its problems appended to `problems`."""
    where = f"pools.{category}"
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: must be a table ([{where}] with field = … )")
        return None
    unknown = set(entry) - _POOL_FIELDS
    if unknown:
        problems.append(f"{where}: unknown fields {sorted(unknown)} (allowed: {sorted(_POOL_FIELDS)})")
        return None
    if not isinstance(entry.get("field"), str):
        problems.append(f'{where}: needs field = the resource column of the pool area (e.g. "floor_area_m2")')
        return None
    factors = [entry.get(f) for f in ("floor_m2_per_m2", "land_m2_per_m2")]
    if all(f is None for f in factors) or not all(f is None or _is_value(f) for f in factors):
        problems.append(f"{where}: needs floor_m2_per_m2 and/or land_m2_per_m2 (a number or a standards key)")
        return None
    if not _is_text_list(entry.get("exclude_subtypes", [])):
        problems.append(f'{where}: exclude_subtypes must be a list of subtypes in quotes (["street", …])')
        return None
    return ResourcePool(
        category=category,
        field=entry["field"],
        geometry_fallback=bool(entry.get("geometry_fallback", False)),
        floor_m2_per_m2=factors[0],
        land_m2_per_m2=factors[1],
        exclude_subtypes=tuple(entry.get("exclude_subtypes", ())),
    )


def _rule_problems(where: str, entry: Mapping, pools: Mapping[str, ResourcePool]) -> list[str]:
    """Every problem of one ``[[rules]]`` entry (empty when it is sound)."""
    missing, unknown = _RULE_REQUIRED - set(entry), set(entry) - _RULE_FIELDS
    if missing or unknown:
        return [f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)} (fields: {sorted(_RULE_FIELDS)})"]
    if entry["area"] not in _AREAS:
        return [f'{where}: area = {entry["area"]!r}, expected "floor" or "land"']
    if not (_is_value(entry["m2_per_unit"]) and _is_value(entry["radius_m"])):
        return [f"{where}: m2_per_unit and radius_m must be numbers or standards keys"]
    lists = ("categories", "facility_categories")
    if not all(_is_text_list(entry[name]) for name in lists if name in entry):
        return [f'{where}: categories and facility_categories must be lists of names in quotes (["idle_room", …])']
    problems = []
    for category in entry["categories"]:
        pool = pools.get(category)
        if pool is None:
            problems.append(f"{where}: resource category {category!r} has no [pools.{category}]")
        elif pool.factor(entry["area"]) is None:
            problems.append(
                f"{where}: [pools.{category}] gives no {entry['area']} area ({entry['area']}_m2_per_m2 missing)"
            )
    subtypes = entry.get("subtypes", {})
    if (
        not isinstance(subtypes, Mapping)
        or not set(subtypes) <= set(entry["categories"])
        or not all(_is_text_list(v) for v in subtypes.values())
    ):
        problems.append(f"{where}: subtypes must be a table category → [subtypes] of categories the rule names")
    return problems


def _make_rule(entry: Mapping) -> AllocationRule:
    fc = entry.get("facility_categories")
    return AllocationRule(
        key=entry["key"],
        unit=entry["unit"],
        area=entry["area"],
        m2_per_unit=entry["m2_per_unit"],
        radius_m=entry["radius_m"],
        categories=tuple(entry["categories"]),
        facility_categories=None if fc is None else tuple(fc),
        subtypes={c: tuple(v) for c, v in entry.get("subtypes", {}).items()},
    )


def _parse_rules(doc: Mapping, source: str) -> AllocationRules:
    problems: list[str] = []
    pool_tables = doc.get("pools", {})
    rule_entries = doc.get("rules", [])
    not_allocated = doc.get("not_allocated", [])
    if not isinstance(pool_tables, Mapping):
        problems.append("pools must be tables [pools.<category>]")
        pool_tables = {}
    if not isinstance(rule_entries, list) or not all(isinstance(e, Mapping) for e in rule_entries):
        problems.append("rules must be an array of tables [[rules]]")
        rule_entries = []
    if not _is_text_list(not_allocated):
        problems.append('not_allocated must be a list of resource categories in quotes (["retained_land", …])')
        not_allocated = []
    pools = {c: pool for c, e in pool_tables.items() if (pool := _parse_pool(c, e, problems)) is not None}
    rules: list[AllocationRule] = []
    for n, entry in enumerate(rule_entries, start=1):
        where = f"rules #{n} ({entry.get('key', '?')})"
        found = _rule_problems(where, entry, pools)
        if any(r.key == entry.get("key") for r in rules):
            found.append(f"{where}: a second rule for key {entry['key']!r}")
        problems.extend(found)
        if not found:
            rules.append(_make_rule(entry))
    if problems:
        raise AllocationCatalogueError(
            f"Allocation catalogue {source}: " + "; ".join(problems) + f". Compare with the shipped {_PACKAGED}."
        )
    return AllocationRules(pools=pools, rules=tuple(rules), not_allocated=tuple(not_allocated), source=source)


@cache
def _packaged_rules() -> AllocationRules:
    doc = load_data("allocation.toml")
    return _parse_rules(doc, location(doc))


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
    blockcheck.errors.AllocationCatalogueError
        If the file is missing or unreadable, or a pool or rule is incomplete
        (all problems listed at once). It is an ``AllocationError`` and a
        ``CatalogueError``.
    """
    if path is None:
        return _packaged_rules()
    try:
        doc = load_data("allocation.toml", path)
    except CatalogueError as err:
        raise AllocationCatalogueError(f"Allocation catalogue {err}") from None
    return _parse_rules(doc, location(doc))


def resolve_value(value: float | str, standards: Standards, what: str) -> float:
    """A catalogue number, or the value of the standards key it names; must be finite and >= 0.

    Parameters
    ----------
    value
        A number, or a standards key (``"conversion.floor_m2_per_elderly_care_bed"``).
    standards
        The run's standards.
    what
        Where the value comes from, for the message (``"elderly_care_beds: m2_per_unit"``).

    Returns
    -------
    float

    Raises
    ------
    blockcheck.errors.AllocationError
        If the number is negative or not finite.
    blockcheck.errors.StandardsError
        If the profile has no such key.
    """
    out = float(standards[value]) if isinstance(value, str) else float(value)
    if not np.isfinite(out) or out < 0:
        raise AllocationError(f"{what} = {out} ({value!r}) must be a finite number >= 0.")
    return out


def default_facility_categories(key: str) -> tuple[str, ...] | None:
    """The facility categories of provision key `key` in ``data/provision.toml`` (None for a key it lacks).

    A resource carrying a ``facility_category`` serves a rule without its own
    ``facility_categories`` only when its category is one of these.
    """
    from blockcheck.metrics.provision import provision_specs

    spec = next((s for s in provision_specs() if s.key == key), None)
    return None if spec is None else spec.categories
