"""The JSON shapes of chat answers: OpenAI's, and MiniMax's (OpenAI's plus `base_resp`)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from reef.engine.protocol import ChatChunk, Usage
from reef.engine.toolcalls import tool_call_deltas
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
