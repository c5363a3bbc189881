"""A character's affect as a point in the circumplex (valence, arousal) plus a discrete emotion.

The whole model is deterministic and explainable: every number comes from a formula written in
a docstring below, so a developer can say why a character feels what it feels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast, get_args

from reef.errors import InvalidRequest
from reef.settings import EmotionSettings

EmotionName = Literal["happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral"]
EMOTIONS: tuple[EmotionName, ...] = get_args(EmotionName)


class Affect(NamedTuple):
    """A (valence, arousal) pair, each in [-1, 1]."""

    valence: float
    arousal: float


def clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _check_unit(name: str, value: Any, low: float = -1.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidRequest(
            f"{name} must be a number, got {value!r}", param=name, code="invalid_value"
        )
    if not low <= value <= high:
        raise InvalidRequest(
            f"{name} must be within [{low}, {high}], got {value}", param=name, code="invalid_value"
        )
    return float(value)


def parse_emotion_name(value: Any) -> EmotionName:
    if value not in EMOTIONS:
        raise InvalidRequest(
            f"unknown emotion {value!r}; use one of: {', '.join(EMOTIONS)}",
            param="emotion",
            code="invalid_value",
        )
    return cast(EmotionName, value)


@dataclass(frozen=True)
class EmotionState:
    """How the character feels now. `intensity` in [0, 1] is the distance of (valence, arousal)
    from the neutral origin, capped at 1."""

    valence: float = 0.0
    arousal: float = 0.0
    emotion: EmotionName = "neutral"
    intensity: float = 0.0

    def __post_init__(self) -> None:
        _check_unit("valence", self.valence)
        _check_unit("arousal", self.arousal)
        _check_unit("intensity", self.intensity, 0.0, 1.0)
        parse_emotion_name(self.emotion)

    @property
    def affect(self) -> Affect:
        return Affect(self.valence, self.arousal)

    def to_dict(self) -> dict[str, Any]:
        """The form stored with each message."""
        return {
            "valence": round(self.valence, 4),
            "arousal": round(self.arousal, 4),
            "emotion": self.emotion,
            "intensity": round(self.intensity, 4),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmotionState:
        """Parse a stored state; a malformed one raises `InvalidRequest` naming the field."""
        if not isinstance(data, Mapping):
            raise InvalidRequest(
                "an emotion state must be an object", param="emotion_state", code="invalid_value"
            )
        return cls(
            valence=_check_unit("valence", data.get("valence", 0.0)),
            arousal=_check_unit("arousal", data.get("arousal", 0.0)),
            emotion=parse_emotion_name(data.get("emotion", "neutral")),
            intensity=_check_unit("intensity", data.get("intensity", 0.0), 0.0, 1.0),
        )


@dataclass(frozen=True)
class Temperament:
    """A character's resting affect and how strongly and how long it reacts.

    `reactivity` in [0, 1] is the share of the way toward an appraised affect moved in one turn;
    `decay_rate` in [0, 1] is the share of the way back to the baseline moved per elapsed turn.
    """

    valence: float = 0.1
    arousal: float = 0.0
    reactivity: float = 0.5
    decay_rate: float = 0.25

    def __post_init__(self) -> None:
        _check_unit("valence", self.valence)
        _check_unit("arousal", self.arousal)
        _check_unit("reactivity", self.reactivity, 0.0, 1.0)
        _check_unit("decay_rate", self.decay_rate, 0.0, 1.0)

    @property
    def baseline(self) -> Affect:
        return Affect(self.valence, self.arousal)

    @classmethod
    def from_settings(cls, settings: EmotionSettings) -> Temperament:
        return cls(
            valence=settings.baseline_valence,
            arousal=settings.baseline_arousal,
            reactivity=settings.reactivity,
            decay_rate=settings.decay_rate,
        )

    def to_dict(self) -> dict[str, float]:
        return {
            "valence": self.valence,
            "arousal": self.arousal,
            "reactivity": self.reactivity,
            "decay_rate": self.decay_rate,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: Temperament | None = None) -> Temperament:
        """Fields missing from `data` (a card extension, say) come from `default`."""
        if not isinstance(data, Mapping):
            raise InvalidRequest(
                "a temperament must be an object", param="temperament", code="invalid_value"
            )
        base = (default or cls()).to_dict()
        unknown = sorted(set(data) - set(base))
        if unknown:
            raise InvalidRequest(
                f"unknown temperament fields: {', '.join(unknown)}",
                param="temperament",
                code="unknown_parameter",
            )
        return cls(**{key: data.get(key, value) for key, value in base.items()})

    def resting_state(self, neutral_radius: float = 0.2) -> EmotionState:
        """The state of a character nothing has happened to yet."""
        emotion, intensity = derive_emotion(self.baseline, {}, None, neutral_radius)
        return EmotionState(self.valence, self.arousal, emotion, intensity)


# Where a cue-named emotion is allowed to hold: a fear cue cannot make a cheerful state fearful.
_CUE_REGIONS: dict[EmotionName, tuple[float, float, float, float]] = {
    # emotion: (min valence, max valence, min arousal, max arousal), bounds exclusive
    "fearful": (-1.01, 0.0, -0.3, 1.01),
    "angry": (-1.01, 0.0, -0.3, 1.01),
    "disgusted": (-1.01, 0.0, -1.01, 1.01),
    "sad": (-1.01, 0.0, -1.01, 1.01),
    "surprised": (-1.01, 1.01, 0.1, 1.01),
    "happy": (0.0, 1.01, -1.01, 1.01),
}
# Cue ties resolve in this order: the rarer, more specific emotions first.
_CUE_PRIORITY: tuple[EmotionName, ...] = (
    "fearful",
    "disgusted",
    "angry",
    "surprised",
    "sad",
    "happy",
)
ANGRY_AROUSAL = 0.45  # negative affect above this arousal reads as anger when no cue says else
SURPRISE_AROUSAL = 0.7  # positive affect above this arousal and below SURPRISE_VALENCE reads
SURPRISE_VALENCE = 0.25  # as surprise rather than joy


def _admits(emotion: EmotionName, point: Affect) -> bool:
    region = _CUE_REGIONS.get(emotion)
    if region is None:
        return False
    v_low, v_high, a_low, a_high = region
    return v_low < point.valence < v_high and a_low < point.arousal < a_high


def _region_emotion(point: Affect) -> EmotionName:
    if point.valence >= 0.0:
        if point.arousal > SURPRISE_AROUSAL and point.valence < SURPRISE_VALENCE:
            return "surprised"
        return "happy"
    return "angry" if point.arousal > ANGRY_AROUSAL else "sad"


def derive_emotion(
    point: Affect,
    cues: Mapping[EmotionName, float],
    previous: EmotionName | None,
    neutral_radius: float,
) -> tuple[EmotionName, float]:
    """The discrete emotion and intensity of `point`.

    intensity = min(1, sqrt(valence^2 + arousal^2)). Below `neutral_radius` the emotion is
    neutral. Otherwise, in order:
    1. the cue emotion with the most weight (ties: fearful, disgusted, angry, surprised, sad,
       happy) whose region holds the point (fear and anger: valence < 0 and arousal > -0.3;
       disgust and sadness: valence < 0; surprise: arousal > 0.1; happiness: valence >= 0);
    2. the previous emotion, while its region still holds the point (fear does not turn into
       anger just because the cue word is no longer in the latest message);
    3. the region: valence >= 0 is happy (surprised above arousal 0.7 with valence below
       0.25); valence < 0 is angry above arousal 0.45, sad below.
    """
    intensity = min(1.0, math.hypot(point.valence, point.arousal))
    if intensity < neutral_radius:
        return "neutral", intensity
    ranked = sorted(
        (emotion for emotion, weight in cues.items() if weight > 0),
        key=lambda emotion: (-cues[emotion], _CUE_PRIORITY.index(emotion)),
    )
    for emotion in ranked:
        if _admits(emotion, point):
            return emotion, intensity
    if previous is not None and previous != "neutral" and _admits(previous, point):
        return previous, intensity
    return _region_emotion(point), intensity
