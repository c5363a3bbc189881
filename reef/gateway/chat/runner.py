"""One chat completion from admitted request to metered answer, streamed or not.

Both the OpenAI and the MiniMax routes run through here; they differ only in the JSON shape.
A client that goes away stops generation at once and is charged for what was generated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from reef.engine.protocol import ChatStream
from reef.engine.toolcalls import ToolCallMerger
from reef.errors import ReefError
from reef.gateway.chat.format import CompletionShape, chunk_delta
from reef.gateway.chat.schemas import ChatCompletionBody
from reef.http.disconnect import CLIENT_CLOSED_REQUEST, unless_disconnected
from reef.http.metering import RequestMeter
from reef.http.sse import EventStreamResponse, sse_event
from reef.http.state import AppState, app_state
from reef.platform.types import Principal

log = logging.getLogger(__name__)

T = TypeVar("T")
DONE_EVENT = "data: [DONE]\n\n"


@dataclass
class CollectedAnswer:
    parts: list[str] = field(default_factory=list)
    tools: ToolCallMerger = field(default_factory=ToolCallMerger)
    finish_reason: str | None = None


async def _collect(stream: ChatStream) -> CollectedAnswer:
    answer = CollectedAnswer()
    async for chunk in stream:
        if chunk.content:
            answer.parts.append(chunk.content)
        if chunk.tool_calls:
            answer.tools.add(chunk.tool_calls)
        if chunk.finish_reason:
            answer.finish_reason = chunk.finish_reason
    return answer


class ChatRunner:
    def __init__(self, request: Request, meter: RequestMeter, *, minimax: bool) -> None:
        self.request = request
        self.meter = meter
        self.minimax = minimax
        self.state: AppState = app_state(request)

    async def run(self, body: ChatCompletionBody, principal: Principal) -> Response:
        """Validate against the catalogue, admit, open the stream and answer."""
        self.meter.model = body.model
        spec = self.state.catalogue.get(body.model, kind="chat")
        self.meter.model = spec.name
        self.request.state.model = spec.name
        chat_request = body.to_chat_request(
            allow_non_text=spec.backend == "openai", request_id=self.meter.request_id
        )
        default_cap = self.state.settings.engine.default_max_tokens
        await self.state.services.admit(principal, spec.name, body.estimated_tokens(default_cap))
        stream = await self.state.router.open_stream(chat_request)
        self.meter.first_chunk(stream.model)
        self.request.state.model = stream.model
        shape = CompletionShape(minimax=self.minimax)
        if body.stream:
            events = self._events(stream, shape, include_usage=body.include_usage())
            return EventStreamResponse(events)
        return await self._answer(stream, shape)

    async def _answer(self, stream: ChatStream, shape: CompletionShape) -> Response:
        answer: CollectedAnswer | None = None
        aborted = False
        status = 200
        try:
            answer, aborted = await unless_disconnected(self.request, _collect(stream))
        except ReefError as exc:
            status = exc.status
            raise
        except BaseException:
            status, aborted = 500, True
            raise
        finally:
            if aborted and status == 200:
                status = CLIENT_CLOSED_REQUEST
            with anyio.CancelScope(shield=True):
                await stream.aclose()
                await self.meter.succeed(stream.usage, stream.model, aborted=aborted, status=status)
        if answer is None:
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        tool_calls = answer.tools.result()
        content = "".join(answer.parts) if answer.parts or not tool_calls else None
        finish = answer.finish_reason or ("tool_calls" if tool_calls else "stop")
        body = shape.completion(stream.model, content, tool_calls, finish, stream.usage)
        return JSONResponse(body)

    async def _events(
        self, stream: ChatStream, shape: CompletionShape, *, include_usage: bool
    ) -> AsyncGenerator[str, None]:
        """SSE events; the `finally` meters whatever happened, client abort included."""
        model = stream.model
        with_usage_key = include_usage and not self.minimax
        completed = False
        status = 200
        try:
            yield self._event(
                shape.chunk(
                    model, {"role": "assistant", "content": ""}, with_usage_key=with_usage_key
                )
            )
            # The finishing events are held back until the usage is in the ledger: a client
            # that saw the whole answer is billed for it even if the server dies right after.
            tail: list[str] = []
            async for chunk in stream:
                delta = chunk_delta(chunk)
                if not delta and not chunk.finish_reason:
                    continue
                event = self._event(
                    shape.chunk(model, delta, chunk.finish_reason, with_usage_key=with_usage_key)
                )
                if tail or chunk.finish_reason is not None:
                    tail.append(event)
                else:
                    yield event
            if not tail:
                tail.append(
                    self._event(shape.chunk(model, {}, "stop", with_usage_key=with_usage_key))
                )
            completed = True
            with anyio.CancelScope(shield=True):
                await stream.aclose()  # `usage` is final once the engine has let go
                await self.meter.succeed(stream.usage, model, status=status)
            if include_usage or self.minimax:
                tail.append(self._event(shape.usage_chunk(model, stream.usage)))
            if not self.minimax:
                tail.append(DONE_EVENT)
            yield "".join(tail)
        except Exception as exc:
            error = (
                exc if isinstance(exc, ReefError) else ReefError("The engine failed mid-answer.")
            )
            if not isinstance(exc, ReefError):
                log.exception("stream of %s failed after its first chunk", model)
            status = error.status
            completed = True
            yield self._event(shape.error_chunk(error))
        finally:
            with anyio.CancelScope(shield=True):
                await stream.aclose()
                await self.meter.succeed(stream.usage, model, aborted=not completed, status=status)

    @staticmethod
    def _event(body: dict[str, Any]) -> str:
        return sse_event(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
