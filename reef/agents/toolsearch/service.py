"""`ToolSearchService`: toolsets and searches for the routes, within the caller's organisation.

Indexing embeds each tool once, when it is added, and stores the vector; a search embeds only
the query. The built index of a toolset (BM25 plus the vector matrix) is kept in memory per
toolset version, so a search after the first costs one small row read, one query embedding
and a few milliseconds of scoring. Embedding tokens are charged to the organisation through the
request's meter at the embedding model's price, as `/v1/embeddings` charges them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reef.agents.toolsearch import storage
from reef.agents.toolsearch.embedding import FittedEmbedder
from reef.agents.toolsearch.hits import SearchMethod, ToolHit
from reef.agents.toolsearch.index import SearchParams, ToolIndex
from reef.agents.toolsearch.regex_search import RegexLimits
from reef.agents.toolsearch.search import search_tools
from reef.agents.toolsearch.storage import StoredTools, ToolsetRecord
from reef.agents.toolsearch.text import embedding_text
from reef.agents.toolsearch.tools import ToolDoc, tool_docs, validate_openai_tools
from reef.engine.catalogue import Catalogue
from reef.engine.protocol import Usage
from reef.engine.router import Router
from reef.errors import InvalidRequest, NotFound
from reef.http.metering import RequestMeter
from reef.platform.service import PlatformServices
from reef.platform.types import Principal
from reef.settings import ToolSearchSettings
from reef.store.db import Database

CHARS_PER_TOKEN_ESTIMATE = 4
AD_HOC_VECTOR_CACHE = 20_000


@dataclass(frozen=True)
class SearchResult:
    hits: list[ToolHit]
    usage: Usage
    model: str
    """The embedding model the query went through ("" for keyword and regex searches)."""


class ToolSearchService:
    def __init__(
        self,
        settings: ToolSearchSettings,
        db: Database,
        catalogue: Catalogue,
        router: Router,
        services: PlatformServices,
    ) -> None:
        self.settings = settings
        self.db = db
        self._catalogue = catalogue
        self._router = router
        self._services = services
        self.params = SearchParams(
            regex=RegexLimits(settings.regex_max_length, settings.regex_timeout_s)
        )
        self._indexes: OrderedDict[str, tuple[int, ToolIndex]] = OrderedDict()
        self._building: dict[str, asyncio.Lock] = {}
        self._vectors: OrderedDict[tuple[int, str, str], np.ndarray] = OrderedDict()

    # -- models and admission --------------------------------------------------------------

    def embedding_model(self, name: str | None = None) -> str | None:
        """`name` (default: the configured model) when the catalogue has it as an embedding
        model, else None (keyword search only)."""
        name = self.settings.embedding_model if name is None else name
        if not name:
            return None
        try:
            return self._catalogue.get(name, kind="embedding").name
        except NotFound:
            return None

    def _embedder(self, model: str) -> FittedEmbedder:
        return FittedEmbedder(
            self._router.embedding_backend(model), model, self.settings.embed_max_chars
        )

    async def _admit(self, principal: Principal, model: str | None, texts: Sequence[str]) -> None:
        """Rate limits and budget as every route; a search that uses no model is not held to
        the key's model allow-list."""
        estimate = sum(len(t) for t in texts) // CHARS_PER_TOKEN_ESTIMATE
        if model is None:
            principal = dataclasses.replace(principal, allowed_models=None)
        await self._services.admit(principal, model or "", estimate)

    # -- toolsets --------------------------------------------------------------------------

    def _checked(self, raw_tools: Sequence[Any]) -> list[ToolDoc]:
        if len(raw_tools) > self.settings.max_tools_per_call:
            raise InvalidRequest(
                f"One request adds at most {self.settings.max_tools_per_call} tools; this one "
                f"has {len(raw_tools)}. Add the rest with POST /v1/toolsets/{{id}}/tools.",
                param="tools",
                code="too_many_tools",
            )
        return validate_openai_tools(raw_tools)

    async def _embed_tools(
        self, principal: Principal, model: str | None, tools: Sequence[ToolDoc]
    ) -> tuple[np.ndarray | None, int]:
        texts = [embedding_text(tool) for tool in tools]
        await self._admit(principal, model, texts)
        if model is None or not tools:
            return None, 0
        embedded = await self._embedder(model).embed(texts)
        return embedded.vectors, embedded.prompt_tokens

    async def create(
        self, principal: Principal, meter: RequestMeter, name: str, raw_tools: Sequence[Any]
    ) -> ToolsetRecord:
        tools = self._checked(raw_tools)
        cap = self.settings.max_tools_per_toolset
        if len(tools) > cap:
            raise InvalidRequest(
                f"A toolset holds at most {cap} tools.", param="tools", code="toolset_too_large"
            )
        model = self.embedding_model()
        meter.model = model or ""
        vectors, tokens = await self._embed_tools(principal, model, tools)
        record = await asyncio.to_thread(
            storage.create_toolset, self.db, principal.org_id, name, tools, vectors, model, cap
        )
        await meter.succeed(Usage(prompt_tokens=tokens), model or "")
        return record

    async def add(
        self,
        principal: Principal,
        meter: RequestMeter,
        toolset_id: str,
        raw_tools: Sequence[Any],
    ) -> ToolsetRecord:
        tools = self._checked(raw_tools)
        cap = self.settings.max_tools_per_toolset
        # Refuse what is bound to fail before paying for embeddings; storage checks again
        # under the toolset's lock.
        current = await asyncio.to_thread(
            storage.check_addable, self.db, principal.org_id, toolset_id, tools, cap
        )
        model = self.embedding_model(current.embedding_model) if current.embedding_model else None
        meter.model = model or ""
        vectors, tokens = await self._embed_tools(principal, model, tools)
        if current.embedding_model and vectors is None and tools:
            raise InvalidRequest(
                f"This toolset's embedding model {current.embedding_model!r} is no longer in "
                "the catalogue; make a new toolset.",
                param="toolset_id",
                code="embedding_model_unavailable",
            )
        record = await asyncio.to_thread(
            storage.add_tools, self.db, principal.org_id, toolset_id, tools, vectors, cap
        )
        await meter.succeed(Usage(prompt_tokens=tokens), model or "")
        return record

    async def get(self, principal: Principal, toolset_id: str) -> ToolsetRecord:
        return await asyncio.to_thread(storage.get_toolset, self.db, principal.org_id, toolset_id)

    async def list_toolsets(
        self, principal: Principal, limit: int, after: str | None
    ) -> list[ToolsetRecord]:
        return await asyncio.to_thread(
            storage.list_toolsets, self.db, principal.org_id, limit, after
        )

    async def delete(self, principal: Principal, toolset_id: str) -> None:
        await asyncio.to_thread(storage.delete_toolset, self.db, principal.org_id, toolset_id)
        self._indexes.pop(toolset_id, None)
        self._building.pop(toolset_id, None)

    # -- search ----------------------------------------------------------------------------

    def _check_query(self, query: str, k: int) -> None:
        if not query.strip():
            raise InvalidRequest("'query' is empty.", param="query")
        if len(query) > self.settings.max_query_chars:
            raise InvalidRequest(
                f"'query' is {len(query)} characters long; at most "
                f"{self.settings.max_query_chars} are allowed.",
                param="query",
            )
        if not 1 <= k <= self.settings.max_k:
            raise InvalidRequest(f"'k' must be between 1 and {self.settings.max_k}.", param="k")

    async def search(
        self,
        principal: Principal,
        meter: RequestMeter,
        toolset_id: str,
        query: str,
        k: int,
        method: SearchMethod = "hybrid",
    ) -> list[ToolHit]:
        """The best `k` tools of the caller's toolset for `query`."""
        self._check_query(query, k)
        record = await asyncio.to_thread(
            storage.get_toolset, self.db, principal.org_id, toolset_id, "toolset"
        )
        model = None
        if method in ("hybrid", "embedding") and record.embedding_model:
            model = self.embedding_model(record.embedding_model)
        meter.model = model or ""
        await self._admit(principal, model, [query])
        index = await self._index(principal.org_id, record)
        query_vector, tokens = None, 0
        if model is not None and index.has_vectors:
            embedded = await self._embedder(model).embed([query])
            query_vector, tokens = embedded.vectors[0], embedded.prompt_tokens
        hits = await asyncio.to_thread(index.search, query, k, method, query_vector)
        await meter.succeed(Usage(prompt_tokens=tokens), model or "")
        return hits

    async def _index(self, org_id: int, record: ToolsetRecord) -> ToolIndex:
        """The toolset's index at `record.version`, built once per version per process."""
        cached = self._indexes.get(record.id)
        if cached is not None and cached[0] == record.version:
            self._indexes.move_to_end(record.id)
            return cached[1]
        lock = self._building.setdefault(record.id, asyncio.Lock())
        async with lock:
            cached = self._indexes.get(record.id)
            if cached is not None and cached[0] >= record.version:
                return cached[1]
            stored = await asyncio.to_thread(storage.load_tools, self.db, org_id, record.id)
            index = await asyncio.to_thread(self._build, stored)
            self._indexes[record.id] = (stored.toolset.version, index)
            self._indexes.move_to_end(record.id)
            while len(self._indexes) > self.settings.index_cache_size:
                evicted, _ = self._indexes.popitem(last=False)
                self._building.pop(evicted, None)
            return index

    def _build(self, stored: StoredTools) -> ToolIndex:
        return ToolIndex(stored.tools, stored.vectors, self.params)

    async def search_tools(
        self,
        principal: Principal,
        tools: Sequence[Mapping[str, Any] | ToolDoc],
        query: str,
        k: int = 5,
        method: SearchMethod = "bm25",
    ) -> SearchResult:
        """Search tools a request carries (no toolset). `hybrid`/`embedding` embed the tools
        too, once per organisation and text while this process keeps them; the caller
        charges `result.usage` under `result.model`. Admission is the caller's."""
        self._check_query(query, k)
        docs = tool_docs(tools)
        model = self.embedding_model() if method in ("hybrid", "embedding") else None
        if model is None:
            hits = search_tools(docs, query, k, method, params=self.params)
            return SearchResult(hits, Usage(), "")
        texts = [embedding_text(doc) for doc in docs]
        vectors, tokens = await self._cached_vectors(principal.org_id, model, [*texts, query])
        hits = search_tools(
            docs,
            query,
            k,
            method,
            vectors=vectors[:-1],
            query_vector=vectors[-1],
            params=self.params,
        )
        return SearchResult(hits, Usage(prompt_tokens=tokens), model)

    async def _cached_vectors(
        self, org_id: int, model: str, texts: Sequence[str]
    ) -> tuple[np.ndarray, int]:
        keys = [(org_id, model, hashlib.sha256(t.encode()).hexdigest()) for t in texts]
        missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        tokens = 0
        if missing:
            embedded = await self._embedder(model).embed([texts[i] for i in missing])
            tokens = embedded.prompt_tokens
            for row, i in enumerate(missing):
                self._vectors[keys[i]] = embedded.vectors[row]
        matrix = np.stack([self._vectors[key] for key in keys])
        for key in keys:
            self._vectors.move_to_end(key)
        while len(self._vectors) > AD_HOC_VECTOR_CACHE:
            self._vectors.popitem(last=False)
        return matrix, tokens
