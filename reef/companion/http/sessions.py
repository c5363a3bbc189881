"""`/v1/companion/sessions`: chat sessions and their messages; a turn answers whole or, with
`stream`, as Server-Sent Events."""

from __future__ import annotations

from typing import Any

from fastapi import Query
from fastapi.responses import JSONResponse, Response

from reef.companion.http.deps import (
    Companions,
    OptionalUser,
    capped,
    companion_router,
    deleted,
)
from reef.companion.http.responses import (
    Message,
    PromptInspection,
    SessionDetail,
    SessionPage,
    Turn,
)
from reef.companion.http.schemas import (
    EditMessageBody,
    RegenerateBody,
    SendMessageBody,
    SessionCreateBody,
    message_view,
    session_view,
)
from reef.companion.service import CompanionService
from reef.companion.sessions.stream import collect, stream_events, turn_view
from reef.companion.sessions.types import PreparedTurn
from reef.http.deps import Caller, Meter
from reef.http.schemas import AfterParam, Deleted, LimitParam, error_responses, page_of
from reef.http.sse import EventStreamResponse

router = companion_router()

TURN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": Turn,
        "description": "the finished turn; with `stream`, SSE events ending in the same object",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    **error_responses(409, 503),
}


@router.post("/sessions", response_model=SessionDetail)
async def create_session(
    body: SessionCreateBody, principal: Caller, service: Companions
) -> dict[str, Any]:
    """A new chat with one character (or a group), opened with the greetings."""
    return await service.sessions.create_session(principal, body)


@router.get("/sessions", response_model=SessionPage)
async def list_sessions(
    principal: Caller,
    service: Companions,
    user: OptionalUser = None,
    character_id: str | None = Query(None),
    limit: int = LimitParam,
    after: str | None = AfterParam,
) -> dict[str, Any]:
    """Most recently active first."""
    limit = capped(service, limit)
    found = await service.sessions.list_sessions(
        principal, user=user, character_id=character_id, limit=limit + 1, after=after
    )
    return page_of([session_view(s) for s in found], limit)


@router.get("/sessions/{session_id}", response_model=SessionDetail)
async def get_session(
    session_id: str, principal: Caller, service: Companions, user: OptionalUser = None
) -> dict[str, Any]:
    """The session with every message (each with its emotion) and each character's mood."""
    return await service.sessions.get_session(principal, session_id, user)


@router.delete("/sessions/{session_id}", response_model=Deleted)
async def delete_session(
    session_id: str, principal: Caller, service: Companions, user: OptionalUser = None
) -> dict[str, Any]:
    await service.sessions.delete_session(principal, session_id, user)
    return deleted(session_id, "companion.session")


async def _answer(service: CompanionService, turn: PreparedTurn) -> Response:
    if turn.options.stream:
        return EventStreamResponse(stream_events(service.turns, turn))
    return JSONResponse(turn_view(await collect(service.turns, turn)))


@router.post(
    "/sessions/{session_id}/messages",
    name="companion.messages",
    response_model=None,
    responses=TURN_RESPONSES,
)
async def send_message(
    session_id: str, body: SendMessageBody, meter: Meter, principal: Caller, service: Companions
) -> Response:
    """Send the user's message; the reply comes back whole or, with `stream`, as SSE."""
    turn = await service.turns.prepare_send(principal, meter, session_id, body)
    return await _answer(service, turn)


@router.post(
    "/sessions/{session_id}/messages/{message_id}/regenerate",
    name="companion.regenerate",
    response_model=None,
    responses=TURN_RESPONSES,
)
async def regenerate_message(
    session_id: str,
    message_id: str,
    body: RegenerateBody,
    meter: Meter,
    principal: Caller,
    service: Companions,
) -> Response:
    """A new alternative (swipe) of the newest reply; earlier swipes are kept."""
    turn = await service.turns.prepare_regenerate(principal, meter, session_id, message_id, body)
    return await _answer(service, turn)


@router.patch("/sessions/{session_id}/messages/{message_id}", response_model=Message)
async def edit_message(
    session_id: str,
    message_id: str,
    body: EditMessageBody,
    principal: Caller,
    service: Companions,
) -> dict[str, Any]:
    """Replace the shown text and/or show another swipe."""
    return message_view(
        await service.sessions.edit_message(principal, session_id, message_id, body)
    )


@router.delete("/sessions/{session_id}/messages/{message_id}", response_model=Deleted)
async def delete_message(
    session_id: str,
    message_id: str,
    principal: Caller,
    service: Companions,
    user: OptionalUser = None,
) -> dict[str, Any]:
    await service.sessions.delete_message(principal, session_id, message_id, user)
    return deleted(message_id, "companion.message")


@router.get(
    "/sessions/{session_id}/messages/{message_id}/inspection", response_model=PromptInspection
)
async def inspect_message(
    session_id: str,
    message_id: str,
    principal: Caller,
    service: Companions,
    user: OptionalUser = None,
    swipe: int | None = Query(None, ge=0, description="which swipe; the shown one by default"),
) -> dict[str, Any]:
    """What went into a reply's prompt: the lore entries that fired, the memories recalled,
    each section's tokens, and the engine's prompt, cached and completion tokens."""
    return await service.sessions.inspect_message(
        principal, session_id, message_id, swipe=swipe, user=user
    )
