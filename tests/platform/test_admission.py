"""Admission: model allow-list, exact RPM/TPM sliding windows, monthly budgets.

Limits run on both backends: in-process counters and Redis.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reef.errors import BudgetExceeded, PermissionDenied, RateLimited
from reef.platform.service import PlatformServices
from reef.platform.types import Principal, UsageRecord
from reef.store.db import Database
from tests.support.clock import ManualClock

MODEL = "reef-small"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "memory":
        return {}
    return {
        "redis_url": request.getfixturevalue("redis_url"),
        "redis_prefix": request.getfixturevalue("redis_prefix"),
    }


async def _raw_key(services: PlatformServices, org: str = "acme", **key: Any) -> str:
    budget = key.pop("budget", None)
    info, _ = await services.get_or_create_org(org)
    if budget is not None:
        await services.set_budget(org, budget)
    raw, _ = await services.create_key(info.id, **key)
    return raw


async def _principal(services: PlatformServices, org: str = "acme", **key: Any) -> Principal:
    return await services.authenticate(f"Bearer {await _raw_key(services, org, **key)}")


def _usage(principal: Principal, tokens: int = 0, cost: int = 0, **extra: Any) -> UsageRecord:
    return UsageRecord(
        request_id=uuid.uuid4().hex,
        org_id=principal.org_id,
        key_id=principal.key_id,
        endpoint="/v1/chat/completions",
        model=MODEL,
        status=200,
        prompt_tokens=tokens // 2,
        completion_tokens=tokens - tokens // 2,
        cost_nano_usd=cost,
        **extra,
    )


async def test_model_outside_the_allow_list_is_forbidden(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(sqlite_db)
    principal = await _principal(services, allowed_models=[MODEL])

    await services.admit(principal, MODEL)
    with pytest.raises(PermissionDenied, match="other-model") as caught:
        await services.admit(principal, "other-model")
    assert caught.value.status == 403 and caught.value.param == "model"


async def test_refused_requests_do_not_use_rate_limit_slots(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(sqlite_db)
    principal = await _principal(services, rpm=1, allowed_models=[MODEL])
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            await services.admit(principal, "other-model")
    await services.admit(principal, MODEL)


async def test_rpm_is_exact_under_concurrency(
    sqlite_db: Database, make_services: Callable[..., Any], limiter_settings: dict[str, str]
) -> None:
    services = await make_services(sqlite_db, **limiter_settings)
    principal = await _principal(services, rpm=10)

    results = await asyncio.gather(
        *(services.admit(principal, MODEL) for _ in range(30)), return_exceptions=True
    )

    admitted = [r for r in results if r is None]
    limited = [r for r in results if isinstance(r, RateLimited)]
    assert (len(admitted), len(limited)) == (10, 20)
    assert all(r.retry_after is not None and 0 < r.retry_after <= 60 for r in limited)
    assert all(r.status == 429 and "(RPM): Limit 10, Used 10" in r.message for r in limited)


async def test_rpm_window_slides(
    sqlite_db: Database,
    make_services: Callable[..., Any],
    limiter_settings: dict[str, str],
    clock: ManualClock,
) -> None:
    services = await make_services(sqlite_db, clock=clock, **limiter_settings)
    principal = await _principal(services, rpm=2)
    await services.admit(principal, MODEL)
    clock.advance(20)
    await services.admit(principal, MODEL)

    clock.advance(10)
    with pytest.raises(RateLimited) as caught:
        await services.admit(principal, MODEL)
    assert caught.value.retry_after == pytest.approx(30)

    clock.advance(30)  # the first request leaves the window
    await services.admit(principal, MODEL)
    with pytest.raises(RateLimited) as caught:
        await services.admit(principal, MODEL)
    assert caught.value.retry_after == pytest.approx(20)


async def test_rate_limits_are_per_key(
    sqlite_db: Database, make_services: Callable[..., Any], limiter_settings: dict[str, str]
) -> None:
    services = await make_services(sqlite_db, **limiter_settings)
    first = await _principal(services, rpm=1)
    second = await _principal(services, rpm=1)
    await services.admit(first, MODEL)
    with pytest.raises(RateLimited):
        await services.admit(first, MODEL)
    await services.admit(second, MODEL)


async def test_tpm_admits_while_recorded_tokens_are_below_the_limit(
    sqlite_db: Database,
    make_services: Callable[..., Any],
    limiter_settings: dict[str, str],
    clock: ManualClock,
) -> None:
    services = await make_services(sqlite_db, clock=clock, **limiter_settings)
    principal = await _principal(services, tpm=100)

    await services.admit(principal, MODEL)
    await services.record(_usage(principal, tokens=99))
    await services.admit(principal, MODEL, estimated_tokens=500)  # 99 < 100

    await services.record(_usage(principal, tokens=1))
    with pytest.raises(RateLimited) as caught:
        await services.admit(principal, MODEL, estimated_tokens=40)
    assert "(TPM): Limit 100, Used 100, Requested 40" in caught.value.message
    assert 0 < (caught.value.retry_after or 0) <= 60

    clock.advance(60)
    await services.admit(principal, MODEL)


async def test_tpm_retry_after_is_when_enough_tokens_leave_the_window(
    sqlite_db: Database,
    make_services: Callable[..., Any],
    limiter_settings: dict[str, str],
    clock: ManualClock,
) -> None:
    services = await make_services(sqlite_db, clock=clock, **limiter_settings)
    principal = await _principal(services, tpm=100)
    first_second = math.floor(clock.now)
    await services.record(_usage(principal, tokens=80))
    clock.advance(10)
    await services.record(_usage(principal, tokens=80))
    clock.advance(5)

    with pytest.raises(RateLimited) as caught:
        await services.admit(principal, MODEL)

    # Dropping the first 80 leaves 80 < 100: room once the first bucket leaves the window.
    assert caught.value.retry_after == pytest.approx(first_second + 60 - clock.now)
    clock.advance(caught.value.retry_after or 0)
    await services.admit(principal, MODEL)


async def test_budget_counts_recorded_usage_before_it_reaches_the_ledger(
    sqlite_db: Database, make_services: Callable[..., Any], limiter_settings: dict[str, str]
) -> None:
    services = await make_services(sqlite_db, metering_flush_interval_s=3600, **limiter_settings)
    principal = await _principal(services, budget=0.001)  # 1,000,000 nano-USD
    await services.admit(principal, MODEL)
    await services.record(_usage(principal, tokens=10, cost=600_000))
    await services.admit(principal, MODEL)
    await services.record(_usage(principal, tokens=10, cost=400_000))

    with pytest.raises(BudgetExceeded) as caught:
        await services.admit(principal, MODEL)
    assert caught.value.status == 429 and caught.value.code == "insufficient_quota"
    assert "acme" in caught.value.message


async def test_budget_set_after_usage_counts_that_usage(
    sqlite_db: Database, make_services: Callable[..., Any], limiter_settings: dict[str, str]
) -> None:
    services = await make_services(sqlite_db, metering_flush_interval_s=3600, **limiter_settings)
    raw = await _raw_key(services)
    principal = await services.authenticate(f"Bearer {raw}")
    await services.admit(principal, MODEL)
    await services.record(_usage(principal, cost=2_000_000_000))  # $2, no budget yet

    await services.set_budget("acme", 1.0)

    with pytest.raises(BudgetExceeded):
        await services.admit(await services.authenticate(f"Bearer {raw}"), MODEL)


async def test_budget_reads_this_month_from_the_ledger_after_a_restart(
    db: Database, make_services: Callable[..., Any]
) -> None:
    first = await make_services(db)
    principal = await _principal(first, budget=1.0)
    last_month = datetime.now(UTC).replace(day=1) - timedelta(days=2)
    await first.record(_usage(principal, cost=5_000_000_000, created_at=last_month))
    await first.record(_usage(principal, cost=600_000_000))
    await first.stop()

    restarted = await make_services(db)
    await restarted.admit(principal, MODEL)  # $0.60 this month; last month's $5 don't count
    assert await restarted.month_spend_usd(principal.org_id) == pytest.approx(0.6)
    await restarted.record(_usage(principal, cost=400_000_000))
    with pytest.raises(BudgetExceeded):
        await restarted.admit(principal, MODEL)


async def test_budgets_are_per_organisation(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(sqlite_db)
    spender = await _principal(services, "spender", budget=0.5)
    other = await _principal(services, "other", budget=0.5)
    await services.admit(spender, MODEL)
    await services.admit(other, MODEL)
    await services.record(_usage(spender, cost=500_000_000))

    with pytest.raises(BudgetExceeded):
        await services.admit(spender, MODEL)
    await services.admit(other, MODEL)
