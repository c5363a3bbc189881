"""`/readyz` per dependency, job metrics, and SIGTERM draining of in-flight streams, on a real
`reef serve`."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import openai
import pytest

from tests.support.catalogue import CHAT_MODEL
from tests.support.fixtures import sdk_client
from tests.support.servers import ReefServer, Store, server_env


def _server(tmp_path: Path, catalogue_file: Path, **env: str) -> ReefServer:
    workdir = tmp_path / uuid.uuid4().hex[:6]
    workdir.mkdir()
    environment = server_env(workdir / "data", catalogue_file, n_ctx=2048)
    environment.update(env)
    return ReefServer(workdir, environment).start()


def test_readyz_reports_each_dependency_and_fails_on_a_dead_one(
    tmp_path: Path, catalogue_file: Path, redis_url: str
) -> None:
    server = _server(tmp_path, catalogue_file, REEF_REDIS_URL=redis_url)
    broken = _server(tmp_path, catalogue_file, REEF_REDIS_URL="redis://127.0.0.1:1/0")
    try:
        ready = httpx.get(f"{server.base_url}/readyz", timeout=10)
        body = ready.json()
        assert ready.status_code == 200, body
        assert body["status"] == "ready"
        assert body["database"]["status"] == "ok" and body["database"]["dialect"] == "sqlite"
        assert body["redis"]["status"] == "ok" and body["engine"]["status"] == "ok"
        assert body["jobs"]["status"] == "ok" and body["jobs"]["worker"]  # embedded worker
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200

        unready = httpx.get(f"{broken.base_url}/readyz", timeout=10)
        assert unready.status_code == 503
        assert unready.json()["redis"]["status"] == "error"
        assert unready.json()["database"]["status"] == "ok"
        assert httpx.get(f"{broken.base_url}/healthz").status_code == 200  # alive, not ready

        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert 'reef_jobs{status="running"}' in metrics and "reef_job_worker 1.0" in metrics
    finally:
        server.stop()
        broken.stop()


def test_sigterm_lets_in_flight_streams_finish_and_bills_them(
    tmp_path: Path, catalogue_file: Path
) -> None:
    server = _server(tmp_path, catalogue_file, REEF_SHUTDOWN_GRACE_S="30")
    store = Store(f"sqlite:///{server.workdir / 'data' / 'reef.db'}")
    key = store.new_key()
    request_id = f"drain-{uuid.uuid4().hex}"
    received: list[str] = []
    usage: list[int] = []
    started = threading.Event()

    def stream() -> None:
        with sdk_client(server, key) as sdk:
            chunks = sdk.chat.completions.create(
                model=CHAT_MODEL,
                messages=[{"role": "user", "content": "Write a long story about the sea."}],
                max_tokens=150,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers={"x-request-id": request_id},
            )
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    received.append(chunk.choices[0].delta.content)
                    started.set()
                if chunk.usage is not None:
                    usage.append(chunk.usage.completion_tokens)

    client = threading.Thread(target=stream)
    client.start()
    try:
        assert started.wait(60)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(httpx.HTTPError):  # no new connections while draining
            httpx.get(f"{server.base_url}/healthz", timeout=2)
        client.join(60)
        # uvicorn re-raises the signal once it has shut down cleanly
        assert server.process.wait(timeout=60) == -signal.SIGTERM
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
    assert usage and usage[0] > 0, "the stream did not finish"
    row = store.wait_for_rows([request_id])[request_id]
    assert row.completion_tokens == usage[0] and not row.aborted
    store.close()


def test_a_stream_past_the_drain_deadline_is_cut_and_billed_as_aborted(
    tmp_path: Path, catalogue_file: Path
) -> None:
    server = _server(tmp_path, catalogue_file, REEF_SHUTDOWN_GRACE_S="1")
    store = Store(f"sqlite:///{server.workdir / 'data' / 'reef.db'}")
    key = store.new_key()
    request_id = f"cut-{uuid.uuid4().hex}"
    errors: list[Exception] = []
    started = threading.Event()

    def stream() -> None:
        try:
            with sdk_client(server, key) as sdk:
                chunks = sdk.chat.completions.create(
                    model="remote-gated",  # the fake upstream holds it open until its gate opens
                    messages=[{"role": "user", "content": "wait for it"}],
                    stream=True,
                    extra_headers={"x-request-id": request_id},
                )
                for _ in chunks:
                    started.set()
        except (httpx.HTTPError, openai.APIError) as exc:
            errors.append(exc)

    client = threading.Thread(target=stream)
    client.start()
    try:
        assert started.wait(30)
        assert server.process is not None
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == -signal.SIGTERM
        assert time.monotonic() - began < 10  # the deadline, not the stream, ended it
        client.join(30)
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
    assert errors, "the client should see its stream cut"
    row = store.wait_for_rows([request_id])[request_id]
    assert row.aborted and row.model == "remote-gated"
    store.close()
