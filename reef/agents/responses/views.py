"""Response models of `/v1/responses` for the OpenAPI document (the run builds plain dicts in
`shapes.py`; FastAPI checks them against these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class OutputText(BaseModel):
    type: Literal["output_text"] = "output_text"
    text: str
    annotations: list[Any]


class OutputMessage(BaseModel):
    type: Literal["message"] = "message"
    id: str
    status: str
    role: Literal["assistant"] = "assistant"
    content: list[OutputText]


class FunctionCall(BaseModel):
    type: Literal["function_call"] = "function_call"
    id: str
    call_id: str
    name: str
    arguments: str
    status: str


class InputTokensDetails(BaseModel):
    cached_tokens: int


class ResponseUsage(BaseModel):
    input_tokens: int
    input_tokens_details: InputTokensDetails
    output_tokens: int
    total_tokens: int


class ResponseObject(BaseModel):
    """`stream: false`. With `stream: true`: SSE events from `response.created` to
    `response.completed`."""

    id: str
    object: Literal["response"] = "response"
    created_at: int
    status: Literal["completed", "incomplete", "failed", "in_progress"]
    error: dict[str, Any] | None
    incomplete_details: dict[str, Any] | None
    instructions: str | None
    model: str
    output: list[OutputMessage | FunctionCall]
    previous_response_id: str | None
    usage: ResponseUsage | None
    metadata: dict[str, str]


class ResponseDeleted(BaseModel):
    id: str
    object: Literal["response"] = "response"
    deleted: Literal[True] = True
