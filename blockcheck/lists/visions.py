"""The vision list (愿景清单, 图4): residents' hopes for their neighbourhood, classified and matched to blocks."""

from __future__ import annotations

import pandas as pd

from blockcheck.lists.ids import vision_id
from blockcheck.lists.schema import conform, list_table
from blockcheck.surveys import vision_keywords

__all__ = ["VISION_LIST_LAYER", "build_vision_list", "empty_vision_list"]

VISION_LIST_LAYER = "vision_list"


def build_vision_list(survey: pd.DataFrame) -> pd.DataFrame:
    """The vision list from a read and matched vision survey.

    Parameters
    ----------
    survey
        :func:`blockcheck.surveys.read_vision_survey` rows (``categories`` a
        comma-separated list of codes) with ``community_id`` and ``block_id``.

    Returns
    -------
    pandas.DataFrame
        Schema ``vision_list``; ``categories_zh`` the categories' labels from
        ``data/vision_keywords.toml`` joined with ``、``; ``id`` from
        :func:`blockcheck.lists.ids.vision_id`.
    """
    labels = {c.code: c.label_zh for c in vision_keywords().categories}
    zh = (
        survey["categories"]
        .fillna("")
        .map(lambda codes: "、".join(labels.get(c, c) for c in str(codes).split(",") if c))
    )
    table = survey.assign(
        categories_zh=zh, id=vision_id(survey["community"], survey["source_row"]), provenance="generated"
    )
    return conform(table.drop_duplicates("id"), list_table(VISION_LIST_LAYER))


def empty_vision_list() -> pd.DataFrame:
    """A vision list with no row (no survey given)."""
    table = list_table(VISION_LIST_LAYER)
    return conform(pd.DataFrame(columns=table.columns), table)
