"""The machine, engine versions and source revision an evaluation ran on, for the report
header."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from reef.sysinfo import describe_machine as _machine
from reef.sysinfo import installed_version, load_average

__all__ = ["describe_machine", "load_average", "source_revision"]

GIT_TIMEOUT_S = 10.0


def describe_machine() -> dict[str, Any]:
    return {
        **_machine(),
        "reef": installed_version("reef"),
        "llama_cpp_python": installed_version("llama_cpp_python"),
    }


def _git(checkout: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def source_revision() -> dict[str, Any] | None:
    """The commit of the Reef checkout that ran (and whether it had uncommitted changes), or
    None for an installed wheel: a benchmark names the code it measured."""
    checkout = Path(__file__).resolve().parents[2]
    top = _git(checkout, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != checkout:
        return None  # not a checkout (e.g. a wheel inside a venv inside some repository)
    commit = _git(checkout, "rev-parse", "HEAD")
    if commit is None:
        return None
    status = _git(checkout, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status)}
