"""The typed inputs and outputs of companion prompt assembly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from reef.companion.lore.book import FiredLore

ChatRole = Literal["user", "assistant", "system"]
ChatMessage = dict[str, str]


@dataclass(frozen=True)
class ChatTurn:
    """One stored chat message. `name` says who spoke: needed for characters in group chats,
    optional for the user (defaults to the user's name)."""

    role: ChatRole
    content: str
    name: str | None = None


SectionName = Literal["system", "lore", "examples", "memories", "mood", "history", "post_history"]


@dataclass(frozen=True)
class PromptSection:
    """How many tokens (the model's tokenizer, text alone) one part of the prompt took.

    `system` is the system prompt, the character's definition and (in groups) the other
    participants; `lore` every fired entry wherever it was placed; `history` the greeting and
    the chat kept. Role markers and separators are not counted here.
    """

    name: SectionName
    tokens: int


@dataclass(frozen=True)
class AssembledPrompt:
    """OpenAI-style messages ready for the engine, and what went into them.

    `messages[:prefix_messages]` is the stable prefix: byte-identical from turn to turn while
    the card, the fired lore and the kept example blocks do not change, so an engine's prefix
    cache can reuse it.
    """

    messages: list[ChatMessage]
    token_count: int
    dropped_examples: int
    included_history: int
    fired_lore: list[FiredLore] = field(default_factory=list)
    greeting_included: bool = False
    prefix_messages: int = 1
    sections: list[PromptSection] = field(default_factory=list)
    lore_left_out: list[FiredLore] = field(default_factory=list)
    lore_budget: int = 0
