"""Stored responses, always within one organisation: another organisation's id is unknown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reef.agents.tables import StoredResponse
from reef.errors import NotFound
from reef.store.db import Database


def _not_found(response_id: str, param: str = "response_id") -> NotFound:
    return NotFound(
        f"Response with id '{response_id}' not found.", param=param, code="response_not_found"
    )


def save(db: Database, org_id: int, body: dict[str, Any], context: list[dict[str, Any]]) -> None:
    with db.session() as session:
        session.add(
            StoredResponse(
                id=body["id"], org_id=org_id, model=body["model"], body=body, context=context
            )
        )


def load(
    db: Database, org_id: int, response_id: str, *, param: str = "response_id"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the response as sent, the conversation that led to it)."""
    with db.session() as session:
        row = session.scalars(
            select(StoredResponse).where(
                StoredResponse.id == response_id, StoredResponse.org_id == org_id
            )
        ).first()
        if row is None:
            raise _not_found(response_id, param)
        return dict(row.body), list(row.context)


def delete(db: Database, org_id: int, response_id: str) -> None:
    with db.session() as session:
        row = session.scalars(
            select(StoredResponse).where(
                StoredResponse.id == response_id, StoredResponse.org_id == org_id
            )
        ).first()
        if row is None:
            raise _not_found(response_id)
        session.delete(row)


def conversation_of(body: dict[str, Any], context: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items a follow-up continues from: what led to the response, then its output."""
    out = list(context)
    for item in body.get("output", []):
        if item["type"] == "message":
            text = "".join(part.get("text", "") for part in item.get("content", []))
            out.append({"type": "message", "role": "assistant", "content": text})
        elif item["type"] == "function_call":
            out.append(
                {
                    "type": "function_call",
                    "call_id": item["call_id"],
                    "name": item["name"],
                    "arguments": item["arguments"],
                }
            )
    return out
