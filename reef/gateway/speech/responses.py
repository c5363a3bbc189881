"""Response models of the speech endpoints, for the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from reef.gateway.chat.responses import BaseResp


class Voice(BaseModel):
    id: str
    object: Literal["audio.voice"] = "audio.voice"
    name: str
    description: list[str]
    gender: str | None
    language: str
    sample_rate: int
    aliases: list[str]


class SpeechModel(BaseModel):
    id: str
    engine: str
    description: str
    aliases: list[str]


class VoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Voice]
    default_voice: str
    models: list[SpeechModel]


class T2AData(BaseModel):
    audio: str = Field(description="hex audio, or a signed URL with output_format 'url'")
    status: int = Field(description="1: a piece of a stream, 2: complete")


class T2AExtraInfo(BaseModel):
    audio_length: int = Field(description="milliseconds")
    audio_sample_rate: int
    audio_size: int = Field(description="bytes")
    bitrate: int | None
    word_count: int
    usage_characters: int
    audio_format: str
    audio_channel: int


class T2AResponse(BaseModel):
    """`stream: false`; with `stream: true`, SSE events of the same shape (status 1, then 2)."""

    data: T2AData | None = None
    extra_info: T2AExtraInfo | None = None
    trace_id: str | None = None
    base_resp: BaseResp


class SystemVoice(BaseModel):
    voice_id: str
    voice_name: str
    description: list[str]


class GetVoiceResponse(BaseModel):
    system_voice: list[SystemVoice] | None = None
    voice_cloning: list[dict[str, str]] | None = None
    voice_generation: list[dict[str, str]] | None = None
    base_resp: BaseResp
