"""The progress callback every long step takes: fraction done (0–1) and a short message.

The CLI prints it, the QGIS plugin forwards it to its feedback (translating the
message), notebooks may pass ``print``-like functions; ``None`` means silent.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "reporter", "silent"]

#: Progress callback: fraction done (0–1) and a short message.
Progress = Callable[[float, str], None]


def silent(fraction: float, message: str) -> None:
    """A progress callback that reports nothing."""


def reporter(progress: Progress | None) -> Progress:
    """`progress`, or :func:`silent` when it is None."""
    return progress if progress is not None else silent
