"""`/readyz`: may this replica take traffic? Each dependency is reported on its own.

`/healthz` says the process is alive; `/readyz` answers 503 while the store, Redis (when
configured) or the job engine is unreachable, and while the server drains on SIGTERM, so a
load balancer sends new requests elsewhere and lets in-flight ones finish here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import text

from reef.http.state import app_state
from reef.jobs import JobRuntime

router = APIRouter(tags=["ops"])
CHECK_TIMEOUT_S = 2.0


class Check(BaseModel):
    """One dependency: `ok`, `error` (with `error`), or `not configured`."""

    status: str
    ms: float | None = None
    error: str | None = None
    dialect: str | None = None
    models: int | None = None
    loaded: list[str] | None = None
    worker: str | None = None


class Readiness(BaseModel):
    status: str  # ready, unready or draining
    database: Check
    engine: Check
    jobs: Check
    redis: Check


async def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, CHECK_TIMEOUT_S)
        result: dict[str, Any] = {"status": "ok", **(detail or {})}
    except Exception as exc:
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def _database(request: Request) -> dict[str, Any]:
    db = app_state(request).db

    def ping() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    await asyncio.to_thread(ping)
    return {"dialect": db.engine.dialect.name}


async def _redis(url: str) -> dict[str, Any]:
    client: Redis = Redis.from_url(url)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return {}


async def _engine(request: Request) -> dict[str, Any]:
    state = app_state(request)
    stats = state.router.stats()
    return {"models": len(state.catalogue.models), "loaded": sorted(stats)}


async def _jobs(request: Request) -> dict[str, Any]:
    runtime = app_state(request).get(JobRuntime)
    await asyncio.to_thread(runtime.ping)
    return {"worker": runtime.executor_id}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "a dependency is down, or draining"}},
)
async def readyz(request: Request) -> JSONResponse:
    settings = app_state(request).settings
    names = ["database", "engine", "jobs"]
    checks = [_database(request), _engine(request), _jobs(request)]
    if settings.redis_url:
        names.append("redis")
        checks.append(_redis(settings.redis_url))
    results = await asyncio.gather(*(_timed(c) for c in checks))
    body: dict[str, Any] = dict(zip(names, results, strict=True))
    if not settings.redis_url:
        body["redis"] = {"status": "not configured"}
    draining = bool(getattr(request.app.state, "draining", False))
    ready = not draining and all(r["status"] == "ok" for r in results)
    body = {"status": "ready" if ready else ("draining" if draining else "unready"), **body}
    return JSONResponse(body, status_code=200 if ready else 503)
