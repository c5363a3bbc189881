"""Reconciliation: fold candidate facts into stored memory with mem0's four events.

For a fact with a subject key (deterministic):
- retraction (negated): DELETE the memories of that subject it contradicts (all of them when
  it names no value, "I don't have a dog anymore"; those with its value otherwise, "I don't
  live in Paris anymore"); NONE when nothing matches.
- a value stored under the opposite key ("likes jazz" then "hates jazz"): UPDATE that memory.
- single-valued key (name, location, age, pet.<animal>, ...): UPDATE the current memory when
  the value differs (old value kept in `history`), NONE when it is the same or the new fact is
  less specific ("has a dog" after "has a dog named Rex"), ADD when there is none.
- multi-valued key (likes, allergies, ...): NONE when the value or text is already stored or
  an embedding is a near-duplicate (cosine >= duplicate_similarity), else ADD.

For a fact without a key: NONE for a near-duplicate; when stored memories are related
(cosine >= related_similarity) and a `complete` function is given, the model arbitrates
(arbiter.py); otherwise ADD (a retraction without an arbiter changes nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from reef.companion.memory.arbiter import arbitrate
from reef.companion.memory.store import MemoryStore, cosine
from reef.companion.memory.subjects import OPPOSITES, is_single_valued
from reef.companion.memory.text import normalize_text, normalize_value
from reef.companion.memory.types import (
    CandidateFact,
    Clock,
    CompleteFn,
    EmbedFn,
    Memory,
    MemoryOperation,
    MemoryScope,
)
from reef.errors import ReefError
from reef.settings import MemorySettings

ARBITER_CANDIDATES = 5  # stored memories shown to the arbiter at most

Vector = tuple[float, ...]


def new_memory_id() -> str:
    return uuid.uuid4().hex


class Reconciler:
    """Applies candidate facts to one scope of a `MemoryStore` and reports what it did."""

    def __init__(
        self,
        store: MemoryStore,
        embed: EmbedFn,
        *,
        complete: CompleteFn | None = None,
        settings: MemorySettings | None = None,
        clock: Clock | None = None,
        new_id: Callable[[], str] = new_memory_id,
    ) -> None:
        self._store = store
        self._embed = embed
        self._complete = complete
        self._settings = settings or MemorySettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._new_id = new_id

    async def apply(
        self, scope: MemoryScope, facts: Sequence[CandidateFact]
    ) -> list[MemoryOperation]:
        """Reconcile `facts` in order (each sees the effect of the ones before)."""
        if not facts:
            return []
        vectors = await embed_texts(self._embed, [fact.text for fact in facts])
        operations: list[MemoryOperation] = []
        for fact, vector in zip(facts, vectors, strict=True):
            if fact.subject is not None:
                operations.extend(await self._keyed(scope, fact, vector))
            else:
                operations.extend(await self._unkeyed(scope, fact, vector))
        return operations

    async def _keyed(
        self, scope: MemoryScope, fact: CandidateFact, vector: Vector
    ) -> list[MemoryOperation]:
        assert fact.subject is not None
        value = normalize_value(fact.value)
        same = await self._store.list(scope, subject=fact.subject)
        if fact.negated:
            doomed = [m for m in same if not value or normalize_value(m.value) in ("", value)]
            if not doomed:
                return [_none(fact, "nothing stored to retract")]
            return [await self._delete(m, f"retracted: {fact.text}") for m in doomed]
        opposite = OPPOSITES.get(fact.subject)
        if opposite and value:
            for memory in await self._store.list(scope, subject=opposite):
                if normalize_value(memory.value) == value:
                    return [await self._update(memory, fact, vector, "contradicted")]
        if is_single_valued(fact.subject) and same:
            current = max(same, key=lambda m: (m.updated_at, m.created_at))
            stored = normalize_value(current.value)
            if value == stored or (not value and stored):
                return [_none(fact, "already known", current)]
            return [await self._update(current, fact, vector, "changed")]
        for memory in same:
            if (value and normalize_value(memory.value) == value) or _same_text(memory, fact):
                return [_none(fact, "already known", memory)]
            if memory.embedding and cosine(vector, memory.embedding) >= self._dup_threshold:
                return [_none(fact, "near-duplicate", memory)]
        return [await self._add(scope, fact, vector)]

    async def _unkeyed(
        self, scope: MemoryScope, fact: CandidateFact, vector: Vector
    ) -> list[MemoryOperation]:
        similar = await self._store.search(scope, vector, limit=ARBITER_CANDIDATES)
        for memory, score in similar:
            if _same_text(memory, fact) or (score >= self._dup_threshold and not fact.negated):
                return [_none(fact, "already known", memory)]
        related = [m for m, score in similar if score >= self._settings.related_similarity]
        if not related or self._complete is None:
            if fact.negated:
                return [_none(fact, "no keyed memory to retract")]
            return [await self._add(scope, fact, vector)]
        decision = await arbitrate(
            self._complete, fact, related, max_chars=self._settings.max_fact_chars
        )
        if decision.event == "ADD":
            return [await self._add(scope, fact, vector)]
        if decision.target is None or decision.event == "NONE":
            return [_none(fact, "the arbiter found it known", decision.target)]
        if decision.event == "DELETE":
            return [await self._delete(decision.target, f"retracted: {fact.text}")]
        text = decision.text or fact.text
        (merged,) = await embed_texts(self._embed, [text]) if text != fact.text else (vector,)
        rewritten = CandidateFact(text, decision.target.subject, fact.value, source=fact.source)
        return [await self._update(decision.target, rewritten, merged, "refined")]

    @property
    def _dup_threshold(self) -> float:
        return self._settings.duplicate_similarity

    async def _add(
        self, scope: MemoryScope, fact: CandidateFact, vector: Vector
    ) -> MemoryOperation:
        now = self._clock()
        memory = Memory(
            id=self._new_id(),
            scope=scope,
            text=fact.text,
            subject=fact.subject,
            value=fact.value,
            embedding=vector,
            created_at=now,
            updated_at=now,
            source=fact.source,
        )
        await self._store.add(memory)
        return MemoryOperation("ADD", memory.id, memory.text, memory.subject, reason="new")

    async def _update(
        self, memory: Memory, fact: CandidateFact, vector: Vector, reason: str
    ) -> MemoryOperation:
        updated = memory.revised(
            text=fact.text,
            subject=fact.subject,
            value=fact.value,
            embedding=vector,
            now=self._clock(),
            reason=reason,
            source=fact.source,
            max_history=self._settings.max_history,
        )
        await self._store.update(updated)
        return MemoryOperation(
            "UPDATE", memory.id, updated.text, updated.subject, memory.text, reason
        )

    async def _delete(self, memory: Memory, reason: str) -> MemoryOperation:
        await self._store.delete(memory.scope, memory.id)
        return MemoryOperation("DELETE", memory.id, memory.text, memory.subject, reason=reason)


def _same_text(memory: Memory, fact: CandidateFact) -> bool:
    return normalize_text(memory.text) == normalize_text(fact.text)


def _none(fact: CandidateFact, reason: str, memory: Memory | None = None) -> MemoryOperation:
    return MemoryOperation(
        "NONE", memory.id if memory else None, fact.text, fact.subject, reason=reason
    )


async def embed_texts(embed: EmbedFn, texts: list[str]) -> list[Vector]:
    """`embed(texts)` checked to return one non-empty vector per text."""
    vectors = await embed(texts)
    if len(vectors) != len(texts) or any(not v for v in vectors):
        raise ReefError(
            f"the embedder returned {len(vectors)} vectors for {len(texts)} texts",
            code="embedding_error",
        )
    return [tuple(float(x) for x in v) for v in vectors]
