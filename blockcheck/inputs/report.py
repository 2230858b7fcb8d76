"""The validation report: every problem of an input, errors told apart from warnings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import pandas as pd

__all__ = ["ERROR", "INFO", "WARNING", "Issue", "ValidationReport"]

ERROR = "error"
WARNING = "warning"
INFO = "info"
_MAX_IDS_SHOWN = 10


@dataclass(frozen=True)
class Issue:
    """One finding: what, where (layer, field, feature ids) and how to fix it."""

    severity: str
    code: str
    layer: str
    message: str
    fix: str = ""
    field: str = ""
    ids: tuple[str, ...] = ()

    def format(self) -> str:
        """One plain-words paragraph."""
        where = self.layer + (f".{self.field}" if self.field else "")
        text = f"[{self.severity.upper()}] {where}: {self.message}"
        if self.ids:
            shown = ", ".join(self.ids[:_MAX_IDS_SHOWN])
            more = f" and {len(self.ids) - _MAX_IDS_SHOWN} more" if len(self.ids) > _MAX_IDS_SHOWN else ""
            text += f" Features: {shown}{more}."
        if self.fix:
            text += f"\n    How to fix: {self.fix}"
        return text


@dataclass
class ValidationReport:
    """All issues found in one input, in the order they were found."""

    source: str
    issues: list[Issue] = field(default_factory=list)

    def add(
        self, severity: str, code: str, layer: str, message: str, *, fix: str = "", field: str = "", ids: Iterable = ()
    ) -> None:
        """Record one issue."""
        self.issues.append(Issue(severity, code, layer, message, fix, field, tuple(str(i) for i in ids)))

    @property
    def errors(self) -> list[Issue]:
        """Issues that stop a run."""
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        """Issues that reduce or qualify what is computed."""
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def codes(self, severity: str | None = None) -> set[str]:
        """The issue codes found (optionally of one severity)."""
        return {i.code for i in self.issues if severity is None or i.severity == severity}

    def format(self) -> str:
        """The whole report as plain text, errors first."""
        head = f"Validation of {self.source}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)."
        ordered = self.errors + self.warnings + [i for i in self.issues if i.severity == INFO]
        return "\n".join([head, *(i.format() for i in ordered)])

    def to_frame(self) -> pd.DataFrame:
        """One row per issue (for the ``validation_report`` output table)."""
        rows = [{**asdict(i), "ids": ", ".join(i.ids)} for i in self.issues]
        return pd.DataFrame(rows, columns=["severity", "code", "layer", "field", "message", "fix", "ids"])

    def to_json(self) -> str:
        """The report as JSON (for scripts)."""
        return json.dumps(
            {"source": self.source, "ok": self.ok, "issues": [asdict(i) for i in self.issues]},
            ensure_ascii=False,
            indent=2,
        )
