#!/usr/bin/env bash
# Creates .venv-bench: the servers Reef is compared with (llama-cpp-python's OpenAI server and
# LiteLLM's proxy) plus py-spy, kept apart from the product venv so its dependencies stay clean.
# Run once from anywhere: scripts/bench-setup.sh   (PYTHON=python3.11 to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
LLAMA_CPP_PYTHON_VERSION="0.3.36"   # the version the product pins, so pip reuses its built wheel
LITELLM_VERSION="1.106.2"           # newest litellm whose dependencies the package index satisfies

if [ ! -x .venv-bench/bin/python ]; then
    "$PYTHON" -m venv .venv-bench
fi
.venv-bench/bin/python -m pip install --quiet --upgrade pip
.venv-bench/bin/python -m pip install --quiet \
    "llama-cpp-python[server]==${LLAMA_CPP_PYTHON_VERSION}" \
    "litellm[proxy]==${LITELLM_VERSION}" \
    py-spy
.venv-bench/bin/python - <<'PY'
import importlib.metadata as m
for name in ("llama_cpp_python", "litellm", "py-spy"):
    print(f"{name} {m.version(name)}")
PY
echo "bench venv ready: .venv-bench (run: .venv/bin/python bench/platform_core.py --quick)"
