"""Usage reports: an organisation's own usage, and the operator's platform summary."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from reef.api.deps import authenticated
from reef.api.state import app_state
from reef.errors import PermissionDenied
from reef.platform.types import Principal

router = APIRouter(tags=["usage"])


@router.get("/v1/usage")
async def org_usage(
    request: Request,
    since: date | None = Query(None, description="first UTC day (default: the last 30 days)"),
    principal: Principal = Depends(authenticated),
) -> dict[str, Any]:
    """The caller's organisation, per day and model."""
    rows = await app_state(request).services.org_usage(principal.org_id, since)
    return {"object": "list", "organization": principal.org_name, "data": [asdict(r) for r in rows]}


@router.get("/v1/usage/summary")
async def operator_summary(
    request: Request, principal: Principal = Depends(authenticated)
) -> dict[str, Any]:
    """Platform-wide numbers; only keys of the admin organisation may read them."""
    if not principal.is_admin:
        raise PermissionDenied(
            "Only keys of the admin organization may read the operator summary.",
            code="admin_only",
        )
    return asdict(await app_state(request).services.operator_summary())
