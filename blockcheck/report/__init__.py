"""Hearing exports (issue 6): maps, the block atlas and the hearing report.

Public functions (imported lazily, so ``import blockcheck.report`` stays light):

- :func:`~blockcheck.report.maps.export_maps` — one PNG and one SVG per map;
- :func:`~blockcheck.report.atlas.export_atlas` — cover, district overview, one page per block;
- :func:`~blockcheck.report.hearing.export_report` — the hearing report (PDF and HTML).

The plot functions (``plot_overview``, ``plot_metric`` …) live in :mod:`blockcheck.report.maps`.

Compatibility: the validation report (``ValidationReport``, ``Issue`` and the
severities) lives in the older module file ``blockcheck/report.py``, which this
package shadows. It is loaded from that file here and its names re-exported,
so ``from blockcheck.report import ValidationReport`` keeps working unchanged.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_VALIDATION_MODULE = "blockcheck._validation_report"


def _load_validation_report():  # noqa: ANN202
    if _VALIDATION_MODULE in sys.modules:
        return sys.modules[_VALIDATION_MODULE]
    path = Path(__file__).resolve().parent.parent / "report.py"
    spec = importlib.util.spec_from_file_location(_VALIDATION_MODULE, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_VALIDATION_MODULE] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


_validation = _load_validation_report()
ERROR = _validation.ERROR
WARNING = _validation.WARNING
INFO = _validation.INFO
Issue = _validation.Issue
ValidationReport = _validation.ValidationReport

_LAZY = {
    "export_maps": "maps",
    "export_atlas": "atlas",
    "export_report": "hearing",
    "load_workbook": "workbook_data",
}

__all__ = ["ERROR", "INFO", "WARNING", "Issue", "ValidationReport", *_LAZY]


def __getattr__(name: str):  # noqa: ANN202
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
