"""Pitch shifting that keeps duration: WSOLA time-stretch, then resampling back.

Piper has no pitch control, so voices and emotions shift pitch after synthesis. Stretching by
the pitch ratio with WSOLA (waveform-similarity overlap-add keeps glottal pulses aligned, so
speech stays clean) and then resampling by the inverse ratio restores the original length
with every frequency scaled by the ratio.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from reef.engine.speech.resample import resample

FloatArray = npt.NDArray[np.float32]

# Window and search lengths are tuned for speech: a window spans two or more pitch periods
# of a low male voice, and the search covers one period of it.
_WINDOW_S = 0.030
_TOLERANCE_S = 0.008


def time_stretch(samples: FloatArray, sample_rate: int, factor: float) -> FloatArray:
    """Return `samples` made `factor` times longer (factor > 1 slower) at the same pitch."""
    if abs(factor - 1.0) < 1e-6 or samples.size == 0:
        return samples.astype(np.float32, copy=True)
    window_len = _even(int(_WINDOW_S * sample_rate))
    synthesis_hop = window_len // 2
    analysis_hop = synthesis_hop / factor
    tolerance = int(_TOLERANCE_S * sample_rate)
    window = np.hanning(window_len + 1)[:window_len].astype(np.float32)

    out_len = round(samples.size * factor)
    n_frames = out_len // synthesis_hop + 2
    # Pad so every search window and every natural continuation stays in bounds.
    pad = tolerance + window_len
    tail = pad + window_len + int(np.ceil(2 * analysis_hop))
    padded = np.concatenate(
        [np.zeros(pad, np.float32), samples.astype(np.float32), np.zeros(tail, np.float32)]
    )
    output = np.zeros(n_frames * synthesis_hop + window_len, np.float32)
    norm = np.zeros_like(output)

    previous = pad  # where the previous frame was taken from (in padded coordinates)
    for k in range(n_frames):
        nominal = pad + round(k * analysis_hop)
        if k == 0:
            chosen = nominal
        else:
            # The segment that would naturally follow the previously copied one.
            template = padded[previous + synthesis_hop : previous + synthesis_hop + window_len]
            lo = max(nominal - tolerance, 0)
            region = padded[lo : nominal + tolerance + window_len]
            scores = np.correlate(region, template, mode="valid")
            chosen = lo + int(np.argmax(scores))
        start = k * synthesis_hop
        output[start : start + window_len] += padded[chosen : chosen + window_len] * window
        norm[start : start + window_len] += window
        previous = chosen

    norm[norm < 1e-3] = 1.0
    stretched = output / norm
    return stretched[:out_len].astype(np.float32)


def shift_pitch(
    samples: FloatArray, sample_rate: int, semitones: float, stretch: float = 1.0
) -> FloatArray:
    """Return `samples` with pitch moved by `semitones` and the length multiplied by `stretch`
    (1 keeps the duration); both in one WSOLA pass."""
    if samples.size == 0 or (abs(semitones) < 1e-3 and abs(stretch - 1.0) < 1e-3):
        return samples.astype(np.float32, copy=True)
    ratio = float(2.0 ** (semitones / 12.0))
    target = round(samples.size * stretch)
    stretched = time_stretch(samples, sample_rate, ratio * stretch)
    if abs(semitones) < 1e-3:
        return _fit_length(stretched, target)
    # Reading the stretched signal as if recorded at rate*ratio plays it `ratio` times faster.
    shifted = resample(stretched, round(sample_rate * ratio), sample_rate)
    return _fit_length(shifted, target)


def _fit_length(samples: FloatArray, length: int) -> FloatArray:
    if samples.size >= length:
        return samples[:length]
    return np.concatenate([samples, np.zeros(length - samples.size, np.float32)])


def _even(n: int) -> int:
    return n + (n % 2)
