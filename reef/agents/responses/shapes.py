"""The response object and its output items, as the OpenAI SDK and Agents SDK parse them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from reef.agents.engine_call import Answer
from reef.agents.responses.schemas import ResponsesBody
from reef.engine.protocol import Usage


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total_tokens,
    }


def message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": content if status == "completed" else [],
    }


def function_call_item(call: dict[str, Any], status: str = "completed") -> dict[str, Any]:
    call_id = call.get("id") or new_id("call")
    return {
        "type": "function_call",
        "id": new_id("fc"),
        "call_id": call_id,
        "name": call["function"]["name"],
        "arguments": call["function"]["arguments"] if status == "completed" else "",
        "status": status,
    }


def output_items(answer: Answer, message_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if answer.text or not answer.tool_calls:
        items.append(message_item(message_id, answer.text))
    items.extend(function_call_item(call) for call in answer.tool_calls)
    return items


@dataclass
class ResponseShape:
    """Every body of one response shares its id, creation time and echoed request fields."""

    body: ResponsesBody
    model: str
    id: str = field(default_factory=lambda: new_id("resp"))
    created_at: int = field(default_factory=lambda: int(time.time()))

    def response(
        self,
        status: str,
        output: list[dict[str, Any]],
        usage: Usage | None,
        finish_reason: str | None = None,
    ) -> dict[str, Any]:
        body = self.body
        incomplete = (
            {"reason": "max_output_tokens"}
            if status == "incomplete" and finish_reason == "length"
            else None
        )
        fmt = (
            body.text.format.model_dump(exclude_none=True, by_alias=True)
            if (body.text and body.text.format)
            else {"type": "text"}
        )
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": body.instructions,
            "max_output_tokens": body.max_output_tokens,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": body.parallel_tool_calls
            if body.parallel_tool_calls is not None
            else True,
            "previous_response_id": body.previous_response_id,
            "reasoning": {"effort": None, "summary": None},
            "store": body.store,
            "temperature": body.temperature if body.temperature is not None else 1.0,
            "text": {"format": fmt},
            "tool_choice": body.tool_choice if body.tool_choice is not None else "auto",
            "tools": [t.model_dump(exclude_none=True) for t in body.tools or []],
            "top_p": body.top_p if body.top_p is not None else 1.0,
            "truncation": body.truncation or "disabled",
            "usage": usage_body(usage) if usage is not None else None,
            "user": body.user,
            "metadata": body.metadata or {},
        }

    def finished(self, answer: Answer, usage: Usage, message_id: str) -> dict[str, Any]:
        status = "incomplete" if answer.finish_reason == "length" else "completed"
        return self.response(
            status, output_items(answer, message_id), usage, finish_reason=answer.finish_reason
        )
