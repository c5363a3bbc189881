"""Usage reports: an organisation's own usage, and the operator's platform summary."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from reef.errors import PermissionDenied
from reef.http.deps import Caller, State
from reef.http.schemas import COMMON_ERRORS, error_responses
from reef.platform.types import OperatorSummary, UsageRow

router = APIRouter(tags=["usage"], responses=COMMON_ERRORS)


class UsageReport(BaseModel):
    object: Literal["list"] = "list"
    organization: str
    data: list[UsageRow]


@router.get("/v1/usage", response_model=UsageReport)
async def org_usage(
    state: State,
    principal: Caller,
    since: date | None = Query(None, description="first UTC day (default: the last 30 days)"),
) -> dict[str, Any]:
    """The caller's organisation, per day and model."""
    rows = await state.services.org_usage(principal.org_id, since)
    return {"object": "list", "organization": principal.org_name, "data": [asdict(r) for r in rows]}


@router.get("/v1/usage/summary", response_model=OperatorSummary, responses=error_responses(403))
async def operator_summary(state: State, principal: Caller) -> dict[str, Any]:
    """Platform-wide numbers; only keys of the admin organisation may read them."""
    if not principal.is_admin:
        raise PermissionDenied(
            "Only keys of the admin organization may read the operator summary.",
            code="admin_only",
        )
    return asdict(await state.services.operator_summary())
