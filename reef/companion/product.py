"""The companion product as the app sees it: its routers, its service's start and stop, and
the larger bodies it allows for card and world book uploads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.companion.http import routers
from reef.companion.http.characters import CARD_IMPORT_PATH, MULTIPART_ENVELOPE_BYTES
from reef.companion.http.worldbooks import WORLDBOOK_IMPORT_PATH
from reef.companion.service import CompanionService
from reef.companion.voice.service import VoiceService
from reef.http.state import AppState
from reef.settings import Settings


class CompanionProduct:
    name = "companion"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings.companion
        self._service: CompanionService | None = None

    @property
    def routers(self) -> Sequence[APIRouter]:
        return routers

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {
            CARD_IMPORT_PATH: self._settings.card_max_file_bytes + MULTIPART_ENVELOPE_BYTES,
            WORLDBOOK_IMPORT_PATH: self._settings.worldbook_max_bytes + MULTIPART_ENVELOPE_BYTES,
        }

    async def start(self, state: AppState) -> None:
        self._service = CompanionService(
            state.settings,
            state.db,
            state.catalogue,
            state.router,
            state.services,
            voice=VoiceService(state.settings.speech, state.speech),
        )
        state.provide(self._service)

    async def stop(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None
