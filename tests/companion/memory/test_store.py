"""The `MemoryStore` contract. Every implementation must pass these: add the SQL store to the
`memory_store` fixture's params when it exists."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reef.companion.memory import (
    HashingEmbedder,
    InMemoryMemoryStore,
    Memory,
    MemoryScope,
    MemoryStore,
    RelationshipSummary,
)
from reef.errors import NotFound

PAIR = MemoryScope("org1:alice", "mira")
OTHER = MemoryScope("org1:alice", "kai")
START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["in-memory"])
def memory_store(request: pytest.FixtureRequest) -> MemoryStore:
    return InMemoryMemoryStore()


def memory(memory_id: str, text: str, scope: MemoryScope = PAIR, minute: int = 0) -> Memory:
    when = START + timedelta(minutes=minute)
    vector = tuple(HashingEmbedder(dimensions=32).vector(text))
    subject = "user.likes" if "likes" in text else None
    return Memory(memory_id, scope, text, subject, None, vector, when, when)


async def test_add_get_list_by_scope_and_subject(memory_store: MemoryStore) -> None:
    await memory_store.add(memory("b", "The user likes tea.", minute=2))
    await memory_store.add(memory("a", "The user has a cat.", minute=1))
    await memory_store.add(memory("c", "The user likes rain.", OTHER))
    assert [m.id for m in await memory_store.list(PAIR)] == ["a", "b"]
    assert [m.id for m in await memory_store.list(PAIR, subject="user.likes")] == ["b"]
    assert await memory_store.get(PAIR, "c") is None
    assert (await memory_store.get(OTHER, "c")) == memory("c", "The user likes rain.", OTHER)


async def test_update_replaces_only_within_the_scope(memory_store: MemoryStore) -> None:
    original = memory("a", "The user has a cat.")
    await memory_store.add(original)
    changed = replace(original, text="The user has two cats.")
    await memory_store.update(changed)
    assert await memory_store.get(PAIR, "a") == changed
    with pytest.raises(NotFound):
        await memory_store.update(replace(changed, scope=OTHER))
    with pytest.raises(NotFound):
        await memory_store.update(memory("zzz", "The user has a cat."))


async def test_delete_and_clear_remove_for_good(memory_store: MemoryStore) -> None:
    await memory_store.add(memory("a", "The user has a cat."))
    await memory_store.add(memory("b", "The user likes tea."))
    await memory_store.add(memory("c", "The user likes rain.", OTHER))
    assert not await memory_store.delete(OTHER, "a")
    assert await memory_store.delete(PAIR, "a")
    assert not await memory_store.delete(PAIR, "a")
    assert [m.id for m in await memory_store.list(PAIR)] == ["b"]
    summary = RelationshipSummary("{{char}} and {{user}} have just met.", 1, START)
    await memory_store.set_summary(PAIR, summary)
    assert await memory_store.get_summary(PAIR) == summary
    assert await memory_store.clear(PAIR) == 1
    assert await memory_store.list(PAIR) == [] and await memory_store.get_summary(PAIR) is None
    assert [m.id for m in await memory_store.list(OTHER)] == ["c"]


async def test_search_ranks_by_cosine_within_the_scope(memory_store: MemoryStore) -> None:
    await memory_store.add(memory("cat", "The user has a cat named Tom."))
    await memory_store.add(memory("tea", "The user likes green tea."))
    await memory_store.add(memory("other", "The user has a cat named Tom.", OTHER))
    query = HashingEmbedder(dimensions=32).vector("a cat named Tom")
    results = await memory_store.search(PAIR, query, limit=5)
    assert [m.id for m, _ in results] == ["cat", "tea"]
    assert results[0][1] > results[1][1]
    assert len(await memory_store.search(PAIR, query, limit=1)) == 1


async def test_the_hashing_embedder_is_deterministic_unit_length_and_word_sensitive() -> None:
    embed = HashingEmbedder()
    first, again, related, unrelated, empty = await embed(
        ["The user has two dogs.", "The user has two dogs.", "my dog", "jazz piano", "the"]
    )
    assert first == again and len(first) == 256
    assert sum(v * v for v in first) == pytest.approx(1.0)
    dot = sum(a * b for a, b in zip(first, related, strict=True))
    assert dot > sum(a * b for a, b in zip(first, unrelated, strict=True)) + 0.2
    assert not any(empty)
