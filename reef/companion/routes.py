"""`/v1/companion/...`: characters, gallery, sessions, messages (streamed or not), memories.

Every route authenticates with the organisation's API key; `user` (query or body) names the
end user. Ids of another organisation answer 404 exactly like ids that do not exist.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from reef.api.deps import authenticated
from reef.api.deps import metered as metered_by
from reef.api.metering import RequestMeter
from reef.api.sse import EventStreamResponse
from reef.companion.card_upload import read_card_upload
from reef.companion.memory import Memory
from reef.companion.schemas import (
    CharacterCreateBody,
    CharacterUpdateBody,
    EditMessageBody,
    MemoryCorrectionBody,
    RegenerateBody,
    SendMessageBody,
    SessionCreateBody,
    character_view,
    message_view,
    session_view,
)
from reef.companion.service import CompanionService
from reef.companion.turn_stream import collect, stream_events, turn_view
from reef.companion.turn_types import PreparedTurn
from reef.errors import InvalidRequest
from reef.platform.types import Principal

router = APIRouter(prefix="/v1/companion", tags=["companion"])
CARD_IMPORT_ROUTE = "/characters/import"
CARD_IMPORT_PATH = router.prefix + CARD_IMPORT_ROUTE
MULTIPART_ENVELOPE_BYTES = 64 * 1024
"""Room for multipart headers and form fields around a card file of the largest allowed size."""

UserQuery = Query(None, min_length=1, max_length=200, description="the end user's id")
RequiredUser = Query(min_length=1, max_length=200, description="the end user's id")
LimitQuery = Query(20, ge=1, description="most items returned")


def companions(request: Request) -> CompanionService:
    service: CompanionService = request.app.state.companion
    return service


def _limit(service: CompanionService, limit: int) -> int:
    return min(limit, service.list_limit_max)


def _listing(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": items}


def _deleted(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


# -- characters -------------------------------------------------------------------------------


@router.post("/characters")
async def create_character(
    body: CharacterCreateBody,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    return character_view(await service.create_character(principal, body))


@router.post(CARD_IMPORT_ROUTE)
async def import_character(
    request: Request,
    user: str | None = UserQuery,
    visibility: Literal["private", "public"] = Query("private"),
    filename: str | None = Query(None, max_length=255),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """The card as the raw body (JSON, PNG or CHARX) or as the multipart field `file`."""
    upload = read_card_upload(request.headers.get("content-type"), await request.body(), filename)
    options: dict[str, Any] = {"user": user, "visibility": visibility}
    options.update({k: v for k, v in upload.fields.items() if k in ("user", "visibility")})
    try:
        body = CharacterCreateBody.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidRequest(f"Invalid value for '{param}': {first['msg']}", param=param) from exc
    return character_view(await service.import_character(principal, upload, body))


@router.get("/characters")
async def list_characters(
    user: str | None = UserQuery,
    limit: int = LimitQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """The organisation's characters, newest first; with `user`, the ones that user owns."""
    found = await service.list_characters(
        principal, user=user, public_only=False, limit=_limit(service, limit)
    )
    return _listing([character_view(c) for c in found])


@router.get("/gallery")
async def gallery(
    limit: int = LimitQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Public characters of the organisation, for its end users to browse."""
    found = await service.list_characters(
        principal, user=None, public_only=True, limit=_limit(service, limit)
    )
    return _listing([character_view(c) for c in found])


@router.get("/characters/{character_id}")
async def get_character(
    character_id: str,
    user: str | None = UserQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    return character_view(await service.get_character(principal, character_id, user))


@router.patch("/characters/{character_id}")
async def update_character(
    character_id: str,
    body: CharacterUpdateBody,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    return character_view(await service.update_character(principal, character_id, body))


@router.delete("/characters/{character_id}")
async def delete_character(
    character_id: str,
    user: str | None = UserQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    await service.delete_character(principal, character_id, user)
    return _deleted(character_id, "companion.character")


@router.get("/characters/{character_id}/export")
async def export_character(
    character_id: str,
    format: Literal["json", "png"] = Query("json"),
    version: Literal["v2", "v3"] = Query("v2"),
    user: str | None = UserQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> Response:
    exported = await service.export_character(
        principal, character_id, user=user, fmt=format, version=version
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"content-disposition": f'attachment; filename="{exported.filename}"'},
    )


# -- sessions ---------------------------------------------------------------------------------


@router.post("/sessions")
async def create_session(
    body: SessionCreateBody,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    return await service.create_session(principal, body)


@router.get("/sessions")
async def list_sessions(
    user: str | None = UserQuery,
    character_id: str | None = Query(None),
    limit: int = LimitQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Most recently active first."""
    found = await service.list_sessions(
        principal, user=user, character_id=character_id, limit=_limit(service, limit)
    )
    return _listing([session_view(s) for s in found])


@router.get("/sessions/{session_id}")
async def get_session(
    session_id: str,
    user: str | None = UserQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """The session with every message (each with its emotion) and each character's mood."""
    return await service.get_session(principal, session_id, user)


@router.delete("/sessions/{session_id}")
async def delete_session(
    session_id: str,
    user: str | None = UserQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    await service.delete_session(principal, session_id, user)
    return _deleted(session_id, "companion.session")


# -- messages ---------------------------------------------------------------------------------


async def _answer(service: CompanionService, turn: PreparedTurn) -> Response:
    if turn.options.stream:
        return EventStreamResponse(stream_events(service.turns, turn))
    return JSONResponse(turn_view(await collect(service.turns, turn)))


@router.post("/sessions/{session_id}/messages", response_model=None)
async def send_message(
    session_id: str,
    body: SendMessageBody,
    meter: RequestMeter = Depends(metered_by("companion.messages")),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> Response:
    """Send the user's message; the reply comes back whole or, with `stream`, as SSE."""
    turn = await service.turns.prepare_send(principal, meter, session_id, body)
    return await _answer(service, turn)


@router.post("/sessions/{session_id}/messages/{message_id}/regenerate", response_model=None)
async def regenerate_message(
    session_id: str,
    message_id: str,
    body: RegenerateBody,
    meter: RequestMeter = Depends(metered_by("companion.regenerate")),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> Response:
    """A new alternative (swipe) of the newest reply; earlier swipes are kept."""
    turn = await service.turns.prepare_regenerate(principal, meter, session_id, message_id, body)
    return await _answer(service, turn)


@router.patch("/sessions/{session_id}/messages/{message_id}")
async def edit_message(
    session_id: str,
    message_id: str,
    body: EditMessageBody,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Replace the shown text and/or show another swipe."""
    return message_view(await service.edit_message(principal, session_id, message_id, body))


@router.delete("/sessions/{session_id}/messages/{message_id}")
async def delete_message(
    session_id: str,
    message_id: str,
    user: str | None = UserQuery,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    await service.delete_message(principal, session_id, message_id, user)
    return _deleted(message_id, "companion.message")


# -- end users --------------------------------------------------------------------------------


@router.delete("/users/{user}")
async def delete_end_user(
    user: str,
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Erase an end user: their sessions, memories, summaries and the characters they own."""
    await service.delete_end_user(principal, user)
    return _deleted(user, "companion.user")


# -- memories ---------------------------------------------------------------------------------


def memory_view(memory: Memory, user: str) -> dict[str, Any]:
    view = memory.to_dict()
    view.pop("user_id", None)
    return {"object": "companion.memory", **view, "user": user}


@router.get("/memories")
async def list_memories(
    user: str = RequiredUser,
    character_id: str | None = Query(None, description="omit for the user's shared profile"),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """What the character remembers about the user, oldest first, and the relationship
    summary."""
    memories, summary = await service.memories.list(principal, user, character_id)
    return {**_listing([memory_view(m, user) for m in memories]), "summary": summary}


@router.patch("/memories/{memory_id}")
async def correct_memory(
    request: Request,
    memory_id: str,
    body: MemoryCorrectionBody,
    user: str = RequiredUser,
    character_id: str | None = Query(None),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Correct a memory; its old value stays in its history."""
    operation, memory = await service.memories.correct(
        principal, user, memory_id, body.text, body.value, character_id, request.state.request_id
    )
    return {**memory_view(memory, user), "operation": operation.to_dict()}


@router.delete("/memories/{memory_id}")
async def delete_memory(
    memory_id: str,
    user: str = RequiredUser,
    character_id: str | None = Query(None),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Delete a memory for good."""
    await service.memories.delete(principal, user, memory_id, character_id)
    return _deleted(memory_id, "companion.memory")


@router.delete("/memories")
async def forget_memories(
    user: str = RequiredUser,
    character_id: str | None = Query(None),
    principal: Principal = Depends(authenticated),
    service: CompanionService = Depends(companions),
) -> dict[str, Any]:
    """Delete everything the character (or, without `character_id`, the shared profile)
    remembers about the user, and the relationship summary."""
    removed = await service.memories.forget(principal, user, character_id)
    return {"object": "companion.memory.deletion", "deleted": removed}
