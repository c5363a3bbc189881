"""Tables of the agent-facing APIs: stored Responses (for `previous_response_id`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from reef.store.tables import Base, utcnow


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
