"""A conversation through `CompanionMemory` with real embeddings, and the prompt section it
produces for the prompt assembler."""

from __future__ import annotations

from reef.companion.memory import (
    CombinedExtractor,
    CompanionMemory,
    Exchange,
    InMemoryMemoryStore,
    MemoryScope,
    RuleExtractor,
    default_extractor,
)
from reef.companion.memory.types import EmbedFn
from reef.companion.prompt.sections import Names, context_section
from reef.settings import MemorySettings
from tests.companion.memory.support import ScriptedCompletion, words

TURNS = [
    ("Hi! I'm Sam.", "Hello Sam, I'm Mira."),
    ("I have a dog named Rex and I live in Oslo.", "Rex! What a name."),
    ("I love jazz, hiking and old films.", "We should watch one together."),
    ("What's the weather like where you are?", "Always windy at the lighthouse."),
]


async def test_a_conversation_is_remembered_and_recalled_where_relevant(
    store: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> None:
    memory = CompanionMemory(store, minilm_embed, words)
    for message, reply in TURNS:
        await memory.observe(scope, Exchange(message, reply, "Mira", "Sam"))
    assert len(await memory.list_memories(scope)) == 6

    lines = await memory.context_lines(scope, "Rex keeps barking at the neighbours")
    summary = await memory.summary(scope)
    assert summary is not None and summary.exchanges == 4
    assert lines == [summary.text, "{{user}}'s name is Sam.", "{{user}} has a dog named Rex."]

    observed = await memory.observe(scope, Exchange("I don't have a dog anymore.", "Oh, Sam."))
    assert [op.event for op in observed.operations] == ["DELETE"]
    lines = await memory.context_lines(scope, "Rex keeps barking at the neighbours")
    assert not any("Rex" in line for line in lines)

    rendered = context_section(lines, "Mira currently feels sad.", Names("Mira", "Sam"))
    assert "Sam's name is Sam." in rendered and "{{" not in rendered


async def test_the_summary_and_recalls_share_the_token_budget(
    store: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> None:
    memory = CompanionMemory(store, minilm_embed, words)
    for message, reply in TURNS:
        await memory.observe(scope, Exchange(message, reply))
    summary = await memory.summary(scope)
    assert summary is not None
    budget = words(summary.text) + 5
    lines = await memory.context_lines(scope, "How is Rex?", token_budget=budget)
    assert lines == [summary.text, "{{user}}'s name is Sam."]
    assert sum(words(line) for line in lines) <= budget
    small = await memory.context_lines(scope, "How is Rex?", token_budget=10)
    assert small == ["{{user}}'s name is Sam.", "{{user}} has a dog named Rex."]


def test_default_extractor_uses_the_model_only_when_asked() -> None:
    complete = ScriptedCompletion()
    assert isinstance(default_extractor(complete, use_llm=False), RuleExtractor)
    assert isinstance(default_extractor(None, use_llm=True), RuleExtractor)
    assert isinstance(default_extractor(complete, use_llm=True), CombinedExtractor)


async def test_observe_routes_user_facts_to_the_profile_when_shared(
    store: InMemoryMemoryStore, scope: MemoryScope, minilm_embed: EmbedFn
) -> None:
    memory = CompanionMemory(
        store, minilm_embed, words, settings=MemorySettings(share_profile=True)
    )
    observed = await memory.observe(scope, Exchange("My name is Sam. I love you.", "Oh!"))
    assert [op.event for op in observed.operations] == ["ADD", "ADD"]
    assert [m.subject for m in await store.list(scope)] == ["relationship.affection"]
    assert [m.subject for m in await store.list(scope.profile())] == ["user.name"]
    assert "{{user}} told {{char}} that they love {{char}}." in observed.summary.text
