#!/usr/bin/env bash
# Set up the same environment plus test tools, then run the whole suite (arguments go to pytest).
# Needs PostgreSQL on 127.0.0.1:5432 (database `test`) and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/.."
REEF_EXTRAS=dev scripts/setup.sh
# The web tests drive Debian's chromium through Playwright (never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
exec .venv/bin/python -m pytest "$@"
