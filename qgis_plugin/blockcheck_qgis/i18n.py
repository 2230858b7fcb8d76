"""Translation: every user-visible plugin string goes through :func:`tr`.

Sources are English; ``i18n/blockcheck_zh_CN.ts`` holds the Chinese
translations, compiled to ``.qm`` by ``scripts/build_plugin.py``. One context
(``blockcheck``) for the whole plugin keeps the extraction simple.
"""

from __future__ import annotations

import re
from pathlib import Path

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

__all__ = [
    "CONTEXT",
    "CORE_PROGRESS",
    "I18N_DIR",
    "core_message",
    "install_translator",
    "tr",
    "tr_noop",
    "ui_language",
    "user_locale",
]

CONTEXT = "blockcheck"
I18N_DIR = Path(__file__).resolve().parent / "i18n"


def tr(text: str) -> str:
    """Translate `text` in the plugin's context (returns `text` when untranslated)."""
    return QCoreApplication.translate(CONTEXT, text)


def tr_noop(text: str) -> str:
    """Mark `text` for translation where it is defined; translate it with :func:`tr` where it is shown."""
    return text


def user_locale() -> str:
    """QGIS's user interface locale, e.g. ``zh_CN`` or ``en_US``."""
    settings = QgsSettings()
    if settings.value("locale/overrideFlag", False, type=bool):
        return str(settings.value("locale/userLocale", "") or QLocale().name())
    return QLocale().name()


def ui_language() -> str:
    """The language of the core's labels for the QGIS interface: ``zh`` in a Chinese QGIS, else ``en``."""
    return "zh" if user_locale().lower().startswith("zh") else "en"


#: The core's progress messages (``progress(fraction, message)`` in blockcheck.pipeline, blockcheck.steps,
#: blockcheck.inputs.osm, blockcheck.report.atlas), English and stable: the keys of their translations in
#: ``i18n/blockcheck_<locale>.ts``. Listed here so that the translation extraction keeps them.
CORE_PROGRESS = (
    tr_noop("loading standards and mapping"),
    tr_noop("reading and validating the input"),
    tr_noop("validation finished"),
    tr_noop("population"),
    tr_noop("walking network"),
    tr_noop("roads"),
    tr_noop("green"),
    tr_noop("facilities"),
    tr_noop("life circles (walking network)"),
    tr_noop("buildings"),
    tr_noop("whole area"),
    tr_noop("health check finished"),
    tr_noop("demands and visions"),
    tr_noop("strategies and policies"),
    tr_noop("tasks and projects"),
    tr_noop("writing the workbook"),
    tr_noop("done"),
    tr_noop("reading OSM"),
    tr_noop("clipping to the extract's box"),
    tr_noop("mapping tags to the data model"),
    tr_noop("reprojecting"),
    tr_noop("building the model layers"),
    tr_noop("blocks"),
    tr_noop("atlas written"),
)
#: Core progress messages with a number in them: the message's pattern → the template translated.
_NUMBERED = ((re.compile(r"^atlas page (?P<n>\d+)$"), tr_noop("atlas page {n}")),)


def core_message(text: str) -> str:
    """A progress message of the core in the interface language (unknown messages stay as they are).

    ``bridge.progress_callback`` shows every message of the core through this.
    """
    for pattern, template in _NUMBERED:
        found = pattern.match(text)
        if found:
            return tr(template).format(**found.groupdict())
    return tr(text)


def install_translator(locale: str | None = None) -> QTranslator | None:
    """Load ``blockcheck_<locale>.qm`` (``zh_CN``, then ``zh``) into the application.

    Returns the translator (keep a reference; remove it on unload), or None
    when there is no translation for the locale (English stays).
    """
    locale = locale or user_locale()
    candidates = [locale, locale.split("_")[0]]
    if locale.startswith("zh"):
        candidates.append("zh_CN")
    for name in candidates:
        qm = I18N_DIR / f"blockcheck_{name}.qm"
        if qm.is_file():
            translator = QTranslator()
            if translator.load(str(qm)):
                QCoreApplication.installTranslator(translator)
                return translator
    return None
