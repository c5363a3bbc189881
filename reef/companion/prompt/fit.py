"""Fit a companion prompt into the context window.

What gives way, in order: example blocks first (the last blocks go first, so the leading bytes
of the system message, and the engine's cached prefix, survive), then the oldest chat messages.
The system prompt, persona, per-turn context, post-history instructions and the newest message
never give way; lore shrinks to make room for them, and if that is not enough the request fails
with `ContextLengthExceeded`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reef.companion.cards.model import CharacterBook
from reef.companion.lore.book import FiredLore, LoreChat, LoreScan, book_token_budget, scan_lorebook
from reef.companion.prompt.sections import SECTION_SEPARATOR, Names, examples_section
from reef.companion.prompt.types import AssembledPrompt, ChatMessage, PromptSection
from reef.errors import ContextLengthExceeded, InvalidRequest
from reef.settings import CompanionSettings

_NO_LORE = LoreScan([], [], 0)


@dataclass(frozen=True)
class PromptDraft:
    """One turn's prompt material before fitting.

    `head` renders the system message's stable part (system prompt, persona with placed lore,
    other participants) for a given lore scan; `memories` and `mood` make the per-turn
    context message; `chat` is the greeting (if any) then history, rendered, oldest first; the
    last `history_count` of them come from the stored history.
    """

    head: Callable[[LoreScan], list[str]]
    example_blocks: list[str]
    names: Names
    memories: str
    mood: str
    chat: list[ChatMessage]
    history_count: int
    post_history: str
    book: CharacterBook | None
    lore_chat: LoreChat

    @property
    def context(self) -> str:
        return SECTION_SEPARATOR.join(part for part in (self.memories, self.mood) if part)


@dataclass(frozen=True)
class Window:
    """The token limits one prompt must respect."""

    context_window: int
    reserve_for_reply: int
    count_tokens: Callable[[str], int]

    @property
    def budget(self) -> int:
        return self.context_window - self.reserve_for_reply


def fit_prompt(draft: PromptDraft, window: Window, settings: CompanionSettings) -> AssembledPrompt:
    _check_window(window)
    overhead = settings.message_overhead_tokens

    def cost(text: str) -> int:
        return window.count_tokens(text) + overhead

    budget = window.budget
    tail = [text for text in (draft.context, draft.post_history) if text]
    tail_cost = sum(cost(text) for text in tail)
    newest_cost = cost(draft.chat[-1]["content"]) if draft.chat else 0
    bare_head = cost(_join(draft.head(_NO_LORE)))
    lore_cap = min(
        book_token_budget(draft.book, settings),
        max(budget - bare_head - tail_cost - newest_cost, 0),
    )
    while True:
        lore = scan_lorebook(
            draft.book,
            draft.lore_chat,
            count_tokens=window.count_tokens,
            token_budget=lore_cap,
            settings=settings,
        )
        head = _join(draft.head(lore))
        fixed = cost(head) + tail_cost + sum(cost(item.content) for item in lore.at("at_depth"))
        needed = fixed + newest_cost
        if needed <= budget:
            break
        if lore.tokens == 0:
            raise ContextLengthExceeded(
                f"the character definition, context and newest message need {needed} tokens but "
                f"only {budget} fit (context_window {window.context_window} minus "
                f"reserve_for_reply {window.reserve_for_reply})",
                param="context_window",
            )
        lore_cap = max(lore.tokens - (needed - budget), 0)

    kept = _newest_that_fit(draft.chat, budget - fixed, cost)
    chat = draft.chat[len(draft.chat) - kept :]
    chat_cost = sum(cost(message["content"]) for message in chat)
    system, shown = _with_examples(head, draft, budget - fixed - chat_cost + cost(head), cost)
    messages: list[ChatMessage] = [{"role": "system", "content": system}]
    if draft.context:
        messages.append({"role": "system", "content": draft.context})
    messages.extend(_interleave(chat, lore.at("at_depth")))
    if draft.post_history:
        messages.append({"role": "system", "content": draft.post_history})
    return AssembledPrompt(
        messages=messages,
        token_count=sum(cost(message["content"]) for message in messages),
        dropped_examples=len(draft.example_blocks) - shown,
        included_history=min(kept, draft.history_count),
        fired_lore=lore.fired,
        greeting_included=kept > draft.history_count,
        prefix_messages=1,
        sections=_sections(draft, lore, shown, chat, window.count_tokens),
        lore_left_out=lore.over_budget,
        lore_budget=lore.token_budget,
    )


def _sections(
    draft: PromptDraft,
    lore: LoreScan,
    shown_examples: int,
    chat: list[ChatMessage],
    count: Callable[[str], int],
) -> list[PromptSection]:
    """Each part's own tokens, for inspecting a turn; an absent part counts 0."""

    def tokens(text: str) -> int:
        return count(text) if text else 0

    examples = examples_section(draft.example_blocks[:shown_examples], draft.names)
    return [
        PromptSection("system", tokens(_join(draft.head(_NO_LORE)))),
        PromptSection("lore", lore.tokens),
        PromptSection("examples", tokens(examples)),
        PromptSection("memories", tokens(draft.memories)),
        PromptSection("mood", tokens(draft.mood)),
        PromptSection("history", sum(tokens(message["content"]) for message in chat)),
        PromptSection("post_history", tokens(draft.post_history)),
    ]


def _check_window(window: Window) -> None:
    if window.reserve_for_reply < 0:
        raise InvalidRequest(
            "reserve_for_reply must not be negative",
            param="reserve_for_reply",
            code="invalid_value",
        )
    if window.budget <= 0:
        raise InvalidRequest(
            f"context_window ({window.context_window}) must be larger than reserve_for_reply "
            f"({window.reserve_for_reply})",
            param="context_window",
            code="invalid_value",
        )


def _join(sections: list[str]) -> str:
    return SECTION_SEPARATOR.join(section for section in sections if section)


def _newest_that_fit(chat: list[ChatMessage], room: int, cost: Callable[[str], int]) -> int:
    kept = 0
    for message in reversed(chat):
        message_cost = cost(message["content"])
        if message_cost > room:
            break
        room -= message_cost
        kept += 1
    return kept


def _with_examples(
    head: str, draft: PromptDraft, room: int, cost: Callable[[str], int]
) -> tuple[str, int]:
    """The system message with as many leading example blocks as fit in `room` tokens."""
    for shown in range(len(draft.example_blocks), 0, -1):
        section = examples_section(draft.example_blocks[:shown], draft.names)
        candidate = _join([head, section])
        if cost(candidate) <= room:
            return candidate, shown
    return head, 0


def _interleave(chat: list[ChatMessage], at_depth: list[FiredLore]) -> list[ChatMessage]:
    """Chat messages with depth-placed lore inserted `depth` messages from the newest."""
    slots: dict[int, list[ChatMessage]] = {}
    for item in at_depth:
        slot = max(len(chat) - item.depth, 0)
        slots.setdefault(slot, []).append({"role": item.role, "content": item.content})
    merged: list[ChatMessage] = []
    for index in range(len(chat) + 1):
        merged.extend(slots.get(index, []))
        if index < len(chat):
            merged.append(chat[index])
    return merged
