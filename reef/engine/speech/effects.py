"""Level, tone and voicing effects applied to synthesized speech (mono float32 in [-1, 1])."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

_LEVEL_FRAME_S = 0.02
_PEAK_CEILING = 0.97  # level normalization never pushes a peak past this
_LIMIT_KNEE = 0.9  # the soft limiter leaves samples below this untouched
_LIMIT_CEILING = 0.98  # and never lets a sample reach full scale
_WHISPER_FRAME_S = 0.023
_WHISPER_ENVELOPE_S = 0.0012  # cepstral lifter: keeps formants, drops the harmonics of F0


def normalize_level(samples: FloatArray, sample_rate: int, target_rms_dbfs: float) -> FloatArray:
    """Scale so the speech (frames above the silence floor) sits at `target_rms_dbfs`.

    Piper's raw level varies from sentence to sentence; a fixed speech level makes gains from
    voices, emotions and `vol` mean the same everywhere."""
    frame = max(1, int(_LEVEL_FRAME_S * sample_rate))
    usable = samples[: samples.size - samples.size % frame]
    if usable.size == 0:
        return samples
    frame_rms = np.sqrt(np.mean(usable.reshape(-1, frame).astype(np.float64) ** 2, axis=1))
    loudest = float(frame_rms.max())
    if loudest < 1e-6:
        return samples
    active = frame_rms[frame_rms > loudest * 0.1]  # 20 dB below the loudest frame = pause
    speech_rms = float(np.sqrt(np.mean(active**2)))
    gain = 10.0 ** (target_rms_dbfs / 20.0) / speech_rms
    peak = float(np.abs(samples).max())
    gain = min(gain, _PEAK_CEILING / peak)
    return (samples * gain).astype(np.float32)


def apply_gain(samples: FloatArray, gain: float) -> FloatArray:
    """Multiply by a linear gain, then soft-limit so loud settings saturate instead of clip."""
    scaled = samples.astype(np.float32) * np.float32(gain)
    magnitude = np.abs(scaled)
    over = magnitude > _LIMIT_KNEE
    if np.any(over):
        headroom = _LIMIT_CEILING - _LIMIT_KNEE
        limited = _LIMIT_KNEE + headroom * np.tanh((magnitude[over] - _LIMIT_KNEE) / headroom)
        scaled[over] = np.sign(scaled[over]) * limited
    return scaled


def tilt(samples: FloatArray, amount: float) -> FloatArray:
    """Brighten (amount > 0, first-difference emphasis of highs) or darken (amount < 0, binomial
    low-pass blend) the timbre; amount is in [-1, 1], 0 leaves the signal unchanged."""
    if abs(amount) < 1e-3 or samples.size < 2:
        return samples
    x = samples.astype(np.float32)
    if amount > 0:
        highs = np.empty_like(x)
        highs[0] = 0.0
        highs[1:] = x[1:] - x[:-1]
        return (x + np.float32(0.6 * amount) * highs).astype(np.float32)
    smoothed = _binomial_lowpass(x)
    blend = np.float32(min(1.0, -amount))
    return ((1.0 - blend) * x + blend * smoothed).astype(np.float32)


def whisperize(samples: FloatArray, sample_rate: int, seed: int = 0) -> FloatArray:
    """Replace voicing with breath: keep each frame's spectral envelope (formants, so the words
    stay intelligible), drop the harmonics and randomize phase. Level is preserved per frame."""
    frame = 1 << int(np.ceil(np.log2(_WHISPER_FRAME_S * sample_rate)))
    hop = frame // 4
    if samples.size < frame:
        return samples
    rng = np.random.default_rng(seed)
    window = np.hanning(frame).astype(np.float32)
    padded = np.concatenate([np.zeros(frame, np.float32), samples, np.zeros(frame, np.float32)])
    n_frames = 1 + (padded.size - frame) // hop
    starts = np.arange(n_frames) * hop
    segments = padded[starts[:, None] + np.arange(frame)] * window
    spectra = np.fft.rfft(segments, axis=1)
    envelope = _spectral_envelope(np.abs(spectra), max(2, int(_WHISPER_ENVELOPE_S * sample_rate)))
    phase = rng.uniform(-np.pi, np.pi, envelope.shape)
    noise = np.fft.irfft(envelope * np.exp(1j * phase), n=frame, axis=1) * window
    energy_in = np.sum(segments.astype(np.float64) ** 2, axis=1)
    energy_out = np.maximum(np.sum(noise**2, axis=1), 1e-12)
    noise *= np.sqrt(energy_in / energy_out)[:, None]
    output = np.zeros(padded.size, np.float64)
    norm = np.zeros(padded.size, np.float64)
    for k, start in enumerate(starts):
        output[start : start + frame] += noise[k]
        norm[start : start + frame] += window**2
    norm[norm < 1e-3] = 1.0
    return (output / norm)[frame : frame + samples.size].astype(np.float32)


def silence(sample_rate: int, seconds: float) -> FloatArray:
    return np.zeros(max(0, round(sample_rate * seconds)), np.float32)


def _spectral_envelope(magnitude: npt.NDArray[np.float64], lifter: int) -> npt.NDArray[np.float64]:
    """Smooth log-magnitude per row by keeping only the low quefrencies (cepstral liftering)."""
    cepstrum = np.fft.irfft(np.log(magnitude + 1e-9), axis=1)
    cepstrum[:, lifter:-lifter] = 0.0
    smoothed = np.fft.rfft(cepstrum, axis=1).real[:, : magnitude.shape[1]]
    return np.asarray(np.exp(smoothed))


def _binomial_lowpass(x: FloatArray) -> FloatArray:
    kernel = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32) / np.float32(16.0)
    return np.convolve(x, kernel, mode="same").astype(np.float32)
