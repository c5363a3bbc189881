"""The exact MiniMax answer pieces for speech: `extra_info` of /v1/t2a_v2 and the /v1/get_voice
listing."""

from __future__ import annotations

import re
from typing import Any, Literal

from reef.engine.speech.engine import SynthesisResult
from reef.engine.speech.voices import VoiceRegistry
from reef.errors import InvalidRequest

VoiceType = Literal["system", "voice_cloning", "voice_generation", "all"]
VOICE_TYPES: tuple[str, ...] = ("system", "voice_cloning", "voice_generation", "all")

# A word is a run of letters/digits (with inner apostrophes); each CJK character counts as one.
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+(?:['\u2019][^\W_]+)*")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def extra_info(result: SynthesisResult, text: str) -> dict[str, Any]:
    """`extra_info` of a t2a_v2 answer (audio_length in ms, audio_size in bytes)."""
    return {
        "audio_length": result.duration_ms,
        "audio_sample_rate": result.sample_rate,
        "audio_size": len(result.audio),
        "bitrate": result.bitrate,
        "word_count": word_count(text),
        "usage_characters": result.characters,
        "audio_format": result.format.value,
        "audio_channel": result.channels,
    }


def get_voice_listing(registry: VoiceRegistry, voice_type: str = "all") -> dict[str, Any]:
    """The /v1/get_voice body without `base_resp`. Local voices are the system voices; Reef has
    no cloned or generated voices, so those lists are empty (present when asked for)."""
    if voice_type not in VOICE_TYPES:
        raise InvalidRequest(
            f"voice_type must be one of {', '.join(VOICE_TYPES)}, got {voice_type!r}",
            param="voice_type",
        )
    listing: dict[str, Any] = {}
    if voice_type in ("system", "all"):
        listing["system_voice"] = [
            {
                "voice_id": voice.voice_id,
                "voice_name": voice.name,
                "description": list(voice.description),
            }
            for voice in registry.list_voices()
        ]
    if voice_type in ("voice_cloning", "all"):
        listing["voice_cloning"] = []
    if voice_type in ("voice_generation", "all"):
        listing["voice_generation"] = []
    return listing
