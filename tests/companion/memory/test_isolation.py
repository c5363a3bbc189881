"""Memories of one (character, user) pair never reach another; the shared profile reaches
only the same user's characters."""

from __future__ import annotations

import pytest

from reef.companion.memory import (
    CompanionMemory,
    Exchange,
    HashingEmbedder,
    InMemoryMemoryStore,
    MemoryScope,
    Retriever,
)
from reef.companion.memory.controls import correct_memory, delete_memory
from reef.errors import InvalidRequest, NotFound
from reef.settings import MemorySettings
from tests.companion.memory.support import remember, words

ALICE_MIRA = MemoryScope("org1:alice", "mira")
ALICE_KAI = MemoryScope("org1:alice", "kai")
BOB_MIRA = MemoryScope("org1:bob", "mira")
QUERY = "Tell me about my dog and where I live"


async def test_pairs_are_isolated_in_every_read(store: InMemoryMemoryStore) -> None:
    embed = HashingEmbedder()
    await remember(store, embed, ALICE_MIRA, "I have a dog named Rex. I live in Oslo.")
    await remember(store, embed, BOB_MIRA, "I have a dog named Fido. I live in Rome.")
    retriever = Retriever(store, embed, words)

    alice = await retriever.recall([ALICE_MIRA], QUERY)
    assert sorted(alice.lines) == ["{{user}} has a dog named Rex.", "{{user}} lives in Oslo."]
    bob = await retriever.recall([BOB_MIRA], QUERY)
    assert sorted(bob.lines) == ["{{user}} has a dog named Fido.", "{{user}} lives in Rome."]
    assert (await retriever.recall([ALICE_KAI], QUERY)).lines == []
    assert await store.list(ALICE_KAI) == []
    (vector,) = await embed(["dog"])
    assert await store.search(ALICE_KAI, vector, limit=10) == []
    assert {m.scope for m in await store.list(ALICE_MIRA)} == {ALICE_MIRA}


async def test_controls_cannot_reach_into_another_pair(store: InMemoryMemoryStore) -> None:
    embed = HashingEmbedder()
    (added,) = await remember(store, embed, ALICE_MIRA, "I have a dog named Rex.")
    memory_id = added.memory_id or ""
    with pytest.raises(NotFound):
        await delete_memory(store, BOB_MIRA, memory_id)
    with pytest.raises(NotFound):
        await correct_memory(store, embed, ALICE_KAI, memory_id, "The user has a cat.")
    (kept,) = await store.list(ALICE_MIRA)
    assert (kept.id, kept.text) == (memory_id, "The user has a dog named Rex.")


async def test_the_shared_profile_reaches_only_the_same_users_characters(
    store: InMemoryMemoryStore,
) -> None:
    memory = CompanionMemory(
        store, HashingEmbedder(), words, settings=MemorySettings(share_profile=True)
    )
    said = "I have a dog named Rex and I live in Oslo. You're my best friend."
    await memory.observe(ALICE_MIRA, Exchange(said, "Aw, thank you!"))

    profile = [m.text for m in await store.list(ALICE_MIRA.profile())]
    assert profile == ["The user has a dog named Rex.", "The user lives in Oslo."]
    pair = [m.text for m in await store.list(ALICE_MIRA)]
    assert pair == ["The user calls {{char}} their best friend."]

    kai = await memory.recall(ALICE_KAI, QUERY)
    assert sorted(kai.lines) == ["{{user}} has a dog named Rex.", "{{user}} lives in Oslo."]
    kai_friend = await memory.recall(ALICE_KAI, "Am I your best friend?")
    assert kai_friend.lines == []
    assert (await memory.recall(BOB_MIRA, QUERY)).lines == []


async def test_without_sharing_the_profile_is_not_read(store: InMemoryMemoryStore) -> None:
    embed = HashingEmbedder()
    await remember(store, embed, ALICE_MIRA.profile(), "I have a dog named Rex.")
    memory = CompanionMemory(store, embed, words, settings=MemorySettings(share_profile=False))
    assert (await memory.recall(ALICE_MIRA, QUERY)).lines == []


def test_a_scope_needs_a_user() -> None:
    with pytest.raises(InvalidRequest, match="user id"):
        MemoryScope(" ", "mira")
    with pytest.raises(InvalidRequest, match="character_id"):
        MemoryScope("org1:alice", "")
    assert MemoryScope("org1:alice").is_profile
    assert ALICE_MIRA.profile() == MemoryScope("org1:alice")
