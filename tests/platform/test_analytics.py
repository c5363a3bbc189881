"""Usage reports per organisation and for the operator, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import make_url

from reef.platform import accounts, analytics
from reef.platform.metering import MeteringWriter
from reef.platform.types import UsageRecord
from reef.store.db import Database

TODAY = datetime.now(UTC).date()


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def _record(
    org_id: int, model: str, when: datetime, prompt: int, cost: int, characters: int = 0
) -> UsageRecord:
    return UsageRecord(
        request_id=uuid.uuid4().hex,
        org_id=org_id,
        key_id=None,
        endpoint="/v1/chat/completions",
        model=model,
        status=200,
        prompt_tokens=prompt,
        cached_tokens=prompt // 4,
        completion_tokens=prompt // 2,
        characters=characters,
        cost_nano_usd=cost,
        created_at=when,
    )


async def _write(db: Database, records: list[UsageRecord]) -> None:
    writer = MeteringWriter(db, flush_interval_s=3600, batch_size=100)
    for record in records:
        writer.record(record)
    await writer.flush()


async def test_org_usage_per_day_and_model(db: Database) -> None:
    acme = accounts.create_org(db, "acme").id
    yesterday = TODAY - timedelta(days=1)
    await _write(
        db,
        [
            _record(acme, "small", _at(yesterday, 1), 100, 1_000),
            _record(acme, "small", _at(yesterday, 23, 59), 40, 500),
            _record(acme, "large", _at(yesterday, 5), 8, 2_000_000_000),
            _record(acme, "small", _at(TODAY, 0, 1), 12, 3),
            _record(acme, "speech", _at(TODAY, 2), 0, 7, characters=120),
            _record(acme, "speech", _at(TODAY, 3), 0, 5, characters=80),
            _record(acme, "small", _at(TODAY - timedelta(days=10)), 999, 999),  # before `since`
        ],
    )

    rows = analytics.org_usage(db, acme, since=TODAY - timedelta(days=3))

    summary = [
        (
            r.day,
            r.model,
            r.requests,
            r.prompt_tokens,
            r.cached_tokens,
            r.completion_tokens,
            r.characters,
        )
        for r in rows
    ]
    assert summary == [
        (yesterday.isoformat(), "large", 1, 8, 2, 4, 0),
        (yesterday.isoformat(), "small", 2, 140, 35, 70, 0),
        (TODAY.isoformat(), "small", 1, 12, 3, 6, 0),
        (TODAY.isoformat(), "speech", 2, 0, 0, 0, 200),
    ]
    assert [r.cost_usd for r in rows] == pytest.approx([2.0, 1.5e-6, 3e-9, 1.2e-8])


async def test_one_organisations_usage_never_shows_in_anothers(db: Database) -> None:
    acme = accounts.create_org(db, "acme").id
    globex = accounts.create_org(db, "globex").id
    await _write(
        db,
        [
            _record(acme, "acme-model", _at(TODAY), 10, 10),
            _record(globex, "globex-model", _at(TODAY), 20, 20),
        ],
    )

    acme_rows = analytics.org_usage(db, acme, since=TODAY)
    globex_rows = analytics.org_usage(db, globex, since=TODAY)

    assert [(r.model, r.prompt_tokens) for r in acme_rows] == [("acme-model", 10)]
    assert [(r.model, r.prompt_tokens) for r in globex_rows] == [("globex-model", 20)]


async def test_org_without_usage_has_no_rows(db: Database) -> None:
    quiet = accounts.create_org(db, "quiet").id
    assert analytics.org_usage(db, quiet, since=TODAY - timedelta(days=30)) == []


async def test_operator_summary(db: Database) -> None:
    acme = accounts.create_org(db, "acme").id
    globex = accounts.create_org(db, "globex").id
    accounts.create_org(db, "idle")
    long_ago = TODAY - timedelta(days=45)
    await _write(
        db,
        [
            _record(acme, "small", _at(TODAY), 100, 3_000_000_000),  # 150 tokens, $3
            _record(globex, "small", _at(TODAY), 10, 1_000_000_000),  # 15 tokens, $1
            _record(acme, "small", _at(TODAY - timedelta(days=2)), 20, 2_000_000_000),  # 30, $2
            _record(globex, "small", _at(long_ago), 1000, 50_000_000_000),  # old: $50
        ],
    )

    summary = analytics.operator_summary(db, TODAY)

    assert summary.tokens_per_day == [
        ((TODAY - timedelta(days=2)).isoformat(), 30),
        (TODAY.isoformat(), 165),
    ]
    assert summary.active_organizations == 2
    assert summary.revenue_usd == pytest.approx(56.0)
    assert summary.revenue_30d_usd == pytest.approx(6.0)
    assert summary.arr_run_rate_usd == pytest.approx(6.0 * 365 / 30)


async def test_active_organisations_need_recent_usage(db: Database) -> None:
    old = accounts.create_org(db, "old").id
    await _write(db, [_record(old, "small", _at(TODAY - timedelta(days=31)), 5, 5)])
    summary = analytics.operator_summary(db, TODAY)
    assert summary.active_organizations == 0
    assert summary.tokens_per_day == []
    assert summary.revenue_usd == pytest.approx(5e-9)


@pytest.mark.postgres
async def test_days_are_utc_whatever_the_session_time_zone(pg_url: str) -> None:
    url = make_url(pg_url)
    options = f"{url.query['options']} -cTimeZone=Asia/Tokyo"
    tokyo = Database(url.update_query_dict({"options": options}).render_as_string(False))
    try:
        acme = accounts.create_org(tokyo, "acme").id
        late = _at(TODAY - timedelta(days=1), 23, 30)  # already "today" in Tokyo
        await _write(tokyo, [_record(acme, "small", late, 1, 1)])
        rows = analytics.org_usage(tokyo, acme, since=TODAY - timedelta(days=1))
        assert [r.day for r in rows] == [(TODAY - timedelta(days=1)).isoformat()]
    finally:
        tokyo.dispose()


async def test_service_reports_include_usage_not_yet_written(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    services = await make_services(sqlite_db, metering_flush_interval_s=3600)
    acme = (await services.create_org("acme")).id
    await services.record(_record(acme, "small", _at(TODAY), 7, 70))

    rows = await services.org_usage(acme)
    summary = await services.operator_summary()

    assert [(r.model, r.requests, r.prompt_tokens) for r in rows] == [("small", 1, 7)]
    assert summary.tokens_per_day == [(TODAY.isoformat(), 10)]
