"""One object for a chat turn's memory work: observe an exchange, recall for the next prompt,
and the end-user controls, with the shared-profile routing in one place.

With `share_profile` on, facts about the user (`user.*` keys) live in the user's profile scope
and every character recalls them; facts about the relationship and unkeyed facts stay with the
(character, user) pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reef.companion.memory import controls
from reef.companion.memory.extract import CombinedExtractor, FactExtractor, LLMExtractor
from reef.companion.memory.reconcile import Reconciler
from reef.companion.memory.retrieve import Recall, Retriever, ScoredMemory
from reef.companion.memory.rules import RuleExtractor
from reef.companion.memory.store import MemoryStore
from reef.companion.memory.summary import RelationshipSummarizer
from reef.companion.memory.types import (
    CandidateFact,
    Clock,
    CompleteFn,
    CountTokensFn,
    EmbedFn,
    Exchange,
    Memory,
    MemoryOperation,
    MemoryScope,
    RelationshipSummary,
)
from reef.settings import MemorySettings


def default_extractor(
    complete: CompleteFn | None,
    *,
    use_llm: bool,
    settings: MemorySettings | None = None,
    clock: Clock | None = None,
) -> FactExtractor:
    """Rules alone (right for tiny models), or rules plus the LLM when it can be trusted."""
    config = settings or MemorySettings()
    rules = RuleExtractor(clock=clock, max_facts=config.max_facts_per_exchange)
    if not use_llm or complete is None:
        return rules
    return CombinedExtractor(rules, LLMExtractor(complete, config), config)


@dataclass(frozen=True)
class MemoryContext:
    """What memory puts in one prompt: `lines` (the summary first, when it fit, then the
    recalled memories), and the evidence behind them for inspecting the turn."""

    lines: list[str]
    summary: str | None
    recalled: list[ScoredMemory]


@dataclass(frozen=True)
class Observation:
    """What one exchange changed."""

    facts: list[CandidateFact]
    operations: list[MemoryOperation]
    summary: RelationshipSummary


class CompanionMemory:
    def __init__(
        self,
        store: MemoryStore,
        embed: EmbedFn,
        count_tokens: CountTokensFn,
        *,
        extractor: FactExtractor | None = None,
        complete: CompleteFn | None = None,
        settings: MemorySettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`complete` (optional) arbitrates unkeyed facts and rewrites the summary narrative;
        the extractor decides separately whether the LLM extracts facts."""
        self._settings = config = settings or MemorySettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._store = store
        self._embed = embed
        self.extractor = extractor or RuleExtractor(
            clock=self._clock, max_facts=config.max_facts_per_exchange
        )
        self.reconciler = Reconciler(
            store, embed, complete=complete, settings=config, clock=self._clock
        )
        self.retriever = Retriever(store, embed, count_tokens, config)
        self.summarizer = RelationshipSummarizer(
            store, complete=complete, settings=config, clock=self._clock
        )
        self._count_tokens = count_tokens

    def scopes(self, scope: MemoryScope) -> list[MemoryScope]:
        """The scopes a pair reads: itself, and the user's profile when it is shared."""
        if self._settings.share_profile and not scope.is_profile:
            return [scope, scope.profile()]
        return [scope]

    async def observe(self, scope: MemoryScope, exchange: Exchange) -> Observation:
        """Extract facts from the exchange, reconcile them and refresh the summary."""
        facts = await self.extractor.extract(exchange)
        shared = self._settings.share_profile and not scope.is_profile

        def to_profile(fact: CandidateFact) -> bool:
            return shared and (fact.subject or "").startswith("user.")

        operations = await self.reconciler.apply(scope, [f for f in facts if not to_profile(f)])
        if shared:
            operations += await self.reconciler.apply(
                scope.profile(), [f for f in facts if to_profile(f)]
            )
        summary = await self.summarizer.update(scope, await self._visible(scope), exchange)
        return Observation(facts, operations, summary)

    async def recall(
        self, scope: MemoryScope, query: str, *, token_budget: int | None = None
    ) -> Recall:
        return await self.retriever.recall(self.scopes(scope), query, token_budget=token_budget)

    async def context_lines(
        self, scope: MemoryScope, query: str, *, token_budget: int | None = None
    ) -> list[str]:
        """The prompt's memory section: the relationship summary, then recalled memories, all
        within the token budget."""
        return (await self.context(scope, query, token_budget=token_budget)).lines

    async def context(
        self, scope: MemoryScope, query: str, *, token_budget: int | None = None
    ) -> MemoryContext:
        """`context_lines` with what they came from."""
        budget = self._settings.token_budget if token_budget is None else token_budget
        summary = await self._store.get_summary(scope)
        shown: str | None = None
        if summary and summary.text:
            cost = self._count_tokens(summary.text)
            if cost <= budget:
                shown = summary.text
                budget -= cost
        recalled = await self.recall(scope, query, token_budget=budget)
        lines = [shown] if shown else []
        return MemoryContext(lines + recalled.lines, shown, recalled.memories)

    async def summary(self, scope: MemoryScope) -> RelationshipSummary | None:
        return await self._store.get_summary(scope)

    async def list_memories(self, scope: MemoryScope) -> list[Memory]:
        return await controls.list_memories(self._store, scope)

    async def correct(
        self, scope: MemoryScope, memory_id: str, text: str, *, value: str | None = None
    ) -> MemoryOperation:
        operation = await controls.correct_memory(
            self._store,
            self._embed,
            scope,
            memory_id,
            text,
            value=value,
            settings=self._settings,
            clock=self._clock,
        )
        await self._refresh_summary(scope)
        return operation

    async def delete(self, scope: MemoryScope, memory_id: str) -> MemoryOperation:
        operation = await controls.delete_memory(self._store, scope, memory_id)
        await self._refresh_summary(scope)
        return operation

    async def forget(self, scope: MemoryScope) -> int:
        return await controls.forget_everything(self._store, scope)

    async def _visible(self, scope: MemoryScope) -> list[Memory]:
        found: list[Memory] = []
        for each in self.scopes(scope):
            found.extend(await self._store.list(each))
        return found

    async def _refresh_summary(self, scope: MemoryScope) -> None:
        """A deleted or corrected fact must leave the summary too."""
        if not scope.is_profile and await self._store.get_summary(scope) is not None:
            await self.summarizer.update(scope, await self._visible(scope), None)
