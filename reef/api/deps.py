"""FastAPI dependencies: who is calling, and the meter their request is charged through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request

from reef.api.metering import RequestMeter
from reef.api.state import app_state
from reef.platform.types import Principal


async def authenticated(request: Request) -> Principal:
    """The verified caller (401 otherwise); kept on the request for error metering."""
    principal = await app_state(request).services.authenticate(request.headers.get("authorization"))
    request.state.principal = principal
    return principal


def metered(endpoint: str) -> Callable[..., Awaitable[RequestMeter]]:
    """A dependency giving the request its meter; errors raised later are recorded by it."""

    async def make_meter(
        request: Request, principal: Principal = Depends(authenticated)
    ) -> RequestMeter:
        state = app_state(request)
        meter = RequestMeter(
            request_id=request.state.request_id,
            endpoint=endpoint,
            principal=principal,
            services=state.services,
            catalogue=state.catalogue,
            metrics=state.metrics,
        )
        request.state.meter = meter
        return meter

    return make_meter
