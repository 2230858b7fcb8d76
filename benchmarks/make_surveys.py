"""The residents' survey tables of step 2 for a synthetic city of ``make_city.py`` (seeded).

:func:`make_surveys` gives every community of the city an answer: the demand
survey (图3 layout: 街道, 社区 and the four need columns, 0–3 needs of the
packaged vocabulary per column, ``--`` for none) and the vision survey (街道,
社区, 愿景: 0–3 visions per community drawn from the sample district's
``vision_survey.csv``). :func:`write_surveys` writes them as
``demand_survey.csv`` and ``vision_survey.csv``, the names ``blockcheck run``
looks for next to its input (``make_city.py --surveys`` does both).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from make_city import City

__all__ = ["make_surveys", "write_surveys"]


#: The sample district's vision survey: the pool of vision texts of the synthetic surveys.
SAMPLE_VISIONS = Path(__file__).resolve().parent.parent / "data" / "sample_blocks" / "vision_survey.csv"
#: Survey file names ``blockcheck run`` looks for next to its input.
SURVEY_FILES = {"demands": "demand_survey.csv", "visions": "vision_survey.csv"}
#: Probabilities of 0, 1, 2, 3 needs per community and column / visions per community.
NEEDS_PER_CELL = (0.3, 0.4, 0.2, 0.1)
VISIONS_PER_COMMUNITY = (0.15, 0.35, 0.3, 0.2)


def _choose_per_row(rng: np.random.Generator, counts: np.ndarray, pool_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and pool position of ``counts[i]`` distinct random picks for every row i (rows in order, picks sorted)."""
    ranks = np.argsort(rng.random((counts.size, pool_size)), axis=1).argsort(axis=1)
    rows, picks = np.nonzero(ranks < counts[:, None])
    return rows, picks


def make_surveys(city: City, *, seed: int = 20240601) -> dict[str, pd.DataFrame]:
    """The demand and vision surveys of the city's communities (图3 and 图4 layouts), seeded.

    Parameters
    ----------
    city
        Result of :func:`make_city.make_city` (its ``communities`` names and sub-districts are used).
    seed
        Seed of the generator (the city's scale is mixed in, as in :func:`make_city.make_city`).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"demands"``: one row per community, columns 街道, 社区 and the 图3
        headers of the vocabulary's four categories (needs joined with 、, ``--``
        for none); ``"visions"``: one row per vision, columns 街道, 社区, 愿景.
    """
    from blockcheck.surveys.vocabulary import demand_vocabulary

    rng = np.random.default_rng([seed, city.n_blocks_side, 3])
    communities = city["communities"]
    m = len(communities)
    ids = {
        "街道": communities["subdistrict"].to_numpy(dtype=object),
        "社区": communities["name"].to_numpy(dtype=object),
    }
    vocabulary = demand_vocabulary()
    demands = pd.DataFrame(ids)
    for category in vocabulary.categories:
        labels = np.array([need.label_zh for need in vocabulary.needs_of(category.code)], dtype=object)
        counts = rng.choice(len(NEEDS_PER_CELL), size=m, p=NEEDS_PER_CELL)
        rows, picks = _choose_per_row(rng, np.minimum(counts, labels.size), labels.size)
        cell = pd.Series(labels[picks], index=rows).groupby(level=0).agg("、".join)
        demands[category.headers[0]] = cell.reindex(range(m)).fillna("--").to_numpy()
    pool = pd.read_csv(SAMPLE_VISIONS, encoding="utf-8-sig")["愿景"].dropna().drop_duplicates().sort_values()
    texts = pool.to_numpy(dtype=object)
    counts = rng.choice(len(VISIONS_PER_COMMUNITY), size=m, p=VISIONS_PER_COMMUNITY)
    rows, picks = _choose_per_row(rng, counts, texts.size)
    visions = pd.DataFrame({"街道": ids["街道"][rows], "社区": ids["社区"][rows], "愿景": texts[picks]})
    return {"demands": demands, "visions": visions}


def write_surveys(surveys: dict[str, pd.DataFrame], folder: str | Path) -> dict[str, Path]:
    """Write :func:`make_surveys`' tables into `folder`: ``demand_survey.csv``, ``vision_survey.csv`` (UTF-8, BOM)."""
    out = {}
    for kind, name in SURVEY_FILES.items():
        out[kind] = Path(folder) / name
        surveys[kind].to_csv(out[kind], index=False, encoding="utf-8-sig")
    return out
