"""What step 1 takes from the standards (blockcheck.steps.health_parameters)."""

from __future__ import annotations

import numpy as np

from blockcheck.network import build_walk_network
from blockcheck.standards import load_standards
from blockcheck.steps.health_parameters import minutes_to_m, parking_rate_key, walk_network


def test_life_circle_radii_and_parking_rate_come_from_the_profile() -> None:
    std = load_standards("beijing")
    assert minutes_to_m(std) == {5: 300.0, 10: 500.0, 15: 1000.0}  # national.toml, grade C reference values
    assert parking_rate_key(std) in ("parking.spaces_per_household_existing", "parking.spaces_per_household")


def test_the_runs_walking_network_uses_the_profiles_fragment_length() -> None:
    from districts import tiny_layers

    std = load_standards("beijing")
    layers = tiny_layers()
    network = walk_network(layers, std)
    fragment_m = float(std["network.fragment_max_length_m"])
    assert fragment_m > 0
    same = build_walk_network(layers["roads"], fragment_max_m=fragment_m)
    assert np.array_equal(network.u, same.u) and np.array_equal(network.length_m, same.length_m)
    assert np.array_equal(network.fragment, same.fragment)
