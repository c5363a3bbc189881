"""`PlatformServices`: the one object the API uses for keys, admission, metering and reports.

Route-facing methods are async and run database work in threads, so the event loop never
waits on the store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from reef.platform import accounts, analytics, bootstrap, keys
from reef.platform.accounts import OrgRef
from reef.platform.admission import Admission, month_span
from reef.platform.auth import Authenticator
from reef.platform.clock import Clock, as_utc
from reef.platform.limits import Limiter, MemoryLimiter
from reef.platform.metering import MeteringWriter
from reef.platform.types import (
    KeyInfo,
    OperatorSummary,
    OrgInfo,
    Principal,
    UsageRecord,
    UsageRow,
)
from reef.settings import Settings
from reef.store.db import Database
from reef.units import NANO_PER_USD

log = logging.getLogger(__name__)


def make_limiter(settings: Settings, clock: Clock) -> Limiter:
    """Redis when configured (replicas share limits), otherwise in-process counters."""
    if settings.redis_url:
        from reef.platform.redis_limits import RedisLimiter

        return RedisLimiter(settings.redis_url, settings.redis_prefix, clock)
    return MemoryLimiter(clock)


class PlatformServices:
    """Accounts, authentication, admission, metering and analytics over one store."""

    def __init__(self, settings: Settings, db: Database, *, clock: Clock = time.time) -> None:
        self.settings = settings
        self.db = db
        self._clock = clock
        self._limiter = make_limiter(settings, clock)
        self._metering = MeteringWriter(
            db, settings.metering_flush_interval_s, settings.metering_batch_size
        )
        self._auth = Authenticator(db, settings.key_cache_ttl_s, clock)
        self._admission = Admission(self._limiter, self._metering.spend, clock)
        self._stopped = False

    async def start(self) -> None:
        self._metering.start()

    async def stop(self) -> None:
        """Write every queued usage record, then release the limiter's connections."""
        if self._stopped:
            return
        self._stopped = True
        try:
            await self._metering.stop()
        finally:
            await self._limiter.close()

    # -- request path -------------------------------------------------------------------

    async def authenticate(self, authorization_header: str | None) -> Principal:
        """The caller behind `Authorization: Bearer <key>`; AuthenticationFailed otherwise."""
        return await self._auth.authenticate(authorization_header)

    async def admit(self, principal: Principal, model: str, estimated_tokens: int = 0) -> None:
        """PermissionDenied (403), BudgetExceeded or RateLimited (429), or return if admitted."""
        await self._admission.admit(principal, model, estimated_tokens)

    async def record(self, record: UsageRecord) -> None:
        """Put the record in the ledger and count its tokens and cost in the limiter.

        Returns once the record is committed (or `metering_durable_wait_s` passed with the
        database unreachable): callers record before sending a response's last bytes, so a
        crash cannot lose what a client received in full."""
        record.created_at = as_utc(record.created_at)
        committed = self._metering.submit(record)
        month, _, _ = month_span(record.created_at)
        try:
            await self._limiter.add_usage(
                record.key_id,
                record.org_id,
                record.prompt_tokens + record.completion_tokens,
                record.cost_nano_usd,
                month,
            )
        except Exception:
            # The ledger already has the record; a limiter hiccup must not fail the request.
            log.exception("could not count usage of request %s in the limiter", record.request_id)
        await self._metering.committed(record, committed, self.settings.metering_durable_wait_s)

    async def flush(self) -> None:
        """Write queued usage now (tests, reports that must include the last request)."""
        await self._metering.flush()

    async def month_spend_usd(self, org_id: int) -> float:
        """This calendar month's spend of an organisation, including unwritten usage."""
        return await self._admission.month_spend_nano(org_id) / NANO_PER_USD

    # -- accounts -----------------------------------------------------------------------

    async def ensure_admin_org(self) -> str | None:
        return await asyncio.to_thread(bootstrap.ensure_admin_org, self.db)

    async def create_org(
        self, name: str, *, is_admin: bool = False, monthly_budget_usd: float | None = None
    ) -> OrgInfo:
        return await asyncio.to_thread(
            accounts.create_org,
            self.db,
            name,
            is_admin=is_admin,
            monthly_budget_usd=monthly_budget_usd,
        )

    async def get_or_create_org(self, name: str) -> tuple[OrgInfo, bool]:
        return await asyncio.to_thread(accounts.get_or_create_org, self.db, name)

    async def get_org(self, org: OrgRef) -> OrgInfo:
        return await asyncio.to_thread(accounts.get_org, self.db, org)

    async def list_orgs(self) -> list[OrgInfo]:
        return await asyncio.to_thread(accounts.list_orgs, self.db)

    async def set_budget(self, org: OrgRef, usd: float | None) -> OrgInfo:
        info = await asyncio.to_thread(accounts.set_budget, self.db, org, usd)
        self._auth.forget_org(info.id)
        return info

    async def create_key(
        self,
        org: OrgRef,
        *,
        name: str = "",
        rpm: int | None = None,
        tpm: int | None = None,
        allowed_models: Sequence[str] | None = None,
    ) -> tuple[str, KeyInfo]:
        """A new key for an existing organisation: (raw key, shown only now; its info)."""
        return await asyncio.to_thread(
            keys.create_key,
            self.db,
            org,
            name=name,
            rpm=rpm,
            tpm=tpm,
            allowed_models=allowed_models,
        )

    async def list_keys(self, org: OrgRef | None = None) -> list[KeyInfo]:
        return await asyncio.to_thread(keys.list_keys, self.db, org)

    async def revoke_key(self, ref: int | str) -> KeyInfo:
        """Revoke by id, display prefix or full key; it stops authenticating at once here."""
        info = await asyncio.to_thread(keys.revoke_key, self.db, ref)
        self._auth.forget_key(info.id)
        return info

    # -- analytics ----------------------------------------------------------------------

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock(), UTC).date()

    async def org_usage(self, org_id: int, since: date | None = None) -> list[UsageRow]:
        """Per day and model since `since` (default: the last 30 days), this process's
        queued usage included."""
        await self._metering.flush()
        start = since or self._today() - timedelta(days=analytics.RECENT_DAYS - 1)
        return await asyncio.to_thread(analytics.org_usage, self.db, org_id, start)

    async def operator_summary(self) -> OperatorSummary:
        await self._metering.flush()
        return await asyncio.to_thread(analytics.operator_summary, self.db, self._today())
