"""The metering writer batches records into the ledger and loses none on shutdown."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, text

from reef.engine.catalogue import ModelSpec
from reef.platform import accounts, keys
from reef.platform.metering import MeteringWriter, priced
from reef.platform.types import UsageRecord
from reef.store.db import Database
from reef.store.tables import UsageEvent


def _record(org_id: int, key_id: int | None, n: int) -> UsageRecord:
    return UsageRecord(
        request_id=f"req-{n}-{uuid.uuid4().hex[:8]}",
        org_id=org_id,
        key_id=key_id,
        endpoint="/v1/chat/completions",
        model="reef-small",
        status=200,
        prompt_tokens=n,
        cached_tokens=n // 3,
        completion_tokens=2 * n,
        cost_nano_usd=7 * n,
        latency_ms=1.5,
    )


def _ledger_totals(db: Database) -> tuple[int, int, int, int]:
    query = select(
        func.count(),
        func.sum(UsageEvent.prompt_tokens),
        func.sum(UsageEvent.completion_tokens),
        func.sum(UsageEvent.cost_nano_usd),
    )
    with db.session() as session:
        count, prompt, completion, cost = session.execute(query).one()
    return int(count), int(prompt or 0), int(completion or 0), int(cost or 0)


def _org_and_key(db: Database) -> tuple[int, int]:
    org = accounts.create_org(db, "acme")
    _, key = keys.create_key(db, org.id)
    return org.id, key.id


async def test_stop_writes_every_queued_record(db: Database) -> None:
    org_id, key_id = _org_and_key(db)
    writer = MeteringWriter(db, flush_interval_s=3600, batch_size=128)
    writer.start()
    for n in range(1000):
        writer.record(_record(org_id, key_id, n))

    await writer.stop()

    total = sum(range(1000))
    assert _ledger_totals(db) == (1000, total, 2 * total, 7 * total)
    assert writer.pending == 0


async def test_background_task_writes_full_batches_without_being_asked(
    sqlite_db: Database,
) -> None:
    org_id, key_id = _org_and_key(sqlite_db)
    writer = MeteringWriter(sqlite_db, flush_interval_s=3600, batch_size=10)
    writer.start()
    try:
        for n in range(10):
            writer.record(_record(org_id, key_id, n))
        for _ in range(200):
            if _ledger_totals(sqlite_db)[0] == 10:
                break
            await asyncio.sleep(0.05)
        assert _ledger_totals(sqlite_db)[0] == 10
    finally:
        await writer.stop()


async def test_a_record_the_store_rejects_does_not_block_the_rest(sqlite_db: Database) -> None:
    org_id, key_id = _org_and_key(sqlite_db)
    writer = MeteringWriter(sqlite_db, flush_interval_s=3600, batch_size=100)
    writer.record(_record(org_id, key_id, 1))
    writer.record(_record(org_id + 999, key_id, 2))  # no such organisation
    writer.record(_record(org_id, None, 3))

    await writer.flush()

    with sqlite_db.session() as session:
        written = session.scalars(select(UsageEvent.prompt_tokens).order_by(UsageEvent.id)).all()
    assert written == [1, 3]
    assert writer.pending == 0


async def test_records_keep_all_their_fields(db: Database) -> None:
    org_id, key_id = _org_and_key(db)
    writer = MeteringWriter(db, flush_interval_s=3600, batch_size=100)
    record = _record(org_id, key_id, 9)
    record.aborted = True
    record.characters = 42
    writer.record(record)
    await writer.flush()

    with db.session() as session:
        row = session.scalars(select(UsageEvent)).one()
    assert (row.request_id, row.org_id, row.key_id, row.model) == (
        record.request_id,
        org_id,
        key_id,
        "reef-small",
    )
    assert (row.prompt_tokens, row.cached_tokens, row.completion_tokens) == (9, 3, 18)
    assert (row.cost_nano_usd, row.characters, row.aborted, row.status) == (63, 42, True, 200)


async def test_service_record_reaches_the_ledger_on_stop(
    sqlite_db: Database, make_services: Callable[..., Any]
) -> None:
    org_id, key_id = _org_and_key(sqlite_db)
    services = await make_services(sqlite_db, metering_flush_interval_s=3600)
    for n in range(50):
        await services.record(_record(org_id, key_id, n))
    await services.stop()
    assert _ledger_totals(sqlite_db)[0] == 50


def test_priced_uses_the_catalogue_prices() -> None:
    spec = ModelSpec(
        name="m",
        backend="openai",
        base_url="http://127.0.0.1:1",
        input_per_m=2.0,
        cached_input_per_m=0.5,
        output_per_m=8.0,
    )
    record = _record(1, 1, 0)
    record.prompt_tokens, record.cached_tokens, record.completion_tokens = 3000, 1000, 500

    cost = priced(record, spec).cost_nano_usd

    # per token: $2e-6 uncached input, $0.5e-6 cached, $8e-6 output -> nano-USD x1000
    assert cost == 2000 * 2000 + 1000 * 500 + 500 * 8000
    assert record.cost_nano_usd == 0  # the original is left untouched


async def test_service_record_returns_only_once_the_record_is_committed(
    db: Database, make_services: Callable[..., Any]
) -> None:
    """What a response waits for before its last bytes: the row is in the ledger, no flush."""
    org_id, key_id = _org_and_key(db)
    services = await make_services(db, metering_flush_interval_s=3600)
    try:
        await asyncio.gather(*(services.record(_record(org_id, key_id, n)) for n in range(40)))
        assert _ledger_totals(db)[0] == 40
    finally:
        await services.stop()
    assert _ledger_totals(db)[0] == 40


async def test_a_record_written_twice_is_stored_once(db: Database) -> None:
    """A batch retried after an ambiguous failure must not bill twice: `event_key` is unique."""
    org_id, key_id = _org_and_key(db)
    writer = MeteringWriter(db, flush_interval_s=3600, batch_size=100)
    record = _record(org_id, key_id, 5)
    writer.record(record)
    await writer.flush()
    writer.record(record)
    writer.record(_record(org_id, key_id, 6))
    await writer.flush()
    assert _ledger_totals(db)[:2] == (2, 11)


async def test_a_blocked_ledger_delays_the_answer_only_up_to_the_wait(pg_db: Database) -> None:
    """With the table locked the request goes on after `timeout_s`; the record stays queued and
    lands once the database lets it."""
    org_id, key_id = _org_and_key(pg_db)
    writer = MeteringWriter(pg_db, flush_interval_s=0.05, batch_size=100)
    writer.start()
    record = _record(org_id, key_id, 3)
    with pg_db.engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE usage_events IN ACCESS EXCLUSIVE MODE"))
        assert not await writer.committed(record, writer.submit(record), timeout_s=0.3)
        assert writer.pending == 1
        blocker.rollback()
    for _ in range(100):
        if _ledger_totals(pg_db)[0] == 1:
            break
        await asyncio.sleep(0.05)
    await writer.stop()
    assert _ledger_totals(pg_db)[:2] == (1, 3)
