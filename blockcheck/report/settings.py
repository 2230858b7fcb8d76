"""Map and report settings from ``data/report.toml`` (titles, legend texts, colours, sizes)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from blockcheck.errors import BlockcheckError

__all__ = ["LANGS", "Step", "check_lang", "method_paragraphs", "metric_maps", "settings", "steps", "text"]

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


@dataclass(frozen=True)
class Step:
    """One of the four steps of the method (``[[steps]]``): its number, title in one language and lists."""

    number: int
    ordinal: str  # 第一步 / Step 1
    name: str  # 体检评估找问题 / Health check finds problems
    lists: tuple[str, ...]
    title: str  # 第一步 体检评估找问题 / Step 1: Health check finds problems


def steps(lang: str) -> list[Step]:
    """The four steps in `lang`, in the method's own words."""
    out = []
    for i, s in enumerate(settings()["steps"], start=1):
        ordinal, name = s[f"ordinal_{check_lang(lang)}"], s[lang]
        out.append(Step(i, ordinal, name, tuple(s["lists"]), text(lang, "step", ordinal=ordinal, name=name)))
    return out


def method_paragraphs(lang: str) -> list[str]:
    """The method note in `lang`, the steps named as the method names them."""
    names = {f"step{s.number}": s.title for s in steps(lang)}
    return [p.format(**names) for p in settings()["method"][check_lang(lang)]]
