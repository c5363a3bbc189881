"""Dependency shortcuts every product's routes use, written as `Annotated` types so a route
says what it needs in its signature: `caller: Caller`, `meter: Meter`, `state: State`, or a
product's own service via `provided(ServiceType)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from reef.http.metering import RequestMeter
from reef.http.state import AppState, app_state
from reef.platform.types import Principal

T = TypeVar("T")


async def authenticated(request: Request) -> Principal:
    """The verified caller (401 otherwise); kept on the request for error metering. The key comes
    as `Authorization: Bearer`, or as Anthropic's clients send it, `x-api-key`."""
    header = request.headers.get("authorization")
    if not header and request.headers.get("x-api-key"):
        header = f"Bearer {request.headers['x-api-key']}"
    principal = await app_state(request).services.authenticate(header)
    request.state.principal = principal
    return principal


Caller = Annotated[Principal, Depends(authenticated)]
State = Annotated[AppState, Depends(app_state)]


async def request_meter(request: Request, principal: Caller) -> RequestMeter:
    """The request's meter, charged under the route's name (`@router.post(..., name=...)`);
    errors raised later are recorded by it."""
    state = app_state(request)
    route = request.scope.get("route")
    meter = RequestMeter(
        request_id=request.state.request_id,
        endpoint=str(getattr(route, "name", request.url.path)),
        principal=principal,
        services=state.services,
        catalogue=state.catalogue,
        metrics=state.metrics,
    )
    request.state.meter = meter
    return meter


Meter = Annotated[RequestMeter, Depends(request_meter)]


def provided(kind: type[T]) -> Callable[[Request], T]:
    """A dependency answering the service of type `kind` that a product provided at start."""

    def get(request: Request) -> T:
        return app_state(request).get(kind)

    get.__name__ = f"provided_{kind.__name__}"
    return get
