"""What an end user may do with what a character remembers: see it, correct it, delete it.

Deletion is real (the row is gone, not flagged); a correction keeps the old value in the
memory's history like any other update. Bad input raises `InvalidRequest`, an unknown id
`NotFound`, and neither changes anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reef.companion.memory.reconcile import embed_texts
from reef.companion.memory.store import MemoryStore
from reef.companion.memory.text import normalize_value
from reef.companion.memory.types import Clock, EmbedFn, Memory, MemoryOperation, MemoryScope
from reef.errors import InvalidRequest, NotFound
from reef.settings import MemorySettings


def _not_found(memory_id: str) -> NotFound:
    return NotFound(
        f"no memory {memory_id!r} for this user and character",
        param="memory_id",
        code="memory_not_found",
    )


async def list_memories(store: MemoryStore, scope: MemoryScope) -> list[Memory]:
    """Everything remembered in `scope`, oldest first."""
    return await store.list(scope)


async def correct_memory(
    store: MemoryStore,
    embed: EmbedFn,
    scope: MemoryScope,
    memory_id: str,
    text: str,
    *,
    value: str | None = None,
    settings: MemorySettings | None = None,
    clock: Clock | None = None,
) -> MemoryOperation:
    """Replace a memory's text (and value). Without `value`, the old value is kept only if
    the new text still contains it, so a stale value never outlives its text."""
    config = settings or MemorySettings()
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidRequest("a corrected memory needs some text", param="text")
    if len(cleaned) > config.max_fact_chars:
        raise InvalidRequest(
            f"a memory is at most {config.max_fact_chars} characters, got {len(cleaned)}",
            param="text",
        )
    memory = await store.get(scope, memory_id)
    if memory is None:
        raise _not_found(memory_id)
    if value is None and memory.value:
        kept = normalize_value(memory.value)
        value = memory.value if kept and kept in normalize_value(cleaned) else None
    (vector,) = await embed_texts(embed, [cleaned])
    now = (clock or (lambda: datetime.now(UTC)))()
    corrected = memory.revised(
        text=cleaned,
        subject=memory.subject,
        value=value or None,
        embedding=vector,
        now=now,
        reason="corrected by the user",
        source="user",
        max_history=config.max_history,
    )
    await store.update(corrected)
    return MemoryOperation(
        "UPDATE", memory.id, corrected.text, corrected.subject, memory.text, "corrected by the user"
    )


async def delete_memory(store: MemoryStore, scope: MemoryScope, memory_id: str) -> MemoryOperation:
    """Remove one memory for good."""
    memory = await store.get(scope, memory_id)
    if memory is None or not await store.delete(scope, memory_id):
        raise _not_found(memory_id)
    return MemoryOperation(
        "DELETE", memory.id, memory.text, memory.subject, reason="deleted by the user"
    )


async def forget_everything(store: MemoryStore, scope: MemoryScope) -> int:
    """Remove every memory and the summary of `scope`; returns how many memories went."""
    return await store.clear(scope)
