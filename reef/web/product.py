"""The web page as a product: static files only, nothing to start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.http.state import AppState
from reef.settings import Settings
from reef.web.routes import router


class WebProduct:
    name = "web"

    def __init__(self, settings: Settings) -> None:
        del settings  # the page needs none

    @property
    def routers(self) -> Sequence[APIRouter]:
        return [router]

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {}

    async def start(self, state: AppState) -> None:
        return None

    async def stop(self) -> None:
        return None
