"""The demand list (需求清单, 图3): residents' needs by community and category, matched to blocks.

Step 2 reads the survey (:mod:`blockcheck.surveys`) and matches its
communities to blocks (:mod:`blockcheck.steps.consultation`); this module
turns the matched rows into the list.
"""

from __future__ import annotations

import pandas as pd

from blockcheck import vocabulary
from blockcheck.lists.ids import demand_id
from blockcheck.lists.schema import conform, list_table

__all__ = ["DEMAND_LIST_LAYER", "build_demand_list", "empty_demand_list"]

DEMAND_LIST_LAYER = "demand_list"


def build_demand_list(survey: pd.DataFrame) -> pd.DataFrame:
    """The demand list from a read and matched demand survey.

    Parameters
    ----------
    survey
        :func:`blockcheck.surveys.read_demand_survey` rows with ``community_id``
        and ``block_id`` from :func:`blockcheck.surveys.match_communities`.

    Returns
    -------
    pandas.DataFrame
        Schema ``demand_list``: one row per community, category and need;
        ``category_zh`` from ``data/demand_vocabulary.toml``; ``id`` from
        :func:`blockcheck.lists.ids.demand_id`; provenance ``generated``.
    """
    labels = vocabulary.labels("demand_category")
    table = survey.assign(
        category_zh=survey["category"].map(labels),
        id=demand_id(survey["community"], survey["category"], survey["need_code"], survey["source_row"]),
        provenance="generated",
    ).drop_duplicates("id")
    return conform(table, list_table(DEMAND_LIST_LAYER))


def empty_demand_list() -> pd.DataFrame:
    """A demand list with no row (no survey given)."""
    table = list_table(DEMAND_LIST_LAYER)
    return conform(pd.DataFrame(columns=table.columns), table)
