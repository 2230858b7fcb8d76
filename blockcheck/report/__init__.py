"""Hearing exports (issue 6): maps, the block atlas and the hearing report.

Public functions (imported lazily, so ``import blockcheck.report`` stays light):

- :func:`~blockcheck.report.maps.export_maps` — one PNG and one SVG per map;
- :func:`~blockcheck.report.atlas.export_atlas` — cover, district overview, one page per block;
- :func:`~blockcheck.report.hearing.export_report` — the hearing report (PDF and HTML).

The plot functions (``plot_overview``, ``plot_metric`` …) live in :mod:`blockcheck.report.maps`.

The validation report (``ValidationReport``, ``Issue`` and the severities) lives in
:mod:`blockcheck.inputs.report`; its names are re-exported here for compatibility.
"""

from __future__ import annotations

import importlib

from blockcheck.inputs.report import ERROR, INFO, WARNING, Issue, ValidationReport

_LAZY = {
    "export_maps": "maps",
    "export_atlas": "atlas",
    "export_report": "hearing",
    "load_workbook": "workbook_data",
}

__all__ = ["ERROR", "INFO", "WARNING", "Issue", "ValidationReport", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
