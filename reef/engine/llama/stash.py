"""Idle prefix-cached sequences parked in host memory instead of the KV cache.

llama.cpp attends over every KV cell up to the highest one in use, whichever sequence owns it,
so idle cached tokens left in the cache slow every later step: a cold 1,500-token prompt took
twice as long with 10,000 idle tokens resident. Parking copies an idle sequence out with
`llama_state_seq_get_data` (a memcpy, ~15 us per token for the bundled model) and frees its
cells; a later prompt that starts the same way copies it back with `llama_state_seq_set_data`
(~4 us per token) instead of prefilling it again (~3 ms per token), so the prefix cache keeps its
hits while the KV cache holds only what is running.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from reef.engine.llama.prefix import common_prefix_len

# One sequence's KV cells as llama.cpp serialised them.
SequenceState = ctypes.Array[ctypes.c_uint8]


class SequenceStore(Protocol):
    """Copies one sequence's KV cells out of and back into the context."""

    def seq_save(self, seq_id: int) -> SequenceState | None: ...

    def seq_load(self, state: SequenceState, seq_id: int) -> bool: ...


@dataclass(eq=False)
class ParkedPrefix:
    tokens: list[int]
    state: SequenceState = field(repr=False)
    last_used: int

    @property
    def nbytes(self) -> int:
        return len(self.state)


class PrefixStash:
    """Parked prefixes, found by longest common prefix and evicted least recently used first."""

    def __init__(self, store: SequenceStore) -> None:
        self._store = store
        self.entries: list[ParkedPrefix] = []

    @property
    def tokens(self) -> int:
        return sum(len(entry.tokens) for entry in self.entries)

    @property
    def nbytes(self) -> int:
        return sum(entry.nbytes for entry in self.entries)

    def park(self, seq_id: int, tokens: Sequence[int], last_used: int) -> bool:
        """Copy `seq_id` out (the caller then frees its cells); False if llama.cpp could not."""
        if not tokens:
            return False
        state = self._store.seq_save(seq_id)
        if state is None:
            return False
        self.entries.append(ParkedPrefix(list(tokens), state, last_used))
        return True

    def best(self, prompt: Sequence[int]) -> tuple[ParkedPrefix | None, int]:
        """The parked prefix sharing the longest beginning with `prompt`, and that length."""
        best: ParkedPrefix | None = None
        best_len = 0
        for entry in self.entries:
            length = common_prefix_len(entry.tokens, prompt)
            if length > best_len:
                best, best_len = entry, length
        return best, best_len

    def restore(self, entry: ParkedPrefix, seq_id: int) -> bool:
        """Load `entry` into `seq_id` (replacing what it held) and forget it here."""
        if not self._store.seq_load(entry.state, seq_id):
            return False
        self.entries.remove(entry)
        return True

    def oldest(self) -> ParkedPrefix | None:
        return min(self.entries, key=lambda e: e.last_used, default=None)

    def drop(self, entry: ParkedPrefix) -> None:
        self.entries.remove(entry)

    def clear(self) -> None:
        self.entries.clear()
