"""LLM arbitration for facts without a subject key: is the new fact new, a refinement of a
stored memory, a retraction of one, or already known? (mem0's ADD / UPDATE / DELETE / NONE.)

Stored memories are shown under small integer labels, never their ids, so a model cannot
invent a target; any answer outside the schema's meaning falls back to the safe choice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reef.companion.memory.types import CandidateFact, CompleteFn, Memory, MemoryEvent
from reef.errors import ReefError

log = logging.getLogger(__name__)

EVENTS: tuple[MemoryEvent, ...] = ("ADD", "UPDATE", "DELETE", "NONE")

ARBITER_PROMPT = """\
You keep a companion's long-term memory about a user up to date.

Stored memories:
{memories}

New fact: {fact}

Choose one event:
- ADD: the new fact is new information.
- UPDATE: the new fact changes or refines stored memory number `target`; `text` is the \
updated memory, one short sentence starting with "The user".
- DELETE: the new fact says stored memory number `target` is no longer true.
- NONE: the stored memories already say this.
Answer as JSON."""


@dataclass(frozen=True)
class Decision:
    event: MemoryEvent
    target: Memory | None = None
    text: str | None = None


def arbiter_schema(choices: int, max_chars: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "event": {"type": "string", "enum": list(EVENTS)},
            "target": {"type": "integer", "minimum": 0, "maximum": max(0, choices - 1)},
            "text": {"type": "string", "maxLength": max_chars},
        },
        "required": ["event", "target", "text"],
        "additionalProperties": False,
    }


async def arbitrate(
    complete: CompleteFn,
    fact: CandidateFact,
    related: Sequence[Memory],
    *,
    max_chars: int,
) -> Decision:
    """Ask the model; fall back to ADD (or NONE for a retraction) when it fails or answers
    something unusable."""
    fallback = Decision("NONE" if fact.negated else "ADD")
    listing = "\n".join(f"{index}: {memory.text}" for index, memory in enumerate(related))
    messages = [
        {"role": "user", "content": ARBITER_PROMPT.format(memories=listing, fact=fact.text)}
    ]
    try:
        output = await complete(messages, arbiter_schema(len(related), max_chars))
    except ReefError as exc:
        log.warning("memory arbitration failed, choosing %s: %s", fallback.event, exc.message)
        return fallback
    return _decision(output, fact, related, max_chars) or fallback


def _decision(
    output: Any, fact: CandidateFact, related: Sequence[Memory], max_chars: int
) -> Decision | None:
    if not isinstance(output, Mapping) or output.get("event") not in EVENTS:
        return None
    event: MemoryEvent = output["event"]
    if event in ("ADD", "NONE"):
        return None if event == "ADD" and fact.negated else Decision(event)
    target_index = output.get("target")
    if not isinstance(target_index, int) or not 0 <= target_index < len(related):
        return None
    target = related[target_index]
    if event == "DELETE":
        return Decision("DELETE", target)
    if fact.negated:
        return None
    text = output.get("text")
    if not isinstance(text, str):
        text = fact.text
    text = " ".join(text.split())
    if not text.lower().startswith("the user") or len(text) > max_chars:
        text = fact.text
    return Decision("UPDATE", target, text)
