"""A reusable `llama_batch`: filled with raw memory copies so a step costs little Python."""

from __future__ import annotations

import ctypes
from array import array
from collections.abc import Sequence
from typing import Any

import llama_cpp

_INT32 = ctypes.sizeof(ctypes.c_int32)


class DecodeBatch:
    """One `llama_batch` allocated once and refilled every step (one sequence id per token)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.raw = llama_cpp.llama_batch_init(capacity, 0, 1)
        self._token_addr = _address(self.raw.token)
        self._pos_addr = _address(self.raw.pos)
        self._logits_addr = _address(self.raw.logits)
        self._seq_ids = [self.raw.seq_id[i] for i in range(capacity)]
        for i in range(capacity):
            self.raw.n_seq_id[i] = 1
        self.size = 0

    @property
    def free(self) -> int:
        return self.capacity - self.size

    def clear(self) -> None:
        self.size = 0

    def add(self, seq_id: int, tokens: Sequence[int], first_pos: int, want_logits: bool) -> int:
        """Append `tokens` for `seq_id` at consecutive positions; returns the batch index of the
        last one (whose logits are kept when `want_logits`)."""
        n = len(tokens)
        start = self.size
        if n == 0 or start + n > self.capacity:
            raise ValueError(f"batch overflow: {start} + {n} > {self.capacity}")
        token_bytes = array("i", tokens).tobytes()
        pos_bytes = array("i", range(first_pos, first_pos + n)).tobytes()
        ctypes.memmove(self._token_addr + start * _INT32, token_bytes, n * _INT32)
        ctypes.memmove(self._pos_addr + start * _INT32, pos_bytes, n * _INT32)
        ctypes.memset(self._logits_addr + start, 0, n)
        seq_ids = self._seq_ids
        for i in range(start, start + n):
            seq_ids[i][0] = seq_id
        last = start + n - 1
        if want_logits:
            self.raw.logits[last] = 1
        self.size = start + n
        return last

    def keep_logits(self, first: int, last: int) -> None:
        """Keep the logits of batch positions first..last (drafted tokens are all checked)."""
        ctypes.memset(self._logits_addr + first, 1, last - first + 1)

    def decode(self, ctx: Any) -> int:
        self.raw.n_tokens = self.size
        return int(llama_cpp.llama_decode(ctx, self.raw))

    def close(self) -> None:
        if self.raw is not None:
            self.raw.n_tokens = 0
            llama_cpp.llama_batch_free(self.raw)
            self.raw = None


def _address(pointer: Any) -> int:
    value = ctypes.cast(pointer, ctypes.c_void_p).value
    if value is None:
        raise RuntimeError("llama_batch_init returned a null buffer")
    return value
