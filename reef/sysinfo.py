"""Facts about the machine a measurement ran on, for benchmark and evaluation headers."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import sys
from pathlib import Path
from typing import Any


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def installed_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def describe_machine() -> dict[str, Any]:
    """Date, CPU, cores (all and usable), RAM, OS and Python: timings mean little without."""
    mem_kib = (_proc_field("/proc/meminfo", "MemTotal") or "0 kB").split()[0]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "ram_gib": round(int(mem_kib) / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
    }
