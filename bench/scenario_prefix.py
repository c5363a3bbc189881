"""Scenario 2: time-to-first-token with a long shared system prompt, cold then warm.

Each trial starts the system prompt with a fresh session tag, so nothing earlier can be reused
(cold); the warm request repeats that system prompt with a different user message, which a
prefix cache answers without re-reading the ~1,500 shared tokens.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable
from typing import Any

from loadgen import Endpoint, chat_body, make_client, stream_chat
from procs import ServerFailed, log

DEPARTMENTS = ("billing", "shipping", "returns", "warranty", "accounts", "privacy", "repairs")
ACTIONS = (
    "confirm the order number before discussing details",
    "offer a replacement when the item arrived damaged",
    "escalate to a supervisor when the customer asks twice",
    "never promise a delivery date that the tracking page does not show",
    "apologise once, briefly, and then move to the solution",
    "quote the exact price including tax and shipping",
    "explain the thirty-day return window in plain words",
    "ask for a photo when the complaint concerns visible damage",
)
FIRST_QUESTIONS = (
    "My parcel is late, what can I do?",
    "How do I return a broken kettle?",
    "Can I change my billing address?",
)
SECOND_QUESTIONS = (
    "Do you ship to Norway?",
    "Is my warranty still valid after a year?",
    "How long does a refund take?",
)


def _rule(index: int) -> str:
    department = DEPARTMENTS[index % len(DEPARTMENTS)]
    action = ACTIONS[(index * 3) % len(ACTIONS)]
    return (
        f"Rule {index + 1} ({department}): agents must {action}. "
        f"Case reference format for this rule is {department[:3].upper()}-{1000 + index * 7}."
    )


def build_system_prompt(count_tokens: Callable[[str], int], target_tokens: int) -> str:
    """A customer-support handbook grown rule by rule until it reaches `target_tokens`."""
    header = "You are Reef Support, a careful assistant. Follow every rule of the handbook.\n"
    rules: list[str] = []
    text = header
    while count_tokens(text) < target_tokens:
        rules.append(_rule(len(rules)))
        text = header + "\n".join(rules)
    return text


async def prefix_cache_trials(
    endpoint: Endpoint, system_prompt: str, trials: int, max_tokens: int
) -> dict[str, Any]:
    """Cold/warm TTFT pairs; medians over trials plus every raw measurement."""
    pairs = []
    async with make_client(1) as client:
        for trial in range(trials):
            system = f"[session {uuid.uuid4().hex}]\n{system_prompt}"
            pair: dict[str, Any] = {}
            for phase, questions in (("cold", FIRST_QUESTIONS), ("warm", SECOND_QUESTIONS)):
                messages = [
                    {"role": "system", "content": system},
                    {"role": "user", "content": questions[trial % len(questions)]},
                ]
                body = chat_body(endpoint, messages, max_tokens=max_tokens, temperature=0)
                result = await stream_chat(client, endpoint, body)
                if not result.ok or result.first_token_s is None:
                    raise ServerFailed(f"{endpoint.name} {phase} request failed: {result.error}")
                pair[f"{phase}_ttft_ms"] = result.first_token_s * 1000
                pair[f"{phase}_prompt_tokens"] = (result.usage or {}).get("prompt_tokens")
                pair[f"{phase}_cached_tokens"] = result.cached_tokens
            log(
                f"{endpoint.name}: trial {trial + 1}: cold {pair['cold_ttft_ms']:.0f} ms, "
                f"warm {pair['warm_ttft_ms']:.0f} ms, cached {pair['warm_cached_tokens']}"
            )
            pairs.append(pair)
    cold = statistics.median(p["cold_ttft_ms"] for p in pairs)
    warm = statistics.median(p["warm_ttft_ms"] for p in pairs)
    return {
        "trials": pairs,
        "cold_ttft_ms": cold,
        "warm_ttft_ms": warm,
        "warm_over_cold": warm / cold if cold else None,
        "prompt_tokens": pairs[-1]["cold_prompt_tokens"],
        "warm_cached_tokens": pairs[-1]["warm_cached_tokens"],
    }
