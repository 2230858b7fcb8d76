"""Errors and warnings raised by blockcheck.

Every error says what is wrong, where, and how to fix it. Errors that can
occur many at once (input validation) are collected into one
:class:`ValidationError` that carries the whole report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation: blockcheck.inputs imports this module
    from blockcheck.inputs.report import ValidationReport

__all__ = [
    "AllocationCatalogueError",
    "AllocationError",
    "BlockcheckError",
    "BlockcheckWarning",
    "CRSError",
    "CancelledError",
    "CatalogueError",
    "CatalogueKeyError",
    "DatabaseError",
    "FontMissingError",
    "ForkedPartError",
    "InputError",
    "ManifestError",
    "MappingError",
    "MissingGlyphError",
    "OSMImportError",
    "OutputError",
    "PermissionDeniedError",
    "SchemaError",
    "StaleEditError",
    "StaleImportError",
    "StandardsError",
    "ValidationError",
    "WorkbookLockedError",
    "WouldOverwriteError",
]


class BlockcheckError(Exception):
    """Base class of every error blockcheck raises on purpose.

    The CLI prints these without a traceback and exits with code 2.
    """


class InputError(BlockcheckError, ValueError):
    """An input file, layer or field cannot be used as given."""


class CatalogueError(BlockcheckError, ValueError):
    """A packaged or user catalogue (a data file of rules, needs or labels) is malformed; the message names file, key.

    :mod:`blockcheck.catalogue` reads the catalogues and raises it.
    """


class CatalogueKeyError(CatalogueError, KeyError):
    """A key a catalogue entry must have is missing; the message names file and key.

    It is a ``KeyError`` too, so code that looks keys up in a loaded catalogue
    and handles ``KeyError`` keeps working.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CRSError(InputError):
    """A coordinate reference system is missing, geographic or inconsistent."""


class MappingError(InputError):
    """A field-mapping file is unreadable or refers to unknown names."""


class ManifestError(InputError):
    """A batch manifest (``blockcheck batch MANIFEST.toml``) is unusable; the message lists every problem at once."""


class StandardsError(CatalogueError):
    """A standards profile or override file is unknown, unreadable or inconsistent, or lacks a key a rule asks for."""


class AllocationError(BlockcheckError, ValueError):
    """The allocation optimisation failed, or its catalogue is invalid (then an :class:`AllocationCatalogueError`)."""


class AllocationCatalogueError(AllocationError, CatalogueError):
    """The allocation catalogue (``data/allocation.toml`` or a user's copy) is malformed; the message names the key."""


class SchemaError(BlockcheckError, ValueError):
    """A list table does not match its schema (``data/lists.toml``); the message lists every problem."""


class OSMImportError(InputError):
    """An OpenStreetMap extract cannot be read or imported."""


class ValidationError(InputError):
    """Input validation found one or more errors.

    Attributes
    ----------
    report
        The full :class:`blockcheck.inputs.validate.ValidationReport` (errors and warnings).
    """

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.format())


class BlockcheckWarning(UserWarning):
    """A recoverable data issue (e.g. a block without residents)."""


class OutputError(BlockcheckError, OSError):
    """An output cannot be written (read-only folder, full disk); nothing saved before was changed."""


class StaleImportError(InputError):
    """An edited Excel file is older than the workbook's last change; importing it would undo newer edits."""


class FontMissingError(BlockcheckError):
    """No CJK font is installed where matplotlib can find it; the message gives the install command."""


class MissingGlyphError(BlockcheckError):
    """A character has no glyph in any font in use (it would render as a box)."""


class CancelledError(BlockcheckError):
    """The user cancelled a run: a progress callback raised it, and the step under way was not finished."""


class WorkbookLockedError(BlockcheckError):
    """Another writer holds the workbook's lock; the message names it and nothing was written."""


class WouldOverwriteError(BlockcheckError):
    """A command would write over its own input or over a file it did not create (use --overwrite)."""


class DatabaseError(BlockcheckError):
    """A PostGIS workbook cannot be reached or changed; the message names the server (password hidden) and the fix."""


class PermissionDeniedError(DatabaseError):
    """The database refused a change this login may not make (its role, its sub-districts); nothing was changed."""


class StaleEditError(DatabaseError):
    """A row was changed by someone else since it was read; the message names who and when. Reload the row."""


class ForkedPartError(BlockcheckError):
    """A part of a run in a second process (:mod:`blockcheck.parallel`) could not send its result back, or was
    cancelled."""
