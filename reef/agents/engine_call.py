"""One agent-API request's use of the engine: admitted once, any number of model calls (the
Messages API's server-side tool search makes two), usage summed, metered exactly once however
the request ends, and stopped the moment its client leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import Request

from reef.engine.protocol import ChatRequest, ChatStream, Usage
from reef.engine.toolcalls import ToolCallMerger
from reef.errors import ReefError
from reef.http.disconnect import CLIENT_CLOSED_REQUEST, unless_disconnected
from reef.http.metering import RequestMeter
from reef.http.state import AppState
from reef.platform.types import Principal

CHARS_PER_TOKEN = 4


@dataclass
class Answer:
    """A model call's whole answer."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"


def estimate_tokens(request: ChatRequest, default_cap: int) -> int:
    """What admission reserves up front: prompt characters / 4 plus the completion cap."""
    chars = sum(len(str(m.get("content") or "")) for m in request.messages)
    chars += sum(len(str(t)) for t in request.tools or [])
    return chars // CHARS_PER_TOKEN + (request.max_tokens or default_cap)


class EngineCall:
    def __init__(
        self, state: AppState, request: Request, meter: RequestMeter, principal: Principal
    ) -> None:
        self.state = state
        self.request = request
        self.meter = meter
        self.principal = principal
        self.usage = Usage()
        self.model = ""
        self._admitted = False
        self._finished = False
        self._closed: set[int] = set()

    def resolve(self, model: str) -> str:
        """The catalogue's name for `model` (404 if unknown), recorded on the meter."""
        self.meter.model = model
        spec = self.state.catalogue.get(model, kind="chat")
        self.meter.model = self.model = spec.name
        self.request.state.model = spec.name
        return spec.name

    async def open(self, chat_request: ChatRequest) -> ChatStream:
        if not self._admitted:
            cap = self.state.settings.engine.default_max_tokens
            await self.state.services.admit(
                self.principal, self.model, estimate_tokens(chat_request, cap)
            )
            self._admitted = True
        stream = await self.state.router.open_stream(chat_request)
        self.meter.first_chunk(stream.model)
        self.model = stream.model
        return stream

    async def collect(self, stream: ChatStream) -> Answer | None:
        """The whole answer, or None if the client left first (generation is then stopped)."""
        try:
            answer, _left = await unless_disconnected(self.request, _read(stream))
        finally:
            await self.close_stream(stream)
        return answer

    async def close_stream(self, stream: ChatStream) -> None:
        """Stop `stream` and add its usage (once, however often it is called)."""
        if id(stream) in self._closed:
            return
        self._closed.add(id(stream))
        with anyio.CancelScope(shield=True):
            await stream.aclose()
        usage = stream.usage
        self.usage = Usage(
            prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self.usage.completion_tokens + usage.completion_tokens,
            cached_tokens=self.usage.cached_tokens + usage.cached_tokens,
        )

    async def finish(self, *, aborted: bool = False, error: ReefError | None = None) -> None:
        """Charge what was generated, once."""
        if self._finished:
            return
        self._finished = True
        status = error.status if error is not None else (CLIENT_CLOSED_REQUEST if aborted else 200)
        with anyio.CancelScope(shield=True):
            await self.meter.succeed(self.usage, self.model, aborted=aborted, status=status)


async def _read(stream: ChatStream) -> Answer:
    parts: list[str] = []
    tools = ToolCallMerger()
    finish = "stop"
    async for chunk in stream:
        if chunk.content:
            parts.append(chunk.content)
        if chunk.tool_calls:
            tools.add(chunk.tool_calls)
        if chunk.finish_reason:
            finish = chunk.finish_reason
    calls = tools.result() or []
    if calls and finish == "stop":
        finish = "tool_calls"
    return Answer("".join(parts), calls, finish)
