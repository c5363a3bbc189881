"""The request middleware on its own app: ids, body cap and crash answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from reef.http.errors import MINIMAX_TAG, install_error_handlers
from reef.http.metrics import Metrics
from reef.http.middleware import RequestContextMiddleware


def small_app(max_body_bytes: int = 64) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    @app.post("/minimax-echo", tags=[MINIMAX_TAG])
    async def minimax_echo(body: dict[str, str]) -> dict[str, str]:
        return body

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    @app.post("/upload")
    async def upload(body: dict[str, str]) -> dict[str, str]:
        return body

    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=max_body_bytes,
        metrics=Metrics(),
        upload_limits={"/upload": max_body_bytes * 4},
    )
    return app


def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=small_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_crash_is_a_500_in_openai_shape_with_request_id() -> None:
    async with client() as http:
        response = await http.get("/crash", headers={"x-request-id": "crash-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "crash-1"
    assert response.json()["error"]["type"] == "server_error"
    assert "boom" not in response.text


async def test_body_cap_applies_with_and_without_content_length() -> None:
    async with client() as http:
        small = await http.post("/echo", json={"a": "b"})
        declared = await http.post("/echo", json={"a": "x" * 100})

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"a": "'
            yield b"x" * 100
            yield b'"}'

        streamed = await http.post("/echo", content=chunks())
        minimax = await http.post("/minimax-echo", json={"a": "x" * 100})
    assert small.status_code == 200 and small.json() == {"a": "b"}
    for refused in (declared, streamed):
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "request_too_large"
        assert refused.headers["x-request-id"]
    assert minimax.status_code == 200
    assert minimax.json()["base_resp"]["status_code"] == 2013


async def test_upload_paths_have_their_own_cap() -> None:
    async with client() as http:
        upload = await http.post("/upload", json={"a": "x" * 200})
        over = await http.post("/upload", json={"a": "x" * 300})
    assert upload.status_code == 200 and upload.json() == {"a": "x" * 200}
    assert over.status_code == 413 and "256 bytes" in over.json()["error"]["message"]
