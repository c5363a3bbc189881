"""Where memories live: a small async storage contract and an in-process implementation.

The contract is scope-first: every call names one `MemoryScope`, and an implementation must
never return or touch a memory of another scope. Deleting removes the row for good.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from reef.companion.memory.types import Memory, MemoryScope, RelationshipSummary
from reef.errors import NotFound

# Aliases so annotations inside classes with a `list` method still mean the builtin.
Memories = list[Memory]
ScoredMemories = list[tuple[Memory, float]]


class MemoryStore(Protocol):
    async def add(self, memory: Memory) -> None:
        """Store a new memory (its id is new)."""
        ...

    async def update(self, memory: Memory) -> None:
        """Replace the memory with the same id in `memory.scope`; `NotFound` if absent."""
        ...

    async def delete(self, scope: MemoryScope, memory_id: str) -> bool:
        """Remove for good; False when `scope` holds no such memory."""
        ...

    async def get(self, scope: MemoryScope, memory_id: str) -> Memory | None: ...

    async def list(self, scope: MemoryScope, *, subject: str | None = None) -> Memories:
        """The scope's memories (only `subject`'s when given), oldest first."""
        ...

    async def search(
        self, scope: MemoryScope, vector: Sequence[float], *, limit: int
    ) -> ScoredMemories:
        """The scope's memories most cosine-similar to `vector`, best first."""
        ...

    async def clear(self, scope: MemoryScope) -> int:
        """Remove every memory and the summary of `scope`; returns how many memories."""
        ...

    async def get_summary(self, scope: MemoryScope) -> RelationshipSummary | None: ...

    async def set_summary(self, scope: MemoryScope, summary: RelationshipSummary) -> None: ...


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0 for a zero or mismatched vector."""
    if len(a) != len(b) or not a:
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm > 0 else 0.0


class InMemoryMemoryStore:
    """`MemoryStore` in a dict, for tests and single-process use."""

    def __init__(self) -> None:
        self._memories: dict[MemoryScope, dict[str, Memory]] = {}
        self._summaries: dict[MemoryScope, RelationshipSummary] = {}

    async def add(self, memory: Memory) -> None:
        self._memories.setdefault(memory.scope, {})[memory.id] = memory

    async def update(self, memory: Memory) -> None:
        rows = self._memories.get(memory.scope, {})
        if memory.id not in rows:
            raise NotFound(
                f"no memory {memory.id!r} in this scope", param="memory_id", code="memory_not_found"
            )
        rows[memory.id] = memory

    async def delete(self, scope: MemoryScope, memory_id: str) -> bool:
        return self._memories.get(scope, {}).pop(memory_id, None) is not None

    async def get(self, scope: MemoryScope, memory_id: str) -> Memory | None:
        return self._memories.get(scope, {}).get(memory_id)

    async def list(self, scope: MemoryScope, *, subject: str | None = None) -> Memories:
        rows = self._memories.get(scope, {}).values()
        found = [m for m in rows if subject is None or m.subject == subject]
        return sorted(found, key=lambda m: m.created_at)  # stable: insertion order on ties

    async def search(
        self, scope: MemoryScope, vector: Sequence[float], *, limit: int
    ) -> ScoredMemories:
        scored = [
            (m, cosine(vector, m.embedding))
            for m in self._memories.get(scope, {}).values()
            if m.embedding is not None
        ]
        scored.sort(key=lambda pair: (-pair[1], pair[0].id))
        return scored[:limit]

    async def clear(self, scope: MemoryScope) -> int:
        self._summaries.pop(scope, None)
        return len(self._memories.pop(scope, {}))

    async def get_summary(self, scope: MemoryScope) -> RelationshipSummary | None:
        return self._summaries.get(scope)

    async def set_summary(self, scope: MemoryScope, summary: RelationshipSummary) -> None:
        self._summaries[scope] = summary
