#!/usr/bin/env bash
# Installs clearsight into .venv and runs the main job: the service on 127.0.0.1 with its
# embedded defaults (SQLite in ./clearsight-data, a demo camera replaying a synthetic clip),
# face data encrypted at rest with a key kept outside the data directory.
# It prints the address and a one-time set-up link for the first admin. Ctrl-C stops it.
# A second run with nothing new to install skips the installer and starts in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "clearsight: $*" >&2; }

# What the installed environment was built from; when it is unchanged there is nothing to do.
stamp=".venv/.clearsight-installed"
wanted="$(python3 --version 2>&1) $(sha256sum pyproject.toml | cut -d' ' -f1)"

if [ -x .venv/bin/clearsight ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  say "already installed in .venv (delete $stamp to reinstall)"
else
  if [ ! -x .venv/bin/python ]; then
    say "creating the Python environment in .venv"
    python3 -m venv .venv
  fi
  say "installing clearsight and its dependencies into .venv (the first time takes about 90 s; log: .venv/install.log)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install --progress-bar off -e . > .venv/install.log 2>&1 &
  installer=$!
  started=$SECONDS
  while kill -0 "$installer" 2>/dev/null; do
    sleep 5
    if kill -0 "$installer" 2>/dev/null; then
      collected=$(grep -c '^Collecting\|^Requirement already satisfied' .venv/install.log || true)
      last=$(grep -E '^(Collecting|Downloading|Building|Installing|Successfully)' .venv/install.log | tail -1 | cut -c1-70 || true)
      say "  $((SECONDS - started)) s: $collected packages resolved${last:+; now: $last}"
    fi
  done
  if ! wait "$installer"; then
    cat .venv/install.log
    say "install failed (log above)"
    exit 1
  fi
  .venv/bin/python -m pip show clearsight >/dev/null
  echo "$wanted" > "$stamp"
  say "installed in $((SECONDS - started)) s"
fi

data_dir="${CLEARSIGHT_DATA_DIR:-clearsight-data}"
key_file="${CLEARSIGHT_KEY_FILE:-$HOME/.config/clearsight/data.key}"
if [ ! -f "$key_file" ]; then
  say "creating the encryption key $key_file (keep it safe and outside the data directory)"
  mkdir -p "$(dirname "$key_file")"
  .venv/bin/clearsight keys generate --out "$key_file"
fi
say "starting the service (first start builds the demo camera's clip)"
exec .venv/bin/clearsight serve --data-dir "$data_dir" --key-file "$key_file" --demo-camera "$@"
