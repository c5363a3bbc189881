"""The job runtime as `reef serve` holds it: always a client, also a worker when embedded.

DBOS runs one worker per process; a second app in the same process (tests) stays a client.
"""

from __future__ import annotations

import asyncio
import logging

from reef.jobs import JobRuntime, WorkerTaken
from reef.settings import Settings

log = logging.getLogger(__name__)


async def open_jobs(settings: Settings) -> JobRuntime:
    runtime = await asyncio.to_thread(JobRuntime(settings).open)
    if settings.jobs.embedded:
        try:
            executor = await asyncio.to_thread(runtime.start_worker)
            log.info("running jobs in-process as worker %s", executor)
        except WorkerTaken:
            log.warning("another app in this process runs jobs; this one only submits them")
    return runtime


async def close_jobs(runtime: JobRuntime) -> None:
    await asyncio.to_thread(runtime.close)
