"""The emotional state as the prompt and the speech engine need it."""

from __future__ import annotations

from reef.companion.emotion.state import EmotionName, EmotionState

# How each emotion should colour the next reply.
_STYLE: dict[EmotionName, str] = {
    "happy": "replies are warm, lively and playful",
    "sad": "replies are quieter and shorter",
    "angry": "replies are curt and guarded",
    "fearful": "replies are hesitant and anxious",
    "disgusted": "replies are cool and dismissive",
    "surprised": "replies are animated and full of questions",
    "neutral": "replies are even and attentive",
}
# (upper bound of intensity, qualifier) in increasing order.
_DEGREES: tuple[tuple[float, str], ...] = ((0.4, "slightly "), (0.7, ""), (1.01, "very "))


def _degree(intensity: float) -> str:
    return next(word for bound, word in _DEGREES if intensity < bound)


def describe_for_prompt(
    state: EmotionState, character_name: str, *, possessive: str = "their"
) -> str:
    """One line conditioning the next reply, e.g. "Mira currently feels sad: her replies are
    quieter and shorter."

    Words only, no valence/arousal numbers: the line then stays byte-identical while the mood
    keeps its label and degree, so the history after it stays in the engine's prefix cache.
    `character_name` may be the `{{char}}` macro; the prompt assembler expands it.
    """
    feeling = "calm" if state.emotion == "neutral" else _degree(state.intensity) + state.emotion
    return f"{character_name} currently feels {feeling}: {possessive} {_STYLE[state.emotion]}."


def to_voice(state: EmotionState) -> tuple[str, float, float]:
    """(emotion, valence, arousal) for text-to-speech: the emotion is a MiniMax `emotion` value
    (Reef's seven are all MiniMax names) and the pair feeds the continuous prosody control."""
    return state.emotion, round(state.valence, 3), round(state.arousal, 3)
