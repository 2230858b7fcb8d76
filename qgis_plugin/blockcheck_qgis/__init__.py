"""blockcheck for QGIS: Processing algorithms, a checklist editor and a hearing layout.

Only :func:`classFactory` lives here, and it imports lazily: nothing heavy runs
while QGIS starts (the analysis package is imported when an algorithm runs).
"""


def classFactory(iface):
    """Create the plugin object for QGIS."""
    from .plugin import BlockcheckPlugin

    return BlockcheckPlugin(iface)
