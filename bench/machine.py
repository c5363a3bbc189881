"""Facts about the machine and software a result was measured on, for the report header."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from reef.sysinfo import describe_machine, installed_version

VERSION_PROBE = (
    "import importlib.metadata as m, json, sys\n"
    "out = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try: out[name] = m.version(name)\n"
    "    except m.PackageNotFoundError: out[name] = None\n"
    "print(json.dumps(out))\n"
)


def _versions_in(python: Path, names: list[str]) -> dict[str, str | None]:
    if not python.exists():
        return dict.fromkeys(names)
    completed = subprocess.run(
        [str(python), "-c", VERSION_PROBE, *names], capture_output=True, text=True, check=False
    )
    return json.loads(completed.stdout) if completed.returncode == 0 else dict.fromkeys(names)


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip()


def describe(repo: Path, model_path: Path) -> dict[str, Any]:
    bench_versions = _versions_in(
        repo / ".venv-bench" / "bin" / "python", ["llama_cpp_python", "litellm"]
    )
    facts = describe_machine()
    return {
        **{k: v for k, v in facts.items() if k != "os"},
        "kernel": facts["os"],
        "git_commit": _git(repo, "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git(repo, "status", "--porcelain", "--untracked-files=no")),
        "versions": {
            "reef": installed_version("reef"),
            "llama_cpp_python (reef venv)": installed_version("llama_cpp_python"),
            "llama_cpp_python (llama_cpp.server)": bench_versions.get("llama_cpp_python"),
            "litellm": bench_versions.get("litellm"),
            "httpx (load client)": installed_version("httpx"),
        },
        "model_file": model_path.name,
        "model_mib": round(model_path.stat().st_size / 1024 / 1024, 1),
    }
