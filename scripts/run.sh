#!/usr/bin/env bash
# Installs clearsight into .venv and runs the main job on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e . 2>&1 | grep -vE '^WARNING: Location' || true
.venv/bin/python -m pip show clearsight >/dev/null
exec .venv/bin/clearsight demo "$@"
