"""Job tests' harness: `reef worker` subprocesses, settings for a runtime, the steps' trace log."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from reef.jobs import JobRuntime
from reef.settings import JobSettings, Settings
from tests.support.servers import REEF_COMMAND, REPO_ROOT, wait_until

KINDS_MODULE = "tests.support.job_kinds"


@dataclass(frozen=True)
class JobStore:
    """Where a test's jobs live: a data dir and, for PostgreSQL, a URL and engine schema."""

    data_dir: Path
    database_url: str | None
    schema: str

    def settings(self, **jobs: object) -> Settings:
        os.environ["REEF_CONFIG"] = str(self.data_dir / "absent-reef.toml")
        return Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            redis_url=None,
            jobs=JobSettings(
                modules=[KINDS_MODULE],
                poll_interval_s=0.1,
                recovery_interval_s=0.5,
                system_schema=self.schema,
                **jobs,  # type: ignore[arg-type]
            ),
        )

    def env(self, **jobs: object) -> dict[str, str]:
        env = {
            "REEF_CONFIG": str(self.data_dir / "absent-reef.toml"),
            "REEF_DATA_DIR": str(self.data_dir),
            "REEF_JOBS__MODULES": json.dumps([KINDS_MODULE]),
            "REEF_JOBS__POLL_INTERVAL_S": "0.1",
            "REEF_JOBS__RECOVERY_INTERVAL_S": "0.5",
            "REEF_JOBS__SYSTEM_SCHEMA": self.schema,
            "PYTHONPATH": str(REPO_ROOT),
        }
        env.update({f"REEF_JOBS__{k.upper()}": str(v) for k, v in jobs.items()})
        if self.database_url:
            env["REEF_DATABASE_URL"] = self.database_url
        return env


def job_store(tmp_path: Path, database_url: str | None) -> JobStore:
    """On PostgreSQL the engine's tables go into the test's own schema, dropped after it."""
    schema = f"jobs_{uuid.uuid4().hex[:10]}"
    if database_url:
        options = make_url(database_url).query.get("options", "")
        schema = str(options).removeprefix("-csearch_path=") or schema
    return JobStore(tmp_path / "data", database_url, schema)


class Worker:
    """One `reef worker` subprocess."""

    def __init__(self, store: JobStore, name: str, **jobs: object) -> None:
        self.log_path = store.data_dir.parent / f"worker-{name}.err"
        store.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(REEF_COMMAND), "worker"],
                cwd=REPO_ROOT,
                env={**os.environ, **store.env(**jobs)},
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        wait_until(self._ready, 60, f"reef worker {name}")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"reef worker exited:\n{self.log_path.read_text()}")
        return "ready" in self.log_path.read_text()

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@dataclass(frozen=True)
class Trace:
    job_id: str
    event: str
    step: str
    pid: int
    at: float


def traces(log: Path, job_id: str | None = None) -> list[Trace]:
    if not log.exists():
        return []
    found = []
    for line in log.read_text().splitlines():
        job, event, step, pid, at = line.split()
        if job_id is None or job == job_id:
            found.append(Trace(job, event, step, int(pid), float(at)))
    return found


def wait_for_trace(log: Path, check: Callable[[list[Trace]], bool], what: str) -> None:
    wait_until(lambda: check(traces(log)), 60, what)


def open_runtime(settings: Settings) -> JobRuntime:
    return JobRuntime(settings).open()


def now() -> float:
    return time.time()
