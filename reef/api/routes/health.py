"""Liveness and Prometheus metrics; both unauthenticated, as scrapers and probes expect."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reef.api.metrics import CONTENT_TYPE
from reef.api.state import app_state

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    state = app_state(request)
    state.metrics.observe_engines(state.router.stats())
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)
