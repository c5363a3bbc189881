"""The `MemoryStore` contract over the SQL store, bound to one organisation.

A `MemoryScope` names an end user by their internal id (`str(end_user_id)`, unique across the
platform) and a character by its id (None: the end user's shared profile). Every query also
filters on the store's organisation, so a scope naming another organisation's end user or
character finds nothing and can write nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from reef.companion.memory.store import Memories, ScoredMemories, cosine
from reef.companion.memory.types import (
    FactSource,
    Memory,
    MemoryRevision,
    MemoryScope,
    RelationshipSummary,
)
from reef.companion.records import as_utc
from reef.companion.tables import (
    Character,
    EndUser,
    MemoryRevisionRow,
    MemoryRow,
    RelationshipSummaryRow,
)
from reef.errors import NotFound
from reef.store.db import Database

Conditions = list[ColumnElement[bool]]
_SOURCES: tuple[FactSource, ...] = ("rule", "llm", "user")


def memory_scope(end_user_id: int, character_id: str | None) -> MemoryScope:
    return MemoryScope(user_id=str(end_user_id), character_id=character_id)


@dataclass(frozen=True)
class _ScopeKey:
    end_user_id: int
    character_id: str | None


def _key(scope: MemoryScope) -> _ScopeKey | None:
    """None when the scope cannot name a row of ours (not an internal end-user id)."""
    if not scope.user_id.isdigit():
        return None
    return _ScopeKey(int(scope.user_id), scope.character_id)


def _scope_of(row: MemoryRow) -> MemoryScope:
    return memory_scope(row.end_user_id, row.character_id)


class SqlMemoryStore:
    """`MemoryStore` whose every read and write stays inside `org_id`."""

    def __init__(self, db: Database, org_id: int) -> None:
        self._db = db
        self._org_id = org_id

    # -- MemoryStore ----------------------------------------------------------------------

    async def add(self, memory: Memory) -> None:
        await asyncio.to_thread(self._add, memory)

    async def update(self, memory: Memory) -> None:
        await asyncio.to_thread(self._update, memory)

    async def delete(self, scope: MemoryScope, memory_id: str) -> bool:
        return await asyncio.to_thread(self._delete, scope, memory_id)

    async def get(self, scope: MemoryScope, memory_id: str) -> Memory | None:
        return await asyncio.to_thread(self._get, scope, memory_id)

    async def list(self, scope: MemoryScope, *, subject: str | None = None) -> Memories:
        return await asyncio.to_thread(self._list, scope, subject)

    async def search(
        self, scope: MemoryScope, vector: Sequence[float], *, limit: int
    ) -> ScoredMemories:
        memories = await self.list(scope)
        scored = [(m, cosine(vector, m.embedding)) for m in memories if m.embedding is not None]
        scored.sort(key=lambda pair: (-pair[1], pair[0].id))
        return scored[:limit]

    async def clear(self, scope: MemoryScope) -> int:
        return await asyncio.to_thread(self._clear, scope)

    async def get_summary(self, scope: MemoryScope) -> RelationshipSummary | None:
        return await asyncio.to_thread(self._get_summary, scope)

    async def set_summary(self, scope: MemoryScope, summary: RelationshipSummary) -> None:
        await asyncio.to_thread(self._set_summary, scope, summary)

    # -- extras for the API ---------------------------------------------------------------

    async def scope_of(self, end_user_id: int, memory_id: str) -> MemoryScope | None:
        """The scope holding `memory_id` among one end user's memories (in this org)."""
        return await asyncio.to_thread(self._scope_of_id, end_user_id, memory_id)

    # -- synchronous work -----------------------------------------------------------------

    def _in_scope(self, key: _ScopeKey) -> Conditions:
        return [
            MemoryRow.org_id == self._org_id,
            MemoryRow.end_user_id == key.end_user_id,
            MemoryRow.character_id.is_(None)
            if key.character_id is None
            else MemoryRow.character_id == key.character_id,
        ]

    def _check_owner(self, session: Session, key: _ScopeKey) -> None:
        """Writes need the end user (and character) to belong to this organisation."""
        user = session.get(EndUser, key.end_user_id)
        if user is None or user.org_id != self._org_id:
            raise NotFound(
                "no such end user in this organization", param="user", code="user_not_found"
            )
        if key.character_id is not None:
            character = session.get(Character, key.character_id)
            if character is None or character.org_id != self._org_id:
                raise NotFound(
                    "no such character in this organization",
                    param="character_id",
                    code="character_not_found",
                )

    def _row(self, session: Session, key: _ScopeKey, memory_id: str) -> MemoryRow | None:
        query = select(MemoryRow).where(MemoryRow.id == memory_id, *self._in_scope(key))
        return session.scalar(query)

    def _add(self, memory: Memory) -> None:
        key = _key(memory.scope)
        if key is None:
            raise NotFound(
                "no such end user in this organization", param="user", code="user_not_found"
            )
        with self._db.session() as session:
            self._check_owner(session, key)
            row = MemoryRow(
                id=memory.id,
                org_id=self._org_id,
                end_user_id=key.end_user_id,
                character_id=key.character_id,
            )
            _fill(row, memory)
            session.add(row)
            session.flush()
            _write_history(session, memory)

    def _update(self, memory: Memory) -> None:
        key = _key(memory.scope)
        with self._db.session() as session:
            row = self._row(session, key, memory.id) if key else None
            if row is None:
                raise NotFound(
                    f"no memory {memory.id!r} in this scope",
                    param="memory_id",
                    code="memory_not_found",
                )
            _fill(row, memory)
            session.execute(
                delete(MemoryRevisionRow).where(MemoryRevisionRow.memory_id == memory.id)
            )
            _write_history(session, memory)

    def _delete(self, scope: MemoryScope, memory_id: str) -> bool:
        key = _key(scope)
        if key is None:
            return False
        with self._db.session() as session:
            row = self._row(session, key, memory_id)
            if row is None:
                return False
            session.delete(row)
            return True

    def _get(self, scope: MemoryScope, memory_id: str) -> Memory | None:
        key = _key(scope)
        if key is None:
            return None
        with self._db.session() as session:
            row = self._row(session, key, memory_id)
            return _memories(session, [row])[0] if row else None

    def _list(self, scope: MemoryScope, subject: str | None) -> Memories:
        key = _key(scope)
        if key is None:
            return []
        with self._db.session() as session:
            query = select(MemoryRow).where(*self._in_scope(key))
            if subject is not None:
                query = query.where(MemoryRow.subject == subject)
            rows = list(session.scalars(query.order_by(MemoryRow.created_at, MemoryRow.id)))
            return _memories(session, rows)

    def _clear(self, scope: MemoryScope) -> int:
        key = _key(scope)
        if key is None:
            return 0
        with self._db.session() as session:
            ids = list(session.scalars(select(MemoryRow.id).where(*self._in_scope(key))))
            if ids:
                session.execute(delete(MemoryRow).where(MemoryRow.id.in_(ids)))
            session.execute(delete(RelationshipSummaryRow).where(*self._summary_scope(key)))
            return len(ids)

    def _summary_scope(self, key: _ScopeKey) -> Conditions:
        return [
            RelationshipSummaryRow.org_id == self._org_id,
            RelationshipSummaryRow.end_user_id == key.end_user_id,
            RelationshipSummaryRow.character_id.is_(None)
            if key.character_id is None
            else RelationshipSummaryRow.character_id == key.character_id,
        ]

    def _get_summary(self, scope: MemoryScope) -> RelationshipSummary | None:
        key = _key(scope)
        if key is None:
            return None
        with self._db.session() as session:
            row = session.scalar(select(RelationshipSummaryRow).where(*self._summary_scope(key)))
            if row is None:
                return None
            return RelationshipSummary(
                row.text, row.exchanges, as_utc(row.updated_at), row.narrative
            )

    def _set_summary(self, scope: MemoryScope, summary: RelationshipSummary) -> None:
        key = _key(scope)
        if key is None:
            raise NotFound(
                "no such end user in this organization", param="user", code="user_not_found"
            )
        with self._db.session() as session:
            row = session.scalar(select(RelationshipSummaryRow).where(*self._summary_scope(key)))
            if row is None:
                self._check_owner(session, key)
                row = RelationshipSummaryRow(
                    org_id=self._org_id,
                    end_user_id=key.end_user_id,
                    character_id=key.character_id,
                )
                session.add(row)
            row.text = summary.text
            row.narrative = summary.narrative
            row.exchanges = summary.exchanges
            row.updated_at = summary.updated_at

    def _scope_of_id(self, end_user_id: int, memory_id: str) -> MemoryScope | None:
        with self._db.session() as session:
            row = session.scalar(
                select(MemoryRow).where(
                    MemoryRow.id == memory_id,
                    MemoryRow.org_id == self._org_id,
                    MemoryRow.end_user_id == end_user_id,
                )
            )
            return _scope_of(row) if row else None


def _fill(row: MemoryRow, memory: Memory) -> None:
    row.text = memory.text
    row.subject = memory.subject
    row.value = memory.value
    row.source = memory.source
    row.embedding = list(memory.embedding) if memory.embedding is not None else None
    row.created_at = memory.created_at
    row.updated_at = memory.updated_at


def _write_history(session: Session, memory: Memory) -> None:
    for position, revision in enumerate(memory.history):
        session.add(
            MemoryRevisionRow(
                memory_id=memory.id,
                position=position,
                text=revision.text,
                subject=revision.subject,
                value=revision.value,
                reason=revision.reason,
                valid_from=revision.valid_from,
                replaced_at=revision.replaced_at,
            )
        )


def _source(value: str) -> FactSource:
    for source in _SOURCES:
        if value == source:
            return source
    return "rule"


def _memories(session: Session, rows: Sequence[MemoryRow]) -> Memories:
    """Rows as `Memory` values, each with its history (one query for all)."""
    ids = [row.id for row in rows]
    history: dict[str, list[MemoryRevision]] = {memory_id: [] for memory_id in ids}
    if ids:
        revisions = session.scalars(
            select(MemoryRevisionRow)
            .where(MemoryRevisionRow.memory_id.in_(ids))
            .order_by(MemoryRevisionRow.memory_id, MemoryRevisionRow.position)
        )
        for revision in revisions:
            history[revision.memory_id].append(
                MemoryRevision(
                    text=revision.text,
                    subject=revision.subject,
                    value=revision.value,
                    valid_from=as_utc(revision.valid_from),
                    replaced_at=as_utc(revision.replaced_at),
                    reason=revision.reason,
                )
            )
    return [
        Memory(
            id=row.id,
            scope=_scope_of(row),
            text=row.text,
            subject=row.subject,
            value=row.value,
            embedding=tuple(row.embedding) if row.embedding is not None else None,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
            source=_source(row.source),
            history=tuple(history[row.id]),
        )
        for row in rows
    ]
