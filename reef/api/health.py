"""Liveness and Prometheus metrics; both unauthenticated, as scrapers and probes expect."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from reef.http.deps import State
from reef.http.metrics import CONTENT_TYPE
from reef.http.schemas import Status

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=Status)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {CONTENT_TYPE: {}}}},
)
async def metrics(state: State) -> Response:
    state.metrics.observe_engines(state.router.stats())
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)
