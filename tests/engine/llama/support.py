"""Helpers shared by the engine tests: build backends on the bundled model, read streams."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reef.engine.catalogue import Catalogue, ModelSpec
from reef.engine.llama import EmbeddedChatBackend
from reef.engine.protocol import ChatChunk, ChatRequest, ChatStream, Usage
from reef.settings import EngineSettings

MODEL = "smollm2-135m"


def bundled_spec(**changes: Any) -> ModelSpec:
    return Catalogue.load().get(MODEL).model_copy(update=changes)


def engine_settings(**changes: Any) -> EngineSettings:
    """Small KV cache and one thread: the suite shares two cores with other work."""
    base: dict[str, Any] = {"n_ctx": 8192, "n_seq_max": 8, "n_threads": 1}
    return EngineSettings(**(base | changes))


def make_backend(spec: ModelSpec | None = None, **settings: Any) -> EmbeddedChatBackend:
    backend = EmbeddedChatBackend(spec or bundled_spec(), engine_settings(**settings))
    backend.load()
    return backend


def request(content: str | list[dict[str, Any]], **fields: Any) -> ChatRequest:
    messages = [{"role": "user", "content": content}] if isinstance(content, str) else content
    return ChatRequest(model=MODEL, messages=messages, **fields)


@dataclass
class Answer:
    chunks: list[ChatChunk] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        return "".join(c.content or "" for c in self.chunks)

    @property
    def finish_reason(self) -> str | None:
        reasons = [c.finish_reason for c in self.chunks if c.finish_reason]
        assert len(reasons) == 1, f"expected one finish reason, got {reasons}"
        return reasons[0]

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [call for c in self.chunks for call in (c.tool_calls or [])]


async def read_all(stream: ChatStream) -> Answer:
    answer = Answer()
    async for chunk in stream:
        answer.chunks.append(chunk)
    answer.usage = stream.usage
    return answer


async def complete(backend: EmbeddedChatBackend, req: ChatRequest) -> Answer:
    return await read_all(await backend.open_stream(req))
