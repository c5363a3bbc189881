"""One piece of text to finished mono audio at the voice's rate: Piper, then level, pitch,
voicing, timbre and gain. Stateless, so pieces of one request may render in parallel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reef.engine.speech.effects import apply_gain, normalize_level, silence, tilt, whisperize
from reef.engine.speech.piper_runtime import PiperRuntime
from reef.engine.speech.pitch import shift_pitch
from reef.engine.speech.prosody import RenderPlan
from reef.engine.speech.voices import Voice

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RenderOptions:
    """Engine-wide rendering constants (from `SpeechSettings`)."""

    target_rms_dbfs: float
    sentence_pause_s: float


def render_piece(
    runtime: PiperRuntime,
    voice: Voice,
    plan: RenderPlan,
    text: str,
    options: RenderOptions,
    *,
    pause_after: bool,
    seed: int,
) -> FloatArray:
    rate = voice.sample_rate
    audio = runtime.render(
        voice,
        text,
        length_scale=plan.length_scale,
        noise_scale=plan.noise_scale,
        noise_w=plan.noise_w,
    )
    audio = normalize_level(audio, rate, options.target_rms_dbfs)
    audio = shift_pitch(audio, rate, plan.pitch_semitones, stretch=plan.stretch)
    if plan.whisper:
        audio = whisperize(audio, rate, seed=seed)
    audio = tilt(audio, plan.tilt)
    audio = apply_gain(audio, plan.gain)
    if pause_after:
        audio = np.concatenate([audio, silence(rate, options.sentence_pause_s / plan.speed)])
    return audio
