"""End users and characters in the store, always within one organisation.

Every function takes the caller's `org_id` and filters on it, so an id belonging to another
organisation reads exactly like an id that does not exist (404, nothing leaked). A `viewer`
(an end user's external id) narrows further: another end user's private character is
invisible to them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reef.companion.cards.codec import Card, CardVersion, card_from_dict, card_to_dict
from reef.companion.records import (
    CHARACTER_PREFIX,
    CharacterRecord,
    EndUserRecord,
    Visibility,
    new_id,
)
from reef.companion.tables import (
    Character,
    CharacterWorldBook,
    ChatSession,
    EndUser,
    SessionMember,
    WorldBook,
)
from reef.errors import InvalidRequest, NotFound, PermissionDenied
from reef.store.db import Database
from reef.store.keyset import after_row
from reef.store.tables import utcnow


def card_version(card: Card) -> CardVersion:
    """The version a card is stored in: the one it came as."""
    return "v3" if card.spec == "chara_card_v3" else "v2"


def character_not_found(character_id: str) -> NotFound:
    return NotFound(
        f"No character with id {character_id!r}.",
        param="character_id",
        code="character_not_found",
    )


# -- end users ------------------------------------------------------------------------------


def _end_user(session: Session, org_id: int, external_id: str) -> EndUser | None:
    return session.scalar(
        select(EndUser).where(EndUser.org_id == org_id, EndUser.external_id == external_id)
    )


def _end_user_record(row: EndUser) -> EndUserRecord:
    return EndUserRecord(row.id, row.org_id, row.external_id)


def find_end_user(db: Database, org_id: int, external_id: str) -> EndUserRecord | None:
    with db.session() as session:
        row = _end_user(session, org_id, external_id)
        return _end_user_record(row) if row else None


def get_or_create_end_user(db: Database, org_id: int, external_id: str) -> EndUserRecord:
    """The organisation's end user with this id, created on first sight."""
    found = find_end_user(db, org_id, external_id)
    if found is not None:
        return found
    try:
        with db.session() as session:
            row = EndUser(org_id=org_id, external_id=external_id)
            session.add(row)
            session.flush()
            return _end_user_record(row)
    except IntegrityError:  # created meanwhile by a concurrent request
        again = find_end_user(db, org_id, external_id)
        assert again is not None
        return again


def end_user_in_session(session: Session, org_id: int, external_id: str) -> EndUser:
    """Get or create inside an open transaction (used when creating owned rows)."""
    row = _end_user(session, org_id, external_id)
    if row is None:
        row = EndUser(org_id=org_id, external_id=external_id)
        session.add(row)
        session.flush()
    return row


def delete_end_user(db: Database, org_id: int, external_id: str) -> bool:
    """Remove the end user and, by cascade, their sessions, memories and characters."""
    with db.session() as session:
        row = _end_user(session, org_id, external_id)
        if row is None:
            return False
        session.delete(row)
        return True


# -- characters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CharacterChanges:
    """What an edit replaces; None leaves a field as it is."""

    card: Card | None = None
    visibility: Visibility | None = None
    voice: dict[str, Any] | None = None
    temperament: dict[str, Any] | None = None
    model: str | None = None
    clear_model: bool = False
    portrait: bytes | None = None


def _owner_names(session: Session, rows: list[Character]) -> dict[int, str]:
    ids = {row.owner_id for row in rows if row.owner_id is not None}
    if not ids:
        return {}
    found = session.execute(select(EndUser.id, EndUser.external_id).where(EndUser.id.in_(ids)))
    return {user_id: external for user_id, external in found}


def _attachments(session: Session, rows: list[Character]) -> dict[str, tuple[str, ...]]:
    """The world book ids attached to each character, in attachment order."""
    if not rows:
        return {}
    found = session.execute(
        select(CharacterWorldBook.character_id, CharacterWorldBook.worldbook_id)
        .where(CharacterWorldBook.character_id.in_([row.id for row in rows]))
        .order_by(CharacterWorldBook.character_id, CharacterWorldBook.position)
    )
    attached: dict[str, list[str]] = {}
    for character_id, worldbook_id in found:
        attached.setdefault(character_id, []).append(worldbook_id)
    return {key: tuple(ids) for key, ids in attached.items()}


def _records(session: Session, rows: list[Character]) -> list[CharacterRecord]:
    owners = _owner_names(session, rows)
    attached = _attachments(session, rows)
    return [_character_record(row, owners, attached.get(row.id, ())) for row in rows]


def _character_record(
    row: Character, owners: dict[int, str], lorebooks: tuple[str, ...] = ()
) -> CharacterRecord:
    card = card_from_dict(row.card)
    return CharacterRecord(
        id=row.id,
        org_id=row.org_id,
        owner=owners.get(row.owner_id) if row.owner_id is not None else None,
        name=row.name,
        visibility="public" if row.visibility == "public" else "private",
        card=card,
        card_dict=row.card,
        voice=dict(row.voice),
        temperament=dict(row.temperament),
        model=row.model,
        has_portrait=row.portrait is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        lorebooks=lorebooks,
    )


def _visible_to(row: Character, viewer_id: int | None, viewer_given: bool) -> bool:
    """The organisation sees all its characters; an end user sees public ones, the
    organisation's own and their own."""
    if not viewer_given:
        return True
    return row.visibility == "public" or row.owner_id is None or row.owner_id == viewer_id


def _load_character(
    session: Session, org_id: int, character_id: str, viewer: str | None
) -> Character:
    row = session.get(Character, character_id)
    if row is None or row.org_id != org_id:
        raise character_not_found(character_id)
    viewer_row = _end_user(session, org_id, viewer) if viewer is not None else None
    if not _visible_to(row, viewer_row.id if viewer_row else None, viewer is not None):
        raise character_not_found(character_id)
    return row


def create_character(
    db: Database,
    org_id: int,
    *,
    card: Card,
    owner: str | None,
    visibility: Visibility,
    voice: dict[str, Any],
    temperament: dict[str, Any],
    model: str | None = None,
    portrait: bytes | None = None,
) -> CharacterRecord:
    card_dict = card_to_dict(card, card_version(card))
    with db.session() as session:
        owner_row = end_user_in_session(session, org_id, owner) if owner is not None else None
        now = utcnow()
        row = Character(
            id=new_id(CHARACTER_PREFIX),
            org_id=org_id,
            owner_id=owner_row.id if owner_row else None,
            name=card.name[:200],
            visibility=visibility,
            card=card_dict,
            portrait=portrait,
            voice=voice,
            temperament=temperament,
            model=model,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return _character_record(row, {owner_row.id: owner_row.external_id} if owner_row else {})


def get_character(
    db: Database, org_id: int, character_id: str, *, viewer: str | None = None
) -> CharacterRecord:
    with db.session() as session:
        return _records(session, [_load_character(session, org_id, character_id, viewer)])[0]


def get_characters(
    db: Database, org_id: int, character_ids: list[str], *, viewer: str | None = None
) -> list[CharacterRecord]:
    """Several characters in the order asked; NotFound names the first one missing."""
    with db.session() as session:
        rows = [_load_character(session, org_id, cid, viewer) for cid in character_ids]
        return _records(session, rows)


def character_portrait(
    db: Database, org_id: int, character_id: str, *, viewer: str | None = None
) -> bytes | None:
    with db.session() as session:
        return _load_character(session, org_id, character_id, viewer).portrait


def list_characters(
    db: Database,
    org_id: int,
    *,
    owner: str | None = None,
    public_only: bool = False,
    limit: int = 100,
    after: str | None = None,
) -> list[CharacterRecord]:
    """Newest first, from after the character `after`. `owner` keeps one end user's
    characters; `public_only` the gallery."""
    with db.session() as session:
        query = select(Character).where(Character.org_id == org_id)
        query = after_row(
            session, query, Character.created_at, Character.id, after, Character.org_id == org_id
        )
        if owner is not None:
            owner_row = _end_user(session, org_id, owner)
            if owner_row is None:
                return []
            query = query.where(Character.owner_id == owner_row.id)
        if public_only:
            query = query.where(Character.visibility == "public")
        query = query.order_by(Character.created_at.desc(), Character.id).limit(limit)
        return _records(session, list(session.scalars(query)))


def _check_editor(session: Session, row: Character, org_id: int, editor: str | None) -> None:
    """An end user may change only characters they own."""
    if editor is None:
        return
    editor_row = _end_user(session, org_id, editor)
    if row.owner_id is None or editor_row is None or row.owner_id != editor_row.id:
        raise PermissionDenied(
            f"user {editor!r} does not own character {row.id!r}",
            param="user",
            code="not_character_owner",
        )


def update_character(
    db: Database,
    org_id: int,
    character_id: str,
    changes: CharacterChanges,
    *,
    editor: str | None = None,
) -> CharacterRecord:
    with db.session() as session:
        row = _load_character(session, org_id, character_id, editor)
        _check_editor(session, row, org_id, editor)
        if changes.card is not None:
            row.card = card_to_dict(changes.card, card_version(changes.card))
            row.name = changes.card.name[:200]
        if changes.visibility is not None:
            row.visibility = changes.visibility
        if changes.voice is not None:
            row.voice = changes.voice
        if changes.temperament is not None:
            row.temperament = changes.temperament
        if changes.model is not None or changes.clear_model:
            row.model = changes.model
        if changes.portrait is not None:
            row.portrait = changes.portrait
        row.updated_at = utcnow()
        session.flush()
        return _records(session, [row])[0]


def delete_character(
    db: Database, org_id: int, character_id: str, *, editor: str | None = None
) -> None:
    """Delete the character with its memories and summaries (cascade); sessions it was the
    last member of go too, group sessions continue without it."""
    with db.session() as session:
        row = _load_character(session, org_id, character_id, editor)
        _check_editor(session, row, org_id, editor)
        member_sessions = select(SessionMember.session_id).where(
            SessionMember.character_id == character_id
        )
        others = exists().where(
            SessionMember.session_id == ChatSession.id,
            SessionMember.character_id != character_id,
        )
        session.execute(
            delete(ChatSession)
            .where(ChatSession.org_id == org_id)
            .where(ChatSession.id.in_(member_sessions))
            .where(~others)
            .execution_options(synchronize_session=False)
        )
        session.delete(row)


def set_worldbooks(
    db: Database,
    org_id: int,
    character_id: str,
    worldbook_ids: list[str],
    *,
    editor: str | None = None,
) -> CharacterRecord:
    """Attach exactly these world books (in this order) to the character. Every id must be
    one of the organisation's world books; otherwise nothing changes."""
    if len(set(worldbook_ids)) != len(worldbook_ids):
        raise InvalidRequest(
            "worldbook_ids lists a world book twice", param="worldbook_ids", code="invalid_value"
        )
    with db.session() as session:
        row = _load_character(session, org_id, character_id, editor)
        _check_editor(session, row, org_id, editor)
        owned = set(
            session.scalars(
                select(WorldBook.id).where(
                    WorldBook.org_id == org_id, WorldBook.id.in_(worldbook_ids)
                )
            )
        )
        for worldbook_id in worldbook_ids:
            if worldbook_id not in owned:
                raise NotFound(
                    f"No world book with id {worldbook_id!r}.",
                    param="worldbook_ids",
                    code="worldbook_not_found",
                )
        session.execute(
            delete(CharacterWorldBook).where(CharacterWorldBook.character_id == character_id)
        )
        session.add_all(
            CharacterWorldBook(character_id=character_id, worldbook_id=book_id, position=index)
            for index, book_id in enumerate(worldbook_ids)
        )
        row.updated_at = utcnow()
        session.flush()
        return _records(session, [row])[0]
