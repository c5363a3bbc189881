"""Toolsets in the store, always within one organisation.

Every function takes the caller's `org_id` and filters on it, so another organisation's
toolset reads exactly like one that does not exist (404 `toolset_not_found`). Adding tools
first bumps the toolset's row (`version`, `tool_count`), which takes the row's write lock on
PostgreSQL and the database's on SQLite, so concurrent adds cannot both pass the size cap or
reuse positions; any failure rolls the whole addition back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reef.agents.tables import Toolset, ToolsetTool
from reef.agents.toolsearch.semantic import vector_bytes, vector_from_bytes
from reef.agents.toolsearch.tools import ToolDoc, tool_doc
from reef.errors import InvalidRequest, NotFound
from reef.store.db import Database
from reef.store.keyset import after_row
from reef.store.tables import utcnow

TOOLSET_PREFIX = "tset_"


@dataclass(frozen=True)
class ToolsetRecord:
    id: str
    name: str
    tool_count: int
    version: int
    embedding_model: str | None
    created_at: datetime


@dataclass(frozen=True)
class StoredTools:
    """A toolset's tools in order, with their vectors when every tool has one."""

    toolset: ToolsetRecord
    tools: list[ToolDoc]
    vectors: np.ndarray | None


def toolset_not_found(toolset_id: str, param: str = "toolset_id") -> NotFound:
    return NotFound(f"No toolset with id {toolset_id!r}.", param=param, code="toolset_not_found")


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record(row: Toolset) -> ToolsetRecord:
    return ToolsetRecord(
        row.id, row.name, row.tool_count, row.version, row.embedding_model, _as_utc(row.created_at)
    )


def _tool_rows(
    toolset_id: str, start: int, tools: Sequence[ToolDoc], vectors: np.ndarray | None
) -> list[ToolsetTool]:
    return [
        ToolsetTool(
            toolset_id=toolset_id,
            position=start + i,
            name=tool.name,
            definition=tool.definition(),
            embedding=vector_bytes(vectors[i]) if vectors is not None else None,
        )
        for i, tool in enumerate(tools)
    ]


def _check_cap(count: int, cap: int) -> None:
    if count > cap:
        raise InvalidRequest(
            f"A toolset holds at most {cap} tools; this would make {count}.",
            param="tools",
            code="toolset_too_large",
        )


def create_toolset(
    db: Database,
    org_id: int,
    name: str,
    tools: Sequence[ToolDoc],
    vectors: np.ndarray | None,
    embedding_model: str | None,
    cap: int,
) -> ToolsetRecord:
    _check_cap(len(tools), cap)
    now = utcnow()
    row = Toolset(
        id=TOOLSET_PREFIX + uuid.uuid4().hex,
        org_id=org_id,
        name=name,
        tool_count=len(tools),
        version=1,
        embedding_model=embedding_model,
        created_at=now,
        updated_at=now,
    )
    with db.session() as session:
        session.add(row)
        session.flush()
        session.add_all(_tool_rows(row.id, 0, tools, vectors))
        return _record(row)


def add_tools(
    db: Database,
    org_id: int,
    toolset_id: str,
    tools: Sequence[ToolDoc],
    vectors: np.ndarray | None,
    cap: int,
) -> ToolsetRecord:
    """Append `tools`; a name the toolset already has is a 400 and nothing is added."""
    try:
        with db.session() as session:
            bumped = session.execute(
                update(Toolset)
                .where(Toolset.id == toolset_id, Toolset.org_id == org_id)
                .values(
                    tool_count=Toolset.tool_count + len(tools),
                    version=Toolset.version + 1,
                    updated_at=utcnow(),
                )
                .returning(Toolset.tool_count)
            ).first()
            if bumped is None:
                raise toolset_not_found(toolset_id)
            count = int(bumped[0])
            _check_cap(count, cap)
            _check_new_names(session, toolset_id, tools)
            session.add_all(_tool_rows(toolset_id, count - len(tools), tools, vectors))
            session.flush()
            row = session.get(Toolset, toolset_id)
            assert row is not None
            session.refresh(row)
            return _record(row)
    except IntegrityError:  # a concurrent add took a name first
        raise _duplicate(tools) from None


def _check_new_names(session: Session, toolset_id: str, tools: Sequence[ToolDoc]) -> None:
    names = [tool.name for tool in tools]
    taken = set(
        session.scalars(
            select(ToolsetTool.name).where(
                ToolsetTool.toolset_id == toolset_id, ToolsetTool.name.in_(names)
            )
        )
    )
    for i, name in enumerate(names):
        if name in taken:
            raise InvalidRequest(
                f"The toolset already has a tool named {name!r} (tools[{i}]).",
                param=f"tools[{i}]",
                code="duplicate_tool_name",
            )


def _duplicate(tools: Sequence[ToolDoc]) -> InvalidRequest:
    return InvalidRequest(
        "Another request added a tool of the same name meanwhile; nothing was added.",
        param="tools",
        code="duplicate_tool_name",
    )


def get_toolset(
    db: Database, org_id: int, toolset_id: str, param: str = "toolset_id"
) -> ToolsetRecord:
    with db.session() as session:
        row = session.scalar(
            select(Toolset).where(Toolset.id == toolset_id, Toolset.org_id == org_id)
        )
        if row is None:
            raise toolset_not_found(toolset_id, param)
        return _record(row)


def list_toolsets(db: Database, org_id: int, limit: int, after: str | None) -> list[ToolsetRecord]:
    """Newest first; `limit` rows after the toolset `after`."""
    with db.session() as session:
        query = select(Toolset).where(Toolset.org_id == org_id)
        query = after_row(
            session, query, Toolset.created_at, Toolset.id, after, Toolset.org_id == org_id
        )
        rows = session.scalars(
            query.order_by(Toolset.created_at.desc(), Toolset.id.asc()).limit(limit)
        )
        return [_record(row) for row in rows]


def delete_toolset(db: Database, org_id: int, toolset_id: str) -> None:
    with db.session() as session:
        found = session.scalar(
            select(Toolset.id).where(Toolset.id == toolset_id, Toolset.org_id == org_id)
        )
        if found is None:
            raise toolset_not_found(toolset_id)
        session.execute(delete(ToolsetTool).where(ToolsetTool.toolset_id == toolset_id))
        session.execute(delete(Toolset).where(Toolset.id == toolset_id))


def load_tools(db: Database, org_id: int, toolset_id: str, param: str = "toolset") -> StoredTools:
    """The toolset and all its tools, read in one transaction (a consistent version)."""
    with db.session() as session:
        row = session.scalar(
            select(Toolset).where(Toolset.id == toolset_id, Toolset.org_id == org_id)
        )
        if row is None:
            raise toolset_not_found(toolset_id, param)
        rows = session.execute(
            select(ToolsetTool.definition, ToolsetTool.embedding)
            .where(ToolsetTool.toolset_id == toolset_id)
            .order_by(ToolsetTool.position)
        ).all()
        tools = [tool_doc(definition) for definition, _ in rows]
        blobs = [blob for _, blob in rows]
        vectors = (
            np.stack([vector_from_bytes(blob) for blob in blobs])
            if blobs and all(blob is not None for blob in blobs)
            else None
        )
        return StoredTools(_record(row), tools, vectors)


def check_addable(
    db: Database, org_id: int, toolset_id: str, tools: Sequence[ToolDoc], cap: int
) -> ToolsetRecord:
    """The toolset, if adding `tools` to it now would pass the size cap and name checks."""
    with db.session() as session:
        row = session.scalar(
            select(Toolset).where(Toolset.id == toolset_id, Toolset.org_id == org_id)
        )
        if row is None:
            raise toolset_not_found(toolset_id)
        _check_cap(row.tool_count + len(tools), cap)
        _check_new_names(session, toolset_id, tools)
        return _record(row)
