"""Operations as a product: `/readyz`, and the job runtime (client always, worker when
embedded), provided on the app state as `JobRuntime` for every other product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.http.state import AppState
from reef.jobs import JobRuntime
from reef.ops import readiness
from reef.ops.job_metrics import register_job_metrics
from reef.ops.jobs_host import close_jobs, open_jobs
from reef.settings import Settings


class OpsProduct:
    name = "ops"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jobs: JobRuntime | None = None

    @property
    def routers(self) -> Sequence[APIRouter]:
        return [readiness.router]

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {}

    async def start(self, state: AppState) -> None:
        self._jobs = await open_jobs(self._settings)
        register_job_metrics(state.metrics.registry, self._jobs)
        state.provide(self._jobs)

    async def stop(self) -> None:
        if self._jobs is not None:
            await close_jobs(self._jobs)
            self._jobs = None
