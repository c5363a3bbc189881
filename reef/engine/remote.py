"""A chat backend that forwards to any OpenAI-compatible server (vLLM, SGLang, llama-server,
Ollama, a cloud API). Upstream is always asked to stream with usage, so usage is exact and
content reaches the client chunk by chunk as the upstream produces it."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx

from reef.engine.catalogue import ModelSpec
from reef.engine.protocol import ChatChunk, ChatRequest, FinishReason, Usage
from reef.errors import (
    ContextLengthExceeded,
    InvalidRequest,
    ReefError,
    UpstreamError,
    UpstreamTimeout,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
CHARS_PER_TOKEN_ESTIMATE = 4
# Upstream statuses that mean the request itself is wrong (a fallback would refuse it too).
CLIENT_ERROR_STATUSES = frozenset({400, 413, 422})
TIMEOUT_STATUSES = frozenset({408, 504})
# Request fields that are ours (log correlation), never an upstream's business.
PRIVATE_FIELDS = ("request_id",)
# A gateway holds many long streams at once; httpx's default pool of 100 would queue them.
UPSTREAM_POOL = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_FINISH_REASONS: frozenset[str] = frozenset({"stop", "length", "tool_calls", "content_filter"})


def upstream_message(body: bytes) -> str:
    """The `error.message` of an OpenAI-style error body, else the body text itself."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:500] or "(empty body)"
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return text[:500]


def upstream_code(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else None


def status_error(model: str, status: int, body: bytes) -> ReefError:
    """Map an upstream HTTP failure to the error our client should see."""
    message = f"upstream for model {model!r} answered HTTP {status}: {upstream_message(body)}"
    if status in CLIENT_ERROR_STATUSES:
        if upstream_code(body) == "context_length_exceeded":
            return ContextLengthExceeded(message, param="messages")
        return InvalidRequest(message)
    if status in TIMEOUT_STATUSES:
        return UpstreamTimeout(message)
    return UpstreamError(message)


def transport_error(model: str, exc: httpx.HTTPError) -> ReefError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"upstream for model {model!r} timed out ({type(exc).__name__})")
    return UpstreamError(f"upstream for model {model!r} is unreachable: {exc!r}")


def _finish_reason(value: Any) -> FinishReason | None:
    return value if isinstance(value, str) and value in _FINISH_REASONS else None  # type: ignore[return-value]


def _usage_from(payload: dict[str, Any]) -> Usage:
    details = payload.get("prompt_tokens_details") or {}
    return Usage(
        prompt_tokens=int(payload.get("prompt_tokens") or 0),
        completion_tokens=int(payload.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
    )


def chunk_from(event: dict[str, Any]) -> ChatChunk | None:
    """The first choice of one upstream `chat.completion.chunk`, or None if it carries nothing."""
    choices = event.get("choices") or []
    if not choices:
        return None
    choice = choices[0]
    delta = choice.get("delta") or choice.get("message") or {}
    chunk = ChatChunk(
        content=delta.get("content"),
        role=delta.get("role"),
        tool_calls=delta.get("tool_calls") or None,
        finish_reason=_finish_reason(choice.get("finish_reason")),
    )
    if chunk.content is None and chunk.tool_calls is None and chunk.finish_reason is None:
        return None if chunk.role is None else chunk
    return chunk


class RemoteChatStream:
    """Reads upstream SSE events and yields them as `ChatChunk`s without buffering.

    If upstream never reports usage (it ended early, or ignores `include_usage`), prompt tokens
    are estimated from characters and each content chunk counts as one completion token.
    """

    def __init__(self, response: httpx.Response, model: str, prompt_estimate: int) -> None:
        self.model = model
        self.usage = Usage(prompt_tokens=prompt_estimate)
        self._response = response
        self._events = self._read_events()
        self._usage_reported = False

    def __aiter__(self) -> AsyncIterator[ChatChunk]:
        return self

    async def __anext__(self) -> ChatChunk:
        return await anext(self._events)

    async def aclose(self) -> None:
        await self._events.aclose()
        await self._response.aclose()

    async def _read_events(self) -> AsyncGenerator[ChatChunk, None]:
        try:
            if self._response.headers.get("content-type", "").startswith("application/json"):
                async for whole in self._read_whole_json():
                    yield whole
                return
            async for line in self._response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    break
                chunk = self._absorb(json.loads(data))
                if chunk is not None:
                    yield chunk
        except httpx.HTTPError as exc:
            raise transport_error(self.model, exc) from exc
        except ValueError as exc:
            raise UpstreamError(f"upstream for model {self.model!r} sent invalid JSON") from exc
        finally:
            await self._response.aclose()

    async def _read_whole_json(self) -> AsyncGenerator[ChatChunk, None]:
        """Some servers ignore `stream: true` and answer one JSON completion."""
        body = json.loads(await self._response.aread())
        chunk = self._absorb(body)
        if chunk is not None:
            yield chunk

    def _absorb(self, event: Any) -> ChatChunk | None:
        if not isinstance(event, dict):
            return None
        if "error" in event:
            raise UpstreamError(
                f"upstream for model {self.model!r} failed mid-stream: "
                f"{upstream_message(json.dumps(event).encode())}"
            )
        if isinstance(event.get("usage"), dict):
            self.usage = _usage_from(event["usage"])
            self._usage_reported = True
        chunk = chunk_from(event)
        if chunk is not None and not self._usage_reported and (chunk.content or chunk.tool_calls):
            self.usage.completion_tokens += 1
        return chunk


class OpenAICompatibleBackend:
    """One catalogue model served by a remote OpenAI-compatible `base_url`."""

    def __init__(
        self, spec: ModelSpec, timeout: float, *, client: httpx.AsyncClient | None = None
    ) -> None:
        assert spec.base_url is not None
        self.spec = spec
        self._url = spec.base_url.rstrip("/") + "/chat/completions"
        seconds = spec.timeout_s or timeout
        self._timeout = httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT_S))
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(limits=UPSTREAM_POOL)

    def _payload(self, request: ChatRequest) -> dict[str, Any]:
        payload = request.upstream_payload()
        for private in PRIVATE_FIELDS:
            payload.pop(private, None)
        payload["model"] = self.spec.upstream_model or self.spec.name
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
        return payload

    def _headers(self) -> dict[str, str]:
        key = self.spec.resolved_api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def open_stream(self, request: ChatRequest) -> RemoteChatStream:
        """Send the request and wait for upstream's status line; errors surface here."""
        outgoing = self._client.build_request(
            "POST",
            self._url,
            json=self._payload(request),
            headers=self._headers(),
            timeout=self._timeout,
        )
        try:
            response = await self._client.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            raise transport_error(self.spec.name, exc) from exc
        if response.status_code >= 400:
            try:
                body = await response.aread()
            except httpx.HTTPError:
                body = b""
            finally:
                await response.aclose()
            raise status_error(self.spec.name, response.status_code, body)
        chars = sum(len(json.dumps(m.get("content") or "")) for m in request.messages)
        return RemoteChatStream(response, self.spec.name, chars // CHARS_PER_TOKEN_ESTIMATE)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()
