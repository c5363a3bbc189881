"""Tables of the agents product: toolsets and their tools; stored Responses (for
`previous_response_id`).

A toolset belongs to one organisation; its tools go with it (`ON DELETE CASCADE`), and the
toolset goes with its organisation. `version` grows with every change so that a search
process can keep the toolset's built index until the toolset changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reef.store.tables import Base, utcnow

ID_LENGTH = 40
NAME_LENGTH = 200
TOOL_NAME_LENGTH = 64


class Toolset(Base):
    """A named catalogue of function tools searched by `/v1/tools/search`. `embedding_model`
    is the model its tools' vectors come from (None: searched by keywords only)."""

    __tablename__ = "agent_toolsets"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    tool_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    embedding_model: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_agent_toolsets_org_created", "org_id", "created_at"),)


class ToolsetTool(Base):
    """One tool of a toolset, in the order added: its OpenAI definition and its embedding
    (little-endian float32, None when the toolset has no embedding model)."""

    __tablename__ = "agent_toolset_tools"

    toolset_id: Mapped[str] = mapped_column(
        ForeignKey("agent_toolsets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(TOOL_NAME_LENGTH))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    __table_args__ = (
        UniqueConstraint("toolset_id", "name", name="uq_agent_toolset_tools_toolset_name"),
    )


class StoredResponse(Base):
    """A response kept with `store: true`: the answer as sent, and the whole conversation that
    led to it, so a follow-up naming it as `previous_response_id` needs one row."""

    __tablename__ = "agent_responses"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    context: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_agent_responses_org_created", "org_id", "created_at"),)
