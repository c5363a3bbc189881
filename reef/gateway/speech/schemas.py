"""Request bodies of the speech endpoints. Only shapes are checked here; ranges, voices and
formats are the speech engine's to check, so its errors name each API's own field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reef.engine.speech import AudioFormat, SpeechRequest

# What OpenAI promises for `pcm` (raw s16le, no header to say otherwise).
OPENAI_PCM_SAMPLE_RATE = 24000
# MiniMax's documented default; a client reading raw pcm relies on it.
MINIMAX_DEFAULT_SAMPLE_RATE = 32000


class VoiceReference(BaseModel):
    """OpenAI's `{"id": "voice_..."}` form of `voice`."""

    id: str


class OpenAISpeechBody(BaseModel):
    """`POST /v1/audio/speech`."""

    model_config = ConfigDict(extra="forbid")

    model: str
    input: str
    voice: str | VoiceReference
    response_format: str = AudioFormat.MP3.value
    speed: float = 1.0
    instructions: str | None = None
    stream_format: Literal["audio", "sse"] = "audio"

    def to_speech_request(self) -> SpeechRequest:
        voice = self.voice.id if isinstance(self.voice, VoiceReference) else self.voice
        raw_pcm = self.response_format.lower() == AudioFormat.PCM.value
        return SpeechRequest(
            text=self.input,
            voice_id=voice,
            speed=self.speed,
            fmt=self.response_format,
            sample_rate=OPENAI_PCM_SAMPLE_RATE if raw_pcm else None,
            instructions=self.instructions,
        )


class MiniMaxVoiceSetting(BaseModel):
    model_config = ConfigDict(extra="ignore")

    voice_id: str | None = None
    speed: float = 1.0
    vol: float = 1.0
    pitch: float = 0.0
    emotion: str | None = None


class MiniMaxAudioSetting(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sample_rate: int = MINIMAX_DEFAULT_SAMPLE_RATE
    bitrate: int | None = None
    format: str = AudioFormat.MP3.value
    channel: int = 1


class MiniMaxSpeechBody(BaseModel):
    """`POST /v1/t2a_v2`. MiniMax-only options Reef has no use for (language_boost,
    pronunciation_dict, subtitle_enable, ...) are accepted and ignored, as MiniMax clients
    send them by default."""

    model_config = ConfigDict(extra="ignore")

    model: str
    text: str
    stream: bool = False
    voice_setting: MiniMaxVoiceSetting = Field(default_factory=MiniMaxVoiceSetting)
    audio_setting: MiniMaxAudioSetting = Field(default_factory=MiniMaxAudioSetting)
    output_format: Literal["hex", "url"] = "hex"

    def to_speech_request(self) -> SpeechRequest:
        voice, audio = self.voice_setting, self.audio_setting
        return SpeechRequest(
            text=self.text,
            voice_id=voice.voice_id,
            speed=voice.speed,
            pitch=voice.pitch,
            volume=voice.vol,
            emotion=voice.emotion,
            sample_rate=audio.sample_rate,
            fmt=audio.format,
            channels=audio.channel,
            bitrate=audio.bitrate,
        )


class GetVoiceBody(BaseModel):
    """`POST /v1/get_voice`; the type is checked by the listing, which names the choices."""

    model_config = ConfigDict(extra="ignore")

    voice_type: str = "all"
