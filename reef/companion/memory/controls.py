"""What an end user may do with what a character remembers: see it, correct it, delete it.

Deletion is real (the row is gone, not flagged); a correction keeps the old value in the
memory's history like any other update. Bad input raises `InvalidRequest`, an unknown id
`NotFound`, and neither changes anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reef.companion.errors import memory_not_found
from reef.companion.memory.reconcile import embed_texts
from reef.companion.memory.store import MemoryStore
from reef.companion.memory.text import normalize_value
from reef.companion.memory.types import Clock, EmbedFn, Memory, MemoryOperation, MemoryScope
from reef.errors import InvalidRequest
from reef.settings import MemorySettings


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
    """Replace a memory's text (and value). Without `value` (what the page sends), the value
    is derived from the new text (`derived_value`), so a stale value never outlives its text
    and a fact never loses its value."""
    config = settings or MemorySettings()
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidRequest(
            "a corrected memory needs some text", param="text", code="invalid_value"
        )
    if len(cleaned) > config.max_fact_chars:
        raise InvalidRequest(
            f"a memory is at most {config.max_fact_chars} characters, got {len(cleaned)}",
            param="text",
            code="memory_too_long",
        )
    memory = await store.get(scope, memory_id)
    if memory is None:
        raise memory_not_found(memory_id)
    if value is None and memory.value:
        value = derived_value(memory.text, memory.value, cleaned)
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


def derived_value(old_text: str, old_value: str, new_text: str) -> str:
    """The value a text-only correction leaves the memory:

    * the old value, while the new text still names it ("Rex" in "...a dog named Rex, a
      beagle");
    * the replacement, when the new text is the old one with the value swapped ("The user
      lives in Paris." -> "The user lives in New York" gives "New York");
    * otherwise the new text itself: it is the fact now, and the relationship summary, which
      is built from values, then states it whole instead of dropping it.
    """
    kept = normalize_value(old_value)
    if kept and f" {kept} " in f" {normalize_value(new_text)} ":
        return old_value
    old, new = _sentence(old_text), _sentence(new_text)
    at = old.lower().find(old_value.lower())
    if at >= 0:
        prefix, suffix = old[:at].lower(), old[at + len(old_value) :].lower()
        room = len(new) - len(prefix) - len(suffix)
        if room > 0 and new.lower().startswith(prefix) and new.lower().endswith(suffix):
            replacement = new[len(prefix) : len(new) - len(suffix)].strip()
            if replacement:
                return replacement
    return new_text


def _sentence(text: str) -> str:
    return " ".join(text.split()).rstrip(".!? ")


async def delete_memory(store: MemoryStore, scope: MemoryScope, memory_id: str) -> MemoryOperation:
    """Remove one memory for good."""
    memory = await store.get(scope, memory_id)
    if memory is None or not await store.delete(scope, memory_id):
        raise memory_not_found(memory_id)
    return MemoryOperation(
        "DELETE", memory.id, memory.text, memory.subject, reason="deleted by the user"
    )


async def forget_everything(store: MemoryStore, scope: MemoryScope) -> int:
    """Remove every memory and the summary of `scope`; returns how many memories went."""
    return await store.clear(scope)
