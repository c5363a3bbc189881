"""End-user controls: list, correct (with history), delete (for real), forget everything."""

from __future__ import annotations

import pytest

from reef.companion.memory import (
    CompanionMemory,
    Exchange,
    HashingEmbedder,
    InMemoryMemoryStore,
    MemoryScope,
)
from reef.companion.memory.store import cosine
from reef.errors import InvalidRequest, NotFound
from reef.settings import MemorySettings
from tests.companion.memory.support import ManualClock, words


@pytest.fixture
def memory(store: InMemoryMemoryStore, clock: ManualClock) -> CompanionMemory:
    return CompanionMemory(store, HashingEmbedder(), words, clock=clock)


async def test_listing_shows_what_is_remembered_with_its_history(
    memory: CompanionMemory, scope: MemoryScope, clock: ManualClock
) -> None:
    await memory.observe(scope, Exchange("I live in Paris. I love jazz.", "Lovely!"))
    clock.advance(days=3)
    await memory.observe(scope, Exchange("Actually I moved to Rome.", "Exciting!"))
    listed = [m.to_dict() for m in await memory.list_memories(scope)]
    assert [(m["text"], m["subject"], m["value"]) for m in listed] == [
        ("The user lives in Rome.", "user.location", "Rome"),
        ("The user loves jazz.", "user.likes", "jazz"),
    ]
    assert [h["text"] for h in listed[0]["history"]] == ["The user lives in Paris."]
    assert listed[0]["user_id"] == "org1:alice" and listed[0]["character_id"] == "mira"
    assert "embedding" not in listed[0]


async def test_a_correction_is_an_update_with_history_and_a_new_embedding(
    memory: CompanionMemory, store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    (op,) = (await memory.observe(scope, Exchange("I have a dog named Rex", ""))).operations
    memory_id = op.memory_id or ""
    before = await store.get(scope, memory_id)
    clock.advance(hours=2)

    corrected = await memory.correct(scope, memory_id, "The user has a dog named  Rex, a beagle.")
    assert (corrected.event, corrected.previous_text) == ("UPDATE", "The user has a dog named Rex.")
    after = await store.get(scope, memory_id)
    assert before is not None and after is not None
    assert after.text == "The user has a dog named Rex, a beagle."
    assert (after.subject, after.value, after.source) == ("user.pet.dog", "Rex", "user")
    assert (
        after.history[-1].text == before.text
        and after.history[-1].reason == "corrected by the user"
    )
    assert after.updated_at == clock.now
    assert after.embedding and before.embedding
    assert cosine(after.embedding, before.embedding) < 0.99

    await memory.correct(scope, memory_id, "The user has a cat named Tom.")
    changed = await store.get(scope, memory_id)
    assert changed is not None and changed.value is None  # "Rex" no longer in the text
    explicit = await memory.correct(scope, memory_id, "The user has a cat named Tom.", value="Tom")
    assert explicit.event == "UPDATE"
    assert (await store.get(scope, memory_id)).value == "Tom"  # type: ignore[union-attr]


async def test_bad_corrections_change_nothing(
    memory: CompanionMemory, store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    (op,) = (await memory.observe(scope, Exchange("I love jazz", ""))).operations
    memory_id = op.memory_id or ""
    with pytest.raises(InvalidRequest, match="needs some text"):
        await memory.correct(scope, memory_id, "   ")
    with pytest.raises(InvalidRequest, match="at most 200 characters"):
        await memory.correct(scope, memory_id, "x" * 201)
    with pytest.raises(NotFound) as missing:
        await memory.correct(scope, "no-such-id", "The user loves opera.")
    assert missing.value.code == "memory_not_found" and missing.value.param == "memory_id"
    (kept,) = await store.list(scope)
    assert (kept.text, kept.history) == ("The user loves jazz.", ())


async def test_delete_is_real(
    memory: CompanionMemory, store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    observed = await memory.observe(scope, Exchange("I have a dog named Rex. I love jazz.", ""))
    dog_id = observed.operations[0].memory_id or ""
    assert "dog named Rex" in observed.summary.text

    deleted = await memory.delete(scope, dog_id)
    assert (deleted.event, deleted.text) == ("DELETE", "The user has a dog named Rex.")
    assert await store.get(scope, dog_id) is None
    assert [m.text for m in await memory.list_memories(scope)] == ["The user loves jazz."]
    assert (await memory.recall(scope, "How is my dog Rex?")).lines == []
    summary = await memory.summary(scope)
    assert summary is not None and "Rex" not in summary.text and "jazz" in summary.text
    with pytest.raises(NotFound):
        await memory.delete(scope, dog_id)


async def test_forget_removes_every_memory_and_the_summary(
    memory: CompanionMemory, store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    await memory.observe(scope, Exchange("I have a dog named Rex. I love jazz.", ""))
    other = MemoryScope("org1:alice", "kai")
    await memory.observe(other, Exchange("I love opera.", ""))
    assert await memory.forget(scope) == 2
    assert await store.list(scope) == [] and await memory.summary(scope) is None
    assert [m.text for m in await store.list(other)] == ["The user loves opera."]


async def test_history_limit_applies_to_corrections(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    memory = CompanionMemory(
        store, HashingEmbedder(), words, settings=MemorySettings(max_history=1)
    )
    (op,) = (await memory.observe(scope, Exchange("I love jazz", ""))).operations
    for text in ("The user loves bebop.", "The user loves swing.", "The user loves blues."):
        await memory.correct(scope, op.memory_id or "", text)
    (kept,) = await store.list(scope)
    assert [h.text for h in kept.history] == ["The user loves swing."]
