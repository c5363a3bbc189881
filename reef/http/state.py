"""What the running app holds: the shared ground built once by the lifespan, plus the services
each product provides when it starts, looked up by type so products never name each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, cast

from fastapi import Request

from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.engine.speech import SpeechEngine
from reef.errors import ReefError
from reef.http.metrics import Metrics
from reef.platform.service import PlatformServices
from reef.settings import Settings
from reef.store.db import Database

T = TypeVar("T")


class ServiceNotStarted(ReefError):
    status = 503
    type = "server_error"
    code = "service_unavailable"


@dataclass
class AppState:
    settings: Settings
    db: Database
    services: PlatformServices
    catalogue: Catalogue
    router: Router
    metrics: Metrics
    speech: SpeechEngine
    provided: dict[type, object] = field(default_factory=dict)

    def provide(self, service: object) -> None:
        """Make `service` reachable by its type (a product calls this from `start`)."""
        self.provided[type(service)] = service

    def get(self, kind: type[T]) -> T:
        service = self.provided.get(kind)
        if service is None:
            raise ServiceNotStarted(f"{kind.__name__} is not running on this server.")
        return cast(T, service)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.reef
    return state
