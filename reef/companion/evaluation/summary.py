"""From turn records to the numbers the report shows (all derivable from the raw JSON)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from reef.companion.evaluation.results import (
    CharacterResult,
    EvalResults,
    LongCardResult,
    TurnRecord,
)
from reef.companion.evaluation.scorers import PERSONA_CRITERIA


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return round(statistics.fmean(found), 1) if found else None


def memory_summary(characters: list[CharacterResult]) -> dict[str, Any]:
    facts = [fact for character in characters for fact in character.facts]
    per_fact: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "stored": 0, "replied": 0})
    for fact in facts:
        row = per_fact[fact.fact_id]
        row["n"] += 1
        row["stored"] += fact.stored
        row["replied"] += fact.replied
    return {
        "facts": len(facts),
        "stored": sum(f.stored for f in facts),
        "replied": sum(f.replied for f in facts),
        "stored_rate": _rate(sum(f.stored for f in facts), len(facts)),
        "reply_rate": _rate(sum(f.replied for f in facts), len(facts)),
        "per_fact": dict(per_fact),
    }


def persona_rates(turns: list[TurnRecord]) -> dict[str, Any]:
    """Per criterion, the share of replies that pass it (among those it applies to), and the
    mean per-reply score (share of a reply's applicable criteria it passes)."""
    rates: dict[str, Any] = {}
    for criterion in PERSONA_CRITERIA:
        judged = [turn.persona[criterion] for turn in turns if criterion in turn.persona]
        rates[criterion] = _rate(sum(judged), len(judged))
    scores = [sum(t.persona.values()) / len(t.persona) for t in turns if t.persona]
    rates["score"] = round(statistics.fmean(scores), 4) if scores else None
    rates["replies"] = len(turns)
    return rates


def persona_summary(characters: list[CharacterResult], long_card: LongCardResult) -> dict[str, Any]:
    per_character = {c.scenario: persona_rates(c.turns) for c in characters}
    per_character[long_card.scenario] = persona_rates(long_card.turns)
    every = [turn for c in characters for turn in c.turns] + list(long_card.turns)
    return {"per_character": per_character, "overall": persona_rates(every)}


def emotion_summary(characters: list[CharacterResult]) -> dict[str, Any]:
    per_kind: dict[str, dict[str, Any]] = {}
    results = [result for character in characters for result in character.emotions]
    for result in results:
        row = per_kind.setdefault(result.kind, {"n": 0, "passed": 0, "checks": {}})
        row["n"] += 1
        row["passed"] += result.passed
        for check, ok in result.checks.items():
            hits, total = row["checks"].get(check, (0, 0))
            row["checks"][check] = (hits + ok, total + 1)
    for row in per_kind.values():
        row["checks"] = {name: {"passed": h, "n": n} for name, (h, n) in row["checks"].items()}
    passed = sum(result.passed for result in results)
    return {
        "turns": len(results),
        "passed": passed,
        "pass_rate": _rate(passed, len(results)),
        "per_kind": per_kind,
    }


def token_summary(characters: list[CharacterResult]) -> dict[str, Any]:
    """Per character and session: mean prompt tokens sent, cached, and whole-history."""
    per_character: dict[str, dict[str, Any]] = {}
    for character in characters:
        sessions: dict[str, Any] = {}
        for number in sorted({turn.session for turn in character.turns}):
            turns = [turn for turn in character.turns if turn.session == number]
            sessions[str(number)] = {
                "turns": len(turns),
                "prompt_tokens": _mean(t.prompt_tokens for t in turns),
                "cached_tokens": _mean(t.cached_tokens for t in turns),
                "whole_history_tokens": _mean(t.whole_history_tokens for t in turns),
            }
        per_character[character.scenario] = sessions
    last = [
        turn
        for character in characters
        for turn in character.turns
        if turn.session == max(t.session for t in character.turns)
    ]
    sent = sum(turn.prompt_tokens for turn in last)
    whole = sum(turn.whole_history_tokens for turn in last)
    return {
        "per_character": per_character,
        "last_session_prompt_tokens": _mean(t.prompt_tokens for t in last),
        "last_session_whole_history_tokens": _mean(t.whole_history_tokens for t in last),
        "last_session_ratio": _rate(sent, whole),
    }


def ttft_summary(long_card: LongCardResult) -> dict[str, Any]:
    turns = long_card.turns
    first = turns[0] if turns else None
    later = [turn.ttft_ms for turn in turns[1:] if turn.ttft_ms is not None]
    later_median = round(statistics.median(later), 1) if later else None
    speedup = (
        round(first.ttft_ms / later_median, 2)
        if first is not None and first.ttft_ms and later_median
        else None
    )
    return {
        "turn1_ttft_ms": first.ttft_ms if first else None,
        "turn1_prompt_tokens": first.prompt_tokens if first else None,
        "turn1_cached_tokens": first.cached_tokens if first else None,
        "later_turns": len(later),
        "later_median_ttft_ms": later_median,
        "later_mean_cached_tokens": _mean(t.cached_tokens for t in turns[1:]),
        "later_mean_prompt_tokens": _mean(t.prompt_tokens for t in turns[1:]),
        "speedup": speedup,
    }


def summarise(results: EvalResults) -> dict[str, Any]:
    return {
        "memory": memory_summary(results.characters),
        "persona": persona_summary(results.characters, results.long_card),
        "emotion": emotion_summary(results.characters),
        "tokens": token_summary(results.characters),
        "ttft": ttft_summary(results.long_card),
    }
