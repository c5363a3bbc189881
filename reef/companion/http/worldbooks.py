"""`/v1/companion/worldbooks`: an organisation's SillyTavern world books (lorebooks), imported
from and exported to SillyTavern's own files, and attached to characters, whose prompts then
fire their entries like the card's embedded lorebook."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response

from reef.companion.cards.upload import read_card_upload
from reef.companion.http.deps import PREFIX, Companions, capped, companion_router, deleted
from reef.companion.http.responses import (
    Character,
    WorldBook,
    WorldBookDetail,
    WorldBookPage,
    WorldInfoFile,
)
from reef.companion.http.schemas import WorldBookAttachBody, character_view
from reef.companion.records import WorldBookRecord, unix
from reef.http.deps import Caller
from reef.http.schemas import AfterParam, Deleted, LimitParam, error_responses, page_of

router = companion_router()
WORLDBOOK_IMPORT_ROUTE = "/worldbooks"
WORLDBOOK_IMPORT_PATH = PREFIX + WORLDBOOK_IMPORT_ROUTE


def worldbook_view(record: WorldBookRecord, book: dict[str, Any] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "object": "companion.worldbook",
        "name": record.name,
        "entry_count": record.entry_count,
        "size_bytes": record.size_bytes,
        "created_at": unix(record.created_at),
        "updated_at": unix(record.updated_at),
    }
    if book is not None:
        view["data"] = book
    return view


@router.post(
    WORLDBOOK_IMPORT_ROUTE,
    response_model=WorldBook,
    responses=error_responses(409, 413),
    openapi_extra={
        "requestBody": {
            "description": "a SillyTavern world info JSON file as the raw body, or the "
            "multipart field `file`",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "name": {"type": "string"},
                        },
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def import_worldbook(
    request: Request,
    principal: Caller,
    service: Companions,
    name: str | None = Query(
        None, max_length=200, description="its name (else the file's `name`, else the file name)"
    ),
    filename: str | None = Query(None, max_length=255),
) -> dict[str, Any]:
    """Import a world book. Its name must be new in the organisation (409 otherwise)."""
    upload = read_card_upload(
        request.headers.get("content-type"), await request.body(), filename, what="world book"
    )
    chosen = name or upload.fields.get("name") or None
    record = await service.world_books.import_worldbook(principal, upload, chosen)
    return worldbook_view(record)


@router.get("/worldbooks", response_model=WorldBookPage)
async def list_worldbooks(
    principal: Caller,
    service: Companions,
    limit: int = LimitParam,
    after: str | None = AfterParam,
) -> dict[str, Any]:
    """The organisation's world books, newest first (without their entries)."""
    limit = capped(service, limit)
    found = await service.world_books.list_worldbooks(principal, limit=limit + 1, after=after)
    return page_of([worldbook_view(record) for record in found], limit)


@router.get("/worldbooks/{worldbook_id}", response_model=WorldBookDetail)
async def get_worldbook(
    worldbook_id: str, principal: Caller, service: Companions
) -> dict[str, Any]:
    """The world book with its whole file under `data`."""
    record, book = await service.world_books.get_worldbook(principal, worldbook_id)
    return worldbook_view(record, book)


@router.get(
    "/worldbooks/{worldbook_id}/export",
    response_class=Response,
    responses={200: {"model": WorldInfoFile, "description": "the file, as SillyTavern imports it"}},
)
async def export_worldbook(worldbook_id: str, principal: Caller, service: Companions) -> Response:
    """The file exactly as imported (every key kept), for SillyTavern or another Reef."""
    content, filename = await service.world_books.export_worldbook(principal, worldbook_id)
    return Response(
        content,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.delete("/worldbooks/{worldbook_id}", response_model=Deleted)
async def delete_worldbook(
    worldbook_id: str, principal: Caller, service: Companions
) -> dict[str, Any]:
    """Delete it; characters it was attached to no longer fire its entries."""
    await service.world_books.delete_worldbook(principal, worldbook_id)
    return deleted(worldbook_id, "companion.worldbook")


@router.put("/characters/{character_id}/worldbooks", response_model=Character)
async def attach_worldbooks(
    character_id: str, body: WorldBookAttachBody, principal: Caller, service: Companions
) -> dict[str, Any]:
    """Attach exactly these world books, in this order (the character's `lorebooks`). A card's
    `extensions.world` needs no attaching: it names a world book that fires as well."""
    record = await service.world_books.attach(
        principal, character_id, body.worldbook_ids, user=body.user
    )
    return character_view(record)
