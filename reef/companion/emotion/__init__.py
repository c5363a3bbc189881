"""A companion's emotional state: lexicon appraisal of each exchange, decay toward the
character's temperament, a discrete emotion, and its renderings for the prompt and for speech.

Typical turn:

    appraisal = await appraise_exchange(user_message, reply, settings=settings.companion.emotion)
    state = update_state(state, appraisal, temperament, settings=settings.companion.emotion)
    line = describe_for_prompt(state, "{{char}}")
    emotion, valence, arousal = to_voice(state)
"""

from reef.companion.emotion.appraisal import (
    AffectClassifier,
    AffectEstimate,
    Appraisal,
    appraise_exchange,
    appraise_text,
)
from reef.companion.emotion.describe import describe_for_prompt, to_voice
from reef.companion.emotion.dynamics import update_state
from reef.companion.emotion.lexicon import Lexicon, default_lexicon, load_lexicon
from reef.companion.emotion.state import (
    EMOTIONS,
    Affect,
    EmotionName,
    EmotionState,
    Temperament,
    derive_emotion,
)

__all__ = [
    "EMOTIONS",
    "Affect",
    "AffectClassifier",
    "AffectEstimate",
    "Appraisal",
    "EmotionName",
    "EmotionState",
    "Lexicon",
    "Temperament",
    "appraise_exchange",
    "appraise_text",
    "default_lexicon",
    "derive_emotion",
    "describe_for_prompt",
    "load_lexicon",
    "to_voice",
    "update_state",
]
