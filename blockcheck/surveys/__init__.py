"""Reading the consultation surveys: the demand list (需求清单, 图3) and the vision list (愿景清单, 图4).

Step 2 of the method ("consultation finds needs") produces two tables filled in
by sub-districts and communities, usually in Excel:

- the **demand list**: one row per community with the headers
  ``街道, 社区, 公共服务设施, 公共空间, 市政公用设施, 交通停车问题``; each category cell
  lists needs (文化活动室、养老 …) or ``--`` for none;
- the **vision list**: ``街道, 社区, 愿景``, residents' hopes for daily life (衣食住行 …).

:func:`read_demand_survey` and :func:`read_vision_survey` read either table
from CSV (UTF-8 with or without BOM, GB18030) or XLSX, the way people make them:
merged 街道 cells, blank rows, full-width punctuation, several needs per cell.
Needs are coded with the vocabulary ``data/demand_vocabulary.toml``; visions are
classified with ``data/vision_keywords.toml``. :func:`match_communities` puts
every row on a community of the communities layer and on the block holding
most of that community; :func:`demand_summary` counts needs per block for the
strategy rules.

Readers return DataFrames; what they noticed (unknown phrases, carried-down
names) is in ``table.attrs["warnings"]``, every community that answered the demand
survey (including those with no needs at all) in ``table.attrs["respondents"]``
(see :func:`survey_respondents`) and the file in ``table.attrs["source"]``.

The package holds :mod:`~blockcheck.surveys.vocabulary` (the two TOML
catalogues), :mod:`~blockcheck.surveys.demands` (demand list, respondents,
per-block summary), :mod:`~blockcheck.surveys.visions` (vision list and its
classification), :mod:`~blockcheck.surveys.communities` (matching to the
communities and blocks layers), and the shared ``_reading`` (files, sheets,
encodings, header row) and ``_text`` (normalisation) helpers. Import
everything from ``blockcheck.surveys``.
"""

from __future__ import annotations

from blockcheck.surveys.communities import community_blocks, match_communities
from blockcheck.surveys.demands import (
    DEMAND_COLUMNS,
    RESPONDENT_COLUMNS,
    SUMMARY_COLUMNS,
    demand_summary,
    read_demand_survey,
    survey_respondents,
)
from blockcheck.surveys.visions import VISION_COLUMNS, classify_vision, read_vision_survey
from blockcheck.surveys.vocabulary import (
    OTHER,
    DemandVocabulary,
    Need,
    NeedCategory,
    VisionCategory,
    VisionKeywords,
    demand_vocabulary,
    vision_keywords,
)

__all__ = [
    "DEMAND_COLUMNS",
    "OTHER",
    "RESPONDENT_COLUMNS",
    "SUMMARY_COLUMNS",
    "VISION_COLUMNS",
    "DemandVocabulary",
    "Need",
    "NeedCategory",
    "VisionCategory",
    "VisionKeywords",
    "classify_vision",
    "demand_summary",
    "demand_vocabulary",
    "community_blocks",
    "match_communities",
    "read_demand_survey",
    "read_vision_survey",
    "survey_respondents",
    "vision_keywords",
]
