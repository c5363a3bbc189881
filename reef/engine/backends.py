"""Backend registries: a catalogue entry's `backend` names a factory here. A new kind of model
server registers one factory (`@chat_backend("name")`) instead of growing an if-chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from reef.engine.catalogue import ModelSpec
from reef.engine.embeddings import SentenceTransformerBackend
from reef.engine.protocol import ChatBackend, EmbeddingBackend
from reef.engine.remote import OpenAICompatibleBackend
from reef.errors import InvalidRequest
from reef.settings import EngineSettings


@dataclass(frozen=True)
class BackendContext:
    """What a factory may use besides the model's own entry."""

    engine_settings: EngineSettings
    timeout: float
    http: Callable[[], httpx.AsyncClient]
    """The shared upstream connection pool, made on first use."""


ChatFactory = Callable[[ModelSpec, BackendContext], ChatBackend]
EmbeddingFactory = Callable[[ModelSpec, BackendContext], EmbeddingBackend]
F = TypeVar("F")

CHAT_BACKENDS: dict[str, ChatFactory] = {}
EMBEDDING_BACKENDS: dict[str, EmbeddingFactory] = {}


def _register(registry: dict[str, F], name: str) -> Callable[[F], F]:
    def add(factory: F) -> F:
        registry[name] = factory
        return factory

    return add


def chat_backend(name: str) -> Callable[[ChatFactory], ChatFactory]:
    return _register(CHAT_BACKENDS, name)


def embedding_backend(name: str) -> Callable[[EmbeddingFactory], EmbeddingFactory]:
    return _register(EMBEDDING_BACKENDS, name)


def build_chat(spec: ModelSpec, context: BackendContext) -> ChatBackend:
    factory = CHAT_BACKENDS.get(spec.backend)
    if factory is None:
        raise InvalidRequest(f"model {spec.name!r} cannot chat (backend {spec.backend!r})")
    return factory(spec, context)


def build_embedding(spec: ModelSpec, context: BackendContext) -> EmbeddingBackend:
    factory = EMBEDDING_BACKENDS.get(spec.backend)
    if factory is None:
        raise InvalidRequest(f"model {spec.name!r} cannot embed (backend {spec.backend!r})")
    return factory(spec, context)


@chat_backend("openai")
def _openai_compatible(spec: ModelSpec, context: BackendContext) -> ChatBackend:
    return OpenAICompatibleBackend(spec, context.timeout, client=context.http())


@chat_backend("embedded")
def _embedded_llama(spec: ModelSpec, context: BackendContext) -> ChatBackend:
    from reef.engine.llama.backend import EmbeddedChatBackend  # llama.cpp loads only when used

    return EmbeddedChatBackend(spec, context.engine_settings)  # weights load on first request


@embedding_backend("sentence-transformers")
def _sentence_transformers(spec: ModelSpec, context: BackendContext) -> EmbeddingBackend:
    return SentenceTransformerBackend(spec, threads=context.engine_settings.n_threads)
