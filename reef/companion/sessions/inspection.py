"""What went into one reply's prompt, kept with the reply so a person can see why a character
said what it said: which lore entries fired (and which the lore budget left out), which
memories were recalled and how strongly, how many tokens each part of the prompt took, and what
the engine reported (prompt, cached and completion tokens, the model that answered).

It is stored inside the reply's swipe (the message's JSON `swipes`), so every alternative keeps
its own and no table changes. Pydantic models, because they are both the stored form and the
API's response schema (`http.responses.PromptInspection`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from reef.companion.cards.macros import apply_macros
from reef.companion.lore.book import FiredLore
from reef.companion.memory import MemoryContext, ScoredMemory, render_line
from reef.companion.prompt.types import AssembledPrompt
from reef.engine.protocol import Usage

FORMATTING = "formatting"
SCORE_DIGITS = 4


class LoreHit(BaseModel):
    """One lorebook entry that fired."""

    index: int = Field(
        description="its position in the lore scanned: the card's own entries, then its world "
        "books'"
    )
    entry_id: int | str | None = Field(None, description="the entry's own `id`, if it has one")
    label: str = Field(description="its name, else comment, else first key")
    comment: str | None = None
    matched_keys: list[str] = Field(description="keys found in the chat (none when constant)")
    trigger: Literal["constant", "key", "recursion"]
    position: Literal["before_char", "after_char", "at_depth"]
    depth: int
    role: Literal["system", "user", "assistant"]
    insertion_order: float
    tokens: int


class RecalledMemory(BaseModel):
    """One memory that entered the prompt, and the evidence that recalled it (each in 0..1)."""

    id: str
    text: str = Field(description="as the prompt showed it, names filled in")
    score: float = Field(description="relevance: 1 - (1-semantic)(1-keyword)(1-entity)")
    semantic: float
    keyword: float
    entity: float
    pinned: bool = Field(description="always recalled (e.g. the user's name)")
    shared: bool = Field(description="from the user's profile shared by every character")


class SectionTokens(BaseModel):
    name: str = Field(
        description="system, lore, examples, memories, mood, history, post_history, or "
        "formatting (role markers, separators and the chat template: the rest of prompt_tokens)"
    )
    tokens: int


class Inspection(BaseModel):
    """The stored inspection of one swipe."""

    model: str = Field(description="the model that wrote the reply")
    character_id: str
    sections: list[SectionTokens]
    lore: list[LoreHit] = Field(description="fired entries in the prompt, in insertion order")
    lore_left_out: list[LoreHit] = Field(description="fired, but over the lore token budget")
    lore_budget: int
    memories: list[RecalledMemory]
    summary: str | None = Field(None, description="the relationship summary, when it fit")
    estimated_prompt_tokens: int = Field(description="Reef's count when fitting the prompt")
    prompt_tokens: int = Field(description="as the engine reported it")
    cached_tokens: int = Field(description="prompt tokens the engine reused from its cache")
    completion_tokens: int
    max_tokens: int
    context_window: int
    dropped_examples: int
    included_history: int = Field(description="stored messages that fit in the prompt")


def lore_hit(item: FiredLore) -> LoreHit:
    return LoreHit(
        index=item.index,
        entry_id=item.entry_id,
        label=item.label,
        comment=item.comment,
        matched_keys=list(item.matched_keys),
        trigger=item.trigger,
        position=item.position,
        depth=item.depth,
        role=item.role,
        insertion_order=item.insertion_order,
        tokens=item.tokens,
    )


def recalled_memory(scored: ScoredMemory, char: str, user: str) -> RecalledMemory:
    memory = scored.memory
    return RecalledMemory(
        id=memory.id,
        text=apply_macros(render_line(memory), char=char, user=user),
        score=round(scored.relevance, SCORE_DIGITS),
        semantic=round(scored.semantic, SCORE_DIGITS),
        keyword=round(scored.keyword, SCORE_DIGITS),
        entity=round(scored.entity, SCORE_DIGITS),
        pinned=scored.pinned,
        shared=memory.scope.is_profile,
    )


def inspect_turn(
    prompt: AssembledPrompt,
    recalled: MemoryContext,
    *,
    character_id: str,
    char: str,
    user: str,
    model: str,
    usage: Usage,
    max_tokens: int,
    context_window: int,
) -> Inspection:
    """The inspection of a finished reply: the prompt as fitted plus the engine's usage."""
    sections = [SectionTokens(name=s.name, tokens=s.tokens) for s in prompt.sections]
    counted = sum(section.tokens for section in sections)
    sections.append(SectionTokens(name=FORMATTING, tokens=max(usage.prompt_tokens - counted, 0)))
    summary = apply_macros(recalled.summary, char=char, user=user) if recalled.summary else None
    return Inspection(
        model=model,
        character_id=character_id,
        sections=sections,
        lore=[lore_hit(item) for item in prompt.fired_lore],
        lore_left_out=[lore_hit(item) for item in prompt.lore_left_out],
        lore_budget=prompt.lore_budget,
        memories=[recalled_memory(scored, char, user) for scored in recalled.recalled],
        summary=summary,
        estimated_prompt_tokens=prompt.token_count,
        prompt_tokens=usage.prompt_tokens,
        cached_tokens=usage.cached_tokens,
        completion_tokens=usage.completion_tokens,
        max_tokens=max_tokens,
        context_window=context_window,
        dropped_examples=prompt.dropped_examples,
        included_history=prompt.included_history,
    )


def no_memories() -> MemoryContext:
    return MemoryContext([], None, [])
