"""Facts about the machine and software a result was measured on, for the report header."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

VERSION_PROBE = (
    "import importlib.metadata as m, json, sys\n"
    "out = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try: out[name] = m.version(name)\n"
    "    except m.PackageNotFoundError: out[name] = None\n"
    "print(json.dumps(out))\n"
)


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


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
    mem_kib = _proc_field("/proc/meminfo", "MemTotal") or "0 kB"
    bench_versions = _versions_in(
        repo / ".venv-bench" / "bin" / "python", ["llama_cpp_python", "litellm"]
    )
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "ram_gib": round(int(mem_kib.split()[0]) / 1024 / 1024, 1),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "git_commit": _git(repo, "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git(repo, "status", "--porcelain", "--untracked-files=no")),
        "versions": {
            "reef": _installed("reef"),
            "llama_cpp_python (reef venv)": _installed("llama_cpp_python"),
            "llama_cpp_python (llama_cpp.server)": bench_versions.get("llama_cpp_python"),
            "litellm": bench_versions.get("litellm"),
            "httpx (load client)": _installed("httpx"),
        },
        "model_file": model_path.name,
        "model_mib": round(model_path.stat().st_size / 1024 / 1024, 1),
    }
