"""HTTP load: single timed chat requests and bounded concurrent batches of them.

Requests go through plain `httpx` with hand-parsed Server-Sent Events so the timestamps are taken
where the bytes arrive, identically for every server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

REQUEST_TIMEOUT_S = 600.0


@dataclass
class Endpoint:
    """Where and how to reach one OpenAI-compatible server under test."""

    name: str
    base_url: str  # ends in /v1
    model: str
    api_key: str | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


@dataclass
class ChatResult:
    """Timing and token counts of one chat completion; times in seconds from sending."""

    ok: bool
    total_s: float
    first_token_s: float | None = None
    content_chunks: int = 0
    text: str = ""
    usage: dict[str, Any] | None = None
    error: str | None = None

    @property
    def completion_tokens(self) -> int:
        """Tokens per the server's usage; streamed content chunks when it reports none."""
        if self.usage and self.usage.get("completion_tokens"):
            return int(self.usage["completion_tokens"])
        return self.content_chunks

    @property
    def cached_tokens(self) -> int | None:
        details = (self.usage or {}).get("prompt_tokens_details") or {}
        value = details.get("cached_tokens")
        return None if value is None else int(value)


def make_client(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, limits=limits)


def chat_body(endpoint: Endpoint, messages: list[dict[str, str]], **params: Any) -> dict[str, Any]:
    return {"model": endpoint.model, "messages": messages, **params, **endpoint.extra_body}


async def stream_chat(
    client: httpx.AsyncClient, endpoint: Endpoint, body: dict[str, Any]
) -> ChatResult:
    """POST a streamed completion; first_token_s is when the first non-empty content arrives."""
    payload = {**body, "stream": True, "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    result = ChatResult(ok=False, total_s=0.0)
    pieces: list[str] = []
    try:
        async with client.stream(
            "POST", endpoint.chat_url, json=payload, headers=endpoint.headers()
        ) as response:
            if response.status_code != 200:
                detail = (await response.aread()).decode(errors="replace")[:300]
                result.error = f"HTTP {response.status_code}: {detail}"
            else:
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    _absorb_chunk(json.loads(data), result, pieces, start)
                result.ok = result.content_chunks > 0
                result.error = None if result.ok else "stream ended without any content"
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.total_s = time.perf_counter() - start
    result.text = "".join(pieces)
    return result


def _absorb_chunk(
    chunk: dict[str, Any], result: ChatResult, pieces: list[str], start: float
) -> None:
    if chunk.get("usage"):
        result.usage = chunk["usage"]
    for choice in chunk.get("choices") or []:
        content = (choice.get("delta") or {}).get("content")
        if content:
            if result.first_token_s is None:
                result.first_token_s = time.perf_counter() - start
            result.content_chunks += 1
            pieces.append(content)


async def post_chat(
    client: httpx.AsyncClient, endpoint: Endpoint, body: dict[str, Any]
) -> ChatResult:
    """POST a non-streamed completion; total_s is the full round trip."""
    start = time.perf_counter()
    try:
        response = await client.post(
            endpoint.chat_url, json={**body, "stream": False}, headers=endpoint.headers()
        )
    except httpx.HTTPError as exc:
        return ChatResult(ok=False, total_s=time.perf_counter() - start, error=repr(exc))
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        return ChatResult(
            ok=False, total_s=elapsed, error=f"HTTP {response.status_code}: {response.text[:300]}"
        )
    data = response.json()
    text = data["choices"][0]["message"].get("content") or ""
    return ChatResult(ok=True, total_s=elapsed, text=text, usage=data.get("usage"))


RequestFactory = Callable[[int], dict[str, Any]]


async def run_closed_loop(
    endpoint: Endpoint,
    make_body: RequestFactory,
    concurrency: int,
    total_requests: int,
    stream: bool,
    client: httpx.AsyncClient | None = None,
) -> tuple[list[ChatResult], float]:
    """`concurrency` workers share `total_requests` requests, each sending its next one as soon
    as the previous finishes. Returns the results and the wall time of the whole batch. Pass a
    `client` to reuse its warm keep-alive connections across batches."""
    if client is None:
        async with make_client(concurrency) as own_client:
            return await run_closed_loop(
                endpoint, make_body, concurrency, total_requests, stream, own_client
            )
    send = stream_chat if stream else post_chat
    counter = iter(range(total_requests))
    results: list[ChatResult] = []

    async def worker() -> None:
        for index in counter:
            results.append(await send(client, endpoint, make_body(index)))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results, time.perf_counter() - start


def failures(results: list[ChatResult]) -> list[str]:
    return [r.error or "unknown error" for r in results if not r.ok]
