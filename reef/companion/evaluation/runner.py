"""Drive the scripted scenarios through the companion HTTP API and record what happened.

Each character gets its own end user (deleted at the end with everything it owns). Sessions are
created without a `user_name`, so the user's name reaches the model only through memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reef.companion.evaluation.client import CompanionClient, GenerationParams, StreamedTurn
from reef.companion.evaluation.results import (
    CharacterResult,
    EmotionResult,
    FactResult,
    LongCardResult,
    Phase,
    TurnRecord,
)
from reef.companion.evaluation.scenario import (
    CharacterSpec,
    DialogueScenario,
    LongCardScenario,
    PersonaSpec,
)
from reef.companion.evaluation.scorers import (
    PersonaTarget,
    Rubric,
    find_answer,
    find_memory,
    score_emotion,
    score_persona,
)

Progress = Callable[[str], None]
"""Called after every turn with a short label of what ran."""


@dataclass(frozen=True)
class RunOptions:
    model: str
    params: GenerationParams
    message_overhead_tokens: int
    """Chat-template tokens around each message, for the whole-history token count."""
    long_card_turns: int | None = None
    """Turns of the long-card session to run; None runs all of them."""
    default_user_name: str = "User"


def persona_target(character: CharacterSpec, persona: PersonaSpec, user: str) -> PersonaTarget:
    names = [
        character.name,
        *([character.nickname] if character.nickname else []),
        *persona.aliases,
    ]
    return PersonaTarget(tuple(names), tuple(persona.traits), user)


class _Session:
    """One companion session (1-3 of a dialogue) and the token count of the sessions before."""

    def __init__(self, view: dict[str, Any], number: int, earlier_tokens: int) -> None:
        self.id = str(view["id"])
        self.number = number
        self.earlier_tokens = earlier_tokens
        self.index = 0


class ScenarioRunner:
    def __init__(
        self,
        api: CompanionClient,
        rubric: Rubric,
        options: RunOptions,
        run_id: str,
        progress: Progress,
    ) -> None:
        self.api = api
        self.rubric = rubric
        self.options = options
        self.run_id = run_id
        self.progress = progress

    def _user(self, scenario_id: str) -> str:
        return f"eval-{self.run_id}-{scenario_id}"

    def _session_tokens(self, session: _Session, user: str) -> int:
        """Every stored message of the session (greeting included), counted as a prompt
        carrying it would count it."""
        view = self.api.session(session.id, user)
        overhead = self.options.message_overhead_tokens
        return sum(int(m["token_count"] or 0) + overhead for m in view["messages"])

    def _open(self, user: str, character_id: str, number: int, earlier_tokens: int) -> _Session:
        view = self.api.create_session(user, character_id, self.options.model)
        return _Session(view, number, earlier_tokens)

    def _turn(
        self,
        scenario: str,
        session: _Session,
        user: str,
        text: str,
        phase: Phase,
        target: PersonaTarget,
    ) -> tuple[TurnRecord, StreamedTurn]:
        streamed = self.api.send(session.id, user, text, self.options.params)
        usage = streamed.usage
        reply = streamed.reply
        verdict = score_persona(reply, target, self.rubric, probe=phase == "probe")
        record = TurnRecord(
            scenario=scenario,
            session=session.number,
            phase=phase,
            user=text,
            reply=reply,
            ttft_ms=None if streamed.ttft_s is None else round(streamed.ttft_s * 1000, 1),
            total_ms=round(streamed.total_s * 1000, 1),
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            cached_tokens=usage["cached_tokens"],
            whole_history_tokens=usage["prompt_tokens"] + session.earlier_tokens,
            emotion_before=dict(streamed.turn["user_message"]["emotion"] or {}),
            emotion_after=dict(streamed.turn["message"]["emotion"] or {}),
            persona=verdict.criteria,
            persona_evidence=verdict.evidence,
        )
        session.index += 1
        self.progress(f"{scenario} s{session.number} t{session.index}")
        return record, streamed

    # -- dialogues ------------------------------------------------------------------------

    def run_dialogue(self, scenario: DialogueScenario) -> CharacterResult:
        user = self._user(scenario.id)
        character_id = self.api.create_character(scenario.character.card_fields(), user)
        try:
            return self._dialogue(scenario, user, character_id)
        finally:
            self.api.delete_user(user)

    def _dialogue(
        self, scenario: DialogueScenario, user: str, character_id: str
    ) -> CharacterResult:
        target = persona_target(
            scenario.character, scenario.persona, self.options.default_user_name
        )
        result = CharacterResult(scenario.id, scenario.character.name)
        sid = scenario.id

        first = self._open(user, character_id, 1, 0)
        for fact in scenario.facts:
            record, _ = self._turn(sid, first, user, fact.tell, "tell", target)
            record.fact_id = fact.id
            result.turns.append(record)
        told = self._session_tokens(first, user)

        second = self._open(user, character_id, 2, told)
        for line in scenario.small_talk:
            record, _ = self._turn(sid, second, user, line, "small_talk", target)
            result.turns.append(record)
        for spec in scenario.emotional_turns:
            record, _ = self._turn(sid, second, user, spec.say, "emotion", target)
            record.emotion_kind = spec.kind
            result.turns.append(record)
            verdict = score_emotion(record.emotion_before, record.emotion_after, spec)
            expected = spec.model_dump(exclude={"say", "kind"}, exclude_none=True)
            result.emotions.append(
                EmotionResult(
                    spec.kind,
                    spec.say,
                    expected,
                    record.emotion_before,
                    record.emotion_after,
                    verdict.checks,
                )
            )
        talked = told + self._session_tokens(second, user)

        memories = self.api.memories(user, character_id) + self.api.memories(user, None)
        result.memories = [str(memory["text"]) for memory in memories]
        third = self._open(user, character_id, 3, talked)
        for probe in scenario.probes:
            record, _ = self._turn(sid, third, user, probe, "probe", target)
            result.turns.append(record)
        for fact in scenario.facts:
            record, streamed = self._turn(sid, third, user, fact.ask, "ask", target)
            record.fact_id = fact.id
            result.turns.append(record)
            stored = find_memory(memories, fact.answers)
            result.facts.append(
                FactResult(
                    fact_id=fact.id,
                    answer=fact.answer,
                    stored=stored is not None,
                    stored_text=stored,
                    replied=find_answer(streamed.reply, fact.answers) is not None,
                    question=fact.ask,
                    reply=streamed.reply,
                )
            )
        return result

    # -- the long card ----------------------------------------------------------------------

    def run_long_card(self, scenario: LongCardScenario) -> LongCardResult:
        user = self._user(scenario.id)
        character_id = self.api.create_character(scenario.character.card_fields(), user)
        try:
            target = persona_target(
                scenario.character, scenario.persona, self.options.default_user_name
            )
            result = LongCardResult(scenario.id, scenario.character.name, scenario.card_tokens)
            session = self._open(user, character_id, 1, 0)
            for text in scenario.turns[: self.options.long_card_turns]:
                record, _ = self._turn(scenario.id, session, user, text, "long_card", target)
                result.turns.append(record)
            return result
        finally:
            self.api.delete_user(user)
