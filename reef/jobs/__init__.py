"""Durable jobs for every product: submit a job of steps, follow its progress, cancel it.

The whole public surface is here. A product registers its kinds once at import time and adds
its module to `settings.jobs.modules`:

    from reef.jobs import JobKind, Step, register_kind

    register_kind(JobKind("studio.render", (Step("frames", render), Step("mux", mux, attempts=3))))

then `runtime.submit(org_id, "studio.render", {...})`. Jobs survive crashes (a worker resumes
them after the last finished step) and run embedded (SQLite, in `reef serve`) or on
`reef worker` processes sharing PostgreSQL. Layering: this package imports only reef.store,
reef.settings, reef.errors and reef.platform.
"""

from reef.jobs.kinds import JobKind, Step, StepContext, all_kinds, get_kind, register_kind
from reef.jobs.runtime import JobNotFound, JobRuntime, WorkerTaken
from reef.jobs.types import JobFile, JobInfo, JobProgress, JobStatus

__all__ = [
    "JobFile",
    "JobInfo",
    "JobKind",
    "JobNotFound",
    "JobProgress",
    "JobRuntime",
    "JobStatus",
    "Step",
    "StepContext",
    "WorkerTaken",
    "all_kinds",
    "get_kind",
    "register_kind",
]
