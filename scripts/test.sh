#!/usr/bin/env bash
# Installs clearsight with its test tools into .venv and runs the whole test suite.
# Safe to run again: installs are skipped when already present.
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests drive Debian's Chromium (never a browser download); the network trace tests
# run the service under strace.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || ! command -v strace >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -q && apt-get install -y -q chromium chromium-driver strace) >/tmp/clearsight-apt.log 2>&1 \
      || echo "warning: could not install chromium or strace (see /tmp/clearsight-apt.log); browser and trace tests will skip"
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test]' > .venv/install.log 2>&1 \
  || { cat .venv/install.log; echo "clearsight: install failed (log above)" >&2; exit 1; }
.venv/bin/python -m pip show clearsight >/dev/null

# Lint, format and strict typing stay clean: a failure here stops the run before the tests.
echo "clearsight: ruff check, ruff format --check, mypy (strict)"
.venv/bin/ruff check src tests
.venv/bin/ruff format --check src tests >/dev/null || { .venv/bin/ruff format --check src tests; exit 1; }
.venv/bin/mypy src
exec .venv/bin/python -m pytest "$@"
