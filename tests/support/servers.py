"""Run real `reef serve` processes for API tests, and reach their store from the test side."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy import select

from reef.platform import accounts, keys
from reef.store.db import Database
from reef.store.tables import ApiKey, UsageEvent

REPO_ROOT = Path(__file__).resolve().parents[2]
REEF_COMMAND = Path(sys.executable).parent / "reef"  # the installed console script
STARTUP_TIMEOUT_S = 90.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll `check` until it returns something truthy (the store catching up, a server
    starting); fail with `what` if it never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class ReefServer:
    """One `reef serve` subprocess on a free port."""

    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stdout_path(self) -> Path:
        return self.workdir / f"serve-{self.port}.out"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"serve-{self.port}.err"

    def start(self) -> ReefServer:
        env = {**os.environ, **self.env}
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(REEF_COMMAND), "serve", "--port", str(self.port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )
        wait_until(self._ready, STARTUP_TIMEOUT_S, f"reef serve on port {self.port}")
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"reef serve exited with {self.process.returncode}:\n{self.stderr_path.read_text()}"
            )
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> int:
        """Graceful stop (SIGINT, as Ctrl-C): the server flushes its metering on the way out."""
        assert self.process is not None
        self.process.send_signal(2)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()


def server_env(
    data_dir: Path,
    catalogue: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    redis_prefix: str | None = None,
    n_ctx: int = 8192,
) -> dict[str, str]:
    env = {
        "REEF_CONFIG": str(data_dir / "absent-reef.toml"),
        "REEF_DATA_DIR": str(data_dir),
        "REEF_CATALOGUE": str(catalogue),
        "REEF_METERING_FLUSH_INTERVAL_S": "0.05",
        "REEF_ENGINE__N_CTX": str(n_ctx),
        "REEF_ENGINE__N_SEQ_MAX": "8",
        # One thread: on a shared 2-core machine llama.cpp's extra threads spin against other
        # processes and make every decode step several times slower.
        "REEF_ENGINE__N_THREADS": "1",
        "REEF_ENGINE__PREFIX_CACHE_TOKENS": "4096",
        "REEF_LOG_LEVEL": "info",
    }
    if database_url:
        env["REEF_DATABASE_URL"] = database_url
    if redis_url:
        env["REEF_REDIS_URL"] = redis_url
    if redis_prefix:
        env["REEF_REDIS_PREFIX"] = redis_prefix
    return env


class Store:
    """The test's own handle on a server's database: makes keys, reads the ledger."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    def new_key(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        allowed_models: Sequence[str] | None = None,
        budget_usd: float | None = None,
    ) -> str:
        """A key of a fresh organisation, so tests never share limits or budgets."""
        org = accounts.create_org(
            self.db, f"test-org-{uuid.uuid4().hex[:10]}", monthly_budget_usd=budget_usd
        )
        raw, _ = keys.create_key(
            self.db, org.id, name="test", rpm=rpm, tpm=tpm, allowed_models=allowed_models
        )
        return raw

    def rows(self, request_ids: Sequence[str]) -> dict[str, UsageEvent]:
        with self.db.session() as session:
            found = session.scalars(
                select(UsageEvent).where(UsageEvent.request_id.in_(list(request_ids)))
            )
            return {row.request_id: row for row in found}

    def rows_of_key(self, key: str) -> list[UsageEvent]:
        """Every ledger row charged to this key, oldest first (for calls whose id is unknown)."""
        with self.db.session() as session:
            key_id = select(ApiKey.id).where(ApiKey.key_hash == keys.hash_key(key))
            found = session.scalars(
                select(UsageEvent).where(UsageEvent.key_id.in_(key_id)).order_by(UsageEvent.id)
            )
            return list(found)

    def wait_for_rows(
        self, request_ids: Sequence[str], timeout_s: float = 30
    ) -> dict[str, UsageEvent]:
        """The ledger rows of these requests once all are written (metering is asynchronous)."""

        def all_written() -> dict[str, UsageEvent] | None:
            found = self.rows(request_ids)
            return found if len(found) == len(request_ids) else None

        return wait_until(all_written, timeout_s, f"{len(request_ids)} ledger rows")

    def close(self) -> None:
        self.db.dispose()
