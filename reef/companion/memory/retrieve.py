"""Recall: which memories enter the prompt for this turn.

Each memory gets three kinds of evidence, each in [0, 1]:
- semantic: cosine(query, memory) mapped linearly from [semantic_floor, semantic_full] to
  [0, 1] (clamped), so weak similarity counts for nothing;
- keyword: BM25 score s over memory texts as s / (s + keyword_saturation);
- entity: `entity_evidence` when the query names the memory's subject ("pets" for
  user.pet.dog, "sister" for user.sister.name) or contains its value ("Rex").
relevance = 1 - (1 - semantic) (1 - keyword) (1 - entity): any one strong signal suffices,
weak ones add up. Only memories with relevance >= relevance_threshold are recalled (old lines
that merely share the chat's topic stay out), best first, at most top_k, within the token
budget. Memories of pinned subjects (the user's name) come first whatever the query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reef.companion.memory.bm25 import BM25
from reef.companion.memory.reconcile import embed_texts
from reef.companion.memory.store import MemoryStore, cosine
from reef.companion.memory.subjects import subject_terms
from reef.companion.memory.text import content_terms, normalize_text
from reef.companion.memory.types import CountTokensFn, EmbedFn, Memory, MemoryScope
from reef.settings import MemorySettings

_THE_USER = re.compile(r"\b[Tt]he user\b")


@dataclass(frozen=True)
class ScoredMemory:
    """A memory with the evidence that recalled it."""

    memory: Memory
    relevance: float
    semantic: float
    keyword: float
    entity: float
    pinned: bool = False


@dataclass(frozen=True)
class Recall:
    """Lines for the prompt's memory section (with `{{user}}` for the user, as the prompt
    assembler expands macros), the memories behind them, and their token count."""

    lines: list[str]
    memories: list[ScoredMemory]
    tokens: int


def render_line(memory: Memory) -> str:
    """A memory as a prompt line: "The user has a dog" becomes "{{user}} has a dog"."""
    return _THE_USER.sub("{{user}}", memory.text)


class Retriever:
    def __init__(
        self,
        store: MemoryStore,
        embed: EmbedFn,
        count_tokens: CountTokensFn,
        settings: MemorySettings | None = None,
    ) -> None:
        self._store = store
        self._embed = embed
        self._count_tokens = count_tokens
        self._settings = settings or MemorySettings()

    async def score(self, scopes: Sequence[MemoryScope], query: str) -> list[ScoredMemory]:
        """Every memory of `scopes` with its evidence for `query`, in no particular order."""
        memories = await self._memories(scopes)
        if not memories:
            return []
        config = self._settings
        query_vector = (await embed_texts(self._embed, [query]))[0] if query.strip() else None
        query_terms = content_terms(query)
        keyword_scores = BM25([content_terms(m.text) for m in memories]).scores(query_terms)
        pinned = set(config.pinned_subjects)
        scored = []
        for memory, bm25 in zip(memories, keyword_scores, strict=True):
            similarity = (
                cosine(query_vector, memory.embedding)
                if query_vector is not None and memory.embedding is not None
                else 0.0
            )
            span = max(config.semantic_full - config.semantic_floor, 1e-9)
            semantic = min(1.0, max(0.0, (similarity - config.semantic_floor) / span))
            keyword = bm25 / (bm25 + config.keyword_saturation) if bm25 > 0 else 0.0
            entity = config.entity_evidence if _names_entity(memory, query_terms) else 0.0
            relevance = 1 - (1 - semantic) * (1 - keyword) * (1 - entity)
            scored.append(
                ScoredMemory(memory, relevance, semantic, keyword, entity, memory.subject in pinned)
            )
        return scored

    async def recall(
        self,
        scopes: Sequence[MemoryScope],
        query: str,
        *,
        token_budget: int | None = None,
        top_k: int | None = None,
    ) -> Recall:
        """The memories of `scopes` worth putting in the prompt for `query`."""
        config = self._settings
        budget = config.token_budget if token_budget is None else token_budget
        limit = config.top_k if top_k is None else top_k
        scored = await self.score(scopes, query)
        pin_order = {subject: i for i, subject in enumerate(config.pinned_subjects)}
        pinned = sorted(
            (s for s in scored if s.pinned),
            key=lambda s: (pin_order[s.memory.subject or ""], s.memory.id),
        )
        relevant = sorted(
            (s for s in scored if not s.pinned and s.relevance >= config.relevance_threshold),
            key=lambda s: (-s.relevance, -s.memory.updated_at.timestamp(), s.memory.id),
        )[:limit]
        chosen: list[ScoredMemory] = []
        used = 0
        for candidate in [*pinned, *relevant]:
            cost = self._count_tokens(render_line(candidate.memory))
            if used + cost > budget:
                continue
            used += cost
            chosen.append(candidate)
        # Chosen by relevance, listed in a fixed order (pins, then oldest first): the same
        # memories render to the same prompt bytes whatever the query, so the engine's prefix
        # cache keeps the history that follows them.
        chosen.sort(
            key=lambda s: (
                not s.pinned,
                pin_order.get(s.memory.subject or "", 0),
                s.memory.created_at,
                s.memory.id,
            )
        )
        return Recall([render_line(s.memory) for s in chosen], chosen, used)

    async def _memories(self, scopes: Sequence[MemoryScope]) -> list[Memory]:
        """Memories of the distinct scopes, a text stored in two scopes only once."""
        found: list[Memory] = []
        seen: set[str] = set()
        for scope in dict.fromkeys(scopes):
            for memory in await self._store.list(scope):
                key = normalize_text(memory.text)
                if key not in seen:
                    seen.add(key)
                    found.append(memory)
        return found


def _names_entity(memory: Memory, query_terms: Sequence[str]) -> bool:
    terms = set(query_terms)
    if terms & subject_terms(memory.subject):
        return True
    value_terms = content_terms(memory.value or "")
    return bool(value_terms) and all(term in terms for term in value_terms)
