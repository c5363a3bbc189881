"""Pitch shifting, time stretching, resampling and effects on signals with known answers."""

import numpy as np
import pytest

from reef.engine.speech.effects import apply_gain, normalize_level, tilt, whisperize
from reef.engine.speech.pitch import shift_pitch, time_stretch
from reef.engine.speech.resample import StreamResampler, resample
from tests.engine.speech.audio_probe import frame_rms, voiced_f0

RATE = 22050


def harmonic_tone(f0: float, seconds: float = 1.5, rate: int = RATE) -> np.ndarray:
    """A voice-like buzz: a gliding F0 with 12 harmonics."""
    t = np.arange(int(seconds * rate)) / rate
    freq = f0 * (1 + 0.05 * np.sin(2 * np.pi * 1.5 * t))
    phase = 2 * np.pi * np.cumsum(freq) / rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 13))
    return (0.2 * tone).astype(np.float32)


@pytest.mark.parametrize("semitones", [-5.0, -2.0, 3.0, 7.0])
def test_shift_pitch_scales_f0_and_keeps_length(semitones: float) -> None:
    tone = harmonic_tone(120.0)
    shifted = shift_pitch(tone, RATE, semitones)
    assert shifted.size == tone.size
    ratio = np.median(voiced_f0(shifted, RATE)) / np.median(voiced_f0(tone, RATE))
    assert ratio == pytest.approx(2 ** (semitones / 12), rel=0.02)


@pytest.mark.parametrize("factor", [0.6, 1.3, 2.0])
def test_time_stretch_changes_length_not_pitch(factor: float) -> None:
    tone = harmonic_tone(150.0)
    stretched = time_stretch(tone, RATE, factor)
    assert stretched.size == round(tone.size * factor)
    assert np.median(voiced_f0(stretched, RATE)) == pytest.approx(
        np.median(voiced_f0(tone, RATE)), rel=0.02
    )


def test_resample_converts_length_and_keeps_frequency() -> None:
    tone = harmonic_tone(200.0, seconds=1.0)
    converted = resample(tone, RATE, 8000)
    assert converted.size == pytest.approx(8000, abs=40)
    assert np.median(voiced_f0(converted, 8000)) == pytest.approx(200.0, rel=0.03)


def test_streamed_resampling_matches_one_shot_length() -> None:
    tone = harmonic_tone(200.0, seconds=1.0)
    streamer = StreamResampler(RATE, 44100)
    parts = [streamer.convert(chunk) for chunk in np.array_split(tone, 7)]
    parts.append(streamer.flush())
    assert sum(p.size for p in parts) == resample(tone, RATE, 44100).size


def test_normalize_level_reaches_target_without_clipping() -> None:
    quiet = harmonic_tone(130.0) * 0.05
    level = normalize_level(quiet, RATE, target_rms_dbfs=-20.0)
    rms = float(np.sqrt(np.mean(level**2)))
    assert 20 * np.log10(rms) == pytest.approx(-20.0, abs=0.5)
    spiky = quiet.copy()
    spiky[100] = 0.9
    assert np.abs(normalize_level(spiky, RATE, -6.0)).max() <= 0.97 + 1e-6


def test_gain_is_linear_below_the_knee_and_never_clips() -> None:
    tone = harmonic_tone(130.0) * 0.5
    half = apply_gain(tone, 0.5)
    np.testing.assert_allclose(half, tone * 0.5, rtol=1e-6)
    loud = apply_gain(tone, 10.0)
    assert np.abs(loud).max() < 1.0
    assert np.sqrt(np.mean(loud**2)) > np.sqrt(np.mean(tone**2))


def test_tilt_brightens_and_darkens() -> None:
    tone = harmonic_tone(130.0)

    def high_share(x: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        return float(spectrum[spectrum.size // 4 :].sum() / spectrum.sum())

    assert high_share(tilt(tone, 0.8)) > high_share(tone) > high_share(tilt(tone, -0.8))


def test_whisperize_removes_pitch_but_keeps_level() -> None:
    tone = harmonic_tone(130.0)
    whisper = whisperize(tone, RATE, seed=3)
    assert whisper.size == tone.size
    assert voiced_f0(tone, RATE).size > 100
    assert voiced_f0(whisper, RATE).size < voiced_f0(tone, RATE).size * 0.2
    ratio = np.median(frame_rms(whisper, RATE)) / np.median(frame_rms(tone, RATE))
    assert ratio == pytest.approx(1.0, rel=0.25)


@pytest.mark.parametrize("size", [0, 5, 661, 5000])
@pytest.mark.parametrize(("semitones", "stretch"), [(-12.0, 0.6), (12.0, 1.2), (0.0, 0.25)])
def test_short_and_extreme_inputs_keep_exact_lengths(
    size: int, semitones: float, stretch: float
) -> None:
    noise = np.random.default_rng(size).standard_normal(size).astype(np.float32) * 0.1
    assert shift_pitch(noise, RATE, semitones, stretch=stretch).size == round(size * stretch)
    assert time_stretch(noise, RATE, 4.0).size == size * 4
    assert whisperize(noise, RATE).size == size
