"""KV-cache slots (llama.cpp sequence ids) and the prefix cache kept in them.

Every slot remembers exactly which tokens its sequence holds in the unified KV cache. A finished
request leaves its tokens behind, so a later prompt with the same beginning (system prompt, an
earlier turn and its answer) only prefills the rest. Prefixes are shared between slots with
`seq_cp`, which in a unified cache adds the sequence id to existing cells instead of copying.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class KvMemory(Protocol):
    def seq_remove(self, seq_id: int, start: int = -1, end: int = -1) -> bool: ...

    def seq_copy(self, src: int, dst: int, end: int) -> None: ...


@dataclass(eq=False)
class Slot:
    seq_id: int
    tokens: list[int] = field(default_factory=list)
    busy: bool = False
    last_used: int = 0


@dataclass(frozen=True)
class Assignment:
    slot: Slot
    reused: int


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the shared beginning; slice comparisons keep the work in C."""
    limit = min(len(a), len(b))
    if limit == 0 or a[0] != b[0]:
        return 0
    if a[:limit] == b[:limit]:
        return limit
    low, high = 1, limit - 1  # a[:low] matches, a[:high + 1] does not
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def distinct_cells(token_lists: list[list[int]]) -> int:
    """KV cells used by sequences that share their common prefixes (the size of their trie)."""
    ordered = sorted(t for t in token_lists if t)
    total = sum(len(t) for t in ordered)
    for previous, current in itertools.pairwise(ordered):
        total -= common_prefix_len(previous, current)
    return total


class SlotTable:
    """Chooses the slot for each new prompt and evicts idle prefixes, least recently used first."""

    def __init__(self, n_slots: int, memory: KvMemory) -> None:
        self.slots = [Slot(seq_id) for seq_id in range(n_slots)]
        self._memory = memory
        self._clock = 0
        self.evictions = 0

    def idle_count(self) -> int:
        return sum(1 for slot in self.slots if not slot.busy)

    def assign(self, prompt: list[int]) -> Assignment:
        """Take an idle slot for `prompt`, keeping as much cached prefix as possible.

        The target is the idle slot whose cache loses the least (ties: longest match, then least
        recently used); if another slot, busy or idle, holds a longer prefix, that prefix is
        shared into the target. At least the last prompt token is always left to decode, since
        its logits are needed."""
        idle = [slot for slot in self.slots if not slot.busy]
        if not idle:
            raise RuntimeError("no idle slot")
        limit = len(prompt) - 1
        matches = {slot.seq_id: common_prefix_len(slot.tokens, prompt) for slot in self.slots}
        target = min(
            idle,
            key=lambda s: (len(s.tokens) - matches[s.seq_id], -matches[s.seq_id], s.last_used),
        )
        source = max(self.slots, key=lambda s: matches[s.seq_id])
        target.busy = True
        target.last_used = self._tick()
        if matches[source.seq_id] > matches[target.seq_id]:
            reused = min(matches[source.seq_id], limit)
            self._clear(target)
            if reused > 0:
                self._memory.seq_copy(source.seq_id, target.seq_id, reused)
                target.tokens = prompt[:reused]
            return Assignment(target, reused)
        reused = min(matches[target.seq_id], limit)
        if not self._memory.seq_remove(target.seq_id, reused, -1):
            self._clear(target)
            reused = 0
        del target.tokens[reused:]
        return Assignment(target, reused)

    def release(self, slot: Slot) -> None:
        """The slot's request ended; its tokens stay cached for reuse."""
        slot.busy = False
        slot.last_used = self._tick()

    def forget(self, slot: Slot) -> None:
        """Drop a slot's cached tokens (after a failure left them in doubt)."""
        self._clear(slot)

    def used_cells(self) -> int:
        return distinct_cells([slot.tokens for slot in self.slots])

    def idle_cached_tokens(self) -> int:
        """Cells only idle slots hold: what the prefix cache costs beyond running requests."""
        busy = distinct_cells([slot.tokens for slot in self.slots if slot.busy])
        return self.used_cells() - busy

    def evict_lru(self) -> bool:
        """Drop the least recently used idle prefix; False when there is none."""
        cached = [slot for slot in self.slots if not slot.busy and slot.tokens]
        if not cached:
            return False
        self._clear(min(cached, key=lambda s: s.last_used))
        self.evictions += 1
        return True

    def enforce_budget(self, max_idle_tokens: int) -> None:
        while self.idle_cached_tokens() > max_idle_tokens and self.evict_lru():
            pass

    def _clear(self, slot: Slot) -> None:
        self._memory.seq_remove(slot.seq_id, -1, -1)
        slot.tokens = []

    def _tick(self) -> int:
        self._clock += 1
        return self._clock
