"""How emotion shapes delivery: named emotions, a continuous (valence, arousal) input and free-text
instructions all become a `ProsodyShift` (speed, pitch, loudness, timbre, Piper noise).

The direction of each change follows the acoustic correlates of emotional speech: low arousal
(sad, calm) is slower, lower, softer and darker; high arousal (happy, angry, fearful,
surprised) is faster, higher and louder, positive valence brighter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from reef.errors import InvalidRequest

if TYPE_CHECKING:
    from reef.engine.speech.voices import Voice


class Emotion(StrEnum):
    """MiniMax's emotion values (calm, fluent and whisper come with newer models)."""

    HAPPY = "happy"
    SAD = "sad"
    ANGRY = "angry"
    FEARFUL = "fearful"
    DISGUSTED = "disgusted"
    SURPRISED = "surprised"
    NEUTRAL = "neutral"
    CALM = "calm"
    FLUENT = "fluent"
    WHISPER = "whisper"


@dataclass(frozen=True)
class Affect:
    """A point in the circumplex model: valence (unpleasant -1 .. pleasant 1) and arousal
    (sleepy -1 .. excited 1). Companions track mood this way, so speech takes it directly."""

    valence: float
    arousal: float

    def __post_init__(self) -> None:
        for name in ("valence", "arousal"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise InvalidRequest(f"{name} must be within [-1, 1], got {value}", param=name)


@dataclass(frozen=True)
class ProsodyShift:
    """A change of delivery relative to a voice's own.

    speed and the noise fields multiply, pitch (semitones), gain_db and tilt add."""

    speed: float = 1.0
    pitch: float = 0.0
    gain_db: float = 0.0
    tilt: float = 0.0
    noise_scale: float = 1.0
    noise_w: float = 1.0
    whisper: bool = False

    def then(self, other: ProsodyShift) -> ProsodyShift:
        """Both shifts applied together."""
        return ProsodyShift(
            speed=self.speed * other.speed,
            pitch=self.pitch + other.pitch,
            gain_db=self.gain_db + other.gain_db,
            tilt=max(-1.0, min(1.0, self.tilt + other.tilt)),
            noise_scale=self.noise_scale * other.noise_scale,
            noise_w=self.noise_w * other.noise_w,
            whisper=self.whisper or other.whisper,
        )


NO_SHIFT = ProsodyShift()

EMOTION_SHIFTS: dict[Emotion, ProsodyShift] = {
    Emotion.NEUTRAL: NO_SHIFT,
    Emotion.HAPPY: ProsodyShift(
        speed=1.1, pitch=2.5, gain_db=1.5, tilt=0.4, noise_scale=1.1, noise_w=1.1
    ),
    Emotion.SAD: ProsodyShift(
        speed=0.82, pitch=-2.5, gain_db=-5.0, tilt=-0.5, noise_scale=0.85, noise_w=0.7
    ),
    Emotion.ANGRY: ProsodyShift(
        speed=1.15, pitch=1.0, gain_db=4.5, tilt=0.6, noise_scale=1.15, noise_w=1.2
    ),
    Emotion.FEARFUL: ProsodyShift(
        speed=1.1, pitch=3.0, gain_db=-2.0, tilt=0.1, noise_scale=1.25, noise_w=1.35
    ),
    Emotion.DISGUSTED: ProsodyShift(
        speed=0.9, pitch=-1.5, gain_db=0.5, tilt=-0.2, noise_scale=0.95, noise_w=1.0
    ),
    Emotion.SURPRISED: ProsodyShift(
        speed=1.05, pitch=4.0, gain_db=2.0, tilt=0.3, noise_scale=1.15, noise_w=1.25
    ),
    Emotion.CALM: ProsodyShift(
        speed=0.92, pitch=-0.7, gain_db=-2.5, tilt=-0.3, noise_scale=0.8, noise_w=0.7
    ),
    Emotion.FLUENT: ProsodyShift(speed=1.06, noise_scale=0.9, noise_w=0.8),
    Emotion.WHISPER: ProsodyShift(speed=0.95, gain_db=-9.0, whisper=True),
}

# Where each named emotion sits in (valence, arousal), for callers that go the other way.
EMOTION_AFFECT: dict[Emotion, Affect] = {
    Emotion.NEUTRAL: Affect(0.0, 0.0),
    Emotion.HAPPY: Affect(0.8, 0.5),
    Emotion.SAD: Affect(-0.7, -0.5),
    Emotion.ANGRY: Affect(-0.6, 0.8),
    Emotion.FEARFUL: Affect(-0.7, 0.6),
    Emotion.DISGUSTED: Affect(-0.7, 0.2),
    Emotion.SURPRISED: Affect(0.3, 0.8),
    Emotion.CALM: Affect(0.3, -0.6),
    Emotion.FLUENT: Affect(0.2, 0.1),
    Emotion.WHISPER: Affect(0.0, -0.8),
}


def shift_for_affect(affect: Affect) -> ProsodyShift:
    """Continuous mapping: arousal drives rate, loudness and variability; valence adds pitch
    and brightness. Matches the named table in direction at the named points."""
    v, a = affect.valence, affect.arousal
    return ProsodyShift(
        speed=1.0 + 0.12 * a + 0.05 * v,
        pitch=1.6 * v + 1.6 * a,
        gain_db=5.0 * a,
        tilt=max(-1.0, min(1.0, 0.35 * v + 0.35 * a)),
        noise_scale=1.0 + 0.15 * a,
        noise_w=1.0 + 0.3 * a,
    )


def parse_emotion(value: str, *, param: str = "emotion") -> Emotion:
    try:
        return Emotion(value.strip().lower())
    except ValueError:
        known = ", ".join(e.value for e in Emotion)
        raise InvalidRequest(
            f"unknown {param} {value!r}; use one of: {known}", param=param
        ) from None


def shift_for_emotion(emotion: str | Emotion | Affect | None) -> ProsodyShift:
    if emotion is None:
        return NO_SHIFT
    if isinstance(emotion, Affect):
        return shift_for_affect(emotion)
    return EMOTION_SHIFTS[parse_emotion(emotion)]


# Words in OpenAI-style `instructions` ("speak in a cheerful tone, a bit slower") and what they
# do. The first emotion word found wins; delivery modifiers all apply.
_INSTRUCTION_EMOTIONS: tuple[tuple[Emotion, tuple[str, ...]], ...] = (
    (Emotion.WHISPER, ("whisper", "hushed")),
    (Emotion.ANGRY, ("angry", "anger", "furious", "irritated", "annoyed", "stern")),
    (Emotion.SAD, ("sad", "melancholy", "sorrow", "gloomy", "somber", "sombre", "grief")),
    (Emotion.FEARFUL, ("fear", "afraid", "scared", "nervous", "anxious", "terrified")),
    (Emotion.DISGUSTED, ("disgust", "repulsed", "grossed")),
    (Emotion.SURPRISED, ("surprise", "astonish", "amazed", "shocked")),
    (Emotion.HAPPY, ("happy", "cheerful", "joy", "excited", "upbeat", "enthusiastic", "bright")),
    (Emotion.CALM, ("calm", "soothing", "relaxed", "gentle", "serene", "peaceful")),
    (Emotion.FLUENT, ("fluent", "smooth", "confident")),
)
_INSTRUCTION_MODIFIERS: tuple[tuple[ProsodyShift, tuple[str, ...]], ...] = (
    (ProsodyShift(speed=0.85), ("slow", "slower", "slowly", "unhurried")),
    (ProsodyShift(speed=1.15), ("fast", "faster", "quick", "quickly", "rapid", "brisk")),
    (ProsodyShift(gain_db=4.0), ("loud", "louder", "loudly", "shout", "projecting")),
    (ProsodyShift(gain_db=-4.0), ("soft", "softly", "quiet", "quietly")),
    (ProsodyShift(pitch=-2.0, tilt=-0.2), ("deep", "deeper", "low-pitched")),
    (ProsodyShift(pitch=2.0, tilt=0.2), ("high-pitched", "squeaky")),
)
_WORD = re.compile(r"[a-z][a-z\-]*")


def emotion_from_instructions(instructions: str) -> Emotion | None:
    """The emotion a free-text delivery instruction asks for, if any."""
    words = _WORD.findall(instructions.lower())
    for emotion, stems in _INSTRUCTION_EMOTIONS:
        if any(word.startswith(stem) for word in words for stem in stems):
            return emotion
    return None


def shift_for_instructions(instructions: str | None, *, with_emotion: bool = True) -> ProsodyShift:
    """Delivery asked for in words: the emotion it names (unless `with_emotion` is False) plus
    rate/loudness/pitch modifiers."""
    if not instructions:
        return NO_SHIFT
    words = set(_WORD.findall(instructions.lower()))
    emotion = emotion_from_instructions(instructions) if with_emotion else None
    shift = EMOTION_SHIFTS[emotion] if emotion else NO_SHIFT
    for modifier, triggers in _INSTRUCTION_MODIFIERS:
        if words.intersection(triggers):
            shift = shift.then(modifier)
    return shift


@dataclass(frozen=True)
class RenderPlan:
    """Everything one synthesis needs to know about delivery, resolved to engine units."""

    speed: float
    length_scale: float
    stretch: float
    noise_scale: float
    noise_w: float
    pitch_semitones: float
    gain: float
    tilt: float
    whisper: bool


def plan_render(
    voice: Voice,
    *,
    speed: float,
    pitch: float,
    volume: float,
    emotion: str | Emotion | Affect | None,
    instructions: str | None,
    pitch_limit: float,
) -> RenderPlan:
    """Combine a voice's preset, the caller's explicit settings and the emotional shift.

    An explicit `emotion` wins over one implied by `instructions`; the instructions' rate and
    loudness modifiers still apply."""
    shift = shift_for_emotion(emotion).then(
        shift_for_instructions(instructions, with_emotion=emotion is None)
    )
    total_speed = voice.speed * speed * shift.speed
    total_pitch = max(-pitch_limit, min(pitch_limit, voice.pitch + pitch + shift.pitch))
    gain = voice.volume * volume * 10.0 ** (shift.gain_db / 20.0)
    return RenderPlan(
        speed=total_speed,
        length_scale=voice.length_scale / total_speed,
        stretch=_residual_stretch(total_speed, voice.rigid_share),
        noise_scale=voice.noise_scale * shift.noise_scale,
        noise_w=voice.noise_w * shift.noise_w,
        pitch_semitones=total_pitch,
        gain=gain,
        tilt=max(-1.0, min(1.0, voice.tilt + shift.tilt)),
        whisper=shift.whisper,
    )


def _residual_stretch(speed: float, rigid_share: float) -> float:
    """Time-stretch that completes a speed change Piper's length_scale makes only in part:
    its output lasts about (rigid + (1 - rigid) / speed) of normal, the target is 1 / speed."""
    return (1.0 / speed) / (rigid_share + (1.0 - rigid_share) / speed)
