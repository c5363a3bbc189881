"""Response models of chat completions, for the OpenAPI document (the runner builds the bodies
in `format.py`; these describe them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class PromptTokensDetails(BaseModel):
    cached_tokens: int


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None


class ToolCallFunction(BaseModel):
    name: str
    arguments: str = Field(description="JSON text of the arguments")


class ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCall] | None = None


class Choice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter"]


class ChatCompletion(BaseModel):
    """`stream: false`. With `stream: true` the answer is SSE `chat.completion.chunk`s."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage


class BaseResp(BaseModel):
    status_code: int = Field(description="0 on success; MiniMax's error codes otherwise")
    status_msg: str


class MiniMaxChatCompletion(ChatCompletion):
    input_sensitive: bool = False
    output_sensitive: bool = False
    base_resp: BaseResp


def streamed(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering `model` as JSON, or SSE when asked to stream."""
    return {
        200: {
            "model": model,
            "description": description,
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
