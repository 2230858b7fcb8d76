"""The CJK font and the missing-glyph guard.

Chinese must render in a real CJK font: the first of ``[fonts] cjk`` in
``data/report.toml`` that matplotlib's font manager knows (Debian's
``fonts-noto-cjk`` gives "Noto Sans CJK SC"). A missing font is a
:class:`~blockcheck.errors.FontMissingError` naming the install command; a glyph missing from
every font in use — which matplotlib would draw as an empty box and only warn
about — is a :class:`~blockcheck.errors.MissingGlyphError` while :func:`glyph_guard` is active
(every export function renders inside it).

matplotlib before 3.11 reads only the first font of a ``.ttc`` collection — in
Debian's Noto CJK files the Japanese one (QGIS 3.22's numpy 1.24 keeps the
plugin at matplotlib 3.10). Then the Chinese face named in ``[fonts] cjk`` is
taken out of the collection once (fontTools, which matplotlib depends on) into
matplotlib's cache folder and added to its font manager: the same glyphs, the
Chinese forms, never the Japanese ones.

PDF font embedding: pages are written with ``pdf.fonttype = 3`` (glyph outlines
embedded as Type 3 fonts, with a ToUnicode map so text stays searchable).
Type 42 is not used on purpose: Noto CJK is a CFF-flavoured OpenType collection,
which matplotlib embeds under a TrueType (``FontFile2``) descriptor, giving PDFs
that poppler flags as broken (matplotlib issue #20870).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from blockcheck.errors import FontMissingError, MissingGlyphError
from blockcheck.report.settings import settings

__all__ = ["cjk_family", "collection_face", "glyph_guard", "style"]

_GLYPH_WARNING = re.compile(r"Glyph (\d+) \((.*?)\) missing from font\(s\) (.*)\.", re.DOTALL)


@cache
def cjk_family() -> str:
    """The family name of the first installed CJK font of ``[fonts] cjk``.

    Raises
    ------
    blockcheck.errors.FontMissingError
        When none is installed; the message gives the install command.
    """
    import matplotlib
    from matplotlib import font_manager

    cfg = settings()["fonts"]
    for family in cfg["cjk"]:
        try:
            font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return family
    if _version(matplotlib.__version__) < (3, 11):
        for family in cfg["cjk"]:
            face = collection_face(family)
            if face is not None:
                font_manager.fontManager.addfont(str(face))
                return family
    msg = (
        f"No Chinese (CJK) font found for maps and reports (tried {', '.join(cfg['cjk'])}). "
        f"Install one: {cfg['install_hint']}"
    )
    if _version(matplotlib.__version__) < (3, 11):
        msg += (
            f". matplotlib {matplotlib.__version__} reads only the first font of a .ttc collection (Debian's "
            "fonts-noto-cjk is one): install matplotlib >= 3.11, or a Chinese font as .otf or .ttf"
        )
    raise FontMissingError(msg)


def collection_face(family: str) -> Path | None:
    """The font `family` taken out of a ``.ttc`` collection matplotlib knows, as a file of its own (cached).

    For matplotlib < 3.11, which reads only a collection's first font. The
    face is written once into ``<matplotlib cache>/blockcheck-fonts/`` (its
    tables as they are: the same outlines); None when no collection holds it.
    """
    import matplotlib
    from fontTools.ttLib import TTCollection
    from matplotlib import font_manager

    collections = sorted({entry.fname for entry in font_manager.fontManager.ttflist if entry.fname.endswith(".ttc")})
    for path in collections:
        try:
            fonts = TTCollection(path, lazy=True).fonts
        except Exception:  # noqa: BLE001 - an unreadable collection is simply not a candidate
            continue
        for font in fonts:
            if font["name"].getDebugName(1) != family:
                continue
            folder = Path(matplotlib.get_cachedir()) / "blockcheck-fonts"
            target = folder / f"{family}{'.otf' if 'CFF ' in font else '.ttf'}"
            if not target.is_file():
                folder.mkdir(parents=True, exist_ok=True)
                handle, pending = tempfile.mkstemp(dir=folder, suffix=target.suffix)
                os.close(handle)
                font.save(pending)
                os.replace(pending, target)  # whole or not at all, also with two processes at once
            return target
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def style(*, pdf: bool = False) -> dict:
    """rcParams for every figure of blockcheck.report (used with ``plt.rc_context``, never globally)."""
    fig = settings()["figure"]
    return {
        "font.family": [cjk_family(), *settings()["fonts"]["fallback"]],
        "font.size": fig["font_size"],
        "axes.titlesize": fig["title_size"],
        "axes.unicode_minus": False,
        "text.parse_math": False,  # names such as "$A$ 街区" are text, never mathtext (which would fail or render math)
        "svg.fonttype": "path",  # SVGs show the same glyphs without the font installed
        "svg.hashsalt": "blockcheck",  # reproducible SVG ids
        "pdf.fonttype": 3,  # see the module docstring (Type 42 + CFF fonts is broken in matplotlib)
        "pdf.compression": 6,
        "path.simplify": True,
        "hatch.linewidth": 0.6,
        "legend.fontsize": fig["font_size"] - 1,
        "legend.title_fontsize": fig["font_size"],
        "legend.frameon": False,
        "figure.dpi": 100,
        "savefig.dpi": fig["dpi"],
        **({"figure.max_open_warning": 0} if pdf else {}),
    }


@contextlib.contextmanager
def glyph_guard() -> Iterator[None]:
    """Inside: rcParams of :func:`style`, and a missing glyph raises :class:`~blockcheck.errors.MissingGlyphError`."""
    import matplotlib.pyplot as plt

    with plt.rc_context(style()), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        try:
            yield
        except UserWarning as warning:
            match = _GLYPH_WARNING.search(str(warning))
            if match is None:
                raise
            code, name, fonts = match.groups()
            msg = (
                f"Character {chr(int(code))!r} (U+{int(code):04X}, {name}) has no glyph in the font(s) {fonts}; "
                "it would show as an empty box. Use another character or install a font that has it."
            )
            raise MissingGlyphError(msg) from None
