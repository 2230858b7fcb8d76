"""Import matplotlib's figure machinery once, quietly.

With the project's venv (``--system-site-packages`` for QGIS), Debian's
``mpl_toolkits`` sits next to PyPI's matplotlib and matplotlib warns "Unable to
import Axes3D" on first import. 3-D axes are never used here, so that one
warning is silenced while the import happens (no global filter is left behind).
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Unable to import Axes3D", category=UserWarning)
    import matplotlib.figure
    import matplotlib.projections  # noqa: F401 - imported for its side effect of registering projections
