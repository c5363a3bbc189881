"""Prefix arithmetic on token lists, shared by the KV slots and the parked-prefix stash."""

from __future__ import annotations

import itertools
from collections.abc import Sequence


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
