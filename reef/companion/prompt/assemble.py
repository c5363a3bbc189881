"""Assemble a companion chat prompt from a card, its lorebook, memories and history.

Message layout (OpenAI chat messages):

1. system: system prompt, lore `before_char`, description, personality, scenario, lore
   `after_char`, [group: other participants], example dialogue. This is the stable prefix: it
   only changes when the card, the fired lore or the kept examples change.
2. system (optional): recalled memories and the current emotional state, which can change
   from turn to turn and therefore come after the card's prefix. They render in a fixed order
   and in words (no numbers), so while they hold, the history after them stays cached too.
3. the greeting and as much recent history as fits (newest kept), with depth-placed lore.
4. system (optional): `post_history_instructions`, always last.

`creator_notes` never reach the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reef.companion.cards.model import Card, CharacterBook
from reef.companion.lore.book import LoreChat, LoreScan
from reef.companion.lore.merge import with_world_books
from reef.companion.prompt.fit import PromptDraft, Window, fit_prompt
from reef.companion.prompt.sections import (
    Names,
    example_blocks,
    memories_section,
    mood_section,
    participants_section,
    persona_sections,
    post_history,
    select_greeting,
    system_prompt,
)
from reef.companion.prompt.types import AssembledPrompt, ChatMessage, ChatTurn
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings

__all__ = [
    "AssembledPrompt",
    "ChatTurn",
    "assemble_group_prompt",
    "assemble_prompt",
    "select_greeting",
    "strip_speaker_prefix",
]


def assemble_prompt(
    card: Card,
    history: Sequence[ChatTurn],
    *,
    user_name: str,
    count_tokens: Callable[[str], int],
    context_window: int,
    reserve_for_reply: int,
    memories: Sequence[str] = (),
    emotion_line: str | None = None,
    greeting_index: int | None = 0,
    settings: CompanionSettings | None = None,
    world_books: Sequence[CharacterBook] = (),
) -> AssembledPrompt:
    """The prompt for `card`'s next reply in a one-to-one chat.

    `history` holds the turns after the greeting, oldest first. The greeting is
    `select_greeting(card, greeting_index)` (0 = `first_mes`); pass None when the stored
    history already starts with it. `world_books` fire alongside the card's own lorebook.
    """
    config = settings or CompanionSettings()
    names = Names(card.display_name, user_name)
    chat = _greeting_messages(card, greeting_index, names, group=False)
    chat += [_render_turn(turn, names) for turn in history]
    lore_chat = _lore_chat(chat, names, greeting_index)

    def head(lore: LoreScan) -> list[str]:
        prompt = system_prompt(card, config.default_system_prompt, names)
        return [prompt, *persona_sections(card, names, lore)]

    draft = PromptDraft(
        head=head,
        example_blocks=example_blocks(card, names),
        names=names,
        memories=memories_section(memories, names),
        mood=mood_section(emotion_line, names),
        chat=chat,
        history_count=len(history),
        post_history=post_history(card, names),
        book=with_world_books(card.data.character_book, world_books),
        lore_chat=lore_chat,
    )
    return fit_prompt(draft, Window(context_window, reserve_for_reply, count_tokens), config)


def assemble_group_prompt(
    cards: Sequence[Card],
    speaker: int,
    history: Sequence[ChatTurn],
    *,
    user_name: str,
    count_tokens: Callable[[str], int],
    context_window: int,
    reserve_for_reply: int,
    memories: Sequence[str] = (),
    emotion_line: str | None = None,
    settings: CompanionSettings | None = None,
    world_books: Sequence[CharacterBook] = (),
) -> AssembledPrompt:
    """The prompt for `cards[speaker]`'s next reply in a group chat.

    Only the speaker's card is the persona (and only its lorebook and `world_books` are
    scanned); the others get
    one short line each. Every history line is prefixed with its speaker's name: the speaker's
    own turns are `assistant`, everyone else's (user and other characters) `user`. Assistant
    turns must carry `name`. Group greetings are expected to be in `history` already.
    """
    if not cards:
        raise InvalidRequest(
            "a group chat needs at least one character", param="cards", code="invalid_value"
        )
    if not 0 <= speaker < len(cards):
        raise InvalidRequest(
            f"speaker {speaker} is not one of {len(cards)} cards",
            param="speaker",
            code="invalid_value",
        )
    config = settings or CompanionSettings()
    card = cards[speaker]
    names = Names(card.display_name, user_name)
    others = [other for index, other in enumerate(cards) if index != speaker]
    chat = [_render_group_turn(turn, card, names) for turn in history]
    lore_chat = _lore_chat(chat, names, None)

    def head(lore: LoreScan) -> list[str]:
        prompt = system_prompt(card, config.group_system_prompt, names)
        participants = participants_section(others, user_name, config.group_summary_max_chars)
        return [prompt, *persona_sections(card, names, lore), participants]

    draft = PromptDraft(
        head=head,
        example_blocks=example_blocks(card, names),
        names=names,
        memories=memories_section(memories, names),
        mood=mood_section(emotion_line, names),
        chat=chat,
        history_count=len(history),
        post_history=post_history(card, names),
        book=with_world_books(card.data.character_book, world_books),
        lore_chat=lore_chat,
    )
    return fit_prompt(draft, Window(context_window, reserve_for_reply, count_tokens), config)


def strip_speaker_prefix(reply: str, speaker_name: str) -> str:
    """A group reply without the `Name: ` the model tends to echo from prefixed history."""
    prefix = f"{speaker_name}:"
    stripped = reply.lstrip()
    return stripped[len(prefix) :].lstrip() if stripped.startswith(prefix) else reply


def _greeting_messages(
    card: Card, greeting_index: int | None, names: Names, *, group: bool
) -> list[ChatMessage]:
    if greeting_index is None:
        return []
    greeting = names.fill(select_greeting(card, greeting_index, group=group)).strip()
    return [{"role": "assistant", "content": greeting}] if greeting else []


def _render_turn(turn: ChatTurn, names: Names) -> ChatMessage:
    return {"role": turn.role, "content": names.fill(turn.content)}


def _render_group_turn(turn: ChatTurn, speaker: Card, names: Names) -> ChatMessage:
    content = names.fill(turn.content)
    if turn.role == "system":
        return {"role": "system", "content": content}
    if turn.role == "user":
        return {"role": "user", "content": f"{turn.name or names.user}: {content}"}
    if not turn.name:
        raise InvalidRequest(
            "group chat assistant turns need the character's name",
            param="name",
            code="invalid_value",
        )
    own = turn.name in (speaker.name, speaker.display_name)
    return {"role": "assistant" if own else "user", "content": f"{turn.name}: {content}"}


def _lore_chat(chat: list[ChatMessage], names: Names, greeting_index: int | None) -> LoreChat:
    return LoreChat(
        messages=[message["content"] for message in chat],
        char_name=names.char,
        user_name=names.user,
        assistant_messages=sum(1 for message in chat if message["role"] == "assistant"),
        greeting_index=greeting_index,
    )
