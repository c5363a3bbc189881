"""The usage ledger writer: requests enqueue records, a background task batch-inserts them.

Recording never waits on the database; `stop()` writes whatever is still queued. A batch
that fails for a transient reason goes back to the head of the queue and is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from dataclasses import asdict, replace
from datetime import datetime

from sqlalchemy import func, insert, select
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

    async def flush(self) -> None:
        """Write everything queued so far; raises if the database refuses."""
        async with self._flush_lock:
            # `pending` also counts a batch a cancelled flush left in its thread: waiting
            # for it here means a failed batch put back in the queue is written too.
            while self.pending:
                await asyncio.to_thread(self._write_one_batch)

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
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("metering: batch insert failed; retrying in %.1fs", self._interval)

    def _write_one_batch(self) -> None:
        with self._commit_lock:
            count = min(self._batch_size, len(self._queue))
            self._writing = [self._queue.popleft() for _ in range(count)]
            try:
                self._insert(self._writing)
            except Exception:
                self._queue.extendleft(reversed(self._writing))
                raise
            finally:
                self._writing = []

    def _insert(self, records: list[UsageRecord]) -> None:
        if not records:
            return
        try:
            with self._db.session() as session:
                session.execute(insert(UsageEvent), [_row(r) for r in records])
        except IntegrityError:
            self._insert_one_by_one(records)

    def _insert_one_by_one(self, records: list[UsageRecord]) -> None:
        """Isolate rows the schema rejects (an unknown org) so they can't block the rest.

        Rows leave `records` as they are settled, so a transient failure half-way puts
        back only the unwritten ones.
        """
        while records:
            try:
                with self._db.session() as session:
                    session.execute(insert(UsageEvent), [_row(records[0])])
            except IntegrityError:
                log.error("metering: dropped usage record the store rejects: %r", records[0])
            records.pop(0)
