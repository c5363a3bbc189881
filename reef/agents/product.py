"""The agents product as the app sees it: the agent-facing APIs (Responses, Messages, toolsets
and tool search), the MCP server, and the services behind them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.agents.http import routers
from reef.agents.mcp.server import McpEndpoint
from reef.agents.toolsearch.service import ToolSearchService
from reef.http.state import AppState
from reef.settings import Settings


class AgentsProduct:
    name = "agents"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings.agents
        self._mcp = McpEndpoint(settings.max_request_body_bytes)
        self._tool_search: ToolSearchService | None = None

    @property
    def routers(self) -> Sequence[APIRouter]:
        return [*routers, self._mcp.router]

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {}

    async def start(self, state: AppState) -> None:
        self._tool_search = ToolSearchService(
            self._settings.tool_search, state.db, state.catalogue, state.router, state.services
        )
        state.provide(self._tool_search)
        await self._mcp.start()

    async def stop(self) -> None:
        await self._mcp.stop()
        self._tool_search = None
