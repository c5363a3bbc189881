"""`JobRuntime`: submit, inspect, list and cancel jobs; in workers, also run them.

Built on DBOS (durable workflows in SQLite or PostgreSQL). Every process opens the runtime as
a client (it only reads and writes the engine's tables); `reef serve` in embedded mode and
`reef worker` also `start_worker()`, which launches DBOS to take jobs off the queue, holds this
process's liveness lock and, every `recovery_interval_s`, resumes jobs whose worker died.
Jobs of one organisation share one queue partition, so `org_concurrency` caps how many of
them run at once across all workers. Methods block on the database: call them from async
code with `asyncio.to_thread`.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from dbos import DBOS, DBOSClient, DBOSConfig
from sqlalchemy import text

from reef.errors import InvalidRequest, NotFound
from reef.jobs.kinds import get_kind
from reef.jobs.liveness import FileLiveness, Liveness, PostgresLiveness
from reef.jobs.types import ENGINE_STATUS, JobFile, JobInfo, JobProgress, JobStatus
from reef.jobs.workflow import (
    APPLICATION_VERSION,
    PROGRESS_EVENT,
    WORKFLOW_NAME,
    set_files_root,
)
from reef.settings import Settings
from reef.store.db import _normalise_url, make_engine

log = logging.getLogger(__name__)

QUEUE_NAME = "reef-jobs"
MIGRATION_LOCK_KEY = 0x52454A42  # "REJB": the job engine's schema upgrades
MAX_LIST = 500


_worker_lock = threading.Lock()
_worker_taken = [False]


class WorkerTaken(RuntimeError):
    """This process already runs jobs through another JobRuntime."""


class JobNotFound(NotFound):
    code = "job_not_found"


def _job_prefix(org_id: int) -> str:
    # "j1_" is no prefix of "j12_": listing one organisation never shows another's jobs.
    return f"j{org_id}_"


def _org_of(job_id: str) -> int | None:
    head, _, _ = job_id.partition("_")
    return int(head[1:]) if head.startswith("j") and head[1:].isdigit() else None


def _when(epoch_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC) if epoch_ms else None


class JobRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = _normalise_url(settings.resolved_database_url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            # The engine's tables live beside the store, in their own file: its polling
            # never contends with the ledger's writes.
            self.url = f"sqlite:///{(settings.data_dir / 'jobs.db').resolve()}"
        self.schema = settings.jobs.system_schema
        self.files_root = (settings.data_dir / "jobs").resolve()
        self.executor_id: str | None = None
        self._client: DBOSClient | None = None
        self._liveness: Liveness | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def open(self) -> JobRuntime:
        """Create or upgrade the engine's tables, then connect as a client."""
        for module in self.settings.jobs.modules:
            importlib.import_module(module)
        if self.is_sqlite:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self._client = DBOSClient(system_database_url=self.url, dbos_system_schema=self.schema)
        return self

    def _migrate(self) -> None:
        """The engine's schema upgrade, one process at a time (replicas and workers may all
        start together on an empty PostgreSQL)."""
        if self.is_sqlite:
            DBOS.migrate(self.url, schema=self.schema)
            return
        engine = make_engine(self.url)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                try:
                    DBOS.migrate(self.url, schema=self.schema)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        finally:
            engine.dispose()

    def start_worker(self) -> str:
        """Run jobs in this process too. DBOS is a process-wide singleton, so one runtime per
        process may do this; WorkerTaken otherwise (the others stay clients)."""
        with _worker_lock:
            if _worker_taken[0]:
                raise WorkerTaken("another JobRuntime in this process already runs jobs")
            _worker_taken[0] = True
        try:
            return self._launch()
        except BaseException:
            with _worker_lock:
                _worker_taken[0] = False
            raise

    def _launch(self) -> str:
        self.executor_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        set_files_root(self.files_root)
        config: DBOSConfig = {
            "name": "reef",
            "system_database_url": self.url,
            "dbos_system_schema": self.schema,
            "executor_id": self.executor_id,
            "application_version": APPLICATION_VERSION,
            "log_level": "WARNING",
        }
        DBOS(config=config)
        DBOS.launch()
        jobs = self.settings.jobs
        DBOS.register_queue(
            QUEUE_NAME,
            partition_concurrency=jobs.org_concurrency,
            worker_concurrency=jobs.worker_concurrency,
            polling_interval_sec=jobs.poll_interval_s,
            on_conflict="always_update",
        )
        self._liveness = (
            FileLiveness(self.settings.data_dir / "jobs-workers")
            if self.is_sqlite
            else PostgresLiveness(self.url)
        )
        self._liveness.hold(self.executor_id)
        self.recover_dead_workers()
        self._sweeper = threading.Thread(target=self._sweep, name="reef-jobs-recovery", daemon=True)
        self._sweeper.start()
        log.info("job worker %s started", self.executor_id)
        return self.executor_id

    def close(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
        if self.executor_id is not None:
            # Running jobs get the shutdown grace to finish; any still running then resume
            # elsewhere from their last finished step once this process's lock is gone.
            DBOS.destroy(workflow_completion_timeout_sec=self.settings.shutdown_grace_s)
            self.executor_id = None
            with _worker_lock:
                _worker_taken[0] = False
        if self._liveness is not None:
            self._liveness.close()
        if self._client is not None:
            self._client.destroy()
            self._client = None

    @property
    def client(self) -> DBOSClient:
        if self._client is None:
            raise RuntimeError("JobRuntime.open() was not called")
        return self._client

    def ping(self) -> None:
        """Raise if the engine's database does not answer (readiness probes)."""
        self.client.check_connection()

    # -- recovery -------------------------------------------------------------------------

    def recover_dead_workers(self) -> list[str]:
        """Resume the running jobs of every worker whose liveness lock is free; their ids."""
        assert self._liveness is not None
        running = self.client.list_workflows(
            status="PENDING", name=WORKFLOW_NAME, load_input=False, load_output=False
        )
        owners = {w.executor_id for w in running if w.executor_id}
        dead = [o for o in owners if o != self.executor_id and self._liveness.is_dead(o)]
        for owner in dead:
            handles = DBOS._recover_pending_workflows([owner])
            log.warning("resumed %d job(s) of dead worker %s", len(handles), owner)
        return dead

    def _sweep(self) -> None:
        while not self._stop.wait(self.settings.jobs.recovery_interval_s):
            try:
                self.recover_dead_workers()
            except Exception:
                log.exception("looking for jobs of dead workers failed")

    # -- the API products use ------------------------------------------------------------

    def submit(self, org_id: int, kind: str, params: dict[str, Any] | None = None) -> JobInfo:
        """Queue a job of a registered kind for `org_id`; it starts when a worker and the
        organisation's concurrency allow."""
        get_kind(kind)  # unknown kinds are refused here, not in a worker
        job_id = f"{_job_prefix(org_id)}{uuid.uuid4().hex}"
        self.client.enqueue(
            {
                "queue_name": QUEUE_NAME,
                "workflow_name": WORKFLOW_NAME,
                "workflow_id": job_id,
                "queue_partition_key": str(org_id),
                "app_version": APPLICATION_VERSION,
            },
            kind,
            org_id,
            params or {},
        )
        return self.get(org_id, job_id)

    def get(self, org_id: int | None, job_id: str) -> JobInfo:
        """One job; `org_id` None is the operator's view of every organisation."""
        owner = _org_of(job_id)
        if owner is None or (org_id is not None and owner != org_id):
            raise JobNotFound(f"no job {job_id!r}", param="job_id")
        found = self.client.list_workflows(workflow_ids=[job_id], load_input=True)
        if not found:
            raise JobNotFound(f"no job {job_id!r}", param="job_id")
        return self._info(found[0], with_result=True)

    def list(
        self, org_id: int | None, *, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobInfo]:
        """Newest first; one organisation's, or every organisation's when `org_id` is None."""
        if not 1 <= limit <= MAX_LIST:
            raise InvalidRequest(f"limit must be 1..{MAX_LIST}", param="limit")
        engine_states = [k for k, v in ENGINE_STATUS.items() if v == status] if status else None
        found = self.client.list_workflows(
            workflow_id_prefix=_job_prefix(org_id) if org_id is not None else None,
            name=WORKFLOW_NAME,
            status=engine_states,
            limit=limit,
            sort_desc=True,
            load_input=True,
            load_output=False,
        )
        return [self._info(w, with_result=False) for w in found]

    def cancel(self, org_id: int | None, job_id: str) -> JobInfo:
        """Stop a job at its next step boundary (a running step finishes first)."""
        job = self.get(org_id, job_id)
        if not job.status.finished:
            self.client.cancel_workflow(job_id)
        return self.get(org_id, job_id)

    def wait(self, org_id: int | None, job_id: str, timeout_s: float = 60.0) -> JobInfo:
        """Block until the job has finished (or `timeout_s`); its latest state."""
        deadline = datetime.now(UTC).timestamp() + timeout_s
        while True:
            job = self.get(org_id, job_id)
            if job.status.finished or datetime.now(UTC).timestamp() > deadline:
                return job
            self._stop.wait(0.1)

    def counts(self) -> dict[JobStatus, int]:
        """Jobs per status over all organisations (metrics); the newest `MAX_LIST` per state."""
        totals = dict.fromkeys(JobStatus, 0)
        for state, status in ENGINE_STATUS.items():
            found = self.client.list_workflows(
                status=state,
                name=WORKFLOW_NAME,
                load_input=False,
                load_output=False,
                limit=MAX_LIST,
            )
            totals[status] += len(found)
        return totals

    def _info(self, workflow: Any, *, with_result: bool) -> JobInfo:
        args = (workflow.input or {}).get("args", ()) if isinstance(workflow.input, dict) else ()
        if not args and workflow.input is not None:
            args = getattr(workflow.input, "args", ()) or ()
        status = ENGINE_STATUS.get(workflow.status, JobStatus.QUEUED)
        progress = JobProgress.from_dict(
            self.client.get_event(workflow.workflow_id, PROGRESS_EVENT, timeout_seconds=0)
        )
        output = workflow.output if with_result and status == JobStatus.SUCCEEDED else None
        if with_result and status == JobStatus.SUCCEEDED and output is None:
            output = self.client.retrieve_workflow(workflow.workflow_id).get_result()
        outputs = dict(output.get("outputs", {})) if isinstance(output, dict) else {}
        files = [JobFile(**f) for f in output.get("files", [])] if isinstance(output, dict) else []
        return JobInfo(
            id=workflow.workflow_id,
            org_id=_org_of(workflow.workflow_id) or 0,
            kind=str(args[0]) if args else "",
            status=status,
            progress=progress,
            created_at=_when(workflow.created_at),
            updated_at=_when(workflow.updated_at),
            worker=workflow.executor_id,
            error=str(workflow.error) if workflow.error is not None else None,
            outputs=outputs,
            files=files,
        )
