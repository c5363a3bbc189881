"""The speech service the API routes call: validated requests in, encoded audio out.

Rendering runs on a small dedicated thread pool so CPU-heavy synthesis never blocks the event
loop; a stream renders one sentence ahead of the one it is sending."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reef.engine.speech.audio_format import (
    AudioEncoder,
    AudioFormat,
    EncodingSpec,
    fix_streamed_wav,
    to_int16,
)
from reef.engine.speech.limits import ENGINE_LIMITS, SpeechLimits
from reef.engine.speech.piper_runtime import PiperRuntime
from reef.engine.speech.prosody import Affect, Emotion
from reef.engine.speech.render import RenderOptions, render_piece
from reef.engine.speech.request import SpeechJob, SpeechRequest, prepare_job
from reef.engine.speech.resample import StreamResampler, resample
from reef.engine.speech.voices import Voice, VoiceRegistry
from reef.errors import Overloaded
from reef.settings import SpeechSettings

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SynthesisResult:
    """Finished audio and the facts billing and the MiniMax `extra_info` need."""

    audio: bytes
    sample_rate: int
    channels: int
    duration_ms: int
    format: AudioFormat
    characters: int
    bitrate: int
    voice_id: str


@dataclass(frozen=True)
class SpeechChunk:
    """One streamed piece: the encoded bytes ready after rendering sentence `index`. The last
    chunk has `final=True` and carries the whole result (all bytes joined)."""

    audio: bytes
    index: int
    text: str
    duration_ms: int
    final: bool
    result: SynthesisResult | None = None


class SpeechEngine:
    """Text-to-speech over Piper voices with prosody, emotion and every API audio format."""

    def __init__(
        self, settings: SpeechSettings | None = None, registry: VoiceRegistry | None = None
    ) -> None:
        self.settings = settings or SpeechSettings()
        self.registry = registry or VoiceRegistry.load(
            self.settings.voice_table, self.settings.voices_dir
        )
        self.registry.resolve(self.settings.default_voice)  # fail fast on a bad setting
        self._runtime = PiperRuntime(self.settings.onnx_threads)
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.worker_threads, thread_name_prefix="reef-speech"
        )
        self._options = RenderOptions(
            target_rms_dbfs=self.settings.target_rms_dbfs,
            sentence_pause_s=self.settings.sentence_pause_s,
        )
        self._pending = 0
        self._pending_lock = threading.Lock()

    def list_voices(self) -> list[Voice]:
        return self.registry.list_voices()

    async def preload(self, voice_ids: list[str] | None = None) -> None:
        """Load the models behind these voices (default: the default voice) ahead of traffic."""
        ids = voice_ids or [self.settings.default_voice]
        paths = {self.registry.resolve(v).model_path for v in ids}
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._executor, self._runtime.model, p) for p in paths)
        )

    async def synthesize(
        self,
        text: str,
        voice_id: str | None = None,
        *,
        speed: float = 1.0,
        pitch: float = 0.0,
        volume: float = 1.0,
        emotion: str | Emotion | Affect | None = None,
        sample_rate: int | None = None,
        fmt: str | AudioFormat = AudioFormat.MP3,
        channels: int = 1,
        bitrate: int | None = None,
        instructions: str | None = None,
        limits: SpeechLimits = ENGINE_LIMITS,
    ) -> SynthesisResult:
        """Speak `text` and return the complete audio file.

        `sample_rate=None` keeps the voice's own rate; `limits` selects which API's ranges and
        field names apply (see `reef.engine.speech.limits`)."""
        return await self.synthesize_request(
            SpeechRequest(
                text=text,
                voice_id=voice_id,
                speed=speed,
                pitch=pitch,
                volume=volume,
                emotion=emotion,
                sample_rate=sample_rate,
                fmt=fmt,
                channels=channels,
                bitrate=bitrate,
                instructions=instructions,
            ),
            limits,
        )

    async def synthesize_request(
        self, request: SpeechRequest, limits: SpeechLimits = ENGINE_LIMITS
    ) -> SynthesisResult:
        """`synthesize` for a ready-made `SpeechRequest`."""
        job = prepare_job(request, self.registry, self.settings, limits)
        with self._admitted():
            loop = asyncio.get_running_loop()
            futures = [self._submit_piece(job, i) for i in range(len(job.pieces))]
            try:
                pieces = [await asyncio.wrap_future(f) for f in futures]
            finally:
                for future in futures:
                    future.cancel()
            return await loop.run_in_executor(self._executor, self._encode_whole, job, pieces)

    async def stream_synthesize(
        self,
        text: str,
        voice_id: str | None = None,
        *,
        speed: float = 1.0,
        pitch: float = 0.0,
        volume: float = 1.0,
        emotion: str | Emotion | Affect | None = None,
        sample_rate: int | None = None,
        fmt: str | AudioFormat = AudioFormat.MP3,
        channels: int = 1,
        bitrate: int | None = None,
        instructions: str | None = None,
        limits: SpeechLimits = ENGINE_LIMITS,
    ) -> SpeechStream:
        """Validate now (so a bad request fails before any response starts) and return a
        stream of `SpeechChunk`s, one per sentence: `async for chunk in await engine.stream_...`.
        """
        return await self.stream_request(
            SpeechRequest(
                text=text,
                voice_id=voice_id,
                speed=speed,
                pitch=pitch,
                volume=volume,
                emotion=emotion,
                sample_rate=sample_rate,
                fmt=fmt,
                channels=channels,
                bitrate=bitrate,
                instructions=instructions,
            ),
            limits,
        )

    async def stream_request(
        self, request: SpeechRequest, limits: SpeechLimits = ENGINE_LIMITS
    ) -> SpeechStream:
        """`stream_synthesize` for a ready-made `SpeechRequest`."""
        job = prepare_job(request, self.registry, self.settings, limits)
        return SpeechStream(self, job)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- internals -------------------------------------------------------------------------

    @contextmanager
    def _admitted(self) -> Iterator[None]:
        """Count syntheses in flight; past `max_pending` new ones are refused with 503."""
        with self._pending_lock:
            if self._pending >= self.settings.max_pending:
                raise Overloaded("speech engine is busy; try again shortly")
            self._pending += 1
        try:
            yield
        finally:
            with self._pending_lock:
                self._pending -= 1

    def _submit_piece(self, job: SpeechJob, index: int) -> Future[FloatArray]:
        return self._executor.submit(
            render_piece,
            self._runtime,
            job.voice,
            job.plan,
            job.pieces[index],
            self._options,
            pause_after=index < len(job.pieces) - 1,
            seed=index,
        )

    def _encode_whole(self, job: SpeechJob, pieces: list[FloatArray]) -> SynthesisResult:
        mono = resample(np.concatenate(pieces), job.voice.sample_rate, job.spec.sample_rate)
        encoder = AudioEncoder(job.spec, streaming=False)
        encoder.write(to_int16(mono, job.spec.channels))
        return _result(job, encoder.finish(), encoder.samples_written)


class SpeechStream:
    """Async iterator of `SpeechChunk`s for one validated request."""

    def __init__(self, engine: SpeechEngine, job: SpeechJob) -> None:
        self._engine = engine
        self._job = job
        self._iterator: AsyncGenerator[SpeechChunk, None] | None = None

    @property
    def spec(self) -> EncodingSpec:
        """Format, rate, channels and bitrate of the bytes to come (for response headers)."""
        return self._job.spec

    @property
    def voice(self) -> Voice:
        return self._job.voice

    def __aiter__(self) -> AsyncIterator[SpeechChunk]:
        if self._iterator is None:
            self._iterator = self._chunks()
        return self._iterator

    async def aclose(self) -> None:
        """Stop early: cancels rendering not yet started and frees the admission slot."""
        if self._iterator is not None:
            await self._iterator.aclose()

    async def _chunks(self) -> AsyncGenerator[SpeechChunk, None]:
        engine, job = self._engine, self._job
        loop = asyncio.get_running_loop()
        with engine._admitted():
            resampler = StreamResampler(job.voice.sample_rate, job.spec.sample_rate)
            encoder = AudioEncoder(job.spec, streaming=True)
            sent: list[bytes] = []
            last = len(job.pieces) - 1
            rendering = engine._submit_piece(job, 0)
            try:
                for index in range(len(job.pieces)):
                    audio = await asyncio.wrap_future(rendering)
                    # The next sentence renders while this one is encoded and sent; starting
                    # it earlier would only slow the first sentence down on a small machine.
                    if index < last:
                        rendering = engine._submit_piece(job, index + 1)
                    data, samples = await loop.run_in_executor(
                        engine._executor, _encode_step, resampler, encoder, audio, index == last
                    )
                    sent.append(data)
                    duration_ms = round(samples * 1000 / job.spec.sample_rate)
                    if index < last:
                        yield SpeechChunk(data, index, job.pieces[index], duration_ms, final=False)
                        continue
                    whole = b"".join(sent)
                    if job.spec.fmt is AudioFormat.WAV:
                        whole = fix_streamed_wav(whole)
                    result = _result(job, whole, encoder.samples_written)
                    yield SpeechChunk(data, index, job.pieces[index], duration_ms, True, result)
            finally:
                rendering.cancel()


def _encode_step(
    resampler: StreamResampler, encoder: AudioEncoder, audio: FloatArray, final: bool
) -> tuple[bytes, int]:
    mono = resampler.convert(audio)
    if final:
        mono = np.concatenate([mono, resampler.flush()])
    data = encoder.write(to_int16(mono, encoder.spec.channels))
    if final:
        data += encoder.finish()
    return data, mono.size


def _result(job: SpeechJob, audio: bytes, samples: int) -> SynthesisResult:
    spec = job.spec
    duration_ms = round(samples * 1000 / spec.sample_rate)
    if spec.bitrate is not None:
        bitrate = spec.bitrate
    elif spec.fmt is AudioFormat.FLAC:
        bitrate = round(len(audio) * 8 * 1000 / max(duration_ms, 1))
    else:
        bitrate = spec.pcm_bitrate
    return SynthesisResult(
        audio=audio,
        sample_rate=spec.sample_rate,
        channels=spec.channels,
        duration_ms=duration_ms,
        format=spec.fmt,
        characters=job.characters,
        bitrate=bitrate,
        voice_id=job.voice.voice_id,
    )
