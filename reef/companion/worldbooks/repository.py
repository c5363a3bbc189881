"""World books in the store, always within one organisation.

As with characters, every function filters on the caller's `org_id`: another organisation's
world book id reads exactly like one that does not exist (404 `worldbook_not_found`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reef.companion.records import WORLDBOOK_PREFIX, WorldBookRecord, new_id
from reef.companion.tables import WorldBook
from reef.companion.worldbooks.files import WorldBookFile
from reef.errors import NotFound, ReefError
from reef.store.db import Database
from reef.store.keyset import after_row
from reef.store.tables import utcnow


class WorldBookNameTaken(ReefError):
    """Names are unique per organisation: a card's `extensions.world` finds its book by name."""

    status = 409
    type = "invalid_request_error"
    code = "worldbook_name_taken"
    minimax_code = 2013


def worldbook_not_found(worldbook_id: str) -> NotFound:
    return NotFound(
        f"No world book with id {worldbook_id!r}.",
        param="worldbook_id",
        code="worldbook_not_found",
    )


def _name_taken(name: str) -> WorldBookNameTaken:
    return WorldBookNameTaken(
        f"this organisation already has a world book named {name!r}: delete it first, or "
        "import under another 'name'",
        param="name",
    )


@dataclass(frozen=True)
class BookStamp:
    """Which version of a world book a prompt needs (the cache key of its converted lore)."""

    id: str
    name: str
    updated_at: datetime


def _record(row: WorldBook) -> WorldBookRecord:
    return WorldBookRecord(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        entry_count=row.entry_count,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _load(session: Session, org_id: int, worldbook_id: str) -> WorldBook:
    row = session.get(WorldBook, worldbook_id)
    if row is None or row.org_id != org_id:
        raise worldbook_not_found(worldbook_id)
    return row


def create_worldbook(db: Database, org_id: int, file: WorldBookFile) -> WorldBookRecord:
    try:
        with db.session() as session:
            taken = session.scalar(
                select(WorldBook.id).where(WorldBook.org_id == org_id, WorldBook.name == file.name)
            )
            if taken is not None:
                raise _name_taken(file.name)
            now = utcnow()
            row = WorldBook(
                id=new_id(WORLDBOOK_PREFIX),
                org_id=org_id,
                name=file.name,
                book=file.book,
                entry_count=file.entry_count,
                size_bytes=file.size_bytes,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _record(row)
    except IntegrityError as exc:  # the same name imported concurrently
        raise _name_taken(file.name) from exc


def get_worldbook(db: Database, org_id: int, worldbook_id: str) -> WorldBookRecord:
    with db.session() as session:
        return _record(_load(session, org_id, worldbook_id))


def worldbook_file(
    db: Database, org_id: int, worldbook_id: str
) -> tuple[WorldBookRecord, dict[str, Any]]:
    """The record and the file's object as imported."""
    with db.session() as session:
        row = _load(session, org_id, worldbook_id)
        return _record(row), row.book


def list_worldbooks(
    db: Database, org_id: int, *, limit: int = 100, after: str | None = None
) -> list[WorldBookRecord]:
    """Newest first, from after the world book `after`."""
    with db.session() as session:
        query = select(WorldBook).where(WorldBook.org_id == org_id)
        query = after_row(
            session, query, WorldBook.created_at, WorldBook.id, after, WorldBook.org_id == org_id
        )
        query = query.order_by(WorldBook.created_at.desc(), WorldBook.id).limit(limit)
        return [_record(row) for row in session.scalars(query)]


def delete_worldbook(db: Database, org_id: int, worldbook_id: str) -> None:
    """Delete it; characters it was attached to lose the attachment (cascade)."""
    with db.session() as session:
        session.delete(_load(session, org_id, worldbook_id))


def prompt_books(
    db: Database, org_id: int, attached: Sequence[str], world_name: str | None
) -> list[BookStamp]:
    """The world books a character's prompt scans: the attached ones in order, then the one
    its card names in `extensions.world` (when the organisation has one of that name)."""
    if not attached and world_name is None:
        return []
    with db.session() as session:
        query = select(WorldBook.id, WorldBook.name, WorldBook.updated_at).where(
            WorldBook.org_id == org_id
        )
        wanted: ColumnElement[bool] = WorldBook.id.in_(list(attached))
        if world_name is not None:
            wanted = or_(wanted, WorldBook.name == world_name)
        rows = session.execute(query.where(wanted))
        found = {row.id: BookStamp(row.id, row.name, row.updated_at) for row in rows}
    ordered = [found[book_id] for book_id in attached if book_id in found]
    named = [stamp for stamp in found.values() if stamp.name == world_name]
    return ordered + [stamp for stamp in named if stamp.id not in attached]


def book_objects(db: Database, org_id: int, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The files' objects of these world books, by id."""
    if not ids:
        return {}
    with db.session() as session:
        rows = session.execute(
            select(WorldBook.id, WorldBook.book).where(
                WorldBook.org_id == org_id, WorldBook.id.in_(list(ids))
            )
        )
        return {row.id: row.book for row in rows}
