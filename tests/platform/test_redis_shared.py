"""Two service instances on one Redis (two `reef serve` replicas) share limits and spend."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from reef.errors import BudgetExceeded, RateLimited
from reef.platform.service import PlatformServices
from reef.platform.types import UsageRecord
from reef.store.db import Database

pytestmark = pytest.mark.redis

MODEL = "reef-small"


@pytest.fixture
async def replicas(
    sqlite_db: Database, make_services: Callable[..., Any], redis_url: str, redis_prefix: str
) -> tuple[PlatformServices, PlatformServices]:
    shared = {"redis_url": redis_url, "redis_prefix": redis_prefix}
    return await make_services(sqlite_db, **shared), await make_services(sqlite_db, **shared)


def _usage(org_id: int, key_id: int, tokens: int, cost: int) -> UsageRecord:
    return UsageRecord(
        request_id=uuid.uuid4().hex,
        org_id=org_id,
        key_id=key_id,
        endpoint="/v1/chat/completions",
        model=MODEL,
        status=200,
        prompt_tokens=tokens,
        cost_nano_usd=cost,
    )


async def test_rpm_is_exact_across_replicas(
    replicas: tuple[PlatformServices, PlatformServices],
) -> None:
    a, b = replicas
    await a.create_org("acme")
    raw, _ = await a.create_key("acme", rpm=10)
    on_a, on_b = await a.authenticate(f"Bearer {raw}"), await b.authenticate(f"Bearer {raw}")

    results = await asyncio.gather(
        *(replica.admit(p, MODEL) for _ in range(15) for replica, p in ((a, on_a), (b, on_b))),
        return_exceptions=True,
    )

    assert sum(r is None for r in results) == 10
    assert sum(isinstance(r, RateLimited) for r in results) == 20


async def test_tokens_recorded_on_one_replica_limit_the_other(
    replicas: tuple[PlatformServices, PlatformServices],
) -> None:
    a, b = replicas
    await a.create_org("acme")
    raw, _ = await a.create_key("acme", tpm=50)
    principal = await b.authenticate(f"Bearer {raw}")
    await b.admit(principal, MODEL)

    await a.record(_usage(principal.org_id, principal.key_id, tokens=50, cost=0))

    with pytest.raises(RateLimited, match="TPM"):
        await b.admit(principal, MODEL)


async def test_spend_recorded_on_one_replica_counts_on_the_other(
    replicas: tuple[PlatformServices, PlatformServices],
) -> None:
    a, b = replicas
    await a.create_org("acme", monthly_budget_usd=1.0)
    raw, _ = await a.create_key("acme")
    principal = await a.authenticate(f"Bearer {raw}")
    await a.admit(principal, MODEL)
    await b.admit(principal, MODEL)

    await a.record(_usage(principal.org_id, principal.key_id, tokens=10, cost=1_000_000_000))

    with pytest.raises(BudgetExceeded):
        await b.admit(principal, MODEL)
    assert await b.month_spend_usd(principal.org_id) == pytest.approx(1.0)
