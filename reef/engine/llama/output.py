"""What a request's generated text becomes: content deltas, tool calls and the finish reason."""

from __future__ import annotations

import json
import re
import uuid
from typing import Protocol

from reef.engine.llama.text_stream import JsonStringDecoder, StopMatcher
from reef.engine.llama.tools import ParsedToolCall, parse_tool_answer
from reef.engine.protocol import ChatChunk, FinishReason

_RESPONSE_HEAD = re.compile(r'\s*\{\s*"response"\s*:\s*"')
_TOOL_HEAD = re.compile(r'\s*\{\s*"tool_call"')


class OutputShaper(Protocol):
    """Receives decoded text piece by piece on the engine thread."""

    def feed(self, text: str) -> tuple[list[ChatChunk], bool]:
        """Chunks to send now, and whether generation must stop (a stop string was hit)."""
        ...

    def finish(self, reason: FinishReason) -> list[ChatChunk]:
        """Last chunks, ending with the one that carries the finish reason."""
        ...


class PlainText:
    """Free text with OpenAI stop strings."""

    def __init__(self, stops: list[str]) -> None:
        self._matcher = StopMatcher(stops)

    def feed(self, text: str) -> tuple[list[ChatChunk], bool]:
        emitted, stopped = self._matcher.feed(text)
        return ([ChatChunk(content=emitted)] if emitted else []), stopped

    def finish(self, reason: FinishReason) -> list[ChatChunk]:
        rest = self._matcher.flush()
        chunks = [ChatChunk(content=rest)] if rest else []
        return [*chunks, ChatChunk(finish_reason=reason)]


class StructuredText:
    """Grammar-constrained JSON content; stop strings would cut it, so none apply."""

    def feed(self, text: str) -> tuple[list[ChatChunk], bool]:
        return ([ChatChunk(content=text)] if text else []), False

    def finish(self, reason: FinishReason) -> list[ChatChunk]:
        return [ChatChunk(finish_reason=reason)]


class ToolAnswer:
    """`{"tool_call": ...}` becomes an OpenAI tool call; `{"response": "..."}` (tool_choice auto)
    streams its string as plain content as soon as the shape is known."""

    def __init__(self) -> None:
        self._raw: list[str] = []
        self._response: JsonStringDecoder | None = None
        self._is_call = False

    def feed(self, text: str) -> tuple[list[ChatChunk], bool]:
        self._raw.append(text)
        if self._response is not None:
            return self._content(self._response.feed(text)), False
        if self._is_call:
            return [], False
        raw = "".join(self._raw)
        head = _RESPONSE_HEAD.match(raw)
        if head:
            self._response = JsonStringDecoder()
            return self._content(self._response.feed(raw[head.end() :])), False
        self._is_call = bool(_TOOL_HEAD.match(raw))
        return [], False

    @staticmethod
    def _content(text: str) -> list[ChatChunk]:
        return [ChatChunk(content=text)] if text else []

    def finish(self, reason: FinishReason) -> list[ChatChunk]:
        if self._response is not None or reason != "stop":
            return [ChatChunk(finish_reason=reason)]
        raw = "".join(self._raw)
        answer = parse_tool_answer(raw)
        if isinstance(answer, ParsedToolCall):
            return [ChatChunk(tool_calls=[_openai_tool_call(answer)]), _finished("tool_calls")]
        text = answer if isinstance(answer, str) else raw
        return [ChatChunk(content=text), _finished("stop")]


def _finished(reason: FinishReason) -> ChatChunk:
    return ChatChunk(finish_reason=reason)


def _openai_tool_call(call: ParsedToolCall) -> dict[str, object]:
    return {
        "index": 0,
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {
            "name": call.name,
            "arguments": json.dumps(call.arguments, ensure_ascii=False),
        },
    }
