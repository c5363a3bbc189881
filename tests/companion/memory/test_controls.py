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
from reef.companion.memory.controls import derived_value
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
    # "Rex" is no longer in the text, which does not fit "...a dog named <value>" either.
    assert changed is not None and changed.value == "The user has a cat named Tom."
    explicit = await memory.correct(scope, memory_id, "The user has a cat named Tom.", value="Tom")
    assert explicit.event == "UPDATE"
    assert (await store.get(scope, memory_id)).value == "Tom"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("old_text", "old_value", "new_text", "value"),
    [
        # The old value is still named: kept (as a word, "Rex" is not in "Rexy").
        ("The user has a dog named Rex.", "Rex", "The user has a dog named Rex, a beagle.", "Rex"),
        ("The user has a dog named Rex.", "Rex", "The user has a dog named rex", "Rex"),
        # The same sentence with the value swapped: the replacement.
        ("The user has a dog named Rex.", "Rex", "The user has a dog named Rexy.", "Rexy"),
        ("The user lives in Paris.", "Paris", "The user lives in New York", "New York"),
        (
            "The user works as a nurse.",
            "nurse",
            "the user works as a ship's doctor!",
            "ship's doctor",
        ),
        # Anything else: the text is the fact.
        (
            "The user loves jazz.",
            "jazz",
            "The user now prefers opera.",
            "The user now prefers opera.",
        ),
        ("The user lives in Paris.", "Paris", "The user lives in.", "The user lives in."),
    ],
)
def test_a_text_only_correction_keeps_or_derives_the_value(
    old_text: str, old_value: str, new_text: str, value: str
) -> None:
    assert derived_value(old_text, old_value, new_text) == value


async def test_the_summary_keeps_a_fact_corrected_with_text_only(
    memory: CompanionMemory, store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    said = "I live in Paris. I love jazz. I work as a nurse. My sister's name is Ana."
    await memory.observe(scope, Exchange(said, ""))
    found = {m.subject: m for m in await store.list(scope)}
    summary = await memory.summary(scope)
    assert summary is not None
    for fact in ("lives in Paris", "likes jazz", "a nurse", "sister Ana"):
        assert fact in summary.text, (fact, summary.text)

    corrections = {
        "user.location": "The user lives in Lisbon.",
        "user.likes": "The user now prefers fado to anything else.",
        "user.occupation": "The user is a midwife.",
        "user.sister.name": "The user's sister is Anabela Costa, a painter.",
    }
    for subject, text in corrections.items():
        await memory.correct(scope, found[subject].id, text)
    values = {m.subject: m.value for m in await store.list(scope)}
    assert values == {
        "user.location": "Lisbon",
        "user.likes": "The user now prefers fado to anything else.",
        "user.occupation": "midwife",
        "user.sister.name": "The user's sister is Anabela Costa, a painter.",
    }
    summary = await memory.summary(scope)
    assert summary is not None
    for fact in (
        "lives in Lisbon",
        "a midwife",
        "{{user}} now prefers fado to anything else.",
        "{{user}}'s sister is Anabela Costa, a painter.",
    ):
        assert fact in summary.text, (fact, summary.text)
    for stale in ("Paris", "jazz", "nurse", "sister Ana", "likes The user"):
        assert stale not in summary.text, (stale, summary.text)


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
