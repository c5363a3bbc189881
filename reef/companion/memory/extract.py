"""Fact extractors: what an exchange teaches about the user and the relationship.

Three implementations of one `FactExtractor` protocol:
- `RuleExtractor` (rules.py): deterministic patterns, right for tiny models;
- `LLMExtractor`: asks the chat model through an injected `complete(messages, json_schema)`,
  then keeps only well-formed facts grounded in the user's own words;
- `CombinedExtractor`: both, rule facts first (they are precise), LLM facts for what the rules
  did not cover. An LLM failure (a `ReefError`) leaves the rule facts standing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from reef.companion.memory.subjects import is_single_valued, is_valid_subject
from reef.companion.memory.text import content_terms, normalize_text, normalize_value
from reef.companion.memory.types import CandidateFact, CompleteFn, Exchange
from reef.errors import ReefError
from reef.settings import MemorySettings

log = logging.getLogger(__name__)


class FactExtractor(Protocol):
    async def extract(self, exchange: Exchange) -> list[CandidateFact]: ...


SYSTEM_PROMPT = """\
You pick out long-term memories for a companion chat app. Read the latest exchange between \
the user ({user}) and the character {char}. List the facts the USER states about themselves \
or about their relationship with {char} that are worth remembering weeks later: name, age, \
home, job, family, pets, likes and dislikes, plans, important events, how they feel about \
{char}.

Rules:
- Only what the user said or clearly confirmed. Never facts about {char}, never guesses, \
never anything that only {char} said.
- Each fact is one short sentence in the third person that starts with "The user", e.g. \
"The user has a dog named Rex."
- subject: a dotted key when one fits, else "". Keys: user.name, user.preferred_name, \
user.age, user.location (where they live now), user.hometown, user.occupation, \
user.employer, user.birthday, user.pet.<animal> (user.pet.dog), user.<relation>.name \
(user.sister.name), user.favourite.<thing> (user.favourite.colour), user.likes, \
user.dislikes, user.allergies, user.languages, user.events, relationship.<aspect>.
- value: the fact's value in a few words ("Rex", "Berlin", "jazz"), else "".
- negated: true when the user says something no longer holds, e.g. "I don't have a dog \
anymore" gives {{"text": "The user no longer has a dog.", "subject": "user.pet.dog", \
"value": "", "negated": true}}.
- Ignore greetings, questions, small talk and role-play actions. When nothing is worth \
remembering, return {{"facts": []}}."""

USER_PROMPT = """\
{context}Latest exchange:
{user}: {message}
{char}: {reply}

Return the facts as JSON."""


def facts_schema(max_facts: int, max_chars: int) -> dict[str, Any]:
    """The JSON schema the extractor's completion must follow."""
    fact = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": max_chars},
            "subject": {"type": "string", "maxLength": 64},
            "value": {"type": "string", "maxLength": 80},
            "negated": {"type": "boolean"},
        },
        "required": ["text", "subject", "value", "negated"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"facts": {"type": "array", "items": fact, "maxItems": max_facts}},
        "required": ["facts"],
        "additionalProperties": False,
    }


def extraction_messages(exchange: Exchange, context_messages: int) -> list[dict[str, str]]:
    """The prompt: instructions, then the recent context and the latest exchange."""
    names = {"user": exchange.user_name, "char": exchange.character_name}
    recent = list(exchange.context)[-context_messages:] if context_messages else []
    lines = []
    for message in recent:
        speaker = names["user"] if message.get("role") == "user" else names["char"]
        lines.append(f"{speaker}: {message.get('content', '')}")
    context = "Earlier messages:\n" + "\n".join(lines) + "\n\n" if lines else ""
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(**names)},
        {
            "role": "user",
            "content": USER_PROMPT.format(
                context=context, message=exchange.user_message, reply=exchange.reply, **names
            ),
        },
    ]


class LLMExtractor:
    """`FactExtractor` through the chat model, with defensive validation of its output."""

    def __init__(self, complete: CompleteFn, settings: MemorySettings | None = None) -> None:
        self._complete = complete
        self._settings = settings or MemorySettings()

    async def extract(self, exchange: Exchange) -> list[CandidateFact]:
        config = self._settings
        schema = facts_schema(config.max_facts_per_exchange, config.max_fact_chars)
        messages = extraction_messages(exchange, config.extraction_context_messages)
        output = await self._complete(messages, schema)
        facts = parse_facts(output, max_chars=config.max_fact_chars)
        if config.require_grounding:
            facts = [f for f in facts if is_grounded(f, exchange.user_message)]
        return facts[: config.max_facts_per_exchange]


def parse_facts(output: Any, *, max_chars: int) -> list[CandidateFact]:
    """The well-formed facts of a completion; malformed ones are dropped, never raised:
    a small model's mistakes must not break a chat."""
    raw = output.get("facts") if isinstance(output, Mapping) else None
    if not isinstance(raw, list):
        log.warning("fact extraction returned no facts list: %r", output)
        return []
    facts = []
    for item in raw:
        fact = _parse_fact(item, max_chars)
        if fact is not None:
            facts.append(fact)
    return facts


def _parse_fact(item: Any, max_chars: int) -> CandidateFact | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
        return None
    text = " ".join(item["text"].split())
    if text.lower().startswith("user"):
        text = "The user" + text[4:]
    elif text.lower().startswith("the user"):
        text = "The user" + text[8:]
    if not text.startswith("The user") or len(text) > max_chars or len(text) < 12:
        return None
    if not text.endswith((".", "!")):
        text += "."
    subject = item.get("subject")
    subject = subject.strip().lower() if isinstance(subject, str) else ""
    value = item.get("value")
    value = " ".join(value.split()) if isinstance(value, str) else ""
    return CandidateFact(
        text=text,
        subject=subject if is_valid_subject(subject) else None,
        value=value or None,
        negated=item.get("negated") is True,
        source="llm",
    )


def is_grounded(fact: CandidateFact, user_message: str) -> bool:
    """Whether the user's message backs the fact: all words of its value appear there, or,
    without a value, at least one meaningful word of its text."""
    said = set(content_terms(user_message))
    if fact.value:
        needed = content_terms(fact.value)
        return bool(needed) and all(term in said for term in needed)
    return any(term in said for term in content_terms(fact.text))


class CombinedExtractor:
    """Rule facts, then LLM facts about subjects and values the rules did not catch."""

    def __init__(
        self,
        rules: FactExtractor,
        llm: FactExtractor,
        settings: MemorySettings | None = None,
    ) -> None:
        self._rules = rules
        self._llm = llm
        self._settings = settings or MemorySettings()

    async def extract(self, exchange: Exchange) -> list[CandidateFact]:
        facts = await self._rules.extract(exchange)
        try:
            extra = await self._llm.extract(exchange)
        except ReefError as exc:
            log.warning("LLM fact extraction failed, keeping rule facts: %s", exc.message)
            extra = []
        single_subjects = {f.subject for f in facts if is_single_valued(f.subject)}
        pairs = {(f.subject, normalize_value(f.value)) for f in facts if f.value}
        texts = {normalize_text(f.text) for f in facts}
        for fact in extra:
            if fact.subject in single_subjects or normalize_text(fact.text) in texts:
                continue
            if fact.value and (fact.subject, normalize_value(fact.value)) in pairs:
                continue
            facts.append(fact)
            texts.add(normalize_text(fact.text))
        return facts[: self._settings.max_facts_per_exchange]
