"""The relationship summary: built from facts, bounded, optionally narrated by a model."""

from __future__ import annotations

import pytest

from reef.companion.memory import (
    CompanionMemory,
    Exchange,
    HashingEmbedder,
    InMemoryMemoryStore,
    MemoryScope,
    RelationshipSummarizer,
)
from reef.companion.memory.summary import bounded, how_long_they_have_talked
from reef.errors import Overloaded
from reef.settings import MemorySettings
from tests.companion.memory.support import ScriptedCompletion, remember, words

INTRODUCTION = (
    "I'm 29 years old and I work as a nurse. I live in Oslo. I love jazz and I hate "
    "cold weather. My sister is called Anna and I have a dog named Rex. You're my best friend."
)


async def test_facts_summary_names_who_the_user_is(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    memory = CompanionMemory(store, HashingEmbedder(), words)
    first = await memory.observe(scope, Exchange(INTRODUCTION, "Aw, Sam!"))
    assert first.summary.exchanges == 1
    assert first.summary.text == (
        "{{char}} and {{user}} have just met. "
        "{{user}}: 29 years old, a nurse, lives in Oslo. "
        "{{user}} likes jazz; dislikes cold weather. "
        "Family, friends and pets: sister Anna; a dog named Rex. "
        "{{user}} calls {{char}} their best friend."
    )
    second = await memory.observe(scope, Exchange("Actually, I moved to Bergen.", "Oh!"))
    assert second.summary.exchanges == 2
    assert "have talked a few times" in second.summary.text
    assert "lives in Bergen" in second.summary.text and "Oslo" not in second.summary.text
    assert await memory.summary(scope) == second.summary


async def test_summary_is_bounded_to_whole_sentences(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    settings = MemorySettings(summary_max_chars=120)
    memory = CompanionMemory(store, HashingEmbedder(), words, settings=settings)
    observed = await memory.observe(scope, Exchange(INTRODUCTION, ""))
    assert len(observed.summary.text) <= 120
    assert observed.summary.text.endswith(".")
    assert observed.summary.text.startswith("{{char}} and {{user}} have just met.")
    assert bounded(["x" * 50 + " tail"], 20).endswith("…")
    assert len(bounded(["x" * 50 + " tail"], 20)) <= 20


async def test_the_model_narrates_every_n_exchanges_and_the_narrative_is_kept(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    embed = HashingEmbedder()
    await remember(store, embed, scope, "I have a dog named Rex.")
    complete = ScriptedCompletion(
        {"summary": "{{user}} and {{char}} talk most evenings. They share a love of dogs."},
        {"summary": "{{user}} trusts {{char}} with worries about work."},
    )
    settings = MemorySettings(llm_summary_every=2)
    summarizer = RelationshipSummarizer(store, complete=complete, settings=settings)
    memories = await store.list(scope)
    exchange = Exchange("Rex chewed my shoes again", "Oh no, Rex!")

    first = await summarizer.update(scope, memories, exchange)  # no narrative yet: write one
    assert first.narrative.startswith("{{user}} and {{char}} talk most evenings.")
    assert first.text.startswith(first.narrative)
    assert "a dog named Rex" in first.text
    second = await summarizer.update(scope, memories, exchange)  # 2nd: rewrite
    assert second.narrative == "{{user}} trusts {{char}} with worries about work."
    third = await summarizer.update(scope, memories, exchange)  # 3rd: keep it
    assert third.narrative == second.narrative and len(complete.calls) == 2

    prompt = complete.calls[1][0][0]["content"]
    assert "Previous summary: {{user}} and {{char}} talk most evenings." in prompt
    assert "- {{user}} has a dog named Rex." in prompt
    assert "{{user}}: Rex chewed my shoes again" in prompt
    schema = complete.calls[1][1]
    assert schema["properties"]["summary"]["maxLength"] == settings.summary_max_chars // 2


async def test_a_failed_or_empty_narration_falls_back_to_facts(
    store: InMemoryMemoryStore, scope: MemoryScope
) -> None:
    await remember(store, HashingEmbedder(), scope, "I love jazz.")
    complete = ScriptedCompletion(Overloaded("busy"), {"summary": "   "}, {"nothing": 1})
    summarizer = RelationshipSummarizer(
        store, complete=complete, settings=MemorySettings(llm_summary_every=1)
    )
    memories = await store.list(scope)
    for _ in range(3):
        summary = await summarizer.update(scope, memories, Exchange("hi", "hello"))
        assert summary.narrative == ""
        assert "{{user}} likes jazz." in summary.text
    assert len(complete.calls) == 3


@pytest.mark.parametrize(
    ("exchanges", "phrase"),
    [
        (1, "have just met"),
        (2, "have talked a few times"),
        (10, "have talked a few times"),
        (11, "have talked many times"),
        (101, "know each other well"),
    ],
)
def test_the_opening_changes_only_between_bands(exchanges: int, phrase: str) -> None:
    assert how_long_they_have_talked(exchanges) == f"{{{{char}}}} and {{{{user}}}} {phrase}."
