"""The Processing provider ``blockcheck``."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .i18n import tr

__all__ = ["BlockcheckProvider"]


class BlockcheckProvider(QgsProcessingProvider):
    """Registers the algorithms of :mod:`.algorithms` under the id ``blockcheck``."""

    def id(self) -> str:
        return "blockcheck"

    def name(self) -> str:
        return tr("blockcheck (街区体检)")

    def longName(self) -> str:
        from ._deps import plugin_version

        return f"{self.name()} {plugin_version()}"

    def icon(self) -> QIcon:
        return QIcon(str(Path(__file__).resolve().parent / "icon.svg"))

    def loadAlgorithms(self) -> None:
        from .algorithms import ALGORITHMS

        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
