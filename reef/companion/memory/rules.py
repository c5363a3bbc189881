"""Deterministic fact extraction from what the user says about themselves.

Made for small models (the bundled 135M one cannot be trusted to extract facts): it reads only
the user's own first-person statements, skips questions and hypotheticals ("if I had a dog"),
and understands retractions ("I don't have a dog anymore", "I no longer live in Paris") and
corrections ("actually, I moved to Berlin"), which reconciliation turns into DELETE / UPDATE.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reef.companion.memory import rule_grammar as g
from reef.companion.memory.rule_facts import RuleContext
from reef.companion.memory.rule_table import RULES
from reef.companion.memory.text import normalize_value
from reef.companion.memory.types import CandidateFact, Clock, Exchange


class RuleExtractor:
    """`FactExtractor` by patterns (see `RULES`); cheap and predictable."""

    def __init__(self, *, clock: Clock | None = None, max_facts: int = 8) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._max_facts = max_facts

    async def extract(self, exchange: Exchange) -> list[CandidateFact]:
        return self.extract_text(exchange.user_message)

    def extract_text(self, message: str) -> list[CandidateFact]:
        """Facts in the user's message, at most `max_facts`, without repeats."""
        context = RuleContext(self._clock())
        facts: list[CandidateFact] = []
        seen: set[tuple[str | None, str, bool]] = set()
        for clause, greeted, first in _clauses(message):
            clause_facts: list[CandidateFact] = []
            for rule in RULES:
                if rule.first_clause_only and not (first and greeted):
                    continue
                match = rule.pattern.search(clause)
                if match is None or g.HYPOTHETICAL.search(clause[: match.start()]):
                    continue
                clause_facts.extend(rule.build(match, context))
            retracted = {f.subject for f in clause_facts if f.negated}
            for fact in clause_facts:
                if not fact.negated and fact.subject in retracted:
                    continue  # "my dog Rex died" does not also say "has a dog named Rex"
                key = (fact.subject, normalize_value(fact.value or fact.text), fact.negated)
                if key not in seen:
                    seen.add(key)
                    facts.append(fact)
        return facts[: self._max_facts]


def _clauses(message: str) -> list[tuple[str, bool, bool]]:
    """(clause, sentence opened with a greeting, first clause of its sentence) for every
    clause of every statement (questions are skipped)."""
    text = message.replace("\u2019", "'").replace("\u2018", "'")
    found: list[tuple[str, bool, bool]] = []
    greeted = False
    for sentence in g.SENTENCE_BREAK.split(text):
        sentence = g.QUESTION_TAG.sub("", sentence.strip())
        if not sentence or sentence.endswith("?"):
            greeted = False
            continue
        greeting = g.GREETING.match(sentence)
        if greeting:
            sentence = g.AFTER_GREETING.sub("", sentence[greeting.end() :])
            greeted = True
            if not sentence:
                continue  # "Hi! I'm Sam.": the introduction is the next sentence
        for index, clause in enumerate(g.CLAUSE_BREAK.split(sentence)):
            clause = g.LEADING_MARKERS.sub("", clause.strip()).rstrip(" .!")
            if clause:
                found.append((clause, greeted, index == 0))
        greeted = False
    return found
