"""Reconciliation: ADD, UPDATE with history, DELETE and NONE, keyed and unkeyed."""

from __future__ import annotations

from datetime import timedelta

from reef.companion.memory import (
    HashingEmbedder,
    InMemoryMemoryStore,
    MemoryScope,
    Reconciler,
    RuleExtractor,
)
from reef.companion.memory.types import CandidateFact, MemoryOperation
from reef.errors import Overloaded
from reef.settings import MemorySettings
from tests.companion.memory.support import ManualClock, ScriptedCompletion


def events(operations: list[MemoryOperation]) -> list[str]:
    return [op.event for op in operations]


class Conversation:
    """Rule extraction plus reconciliation, one user message at a time."""

    def __init__(self, reconciler: Reconciler, scope: MemoryScope) -> None:
        self.reconciler = reconciler
        self.scope = scope
        self.rules = RuleExtractor()

    async def say(self, message: str) -> list[MemoryOperation]:
        return await self.reconciler.apply(self.scope, self.rules.extract_text(message))


def conversation(
    store: InMemoryMemoryStore,
    scope: MemoryScope,
    clock: ManualClock,
    **settings: object,
) -> Conversation:
    reconciler = Reconciler(
        store, HashingEmbedder(), settings=MemorySettings(**settings), clock=clock
    )
    return Conversation(reconciler, scope)


async def test_new_facts_are_added_and_repeats_are_none(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    added = await chat.say("My name is Sam and I have a dog named Rex.")
    assert events(added) == ["ADD", "ADD"]
    assert events(await chat.say("my name is sam. I have a dog named Rex!")) == ["NONE", "NONE"]
    memories = await store.list(scope)
    assert [m.text for m in memories] == [
        "The user's name is Sam.",
        "The user has a dog named Rex.",
    ]
    assert {m.id for m in memories} == {op.memory_id for op in added}
    assert all(m.embedding and len(m.embedding) == 256 for m in memories)


async def test_single_valued_fact_updates_in_place_keeping_dated_history(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    (first,) = await chat.say("I live in Paris.")
    created = clock.now
    clock.advance(days=30)
    (second,) = await chat.say("Actually, I moved to Berlin.")
    clock.advance(days=400)
    (third,) = await chat.say("I live in Lisbon now")

    assert (second.event, third.event) == ("UPDATE", "UPDATE")
    assert first.memory_id == second.memory_id == third.memory_id
    assert second.previous_text == "The user lives in Paris."
    (memory,) = await store.list(scope)
    assert (memory.text, memory.value) == ("The user lives in Lisbon.", "Lisbon")
    assert [(h.value, h.valid_from, h.replaced_at) for h in memory.history] == [
        ("Paris", created, created + timedelta(days=30)),
        ("Berlin", created + timedelta(days=30), created + timedelta(days=430)),
    ]
    assert memory.created_at == created and memory.updated_at == clock.now


async def test_history_is_bounded(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock, max_history=2)
    for age in (20, 21, 22, 23):
        clock.advance(days=365)
        await chat.say(f"I'm {age} years old")
    (memory,) = await store.list(scope)
    assert memory.value == "23"
    assert [h.value for h in memory.history] == ["21", "22"]


async def test_retraction_deletes_for_real(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    (added,) = await chat.say("I have a dog named Rex")
    await chat.say("I love jazz")
    (deleted,) = await chat.say("I don't have a dog anymore")

    assert (deleted.event, deleted.memory_id) == ("DELETE", added.memory_id)
    assert deleted.text == "The user has a dog named Rex."
    assert await store.get(scope, added.memory_id or "") is None
    assert [m.text for m in await store.list(scope)] == ["The user loves jazz."]
    assert events(await chat.say("I don't have a dog anymore")) == ["NONE"]


async def test_retraction_with_a_value_deletes_only_that_value(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    await chat.say("I live in Berlin. I love jazz and I love techno.")
    assert events(await chat.say("I don't live in Paris anymore")) == ["NONE"]
    assert events(await chat.say("I'm not into techno anymore")) == ["DELETE"]
    assert sorted(m.text for m in await store.list(scope)) == [
        "The user lives in Berlin.",
        "The user loves jazz.",
    ]


async def test_a_like_turned_dislike_updates_the_same_memory(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    (liked,) = await chat.say("I love olives")
    await chat.say("I love jazz")
    (changed,) = await chat.say("I hate olives")
    assert (changed.event, changed.memory_id) == ("UPDATE", liked.memory_id)
    memory = await store.get(scope, liked.memory_id or "")
    assert memory is not None
    assert (memory.subject, memory.text) == ("user.dislikes", "The user hates olives.")
    assert memory.history[0].subject == "user.likes"
    assert len(await store.list(scope, subject="user.likes")) == 1


async def test_multi_valued_facts_accumulate(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    await chat.say("I love jazz")
    await chat.say("I enjoy hiking, climbing and chess")
    await chat.say("I like Jazz")
    likes = await store.list(scope, subject="user.likes")
    assert sorted(m.value or "" for m in likes) == ["chess", "climbing", "hiking", "jazz"]


async def test_a_less_specific_fact_keeps_the_detail_and_a_named_pet_refines_it(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    chat = conversation(store, scope, clock)
    assert events(await chat.say("I have a dog")) == ["ADD"]
    (named,) = await chat.say("My dog is called Rex")
    assert named.event == "UPDATE"
    assert events(await chat.say("I have a dog")) == ["NONE"]
    (memory,) = await store.list(scope)
    assert memory.text == "The user has a dog named Rex."


async def test_unkeyed_facts_add_and_exact_repeats_are_none(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    reconciler = Reconciler(store, HashingEmbedder(), clock=clock)
    fact = CandidateFact("The user is training for a marathon in October.", source="llm")
    assert events(await reconciler.apply(scope, [fact])) == ["ADD"]
    assert events(await reconciler.apply(scope, [fact])) == ["NONE"]
    retraction = CandidateFact("The user stopped training.", negated=True, source="llm")
    assert events(await reconciler.apply(scope, [retraction])) == ["NONE"]
    assert len(await store.list(scope)) == 1


async def test_related_unkeyed_facts_go_to_the_arbiter(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    marathon = CandidateFact("The user is training for a marathon in October.", source="llm")
    complete = ScriptedCompletion(
        {"event": "UPDATE", "target": 0, "text": "The user is training for a marathon in May."},
        {"event": "DELETE", "target": 0, "text": ""},
    )
    settings = MemorySettings(related_similarity=0.25)
    reconciler = Reconciler(
        store, HashingEmbedder(), complete=complete, settings=settings, clock=clock
    )
    (added,) = await reconciler.apply(scope, [marathon])
    moved = CandidateFact("The user's marathon moved to May.", source="llm")
    (updated,) = await reconciler.apply(scope, [moved])

    assert (updated.event, updated.memory_id) == ("UPDATE", added.memory_id)
    (memory,) = await store.list(scope)
    assert memory.text == "The user is training for a marathon in May."
    assert memory.history[0].text == marathon.text
    prompt = complete.calls[0][0][0]["content"]
    assert "0: The user is training for a marathon in October." in prompt
    assert "The user's marathon moved to May." in prompt
    assert complete.calls[0][1]["properties"]["target"]["maximum"] == 0

    cancelled = CandidateFact("The user cancelled the marathon.", negated=True, source="llm")
    (deleted,) = await reconciler.apply(scope, [cancelled])
    assert (deleted.event, deleted.memory_id) == ("DELETE", added.memory_id)
    assert await store.list(scope) == []


async def test_unusable_or_failed_arbitration_falls_back_safely(
    store: InMemoryMemoryStore, scope: MemoryScope, clock: ManualClock
) -> None:
    complete = ScriptedCompletion(
        {"event": "UPDATE", "target": 7, "text": "The user runs."},  # no memory 7
        {"event": "MERGE", "target": 0, "text": ""},
        Overloaded("busy"),
        {"event": "ADD", "target": 0, "text": ""},  # ADD makes no sense for a retraction
    )
    settings = MemorySettings(related_similarity=0.3)
    reconciler = Reconciler(
        store, HashingEmbedder(), complete=complete, settings=settings, clock=clock
    )
    await reconciler.apply(scope, [CandidateFact("The user is training for a marathon.")])
    variants = [
        "The user is training hard for a marathon.",
        "The user is training for a marathon with a friend.",
        "The user is training for a spring marathon.",
    ]
    for text in variants:
        assert events(await reconciler.apply(scope, [CandidateFact(text)])) == ["ADD"]
    stop = CandidateFact("The user is no longer training for a marathon.", negated=True)
    assert events(await reconciler.apply(scope, [stop])) == ["NONE"]
    assert len(await store.list(scope)) == 4
    assert len(complete.calls) == 4
