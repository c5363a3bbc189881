"""Audio containers and codecs the speech APIs answer in, encoded with the ffmpeg libraries that
PyAV bundles (no system binaries). Encoders work incrementally so a stream can send each
sentence as soon as it is rendered."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from enum import StrEnum

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream

Int16Array = npt.NDArray[np.int16]

PCM_SAMPLE_BYTES = 2
OPUS_SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
# Highest MP3 bitrate per MPEG version: MPEG-1 (32 kHz and up) allows 320 kbit/s, MPEG-2 and
# 2.5 (below 32 kHz) 160 kbit/s. LAME silently clamps, so report what it really uses.
_MP3_MPEG1_MIN_RATE = 32000
_MP3_MAX_BITRATE = {True: 320_000, False: 160_000}
_WAV_STREAMING_SIZE = 0xFFFFFFFF
# Ogg holds packets until a page spans this long (default 1 s); a fifth of a second lets every
# sentence of a stream leave at once for ~150 B/s of page headers.
_OGG_PAGE_DURATION_US = 200_000


class AudioFormat(StrEnum):
    MP3 = "mp3"
    WAV = "wav"
    PCM = "pcm"
    FLAC = "flac"
    OPUS = "opus"
    AAC = "aac"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def is_lossy(self) -> bool:
        return self in (AudioFormat.MP3, AudioFormat.OPUS, AudioFormat.AAC)


_MEDIA_TYPES = {
    AudioFormat.MP3: "audio/mpeg",
    AudioFormat.WAV: "audio/wav",
    AudioFormat.PCM: "audio/pcm",
    AudioFormat.FLAC: "audio/flac",
    AudioFormat.OPUS: "audio/ogg",
    AudioFormat.AAC: "audio/aac",
}
# (muxer, encoder) inside PyAV's ffmpeg build, and muxer options.
_MUXER_OPTIONS = {"ogg": {"page_duration": str(_OGG_PAGE_DURATION_US)}}
_AV_CODECS = {
    AudioFormat.MP3: ("mp3", "libmp3lame"),
    AudioFormat.FLAC: ("flac", "flac"),
    AudioFormat.OPUS: ("ogg", "libopus"),
    AudioFormat.AAC: ("adts", "aac"),
}


@dataclass(frozen=True)
class EncodingSpec:
    """What comes out: container/codec, rate, channel count and (lossy formats) bitrate."""

    fmt: AudioFormat
    sample_rate: int
    channels: int
    bitrate: int | None

    @classmethod
    def negotiate(
        cls, fmt: AudioFormat, sample_rate: int, channels: int, bitrate: int
    ) -> EncodingSpec:
        """The closest spec the codec supports: Opus only runs at its own rates (the next one
        up is taken), MP3 caps the bitrate by MPEG version; lossless formats have none."""
        if fmt is AudioFormat.OPUS:
            sample_rate = next((r for r in OPUS_SAMPLE_RATES if r >= sample_rate), 48000)
        if fmt is AudioFormat.MP3:
            bitrate = min(bitrate, _MP3_MAX_BITRATE[sample_rate >= _MP3_MPEG1_MIN_RATE])
        return cls(fmt, sample_rate, channels, bitrate if fmt.is_lossy else None)

    @property
    def pcm_bitrate(self) -> int:
        return self.sample_rate * self.channels * PCM_SAMPLE_BYTES * 8


class _ChunkSink:
    """A write-only, non-seekable file for PyAV: muxers then emit a streamable layout and every
    byte written can be handed out straight away."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def seekable(self) -> bool:
        return False

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class AudioEncoder:
    """Incremental encoder: `write` interleaved int16 samples (shape (n, channels)) and get the
    bytes ready so far; `finish` flushes the codec. `streaming=False` writes to a seekable
    buffer, so containers get exact headers (WAV sizes, FLAC totals, MP3 Xing frame) and all
    bytes come from `finish`."""

    def __init__(self, spec: EncodingSpec, *, streaming: bool) -> None:
        self.spec = spec
        self.streaming = streaming
        self._samples_written = 0
        self._header_sent = False
        self._pcm_parts: list[bytes] = []
        self._container: av.container.OutputContainer | None = None
        self._stream: AudioStream | None = None
        self._sink: _ChunkSink | io.BytesIO | None = None
        if spec.fmt in _AV_CODECS:
            muxer, codec = _AV_CODECS[spec.fmt]
            self._sink = _ChunkSink() if streaming else io.BytesIO()
            self._container = av.open(
                self._sink, mode="w", format=muxer, container_options=_MUXER_OPTIONS.get(muxer)
            )
            stream = self._container.add_stream(codec, rate=spec.sample_rate)
            assert isinstance(stream, AudioStream)
            stream.layout = "stereo" if spec.channels == 2 else "mono"
            if spec.bitrate is not None:
                stream.bit_rate = spec.bitrate
            self._stream = stream

    @property
    def samples_written(self) -> int:
        """Sample frames (per channel) accepted so far."""
        return self._samples_written

    def write(self, pcm: Int16Array) -> bytes:
        if pcm.ndim != 2 or pcm.shape[1] != self.spec.channels:
            raise ValueError(f"expected int16 samples shaped (n, {self.spec.channels})")
        self._samples_written += pcm.shape[0]
        if self._container is None:
            return self._write_raw(pcm)
        if pcm.shape[0] == 0:
            return self._drain()
        assert self._stream is not None
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm).reshape(1, -1),
            format="s16",
            layout="stereo" if self.spec.channels == 2 else "mono",
        )
        frame.sample_rate = self.spec.sample_rate
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._drain()

    def finish(self) -> bytes:
        if self._container is None:
            return self._finish_raw()
        assert self._stream is not None
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        if isinstance(self._sink, io.BytesIO):
            return self._sink.getvalue()
        return self._drain()

    def _drain(self) -> bytes:
        return self._sink.drain() if isinstance(self._sink, _ChunkSink) else b""

    def _write_raw(self, pcm: Int16Array) -> bytes:
        data = pcm.astype("<i2", copy=False).tobytes()
        if not self.streaming:
            self._pcm_parts.append(data)
            return b""
        if self.spec.fmt is AudioFormat.WAV and not self._header_sent:
            self._header_sent = True
            return wav_header(self.spec, None) + data
        return data

    def _finish_raw(self) -> bytes:
        if self.streaming:
            if self.spec.fmt is AudioFormat.WAV and not self._header_sent:
                self._header_sent = True
                return wav_header(self.spec, None)
            return b""
        data = b"".join(self._pcm_parts)
        if self.spec.fmt is AudioFormat.WAV:
            return wav_header(self.spec, len(data)) + data
        return data


def wav_header(spec: EncodingSpec, data_bytes: int | None) -> bytes:
    """A 44-byte PCM WAV header; `data_bytes=None` marks a stream of unknown length (the
    sizes are set to 0xFFFFFFFF, which players read as "until the end")."""
    block_align = spec.channels * PCM_SAMPLE_BYTES
    data_size = _WAV_STREAMING_SIZE if data_bytes is None else data_bytes
    riff_size = _WAV_STREAMING_SIZE if data_bytes is None else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH",
            16,
            1,
            spec.channels,
            spec.sample_rate,
            spec.sample_rate * block_align,
            block_align,
            PCM_SAMPLE_BYTES * 8,
        )
        + b"data"
        + struct.pack("<I", data_size)
    )


def fix_streamed_wav(audio: bytes) -> bytes:
    """Give a streamed WAV (unknown-length header) its real sizes once all of it is known."""
    data_bytes = len(audio) - 44
    return (
        audio[:4]
        + struct.pack("<I", 36 + data_bytes)
        + audio[8:40]
        + struct.pack("<I", data_bytes)
        + audio[44:]
    )


def to_int16(samples: npt.NDArray[np.float32], channels: int) -> Int16Array:
    """Float mono in [-1, 1] to interleaved int16 with the voice copied to every channel."""
    mono = np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)
    return np.repeat(mono.reshape(-1, 1), channels, axis=1)
