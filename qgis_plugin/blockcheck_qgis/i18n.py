"""Translation: every user-visible plugin string goes through :func:`tr`.

Sources are English; ``i18n/blockcheck_zh_CN.ts`` holds the Chinese
translations, compiled to ``.qm`` by ``scripts/build_plugin.py``. One context
(``blockcheck``) for the whole plugin keeps the extraction simple.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

__all__ = ["CONTEXT", "I18N_DIR", "install_translator", "tr", "tr_noop", "user_locale"]

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
