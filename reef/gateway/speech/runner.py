"""One speech request from validated body to metered audio, whole or streamed.

The OpenAI and MiniMax routes both run through `SpeechCall`; they differ only in wire shape.
Speech is billed per character: a finished request for every character it spoke, a stream
the client left early for the sentences it was sent."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator

import anyio
from fastapi import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from reef.engine.protocol import Usage
from reef.engine.speech import (
    SpeechChunk,
    SpeechLimits,
    SpeechRequest,
    SpeechStream,
    SynthesisResult,
)
from reef.engine.speech.request import prepare_job
from reef.errors import ReefError
from reef.http.disconnect import CLIENT_CLOSED_REQUEST, unless_disconnected
from reef.http.metering import RequestMeter
from reef.http.state import AppState, app_state
from reef.platform.types import Principal

log = logging.getLogger(__name__)


class AudioStreamResponse(StreamingResponse):
    """A streamed body whose producer is always closed, shielded, however the response ends
    (client gone included), so its `finally` meters the request exactly once, at once."""

    def __init__(
        self,
        chunks: AsyncGenerator[bytes, None],
        media_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(chunks, media_type=media_type, headers=headers)
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._chunks.aclose()


class SpeechCall:
    """Resolves the model, validates, admits, then synthesizes and meters one request."""

    def __init__(
        self,
        request: Request,
        meter: RequestMeter,
        principal: Principal,
        limits: SpeechLimits,
    ) -> None:
        self.request = request
        self.meter = meter
        self.principal = principal
        self.limits = limits
        self.state: AppState = app_state(request)
        self.model = ""

    async def admit(self, model_name: str, speech: SpeechRequest) -> None:
        """Unknown model (404) and bad parameters (400) are refused before admission, so they
        use up no rate limit; then the key's allow-list, budget and limits apply to the
        canonical model id (aliases share it)."""
        self.meter.model = model_name
        engine = self.state.speech
        self.model = engine.registry.resolve_model(model_name).model_id
        self.meter.model = self.model
        self.request.state.model = self.model
        prepare_job(speech, engine.registry, engine.settings, self.limits)
        await self.state.services.admit(self.principal, self.model)

    async def synthesize(self, speech: SpeechRequest) -> SynthesisResult | None:
        """The whole audio, metered; None if the client left first (nothing is charged)."""
        result, aborted = await unless_disconnected(
            self.request, self.state.speech.synthesize_request(speech, self.limits)
        )
        if aborted or result is None:
            with anyio.CancelScope(shield=True):
                await self.meter.succeed(
                    Usage(), self.model, aborted=True, status=CLIENT_CLOSED_REQUEST
                )
            return None
        await self.meter.succeed(Usage(), self.model, characters=result.characters)
        return result

    async def stream(self, speech: SpeechRequest) -> AsyncGenerator[SpeechChunk, None]:
        """Render the first sentence before answering, so a failure to start (engine busy)
        is still a plain error response; then a metered generator of all the chunks."""
        stream = await self.state.speech.stream_request(speech, self.limits)
        chunks = aiter(stream)
        try:
            first = await anext(chunks)
        except BaseException:
            await stream.aclose()
            raise
        return self._metered(stream, chunks, first)

    async def _metered(
        self, stream: SpeechStream, chunks: AsyncIterator[SpeechChunk], first: SpeechChunk
    ) -> AsyncGenerator[SpeechChunk, None]:
        characters = 0
        completed = False
        status = 200
        try:
            chunk = first
            while not chunk.final:
                yield chunk
                characters += len(chunk.text)
                chunk = await anext(chunks)
            # Everything is rendered: the whole text is charged, however the sending ends.
            assert chunk.result is not None
            characters = chunk.result.characters
            completed = True
            # In the ledger before the last chunk leaves, so a crash cannot lose it.
            with anyio.CancelScope(shield=True):
                await self.meter.succeed(Usage(), self.model, characters=characters)
            yield chunk
        except ReefError as exc:
            status = exc.status
            raise
        except Exception:
            status = 500
            log.exception("speech stream for %s failed after it started", self.model)
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await stream.aclose()
                await self.meter.succeed(
                    Usage(),
                    self.model,
                    characters=characters,
                    aborted=not completed and status == 200,
                    status=status,
                )
