"""The emotional state as data: validation, serialisation, the prompt line and the voice."""

from __future__ import annotations

import pytest

from reef.companion.emotion import (
    EMOTIONS,
    Affect,
    EmotionState,
    Temperament,
    derive_emotion,
    describe_for_prompt,
    to_voice,
)
from reef.engine.speech.prosody import Emotion, parse_emotion
from reef.errors import InvalidRequest
from reef.settings import EmotionSettings


def test_state_round_trips_through_a_dict() -> None:
    state = EmotionState(valence=-0.61234, arousal=0.25, emotion="sad", intensity=0.66)
    data = state.to_dict()
    assert data == {"valence": -0.6123, "arousal": 0.25, "emotion": "sad", "intensity": 0.66}
    assert EmotionState.from_dict(data) == EmotionState(-0.6123, 0.25, "sad", 0.66)
    assert EmotionState.from_dict({}) == EmotionState()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"valence": 1.5}, "valence"),
        ({"arousal": "high"}, "arousal"),
        ({"arousal": True}, "arousal"),
        ({"valence": float("nan")}, "valence"),
        ({"intensity": -0.1}, "intensity"),
        ({"emotion": "bored"}, "emotion"),
    ],
)
def test_malformed_states_are_rejected_by_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        EmotionState.from_dict(data)
    assert error.value.param == field and field in error.value.message


def test_temperament_from_settings_and_from_a_partial_dict() -> None:
    settings = EmotionSettings(baseline_valence=0.3, reactivity=0.7)
    base = Temperament.from_settings(settings)
    assert (base.valence, base.arousal, base.reactivity, base.decay_rate) == (0.3, 0.0, 0.7, 0.25)
    custom = Temperament.from_dict({"arousal": -0.4}, default=base)
    assert custom == Temperament(0.3, -0.4, 0.7, 0.25)
    assert Temperament.from_dict(custom.to_dict()) == custom
    with pytest.raises(InvalidRequest, match="unknown temperament fields: mood"):
        Temperament.from_dict({"mood": 1})
    with pytest.raises(InvalidRequest, match="reactivity"):
        Temperament(reactivity=1.5)


@pytest.mark.parametrize(
    ("point", "cues", "previous", "emotion"),
    [
        (Affect(0.05, 0.1), {"fearful": 2}, "fearful", "neutral"),
        (Affect(0.6, 0.3), {}, None, "happy"),
        (Affect(0.1, 0.8), {}, None, "surprised"),
        (Affect(-0.5, -0.3), {}, None, "sad"),
        (Affect(-0.5, 0.6), {}, None, "angry"),
        (Affect(-0.5, 0.6), {"fearful": 1}, None, "fearful"),
        (Affect(-0.5, 0.6), {"fearful": 1, "angry": 2}, None, "angry"),
        (Affect(-0.5, 0.2), {"disgusted": 1}, None, "disgusted"),
        (Affect(0.6, 0.3), {"fearful": 1}, None, "happy"),  # fear cannot hold when pleasant
        (Affect(-0.5, 0.6), {}, "sad", "sad"),  # persists while in its region
        (Affect(0.4, 0.2), {}, "sad", "happy"),
    ],
)
def test_discrete_emotion_regions_and_cues(
    point: Affect, cues: dict[str, float], previous: str | None, emotion: str
) -> None:
    found, intensity = derive_emotion(point, cues, previous, 0.2)  # type: ignore[arg-type]
    assert found == emotion
    assert intensity == pytest.approx(min(1.0, (point.valence**2 + point.arousal**2) ** 0.5))


def test_prompt_line_names_feeling_and_style_and_holds_while_the_mood_does() -> None:
    sad = EmotionState(valence=-0.6, arousal=-0.2, emotion="sad", intensity=0.63)
    assert describe_for_prompt(sad, "Mira", possessive="her") == (
        "Mira currently feels sad: her replies are quieter and shorter."
    )
    a_little_sadder = EmotionState(valence=-0.62, arousal=-0.25, emotion="sad", intensity=0.67)
    assert describe_for_prompt(a_little_sadder, "Mira") == describe_for_prompt(sad, "Mira")
    very = describe_for_prompt(EmotionState(0.8, 0.5, "happy", 0.94), "{{char}}")
    assert very.startswith("{{char}} currently feels very happy: ")
    slight = describe_for_prompt(EmotionState(-0.3, 0.1, "angry", 0.32), "Kai")
    assert "slightly angry" in slight and "their replies are curt" in slight
    assert "feels calm" in describe_for_prompt(EmotionState(), "Kai")


def test_voice_mapping_uses_speech_engine_emotions() -> None:
    for emotion in EMOTIONS:
        name, valence, arousal = to_voice(EmotionState(-0.5, 0.4, emotion, 0.64))
        assert parse_emotion(name) == Emotion(emotion)
        assert (valence, arousal) == (-0.5, 0.4)
