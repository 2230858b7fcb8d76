"""The population raster as a file the core can open (QGIS's own writer; no analysis library)."""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import (
    QgsCoordinateTransformContext,
    QgsProcessingException,
    QgsRasterFileWriter,
    QgsRasterLayer,
    QgsRasterPipe,
)

from .i18n import tr

__all__ = ["raster_path"]


def raster_path(layer: QgsRasterLayer | None, folder: str | os.PathLike, transform_context=None) -> str | None:
    """A GeoTIFF the core can open for `layer`: its own file when GDAL reads one, else a copy written by QGIS."""
    if layer is None:
        return None
    uri = layer.source()
    if layer.providerType() == "gdal" and Path(uri).is_file():
        return uri
    target = Path(folder) / "population_from_qgis.tif"
    writer = QgsRasterFileWriter(str(target))
    pipe = QgsRasterPipe()
    pipe.set(layer.dataProvider().clone())
    error = writer.writeRaster(
        pipe,
        layer.width(),
        layer.height(),
        layer.extent(),
        layer.crs(),
        transform_context or QgsCoordinateTransformContext(),
    )
    if error != QgsRasterFileWriter.WriterError.NoError:
        raise QgsProcessingException(tr("Cannot write the population raster to {path}").format(path=target))
    return str(target)
