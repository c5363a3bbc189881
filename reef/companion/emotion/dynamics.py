"""How a character's emotional state moves from turn to turn."""

from __future__ import annotations

from reef.companion.emotion.appraisal import Appraisal
from reef.companion.emotion.state import Affect, EmotionState, Temperament, clamp, derive_emotion
from reef.errors import InvalidRequest
from reef.settings import EmotionSettings


def update_state(
    state: EmotionState,
    appraisal: Appraisal,
    temperament: Temperament,
    *,
    elapsed_turns: int = 1,
    settings: EmotionSettings | None = None,
) -> EmotionState:
    """The state after `elapsed_turns` turns of which the last is appraised as `appraisal`.

    With baseline b, decay rate d, reactivity r, appraised affect p and strength s:
    1. decay: x' = b + (x - b) * (1 - d) ** elapsed_turns  (for valence and arousal alike);
    2. react: x'' = x' + r * s * (p - x'), clamped to [-1, 1];
    3. the emotion and intensity follow from `derive_emotion(x'', appraisal.cues, previous)`.
    A turn with no affect (s = 0) only decays, so neutral talk brings the baseline back.
    """
    if elapsed_turns < 0:
        raise InvalidRequest(
            f"elapsed_turns must be >= 0, got {elapsed_turns}",
            param="elapsed_turns",
            code="invalid_value",
        )
    config = settings or EmotionSettings()
    keep = (1.0 - temperament.decay_rate) ** elapsed_turns
    base = temperament.baseline
    decayed = Affect(
        base.valence + (state.valence - base.valence) * keep,
        base.arousal + (state.arousal - base.arousal) * keep,
    )
    pull = temperament.reactivity * appraisal.strength
    moved = Affect(
        clamp(decayed.valence + pull * (appraisal.valence - decayed.valence)),
        clamp(decayed.arousal + pull * (appraisal.arousal - decayed.arousal)),
    )
    emotion, intensity = derive_emotion(moved, appraisal.cues, state.emotion, config.neutral_radius)
    return EmotionState(moved.valence, moved.arousal, emotion, intensity)
