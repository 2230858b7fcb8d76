"""The input layers as one GeoPackage for the core, written by QGIS's own writer (selections, filters and any
provider — GeoPackage, Shapefile, PostGIS, memory — work). Called through :mod:`.bridge`."""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsFeatureRequest,
    QgsFields,
    QgsProcessingException,
    QgsVectorFileWriter,
    QgsWkbTypes,
)

from .compat import is_integer_field
from .i18n import tr

__all__ = ["write_input_gpkg"]


def write_input_gpkg(
    sources: dict,
    path: str | os.PathLike,
    *,
    transform_context=None,
    feedback=None,
    names: dict[str, str] | None = None,
) -> Path:
    """Write QGIS feature sources into one GeoPackage, one layer per model layer (named as `names` says).

    Every layer is written in the CRS of ``blocks`` (QGIS reprojects on the
    fly, so should the plugin); layers that may hold points and polygons are
    written with a generic geometry type. A source field ``fid`` is kept when
    it is an integer (feature ids then stay as the user sees them in QGIS).
    """
    from blockcheck.errors import CancelledError
    from blockcheck.inputs.model import input_model

    model = input_model()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    context = transform_context or QgsCoordinateTransformContext()
    target_crs = sources["blocks"].sourceCrs() if sources.get("blocks") is not None else QgsCoordinateReferenceSystem()
    present = [(name, source) for name, source in sources.items() if source is not None]
    total = sum(max(source.featureCount(), 0) for _, source in present) or 1
    done = 0
    for i, (name, source) in enumerate(present):
        wkb_type = source.wkbType()
        if model.layer(name).geometry == "point_or_polygon":
            wkb_type = QgsWkbTypes.Type.Unknown
        fields = QgsFields()
        keep = []
        for index, field in enumerate(source.fields()):
            if field.name().lower() == "fid" and not is_integer_field(field):
                continue
            fields.append(field)
            keep.append(index)
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = (names or {}).get(name, name)
        options.fileEncoding = "UTF-8"
        options.actionOnExistingFile = (
            QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteFile
            if i == 0
            else QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer
        )
        crs = target_crs if target_crs.isValid() else source.sourceCrs()
        writer = QgsVectorFileWriter.create(str(path), fields, wkb_type, crs, context, options)
        if writer.hasError() != QgsVectorFileWriter.WriterError.NoError:
            raise QgsProcessingException(f"{name}: {writer.errorMessage()}")
        request = QgsFeatureRequest()
        if crs.isValid() and source.sourceCrs().isValid() and source.sourceCrs() != crs:
            request.setDestinationCrs(crs, context)
        whole = len(keep) == len(source.fields())
        for feature in source.getFeatures(request):
            if feedback is not None and feedback.isCanceled():
                del writer
                raise CancelledError(tr("Canceled."))
            if not whole:
                copy = QgsFeature(fields, feature.id())
                copy.setGeometry(feature.geometry())
                copy.setAttributes([feature.attributes()[k] for k in keep])
                feature = copy
            if not writer.addFeature(feature):
                message = writer.errorMessage()
                del writer
                raise QgsProcessingException(f"{name}: {message}")
            done += 1
            if feedback is not None and done % 500 == 0:
                feedback.setProgress(10.0 * done / total)
        del writer  # closes the layer
    return path
