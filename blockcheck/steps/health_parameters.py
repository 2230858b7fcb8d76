"""What step 1 takes from the run's standards: the life circles' radii, the parking rate, the service radii of
a catchment supply rule and the walking network's fragment length (:func:`walk_network`).
"""

from __future__ import annotations

import geopandas as gpd

from blockcheck.network import WalkNetwork, build_walk_network
from blockcheck.standards import Standards

__all__ = [
    "LIFE_CIRCLE_RADIUS_KEYS",
    "PARKING_RATE_KEYS",
    "catchment_radii",
    "minutes_to_m",
    "parking_rate_key",
    "walk_network",
]


#: The walking radius of each life circle (5/10/15-minute), by standards key.
LIFE_CIRCLE_RADIUS_KEYS = {
    5: "life_circle.radius_5min_m",
    10: "life_circle.radius_10min_m",
    15: "life_circle.radius_15min_m",
}


#: Parking rates, first the one used when the standards give it a value (nan: not given).
PARKING_RATE_KEYS = ("parking.spaces_per_household_existing", "parking.spaces_per_household")


def minutes_to_m(standards: Standards) -> dict[int, float]:
    """The walking radius (m) of each life circle, by minutes."""
    return {minutes: float(standards[key]) for minutes, key in LIFE_CIRCLE_RADIUS_KEYS.items()}


def parking_rate_key(standards: Standards) -> str:
    """The standards key of the parking rate a run uses: the existing-fabric rate when given, else the new one."""
    for key in PARKING_RATE_KEYS[:-1]:
        value = standards.get(key)
        if isinstance(value, float) and value == value:  # nan: the profile gives no value
            return key
    return PARKING_RATE_KEYS[-1]


def catchment_radii(standards: Standards) -> dict[str, float] | None:
    """Service radius by facility category when the provision supply rule is ``catchment``, else None (in block)."""
    if standards.get("provision.supply_rule", "in_block") != "catchment":
        return None
    return {k: float(v) for k, v in standards.with_prefix("radius_m").items()}


def walk_network(layers: dict[str, gpd.GeoDataFrame], standards: Standards) -> WalkNetwork:
    """The walking network of a run: :func:`~blockcheck.network.build_walk_network` of the roads, with the
    fragment length of `standards` (``network.fragment_max_length_m``).
    """
    return build_walk_network(layers["roads"], fragment_max_m=float(standards["network.fragment_max_length_m"]))
