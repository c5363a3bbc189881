"""The JSON shapes of chat answers: OpenAI's, and MiniMax's (OpenAI's plus `base_resp`)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from reef.engine.protocol import ChatChunk, Usage
from reef.errors import ReefError

MINIMAX_SUCCESS = {"status_code": 0, "status_msg": "success"}


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def tool_call_deltas(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stream deltas need an `index` on every call; a call's first delta also names its type."""
    out = []
    for position, call in enumerate(calls):
        delta = dict(call)
        delta.setdefault("index", position)
        if "id" in delta:
            delta.setdefault("type", "function")
        out.append(delta)
    return out


@dataclass
class ToolCallMerger:
    """Folds streamed tool-call deltas (by `index`) into complete calls."""

    calls: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, deltas: list[dict[str, Any]]) -> None:
        for delta in tool_call_deltas(deltas):
            call = self.calls.setdefault(
                int(delta["index"]),
                {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
            )
            if delta.get("id"):
                call["id"] = delta["id"]
            function = delta.get("function") or {}
            if function.get("name"):
                call["function"]["name"] = function["name"]
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                call["function"]["arguments"] += arguments
            elif arguments is not None:
                call["function"]["arguments"] += json.dumps(arguments)

    def result(self) -> list[dict[str, Any]] | None:
        if not self.calls:
            return None
        calls = [self.calls[i] for i in sorted(self.calls)]
        for call in calls:
            if not call["id"]:
                call["id"] = f"call_{uuid.uuid4().hex[:24]}"
        return calls


class CompletionShape:
    """Builds every body of one completion with a shared id and creation time."""

    def __init__(self, *, minimax: bool) -> None:
        self.id = new_completion_id()
        self.created = int(time.time())
        self.minimax = minimax

    def _decorate(self, body: dict[str, Any], *, last: bool) -> dict[str, Any]:
        if self.minimax:
            body["input_sensitive"] = False
            body["output_sensitive"] = False
            if last:
                body["base_resp"] = dict(MINIMAX_SUCCESS)
        return body

    def chunk(
        self,
        model: str,
        delta: dict[str, Any],
        finish_reason: str | None = None,
        *,
        with_usage_key: bool = False,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if with_usage_key:
            body["usage"] = None
        return self._decorate(body, last=False)

    def usage_chunk(self, model: str, usage: Usage) -> dict[str, Any]:
        """The closing chunk: `choices: []` plus usage (and MiniMax's `base_resp`)."""
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": model,
            "choices": [],
            "usage": usage_body(usage),
        }
        return self._decorate(body, last=True)

    def error_chunk(self, error: ReefError) -> dict[str, Any]:
        if self.minimax:
            return {
                "id": self.id,
                "choices": [],
                "base_resp": {"status_code": error.minimax_code, "status_msg": error.message},
            }
        return {
            "error": {
                "message": error.message,
                "type": error.type,
                "param": error.param,
                "code": error.code,
            }
        }

    def completion(
        self,
        model: str,
        content: str | None,
        tool_calls: list[dict[str, Any]] | None,
        finish_reason: str,
        usage: Usage,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        body = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": usage_body(usage),
        }
        return self._decorate(body, last=True)


def chunk_delta(chunk: ChatChunk) -> dict[str, Any]:
    """The OpenAI `delta` of one backend chunk (the role was already sent first)."""
    delta: dict[str, Any] = {}
    if chunk.content:
        delta["content"] = chunk.content
    if chunk.tool_calls:
        delta["tool_calls"] = tool_call_deltas(chunk.tool_calls)
    return delta
