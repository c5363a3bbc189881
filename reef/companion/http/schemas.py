"""Request bodies of the companion API (validated by FastAPI) and the wire form of records."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reef.companion.errors import swipe_out_of_range
from reef.companion.records import CharacterRecord, MessageRecord, SessionRecord, unix
from reef.errors import NotFound

UserId = str
SpeakerStrategyName = Literal["mention", "talkativeness", "list"]
AudioFormatName = Literal["mp3", "wav", "flac", "pcm"]
AudioEncoding = Literal["base64", "hex"]
MAX_GROUP_MEMBERS = 16  # characters in one session; prompts list every other member

# Card `data` fields a character can be written with directly, without a whole card.
CARD_FIELDS = (
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "alternate_greetings",
    "tags",
    "creator",
    "character_version",
    "nickname",
    "group_only_greetings",
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VoiceBody(_Body):
    """A character's voice: a voice id of the speech engine and its delivery (MiniMax ranges)."""

    voice_id: str | None = Field(None, min_length=1, max_length=200)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    pitch: float = Field(0.0, ge=-12, le=12)
    volume: float = Field(1.0, gt=0, le=10)


class TemperamentBody(_Body):
    """Resting affect and reactivity; missing fields come from the emotion settings."""

    valence: float | None = Field(None, ge=-1, le=1)
    arousal: float | None = Field(None, ge=-1, le=1)
    reactivity: float | None = Field(None, ge=0, le=1)
    decay_rate: float | None = Field(None, ge=0, le=1)


class CharacterFields(_Body):
    """Card fields given one by one (merged into the card's `data`)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    personality: str | None = None
    scenario: str | None = None
    first_mes: str | None = None
    mes_example: str | None = None
    creator_notes: str | None = None
    system_prompt: str | None = None
    post_history_instructions: str | None = None
    alternate_greetings: list[str] | None = None
    tags: list[str] | None = None
    creator: str | None = None
    character_version: str | None = None
    nickname: str | None = None
    group_only_greetings: list[str] | None = None

    def data_fields(self) -> dict[str, Any]:
        given = {name: getattr(self, name) for name in CARD_FIELDS}
        return {name: value for name, value in given.items() if value is not None}


class CharacterCreateBody(CharacterFields):
    card: dict[str, Any] | None = Field(None, description="a whole V1/V2/V3 card object")
    user: UserId | None = Field(None, min_length=1, max_length=200, description="owner")
    visibility: Literal["private", "public"] = "private"
    voice: VoiceBody | None = None
    temperament: TemperamentBody | None = None
    model: str | None = Field(None, min_length=1, max_length=200)


class CharacterUpdateBody(CharacterFields):
    card: dict[str, Any] | None = None
    user: UserId | None = Field(None, min_length=1, max_length=200)
    visibility: Literal["private", "public"] | None = None
    voice: VoiceBody | None = None
    temperament: TemperamentBody | None = None
    model: str | None = Field(None, max_length=200, description='"" clears it')


class SessionCreateBody(_Body):
    user: UserId = Field(min_length=1, max_length=200)
    character_id: str | None = None
    character_ids: list[str] | None = Field(None, min_length=1, max_length=MAX_GROUP_MEMBERS)
    user_name: str | None = Field(None, min_length=1, max_length=200)
    title: str | None = Field(None, max_length=200)
    model: str | None = Field(None, min_length=1, max_length=200)
    greeting_index: int = Field(0, ge=0)
    speaker_strategy: SpeakerStrategyName = "mention"


class GenerationOptions(_Body):
    """How one reply is produced and returned."""

    user: UserId | None = Field(None, min_length=1, max_length=200)
    stream: bool = False
    audio: bool = False
    audio_format: AudioFormatName = "mp3"
    audio_encoding: AudioEncoding = "base64"
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    inspect: bool = Field(
        False,
        description="return the reply's prompt inspection with the turn (it is kept "
        "either way: GET .../messages/{message_id}/inspection)",
    )


class SendMessageBody(GenerationOptions):
    content: str = ""
    character_id: str | None = Field(None, description="group chats: who answers")


class RegenerateBody(GenerationOptions):
    pass


class EditMessageBody(_Body):
    user: UserId | None = Field(None, min_length=1, max_length=200)
    content: str | None = None
    active_swipe: int | None = Field(None, ge=0)


class WorldBookAttachBody(_Body):
    worldbook_ids: list[str] = Field(
        max_length=1000, description="world books to attach, in order; [] detaches all"
    )
    user: UserId | None = Field(
        None, min_length=1, max_length=200, description="an end user who owns the character"
    )


class MemoryCorrectionBody(_Body):
    text: str = Field(min_length=1)
    value: str | None = None


# -- wire forms -----------------------------------------------------------------------------


def character_view(record: CharacterRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "companion.character",
        "name": record.name,
        "visibility": record.visibility,
        "owner": record.owner,
        "spec": record.card.spec,
        "card": record.card_dict,
        "voice": record.voice,
        "temperament": record.temperament,
        "model": record.model,
        "has_portrait": record.has_portrait,
        "lorebooks": list(record.lorebooks),
        "created_at": unix(record.created_at),
        "updated_at": unix(record.updated_at),
    }


def message_view(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "companion.message",
        "session_id": record.session_id,
        "index": record.seq,
        "role": record.role,
        "character_id": record.speaker_id,
        "name": record.speaker_name,
        "greeting": record.is_greeting,
        "content": record.content,
        "emotion": record.emotion,
        "swipes": [swipe.view() for swipe in record.swipes],
        "active_swipe": record.active_swipe,
        "token_count": record.token_count,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "created_at": unix(record.created_at),
        "edited_at": unix(record.edited_at),
    }


def inspection_view(record: MessageRecord, swipe: int | None = None) -> dict[str, Any]:
    """What went into the prompt of one swipe (the shown one by default) of a reply."""
    index = record.active_swipe if swipe is None else swipe
    if not 0 <= index < len(record.swipes):
        raise swipe_out_of_range(index, len(record.swipes), "swipe")
    stored = record.swipes[index].inspection
    if stored is None:
        raise NotFound(
            f"message {record.id!r} has no prompt inspection for swipe {index}: only replies "
            "generated by a character have one",
            param="message_id",
            code="inspection_not_found",
        )
    return {
        "object": "companion.inspection",
        "session_id": record.session_id,
        "message_id": record.id,
        "swipe": index,
        **stored,
    }


def session_view(
    record: SessionRecord,
    messages: list[MessageRecord] | None = None,
    emotions: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "object": "companion.session",
        "user": record.user,
        "user_name": record.user_name,
        "title": record.title,
        "model": record.model,
        "character_ids": record.character_ids,
        "group": record.is_group,
        "speaker_strategy": record.speaker_strategy,
        "created_at": unix(record.created_at),
        "updated_at": unix(record.updated_at),
    }
    if emotions is not None:
        view["emotions"] = emotions
    if messages is not None:
        view["messages"] = [message_view(message) for message in messages]
    return view
