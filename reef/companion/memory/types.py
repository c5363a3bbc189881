"""The values companion memory passes around, and the dependencies it is given.

Memories belong to a scope: one (character, end user) pair, or one end user's profile shared
by every character (character_id None). Nothing ever reads across scopes implicitly; callers
name the scopes they want.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from reef.errors import InvalidRequest

CompleteFn = Callable[[list[dict[str, str]], dict[str, Any]], Awaitable[dict[str, Any]]]
"""`complete(messages, json_schema) -> dict`: a chat completion constrained to the schema."""
EmbedFn = Callable[[list[str]], Awaitable[list[list[float]]]]
"""`embed(texts) -> vectors`, one vector per text, in order."""
CountTokensFn = Callable[[str], int]
Clock = Callable[[], datetime]

MemoryEvent = Literal["ADD", "UPDATE", "DELETE", "NONE"]
FactSource = Literal["rule", "llm", "user"]


@dataclass(frozen=True)
class MemoryScope:
    """Whose memories: `user_id` must be unique across the platform (prefix it with the org
    when end-user ids are per org); `character_id` None is the user's shared profile."""

    user_id: str
    character_id: str | None = None

    def __post_init__(self) -> None:
        if not self.user_id.strip():
            raise InvalidRequest(
                "a memory scope needs a user id", param="user_id", code="invalid_value"
            )
        if self.character_id is not None and not self.character_id.strip():
            raise InvalidRequest(
                "character_id must be non-empty or None", param="character_id", code="invalid_value"
            )

    @property
    def is_profile(self) -> bool:
        return self.character_id is None

    def profile(self) -> MemoryScope:
        """The same user's shared profile scope."""
        return MemoryScope(self.user_id)


@dataclass(frozen=True)
class MemoryRevision:
    """A value a memory held before it was updated or corrected."""

    text: str
    subject: str | None
    value: str | None
    valid_from: datetime
    replaced_at: datetime
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "subject": self.subject,
            "value": self.value,
            "valid_from": self.valid_from.isoformat(),
            "replaced_at": self.replaced_at.isoformat(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Memory:
    """One remembered fact: a short third-person statement ("The user has a dog named Rex."),
    its subject key ("user.pet.dog") and value ("Rex") when known, and its embedding."""

    id: str
    scope: MemoryScope
    text: str
    subject: str | None
    value: str | None
    embedding: tuple[float, ...] | None
    created_at: datetime
    updated_at: datetime
    source: FactSource = "rule"
    history: tuple[MemoryRevision, ...] = ()

    def revised(
        self,
        *,
        text: str,
        subject: str | None,
        value: str | None,
        embedding: tuple[float, ...] | None,
        now: datetime,
        reason: str,
        source: FactSource,
        max_history: int,
    ) -> Memory:
        """This memory with a new value, the old one kept at the end of `history`."""
        old = MemoryRevision(self.text, self.subject, self.value, self.updated_at, now, reason)
        history = (*self.history, old)[-max_history:] if max_history > 0 else ()
        return replace(
            self,
            text=text,
            subject=subject,
            value=value,
            embedding=embedding,
            updated_at=now,
            source=source,
            history=history,
        )

    def to_dict(self) -> dict[str, Any]:
        """The public form (no embedding), for the API and end-user controls."""
        return {
            "id": self.id,
            "user_id": self.scope.user_id,
            "character_id": self.scope.character_id,
            "text": self.text,
            "subject": self.subject,
            "value": self.value,
            "source": self.source,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "history": [revision.to_dict() for revision in self.history],
        }


@dataclass(frozen=True)
class CandidateFact:
    """A fact an extractor read from one exchange. `negated` means the user said it no longer
    holds ("I don't have a dog anymore"); reconciliation then deletes what it contradicts."""

    text: str
    subject: str | None = None
    value: str | None = None
    negated: bool = False
    source: FactSource = "rule"


@dataclass(frozen=True)
class MemoryOperation:
    """What reconciliation or an end-user control did to one memory."""

    event: MemoryEvent
    memory_id: str | None
    text: str
    subject: str | None = None
    previous_text: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "memory_id": self.memory_id,
            "text": self.text,
            "subject": self.subject,
            "previous_text": self.previous_text,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Exchange:
    """The latest user message, the character's reply and a little earlier context
    (OpenAI-style messages, oldest first)."""

    user_message: str
    reply: str
    character_name: str = "the character"
    user_name: str = "the user"
    context: Sequence[Mapping[str, str]] = field(default_factory=tuple)


@dataclass(frozen=True)
class RelationshipSummary:
    """A short, bounded account of the relationship, rewritten as it develops. `narrative` is
    the model-written part (how things have gone between them), kept between rewrites; `text`
    is what the prompt gets: the narrative followed by the key facts."""

    text: str
    exchanges: int
    updated_at: datetime
    narrative: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "narrative": self.narrative,
            "exchanges": self.exchanges,
            "updated_at": self.updated_at.isoformat(),
        }
