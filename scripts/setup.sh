#!/usr/bin/env bash
# Set up blockcheck on a fresh Debian/Ubuntu machine (idempotent).
#   scripts/setup.sh          core: system packages + .venv with blockcheck
#   scripts/setup.sh --test   also QGIS (python3-qgis), xvfb, LibreOffice Calc (headless) and the test extras
# The venv is made from Debian's /usr/bin/python3 with --system-site-packages, so that
# QGIS's Python bindings (Debian-only) and PyPI's geopandas/shapely 2 work in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
pkgs=(python3 python3-venv fonts-noto-cjk)
if [[ $want_test -eq 1 ]]; then pkgs+=(qgis python3-qgis python3-pip xvfb gdal-bin libreoffice-calc-nogui postgresql-15 postgresql-15-postgis-3); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo ">> installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  echo ">> creating .venv from /usr/bin/python3 (with system site packages, for QGIS)"
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
extras=""
[[ $want_test -eq 1 ]] && extras="[test]"
echo ">> installing blockcheck${extras} into .venv"
.venv/bin/python -m pip install -q -e ".${extras}"
if [[ $want_test -eq 1 ]]; then
  # The plugin's dependencies installed by its own install command (as its message and docs/plugin.md say) into
  # .venv/qgis-plugin-libs/pyX.Y, once (again only when the command changes): the real-QGIS tests
  # (tests/qgis/test_plugin_*.py), tests/test_geos_versions.py and scripts/plugin_screenshot.py
  .venv/bin/python scripts/qgis_plugin_libs.py >/dev/null
  # tests/test_minimum_versions.py runs the core under the oldest numpy, pandas, shapely … pyproject.toml allows
  .venv/bin/python scripts/minimum_versions_site.py >/dev/null
fi
