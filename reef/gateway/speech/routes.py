"""Text to speech: OpenAI's `/v1/audio/speech`, MiniMax's `/v1/t2a_v2` and `/v1/get_voice`, a
voice listing for the web UI, and the download route behind MiniMax's `output_format: "url"`.

Routes tagged `minimax` answer errors as HTTP 200 with `base_resp` (see reef.http.errors)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from reef.engine.speech import (
    MINIMAX_LIMITS,
    OPENAI_LIMITS,
    SpeechChunk,
    SynthesisResult,
    extra_info,
    get_voice_listing,
)
from reef.errors import InvalidRequest, NotFound, PermissionDenied, ReefError
from reef.gateway.chat.responses import streamed
from reef.gateway.speech.files import SpeechFileStore, StoredAudio, audio_format_of
from reef.gateway.speech.responses import GetVoiceResponse, T2AResponse, VoiceList
from reef.gateway.speech.runner import AudioStreamResponse, SpeechCall
from reef.gateway.speech.schemas import GetVoiceBody, MiniMaxSpeechBody, OpenAISpeechBody
from reef.http.deps import Caller, Meter, authenticated
from reef.http.disconnect import CLIENT_CLOSED_REQUEST
from reef.http.errors import MINIMAX_TAG, minimax_error_body
from reef.http.schemas import COMMON_ERRORS
from reef.http.sse import EventStreamResponse, sse_event
from reef.http.state import app_state
from reef.platform.types import Principal

router = APIRouter(responses=COMMON_ERRORS)

OPENAI_TAG = "openai"
MINIMAX_SUCCESS = {"status_code": 0, "status_msg": "success"}
# MiniMax `data.status`: 1 = a piece of a stream, 2 = the synthesis is complete.
STATUS_PIECE = 1
STATUS_COMPLETE = 2


# -- OpenAI ------------------------------------------------------------------------------------


@router.post(
    "/v1/audio/speech",
    tags=[OPENAI_TAG],
    name="audio.speech",
    response_class=Response,
    responses={200: {"description": "the audio bytes", "content": {"audio/mpeg": {}}}},
)
async def create_speech(
    request: Request,
    body: OpenAISpeechBody,
    meter: Meter,
    principal: Caller,
) -> Response:
    """The audio bytes, streamed sentence by sentence as they are rendered."""
    if body.stream_format == "sse":
        raise InvalidRequest(
            "stream_format 'sse' is not supported; use 'audio' (the default), which streams "
            "the audio bytes as they are rendered.",
            param="stream_format",
        )
    speech = body.to_speech_request()
    call = SpeechCall(request, meter, principal, OPENAI_LIMITS)
    await call.admit(body.model, speech)
    chunks = await call.stream(speech)
    fmt = OPENAI_LIMITS.parse_format(body.response_format)
    return AudioStreamResponse(_audio_bytes(chunks), media_type=fmt.media_type)


async def _audio_bytes(chunks: AsyncGenerator[SpeechChunk, None]) -> AsyncGenerator[bytes, None]:
    async with aclosing(chunks):
        async for chunk in chunks:
            if chunk.audio:
                yield chunk.audio


@router.get("/v1/audio/voices", tags=[OPENAI_TAG], response_model=VoiceList)
async def list_voices(request: Request, _: Caller) -> dict[str, Any]:
    """Every local voice with its description and the OpenAI/MiniMax ids that select it, and
    the speech models with their aliases."""
    engine = app_state(request).speech
    aliases: dict[str, list[str]] = {}
    for alias, voice_id in engine.registry.aliases.items():
        aliases.setdefault(voice_id, []).append(alias)
    voices = [
        {
            "id": voice.voice_id,
            "object": "audio.voice",
            "name": voice.name,
            "description": list(voice.description),
            "gender": voice.gender,
            "language": voice.language,
            "sample_rate": voice.sample_rate,
            "aliases": aliases.get(voice.voice_id, []),
        }
        for voice in engine.list_voices()
    ]
    models = [
        {"id": m.model_id, "engine": m.engine, "description": m.description, "aliases": m.aliases}
        for m in engine.registry.list_models()
    ]
    return {
        "object": "list",
        "data": voices,
        "default_voice": engine.settings.default_voice,
        "models": models,
    }


@router.get(
    "/v1/audio/files/{org_id}/{name}",
    tags=[OPENAI_TAG],
    name="speech_file",
    response_class=FileResponse,
    responses={200: {"description": "the audio file", "content": {"audio/mpeg": {}}}},
)
async def speech_file(
    request: Request,
    org_id: int,
    name: str,
    expires: int | None = None,
    signature: str | None = None,
) -> FileResponse:
    """Audio saved for a MiniMax `url` answer: open to the signed link it was answered with,
    or to a key of the organisation that made it; to anyone else it does not exist."""
    store = app_state(request).get(SpeechFileStore)
    if expires is not None or signature is not None:
        if expires is None or signature is None:
            raise PermissionDenied(
                "An audio link needs both expires and signature.", code="invalid_signature"
            )
        if not store.signature_valid(org_id, name, expires, signature):
            raise PermissionDenied(
                "This audio link is invalid or has expired.", code="invalid_signature"
            )
    else:
        principal = await authenticated(request)
        if principal.org_id != org_id:
            raise _no_such_file(name)
    path = await asyncio.to_thread(store.find, org_id, name)
    if path is None:
        raise _no_such_file(name)
    return FileResponse(path, media_type=audio_format_of(name).media_type)


def _no_such_file(name: str) -> NotFound:
    return NotFound(f"No audio file {name!r} (links expire).", code="file_not_found")


# -- MiniMax -----------------------------------------------------------------------------------


@router.post(
    "/v1/t2a_v2",
    tags=[MINIMAX_TAG],
    name="t2a_v2",
    response_model=None,
    responses=streamed(T2AResponse, "the speech (errors too, as `base_resp`), or SSE events"),
)
async def minimax_t2a(
    request: Request,
    body: MiniMaxSpeechBody,
    meter: Meter,
    principal: Caller,
) -> Response:
    if body.stream and body.output_format == "url":
        raise InvalidRequest(
            "output_format 'url' is only available without streaming; use 'hex'.",
            param="output_format",
        )
    speech = body.to_speech_request()
    call = SpeechCall(request, meter, principal, MINIMAX_LIMITS)
    await call.admit(body.model, speech)
    trace_id = meter.request_id
    if body.stream:
        chunks = await call.stream(speech)
        return EventStreamResponse(_minimax_events(chunks, body.text, trace_id))
    result = await call.synthesize(speech)
    if result is None:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    if body.output_format == "url":
        audio = await _store_for_url(request, principal, result)
    else:
        audio = result.audio.hex()
    return JSONResponse(
        {
            "data": {"audio": audio, "status": STATUS_COMPLETE},
            "extra_info": extra_info(result, body.text),
            "trace_id": trace_id,
            "base_resp": MINIMAX_SUCCESS,
        }
    )


async def _store_for_url(request: Request, principal: Principal, result: SynthesisResult) -> str:
    store = app_state(request).get(SpeechFileStore)
    stored: StoredAudio = await asyncio.to_thread(
        store.save, principal.org_id, result.audio, result.format
    )
    url = request.url_for("speech_file", org_id=stored.org_id, name=stored.name)
    return f"{url}?{store.signed_query(stored)}"


async def _minimax_events(
    chunks: AsyncGenerator[SpeechChunk, None], text: str, trace_id: str
) -> AsyncGenerator[str, None]:
    """One event per rendered piece (status 1), then, as MiniMax does, a last one (status 2)
    with the complete audio and `extra_info`. A failure mid-stream ends it with an event
    carrying the error's `base_resp`."""
    async with aclosing(chunks):
        try:
            async for chunk in chunks:
                if chunk.audio:
                    yield _event({"audio": chunk.audio.hex(), "status": STATUS_PIECE}, trace_id)
                if chunk.result is not None:
                    complete = {"audio": chunk.result.audio.hex(), "status": STATUS_COMPLETE}
                    yield _event(complete, trace_id, extra_info(chunk.result, text))
        except Exception as exc:
            error = exc if isinstance(exc, ReefError) else ReefError("Speech synthesis failed.")
            yield sse_event(_json({**minimax_error_body(error), "trace_id": trace_id}))


def _event(data: dict[str, Any], trace_id: str, info: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"data": data}
    if info is not None:
        body["extra_info"] = info
    body["trace_id"] = trace_id
    body["base_resp"] = MINIMAX_SUCCESS
    return sse_event(_json(body))


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@router.post(
    "/v1/get_voice",
    tags=[MINIMAX_TAG],
    response_model=GetVoiceResponse,
    response_model_exclude_unset=True,
)
async def minimax_get_voice(request: Request, body: GetVoiceBody, _: Caller) -> dict[str, Any]:
    listing = get_voice_listing(app_state(request).speech.registry, body.voice_type)
    return {**listing, "base_resp": MINIMAX_SUCCESS}
