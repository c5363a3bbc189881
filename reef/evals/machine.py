"""The machine and engine versions a companion evaluation ran on, for the report header."""

from __future__ import annotations

from typing import Any

from reef.sysinfo import describe_machine as _machine
from reef.sysinfo import installed_version, load_average

__all__ = ["describe_machine", "load_average"]


def describe_machine() -> dict[str, Any]:
    return {
        **_machine(),
        "reef": installed_version("reef"),
        "llama_cpp_python": installed_version("llama_cpp_python"),
    }
