"""The agents product as the app sees it: the agent-facing APIs' routers and the MCP server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.agents.http import messages, responses
from reef.agents.mcp.server import McpEndpoint
from reef.http.state import AppState
from reef.settings import Settings


class AgentsProduct:
    name = "agents"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._mcp = McpEndpoint(settings.max_request_body_bytes)

    @property
    def routers(self) -> Sequence[APIRouter]:
        return [responses.router, *messages.routers, self._mcp.router]

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {}

    async def start(self, state: AppState) -> None:
        await self._mcp.start()

    async def stop(self) -> None:
        await self._mcp.stop()
