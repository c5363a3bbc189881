"""The evaluation's scorers: plain rules, so every verdict can be explained by pointing at the
text that decided it.

- Memory recall is exact-match: an expected answer (case-insensitive, whole words) appears in a
  stored memory, or in the reply.
- Persona consistency is a rubric (rubric.toml) of independent criteria per reply.
- Emotional consistency compares the character's tracked emotion before and after a scripted
  turn with the direction the scenario expects.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reef.companion.evaluation.scenario import EmotionalTurnSpec, ScenarioError

RUBRIC_FILE = Path(__file__).with_name("rubric.toml")

REPLIED = "replied"
OWN_IDENTITY = "own_identity"
NO_ASSISTANT_SPEAK = "no_assistant_speak"
NO_FOURTH_WALL = "no_fourth_wall"
NO_USER_IMPERSONATION = "no_user_impersonation"
TRAIT_VOCABULARY = "trait_vocabulary"
NAMES_SELF = "names_self"
PERSONA_CRITERIA = (
    REPLIED,
    OWN_IDENTITY,
    NO_ASSISTANT_SPEAK,
    NO_FOURTH_WALL,
    NO_USER_IMPERSONATION,
    TRAIT_VOCABULARY,
    NAMES_SELF,
)
PERSONA_CRITERIA_HELP = {
    REPLIED: "the reply is not empty",
    OWN_IDENTITY: "claims no name other than the character's own ('I'm X', 'my name is X')",
    NO_ASSISTANT_SPEAK: "no assistant phrases ('as an AI', 'how can I assist', ...)",
    NO_FOURTH_WALL: "no talk about the fiction or leaked template text ('roleplay', '{{char}}')",
    NO_USER_IMPERSONATION: "does not write the user's next line ('User: ...')",
    TRAIT_VOCABULARY: "uses at least one word of the character's world from the scenario list",
    NAMES_SELF: "asked who it is, the reply gives the character's name (probe turns only)",
}


# -- the rubric -------------------------------------------------------------------------------


class _PhraseList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phrases: list[str] = Field(min_length=1)


class _IdentityRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claims: list[str] = Field(min_length=1)
    not_names: list[str] = Field(default_factory=list)


class _ImpersonationRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speaker_labels: list[str] = Field(min_length=1)


class _RubricFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assistant_speak: _PhraseList
    fourth_wall: _PhraseList
    identity: _IdentityRules
    impersonation: _ImpersonationRules


@dataclass(frozen=True)
class Rubric:
    assistant_speak: tuple[str, ...]
    fourth_wall: tuple[str, ...]
    identity_claims: tuple[re.Pattern[str], ...]
    not_names: frozenset[str]
    speaker_labels: tuple[str, ...]


def _claim_pattern(source: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(source)
    except re.error as exc:
        raise ScenarioError(f"rubric: bad identity claim pattern {source!r}: {exc}") from exc
    if "name" not in pattern.groupindex:
        raise ScenarioError(f"rubric: identity claim pattern {source!r} has no 'name' group")
    return pattern


def load_rubric(path: Path = RUBRIC_FILE) -> Rubric:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        parsed = _RubricFile.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"rubric {path}: cannot read it ({exc})", param="rubric") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ScenarioError(f"rubric {path}: {where}: {first['msg']}", param="rubric") from exc
    return Rubric(
        assistant_speak=tuple(p.lower() for p in parsed.assistant_speak.phrases),
        fourth_wall=tuple(p.lower() for p in parsed.fourth_wall.phrases),
        identity_claims=tuple(_claim_pattern(p) for p in parsed.identity.claims),
        not_names=frozenset(n.lower() for n in parsed.identity.not_names),
        speaker_labels=tuple(parsed.impersonation.speaker_labels),
    )


# -- exact match ------------------------------------------------------------------------------


def _whole(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE)


def find_answer(text: str, answers: Iterable[str]) -> str | None:
    """The first expected answer that appears in `text` as whole words, ignoring case."""
    return next((answer for answer in answers if _whole(answer).search(text)), None)


def find_memory(memories: Iterable[Mapping[str, Any]], answers: Sequence[str]) -> str | None:
    """The text of the first stored memory whose text or value holds an expected answer."""
    for memory in memories:
        found = f"{memory.get('text') or ''}\n{memory.get('value') or ''}"
        if find_answer(found, answers):
            return str(memory.get("text"))
    return None


# -- persona ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonaVerdict:
    """Each applicable criterion's verdict, and for failures the text that decided it."""

    criteria: dict[str, bool]
    evidence: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(self.criteria.values()) / len(self.criteria)


@dataclass(frozen=True)
class PersonaTarget:
    """Who the reply should sound like."""

    names: tuple[str, ...]
    traits: tuple[str, ...]
    user_name: str


def _first_phrase(text: str, phrases: Iterable[str]) -> str | None:
    lowered = text.lower()
    return next((phrase for phrase in phrases if phrase in lowered), None)


def _own_name_words(names: Iterable[str]) -> frozenset[str]:
    return frozenset(word.lower() for name in names for word in re.findall(r"[\w'-]+", name))


def _foreign_claim(reply: str, target: PersonaTarget, rubric: Rubric) -> str | None:
    own = _own_name_words(target.names)
    for pattern in rubric.identity_claims:
        for match in pattern.finditer(reply):
            name = match.group("name")
            if name.lower() not in own and name.lower() not in rubric.not_names:
                return match.group(0)
    return None


def _impersonation(reply: str, target: PersonaTarget, rubric: Rubric) -> str | None:
    labels = {label.replace("{{user}}", target.user_name) for label in rubric.speaker_labels}
    for line in reply.splitlines():
        stripped = line.strip()
        for label in labels:
            if stripped.lower().startswith(f"{label.lower()}:"):
                return stripped[:80]
    return None


def score_persona(
    reply: str, target: PersonaTarget, rubric: Rubric, *, probe: bool = False
) -> PersonaVerdict:
    """The rubric's verdicts on one reply; `probe` marks a "who are you?" turn."""
    criteria: dict[str, bool] = {}
    evidence: dict[str, str] = {}

    def judge(criterion: str, failure: str | None) -> None:
        criteria[criterion] = failure is None
        if failure is not None:
            evidence[criterion] = failure

    text = reply.strip()
    judge(REPLIED, None if text else "empty reply")
    judge(OWN_IDENTITY, _foreign_claim(text, target, rubric))
    judge(NO_ASSISTANT_SPEAK, _first_phrase(text, rubric.assistant_speak))
    judge(NO_FOURTH_WALL, _first_phrase(text, rubric.fourth_wall))
    judge(NO_USER_IMPERSONATION, _impersonation(text, target, rubric))
    trait = find_answer(text, target.traits)
    judge(TRAIT_VOCABULARY, None if trait else "none of the character's words")
    if probe:
        named = find_answer(text, target.names)
        judge(NAMES_SELF, None if named else "does not say its name")
    return PersonaVerdict(criteria, evidence)


# -- emotion ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmotionVerdict:
    """`checks`: valence / arousal (moved the expected way) and emotion (an accepted label)."""

    checks: dict[str, bool]

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


def _moved(before: float, after: float, direction: str) -> bool:
    return after > before if direction == "up" else after < before


def score_emotion(
    before: Mapping[str, Any], after: Mapping[str, Any], expected: EmotionalTurnSpec
) -> EmotionVerdict:
    """Compare the state the character was in when the message arrived with the state stored
    with its reply. A move counts in the expected direction however small."""
    checks: dict[str, bool] = {}
    if expected.valence is not None:
        checks["valence"] = _moved(
            float(before["valence"]), float(after["valence"]), expected.valence
        )
    if expected.arousal is not None:
        checks["arousal"] = _moved(
            float(before["arousal"]), float(after["arousal"]), expected.arousal
        )
    if expected.emotions:
        checks["emotion"] = after.get("emotion") in expected.emotions
    return EmotionVerdict(checks)
