"""The job runtime as `reef serve` holds it: always a client, also a worker when embedded.

DBOS runs one worker per process; a second app in the same process (tests) stays a client.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from reef.jobs import JobRuntime
from reef.settings import Settings

log = logging.getLogger(__name__)

_worker_lock = threading.Lock()
_worker_taken = [False]


async def open_jobs(settings: Settings) -> JobRuntime:
    runtime = await asyncio.to_thread(JobRuntime(settings).open)
    if settings.jobs.embedded:
        with _worker_lock:
            free = not _worker_taken[0]
            _worker_taken[0] = True
        if free:
            executor = await asyncio.to_thread(runtime.start_worker)
            log.info("running jobs in-process as worker %s", executor)
        else:
            log.warning("another app in this process runs jobs; this one only submits them")
    return runtime


async def close_jobs(runtime: JobRuntime) -> None:
    was_worker = runtime.executor_id is not None
    await asyncio.to_thread(runtime.close)
    if was_worker:
        with _worker_lock:
            _worker_taken[0] = False
