"""Wire models every product shares: the error bodies, list pages and deletion receipts, so the
OpenAPI document describes each operation's answers the same way everywhere."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    """OpenAI's error shape; every non-MiniMax route fails with it."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting the error answers a router may give."""
    descriptions = {
        400: "Invalid request",
        401: "Missing or invalid API key",
        403: "Not allowed for this key",
        404: "Not found (or owned by another organisation)",
        409: "Conflicts with the resource's state",
        413: "Request body too large",
        429: "Rate limit, token limit or budget reached (see Retry-After)",
        503: "Overloaded or not running (see Retry-After)",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}


COMMON_ERRORS = error_responses(400, 401, 404, 429)


class Page(BaseModel, Generic[T]):
    """One page of a list. Pass `last_id` as `after` to get the next page while `has_more`."""

    object: Literal["list"] = "list"
    data: list[T]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None


def page_of(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """`items` fetched with `limit + 1` rows -> the wire form of a `Page` of the first `limit`."""
    shown = items[:limit]
    return {
        "object": "list",
        "data": shown,
        "has_more": len(items) > limit,
        "first_id": shown[0]["id"] if shown else None,
        "last_id": shown[-1]["id"] if shown else None,
    }


LimitParam = Query(20, ge=1, description="most items returned (capped by the server)")
AfterParam = Query(None, max_length=200, description="cursor: the `last_id` of the previous page")


class Deleted(BaseModel):
    id: str
    object: str
    deleted: Literal[True] = True


class Status(BaseModel):
    status: str = Field(description="'ok' when the process serves requests")
