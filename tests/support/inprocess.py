"""A real Reef HTTP server in this process (uvicorn in a thread), for tests that also reach into
the server's store, plus the companion API client helpers.

The server runs the real app: SQLite store, embedded SmolLM2, MiniLM embeddings, Piper voice,
and a fake OpenAI-compatible upstream for the remote catalogue model.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from reef.api.app import create_app
from reef.platform import accounts, keys
from reef.settings import EngineSettings, JobSettings, Settings
from reef.store.db import Database
from tests.support.servers import free_port

STARTUP_TIMEOUT_S = 120.0


def server_settings(workdir: Path, catalogue: Path) -> Settings:
    """Settings of a small, 2-core-friendly server (no reef.toml, no env overrides)."""
    os.environ["REEF_CONFIG"] = str(workdir / "absent-reef.toml")
    return Settings(
        data_dir=workdir / "data",
        database_url=None,
        redis_url=None,
        catalogue=catalogue,
        metering_flush_interval_s=0.05,
        jobs=JobSettings(embedded=False),  # job tests in this process run their own worker
        engine=EngineSettings(
            n_ctx=4096, n_seq_max=4, n_threads=2, prefix_cache_tokens=4096, n_batch=512
        ),
    )


@dataclass
class InProcessServer:
    base_url: str
    db_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def start_server(settings: Settings) -> InProcessServer:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="companion-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise AssertionError("the companion test server exited during startup")
        if time.monotonic() > deadline:
            raise AssertionError("the companion test server did not start")
        time.sleep(0.05)
    return InProcessServer(
        f"http://127.0.0.1:{port}", settings.resolved_database_url, server, thread
    )


def new_org_key(db: Database) -> str:
    """A key of a fresh organisation, so tests never share characters or limits."""
    org = accounts.create_org(db, f"companion-org-{uuid.uuid4().hex[:10]}")
    raw, _ = keys.create_key(db, org.id, name="test")
    return raw


def client(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{base_url}/v1/companion",
        headers={"authorization": f"Bearer {key}"},
        timeout=180,
    )


def sse_events(response: httpx.Response) -> Iterator[dict[str, Any] | str]:
    """Decoded `data:` payloads of an SSE response (`[DONE]` stays a string)."""
    for line in response.iter_lines():
        if not line.startswith("data: "):
            continue
        payload = line.removeprefix("data: ")
        yield payload if payload == "[DONE]" else json.loads(payload)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The OpenAI-shaped error body of a response that must have failed with `status`."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error
