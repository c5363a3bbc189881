"""The Redis limiter: every check-and-count is one Lua script, so replicas share exact limits.

Keys (all under the configured prefix): `rpm:{key_id}` a sorted set of request timestamps,
`tpm:{key_id}` a hash of second -> tokens, `spend:{org_id}:{YYYY-MM}` nano-USD spent.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from reef.platform.clock import Clock
from reef.platform.limits import WINDOW_S, LimitDenial, bounded_wait

SPEND_TTL_S = 40 * 86400
"""A month's spend counter outlives its month; afterwards the ledger is the record."""

_TAKE_REQUEST = """
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local window = tonumber(ARGV[5])
if tpm >= 0 then
  local fields = redis.call('HGETALL', KEYS[2])
  local oldest = math.floor(now) - window + 1
  local buckets = {}
  local used = 0
  for i = 1, #fields, 2 do
    local second = tonumber(fields[i])
    local tokens = tonumber(fields[i + 1])
    if second < oldest then
      redis.call('HDEL', KEYS[2], fields[i])
    else
      used = used + tokens
      table.insert(buckets, {second, tokens})
    end
  end
  if used >= tpm then
    table.sort(buckets, function(a, b) return a[1] < b[1] end)
    local remaining = used
    local retry = window
    for _, bucket in ipairs(buckets) do
      remaining = remaining - bucket[2]
      if remaining < tpm then
        retry = bucket[1] + window - now
        break
      end
    end
    return {'tokens', tostring(used), tostring(retry)}
  end
end
if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[1])
  if count >= rpm then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'requests', tostring(count), tostring(tonumber(first[2]) + window - now)}
  end
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], window + 1)
end
return {'ok'}
"""

_ADD_USAGE = """
local tokens = tonumber(ARGV[2])
if tokens > 0 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], tokens)
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('INCRBY', KEYS[2], ARGV[3])
end
return 1
"""


class RedisLimiter:
    """Limits and spend shared through Redis by every replica using the same prefix."""

    def __init__(self, url: str, prefix: str, clock: Clock) -> None:
        self._redis: Redis = Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._clock = clock
        self._take_request = self._redis.register_script(_TAKE_REQUEST)
        self._add_usage = self._redis.register_script(_ADD_USAGE)

    def _key(self, *parts: object) -> str:
        return self._prefix + ":".join(str(p) for p in parts)

    async def take_request(
        self, key_id: int, rpm: int | None, tpm: int | None
    ) -> LimitDenial | None:
        if rpm is None and tpm is None:
            return None
        now = self._clock()
        result = await self._take_request(
            keys=[self._key("rpm", key_id), self._key("tpm", key_id)],
            args=[
                repr(now),
                -1 if rpm is None else rpm,
                -1 if tpm is None else tpm,
                uuid.uuid4().hex,
                WINDOW_S,
            ],
        )
        if result[0] == "ok":
            return None
        used, retry_after = int(result[1]), bounded_wait(float(result[2]))
        if result[0] == "tokens":
            assert tpm is not None
            return LimitDenial("tokens", tpm, used, retry_after)
        assert rpm is not None
        return LimitDenial("requests", rpm, used, retry_after)

    async def add_usage(
        self, key_id: int | None, org_id: int, tokens: int, cost_nano_usd: int, month: str
    ) -> None:
        second = int(self._clock())
        await self._add_usage(
            keys=[
                self._key("tpm", key_id if key_id is not None else "none"),
                self._key("spend", org_id, month),
            ],
            args=[second, tokens if key_id is not None else 0, cost_nano_usd, WINDOW_S + 1],
        )

    async def month_spend(self, org_id: int, month: str) -> int | None:
        value = await self._redis.get(self._key("spend", org_id, month))
        return None if value is None else int(value)

    async def seed_month_spend(self, org_id: int, month: str, nano_usd: int) -> int:
        key = self._key("spend", org_id, month)
        await self._redis.set(key, nano_usd, nx=True, ex=SPEND_TTL_S)
        value = await self._redis.get(key)
        return nano_usd if value is None else int(value)

    async def close(self) -> None:
        await self._redis.aclose()
