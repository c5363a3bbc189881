"""A character's voice: validated settings, and replies spoken in it, shaped by the emotion the
character feels after the exchange (its valence and arousal drive the prosody)."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from typing import Any

from reef.companion.emotion import EmotionState, to_voice
from reef.companion.http.schemas import AudioEncoding, VoiceBody
from reef.engine.catalogue import Catalogue
from reef.engine.speech import Affect, SpeechEngine, SynthesisResult
from reef.platform.service import PlatformServices
from reef.platform.types import Principal, UsageRecord
from reef.settings import SpeechSettings

SPEECH_ENDPOINT = "companion.speech"
VOICE_PARAM = "voice.voice_id"


@dataclass(frozen=True)
class SpokenReply:
    result: SynthesisResult
    payload: dict[str, Any]


class VoiceService:
    """Speaks through the app's speech engine, or through its own, built on first use (most
    turns never speak) and closed with it."""

    def __init__(self, settings: SpeechSettings, engine: SpeechEngine | None = None) -> None:
        self._settings = settings
        self._engine = engine
        self._owns_engine = engine is None
        self._lock = threading.Lock()

    @property
    def engine(self) -> SpeechEngine:
        with self._lock:
            if self._engine is None:
                self._engine = SpeechEngine(self._settings)
            return self._engine

    def settings_for(self, body: VoiceBody | None, current: dict[str, Any] | None = None) -> dict:
        """Voice settings to store: `body` over `current` over the defaults; the voice id must
        be one the speech engine knows."""
        base = {"voice_id": self._settings.default_voice, "speed": 1.0, "pitch": 0.0, "volume": 1.0}
        merged = {**base, **(current or {})}
        if body is not None:
            merged.update(body.model_dump(exclude_unset=True, exclude_none=True))
        self.engine.registry.resolve(str(merged["voice_id"]), param=VOICE_PARAM)
        return merged

    async def speak(
        self,
        text: str,
        voice: dict[str, Any],
        emotion: dict[str, Any] | None,
        *,
        fmt: str,
        encoding: AudioEncoding,
    ) -> SpokenReply:
        affect = None
        if emotion is not None:
            _, valence, arousal = to_voice(EmotionState.from_dict(emotion))
            affect = Affect(valence, arousal)
        result = await self.engine.synthesize(
            text,
            str(voice.get("voice_id") or self._settings.default_voice),
            speed=float(voice.get("speed", 1.0)),
            pitch=float(voice.get("pitch", 0.0)),
            volume=float(voice.get("volume", 1.0)),
            emotion=affect,
            fmt=fmt,
        )
        data = (
            result.audio.hex()
            if encoding == "hex"
            else base64.b64encode(result.audio).decode("ascii")
        )
        payload = {
            "format": result.format.value,
            "encoding": encoding,
            "data": data,
            "voice_id": result.voice_id,
            "sample_rate": result.sample_rate,
            "duration_ms": result.duration_ms,
            "emotion": emotion,
        }
        return SpokenReply(result, payload)

    def speech_model(self) -> str:
        models = self.engine.registry.list_models()
        return models[0].model_id if models else "speech"

    def close(self) -> None:
        if self._owns_engine and self._engine is not None:
            self._engine.close()


async def record_speech(
    services: PlatformServices,
    catalogue: Catalogue,
    principal: Principal,
    request_id: str,
    model: str,
    characters: int,
) -> None:
    """A ledger row for the spoken reply, priced by the catalogue's speech entry if any."""
    spec = catalogue.models.get(model)
    cost = spec.cost_nano_usd(0, 0, characters=characters) if spec is not None else 0
    await services.record(
        UsageRecord(
            request_id=request_id,
            org_id=principal.org_id,
            key_id=principal.key_id,
            endpoint=SPEECH_ENDPOINT,
            model=model,
            status=200,
            characters=characters,
            cost_nano_usd=cost,
        )
    )
