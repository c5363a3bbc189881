"""From stored session state to the prompt of the next reply: who speaks, how they feel, and
the assembled messages (persona first, then memories and emotion, then history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reef.companion.cards.model import CharacterBook
from reef.companion.chat_model import ChatModel
from reef.companion.emotion import EmotionState, Temperament, describe_for_prompt
from reef.companion.prompt.assemble import AssembledPrompt, assemble_group_prompt, assemble_prompt
from reef.companion.prompt.types import ChatTurn
from reef.companion.records import CharacterRecord, MessageRecord, SessionRecord
from reef.companion.sessions.speakers import SpeakerStrategy, choose_next_speaker
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings

MAX_STOPS = 4  # the most stop sequences OpenAI-compatible servers accept


@dataclass(frozen=True)
class Mood:
    """The speaker's state before the reply and how many exchanges it has sat out."""

    state: EmotionState
    elapsed_turns: int


def to_turns(messages: Sequence[MessageRecord]) -> list[ChatTurn]:
    return [
        ChatTurn(m.role, m.content, name=m.speaker_name if m.role == "assistant" else None)
        for m in messages
    ]


def mood_of(
    speaker_id: str,
    history: Sequence[MessageRecord],
    temperament: Temperament,
    neutral_radius: float,
) -> Mood:
    """The emotion stored with the speaker's newest reply (the resting state before any), and
    the user messages since then (at least one: this turn's)."""
    since = 0
    for message in reversed(history):
        if message.role == "assistant" and message.speaker_id == speaker_id and message.emotion:
            return Mood(EmotionState.from_dict(message.emotion), max(since, 1))
        if message.role == "user":
            since += 1
    return Mood(temperament.resting_state(neutral_radius), 1)


def current_emotions(
    session: SessionRecord,
    characters: dict[str, CharacterRecord],
    temperaments: dict[str, Temperament],
    history: Sequence[MessageRecord],
    neutral_radius: float,
) -> dict[str, dict[str, float | str]]:
    """Each member's state now, as the session view shows it."""
    return {
        cid: mood_of(cid, history, temperaments[cid], neutral_radius).state.to_dict()
        for cid in session.character_ids
        if cid in characters
    }


def choose_speaker(
    session: SessionRecord,
    members: Sequence[CharacterRecord],
    history: Sequence[MessageRecord],
    new_message: ChatTurn | None,
    requested: str | None,
) -> int:
    """Index of the member who replies: the one asked for, else the session's strategy."""
    if requested is not None:
        for index, member in enumerate(members):
            if member.id == requested:
                return index
        raise InvalidRequest(
            f"character {requested!r} is not in this session",
            param="character_id",
            code="character_not_in_session",
        )
    strategy: SpeakerStrategy = (
        "list"
        if session.speaker_strategy == "list"
        else "talkativeness"
        if session.speaker_strategy == "talkativeness"
        else "mention"
    )
    return choose_next_speaker(
        [member.card for member in members], to_turns(history), new_message, strategy
    )


def stop_sequences(user_name: str, members: Sequence[CharacterRecord], speaker: int) -> list[str]:
    """Line starts where the speaker would begin talking for someone else."""
    others = [user_name] + [m.card.display_name for i, m in enumerate(members) if i != speaker]
    return [f"\n{name}:" for name in dict.fromkeys(others)][:MAX_STOPS]


def build_prompt(
    session: SessionRecord,
    members: Sequence[CharacterRecord],
    speaker: int,
    turns: Sequence[ChatTurn],
    *,
    model: ChatModel,
    max_tokens: int,
    memories: Sequence[str],
    mood: Mood,
    settings: CompanionSettings,
    world_books: Sequence[CharacterBook] = (),
) -> AssembledPrompt:
    """The speaker's prompt; `world_books` are the speaker's, fired with its card's lore."""
    if max_tokens >= model.context_window:
        raise InvalidRequest(
            f"max_tokens ({max_tokens}) must be smaller than the context window of "
            f"{model.spec.name!r} ({model.context_window} tokens)",
            param="max_tokens",
            code="max_tokens_too_large",
        )
    emotion_line = describe_for_prompt(mood.state, "{{char}}")
    if len(members) == 1:
        return assemble_prompt(
            members[0].card,
            turns,
            user_name=session.user_name,
            count_tokens=model.count_tokens,
            context_window=model.context_window,
            reserve_for_reply=max_tokens,
            memories=memories,
            emotion_line=emotion_line,
            greeting_index=None,
            settings=settings,
            world_books=world_books,
        )
    return assemble_group_prompt(
        [member.card for member in members],
        speaker,
        turns,
        user_name=session.user_name,
        count_tokens=model.count_tokens,
        context_window=model.context_window,
        reserve_for_reply=max_tokens,
        memories=memories,
        emotion_line=emotion_line,
        settings=settings,
        world_books=world_books,
    )


class SpeakerPrefixFilter:
    """Streams a reply without the `Name:` a model tends to echo from prefixed history: text is
    held back only while it could still be that prefix."""

    def __init__(self, speaker_name: str) -> None:
        self._prefix = f"{speaker_name}:"
        self._held = ""
        self._decided = False
        self._trim_space = False

    def feed(self, text: str) -> str:
        if self._decided:
            return self._trimmed(text)
        self._held += text
        start = self._held.lstrip()
        if len(start) < len(self._prefix) and self._prefix.startswith(start):
            return ""
        self._decided = True
        held, self._held = self._held, ""
        if start.startswith(self._prefix):
            self._trim_space = True
            return self._trimmed(start[len(self._prefix) :])
        return held

    def flush(self) -> str:
        """Whatever is still held when the reply ends."""
        held, self._held = self._held, ""
        self._decided = True
        return held

    def _trimmed(self, text: str) -> str:
        if not self._trim_space:
            return text
        stripped = text.lstrip()
        if stripped:
            self._trim_space = False
        return stripped
