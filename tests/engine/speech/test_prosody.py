"""Emotion shapes delivery, measurably: duration, pitch (F0) and level of real renderings."""

import numpy as np
import pytest

from reef.engine.speech import Affect, Emotion, SpeechEngine
from reef.engine.speech.prosody import (
    EMOTION_AFFECT,
    EMOTION_SHIFTS,
    emotion_from_instructions,
    plan_render,
    shift_for_affect,
    shift_for_instructions,
)
from reef.errors import InvalidRequest
from tests.engine.speech.audio_probe import decode, speech_rms, voiced_f0, voiced_fraction

TEXT = "I went down to the harbour this morning and watched the boats come in."


async def render(engine: SpeechEngine, **kwargs: object) -> tuple[np.ndarray, int]:
    result = await engine.synthesize(TEXT, "reef-joe", fmt="wav", **kwargs)  # type: ignore[arg-type]
    decoded = decode(result.audio)
    return decoded.mono, decoded.sample_rate


def measure(samples: np.ndarray, rate: int) -> tuple[float, float, float]:
    """(duration s, median F0 Hz, speech RMS)."""
    return (
        samples.size / rate,
        float(np.median(voiced_f0(samples, rate))),
        speech_rms(samples, rate),
    )


async def test_sad_is_longer_lower_and_softer_than_happy(speech_engine: SpeechEngine) -> None:
    sad = measure(*await render(speech_engine, emotion="sad"))
    happy = measure(*await render(speech_engine, emotion="happy"))
    neutral = measure(*await render(speech_engine, emotion="neutral"))
    # Durations carry Piper's random rhythm (a few %), so only compare clear gaps in rate.
    assert sad[0] > neutral[0] and sad[0] > happy[0] * 1.15  # slower
    assert sad[1] < neutral[1] < happy[1]  # lower pitch
    assert sad[1] < happy[1] * 0.85  # 5 semitones apart: well beyond estimator noise
    assert sad[2] < neutral[2] < happy[2]  # softer
    assert 20 * np.log10(happy[2] / sad[2]) > 4.0


async def test_angry_is_louder_and_faster_than_sad(speech_engine: SpeechEngine) -> None:
    angry = measure(*await render(speech_engine, emotion="angry"))
    sad = measure(*await render(speech_engine, emotion="sad"))
    neutral = measure(*await render(speech_engine))
    assert angry[0] < sad[0] / 1.1
    assert 20 * np.log10(angry[2] / neutral[2]) > 3.0


async def test_whisper_is_soft_and_unvoiced(speech_engine: SpeechEngine) -> None:
    whisper, rate = await render(speech_engine, emotion="whisper")
    normal, _ = await render(speech_engine)
    assert speech_rms(whisper, rate) < speech_rms(normal, rate) * 0.5
    assert voiced_fraction(whisper, rate) < voiced_fraction(normal, rate) * 0.3


async def test_affect_input_drives_the_same_directions(speech_engine: SpeechEngine) -> None:
    low = measure(*await render(speech_engine, emotion=Affect(valence=-0.8, arousal=-0.8)))
    high = measure(*await render(speech_engine, emotion=Affect(valence=0.8, arousal=0.8)))
    assert low[0] > high[0] and low[1] < high[1] and low[2] < high[2]


async def test_explicit_pitch_and_speed_are_applied(speech_engine: SpeechEngine) -> None:
    base = measure(*await render(speech_engine))
    up = measure(*await render(speech_engine, pitch=5, speed=1.5))
    assert up[0] < base[0] / 1.3
    assert up[1] / base[1] == pytest.approx(2 ** (5 / 12), rel=0.12)


async def test_instructions_set_the_emotion_when_none_is_given(speech_engine: SpeechEngine) -> None:
    sombre = measure(*await render(speech_engine, instructions="Speak in a sad, gloomy tone."))
    cheerful = measure(*await render(speech_engine, instructions="Sound cheerful and upbeat!"))
    assert sombre[0] > cheerful[0] and sombre[1] < cheerful[1]


def test_named_emotions_follow_the_acoustic_correlates() -> None:
    sad, happy = EMOTION_SHIFTS[Emotion.SAD], EMOTION_SHIFTS[Emotion.HAPPY]
    angry, calm = EMOTION_SHIFTS[Emotion.ANGRY], EMOTION_SHIFTS[Emotion.CALM]
    assert sad.speed < 1 < happy.speed and sad.pitch < 0 < happy.pitch
    assert sad.gain_db < 0 < happy.gain_db < angry.gain_db
    assert angry.speed > 1 and calm.speed < 1 and calm.gain_db < 0
    assert EMOTION_SHIFTS[Emotion.WHISPER].whisper and EMOTION_SHIFTS[Emotion.WHISPER].gain_db < -6
    assert set(EMOTION_SHIFTS) == set(Emotion) == set(EMOTION_AFFECT)


def test_affect_mapping_agrees_in_direction_with_the_named_table() -> None:
    for emotion in (Emotion.SAD, Emotion.HAPPY, Emotion.ANGRY, Emotion.CALM):
        named, continuous = EMOTION_SHIFTS[emotion], shift_for_affect(EMOTION_AFFECT[emotion])
        assert np.sign(named.speed - 1) == np.sign(continuous.speed - 1), emotion
        assert np.sign(named.gain_db) == np.sign(continuous.gain_db), emotion


def test_affect_outside_the_unit_square_is_rejected() -> None:
    with pytest.raises(InvalidRequest, match="arousal"):
        Affect(valence=0.0, arousal=1.5)


def test_instruction_words() -> None:
    assert emotion_from_instructions("Please whisper this") is Emotion.WHISPER
    assert emotion_from_instructions("Be calm and soothing.") is Emotion.CALM
    assert emotion_from_instructions("Read it.") is None
    slow_loud = shift_for_instructions("Read slowly and loudly.")
    assert slow_loud.speed < 1 and slow_loud.gain_db > 0


def test_explicit_emotion_wins_over_instructions_but_modifiers_apply() -> None:
    from reef.engine.speech import VoiceRegistry

    voice = VoiceRegistry.load().resolve("reef-joe")
    common = {"speed": 1.0, "pitch": 0.0, "volume": 1.0, "pitch_limit": 12.0}
    plan = plan_render(voice, emotion="neutral", instructions="Sound sad, and slowly.", **common)
    assert plan.pitch_semitones == 0.0  # not sad
    assert plan.length_scale > voice.length_scale  # but slower


async def test_unknown_emotion_is_rejected_naming_the_field(speech_engine: SpeechEngine) -> None:
    from reef.engine.speech import MINIMAX_LIMITS

    with pytest.raises(InvalidRequest) as caught:
        await speech_engine.synthesize("Hi.", emotion="bored", limits=MINIMAX_LIMITS)
    assert caught.value.param == "voice_setting.emotion" and "bored" in caught.value.message
