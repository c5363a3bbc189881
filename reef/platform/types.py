"""Small typed values the API exchanges with the platform services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified key and its organisation."""

    org_id: int
    org_name: str
    key_id: int
    is_admin: bool = False
    rpm: int | None = None
    tpm: int | None = None
    allowed_models: tuple[str, ...] | None = None
    monthly_budget_usd: float | None = None


@dataclass
class UsageRecord:
    """One request as the ledger stores it."""

    request_id: str
    org_id: int
    key_id: int | None
    endpoint: str
    model: str
    status: int
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    characters: int = 0
    cost_nano_usd: int = 0
    latency_ms: float = 0.0
    aborted: bool = False
    created_at: datetime | None = None
    # The ledger's idempotency key: the same record written twice is stored once.
    event_key: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class OrgInfo:
    """An organisation as accounts functions return it."""

    id: int
    name: str
    is_admin: bool
    monthly_budget_usd: float | None
    created_at: datetime


@dataclass(frozen=True)
class KeyInfo:
    id: int
    org_name: str
    name: str
    prefix: str
    rpm: int | None
    tpm: int | None
    allowed_models: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass
class UsageRow:
    day: str
    model: str
    requests: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    characters: int
    cost_usd: float


@dataclass
class OperatorSummary:
    tokens_per_day: list[tuple[str, int]] = field(default_factory=list)
    active_organizations: int = 0
    revenue_usd: float = 0.0
    revenue_30d_usd: float = 0.0
    arr_run_rate_usd: float = 0.0
