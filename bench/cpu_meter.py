"""How much CPU other people's processes used while we measured.

The benchmark machine is shared (2 cores); llama.cpp threads slow down badly when the cores are
oversubscribed, so every phase records the cores used by processes outside the benchmark, and a
phase may first wait for the machine to go quiet.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from procs import log

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
QUIET_SAMPLE_S = 3.0


def _total_busy_ticks() -> int:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def _group_ticks(pgids: set[int]) -> int:
    """CPU ticks of all live processes in the given process groups."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is state; pgrp is fields[2]; utime, stime are fields[11], fields[12]
        if int(fields[2]) in pgids:
            total += int(fields[11]) + int(fields[12])
    return total


class CpuMeter:
    """Cores used by the benchmark's own process groups and by everything else, over a window."""

    def __init__(self, own_pgids: Callable[[], set[int]]) -> None:
        self._own_pgids = own_pgids
        self._start = (time.monotonic(), _total_busy_ticks(), _group_ticks(own_pgids()))

    def read(self) -> dict[str, float]:
        start_t, start_busy, start_own = self._start
        elapsed = max(time.monotonic() - start_t, 1e-6)
        busy = (_total_busy_ticks() - start_busy) / TICKS_PER_S / elapsed
        own = max(_group_ticks(self._own_pgids()) - start_own, 0) / TICKS_PER_S / elapsed
        return {
            "seconds": round(elapsed, 1),
            "own_cores": round(own, 2),
            "foreign_cores": round(max(busy - own, 0.0), 2),
        }


async def wait_for_quiet(
    own_pgids: Callable[[], set[int]], max_foreign_cores: float, max_wait_s: float
) -> dict[str, float]:
    """Sample until other processes use at most `max_foreign_cores`, or give up after
    `max_wait_s`; returns the last sample and how long we waited."""
    waited = 0.0
    while True:
        meter = CpuMeter(own_pgids)
        await asyncio.sleep(QUIET_SAMPLE_S)
        sample = meter.read()
        waited += QUIET_SAMPLE_S
        if sample["foreign_cores"] <= max_foreign_cores or waited >= max_wait_s:
            break
        log(f"machine busy ({sample['foreign_cores']} cores used by other processes); waiting")
    return {"foreign_cores": sample["foreign_cores"], "waited_s": waited}
