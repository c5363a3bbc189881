"""A speech request and its validation into a render job: every check happens here, before any
audio is made, so a bad request fails cleanly (and before a stream's response starts)."""

from __future__ import annotations

from dataclasses import dataclass

from reef.engine.speech.audio_format import AudioFormat, EncodingSpec
from reef.engine.speech.limits import ENGINE_LIMITS, SpeechLimits
from reef.engine.speech.prosody import Affect, Emotion, RenderPlan, parse_emotion, plan_render
from reef.engine.speech.sentences import split_sentences
from reef.engine.speech.voices import Voice, VoiceRegistry
from reef.errors import InvalidRequest
from reef.settings import SpeechSettings


@dataclass(frozen=True)
class SpeechRequest:
    """What a caller asks for. `voice_id=None` means the default voice, `sample_rate=None` the
    voice's own rate, `bitrate=None` the configured default; `emotion` is a MiniMax emotion
    name or a continuous `Affect`; `instructions` is OpenAI's free-text delivery hint."""

    text: str
    voice_id: str | None = None
    speed: float = 1.0
    pitch: float = 0.0
    volume: float = 1.0
    emotion: str | Emotion | Affect | None = None
    sample_rate: int | None = None
    fmt: str | AudioFormat = AudioFormat.MP3
    channels: int = 1
    bitrate: int | None = None
    instructions: str | None = None


@dataclass(frozen=True)
class SpeechJob:
    """A validated request: the voice, how to deliver it, how to encode it, what to say."""

    voice: Voice
    plan: RenderPlan
    spec: EncodingSpec
    pieces: list[str]
    characters: int


def prepare_job(
    request: SpeechRequest,
    registry: VoiceRegistry,
    settings: SpeechSettings,
    limits: SpeechLimits = ENGINE_LIMITS,
) -> SpeechJob:
    """Check every parameter against `limits` (errors name the API's own field) and resolve
    voice, delivery and encoding."""
    text = _checked_text(request.text, settings, limits)
    voice = registry.resolve(
        request.voice_id or settings.default_voice, param=limits.param("voice")
    )
    limits.check_range("speed", request.speed, limits.speed)
    limits.check_range("volume", request.volume, limits.volume)
    limits.check_range("pitch", request.pitch, limits.pitch)
    emotion = request.emotion
    if isinstance(emotion, str):
        emotion = parse_emotion(emotion, param=limits.param("emotion"))
    audio_format = limits.parse_format(request.fmt)
    if request.sample_rate is not None:
        limits.check_choice("sample_rate", request.sample_rate, limits.sample_rates)
    limits.check_choice("channels", request.channels, limits.channels)
    if request.bitrate is not None:
        if limits.bitrates is not None:
            limits.check_choice("bitrate", request.bitrate, limits.bitrates)
        else:
            limits.check_range("bitrate", request.bitrate, limits.bitrate)
    pieces = split_sentences(text, settings.sentence_max_chars)
    if not pieces:
        raise InvalidRequest(
            f"{limits.param('text')} has no words to speak", param=limits.param("text")
        )
    plan = plan_render(
        voice,
        speed=request.speed,
        pitch=request.pitch,
        volume=request.volume,
        emotion=emotion,
        instructions=request.instructions,
        pitch_limit=ENGINE_LIMITS.pitch[1],
    )
    spec = EncodingSpec.negotiate(
        audio_format,
        request.sample_rate or voice.sample_rate,
        request.channels,
        request.bitrate or settings.mp3_bitrate,
    )
    return SpeechJob(voice, plan, spec, pieces, characters=len(text))


def _checked_text(text: str, settings: SpeechSettings, limits: SpeechLimits) -> str:
    param = limits.param("text")
    cleaned = text.strip() if isinstance(text, str) else ""
    if not cleaned:
        raise InvalidRequest(f"{param} must not be empty", param=param)
    max_chars = min(limits.max_characters or settings.max_characters, settings.max_characters)
    if len(cleaned) > max_chars:
        raise InvalidRequest(
            f"{param} is {len(cleaned)} characters; at most {max_chars} allowed", param=param
        )
    return cleaned
