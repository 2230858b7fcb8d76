"""docs/workbook-schema.md, generated from ``data/lists.toml`` (``python -m blockcheck.lists.schema_doc``)."""

from __future__ import annotations

from blockcheck import vocabulary
from blockcheck.lists.schema import list_tables

__all__ = ["workbook_schema_markdown"]

_INTRO = """\
# The workbook schema (八清单 and their link tables)

`blockcheck run INPUT --out DIR` writes `DIR/workbook.gpkg` (GeoPackage 1.2, opens in QGIS 3.22)
and `DIR/eight_lists.xlsx` (one sheet per list, the Chinese headers of 图1–图8 first). This page is
generated from `blockcheck/data/lists.toml`, the one definition that drives writing, reading,
validation, Chinese/English labels and the Excel sheets.

Links: a problem (`problem_list.id`, e.g. `PB-CP02-0101-road_density_low`) is evidenced by its
`metric_key` in `block_metrics`; a strategy (`strategy_list`) names its `problem_ids`,
`resource_ids` and `demand_ids`; a policy names the strategies it enables; a task names its
strategies; a project (`project_list`) names its `strategy_ids`, `problem_ids` and `resource_ids`;
`allocation` ties resources to the block gaps they fill. Keys are stable across runs.

Editing: change rows in QGIS or in `eight_lists.xlsx` and import it back with
`blockcheck import-lists DIR/workbook.gpkg DIR/eight_lists.xlsx --who NAME --reason TEXT`.
Edited rows get `provenance = edited`, new rows `added` (by the workbook's own triggers, whatever program
committed the edit: blockcheck's editor, QGIS's attribute table, SQL); re-running `blockcheck run` keeps them.
Resource `status` (candidate / confirmed / rejected) is kept across runs. Every project change is
appended to `project_history`, which is never rewritten. Project status follows the life cycle
{life_cycle}.
"""


def workbook_schema_markdown() -> str:
    """The whole docs/workbook-schema.md text."""
    stages = " → ".join(f"{t.code} {t.zh}" for t in vocabulary.life_cycle())
    lines = [_INTRO.format(life_cycle=stages).rstrip(), ""]
    for name, table in list_tables().items():
        figure = f" ({table.figure})" if table.figure else ""
        lines += [
            f"## `{name}` — {table.title_zh}{figure} · {table.title_en}",
            "",
            f"Key `{table.key}` · geometry: {table.geometry}",
            "",
            "| field | type | 中文表头 | header | values |",
            "|---|---|---|---|---|",
        ]
        for f in table.fields:
            values = ", ".join(f.values) if f.values else ""
            req = " (required)" if f.required else ""
            lines.append(f"| `{f.name}`{req} | {f.type} | {f.label_zh} | {f.label_en} | {values} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(workbook_schema_markdown(), end="")
