"""Real QGIS (Debian's python3-qgis 3.22) for the plugin-side tests.

scripts/test.sh sets BLOCKCHECK_REQUIRE_QGIS=1, so in CI a missing QGIS is a
failure, never a skip; elsewhere the tests skip with the install command.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def qgis_app():
    """An initialised QgsApplication without GUI."""
    try:
        from qgis.core import QgsApplication
    except ImportError as err:
        if os.environ.get("BLOCKCHECK_REQUIRE_QGIS") == "1":
            pytest.fail(f"QGIS Python bindings are required here but do not import ({err}); run scripts/setup.sh --test")
        pytest.skip("QGIS not installed: sudo apt-get install qgis python3-qgis (or run scripts/setup.sh --test)")
    app = QgsApplication([], False)
    app.initQgis()
    yield app
    # exitQgis() at interpreter end can crash with PyQt5; leave cleanup to process exit.
