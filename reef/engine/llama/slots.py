"""KV-cache slots (llama.cpp sequence ids) and the prefix cache kept in them.

Every slot remembers exactly which tokens its sequence holds in the unified KV cache. A finished
request leaves its tokens behind, so a later prompt with the same beginning (system prompt, an
earlier turn and its answer) only prefills the rest. Prefixes are shared between slots with
`seq_cp`, which in a unified cache adds the sequence id to existing cells instead of copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from reef.engine.llama.prefix import common_prefix_len, distinct_cells
from reef.engine.llama.stash import PrefixStash

__all__ = [
    "Assignment",
    "KvMemory",
    "Slot",
    "SlotTable",
    "common_prefix_len",
    "distinct_cells",
]

# A parked prefix is restored only when it saves prefilling at least this many tokens.
RESTORE_MIN_GAIN = 16
# An idle conversation cut down to a shared beginning is parked whole first if it loses this
# many tokens.
PARK_MIN_TAIL = 64


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


class SlotTable:
    """Chooses the slot for each new prompt and evicts idle prefixes, least recently used first.

    With a `stash`, idle prefixes can be parked in host memory (see `stash.py`) and restored
    into a slot when a prompt starts with one of them."""

    def __init__(self, n_slots: int, memory: KvMemory, stash: PrefixStash | None = None) -> None:
        self.slots = [Slot(seq_id) for seq_id in range(n_slots)]
        self._memory = memory
        self._stash = stash
        self._clock = 0
        self.evictions = 0
        self.parked = 0
        self.restored = 0

    def idle_count(self) -> int:
        return sum(1 for slot in self.slots if not slot.busy)

    def assign(self, prompt: list[int]) -> Assignment:
        """Take an idle slot for `prompt`, keeping as much cached prefix as possible.

        The target is the idle slot whose cache loses the least (ties: longest match, then least
        recently used); if another slot, busy or idle, holds a longer prefix, that prefix is
        shared into the target, and if a parked prefix is longer still it is restored into it.
        At least the last prompt token is always left to decode, since its logits are needed."""
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
        resident = max(matches[source.seq_id], matches[target.seq_id])
        restored = self._restore_parked(prompt, target, min(resident, limit))
        if restored is not None:
            return Assignment(target, restored)
        if matches[source.seq_id] > matches[target.seq_id]:
            reused = min(matches[source.seq_id], limit)
            self._clear(target)
            if reused > 0:
                self._memory.seq_copy(source.seq_id, target.seq_id, reused)
                target.tokens = prompt[:reused]
            return Assignment(target, reused)
        reused = min(matches[target.seq_id], limit)
        if len(target.tokens) - reused >= PARK_MIN_TAIL:
            # The prompt shares only a beginning with this idle conversation: keep the whole
            # of it parked before cutting it down to that beginning.
            self._park_copy(target)
        return Assignment(target, self._trim(target, reused))

    def _restore_parked(self, prompt: list[int], target: Slot, resident: int) -> int | None:
        """Load the best parked prefix into `target` when it beats the resident match by
        enough to pay for the copy; the number of tokens reused, or None."""
        if self._stash is None:
            return None
        entry, length = self._stash.best(prompt)
        reused = min(length, len(prompt) - 1)
        if entry is None or reused < resident + RESTORE_MIN_GAIN:
            return None
        if not self._stash.restore(entry, target.seq_id):
            return None
        self.restored += 1
        target.tokens = entry.tokens
        return self._trim(target, reused)

    def _trim(self, slot: Slot, keep: int) -> int:
        """Cut `slot` down to its first `keep` tokens; returns how many it kept."""
        if not self._memory.seq_remove(slot.seq_id, keep, -1):
            self._clear(slot)
            keep = 0
        del slot.tokens[keep:]
        return keep

    def release(self, slot: Slot) -> None:
        """The slot's request ended; its tokens stay cached for reuse."""
        slot.busy = False
        slot.last_used = self._tick()

    def forget(self, slot: Slot) -> None:
        """Drop a slot's cached tokens (after a failure left them in doubt)."""
        self._clear(slot)

    def forget_all(self) -> None:
        for slot in self.slots:
            self._clear(slot)
        if self._stash is not None:
            self._stash.clear()

    def best_idle(self, prompt: list[int]) -> Slot | None:
        """The idle slot holding the longest beginning of `prompt`, if any holds one."""
        best: Slot | None = None
        best_len = 0
        for slot in self.slots:
            if not slot.busy and slot.tokens:
                length = common_prefix_len(slot.tokens, prompt)
                if length > best_len:
                    best, best_len = slot, length
        return best

    def park_idle(self, keep: Slot | None = None) -> None:
        """Move every idle cached prefix but `keep` out of the KV cache (into the stash when
        there is one), so running work no longer attends over its cells."""
        for slot in self.slots:
            if not slot.busy and slot.tokens and slot is not keep:
                self.park(slot)

    def park(self, slot: Slot) -> None:
        """Move one idle prefix out of the KV cache; one too short to be worth restoring, or
        one llama.cpp could not copy, is simply dropped."""
        if self._stash is None:
            return
        if len(slot.tokens) < RESTORE_MIN_GAIN or not self._park_copy(slot):
            self.evictions += 1
        self._clear(slot)

    def _park_copy(self, slot: Slot) -> bool:
        if self._stash is None or not slot.tokens:
            return False
        if not self._stash.park(slot.seq_id, slot.tokens, slot.last_used):
            return False
        self.parked += 1
        return True

    def used_cells(self) -> int:
        return distinct_cells([slot.tokens for slot in self.slots])

    def resident_idle_tokens(self) -> int:
        """Cells only idle slots hold."""
        busy = distinct_cells([slot.tokens for slot in self.slots if slot.busy])
        return self.used_cells() - busy

    def parked_tokens(self) -> int:
        return self._stash.tokens if self._stash is not None else 0

    def parked_bytes(self) -> int:
        return self._stash.nbytes if self._stash is not None else 0

    def idle_cached_tokens(self) -> int:
        """What the prefix cache costs beyond running requests: idle cells plus parked tokens."""
        return self.resident_idle_tokens() + self.parked_tokens()

    def evict_lru(self) -> bool:
        """Drop the least recently used idle prefix in the KV cache; False when there is none."""
        cached = [slot for slot in self.slots if not slot.busy and slot.tokens]
        if not cached:
            return False
        self._clear(min(cached, key=lambda s: s.last_used))
        self.evictions += 1
        return True

    def enforce_budget(self, max_idle_tokens: int) -> None:
        """Evict idle prefixes, resident or parked, least recently used first, until the prefix
        cache holds at most `max_idle_tokens`."""
        while self.idle_cached_tokens() > max_idle_tokens:
            cached = [slot for slot in self.slots if not slot.busy and slot.tokens]
            oldest_slot = min(cached, key=lambda s: s.last_used, default=None)
            parked = self._stash.oldest() if self._stash is not None else None
            if parked is not None and (
                oldest_slot is None or parked.last_used < oldest_slot.last_used
            ):
                assert self._stash is not None
                self._stash.drop(parked)
                self.evictions += 1
            elif not self.evict_lru():
                return

    def _clear(self, slot: Slot) -> None:
        self._memory.seq_remove(slot.seq_id, -1, -1)
        slot.tokens = []

    def _tick(self) -> int:
        self._clock += 1
        return self._clock
