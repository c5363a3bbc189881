"""Recall: relevant memories in, irrelevant ones out, each evidence channel on its own, the
token budget, top-k and pinned core facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reef.companion.memory import (
    HashingEmbedder,
    InMemoryMemoryStore,
    Memory,
    MemoryScope,
    Retriever,
)
from reef.companion.memory.types import EmbedFn
from reef.settings import MemorySettings
from tests.companion.memory.support import remember, words

LIFE = (
    "My name is Sam.",
    "I have a dog named Rex.",
    "I live in Berlin.",
    "I love jazz.",
    "I work as a nurse.",
    "My sister is called Anna.",
    "I'm allergic to peanuts.",
    "My favourite food is sushi.",
    "I hate cold weather.",
    "I speak French.",
)


@pytest.fixture
async def life(
    store: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> InMemoryMemoryStore:
    await remember(store, minilm_embed, scope, *LIFE)
    return store


def retriever(store: InMemoryMemoryStore, embed: EmbedFn, **settings: object) -> Retriever:
    return Retriever(store, embed, words, MemorySettings(**settings))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Tell me about your pets!", ["{{user}} has a dog named Rex."]),
        ("Rex has been coughing all night", ["{{user}} has a dog named Rex."]),
        ("I had a fight with my sister", ["{{user}}'s sister is called Anna."]),
        ("Do you know where I live?", ["{{user}} lives in Berlin."]),
        ("It's freezing outside today", ["{{user}} hates cold weather."]),
        ("Let's bake cookies with nuts", ["{{user}} is allergic to peanuts."]),
        ("What do you think about quantum physics?", []),
        ("hello", []),
    ],
)
async def test_only_relevant_memories_are_recalled(
    life: InMemoryMemoryStore,
    scope: MemoryScope,
    minilm_embed: EmbedFn,
    query: str,
    expected: list[str],
) -> None:
    recall = await retriever(life, minilm_embed).recall([scope], query)
    # the user's name is a pinned core fact: always first, whatever the query
    assert recall.lines == ["{{user}}'s name is Sam.", *expected]
    assert recall.tokens == sum(words(line) for line in recall.lines)


async def test_an_embedding_only_match(
    life: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> None:
    scored = await retriever(life, minilm_embed).score([scope], "It's freezing outside today")
    best = max(scored, key=lambda s: s.relevance)
    assert best.memory.text == "The user hates cold weather."
    assert (best.keyword, best.entity) == (0.0, 0.0) and best.semantic > 0.35


async def test_a_keyword_only_match(store: InMemoryMemoryStore, scope: MemoryScope) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    texts = [
        "The user's hamster is called Biscuit.",
        "The user collects vinyl records.",
        "The user is learning the cello.",
    ]
    for index, text in enumerate(texts):
        await store.add(Memory(f"m{index}", scope, text, None, None, None, now, now))
    # no embeddings and no entity evidence: only the words can match
    found = retriever(store, HashingEmbedder(), entity_evidence=0.0)
    recall = await found.recall([scope], "Biscuit chewed through the charger again")
    assert recall.lines == ["{{user}}'s hamster is called Biscuit."]
    (hit,) = recall.memories
    assert hit.semantic == 0.0 and hit.entity == 0.0 and hit.keyword >= 0.35


async def test_an_entity_match_on_the_subject(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    embed = HashingEmbedder()
    await remember(store, embed, scope, "My brother is called Luca.", "I love chess.")
    recall = await retriever(store, embed).recall([scope], "Family dinner tonight, wish me luck")
    assert recall.lines == ["{{user}}'s brother is called Luca."]
    assert recall.memories[0].entity == 0.6 and recall.memories[0].keyword == 0.0


async def test_budget_top_k_and_pins_are_configurable(
    life: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> None:
    query = "Rex stole my sushi while I was on the phone with my sister"
    full = await retriever(life, minilm_embed).recall([scope], query)
    assert full.lines[0] == "{{user}}'s name is Sam."
    assert set(full.lines[1:]) == {
        "{{user}} has a dog named Rex.",
        "{{user}}'s favourite food is sushi.",
        "{{user}}'s sister is called Anna.",
    }
    top_one = await retriever(life, minilm_embed, top_k=1).recall([scope], query)
    assert top_one.lines[0] == full.lines[0] and len(top_one.lines) == 2
    assert top_one.lines[1] in full.lines[1:]
    tight = await retriever(life, minilm_embed).recall([scope], query, token_budget=11)
    assert tight.lines == top_one.lines and tight.tokens <= 11
    unpinned = await retriever(life, minilm_embed, pinned_subjects=[]).recall([scope], "hello")
    assert unpinned.lines == []
    strict = await retriever(life, minilm_embed, relevance_threshold=1.0).recall([scope], query)
    assert strict.lines == ["{{user}}'s name is Sam."]


async def test_recalled_memories_are_listed_in_stored_order_not_by_score(
    life: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> None:
    # The sister scores higher than the dog for this query, yet the dog was stored first: a
    # fixed order keeps the prompt's memory section byte-identical while the set is the same.
    recall = await retriever(life, minilm_embed).recall(
        [scope], "I argued with my sister Anna about the dog"
    )
    by_score = sorted(recall.memories, key=lambda s: -s.relevance)
    assert by_score[0].memory.text == "The user's sister is called Anna."
    assert recall.lines == [
        "{{user}}'s name is Sam.",
        "{{user}} has a dog named Rex.",
        "{{user}}'s sister is called Anna.",
    ]


async def test_nothing_stored_recalls_nothing(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    recall = await retriever(store, HashingEmbedder()).recall([scope], "Tell me about my dog")
    assert (recall.lines, recall.memories, recall.tokens) == ([], [], 0)
