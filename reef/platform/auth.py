"""Bearer-key authentication with a short-lived cache, so the hot path rarely hits the store.

A key revoked through this process is dropped from the cache at once; one revoked elsewhere
(the CLI, another replica) stops working when its cache entry expires, within the TTL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from sqlalchemy import select

from reef.errors import AuthenticationFailed
from reef.platform.clock import Clock
from reef.platform.keys import hash_key, mask_key
from reef.platform.types import Principal
from reef.store.db import Database
from reef.store.tables import ApiKey, Organization

MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def bearer_token(authorization: str | None) -> str:
    """The key in `Bearer <key>` (a bare key is accepted too)."""
    if not authorization or not authorization.strip():
        raise AuthenticationFailed(MISSING_KEY_MESSAGE)
    scheme, _, rest = authorization.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    if not token or " " in token:
        raise AuthenticationFailed(MISSING_KEY_MESSAGE)
    return token


def lookup_principal(db: Database, key_hash: str) -> Principal | None:
    """The active key with this hash and its organisation, or None."""
    query = (
        select(ApiKey, Organization)
        .join(Organization)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )
    with db.session() as session:
        row = session.execute(query).first()
        if row is None:
            return None
        key, org = row
        return Principal(
            org_id=org.id,
            org_name=org.name,
            key_id=key.id,
            is_admin=org.is_admin,
            rpm=key.rpm,
            tpm=key.tpm,
            allowed_models=tuple(key.allowed_models) if key.allowed_models is not None else None,
            monthly_budget_usd=org.monthly_budget_usd,
        )


class Authenticator:
    """Verifies keys against the store, trusting a verified key for `ttl_s` seconds."""

    def __init__(self, db: Database, ttl_s: float, clock: Clock) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every forget, so a lookup racing a revoke isn't cached

    async def authenticate(self, authorization: str | None) -> Principal:
        raw = bearer_token(authorization)
        digest = hash_key(raw)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(digest)
            generation = self._generation
        if cached is not None and cached[1] > now:
            return cached[0]
        principal = await asyncio.to_thread(lookup_principal, self._db, digest)
        with self._lock:
            if principal is None:
                self._cache.pop(digest, None)
            elif generation == self._generation:
                self._cache[digest] = (principal, now + self._ttl_s)
        if principal is None:
            raise AuthenticationFailed(f"Incorrect API key provided: {mask_key(raw)}.")
        return principal

    def forget_key(self, key_id: int) -> None:
        self._forget(lambda p: p.key_id == key_id)

    def forget_org(self, org_id: int) -> None:
        self._forget(lambda p: p.org_id == org_id)

    def _forget(self, match: Callable[[Principal], bool]) -> None:
        with self._lock:
            self._generation += 1
            for digest in [d for d, (p, _) in self._cache.items() if match(p)]:
                del self._cache[digest]
