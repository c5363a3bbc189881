"""Chat sessions and their messages in the store, always within one organisation.

Messages are numbered per session (`seq`); writers say which message they expect to be the
newest, so two turns racing on one session cannot interleave: the loser gets 409 and nothing
of it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reef.companion.characters.repository import end_user_in_session
from reef.companion.errors import swipe_out_of_range
from reef.companion.records import (
    SESSION_PREFIX,
    MessageRecord,
    NewMessage,
    SessionRecord,
    Swipe,
    new_id,
)
from reef.companion.tables import ChatSession, EndUser, Message, SessionMember
from reef.errors import NotFound, ReefError
from reef.store.db import Database
from reef.store.keyset import after_row
from reef.store.tables import utcnow


class SessionConflict(ReefError):
    """Another request changed the session while this one was generating."""

    status = 409
    type = "invalid_request_error"
    code = "session_conflict"
    minimax_code = 2013


def session_not_found(session_id: str) -> NotFound:
    return NotFound(
        f"No chat session with id {session_id!r}.", param="session_id", code="session_not_found"
    )


def message_not_found(message_id: str) -> NotFound:
    return NotFound(
        f"No message with id {message_id!r} in this session.",
        param="message_id",
        code="message_not_found",
    )


# -- sessions -------------------------------------------------------------------------------


def _session_record(session: Session, row: ChatSession, user: str) -> SessionRecord:
    members = session.scalars(
        select(SessionMember.character_id)
        .where(SessionMember.session_id == row.id)
        .order_by(SessionMember.position)
    )
    return SessionRecord(
        id=row.id,
        org_id=row.org_id,
        end_user_id=row.end_user_id,
        user=user,
        title=row.title,
        user_name=row.user_name,
        model=row.model,
        speaker_strategy=row.speaker_strategy,
        character_ids=list(members),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _load_session(
    session: Session, org_id: int, session_id: str, user: str | None
) -> tuple[ChatSession, str]:
    found = session.execute(
        select(ChatSession, EndUser.external_id)
        .join(EndUser, EndUser.id == ChatSession.end_user_id)
        .where(ChatSession.id == session_id, ChatSession.org_id == org_id)
    ).first()
    if found is None or (user is not None and found[1] != user):
        raise session_not_found(session_id)
    return found[0], found[1]


def create_session(
    db: Database,
    org_id: int,
    *,
    user: str,
    character_ids: Sequence[str],
    title: str,
    user_name: str,
    model: str,
    speaker_strategy: str,
    greetings: Sequence[NewMessage] = (),
) -> tuple[SessionRecord, list[MessageRecord]]:
    with db.session() as session:
        owner = end_user_in_session(session, org_id, user)
        now = utcnow()
        row = ChatSession(
            id=new_id(SESSION_PREFIX),
            org_id=org_id,
            end_user_id=owner.id,
            title=title,
            user_name=user_name,
            model=model,
            speaker_strategy=speaker_strategy,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        for position, character_id in enumerate(character_ids):
            session.add(
                SessionMember(session_id=row.id, position=position, character_id=character_id)
            )
        stored = [_insert(session, row, seq, message) for seq, message in enumerate(greetings)]
        session.flush()
        return _session_record(session, row, user), [_message_record(m) for m in stored]


def get_session(
    db: Database, org_id: int, session_id: str, *, user: str | None = None
) -> SessionRecord:
    with db.session() as session:
        row, owner = _load_session(session, org_id, session_id, user)
        return _session_record(session, row, owner)


def list_sessions(
    db: Database,
    org_id: int,
    *,
    user: str | None = None,
    character_id: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> list[SessionRecord]:
    """Most recently active first, from after the session `after`."""
    with db.session() as session:
        query = (
            select(ChatSession, EndUser.external_id)
            .join(EndUser, EndUser.id == ChatSession.end_user_id)
            .where(ChatSession.org_id == org_id)
        )
        query = after_row(
            session,
            query,
            ChatSession.updated_at,
            ChatSession.id,
            after,
            ChatSession.org_id == org_id,
        )
        if user is not None:
            query = query.where(EndUser.external_id == user)
        if character_id is not None:
            members = select(SessionMember.session_id).where(
                SessionMember.character_id == character_id
            )
            query = query.where(ChatSession.id.in_(members))
        query = query.order_by(ChatSession.updated_at.desc(), ChatSession.id).limit(limit)
        return [_session_record(session, row, owner) for row, owner in session.execute(query)]


def delete_session(db: Database, org_id: int, session_id: str, *, user: str | None = None) -> None:
    with db.session() as session:
        row, _ = _load_session(session, org_id, session_id, user)
        session.delete(row)


# -- messages -------------------------------------------------------------------------------


def _message_record(row: Message) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        session_id=row.session_id,
        seq=row.seq,
        role="assistant" if row.role == "assistant" else "user",
        speaker_id=row.speaker_id,
        speaker_name=row.speaker_name,
        is_greeting=row.is_greeting,
        content=row.content,
        swipes=[Swipe.from_dict(item) for item in row.swipes],
        active_swipe=row.active_swipe,
        emotion=row.emotion,
        token_count=row.token_count,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        created_at=row.created_at,
        edited_at=row.edited_at,
    )


def _mirror(row: Message, swipes: list[Swipe], active: int) -> None:
    """Store `swipes` and copy the active one into the message's own columns."""
    chosen = swipes[active]
    row.swipes = [swipe.to_dict() for swipe in swipes]
    row.active_swipe = active
    row.content = chosen.content
    row.emotion = chosen.emotion
    row.token_count = chosen.token_count
    row.prompt_tokens = chosen.prompt_tokens
    row.completion_tokens = chosen.completion_tokens


def _insert(session: Session, owner: ChatSession, seq: int, message: NewMessage) -> Message:
    row = Message(
        id=message.id,
        session_id=owner.id,
        org_id=owner.org_id,
        seq=seq,
        role=message.role,
        speaker_id=message.speaker_id,
        speaker_name=message.speaker_name,
        is_greeting=message.is_greeting,
        created_at=utcnow(),
    )
    _mirror(row, list(message.swipes), message.active_swipe)
    session.add(row)
    return row


def list_messages(
    db: Database,
    org_id: int,
    session_id: str,
    *,
    user: str | None = None,
    newest: int | None = None,
) -> list[MessageRecord]:
    """The session's messages oldest first; only the `newest` ones when given."""
    with db.session() as session:
        _load_session(session, org_id, session_id, user)
        query = select(Message).where(Message.session_id == session_id).order_by(Message.seq.desc())
        if newest is not None:
            query = query.limit(newest)
        rows = list(session.scalars(query))
        return [_message_record(row) for row in reversed(rows)]


def _last_seq(session: Session, session_id: str) -> int | None:
    return session.scalar(select(func.max(Message.seq)).where(Message.session_id == session_id))


def _touch(row: ChatSession, now: datetime) -> None:
    row.updated_at = now


def append_messages(
    db: Database,
    org_id: int,
    session_id: str,
    messages: Sequence[NewMessage],
    *,
    expected_last: str | None,
) -> list[MessageRecord]:
    """Store `messages` after the newest one, which must still be `expected_last` (the id the
    turn was generated against; None for an empty session)."""
    try:
        with db.session() as session:
            owner, _ = _load_session(session, org_id, session_id, None)
            last_seq = _last_seq(session, session_id)
            last_id = (
                session.scalar(
                    select(Message.id).where(
                        Message.session_id == session_id, Message.seq == last_seq
                    )
                )
                if last_seq is not None
                else None
            )
            if last_id != expected_last:
                raise _conflict()
            start = -1 if last_seq is None else last_seq
            stored = [
                _insert(session, owner, start + 1 + offset, message)
                for offset, message in enumerate(messages)
            ]
            _touch(owner, utcnow())
            session.flush()
            return [_message_record(row) for row in stored]
    except IntegrityError as exc:
        raise _conflict() from exc


def _conflict() -> SessionConflict:
    return SessionConflict(
        "The session changed while the reply was being generated; send the message again."
    )


def _load_message(session: Session, session_id: str, message_id: str) -> Message:
    row = session.get(Message, message_id)
    if row is None or row.session_id != session_id:
        raise message_not_found(message_id)
    return row


def add_swipe(
    db: Database, org_id: int, session_id: str, message_id: str, swipe: Swipe
) -> MessageRecord:
    """Append an alternative to the newest message and show it."""
    with db.session() as session:
        owner, _ = _load_session(session, org_id, session_id, None)
        row = _load_message(session, session_id, message_id)
        if row.seq != _last_seq(session, session_id):
            raise _conflict()
        swipes = [*(Swipe.from_dict(item) for item in row.swipes), swipe]
        _mirror(row, swipes, len(swipes) - 1)
        _touch(owner, utcnow())
        session.flush()
        return _message_record(row)


def edit_message(
    db: Database,
    org_id: int,
    session_id: str,
    message_id: str,
    *,
    user: str | None = None,
    content: str | None = None,
    token_count: int | None = None,
    active_swipe: int | None = None,
) -> MessageRecord:
    """Show another swipe, and/or replace the shown swipe's text."""
    with db.session() as session:
        owner, _ = _load_session(session, org_id, session_id, user)
        row = _load_message(session, session_id, message_id)
        swipes = [Swipe.from_dict(item) for item in row.swipes]
        active = row.active_swipe if active_swipe is None else active_swipe
        if not 0 <= active < len(swipes):
            raise swipe_out_of_range(active, len(swipes), "active_swipe")
        now = utcnow()
        if content is not None:
            old = swipes[active]
            swipes[active] = replace(
                old,
                content=content,
                token_count=old.token_count if token_count is None else token_count,
            )
            row.edited_at = now
        _mirror(row, swipes, active)
        _touch(owner, now)
        session.flush()
        return _message_record(row)


def get_message(
    db: Database, org_id: int, session_id: str, message_id: str, *, user: str | None = None
) -> MessageRecord:
    with db.session() as session:
        _load_session(session, org_id, session_id, user)
        return _message_record(_load_message(session, session_id, message_id))


def delete_message(
    db: Database, org_id: int, session_id: str, message_id: str, *, user: str | None = None
) -> None:
    with db.session() as session:
        owner, _ = _load_session(session, org_id, session_id, user)
        _load_message(session, session_id, message_id)
        session.execute(delete(Message).where(Message.id == message_id))
        _touch(owner, utcnow())
