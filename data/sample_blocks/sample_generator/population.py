"""Community population from the residential floor area, with households, elderly and workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .assumptions import ELDERLY_SHARE, HOUSEHOLD_SIZE_PERSONS, PERSON_FLOOR_AREA_M2, POPULATION_RANGE, WORKER_SHARE
from .buildings import floor_area

if TYPE_CHECKING:
    from .district import District


def community_rows(d: District, bld: pd.DataFrame) -> list[dict]:
    """One row per community (geometry in block-local metres) with its population figures."""
    rng = d.rng
    _footprint, gfa = floor_area(bld)
    res_gfa = pd.Series(gfa * (bld["use"].to_numpy() == "residential")).groupby(bld["_comm"].to_numpy()).sum()
    rows = []
    for ci, comm in enumerate(d.communities):
        area = res_gfa.get(ci, 0.0)
        # crowding (shared rentals) keeps the smaller communities above the lower bound,
        # larger flats keep the biggest below the upper one
        per_person = min(
            rng.uniform(*PERSON_FLOOR_AREA_M2), area / rng.uniform(POPULATION_RANGE[0], POPULATION_RANGE[0] * 1.1)
        )
        per_person = max(per_person, area / rng.uniform(POPULATION_RANGE[1] * 0.92, POPULATION_RANGE[1]))
        pop = int(np.clip(area / per_person, *POPULATION_RANGE))
        rows.append(
            {
                "_b": comm["_b"],
                "_geom": comm["_geom"],
                "community_id": comm["community_id"],
                "name": comm["name"],
                "subdistrict": comm["subdistrict"],
                "population": pop,
                "households": round(pop / rng.uniform(*HOUSEHOLD_SIZE_PERSONS)),
                "elderly_population": round(pop * rng.uniform(*ELDERLY_SHARE)),
                "resident_workers": round(pop * rng.uniform(*WORKER_SHARE)),
            }
        )
    return rows
