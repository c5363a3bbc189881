"""What a product is to the app: its routers, what it starts and stops, and its settings.

`reef.api.app.create_app` registers products from one list, so adding a product is one line
there. A product's `start` receives the shared ground (`AppState`) and provides its own
services on it (`state.provide(...)`), which its routes reach through `reef.http.deps.provided`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from fastapi import APIRouter

from reef.http.state import AppState


class Product(Protocol):
    """Built with the server's settings (`Product(settings)`) before the app starts."""

    name: str
    """Short name, also the product's section of the settings where it has one."""

    @property
    def routers(self) -> Sequence[APIRouter]: ...

    @property
    def upload_limits(self) -> Mapping[str, int]:
        """Request paths allowed a larger body than the server's cap, with their limit."""
        ...

    async def start(self, state: AppState) -> None: ...

    async def stop(self) -> None: ...
