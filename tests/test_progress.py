"""The one progress-callback type and its silent default (blockcheck.progress)."""

from __future__ import annotations

from blockcheck.progress import reporter, silent


def test_reporter_is_the_callback_given_or_silent() -> None:
    heard: list[tuple[float, str]] = []

    def record(fraction: float, message: str) -> None:
        heard.append((fraction, message))

    reporter(record)(0.5, "half")
    assert heard == [(0.5, "half")]
    assert reporter(None) is silent
    assert silent(1.0, "done") is None


def test_every_core_module_takes_the_one_progress_type() -> None:
    """No module of the core or the plugin defines its own alias: the callback's type is written once."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    aliases = [
        str(path.relative_to(root))
        for package in (root / "blockcheck", root / "qgis_plugin")
        for path in package.rglob("*.py")
        if "Callable[[float, str], None]" in path.read_text(encoding="utf-8") and path.name != "progress.py"
    ]
    assert aliases == []
