"""The agents product as the app sees it: the agent-facing APIs' routers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.agents.http import messages, responses
from reef.http.state import AppState
from reef.settings import Settings


class AgentsProduct:
    name = "agents"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def routers(self) -> Sequence[APIRouter]:
        return [responses.router, *messages.routers]

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {}

    async def start(self, state: AppState) -> None:
        return None

    async def stop(self) -> None:
        return None
