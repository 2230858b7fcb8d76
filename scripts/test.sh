#!/usr/bin/env bash
# Set up everything the tests need (QGIS included) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg BLOCKCHECK_REQUIRE_QGIS=1 BLOCKCHECK_REQUIRE_LIBREOFFICE=1
exec .venv/bin/python -m pytest "$@"
