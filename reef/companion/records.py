"""Plain values the companion repository hands out, detached from any database session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from reef.companion.cards.codec import Card

Visibility = Literal["private", "public"]
MessageRole = Literal["user", "assistant"]

CHARACTER_PREFIX = "chr_"
SESSION_PREFIX = "ses_"
MESSAGE_PREFIX = "msg_"
WORLDBOOK_PREFIX = "wb_"


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def as_utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(as_utc(moment).timestamp())


@dataclass(frozen=True)
class EndUserRecord:
    id: int
    org_id: int
    external_id: str


@dataclass(frozen=True)
class CharacterRecord:
    """A character as stored: the parsed card plus Reef's own settings for it."""

    id: str
    org_id: int
    owner: str | None
    name: str
    visibility: Visibility
    card: Card
    card_dict: dict[str, Any]
    voice: dict[str, Any]
    temperament: dict[str, Any]
    model: str | None
    has_portrait: bool
    created_at: datetime
    updated_at: datetime
    lorebooks: tuple[str, ...] = ()
    """Ids of the world books attached to it, in attachment order."""

    @property
    def world_name(self) -> str | None:
        """The world book the card names in `extensions.world` (SillyTavern's link), if any."""
        name = self.card.data.extensions.get("world")
        return name.strip() if isinstance(name, str) and name.strip() else None


@dataclass(frozen=True)
class WorldBookRecord:
    """An organisation's world book without its file (see `book` loaders for that)."""

    id: str
    org_id: int
    name: str
    entry_count: int
    size_bytes: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SessionRecord:
    id: str
    org_id: int
    end_user_id: int
    user: str
    title: str
    user_name: str
    model: str
    speaker_strategy: str
    character_ids: list[str]
    created_at: datetime
    updated_at: datetime

    @property
    def is_group(self) -> bool:
        return len(self.character_ids) > 1


@dataclass(frozen=True)
class Swipe:
    """One alternative of a message: its text, the speaker's emotion and what it cost;
    for a generated reply, `inspection` records what went into its prompt."""

    content: str
    emotion: dict[str, Any] | None = None
    token_count: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    model: str | None = None
    finish_reason: str | None = None
    created_at: int = field(default_factory=lambda: int(datetime.now(UTC).timestamp()))
    inspection: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form (the message's JSON `swipes`)."""
        stored = {
            "content": self.content,
            "emotion": self.emotion,
            "token_count": self.token_count,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "model": self.model,
            "finish_reason": self.finish_reason,
            "created_at": self.created_at,
        }
        if self.inspection is not None:
            stored["inspection"] = self.inspection
        return stored

    def view(self) -> dict[str, Any]:
        """The API form: whether there is an inspection, which has a route of its own."""
        shown = self.to_dict()
        shown.pop("inspection", None)
        shown["has_inspection"] = self.inspection is not None
        return shown

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Swipe:
        known: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True)
class NewMessage:
    """A message about to be stored (its id chosen up front so a stream can name it)."""

    id: str
    role: MessageRole
    speaker_id: str | None
    speaker_name: str
    swipes: list[Swipe]
    active_swipe: int = 0
    is_greeting: bool = False


@dataclass(frozen=True)
class MessageRecord:
    id: str
    session_id: str
    seq: int
    role: MessageRole
    speaker_id: str | None
    speaker_name: str
    is_greeting: bool
    content: str
    swipes: list[Swipe]
    active_swipe: int
    emotion: dict[str, Any] | None
    token_count: int
    prompt_tokens: int | None
    completion_tokens: int | None
    created_at: datetime
    edited_at: datetime | None
