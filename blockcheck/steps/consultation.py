"""Step 2, consultation finds needs (多元协商问需求): the demand list (图3) and the vision list (图4).

The sub-districts' and communities' survey tables are read
(:mod:`blockcheck.surveys`), every row is put on a community of the
communities layer and on the block holding most of it, and the rows become
the two lists (:mod:`blockcheck.lists.demands`, :mod:`blockcheck.lists.visions`).
A run reads the tables before step 1 (:func:`read_surveys`: a table it cannot
use stops the run before the long part) and matches them once the blocks are known.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from blockcheck.errors import InputError
from blockcheck.lists.demands import build_demand_list, empty_demand_list
from blockcheck.lists.visions import build_vision_list, empty_vision_list
from blockcheck.progress import Progress, reporter
from blockcheck.surveys import community_blocks, match_communities, read_demand_survey, read_vision_survey

__all__ = [
    "Consultation",
    "SURVEY_FILES",
    "SurveyTables",
    "ask_needs",
    "default_survey",
    "matched_survey",
    "read_surveys",
]

#: Survey tables found next to the input when none is given, by kind.
SURVEY_FILES = {
    "demands": ("demand_survey.xlsx", "demand_survey.csv"),
    "visions": ("vision_survey.xlsx", "vision_survey.csv"),
}


@dataclass(frozen=True)
class Consultation:
    """The lists of step 2 and what reading the surveys noticed."""

    demand_list: pd.DataFrame
    vision_list: pd.DataFrame
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SurveyTables:
    """The survey tables as read, not yet matched to blocks (None: that survey was not given)."""

    demands: pd.DataFrame | None
    visions: pd.DataFrame | None


def read_surveys(
    *, demands_path: str | os.PathLike | None = None, visions_path: str | os.PathLike | None = None
) -> SurveyTables:
    """Read both survey tables (:func:`~blockcheck.surveys.read_demand_survey`, ``read_vision_survey``).

    A table that cannot be used raises here, with what to fix, before anything is computed or written.
    """
    return SurveyTables(
        demands=None if demands_path is None else read_demand_survey(demands_path),
        visions=None if visions_path is None else read_vision_survey(visions_path),
    )


def default_survey(input_path: str | os.PathLike, kind: str) -> Path | None:
    """A survey table next to the input (``demand_survey.xlsx|csv``, ``vision_survey.xlsx|csv``), if any."""
    folder = Path(input_path).parent
    for name in SURVEY_FILES[kind]:
        if (folder / name).is_file():
            return folder / name
    return None


def matched_survey(
    table: pd.DataFrame,
    communities: gpd.GeoDataFrame | None,
    blocks: gpd.GeoDataFrame,
    *,
    blocks_of_communities: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Match the communities of a survey `table` as read to blocks (unknown names kept, reported).

    `blocks_of_communities` (:func:`blockcheck.surveys.community_blocks`) spares the overlay when another
    survey was matched to the same communities and blocks.
    """
    warnings = list(table.attrs.get("warnings", []))
    if communities is None:
        warnings.append("no communities layer: survey rows are not matched to blocks")
        table = table.copy(deep=False)  # the caller's table keeps its attrs
        table.attrs = {}
        return table.assign(community_id=None, block_id=None), warnings
    table, more = match_communities(table, communities, blocks, community_blocks=blocks_of_communities)
    # the lists need the rows only: pandas deep-copies attrs (the respondents, one warning per row) on every
    # operation, which at city scale cost more than building the lists
    table.attrs = {}
    return table, warnings + list(more)


def ask_needs(
    communities: gpd.GeoDataFrame | None,
    blocks: gpd.GeoDataFrame,
    *,
    demands_path: str | os.PathLike | None = None,
    visions_path: str | os.PathLike | None = None,
    surveys: SurveyTables | None = None,
    progress: Progress | None = None,
) -> Consultation:
    """Step 2: the demand and vision lists from the surveys (an empty list, and a warning, for a survey not given).

    Parameters
    ----------
    communities
        The communities layer (None: rows are kept but not matched to blocks).
    blocks
        The blocks (``block_metrics`` of step 1, indexed by ``block_id``).
    demands_path, visions_path
        The survey tables (CSV or XLSX); None: that list is empty.
    surveys
        The tables as :func:`read_surveys` read them, in place of the two paths.
    progress
        Callback ``(fraction, message)``, told when the step starts.

    Returns
    -------
    Consultation
        Both lists conform to their schema (``data/lists.toml``).

    Raises
    ------
    InputError
        `surveys` given together with a path: which tables to use would be a guess.
    """
    if surveys is not None and (demands_path is not None or visions_path is not None):
        paths = {"demands_path": demands_path, "visions_path": visions_path}
        given = ", ".join(name for name, path in paths.items() if path is not None)
        msg = (
            f"ask_needs: both surveys= (tables already read) and {given} were given. Pass the paths to "
            "read_surveys(...) and only its result as surveys=, or pass only the paths."
        )
        raise InputError(msg)
    say = reporter(progress)
    say(0.0, "demands and visions")
    if surveys is None:
        surveys = read_surveys(demands_path=demands_path, visions_path=visions_path)
    warnings: list[str] = []
    demands, visions = empty_demand_list(), empty_vision_list()
    both = communities is not None and surveys.demands is not None and surveys.visions is not None
    shared = community_blocks(communities, blocks) if both else None  # one overlay for both surveys
    if surveys.demands is not None:
        survey, more = matched_survey(surveys.demands, communities, blocks, blocks_of_communities=shared)
        demands = build_demand_list(survey)
        warnings += more
    if surveys.visions is not None:
        survey, more = matched_survey(surveys.visions, communities, blocks, blocks_of_communities=shared)
        visions = build_vision_list(survey)
        warnings += more
    missing = [
        f"no {kind} survey was given (--{kind}s) or found next to the input: the {title} is empty"
        for kind, title, table in (
            ("demand", "demand list (需求清单)", surveys.demands),
            ("vision", "vision list (愿景清单)", surveys.visions),
        )
        if table is None
    ]
    return Consultation(demand_list=demands, vision_list=visions, warnings=(*warnings, *missing))
