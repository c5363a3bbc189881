"""What companion routes share: the service, the end-user parameters, the router factory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from reef.companion.service import CompanionService
from reef.http.deps import provided
from reef.http.schemas import COMMON_ERRORS

PREFIX = "/v1/companion"

Companions = Annotated[CompanionService, Depends(provided(CompanionService))]
OptionalUser = Annotated[
    str | None, Query(min_length=1, max_length=200, description="the end user's id")
]
RequiredUser = Annotated[str, Query(min_length=1, max_length=200, description="the end user's id")]


def companion_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, tags=["companion"], responses=COMMON_ERRORS)


def deleted(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


def capped(service: CompanionService, limit: int) -> int:
    return min(limit, service.list_limit_max)
