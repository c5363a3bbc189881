"""`/v1/companion/characters` and `/gallery`: a character's card, voice and temperament; card
import and export as JSON, PNG or CHARX."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from reef.companion.cards.upload import read_card_upload
from reef.companion.http.deps import (
    PREFIX,
    Companions,
    OptionalUser,
    capped,
    companion_router,
    deleted,
)
from reef.companion.http.responses import Character, CharacterPage
from reef.companion.http.schemas import CharacterCreateBody, CharacterUpdateBody, character_view
from reef.errors import InvalidRequest
from reef.http.deps import Caller
from reef.http.schemas import AfterParam, Deleted, LimitParam, error_responses, page_of

router = companion_router()
CARD_IMPORT_ROUTE = "/characters/import"
CARD_IMPORT_PATH = PREFIX + CARD_IMPORT_ROUTE
MULTIPART_ENVELOPE_BYTES = 64 * 1024
"""Room for multipart headers and form fields around a card file of the largest allowed size."""


@router.post("/characters", response_model=Character)
async def create_character(
    body: CharacterCreateBody, principal: Caller, service: Companions
) -> dict[str, Any]:
    return character_view(await service.characters.create_character(principal, body))


@router.post(
    CARD_IMPORT_ROUTE,
    response_model=Character,
    responses=error_responses(413),
    openapi_extra={
        "requestBody": {
            "description": "the card file as the raw body, or the multipart field `file`",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "user": {"type": "string"},
                            "visibility": {"type": "string", "enum": ["private", "public"]},
                        },
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def import_character(
    request: Request,
    principal: Caller,
    service: Companions,
    user: OptionalUser = None,
    visibility: Literal["private", "public"] = Query("private"),
    filename: str | None = Query(None, max_length=255),
) -> dict[str, Any]:
    """Import a card (JSON, PNG or CHARX), as the raw body or the multipart field `file`."""
    upload = read_card_upload(request.headers.get("content-type"), await request.body(), filename)
    options: dict[str, Any] = {"user": user, "visibility": visibility}
    options.update({k: v for k, v in upload.fields.items() if k in ("user", "visibility")})
    try:
        body = CharacterCreateBody.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidRequest(
            f"Invalid value for '{param}': {first['msg']}", param=param, code="invalid_value"
        ) from exc
    return character_view(await service.characters.import_character(principal, upload, body))


@router.get("/characters", response_model=CharacterPage)
async def list_characters(
    principal: Caller,
    service: Companions,
    user: OptionalUser = None,
    limit: int = LimitParam,
    after: str | None = AfterParam,
) -> dict[str, Any]:
    """The organisation's characters, newest first; with `user`, the ones that user owns."""
    limit = capped(service, limit)
    found = await service.characters.list_characters(
        principal, user=user, public_only=False, limit=limit + 1, after=after
    )
    return page_of([character_view(c) for c in found], limit)


@router.get("/gallery", response_model=CharacterPage)
async def gallery(
    principal: Caller,
    service: Companions,
    limit: int = LimitParam,
    after: str | None = AfterParam,
) -> dict[str, Any]:
    """Public characters of the organisation, for its end users to browse."""
    limit = capped(service, limit)
    found = await service.characters.list_characters(
        principal, user=None, public_only=True, limit=limit + 1, after=after
    )
    return page_of([character_view(c) for c in found], limit)


@router.get("/characters/{character_id}", response_model=Character)
async def get_character(
    character_id: str, principal: Caller, service: Companions, user: OptionalUser = None
) -> dict[str, Any]:
    return character_view(await service.characters.get_character(principal, character_id, user))


@router.patch("/characters/{character_id}", response_model=Character)
async def update_character(
    character_id: str, body: CharacterUpdateBody, principal: Caller, service: Companions
) -> dict[str, Any]:
    return character_view(await service.characters.update_character(principal, character_id, body))


@router.delete("/characters/{character_id}", response_model=Deleted)
async def delete_character(
    character_id: str, principal: Caller, service: Companions, user: OptionalUser = None
) -> dict[str, Any]:
    await service.characters.delete_character(principal, character_id, user)
    return deleted(character_id, "companion.character")


@router.get(
    "/characters/{character_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "the card file",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def export_character(
    character_id: str,
    principal: Caller,
    service: Companions,
    format: Literal["json", "png"] = Query("json"),
    version: Literal["v2", "v3"] = Query("v2"),
    user: OptionalUser = None,
) -> Response:
    """The card as a V2/V3 JSON file or a PNG portrait carrying it."""
    exported = await service.characters.export_character(
        principal, character_id, user=user, fmt=format, version=version
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"content-disposition": f'attachment; filename="{exported.filename}"'},
    )
