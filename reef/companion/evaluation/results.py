"""What one evaluation run observed, turn by turn, in a form that serialises to the raw JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Phase = Literal["tell", "small_talk", "emotion", "probe", "ask", "long_card"]


@dataclass
class TurnRecord:
    """One user message and the reply, as measured at the client.

    `whole_history_tokens` is what the prompt would have taken had it carried every earlier
    message of this user and character (all sessions) instead of recalled memories.
    """

    scenario: str
    session: int
    phase: Phase
    user: str
    reply: str
    ttft_ms: float | None
    total_ms: float
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    whole_history_tokens: int
    emotion_before: dict[str, Any]
    emotion_after: dict[str, Any]
    persona: dict[str, bool]
    persona_evidence: dict[str, str] = field(default_factory=dict)
    fact_id: str | None = None
    emotion_kind: str | None = None


@dataclass
class FactResult:
    fact_id: str
    answer: str
    stored: bool
    stored_text: str | None
    replied: bool
    question: str
    reply: str


@dataclass
class EmotionResult:
    kind: str
    say: str
    expected: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    checks: dict[str, bool]

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


@dataclass
class CharacterResult:
    scenario: str
    name: str
    turns: list[TurnRecord] = field(default_factory=list)
    facts: list[FactResult] = field(default_factory=list)
    emotions: list[EmotionResult] = field(default_factory=list)
    memories: list[str] = field(default_factory=list)


@dataclass
class LongCardResult:
    scenario: str
    name: str
    declared_card_tokens: int
    turns: list[TurnRecord] = field(default_factory=list)


@dataclass
class EvalResults:
    meta: dict[str, Any]
    characters: list[CharacterResult]
    long_card: LongCardResult

    def to_dict(self, summary: dict[str, Any]) -> dict[str, Any]:
        characters = []
        for character in self.characters:
            body = asdict(character)
            for emotion, raw in zip(character.emotions, body["emotions"], strict=True):
                raw["passed"] = emotion.passed
            characters.append(body)
        return {
            "meta": self.meta,
            "summary": summary,
            "characters": characters,
            "long_card": asdict(self.long_card),
        }
