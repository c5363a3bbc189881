"""Response models of the companion API: the OpenAPI document's description of every answer.
Routes return plain dicts built by `schemas.*_view`; FastAPI checks them against these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reef.companion.sessions.inspection import Inspection
from reef.http.schemas import Page


class Emotion(BaseModel):
    valence: float = Field(description="-1 (unpleasant) to 1 (pleasant)")
    arousal: float = Field(description="-1 (calm) to 1 (excited)")
    emotion: str = Field(description="MiniMax emotion label, e.g. happy, sad, neutral")
    intensity: float


class Voice(BaseModel):
    voice_id: str | None = None
    speed: float = 1.0
    pitch: float = 0.0
    volume: float = 1.0


class Temperament(BaseModel):
    valence: float
    arousal: float
    reactivity: float
    decay_rate: float


class Character(BaseModel):
    id: str
    object: Literal["companion.character"] = "companion.character"
    name: str
    visibility: Literal["private", "public"]
    owner: str | None
    spec: str
    card: dict[str, Any] = Field(description="the whole V2/V3 card, unknown keys kept")
    voice: Voice | None
    temperament: Temperament | None
    model: str | None
    has_portrait: bool
    lorebooks: list[str] = Field(default_factory=list, description="attached world book ids")
    created_at: int
    updated_at: int


class WorldBook(BaseModel):
    id: str
    object: Literal["companion.worldbook"] = "companion.worldbook"
    name: str = Field(description="unique in the organisation; cards name it in extensions.world")
    entry_count: int
    size_bytes: int = Field(description="size of the file as exported")
    created_at: int
    updated_at: int


class WorldInfoFile(BaseModel):
    """SillyTavern's world info file: `entries` keyed by uid, each with `key`, `keysecondary`,
    `content`, `constant`, `selective`, `order`, `position`, `disable`...; other keys kept."""

    model_config = ConfigDict(extra="allow")

    entries: dict[str, dict[str, Any]]


class WorldBookDetail(WorldBook):
    data: dict[str, Any] = Field(
        description="the SillyTavern world info file as imported, every key kept"
    )


class Swipe(BaseModel):
    content: str
    emotion: Emotion | None = None
    token_count: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    model: str | None = None
    finish_reason: str | None = None
    created_at: int
    has_inspection: bool = Field(
        False, description="whether GET .../inspection?swipe= can show its prompt"
    )


class Message(BaseModel):
    id: str
    object: Literal["companion.message"] = "companion.message"
    session_id: str
    index: int
    role: Literal["user", "assistant", "system"]
    character_id: str | None
    name: str | None
    greeting: bool
    content: str
    emotion: Emotion | None
    swipes: list[Swipe]
    active_swipe: int
    token_count: int
    prompt_tokens: int | None
    completion_tokens: int | None
    created_at: int
    edited_at: int | None


class Session(BaseModel):
    id: str
    object: Literal["companion.session"] = "companion.session"
    user: str
    user_name: str
    title: str
    model: str
    character_ids: list[str]
    group: bool
    speaker_strategy: str
    created_at: int
    updated_at: int


class SessionDetail(Session):
    emotions: dict[str, Emotion] = Field(description="each member's current mood, by id")
    messages: list[Message]


class TurnUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cached_tokens: int


class MemoryOperation(BaseModel):
    event: Literal["ADD", "UPDATE", "DELETE", "NONE"]
    memory_id: str | None
    text: str
    subject: str | None
    previous_text: str | None
    reason: str


class SpokenAudio(BaseModel):
    format: str
    encoding: str
    data: str
    characters: int
    duration_ms: int | None = None
    voice_id: str | None = None


class PromptInspection(Inspection):
    """What went into the prompt of one swipe of a reply."""

    object: Literal["companion.inspection"] = "companion.inspection"
    session_id: str
    message_id: str
    swipe: int


class Turn(BaseModel):
    """A finished reply (`stream: false`); streamed turns send the same object as the last
    SSE event (`type: "turn.done"`)."""

    object: Literal["companion.turn"] = "companion.turn"
    session_id: str
    model: str
    user_message: Message | None
    message: Message
    usage: TurnUsage
    memory_operations: list[MemoryOperation]
    audio: dict[str, Any] | None = Field(None, description="the reply spoken, when asked")
    inspection: PromptInspection | None = Field(None, description="with `inspect: true`")


class MemoryRevision(BaseModel):
    text: str
    subject: str | None
    value: str | None
    valid_from: str
    replaced_at: str
    reason: str


class Memory(BaseModel):
    id: str
    object: Literal["companion.memory"] = "companion.memory"
    user: str
    character_id: str | None
    text: str
    subject: str | None
    value: str | None
    source: str
    created_at: str
    updated_at: str
    history: list[MemoryRevision]


class CorrectedMemory(Memory):
    operation: MemoryOperation


class RelationshipSummary(BaseModel):
    text: str
    narrative: str
    exchanges: int
    updated_at: str


class MemoryPage(Page[Memory]):
    summary: RelationshipSummary | None = Field(None, description="who the user is to them")


class MemoryDeletion(BaseModel):
    object: Literal["companion.memory.deletion"] = "companion.memory.deletion"
    deleted: int


CharacterPage = Page[Character]
WorldBookPage = Page[WorldBook]
SessionPage = Page[Session]
