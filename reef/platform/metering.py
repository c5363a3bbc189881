"""The usage ledger writer: requests enqueue records, a background task batch-inserts them.

A request that `submit`s its record and awaits `committed` is in the ledger before it sends
its last bytes, so a kill -9 cannot lose delivered work. Records that arrive while a batch
commits go into the next one (group commit), so concurrent requests share commits instead
of each paying one. Each record carries an `event_key` the ledger keeps unique; a batch
retried after an ambiguous failure is stored once. A batch that fails for a transient
reason goes back to the head of the queue and is retried; `stop()` writes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from reef.engine.catalogue import ModelSpec
from reef.platform.clock import as_utc
from reef.platform.types import UsageRecord
from reef.store.db import Database
from reef.store.tables import UsageEvent

log = logging.getLogger(__name__)

STOP_ATTEMPTS = 3


def priced(record: UsageRecord, spec: ModelSpec) -> UsageRecord:
    """The record with its cost filled in from the catalogue prices."""
    cost = spec.cost_nano_usd(
        record.prompt_tokens, record.completion_tokens, record.cached_tokens, record.characters
    )
    return replace(record, cost_nano_usd=cost)


def _clip(value: str, column: str) -> str:
    length = getattr(UsageEvent.__table__.c[column].type, "length", None)
    return value if length is None else value[:length]


def _row(record: UsageRecord) -> dict[str, object]:
    row = asdict(record)
    row["created_at"] = as_utc(record.created_at)
    for column in ("request_id", "endpoint", "model"):
        row[column] = _clip(row[column], column)
    return row


def _insert(db: Database) -> Any:
    """INSERT that skips rows whose `event_key` is already stored (an idempotent retry)."""
    dialect = sqlite if db.is_sqlite else postgresql
    return dialect.insert(UsageEvent).on_conflict_do_nothing(index_elements=["event_key"])


def spend_in_ledger(db: Database, org_id: int, start: datetime, end: datetime) -> int:
    """Nano-USD the ledger holds for `org_id` between `start` (inclusive) and `end`."""
    query = select(func.coalesce(func.sum(UsageEvent.cost_nano_usd), 0)).where(
        UsageEvent.org_id == org_id,
        UsageEvent.created_at >= start,
        UsageEvent.created_at < end,
    )
    with db.session() as session:
        return int(session.scalar(query) or 0)


class MeteringWriter:
    """Queue plus background batch inserter for `UsageRecord`s.

    `record` must be called from the event loop that ran `start`; the database work runs
    in worker threads.
    """

    def __init__(self, db: Database, flush_interval_s: float, batch_size: int) -> None:
        self._db = db
        self._interval = flush_interval_s
        self._batch_size = batch_size
        self._queue: deque[UsageRecord] = deque()
        self._writing: list[UsageRecord] = []
        self._commit_lock = threading.Lock()  # taking a batch .. committing it is one step
        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiters: dict[str, asyncio.Future[None]] = {}
        self._statement = _insert(db)

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._writing)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="reef-metering")

    def record(self, record: UsageRecord) -> None:
        """Enqueue without blocking; a full batch wakes the writer early."""
        record.created_at = as_utc(record.created_at)
        self._queue.append(record)
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def submit(self, record: UsageRecord) -> asyncio.Future[None]:
        """Enqueue and wake the writer now; the future resolves once the record is stored
        (or rejected by the schema, which no retry would change)."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[record.event_key] = committed
        self.record(record)
        self._wake.set()
        return committed

    async def committed(
        self, record: UsageRecord, committed: asyncio.Future[None], timeout_s: float
    ) -> bool:
        """Wait for a `submit`ted record; False if `timeout_s` passed first (the database is
        down or slow): the record stays queued and the writer keeps retrying it."""
        try:
            await asyncio.wait_for(asyncio.shield(committed), timeout_s)
            return True
        except TimeoutError:
            log.warning(
                "metering: usage of %s not committed within %.1fs", record.request_id, timeout_s
            )
            return False
        finally:
            self._waiters.pop(record.event_key, None)

    async def flush(self) -> None:
        """Write everything queued so far; raises if the database refuses."""
        async with self._flush_lock:
            # `pending` also counts a batch a cancelled flush left in its thread: waiting
            # for it here means a failed batch put back in the queue is written too.
            while self.pending:
                try:
                    settled = await asyncio.to_thread(self._write_one_batch)
                except _BatchFailed as failed:
                    self._settle(failed.settled)
                    raise failed.cause from None
                self._settle(settled)

    def _settle_all(self) -> None:
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_result(None)

    def _settle(self, records: list[UsageRecord]) -> None:
        for record in records:
            waiter = self._waiters.get(record.event_key)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def stop(self) -> None:
        """Stop the background task and write every queued record."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for attempt in range(1, STOP_ATTEMPTS + 1):
            try:
                await self.flush()
                self._settle_all()  # everything is written, batches a cancelled flush left too
                return
            except Exception:
                if attempt == STOP_ATTEMPTS:
                    log.exception("metering: %d usage records could not be written", self.pending)
                    raise
                await asyncio.sleep(self._interval)

    def spend(self, org_id: int, start: datetime, end: datetime) -> int:
        """Ledger spend plus what is still queued, read as one consistent snapshot (blocking)."""
        with self._commit_lock:
            queued = [*self._writing, *self._queue.copy()]
            pending = sum(
                r.cost_nano_usd
                for r in queued
                if r.org_id == org_id and r.created_at is not None and start <= r.created_at < end
            )
            return pending + spend_in_ledger(self._db, org_id, start, end)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            # One turn of the loop first: requests finishing in the same iteration join this
            # commit instead of each paying their own.
            await asyncio.sleep(0)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("metering: batch insert failed; retrying in %.1fs", self._interval)

    def _write_one_batch(self) -> list[UsageRecord]:
        """Insert the head of the queue; the records settled (stored or rejected)."""
        with self._commit_lock:
            count = min(self._batch_size, len(self._queue))
            self._writing = [self._queue.popleft() for _ in range(count)]
            batch = list(self._writing)
            try:
                self._insert(self._writing)
            except Exception as exc:
                self._queue.extendleft(reversed(self._writing))
                left = {r.event_key for r in self._writing}
                raise _BatchFailed(exc, [r for r in batch if r.event_key not in left]) from exc
            finally:
                self._writing = []
            return batch

    def _insert(self, records: list[UsageRecord]) -> None:
        if not records:
            return
        try:
            # Core, not an ORM session: a commit per request group is on the request path,
            # and the session machinery costs as much as the insert itself.
            with self._db.engine.begin() as conn:
                conn.execute(self._statement, [_row(r) for r in records])
        except IntegrityError:
            self._insert_one_by_one(records)

    def _insert_one_by_one(self, records: list[UsageRecord]) -> None:
        """Isolate rows the schema rejects (an unknown org) so they can't block the rest.

        Rows leave `records` as they are settled, so a transient failure half-way puts
        back only the unwritten ones.
        """
        while records:
            try:
                with self._db.engine.begin() as conn:
                    conn.execute(self._statement, [_row(records[0])])
            except IntegrityError:
                log.error("metering: dropped usage record the store rejects: %r", records[0])
            records.pop(0)


class _BatchFailed(Exception):
    """A batch insert failed; `settled` are the rows of it that were dealt with first."""

    def __init__(self, cause: Exception, settled: list[UsageRecord]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.settled = settled
