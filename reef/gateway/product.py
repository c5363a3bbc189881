"""The open API (OpenAI- and MiniMax-compatible endpoints) as one product: chat, embeddings,
models, speech and usage reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from reef.gateway.chat import minimax as minimax_chat
from reef.gateway.chat import openai as openai_chat
from reef.gateway.embeddings import routes as embeddings
from reef.gateway.models import routes as models
from reef.gateway.speech import routes as speech
from reef.gateway.speech.files import AUDIO_DIR, SpeechFileStore
from reef.gateway.usage import routes as usage
from reef.http.state import AppState
from reef.settings import Settings


class GatewayProduct:
    name = "gateway"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def routers(self) -> Sequence[APIRouter]:
        return [
            area.router for area in (models, openai_chat, embeddings, minimax_chat, speech, usage)
        ]

    @property
    def upload_limits(self) -> Mapping[str, int]:
        return {}

    async def start(self, state: AppState) -> None:
        speech_dir = self._settings.data_dir / AUDIO_DIR
        state.provide(SpeechFileStore(speech_dir, self._settings.speech.audio_url_ttl_s))

    async def stop(self) -> None:
        return None
