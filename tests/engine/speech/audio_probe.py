"""Measurements on rendered audio for the speech tests: decoding, level and pitch."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np


@dataclass
class Decoded:
    samples: np.ndarray  # float32, shape (channels, n)
    sample_rate: int
    codec: str
    container: str

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    @property
    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0)


def decode(audio: bytes) -> Decoded:
    """Decode any container/codec with ffmpeg (through PyAV) to float samples."""
    with av.open(io.BytesIO(audio)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
        rate = stream.codec_context.sample_rate
        codec = stream.codec_context.name
        fmt_name = container.format.name
        planar = frames[0].shape[0] == stream.codec_context.channels
    data = np.concatenate(frames, axis=1)
    channels = stream.codec_context.channels
    if not planar:  # packed: one row of interleaved samples
        data = data.reshape(-1, channels).T
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    return Decoded(data.astype(np.float32), rate, codec, fmt_name)


def decode_pcm(audio: bytes, channels: int) -> np.ndarray:
    pcm = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768.0
    return pcm.reshape(-1, channels).T


def frame_rms(samples: np.ndarray, sample_rate: int, frame_s: float = 0.02) -> np.ndarray:
    frame = int(frame_s * sample_rate)
    usable = samples[: samples.size - samples.size % frame]
    return np.sqrt(np.mean(usable.reshape(-1, frame) ** 2, axis=1))


def speech_rms(samples: np.ndarray, sample_rate: int) -> float:
    """RMS over frames louder than -30 dB below the loudest: the level while speaking."""
    rms = frame_rms(samples, sample_rate)
    active = rms[rms > rms.max() * 10 ** (-30 / 20)]
    return float(np.sqrt(np.mean(active**2)))


def voiced_f0(
    samples: np.ndarray, sample_rate: int, fmin: float = 50.0, fmax: float = 500.0
) -> np.ndarray:
    """Per-frame F0 (Hz) of voiced frames, by the YIN difference function (an autocorrelation
    variant that avoids octave errors); unvoiced and silent frames are left out."""
    frame = int(0.04 * sample_rate)
    hop = int(0.01 * sample_rate)
    tau_min, tau_max = int(sample_rate / fmax), int(sample_rate / fmin)
    loudest = frame_rms(samples, sample_rate).max()
    f0: list[float] = []
    for start in range(0, samples.size - frame - tau_max, hop):
        window = samples[start : start + frame + tau_max].astype(np.float64)
        if np.sqrt(np.mean(window[:frame] ** 2)) < loudest * 0.1:
            continue
        # d(tau) = sum (x[t] - x[t + tau])^2, expanded into energies and a cross-correlation
        squares = np.concatenate([[0.0], np.cumsum(window**2)])
        energy_lagged = squares[frame : frame + tau_max] - squares[:tau_max]
        cross = np.correlate(window[: frame + tau_max - 1], window[:frame], mode="valid")
        diff = squares[frame] + energy_lagged - 2.0 * cross[:tau_max]
        cumulative = np.cumsum(diff[1:])
        cmnd = np.ones(tau_max)
        cmnd[1:] = diff[1:] * np.arange(1, tau_max) / np.maximum(cumulative, 1e-12)
        below = np.nonzero(cmnd[tau_min:] < 0.15)[0]
        if below.size == 0:
            continue
        tau = tau_min + int(below[0])
        while tau + 1 < tau_max and cmnd[tau + 1] < cmnd[tau]:
            tau += 1
        f0.append(sample_rate / tau)
    return np.array(f0)


def voiced_fraction(samples: np.ndarray, sample_rate: int) -> float:
    """Share of loud frames with a clear pitch period."""
    loud = frame_rms(samples, sample_rate, 0.01)
    n_loud = int(np.sum(loud > loud.max() * 0.1))
    return voiced_f0(samples, sample_rate).size / max(n_loud, 1)
