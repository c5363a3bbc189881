"""Hands engine-thread results to asyncio: one wake-up per event loop per decode step."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from reef.engine.llama.job import EngineStream, GenerationJob, StreamItem

logger = logging.getLogger("reef.engine.llama")

_Delivery = tuple[EngineStream, list[StreamItem], bool]


def _deliver_all(deliveries: list[_Delivery]) -> None:
    for stream, items, released in deliveries:
        stream.deliver(items, released)


class Outbox:
    def __init__(self) -> None:
        self._pending: dict[GenerationJob, tuple[list[StreamItem], bool]] = {}

    def add(self, job: GenerationJob, *items: StreamItem, released: bool = False) -> None:
        queued, was_released = self._pending.get(job, ([], False))
        queued.extend(items)
        self._pending[job] = (queued, was_released or released)

    def flush(self) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[GenerationJob]] = defaultdict(list)
        for job in self._pending:
            by_loop[job.loop].append(job)
        for loop, jobs in by_loop.items():
            deliveries = [(job.stream, *self._pending[job]) for job in jobs]
            try:
                loop.call_soon_threadsafe(_deliver_all, deliveries)
            except RuntimeError:
                # The caller's loop is closed: nobody can read these streams any more.
                logger.debug("event loop closed; cancelling %d requests", len(jobs))
                for job in jobs:
                    job.cancelled = True
        self._pending.clear()
