"""The MCP server at `/mcp`: Reef's tools on the SDK's `MCPServer`, served over streamable HTTP
behind the API key.

Stateless: every POST is self-contained (authenticated on its own, no session kept in memory),
so `/mcp` works behind several workers or replicas like any other route. Answers are SSE when a
call takes a while: the SDK then pings (no proxy times a long generation out) and cancels the
call when the client leaves (see `leaving`). DNS
rebinding protection is off because it guards servers that trust the network a browser sits
in; `/mcp` trusts nothing but the API key, which a rebinding page does not have."""

from __future__ import annotations

from contextlib import AsyncExitStack

from fastapi import APIRouter
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reef.agents.mcp.auth import RequireKey
from reef.agents.mcp.tools import ALL_TOOLS
from reef.errors import ReefError
from reef.http.errors import render_error
from reef.http.state import ServiceNotStarted

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Reef's platform APIs as tools: chat completions, embeddings, speech, companion "
    "characters and turns, and tool search. Each call is metered to the API key's organisation "
    "like the HTTP route it mirrors; results carry the call's `request_id`."
)


def build_server() -> MCPServer:
    server: MCPServer = MCPServer("reef", instructions=INSTRUCTIONS)
    for tool in ALL_TOOLS:
        server.add_tool(tool)
    return server


class McpEndpoint:
    """`/mcp` for one app: an ASGI endpoint whose session manager lives from `start` to
    `stop` (the app's lifespan), built afresh each time since a manager runs only once."""

    def __init__(self, max_body_bytes: int) -> None:
        self._max_body_bytes = max_body_bytes
        self._manager: StreamableHTTPSessionManager | None = None
        self._stack = AsyncExitStack()
        self._door = RequireKey(self._serve)

    @property
    def router(self) -> APIRouter:
        router = APIRouter()
        # An ASGI endpoint (not a request handler): the MCP transport answers the request itself.
        # POST only: stateless, the server never speaks first, so the GET stream (and DELETE of
        # a session) answer 405 as the specification provides for.
        router.routes.append(Route(MCP_PATH, self, methods=["POST"], include_in_schema=False))
        return router

    async def start(self) -> None:
        server = build_server()
        server.streamable_http_app(
            stateless_http=True,
            json_response=False,
            max_request_body_size=self._max_body_bytes,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = server.session_manager
        await self._stack.enter_async_context(manager.run())
        self._manager = manager

    async def stop(self) -> None:
        self._manager = None
        await self._stack.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._door(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._manager is None:
            error: ReefError = ServiceNotStarted("The MCP server is not running.")
            await render_error(Request(scope, receive), error)(scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)
