"""Tables of companions: end users, characters, world books, chat sessions, messages, memories.

Every row is reachable from exactly one organisation: either it carries `org_id` itself or it
hangs off a row that does (members, revisions). Child rows go with their parent through
`ON DELETE CASCADE`, so deleting a character, an end user or an organisation removes what
belongs to it for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reef.store.tables import Base, utcnow

ID_LENGTH = 40  # public ids: a short prefix and 32 hex digits
NAME_LENGTH = 200


class EndUser(Base):
    """A developer's end user, known by the id string the developer passes as `user`."""

    __tablename__ = "companion_end_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("org_id", "external_id", name="uq_companion_end_users_org_external"),
    )


class Character(Base):
    """A character card with its voice and temperament. `owner_id` is the end user who made it
    (None: the organisation itself); `visibility` is `private` or `public` (in the gallery)."""

    __tablename__ = "companion_characters"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("companion_end_users.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    visibility: Mapped[str] = mapped_column(String(16))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    portrait: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    voice: Mapped[dict[str, Any]] = mapped_column(JSON)
    temperament: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_companion_characters_org_visibility", "org_id", "visibility"),
        Index("ix_companion_characters_owner", "owner_id"),
    )


class WorldBook(Base):
    """An organisation's SillyTavern world book (lorebook): the file as imported, every key
    kept, so it exports back unchanged. Names are unique per organisation because a card's
    `extensions.world` refers to its world book by name."""

    __tablename__ = "companion_worldbooks"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    book: Mapped[dict[str, Any]] = mapped_column(JSON)
    entry_count: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("org_id", "name", name="uq_companion_worldbooks_org_name"),
        Index("ix_companion_worldbooks_org_created", "org_id", "created_at"),
    )


class CharacterWorldBook(Base):
    """A world book attached to a character, in attachment order."""

    __tablename__ = "companion_character_worldbooks"

    character_id: Mapped[str] = mapped_column(
        ForeignKey("companion_characters.id", ondelete="CASCADE"), primary_key=True
    )
    worldbook_id: Mapped[str] = mapped_column(
        ForeignKey("companion_worldbooks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_companion_character_worldbooks_book", "worldbook_id"),)


class ChatSession(Base):
    """One end user's chat with one character, or with several (a group chat)."""

    __tablename__ = "companion_sessions"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    end_user_id: Mapped[int] = mapped_column(
        ForeignKey("companion_end_users.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    user_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    speaker_strategy: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_companion_sessions_user_updated", "org_id", "end_user_id", "updated_at"),
    )


class SessionMember(Base):
    """A character taking part in a session, in speaking-list order."""

    __tablename__ = "companion_session_members"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("companion_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    character_id: Mapped[str] = mapped_column(
        ForeignKey("companion_characters.id", ondelete="CASCADE")
    )

    __table_args__ = (Index("ix_companion_session_members_character", "character_id"),)


class Message(Base):
    """One chat message. `swipes` holds every alternative (content, emotion, usage) and
    `active_swipe` the one shown; `content`, `emotion` and the token columns mirror it."""

    __tablename__ = "companion_messages"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("companion_sessions.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    speaker_id: Mapped[str | None] = mapped_column(
        ForeignKey("companion_characters.id", ondelete="SET NULL"), nullable=True
    )
    speaker_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    is_greeting: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[str] = mapped_column(Text)
    swipes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    active_swipe: Mapped[int] = mapped_column(Integer, default=0)
    emotion: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_companion_messages_session_seq"),
        Index("ix_companion_messages_speaker", "speaker_id"),
    )


class MemoryRow(Base):
    """One remembered fact of an (end user, character) pair; `character_id` None is the end
    user's profile shared by every character."""

    __tablename__ = "companion_memories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    end_user_id: Mapped[int] = mapped_column(
        ForeignKey("companion_end_users.id", ondelete="CASCADE")
    )
    character_id: Mapped[str | None] = mapped_column(
        ForeignKey("companion_characters.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    embedding: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        Index("ix_companion_memories_scope", "end_user_id", "character_id", "subject"),
        Index("ix_companion_memories_org", "org_id"),
    )


class MemoryRevisionRow(Base):
    """A value a memory held before an update or a correction, oldest `position` first."""

    __tablename__ = "companion_memory_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    memory_id: Mapped[str] = mapped_column(ForeignKey("companion_memories.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_companion_memory_revisions_memory", "memory_id", "position"),)


class RelationshipSummaryRow(Base):
    """The short, current account of one (end user, character) relationship."""

    __tablename__ = "companion_relationship_summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    end_user_id: Mapped[int] = mapped_column(
        ForeignKey("companion_end_users.id", ondelete="CASCADE")
    )
    character_id: Mapped[str | None] = mapped_column(
        ForeignKey("companion_characters.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    narrative: Mapped[str] = mapped_column(Text)
    exchanges: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_companion_summaries_scope", "end_user_id", "character_id"),)
