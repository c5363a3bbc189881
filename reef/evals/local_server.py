"""A private Reef server for one evaluation run of any product: the real app on a free
loopback port, with a temporary SQLite store and a key of its own organisation.

It runs in this process (uvicorn in a thread) so nothing outside the run can talk to it, and
it never touches the operator's database or Redis. The app factory is handed in (the CLI
passes `reef.api.app.create_app`) so the evaluations of products stay below the app.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from reef.errors import ReefError
from reef.platform import accounts, keys
from reef.settings import Settings
from reef.store.db import Database

AppFactory = Callable[[Settings], Any]
"""`create_app`: settings -> an ASGI app."""
LOOPBACK = "127.0.0.1"


class ServerStartError(ReefError):
    status = 500
    type = "server_error"
    code = "eval_server_failed"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def isolated_settings(base: Settings, data_dir: Path, catalogue: Path | None) -> Settings:
    """`base` (the operator's engine, companion and catalogue settings) with the store moved to
    `data_dir` and no Redis, so a run neither reads nor leaves anything outside it. The
    evaluations call request/response APIs only, so the server runs no job worker: DBOS allows
    one per process, and the process is the operator's CLI."""
    update: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": None,
        "redis_url": None,
        "host": LOOPBACK,
        "jobs": base.jobs.model_copy(update={"embedded": False}),
    }
    if catalogue is not None:
        update["catalogue"] = catalogue
    return base.model_copy(update=update)


def provision_eval_key(settings: Settings, org_name: str) -> str:
    """A key of a fresh organisation in the run's own store (made before the server starts, so
    the server's first-start admin bootstrap stays silent)."""
    db = Database(settings.resolved_database_url)
    try:
        org = accounts.create_org(db, org_name)
        raw, _ = keys.create_key(db, org.id, name=org_name)
        return raw
    finally:
        db.dispose()


class LocalServer:
    """`with LocalServer(settings, startup_timeout_s) as server:` -> `server.base_url`,
    `server.api_key`; everything is removed on exit."""

    def __init__(
        self,
        settings: Settings,
        app_factory: AppFactory,
        *,
        catalogue: Path | None,
        startup_timeout_s: float,
        org_name: str,
    ) -> None:
        self._base = settings
        self._app_factory = app_factory
        self._org_name = org_name
        self._catalogue = catalogue
        self._startup_timeout_s = startup_timeout_s
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.api_key = ""

    def __enter__(self) -> LocalServer:
        self._tmp = tempfile.TemporaryDirectory(prefix="reef-eval-")
        settings = isolated_settings(self._base, Path(self._tmp.name) / "data", self._catalogue)
        settings.data_dir.mkdir(parents=True)
        self.api_key = provision_eval_key(settings, self._org_name)
        port = free_port()
        config = uvicorn.Config(
            self._app_factory(settings),
            host=LOOPBACK,
            port=port,
            log_level="warning",
            log_config=None,  # the process's logging stays the caller's (handlers on its streams)
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="reef-eval-server")
        self._thread.start()
        self._wait_started()
        self.base_url = f"http://{LOOPBACK}:{port}"
        return self

    def _wait_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + self._startup_timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise ServerStartError("the evaluation server exited during startup (see log)")
            if time.monotonic() > deadline:
                self._stop()
                raise ServerStartError(
                    f"the evaluation server did not start within {self._startup_timeout_s:.0f} s"
                )
            time.sleep(0.05)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
