"""OpenTelemetry: off by default (the SDK is not even loaded); with `REEF_OTEL_ENDPOINT` every
request is a server span, sent over OTLP/HTTP to a collector, carrying the ledger's request id.
The collector here is a local fake speaking OTLP/HTTP (protobuf)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support.servers import ReefServer, Store, free_port, server_env


class FakeCollector:
    def __init__(self) -> None:
        self.spans: list[dict[str, object]] = []
        app = FastAPI()

        @app.post("/v1/traces")
        async def traces(request: Request) -> Response:
            export = ExportTraceServiceRequest.FromString(await request.body())
            for resource in export.resource_spans:
                service = {a.key: a.value.string_value for a in resource.resource.attributes}
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: a.value for a in span.attributes}
                        self.spans.append(
                            {"name": span.name, "service": service, "attributes": attributes}
                        )
            return Response(b"", media_type="application/x-protobuf")

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FakeCollector:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def collector() -> Iterator[FakeCollector]:
    with FakeCollector() as fake:
        yield fake


def test_requests_become_spans_with_the_request_id(
    tmp_path: Path, catalogue_file: Path, collector: FakeCollector
) -> None:
    env = server_env(tmp_path / "data", catalogue_file)
    env["REEF_OTEL_ENDPOINT"] = f"http://127.0.0.1:{collector.port}/v1/traces"
    env["REEF_OTEL_SERVICE_NAME"] = "reef-test"
    server = ReefServer(tmp_path, env).start()
    store = Store(f"sqlite:///{tmp_path / 'data' / 'reef.db'}")
    try:
        key = store.new_key()
        answer = httpx.post(
            f"{server.base_url}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": "remote-echo", "messages": [{"role": "user", "content": "hi"}]},
            timeout=60,
        )
        assert answer.status_code == 200
        request_id = answer.headers["x-request-id"]
        httpx.get(f"{server.base_url}/healthz", timeout=10)
    finally:
        assert server.stop() == 0  # a graceful stop flushes the buffered spans
        store.close()
    chat = [s for s in collector.spans if "/v1/chat/completions" in str(s["name"])]
    assert chat, collector.spans
    ids = {
        s["attributes"]["reef.request_id"].string_value
        for s in chat
        if "reef.request_id" in s["attributes"]
    }  # type: ignore[operator,index,union-attr]
    assert request_id in ids
    assert all(s["service"]["service.name"] == "reef-test" for s in chat)  # type: ignore[index]
    assert not [s for s in collector.spans if "healthz" in str(s["name"])]


def test_tracing_is_off_by_default() -> None:
    probe = (
        "import sys\n"
        "from reef.api.app import create_app\n"
        "from reef.settings import Settings\n"
        "create_app(Settings(data_dir='/nonexistent', database_url=None, redis_url=None))\n"
        "print('opentelemetry.sdk.trace' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        env={"REEF_CONFIG": "/nonexistent/reef.toml", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
