"""Around a run into a folder whose workbook the project has open: no pending edits before, everything read again after.

The core writes into an existing workbook in place, in one SQLite transaction
(``blockcheck.gpkg_inplace``), so QGIS's open connections stay valid. What QGIS
keeps besides — feature counts, extents, the editor's rows and feature ids — is
read again once the run has ended: every project layer of the workbook is
reloaded and open checklist editors are told (:data:`NOTICES`).
"""

from __future__ import annotations

import os

from qgis.core import QgsProcessingException, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QObject, pyqtSignal

from . import styles
from .i18n import tr

__all__ = ["NOTICES", "after_run", "refuse_pending_edits", "reload_layers", "tell_editors", "workbook_layers"]


class _Notices(QObject):
    #: the workbook (normalised path) a run has just written into
    rewritten = pyqtSignal(str)


NOTICES = _Notices()


def workbook_layers(workbook: str | os.PathLike, project: QgsProject) -> list[QgsVectorLayer]:
    """The project's layers reading a table of `workbook`."""
    path = os.path.normpath(str(workbook))
    return [
        layer
        for layer in project.mapLayers().values()
        if isinstance(layer, QgsVectorLayer)
        and layer.providerType() == "ogr"
        and styles.workbook_path(layer)[0] == path
    ]


def _holds_transaction(project: QgsProject) -> bool:
    """Whether layers in edit mode hold a database transaction (QGIS's transaction groups)."""
    mode = getattr(project, "transactionMode", None)  # QGIS ≥ 3.26
    if mode is not None:
        return "Disabled" not in str(mode())
    return bool(project.autoTransaction())


def refuse_pending_edits(workbook: str | os.PathLike, project: QgsProject) -> None:
    """Stop before a run when layers of `workbook` have unsaved edits (or hold a write transaction).

    Edits saved after the run would land on the rows of tables the run rewrote.

    Raises
    ------
    QgsProcessingException
        Naming the layers and how to go on.
    """
    if not os.path.isfile(workbook):
        return
    transaction = _holds_transaction(project)
    busy = [
        layer.name()
        for layer in workbook_layers(workbook, project)
        if layer.isEditable() and (layer.isModified() or transaction)
    ]
    if busy:
        raise QgsProcessingException(
            tr(
                "Layers of {workbook} are being edited: {layers}. Save or discard their edits (toggle editing off) "
                "and run again: the run rewrites the workbook's tables."
            ).format(workbook=workbook, layers=", ".join(busy))
        )


def reload_layers(workbook: str | os.PathLike, project: QgsProject) -> int:
    """Reload the project's layers of `workbook` (QGIS's connections to the file are opened again); return how many."""
    layers = workbook_layers(workbook, project)
    for layer in layers:
        layer.reload()
        layer.updateExtents()
        layer.triggerRepaint()
    return len(layers)


def tell_editors(workbook: str | os.PathLike) -> None:
    """Tell open checklist editors that a run has rewritten `workbook` (they read it again)."""
    NOTICES.rewritten.emit(os.path.normpath(str(workbook)))


def after_run(workbook: str | os.PathLike, project: QgsProject) -> int:
    """Reload the project's layers of `workbook` and tell open editors; return how many layers were reloaded."""
    reloaded = reload_layers(workbook, project)
    tell_editors(workbook)
    return reloaded
