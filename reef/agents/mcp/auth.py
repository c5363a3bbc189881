"""The API key at the door of `/mcp`: a request without a valid key is answered 401 before the
MCP SDK sees it, so no tool is listed or called. The verified caller travels to the tools in a
context variable, which the SDK carries from the HTTP request to the handler that serves it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from reef.errors import AuthenticationFailed, ReefError
from reef.http.deps import authenticated
from reef.http.errors import render_error
from reef.platform.types import Principal


@dataclass(frozen=True)
class McpCaller:
    """Who sent the MCP request, and what a tool needs to act for them."""

    principal: Principal
    authorization: str
    """`Bearer <key>` as the caller sent it (or its `x-api-key`), forwarded to the twin."""
    app: ASGIApp
    """The Reef application serving the request: the tools' HTTP twins live there."""


current_caller: ContextVar[McpCaller | None] = ContextVar("reef_mcp_caller", default=None)


def caller() -> McpCaller:
    """The verified caller of the tool call being served."""
    found = current_caller.get()
    if found is None:  # only reachable if the SDK stopped carrying context variables
        raise AuthenticationFailed("No API key reached this MCP tool call.")
    return found


class RequireKey:
    """ASGI wrapper: verify the key as every route does (`Authorization: Bearer` or
    `x-api-key`), answer 401 in OpenAI's shape without one, else serve with the caller set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            principal = await authenticated(request)
        except ReefError as exc:
            response = render_error(request, exc)
            response.headers["WWW-Authenticate"] = 'Bearer realm="reef"'
            await response(scope, receive, send)
            return
        header = request.headers.get("authorization") or f"Bearer {request.headers['x-api-key']}"
        token = current_caller.set(McpCaller(principal, header, scope["app"]))
        try:
            await self.app(scope, receive, send)
        finally:
            current_caller.reset(token)
