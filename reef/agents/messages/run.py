"""One `POST /v1/messages`: translate, run the model (again after each server-side tool
search, at most `MAX_SEARCHES` times), answer whole or as Anthropic's event stream, meter once.

A turn is a sequence of model calls. Each call's text is shown (streamed as it comes), with
stop sequences applied here; its tool calls become `tool_use` blocks, except calls of the
tool search tool, which Reef answers itself: the search runs over the deferred tools, the
found ones are loaded, and the model is called again with the result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from reef.agents.engine_call import EngineCall
from reef.agents.messages import shapes, translate
from reef.agents.messages.schemas import MessagesBody
from reef.agents.messages.search import run_search
from reef.agents.messages.stops import StopScanner
from reef.engine.protocol import ChatRequest, ChatStream
from reef.engine.toolcalls import ToolCallMerger
from reef.errors import ReefError
from reef.http.errors import anthropic_error_body

log = logging.getLogger(__name__)
MAX_SEARCHES = 3


@dataclass
class _CallOutcome:
    calls: list[dict[str, Any]] = field(default_factory=list)
    finish: str = "stop"


@dataclass
class _Turn:
    """What the turn has produced so far."""

    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "end_turn"
    stop_sequence: str | None = None


class MessageRun:
    def __init__(self, call: EngineCall, body: MessagesBody) -> None:
        self.call = call
        self.body = body
        self.id = shapes.new_id("msg")
        self.turn = _Turn()

    def prepare(self) -> None:
        """Everything checkable before the engine: model, blocks, tools, tool choice."""
        body = self.body
        self.model = self.call.resolve(body.model)
        self.plan = translate.plan_tools(body.tools)
        self.messages = translate.chat_messages(body)
        self.choice = translate.tool_choice(body.tool_choice, self.plan)
        self.searches_left = MAX_SEARCHES

    def _request(self, choice: str | dict[str, Any] | None) -> ChatRequest:
        body = self.body
        tools = self.plan.as_chat_tools()
        return ChatRequest(
            model=self.model,
            messages=self.messages,
            stream=True,
            tools=tools,
            tool_choice=choice if tools else None,
            max_tokens=max(1, body.max_tokens - self.call.usage.completion_tokens),
            temperature=body.temperature,
            top_p=body.top_p,
            top_k=body.top_k,
            request_id=self.call.meter.request_id,
        )

    async def open(self) -> ChatStream:
        return await self.call.open(self._request(self.choice))

    async def _texts(self, stream: ChatStream, outcome: _CallOutcome) -> AsyncGenerator[str, None]:
        """One model call's text as it may be shown (stop sequences applied); its tool calls
        and finish reason land in `outcome` once the call is read."""
        stops = StopScanner(self.body.stop_sequences)
        calls = ToolCallMerger()
        try:
            async for chunk in stream:
                if chunk.content:
                    shown = stops.feed(chunk.content)
                    if shown:
                        yield shown
                    if stops.matched is not None:
                        break
                if chunk.tool_calls:
                    calls.add(chunk.tool_calls)
                if chunk.finish_reason:
                    outcome.finish = chunk.finish_reason
        finally:
            await self.call.close_stream(stream)
        if stops.matched is not None:
            self.turn.stop_reason, self.turn.stop_sequence = "stop_sequence", stops.matched
            return
        rest = stops.flush()
        if rest:
            yield rest
        outcome.calls = calls.result() or []

    def _after_call(
        self, calls: list[dict[str, Any]], finish: str
    ) -> tuple[list[dict[str, Any]], bool]:
        """New blocks for the call's tool calls; True when the model must be called again."""
        blocks: list[dict[str, Any]] = []
        search = [c for c in calls if c["function"]["name"] == self.plan.search_name]
        client = [c for c in calls if c not in search]
        if search and not client and self.searches_left > 0:
            self.searches_left -= 1
            assistant_calls = []
            for call in search:
                use = shapes.tool_use_block(
                    call["function"]["name"], call["function"]["arguments"], server=True
                )
                names = run_search(self.plan, use["input"])
                self.plan.load(names)
                blocks += [use, shapes.search_result_block(use["id"], names)]
                assistant_calls.append((use, names))
            self.messages.append(
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": use["id"],
                            "type": "function",
                            "function": {
                                "name": use["name"],
                                "arguments": json.dumps(use["input"], ensure_ascii=False),
                            },
                        }
                        for use, _ in assistant_calls
                    ],
                }
            )
            for use, names in assistant_calls:
                found = ", ".join(names) if names else "no matching tool"
                self.messages.append(
                    {"role": "tool", "tool_call_id": use["id"], "content": f"Tools found: {found}"}
                )
            return blocks, True
        for call in client:
            blocks.append(
                shapes.tool_use_block(call["function"]["name"], call["function"]["arguments"])
            )
        if client:
            self.turn.stop_reason = "tool_use"
        elif self.turn.stop_sequence is None:
            self.turn.stop_reason = shapes.STOP_REASONS.get(finish, "end_turn")
        return blocks, False

    # -- whole answer ------------------------------------------------------------------------

    async def answer(self, stream: ChatStream) -> dict[str, Any]:
        try:
            while True:
                outcome = _CallOutcome()
                text = "".join([piece async for piece in self._texts(stream, outcome)])
                if text:
                    self._add_text(text)
                blocks, again = self._after_call(outcome.calls, outcome.finish)
                self.turn.content += blocks
                if not again:
                    break
                stream = await self.call.open(self._request("auto"))
        except ReefError as exc:
            await self.call.finish(error=exc)
            raise
        await self.call.finish()
        return self._message()

    def _add_text(self, text: str) -> None:
        content = self.turn.content
        if content and content[-1]["type"] == "text":
            content[-1]["text"] += text
        else:
            content.append({"type": "text", "text": text})

    def _message(self) -> dict[str, Any]:
        turn = self.turn
        content = turn.content or [{"type": "text", "text": ""}]
        return shapes.message(
            self.id, self.call.model, content, turn.stop_reason, turn.stop_sequence, self.call.usage
        )

    # -- event stream ------------------------------------------------------------------------

    async def events(self, stream: ChatStream) -> AsyncGenerator[str, None]:
        completed = False
        try:
            start = shapes.message(self.id, self.call.model, [], None, None, stream.usage)
            yield shapes.event("message_start", {"message": start})
            yield shapes.event("ping", {})
            while True:
                outcome = _CallOutcome()
                text_index: int | None = None
                async for piece in self._texts(stream, outcome):
                    if text_index is None:
                        text_index = len(self.turn.content)
                        self.turn.content.append({"type": "text", "text": ""})
                        yield shapes.event(
                            "content_block_start",
                            {"index": text_index, "content_block": {"type": "text", "text": ""}},
                        )
                    self.turn.content[text_index]["text"] += piece
                    yield shapes.event(
                        "content_block_delta",
                        {"index": text_index, "delta": {"type": "text_delta", "text": piece}},
                    )
                if text_index is not None:
                    yield shapes.event("content_block_stop", {"index": text_index})
                blocks, again = self._after_call(outcome.calls, outcome.finish)
                for block in blocks:
                    index = len(self.turn.content)
                    self.turn.content.append(block)
                    for event in shapes.block_events(index, block):
                        yield event
                if not again:
                    break
                stream = await self.call.open(self._request("auto"))
            completed = True
            await self.call.finish()  # billed durably before the client sees the end
            usage = shapes.usage_body(self.call.usage)
            yield shapes.event(
                "message_delta",
                {
                    "delta": {
                        "stop_reason": self.turn.stop_reason,
                        "stop_sequence": self.turn.stop_sequence,
                    },
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            )
            yield shapes.event("message_stop", {})
        except Exception as exc:
            error = (
                exc if isinstance(exc, ReefError) else ReefError("The engine failed mid-answer.")
            )
            if not isinstance(exc, ReefError):
                log.exception("message stream failed")
            completed = True
            await self.call.close_stream(stream)
            await self.call.finish(error=error)
            yield shapes.event("error", {"error": anthropic_error_body(error)["error"]})
        finally:
            await self.call.close_stream(stream)
            await self.call.finish(aborted=not completed)
