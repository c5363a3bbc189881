"""Parameter ranges per API, and the wire names errors should point at.

The engine itself accepts the widest ranges; each API passes its own profile so a client sees
its own limits, and an error's `param` names the field as that client sent it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reef.engine.speech.audio_format import AudioFormat
from reef.errors import InvalidRequest


@dataclass(frozen=True)
class SpeechLimits:
    """Ranges and choices one API allows. `params` maps the engine's names (text, voice, speed,
    volume, pitch, emotion, sample_rate, bitrate, channels, format) to the API's field names."""

    name: str
    speed: tuple[float, float] = (0.25, 4.0)
    volume: tuple[float, float] = (0.0, 10.0)
    pitch: tuple[float, float] = (-12.0, 12.0)
    sample_rates: frozenset[int] = frozenset(
        {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}
    )
    bitrate: tuple[int, int] = (8_000, 320_000)
    bitrates: frozenset[int] | None = None
    channels: frozenset[int] = frozenset({1, 2})
    formats: frozenset[AudioFormat] = frozenset(AudioFormat)
    max_characters: int | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return self.params.get(name, name)

    def check_range(self, name: str, value: float, bounds: tuple[float, float]) -> None:
        low, high = bounds
        if not low <= value <= high:
            raise InvalidRequest(
                f"{self.param(name)} must be between {low:g} and {high:g}, got {value:g}",
                param=self.param(name),
            )

    def check_choice(self, name: str, value: object, allowed: frozenset[int]) -> None:
        if value not in allowed:
            choices = ", ".join(str(v) for v in sorted(allowed))
            raise InvalidRequest(
                f"{self.param(name)} must be one of {choices}, got {value}",
                param=self.param(name),
            )

    def parse_format(self, fmt: str | AudioFormat) -> AudioFormat:
        try:
            parsed = AudioFormat(str(fmt).lower())
        except ValueError:
            parsed = None
        if parsed is None or parsed not in self.formats:
            allowed = ", ".join(sorted(f.value for f in self.formats))
            raise InvalidRequest(
                f"{self.param('format')} {fmt!r} is not supported; use one of: {allowed}",
                param=self.param("format"),
            )
        return parsed


ENGINE_LIMITS = SpeechLimits(name="engine")

OPENAI_LIMITS = SpeechLimits(
    name="openai",
    speed=(0.25, 4.0),
    max_characters=4096,
    params={"text": "input", "format": "response_format", "emotion": "instructions"},
)

MINIMAX_LIMITS = SpeechLimits(
    name="minimax",
    speed=(0.5, 2.0),
    volume=(0.0, 10.0),
    pitch=(-12.0, 12.0),
    sample_rates=frozenset({8000, 16000, 22050, 24000, 32000, 44100}),
    bitrates=frozenset({32000, 64000, 128000, 256000}),
    formats=frozenset({AudioFormat.MP3, AudioFormat.PCM, AudioFormat.FLAC, AudioFormat.WAV}),
    max_characters=10000,
    params={
        "voice": "voice_setting.voice_id",
        "speed": "voice_setting.speed",
        "volume": "voice_setting.vol",
        "pitch": "voice_setting.pitch",
        "emotion": "voice_setting.emotion",
        "sample_rate": "audio_setting.sample_rate",
        "bitrate": "audio_setting.bitrate",
        "format": "audio_setting.format",
        "channels": "audio_setting.channel",
    },
)
