"""Helpers shared by the companion memory tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reef.companion.memory import MemoryScope, MemoryStore, Reconciler, RuleExtractor
from reef.companion.memory.types import EmbedFn, MemoryOperation


class ManualClock:
    """A clock tests move by hand, so history timestamps are predictable."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def words(text: str) -> int:
    """Whitespace token counter: easy to reason about budgets."""
    return len(text.split())


class ScriptedCompletion:
    """Stands in for a model's JSON answers so the validation paths (malformed, ungrounded
    or out-of-range output) can be exercised; records every prompt and schema it is given."""

    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[list[dict[str, str]], dict[str, Any]]] = []

    async def __call__(
        self, messages: list[dict[str, str]], schema: dict[str, Any]
    ) -> dict[str, Any]:
        self.calls.append((messages, schema))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def remember(
    store: MemoryStore, embed: EmbedFn, scope: MemoryScope, *messages: str
) -> list[MemoryOperation]:
    """Store what the rule extractor finds in `messages`, as a chat would."""
    reconciler = Reconciler(store, embed)
    rules = RuleExtractor()
    operations: list[MemoryOperation] = []
    for message in messages:
        operations += await reconciler.apply(scope, rules.extract_text(message))
    return operations
