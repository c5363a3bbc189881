"""Companion memory wired to the platform: the SQL store of the caller's organisation, the
catalogue's embedding model (or the hashing embedder) and, when enabled, the chat model for
extraction and summaries. Everything the memory spends is metered as `companion.memory`."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from reef.companion.memory import CompanionMemory, HashingEmbedder, default_extractor
from reef.companion.memory.sql_store import SqlMemoryStore
from reef.companion.memory.types import CompleteFn, CountTokensFn, EmbedFn
from reef.engine.catalogue import Catalogue
from reef.engine.protocol import ChatRequest, Usage
from reef.engine.router import Router
from reef.errors import NotFound, ReefError
from reef.platform.service import PlatformServices
from reef.platform.types import Principal, UsageRecord
from reef.settings import Settings
from reef.store.db import Database

log = logging.getLogger(__name__)

MEMORY_ENDPOINT = "companion.memory"
MEMORY_MODEL_ERROR = "memory_model_error"


@dataclass
class MemorySpend:
    """Tokens the memory used during one request, per model."""

    by_model: dict[str, Usage] = field(default_factory=dict)

    def add(self, model: str, prompt_tokens: int, completion_tokens: int = 0) -> None:
        usage = self.by_model.setdefault(model, Usage())
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens


def embedding_model(catalogue: Catalogue, settings: Settings) -> str | None:
    """The configured embedding model when the catalogue has it, else None (hashing)."""
    name = settings.companion.embedding_model
    if name is None:
        return None
    try:
        return catalogue.get(name, kind="embedding").name
    except NotFound:
        log.warning("embedding model %r is not in the catalogue; memory uses hashing", name)
        return None


class MemoryFactory:
    """Builds a `CompanionMemory` per request, bound to the caller's organisation."""

    def __init__(
        self, db: Database, catalogue: Catalogue, router: Router, settings: Settings
    ) -> None:
        self._db = db
        self._router = router
        self._settings = settings
        self._embedding_model = embedding_model(catalogue, settings)
        self._hashing = HashingEmbedder()

    def store(self, org_id: int) -> SqlMemoryStore:
        return SqlMemoryStore(self._db, org_id)

    def build(
        self,
        org_id: int,
        count_tokens: CountTokensFn,
        spend: MemorySpend,
        *,
        chat_model: str | None = None,
    ) -> CompanionMemory:
        config = self._settings.companion
        complete = (
            self._complete(chat_model, spend)
            if config.memory_uses_llm and chat_model is not None
            else None
        )
        return CompanionMemory(
            self.store(org_id),
            self._embed(spend),
            count_tokens,
            extractor=default_extractor(
                complete, use_llm=config.memory_uses_llm, settings=config.memory
            ),
            complete=complete,
            settings=config.memory,
        )

    def _embed(self, spend: MemorySpend) -> EmbedFn:
        name = self._embedding_model
        if name is None:
            return self._hashing
        backend = self._router.embedding_backend(name)

        async def embed(texts: list[str]) -> list[list[float]]:
            result = await backend.embed(texts)
            spend.add(name, result.prompt_tokens)
            return result.vectors

        return embed

    def _complete(self, model: str, spend: MemorySpend) -> CompleteFn:
        router = self._router

        async def complete(
            messages: list[dict[str, str]], schema: dict[str, Any]
        ) -> dict[str, Any]:
            request = ChatRequest(
                model=model,
                messages=list(messages),
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "memory", "schema": schema},
                },
                temperature=0.0,
                max_tokens=self._settings.companion.reply_max_tokens,
            )
            stream = await router.open_stream(request)
            parts: list[str] = []
            try:
                async for chunk in stream:
                    if chunk.content:
                        parts.append(chunk.content)
            finally:
                await stream.aclose()
                spend.add(stream.model, stream.usage.prompt_tokens, stream.usage.completion_tokens)
            try:
                parsed = json.loads("".join(parts))
            except json.JSONDecodeError as exc:
                raise ReefError(
                    f"the memory model returned invalid JSON: {exc.msg}", code=MEMORY_MODEL_ERROR
                ) from exc
            if not isinstance(parsed, dict):
                raise ReefError(
                    "the memory model did not return a JSON object", code=MEMORY_MODEL_ERROR
                )
            return parsed

        return complete


async def record_memory_spend(
    services: PlatformServices,
    catalogue: Catalogue,
    principal: Principal,
    request_id: str,
    spend: MemorySpend,
) -> None:
    """One ledger row per model the memory used during the request."""
    for model, usage in spend.by_model.items():
        spec = catalogue.models.get(model)
        cost = spec.cost_nano_usd(usage.prompt_tokens, usage.completion_tokens) if spec else 0
        await services.record(
            UsageRecord(
                request_id=request_id,
                org_id=principal.org_id,
                key_id=principal.key_id,
                endpoint=MEMORY_ENDPOINT,
                model=model,
                status=200,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_nano_usd=cost,
            )
        )
