"""What differs between QGIS 3 (Qt5) and QGIS 4 (Qt6) for this plugin, in one place.

QGIS 3.22's ``QgsField`` takes a ``QVariant.Type`` (it refuses ``QMetaType.Type``); QGIS ≥ 3.38 takes a
``QMetaType.Type`` and Qt6 has no ``QVariant.Type`` at all. :func:`field_type` is the one place that names
``QVariant.Type`` (tests/test_plugin_qt6_ready.py allows it there and nowhere else).
"""

from __future__ import annotations

from qgis.core import Qgis
from qgis.PyQt.QtCore import QMetaType

__all__ = ["field_type", "is_integer_field"]

#: The first QGIS whose QgsField accepts QMetaType.Type.
_METATYPE_FIELDS = 33800


def field_type(name: str):
    """The type QgsField takes for a value type named as in QMetaType (``Int``, ``LongLong``, ``Double``,
    ``QString``, ``Bool``): ``QMetaType.Type`` on QGIS ≥ 3.38 / Qt6, ``QVariant.Type`` before."""
    if Qgis.versionInt() >= _METATYPE_FIELDS:
        return getattr(QMetaType.Type, name)
    from qgis.PyQt.QtCore import QVariant

    return getattr(QVariant.Type, "String" if name == "QString" else name)


def _code(value) -> int:
    """The number of a type enum (a plain int in PyQt5, an ``enum.Enum`` with ``.value`` in PyQt6)."""
    return int(getattr(value, "value", value))


def is_integer_field(field) -> bool:
    """Whether a QgsField holds integers (Int or LongLong; QVariant.Type and QMetaType.Type share the numbers)."""
    return _code(field.type()) in (_code(QMetaType.Type.Int), _code(QMetaType.Type.LongLong))
