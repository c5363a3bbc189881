"""Per-key rate windows and per-organisation monthly spend counters.

Two backends share one contract: `MemoryLimiter` (one process) and `RedisLimiter` (replicas
share it). Both use a 60-second sliding window: requests are kept as exact timestamps (at
most `rpm` of them per key), tokens in one-second buckets.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal, Protocol

from reef.platform.clock import Clock

WINDOW_S = 60
"""Length of the per-minute window, by definition of RPM and TPM."""
MIN_WAIT_S = 0.001


@dataclass(frozen=True)
class LimitDenial:
    """Why a request was refused and when the window will have room again."""

    unit: Literal["requests", "tokens"]
    limit: int
    used: int
    retry_after_s: float


class Limiter(Protocol):
    async def take_request(
        self, key_id: int, rpm: int | None, tpm: int | None
    ) -> LimitDenial | None:
        """Atomically check both windows and, when admitted, count one request."""
        ...

    async def add_usage(
        self, key_id: int | None, org_id: int, tokens: int, cost_nano_usd: int, month: str
    ) -> None:
        """Count used tokens in the key's window and add cost to an already-known month."""
        ...

    async def month_spend(self, org_id: int, month: str) -> int | None:
        """Nano-USD spent in `month` (YYYY-MM), or None when the counter isn't known yet."""
        ...

    async def seed_month_spend(self, org_id: int, month: str, nano_usd: int) -> int:
        """Set the counter if it is still unknown; returns the counter's value."""
        ...

    async def close(self) -> None: ...


def tokens_denial(buckets: list[tuple[int, int]], tpm: int, now: float) -> LimitDenial | None:
    """Refuse while the window's tokens reach `tpm`; room returns when old buckets expire.

    `buckets` are (second, tokens) pairs still inside the window, in any order.
    """
    used = sum(tokens for _, tokens in buckets)
    if used < tpm:
        return None
    remaining = used
    retry_after = float(WINDOW_S)
    for second, tokens in sorted(buckets):
        remaining -= tokens
        if remaining < tpm:
            retry_after = second + WINDOW_S - now
            break
    return LimitDenial("tokens", tpm, used, bounded_wait(retry_after))


def bounded_wait(seconds: float) -> float:
    """A positive wait of at most one window; concurrent callers' clocks differ slightly."""
    return min(max(seconds, MIN_WAIT_S), float(WINDOW_S))


def window_start_second(now: float) -> int:
    """The oldest one-second bucket still inside the window at `now`."""
    return math.floor(now) - WINDOW_S + 1


class MemoryLimiter:
    """In-process counters; a lock makes each check-and-count atomic for threads and tasks."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: dict[int, deque[float]] = {}
        self._tokens: dict[int, dict[int, int]] = {}
        self._spend: dict[tuple[int, str], int] = {}

    def _live_buckets(self, key_id: int, now: float) -> dict[int, int]:
        buckets = self._tokens.setdefault(key_id, {})
        oldest = window_start_second(now)
        for second in [s for s in buckets if s < oldest]:
            del buckets[second]
        return buckets

    async def take_request(
        self, key_id: int, rpm: int | None, tpm: int | None
    ) -> LimitDenial | None:
        now = self._clock()
        with self._lock:
            if tpm is not None:
                denial = tokens_denial(list(self._live_buckets(key_id, now).items()), tpm, now)
                if denial is not None:
                    return denial
            if rpm is not None:
                stamps = self._requests.setdefault(key_id, deque())
                while stamps and stamps[0] <= now - WINDOW_S:
                    stamps.popleft()
                if len(stamps) >= rpm:
                    retry_after = bounded_wait(stamps[0] + WINDOW_S - now)
                    return LimitDenial("requests", rpm, len(stamps), retry_after)
                stamps.append(now)
        return None

    async def add_usage(
        self, key_id: int | None, org_id: int, tokens: int, cost_nano_usd: int, month: str
    ) -> None:
        now = self._clock()
        with self._lock:
            if key_id is not None and tokens > 0:
                buckets = self._live_buckets(key_id, now)
                second = math.floor(now)
                buckets[second] = buckets.get(second, 0) + tokens
            if (org_id, month) in self._spend:
                self._spend[(org_id, month)] += cost_nano_usd

    async def month_spend(self, org_id: int, month: str) -> int | None:
        with self._lock:
            return self._spend.get((org_id, month))

    async def seed_month_spend(self, org_id: int, month: str, nano_usd: int) -> int:
        with self._lock:
            return self._spend.setdefault((org_id, month), nano_usd)

    async def close(self) -> None:
        return None
