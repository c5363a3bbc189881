"""One `POST /v1/responses`: build the conversation (from `previous_response_id` too), run the
model, answer whole or as the documented event stream, store it, meter it once."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

from reef.agents.engine_call import Answer, EngineCall
from reef.agents.responses import store, translate
from reef.agents.responses.schemas import ResponsesBody
from reef.agents.responses.shapes import (
    ResponseShape,
    function_call_item,
    message_item,
    new_id,
)
from reef.engine.protocol import ChatStream
from reef.engine.toolcalls import ToolCallMerger
from reef.errors import ReefError

log = logging.getLogger(__name__)


class ResponseRun:
    def __init__(self, call: EngineCall, body: ResponsesBody) -> None:
        self.call = call
        self.body = body
        self.db = call.state.db
        self.org_id = call.principal.org_id
        self.context: list[dict[str, Any]] = []

    async def prepare(self) -> ChatStream:
        """Everything that can fail before a token: model, items, previous response, admission."""
        body = self.body
        model = self.call.resolve(body.model)
        items = translate.normalise_input(body.input)
        if body.previous_response_id:
            previous, context = await asyncio.to_thread(
                store.load,
                self.db,
                self.org_id,
                body.previous_response_id,
                param="previous_response_id",
            )
            items = store.conversation_of(previous, context) + items
        self.context = items
        messages = translate.chat_messages(body.instructions, items)
        request = translate.chat_request(body, model, messages, self.call.meter.request_id)
        self.shape = ResponseShape(body, model)
        return await self.call.open(request)

    async def _keep(self, response: dict[str, Any]) -> None:
        if self.body.store:
            await asyncio.to_thread(store.save, self.db, self.org_id, response, self.context)

    async def answer(self, stream: ChatStream) -> dict[str, Any] | None:
        """The finished response, or None if the client left (charged for what was made)."""
        try:
            answer = await self.call.collect(stream)
        except ReefError as exc:
            await self.call.finish(error=exc)
            raise
        if answer is None:
            await self.call.finish(aborted=True)
            return None
        self.shape.model = self.call.model
        response = self.shape.finished(answer, self.call.usage, new_id("msg"))
        await self._keep(response)
        await self.call.finish()
        return response

    async def events(self, stream: ChatStream) -> AsyncGenerator[str, None]:
        """The Responses event stream; the `finally` meters whatever happened."""
        emitter = _Emitter()
        completed = False
        try:
            shape = self.shape
            yield emitter("response.created", response=shape.response("in_progress", [], None))
            yield emitter("response.in_progress", response=shape.response("in_progress", [], None))
            builder = _OutputBuilder(emitter)
            async for chunk in stream:
                if chunk.content:
                    for event in builder.text(chunk.content):
                        yield event
                if chunk.tool_calls:
                    for event in builder.tool_calls(chunk.tool_calls):
                        yield event
                if chunk.finish_reason:
                    builder.finish_reason = chunk.finish_reason
            await self.call.close_stream(stream)
            for event in builder.close():
                yield event
            answer = builder.answer()
            self.shape.model = self.call.model
            response = shape.response(
                "incomplete" if answer.finish_reason == "length" else "completed",
                builder.items,
                self.call.usage,
                finish_reason=answer.finish_reason,
            )
            await self._keep(response)
            kind = (
                "response.completed"
                if response["status"] == "completed"
                else ("response.incomplete")
            )
            completed = True
            await self.call.finish()  # billed durably before the client sees the end
            yield emitter(kind, response=response)
        except Exception as exc:
            error = (
                exc if isinstance(exc, ReefError) else ReefError("The engine failed mid-answer.")
            )
            if not isinstance(exc, ReefError):
                log.exception("response stream failed")
            completed = True
            await self.call.close_stream(stream)
            await self.call.finish(error=error)
            failed = self.shape.response("failed", [], self.call.usage)
            failed["error"] = {"code": error.code or "server_error", "message": error.message}
            yield emitter("response.failed", response=failed)
        finally:
            await self.call.close_stream(stream)
            await self.call.finish(aborted=not completed)


class _Emitter:
    """SSE events with a running `sequence_number`, as the SDKs expect."""

    def __init__(self) -> None:
        self.sequence = 0

    def __call__(self, kind: str, **fields: Any) -> str:
        body = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return f"event: {kind}\ndata: {data}\n\n"


class _OutputBuilder:
    """Turns engine chunks into output items and their added/delta/done events."""

    def __init__(self, emit: _Emitter) -> None:
        self.emit = emit
        self.items: list[dict[str, Any]] = []
        self.finish_reason = "stop"
        self._text_item: dict[str, Any] | None = None
        self._text_parts: list[str] = []
        self._calls = ToolCallMerger()
        self._call_items: dict[int, dict[str, Any]] = {}

    def text(self, delta: str) -> list[str]:
        events = []
        if self._text_item is None:
            self._text_item = message_item(new_id("msg"), "", status="in_progress")
            self.items.append(self._text_item)
            index = len(self.items) - 1
            events.append(
                self.emit("response.output_item.added", output_index=index, item=self._text_item)
            )
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            events.append(
                self.emit(
                    "response.content_part.added",
                    item_id=self._text_item["id"],
                    output_index=index,
                    content_index=0,
                    part=part,
                )
            )
        self._text_parts.append(delta)
        events.append(
            self.emit(
                "response.output_text.delta",
                item_id=self._text_item["id"],
                output_index=self.items.index(self._text_item),
                content_index=0,
                delta=delta,
                logprobs=[],
            )
        )
        return events

    def tool_calls(self, deltas: list[dict[str, Any]]) -> list[str]:
        events = self._close_text()
        before = {i: c["function"]["arguments"] for i, c in self._calls.calls.items()}
        self._calls.add(deltas)
        for index, call in sorted(self._calls.calls.items()):
            item = self._call_items.get(index)
            if item is None:
                item = function_call_item(call, status="in_progress")
                self._call_items[index] = item
                self.items.append(item)
                events.append(
                    self.emit(
                        "response.output_item.added",
                        output_index=len(self.items) - 1,
                        item=dict(item),
                    )
                )
            added = call["function"]["arguments"][len(before.get(index, "")) :]
            if added:
                events.append(
                    self.emit(
                        "response.function_call_arguments.delta",
                        item_id=item["id"],
                        output_index=self.items.index(item),
                        delta=added,
                    )
                )
        return events

    def _close_text(self) -> list[str]:
        item = self._text_item
        if item is None or item["status"] == "completed":
            return []
        text = "".join(self._text_parts)
        index = self.items.index(item)
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        item.update(message_item(item["id"], text))
        return [
            self.emit(
                "response.output_text.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                text=text,
                logprobs=[],
            ),
            self.emit(
                "response.content_part.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=part,
            ),
            self.emit("response.output_item.done", output_index=index, item=item),
        ]

    def close(self) -> list[str]:
        if self._text_item is None and not self._call_items:
            self.text("")
        events = self._close_text()
        for index, call in sorted(self._calls.calls.items()):
            item = self._call_items[index]
            item.update(
                call_id=call["id"] or item["call_id"],
                name=call["function"]["name"],
                arguments=call["function"]["arguments"],
                status="completed",
            )
            position = self.items.index(item)
            events.append(
                self.emit(
                    "response.function_call_arguments.done",
                    item_id=item["id"],
                    output_index=position,
                    name=item["name"],
                    arguments=item["arguments"],
                )
            )
            events.append(self.emit("response.output_item.done", output_index=position, item=item))
        return events

    def answer(self) -> Answer:
        calls = self._calls.result() or []
        finish = self.finish_reason
        if calls and finish == "stop":
            finish = "tool_calls"
        return Answer("".join(self._text_parts), calls, finish)
