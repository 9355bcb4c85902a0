#!/usr/bin/env bash
# Installs clearsight into .venv and runs the main job: the service on 127.0.0.1 with its
# embedded defaults (SQLite in ./clearsight-data, a demo camera replaying a synthetic clip),
# face data encrypted at rest with a key kept outside the data directory.
# It prints the address and a one-time set-up link for the first admin. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e . > .venv/install.log 2>&1 \
  || { cat .venv/install.log; echo "clearsight: install failed (log above)" >&2; exit 1; }
.venv/bin/python -m pip show clearsight >/dev/null

data_dir="${CLEARSIGHT_DATA_DIR:-clearsight-data}"
key_file="${CLEARSIGHT_KEY_FILE:-$HOME/.config/clearsight/data.key}"
if [ ! -f "$key_file" ]; then
  mkdir -p "$(dirname "$key_file")"
  .venv/bin/clearsight keys generate --out "$key_file"
fi
exec .venv/bin/clearsight serve --data-dir "$data_dir" --key-file "$key_file" --demo-camera "$@"
