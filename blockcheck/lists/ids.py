"""Stable ids of the list rows: every id formula of the workbook, defined once.

An id is built from what a row *is* (its block, rule, category, source
feature …), never from its position, so the same input gives the same ids and
a re-run can keep analysts' edits by key. The core and the QGIS plugin both
call these functions; ``grep`` finds each prefix here only.

Each function takes scalars or index-aligned pandas Series (mixing both) and
returns a str or a Series of str.

========  ==============================================  ============================
prefix    formula                                         list
========  ==============================================  ============================
PB-       ``PB-<scope>-<rule>``                           problem list (图1)
RL-       ``RL-<category>-<source layer>-<source id>``    resource list (图2)
RL-       ``RL-<category>-block-<block>``                 resource list: a block's retained land or buildings
DM-       ``DM-<community>-<category>-<need>-<row>``      demand list (图3)
VS-       ``VS-<community>-<row>``                        vision list (图4)
ST-       ``ST-<block>-<strategy key>``                   strategy list (图5)
TK-       ``TK-<block>-<task type>``                      task list (图7)
TK-       ``TK-<block>-待落实-<rule>``                    task list: open items
PJ-       ``PJ-<site block>-<kind>-<source>``             project list (图8)
PJ-       ``PJ-road-<road id>`` / ``PJ-added-<0001>``     project list: roads / added
AL-       ``AL-<00001>``                                  allocation
RG-       ``RG-<block>-<provision key>``                  allocation_remaining
DG-       ``DG-<scope>-<item>``                           data_gaps
MS-       ``MS-<scope>-<metric key>``                     metric_status
H         ``H<000001>``                                   project_history
========  ==============================================  ============================
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "AREA_SCOPE",
    "NO_BLOCK",
    "OPEN_TASK_WORD",
    "ROAD_KIND",
    "added_project_id",
    "aggregate_resource_id",
    "allocation_ids",
    "data_gap_id",
    "demand_id",
    "history_ids",
    "metric_status_id",
    "open_task_id",
    "placement_project_id",
    "problem_id",
    "project_id",
    "remaining_gap_id",
    "resource_id",
    "road_project_id",
    "strategy_id",
    "task_id",
    "vision_id",
]

#: The scope of a whole-area row (problems, data gaps, metric status, open items).
AREA_SCOPE = "ALL"
#: The block part of an id for features outside every block.
NO_BLOCK = "outside"
#: The project kind of planned roads (one project per road, across blocks).
ROAD_KIND = "road_km"
#: The word marking a task row that no project closes (待落实 = still to be arranged).
OPEN_TASK_WORD = "待落实"

Part = str | int | pd.Series


def _compose(prefix: str, *parts: Part) -> str | pd.Series:
    """``prefix`` followed by the parts joined with ``-`` (element-wise when any part is a Series)."""
    series = [p for p in parts if isinstance(p, pd.Series)]
    if not series:
        return prefix + "-".join(str(p) for p in parts)
    index = series[0].index
    out = pd.Series(prefix, index=index, dtype=object)
    for i, part in enumerate(parts):
        text = part.astype(str) if isinstance(part, pd.Series) else str(part)
        out = out + ("-" if i else "") + text
    return out


def problem_id(scope: Part, rule_id: Part) -> str | pd.Series:
    """``PB-<scope>-<rule>``: a problem rule judged in a block (or ``ALL``, the whole area)."""
    return _compose("PB-", scope, rule_id)


def resource_id(category: Part, source_layer: Part, source_id: Part) -> str | pd.Series:
    """``RL-<category>-<source layer>-<source id>``: a resource found on (or picked from) an input feature."""
    return _compose("RL-", category, source_layer, source_id)


def aggregate_resource_id(category: Part, block_id: Part) -> str | pd.Series:
    """``RL-<category>-block-<block>``: all resources of one category in a block, listed as one row.

    Retained land and buildings (其他现状保留用地/建筑) are listed per block as
    in 图2; the features behind the row keep their own id,
    :func:`resource_id`, in the ``resource_members`` table. A missing block
    (features outside every block) is written :data:`NO_BLOCK`.
    """
    if isinstance(block_id, pd.Series):
        block_id = block_id.astype(object).where(block_id.notna(), NO_BLOCK)
    elif block_id is None or (isinstance(block_id, float) and pd.isna(block_id)):
        block_id = NO_BLOCK
    return _compose("RL-", category, "block", block_id)


def demand_id(community: Part, category: Part, need_code: Part, source_row: Part) -> str | pd.Series:
    """``DM-<community>-<category>-<need>-<survey row>``: one need of a community in the demand survey."""
    return _compose("DM-", community, category, need_code, source_row)


def vision_id(community: Part, source_row: Part) -> str | pd.Series:
    """``VS-<community>-<survey row>``: one hope in the vision survey."""
    return _compose("VS-", community, source_row)


def strategy_id(block_id: Part, strategy_key: Part) -> str | pd.Series:
    """``ST-<block>-<strategy key>``: a strategy of the catalogue chosen for a block."""
    return _compose("ST-", block_id, strategy_key)


def task_id(block_id: Part, task_type: Part) -> str | pd.Series:
    """``TK-<block>-<task type>``: a block's construction task of one type (三大设施, 道路, 绿化, 其他)."""
    return _compose("TK-", block_id, task_type)


def open_task_id(block_id: Part, rule_id: Part) -> str | pd.Series:
    """``TK-<block>-待落实-<rule>``: a problem the projects leave open (a task naming the policy that unlocks it)."""
    return _compose("TK-", block_id, OPEN_TASK_WORD, rule_id)


def project_id(site_block: Part, kind: Part, source: Part) -> str | pd.Series:
    """``PJ-<site block>-<kind>-<source>``: the sites of one kind from one source in one block."""
    return _compose("PJ-", site_block, kind, source)


def road_project_id(road_id: Part) -> str | pd.Series:
    """``PJ-road-<road id>``: a planned road built as one project across the blocks it runs through."""
    return _compose("PJ-road-", road_id)


def placement_project_id(site_block: pd.Series, kind: pd.Series, source: pd.Series, road_id: pd.Series) -> pd.Series:
    """The project a placement belongs to: :func:`road_project_id` for planned roads (kind ``road_km``),
    else :func:`project_id`."""
    return road_project_id(road_id).where(kind == ROAD_KIND, project_id(site_block, kind, source))


def added_project_id(number: int) -> str:
    """``PJ-added-<number, 4 digits>``: a project an analyst added on the map."""
    return f"PJ-added-{int(number):04d}"


def remaining_gap_id(block_id: Part, provision_key: Part) -> str | pd.Series:
    """``RG-<block>-<provision key>``: what the allocation left of a block's facility gap."""
    return _compose("RG-", block_id, provision_key)


def data_gap_id(scope: Part, item: Part) -> str | pd.Series:
    """``DG-<scope>-<item>``: a data gap (``<layer>[-<category>][-<field>]``) in a block or the whole area."""
    return _compose("DG-", scope, item)


def metric_status_id(scope: Part, metric_key: Part) -> str | pd.Series:
    """``MS-<scope>-<metric key>``: whether a metric was measured, estimated or had no data."""
    return _compose("MS-", scope, metric_key)


def allocation_ids(start: int, count: int) -> list[str]:
    """``AL-00001`` …: consecutive allocation row ids from `start`."""
    return [f"AL-{n:05d}" for n in range(start, start + count)]


def history_ids(start: int, count: int) -> list[str]:
    """``H000001`` …: consecutive project-history entry ids from `start` (the history only grows)."""
    return [f"H{n:06d}" for n in range(start, start + count)]
