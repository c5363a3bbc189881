#!/usr/bin/env bash
# Create .venv and install Reef with everything it needs (idempotent; fast when up to date).
# llama-cpp-python compiles llama.cpp on first install (about 5 minutes on 2 cores); pip caches it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.reef-installed
extras=${REEF_EXTRAS:-}
want="$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install -q -e ".[${extras}]"
  else
    .venv/bin/python -m pip install -q -e .
  fi
  if [[ ",${extras}," == *",dev,"* ]]; then
    # `reef eval tools` and its tests read BFCL's data and checker; bfcl-eval's declared
    # dependencies are vendor SDKs Reef never uses (see reef/agents/evaluation/__init__.py).
    .venv/bin/python -m pip install -q --no-deps "bfcl-eval==2026.3.23"
  fi
  echo "$want" > "$stamp"
fi
