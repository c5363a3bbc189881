"""The affect lexicon (lexicon.toml): words, phrases, emoji and modifiers with their meaning.

Kept as data so that the numbers can be reviewed and tuned without touching the appraisal code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from reef.companion.emotion.state import Affect, EmotionName, parse_emotion_name

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Modifiers:
    """How negation, intensity, punctuation and address change a word's affect."""

    negation_window: int
    negation_valence: float
    negation_arousal: float
    exclamation_arousal: float
    exclamation_strength: float
    exclamation_max: int
    caps_factor: float
    shouting_min_words: int
    shouting_arousal: float
    direct_address_factor: float
    question_factor: float
    strength_saturation: float
    apology_valence: float
    apology_arousal: float
    apology_negative_factor: float


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, Affect]
    phrases: dict[Phrase, Affect]
    intensifiers: dict[Phrase, float]
    emoticons: dict[str, Affect]
    emoji: dict[str, Affect]
    cues: dict[str, EmotionName]
    negators: frozenset[str]
    second_person: frozenset[str]
    feelings: frozenset[str]
    apology_markers: tuple[str, ...]
    modifiers: Modifiers

    @property
    def longest_phrase(self) -> int:
        return max((len(p) for p in [*self.phrases, *self.intensifiers]), default=1)

    def lemma(self, word: str) -> str | None:
        """The lexicon entry `word` is an inflection of (loved -> love, happily -> happy)."""
        for candidate in _inflection_candidates(word):
            if candidate in self.words:
                return candidate
        return None

    def is_negator(self, word: str) -> bool:
        return word in self.negators or word.endswith("n't")

    def is_apology(self, lowered_tokens: list[str]) -> bool:
        """Whether the words contain an apology marker (whole words only)."""
        padded = f" {' '.join(lowered_tokens)} "
        return any(f" {marker} " in padded for marker in self.apology_markers)


def _inflection_candidates(word: str) -> list[str]:
    found = [word]
    if word.endswith("'s"):
        found.append(word[:-2])
    for suffix, replacements in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            found.extend(stem + r for r in replacements)
            if len(stem) > 2 and stem[-1] == stem[-2]:
                found.append(stem[:-1])  # stopped -> stop, sadder -> sad
    return found


_SUFFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ies", ("y",)),
    ("ied", ("y",)),
    ("ily", ("y",)),
    ("ier", ("y",)),
    ("iest", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
    ("ed", ("", "e")),
    ("ing", ("", "e")),
    ("ly", ("",)),
    ("er", ("", "e")),
    ("est", ("", "e")),
)


def _affect(where: str, value: Any) -> Affect:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and -1.0 <= v <= 1.0 for v in value)
    ):
        raise ValueError(f"lexicon entry {where} must be [valence, arousal] in [-1, 1]")
    return Affect(float(value[0]), float(value[1]))


def _phrase(text: str) -> Phrase:
    return tuple(text.lower().split())


def parse_lexicon(data: dict[str, Any]) -> Lexicon:
    """Build a `Lexicon` from the TOML structure; a malformed entry raises ValueError."""
    modifiers = dict(data["modifiers"])
    cues: dict[str, EmotionName] = {}
    for emotion_name, items in data["cues"].items():
        emotion = parse_emotion_name(emotion_name)
        for item in items:
            cues.setdefault(item if _is_symbol(item) else item.lower(), emotion)
    return Lexicon(
        words={w.lower(): _affect(w, v) for w, v in data["words"].items()},
        phrases={_phrase(p): _affect(p, v) for p, v in data["phrases"].items()},
        intensifiers={_phrase(p): float(v) for p, v in data["intensifiers"].items()},
        emoticons={e: _affect(e, v) for e, v in data["emoticons"].items()},
        emoji={e: _affect(e, v) for e, v in data["emoji"].items()},
        cues=cues,
        negators=frozenset(modifiers.pop("negators")),
        second_person=frozenset(modifiers.pop("second_person")),
        feelings=frozenset(modifiers.pop("feelings")),
        apology_markers=tuple(" ".join(_phrase(m)) for m in modifiers.pop("apology_markers")),
        modifiers=Modifiers(**modifiers),
    )


def _is_symbol(item: str) -> bool:
    """Emoticons and emoji keep their case (":D" and ":d" differ)."""
    return not any(c.isalpha() for c in item) or not item.isascii() or ":" in item


@cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped with Reef, loaded once."""
    text = resources.files(__package__).joinpath("lexicon.toml").read_text(encoding="utf-8")
    return parse_lexicon(tomllib.loads(text))


def load_lexicon(path: Path) -> Lexicon:
    """A lexicon in the same TOML layout, for operators who tune their own."""
    return parse_lexicon(tomllib.loads(path.read_text(encoding="utf-8")))


__all__ = ["Lexicon", "Modifiers", "default_lexicon", "load_lexicon"]
