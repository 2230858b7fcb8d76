"""Map and report settings from ``data/report.toml`` (titles, legend texts, colours, sizes)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from ..errors import BlockcheckError

__all__ = ["LANGS", "check_lang", "metric_maps", "settings", "text"]

LANGS = ("zh", "en")


@cache
def settings() -> dict:
    """The whole of ``data/report.toml`` (cached)."""
    return tomllib.loads(resources.files("blockcheck").joinpath("data/report.toml").read_text("utf-8"))


def check_lang(lang: str) -> str:
    """`lang` if it is ``zh`` or ``en``; a BlockcheckError otherwise."""
    if lang not in LANGS:
        msg = f"language {lang!r}: choose zh or en."
        raise BlockcheckError(msg)
    return lang


def text(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang`, formatted with `values`."""
    template = settings()["text"][check_lang(lang)][key]
    return template.format(**values) if values else template


def metric_maps() -> dict[str, dict]:
    """The metric choropleths by name (``[[maps.metric]]``)."""
    return {m["name"]: m for m in settings()["maps"]["metric"]}
