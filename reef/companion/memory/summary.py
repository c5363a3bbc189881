"""The relationship summary: a few bounded sentences on who the user is to the character.

The facts part is rebuilt by rules after every exchange from the stored memories, so it is
never stale; every `llm_summary_every` exchanges an injected `complete` may rewrite the
narrative part (how things have gone between them), which is kept until the next rewrite.
Both parts use `{{char}}` and `{{user}}`, which the prompt assembler expands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reef.companion.memory.retrieve import render_line
from reef.companion.memory.store import MemoryStore
from reef.companion.memory.text import normalize_value
from reef.companion.memory.types import (
    Clock,
    CompleteFn,
    Exchange,
    Memory,
    MemoryScope,
    RelationshipSummary,
)
from reef.errors import ReefError
from reef.settings import MemorySettings

log = logging.getLogger(__name__)

MAX_LIKES = 5  # preferences named in the summary, newest first
MAX_EVENTS = 2  # life events named in the summary, newest first
# (at most this many exchanges, how the summary puts it), then what it says beyond them.
ACQUAINTANCE: tuple[tuple[int, str], ...] = (
    (1, "have just met"),
    (10, "have talked a few times"),
    (100, "have talked many times"),
)
ACQUAINTANCE_BEYOND = "know each other well"
VALUE_SUBJECTS = frozenset(
    {"user.age", "user.occupation", "user.location", "user.hometown", "user.likes", "user.dislikes"}
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

NARRATIVE_PROMPT = """\
Write a short summary (at most {max_chars} characters, two or three sentences) of the \
relationship between {{{{user}}}} and {{{{char}}}} in a companion chat, in the third person. \
Say how they get along, what they have shared and what matters to {{{{user}}}}. Write \
{{{{user}}}} and {{{{char}}}} literally instead of names. Do not invent anything.

Previous summary: {previous}

What {{{{char}}}} knows about {{{{user}}}}:
{facts}

Latest exchange:
{{{{user}}}}: {message}
{{{{char}}}}: {reply}

Return JSON."""


def _states_itself(memory: Memory) -> bool:
    """A value that is the whole fact (a correction that no longer fits the subject's
    pattern, see `controls.derived_value`): the summary quotes it rather than slotting it."""
    return bool(memory.value) and normalize_value(memory.value) == normalize_value(memory.text)


def _values(memories: Sequence[Memory], subject: str) -> list[str]:
    found = [m for m in memories if m.subject == subject and m.value and not _states_itself(m)]
    found.sort(key=lambda m: m.updated_at, reverse=True)
    return [m.value for m in found if m.value]


def _first(memories: Sequence[Memory], subject: str) -> str | None:
    values = _values(memories, subject)
    return values[0] if values else None


def _about(memories: Sequence[Memory]) -> str | None:
    parts = []
    if age := _first(memories, "user.age"):
        parts.append(f"{age} years old")
    if job := _first(memories, "user.occupation"):
        parts.append(f"{'an' if job[0].lower() in 'aeiou' else 'a'} {job}")
    if place := _first(memories, "user.location"):
        parts.append(f"lives in {place}")
    if home := _first(memories, "user.hometown"):
        parts.append(f"is from {home}")
    return "{{user}}: " + ", ".join(parts) + "." if parts else None


def _preferences(memories: Sequence[Memory]) -> str | None:
    likes = _values(memories, "user.likes")[:MAX_LIKES]
    dislikes = _values(memories, "user.dislikes")[:MAX_LIKES]
    parts = []
    if likes:
        parts.append("likes " + ", ".join(likes))
    if dislikes:
        parts.append("dislikes " + ", ".join(dislikes))
    return "{{user}} " + "; ".join(parts) + "." if parts else None


def _people_and_pets(memories: Sequence[Memory]) -> str | None:
    parts = []
    for memory in sorted(memories, key=lambda m: m.created_at):
        subject = memory.subject or ""
        parts_of_key = subject.split(".")
        if len(parts_of_key) == 3 and parts_of_key[2] == "name" and memory.value:
            if _states_itself(memory):
                continue
            if parts_of_key[1] != "preferred":
                parts.append(f"{parts_of_key[1].replace('_', ' ')} {memory.value}")
        elif subject.startswith("user.pet.") and memory.text.startswith("The user has "):
            parts.append(memory.text.removeprefix("The user has ").rstrip("."))
    return "Family, friends and pets: " + "; ".join(parts) + "." if parts else None


def _read_by_value(subject: str) -> bool:
    """Subjects the summary names by their value (see `_about`, `_preferences`, names)."""
    parts = subject.split(".")
    return subject in VALUE_SUBJECTS or (len(parts) == 3 and parts[2] == "name")


def _stated_whole(memories: Sequence[Memory]) -> list[str]:
    """Facts read by value whose value is their whole text, oldest first."""
    return [
        render_line(m)
        for m in sorted(memories, key=lambda m: m.created_at)
        if _read_by_value(m.subject or "") and _states_itself(m)
    ]


def _between_them(memories: Sequence[Memory]) -> list[str]:
    shared = [m for m in memories if (m.subject or "").startswith("relationship.")]
    events = [m for m in memories if m.subject == "user.events"]
    events.sort(key=lambda m: m.updated_at, reverse=True)
    return [render_line(m) for m in [*shared, *events[:MAX_EVENTS]]]


def how_long_they_have_talked(exchanges: int) -> str:
    """The summary's opening. In bands, not an exact count: the summary sits in the prompt
    before the history, and a sentence that changed every turn would keep the engine from
    reusing the cached history."""
    for most, phrase in ACQUAINTANCE:
        if exchanges <= most:
            return f"{{{{char}}}} and {{{{user}}}} {phrase}."
    return f"{{{{char}}}} and {{{{user}}}} {ACQUAINTANCE_BEYOND}."


def facts_summary(memories: Sequence[Memory], exchanges: int) -> list[str]:
    """The rule-built sentences, most important first."""
    sentences = [how_long_they_have_talked(exchanges)]
    for sentence in (_about(memories), _preferences(memories), _people_and_pets(memories)):
        if sentence:
            sentences.append(sentence)
    sentences.extend(_stated_whole(memories))
    sentences.extend(_between_them(memories))
    return sentences


def bounded(sentences: Sequence[str], max_chars: int) -> str:
    """Whole sentences in order while they fit in `max_chars` (a too-long first one is cut
    at a word boundary)."""
    text = ""
    for sentence in sentences:
        candidate = f"{text} {sentence}".strip()
        if len(candidate) > max_chars:
            if not text:
                return sentence[: max_chars - 1].rsplit(" ", 1)[0] + "…"
            continue
        text = candidate
    return text


class RelationshipSummarizer:
    def __init__(
        self,
        store: MemoryStore,
        *,
        complete: CompleteFn | None = None,
        settings: MemorySettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._complete = complete
        self._settings = settings or MemorySettings()
        self._clock = clock or (lambda: datetime.now(UTC))

    async def update(
        self, scope: MemoryScope, memories: Sequence[Memory], exchange: Exchange | None
    ) -> RelationshipSummary:
        """Count `exchange` (None: only rebuild, after an end-user edit) and rewrite the
        summary of `scope` from `memories`."""
        config = self._settings
        previous = await self._store.get_summary(scope)
        exchanges = (previous.exchanges if previous else 0) + (exchange is not None)
        narrative = previous.narrative if previous else ""
        every = config.llm_summary_every
        if (
            self._complete is not None
            and exchange is not None
            and every
            and (exchanges % every == 0 or not narrative)
        ):
            narrative = await self._narrative(previous, memories, exchange) or narrative
        facts = facts_summary(memories, exchanges)
        sentences = [*_SENTENCE_END.split(narrative), *facts] if narrative else facts
        summary = RelationshipSummary(
            bounded(sentences, config.summary_max_chars), exchanges, self._clock(), narrative
        )
        await self._store.set_summary(scope, summary)
        return summary

    async def _narrative(
        self,
        previous: RelationshipSummary | None,
        memories: Sequence[Memory],
        exchange: Exchange,
    ) -> str | None:
        assert self._complete is not None
        limit = self._settings.summary_max_chars // 2
        prompt = NARRATIVE_PROMPT.format(
            max_chars=limit,
            previous=(previous.narrative if previous and previous.narrative else "(none yet)"),
            facts="\n".join(f"- {render_line(m)}" for m in memories[-20:]) or "(nothing yet)",
            message=exchange.user_message,
            reply=exchange.reply,
        )
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {"summary": {"type": "string", "maxLength": limit}},
            "required": ["summary"],
            "additionalProperties": False,
        }
        try:
            output = await self._complete([{"role": "user", "content": prompt}], schema)
        except ReefError as exc:
            log.warning("relationship summary rewrite failed: %s", exc.message)
            return None
        text = output.get("summary") if isinstance(output, Mapping) else None
        if not isinstance(text, str) or not text.strip():
            return None
        return bounded(_SENTENCE_END.split(" ".join(text.split())), limit) or None
