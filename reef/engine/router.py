"""Routes a request to its model's backend, falling back along the model's `fallbacks` when a
backend fails before producing anything. Once a chunk has reached the caller the answer is
committed to that model: a later failure is the caller's to see, never a silent switch."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx

from reef.engine.backends import BackendContext, build_chat, build_embedding
from reef.engine.catalogue import Catalogue, ModelSpec
from reef.engine.protocol import (
    ChatBackend,
    ChatChunk,
    ChatRequest,
    ChatStream,
    EmbeddingBackend,
    EngineStats,
    Usage,
)
from reef.engine.remote import UPSTREAM_POOL
from reef.errors import Overloaded, ReefError, UpstreamError
from reef.settings import EngineSettings

log = logging.getLogger(__name__)

# Failures that say "this backend can't serve now", not "this request is wrong".
FALLBACK_ERRORS: tuple[type[ReefError], ...] = (UpstreamError, Overloaded)


class CommittedStream:
    """A stream whose first chunk was already read (to know the backend is answering)."""

    def __init__(self, inner: ChatStream, first: ChatChunk | None, model: str) -> None:
        self.model = model
        self._inner = inner
        self._first = first

    @property
    def usage(self) -> Usage:
        return self._inner.usage

    @usage.setter
    def usage(self, value: Usage) -> None:
        self._inner.usage = value

    def __aiter__(self) -> AsyncIterator[ChatChunk]:
        return self

    async def __anext__(self) -> ChatChunk:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return await anext(self._inner)

    async def aclose(self) -> None:
        await self._inner.aclose()


class Router:
    """Owns one backend per catalogue model, each built on first use (and cheap to build:
    weights load on a backend's first request)."""

    def __init__(
        self, catalogue: Catalogue, engine_settings: EngineSettings, timeout: float
    ) -> None:
        self.catalogue = catalogue
        self._chat: dict[str, ChatBackend] = {}
        self._embedding: dict[str, EmbeddingBackend] = {}
        self._http: httpx.AsyncClient | None = None
        self._context = BackendContext(engine_settings, timeout, self._shared_http)

    def chat_backend(self, name: str) -> ChatBackend:
        backend = self._chat.get(name)
        if backend is None:
            backend = self._chat[name] = self._build_chat(self.catalogue.get(name, kind="chat"))
        return backend

    def _shared_http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(limits=UPSTREAM_POOL)
        return self._http

    def _build_chat(self, spec: ModelSpec) -> ChatBackend:
        return build_chat(spec, self._context)

    def embedding_backend(self, name: str) -> EmbeddingBackend:
        backend = self._embedding.get(name)
        if backend is None:
            spec = self.catalogue.get(name, kind="embedding")
            backend = self._embedding[name] = build_embedding(spec, self._context)
        return backend

    async def open_stream(self, request: ChatRequest) -> CommittedStream:
        """Try the model, then its fallbacks in order, until one yields a first chunk."""
        spec = self.catalogue.get(request.model, kind="chat")
        candidates = [spec.name, *spec.fallbacks]
        failure: ReefError | None = None
        for name in candidates:
            try:
                return await self._open_committed(name, request.model_copy(update={"model": name}))
            except FALLBACK_ERRORS as exc:
                failure = exc
                if name != candidates[-1]:
                    log.warning("model %s failed before answering (%s); falling back", name, exc)
        assert failure is not None
        raise failure

    async def _open_committed(self, name: str, request: ChatRequest) -> CommittedStream:
        backend = self.chat_backend(name)
        stream = await backend.open_stream(request)
        try:
            first: ChatChunk | None = await anext(stream)
        except StopAsyncIteration:
            first = None
        except BaseException:
            await stream.aclose()
            raise
        return CommittedStream(stream, first, name)

    def stats(self) -> dict[str, EngineStats]:
        """Engine numbers for every built backend that keeps them."""
        out: dict[str, EngineStats] = {}
        for name, backend in self._chat.items():
            stats_of: Any = getattr(backend, "stats", None)
            if callable(stats_of):
                out[name] = stats_of()
        return out

    async def close(self) -> None:
        backends: list[ChatBackend | EmbeddingBackend] = [
            *self._chat.values(),
            *self._embedding.values(),
        ]
        self._chat.clear()
        self._embedding.clear()
        for backend in backends:
            try:
                await backend.close()
            except Exception:
                log.exception("closing a backend failed")
        if self._http is not None:
            await self._http.aclose()
            self._http = None
