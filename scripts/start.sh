#!/usr/bin/env bash
# Set up (first run only) and start Reef on its embedded defaults: SQLite under ./data,
# the bundled SmolLM2-135M model, in-process everything. Extra arguments go to `reef serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/reef serve "$@"
