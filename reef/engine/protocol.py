"""The contract between the API and anything that produces chat completions or embeddings.

Every chat backend (the embedded engine, a remote OpenAI-compatible server, the fallback router)
returns a `ChatStream`: an async iterator of `ChatChunk`s whose `usage` is always current, so the
caller can meter exactly what was generated even when it stops reading early.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]


class ChatRequest(BaseModel):
    """A validated OpenAI chat-completions request (ranges already checked by the API)."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    stop: list[str] = Field(default_factory=list)
    user: str | None = None

    def upstream_payload(self) -> dict[str, Any]:
        """The request as an OpenAI-compatible server expects it (extras passed through)."""
        body = self.model_dump(exclude_none=True)
        if not body.get("stop"):
            body.pop("stop", None)
        return body


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ChatChunk:
    """One streamed piece of an answer, in OpenAI delta terms."""

    content: str | None = None
    role: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: FinishReason | None = None


@runtime_checkable
class ChatStream(Protocol):
    """Async iterator of chunks; `usage` is live; `aclose()` cancels generation."""

    usage: Usage
    model: str

    def __aiter__(self) -> AsyncIterator[ChatChunk]: ...

    async def __anext__(self) -> ChatChunk: ...

    async def aclose(self) -> None: ...


class ChatBackend(Protocol):
    async def open_stream(self, request: ChatRequest) -> ChatStream:
        """Validate and admit the request; raise `ReefError` before any token if it can't run."""
        ...

    async def close(self) -> None: ...


@dataclass
class EmbeddingResult:
    vectors: list[list[float]]
    prompt_tokens: int


class EmbeddingBackend(Protocol):
    async def embed(self, texts: list[str], dimensions: int | None = None) -> EmbeddingResult: ...

    async def close(self) -> None: ...


@dataclass
class EngineStats:
    """Numbers `/metrics` exports for the embedded engine."""

    queue_depth: int = 0
    running: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    extra: dict[str, float] = field(default_factory=dict)
