"""What the running app holds: built once by the lifespan, read by every request."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from reef.api.metrics import Metrics
from reef.api.speech_files import SpeechFileStore
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.engine.speech import SpeechEngine
from reef.platform.service import PlatformServices
from reef.settings import Settings
from reef.store.db import Database


@dataclass
class AppState:
    settings: Settings
    db: Database
    services: PlatformServices
    catalogue: Catalogue
    router: Router
    metrics: Metrics
    speech: SpeechEngine
    speech_files: SpeechFileStore


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.reef
    return state
