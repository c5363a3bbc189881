"""Usage reports from the ledger, for one organisation and for the operator.

Days are UTC calendar days. SQLite and PostgreSQL bucket timestamps differently, so the
day expression is chosen per dialect; format strings are inlined so PostgreSQL sees the
same expression in SELECT and GROUP BY.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, ColumnExpressionArgument, func, literal_column, select

from reef.platform.types import OperatorSummary, UsageRow
from reef.store.db import Database
from reef.store.tables import UsageEvent
from reef.units import NANO_PER_USD

RECENT_DAYS = 30
"""Window for 'active' organisations and recent revenue; ARR extrapolates it to a year."""
DAYS_PER_YEAR = 365


def day_of(db: Database) -> ColumnElement[str]:
    """`created_at` as a 'YYYY-MM-DD' UTC day string."""
    if db.is_sqlite:
        # SQLite stores the UTC wall time as text.
        return func.strftime(literal_column("'%Y-%m-%d'"), UsageEvent.created_at)
    return func.to_char(
        func.timezone(literal_column("'UTC'"), UsageEvent.created_at),
        literal_column("'YYYY-MM-DD'"),
    )


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def _total(column: ColumnExpressionArgument[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


def org_usage(db: Database, org_id: int, since: date) -> list[UsageRow]:
    """Requests, tokens, spoken characters and cost of one organisation per day and model."""
    day = day_of(db).label("day")
    query = (
        select(
            day,
            UsageEvent.model,
            func.count(),
            _total(UsageEvent.prompt_tokens),
            _total(UsageEvent.cached_tokens),
            _total(UsageEvent.completion_tokens),
            _total(UsageEvent.characters),
            _total(UsageEvent.cost_nano_usd),
        )
        .where(UsageEvent.org_id == org_id, UsageEvent.created_at >= start_of(since))
        .group_by(day, UsageEvent.model)
        .order_by(day, UsageEvent.model)
    )
    with db.session() as session:
        results = session.execute(query).all()
    return [
        UsageRow(
            day=str(row_day),
            model=model,
            requests=int(requests),
            prompt_tokens=int(prompt),
            cached_tokens=int(cached),
            completion_tokens=int(completion),
            characters=int(characters),
            cost_usd=int(cost) / NANO_PER_USD,
        )
        for row_day, model, requests, prompt, cached, completion, characters, cost in results
    ]


def operator_summary(db: Database, today: date) -> OperatorSummary:
    """Platform-wide tokens per day over the recent window, active orgs, revenue and ARR."""
    recent_start = start_of(today - timedelta(days=RECENT_DAYS - 1))
    day = day_of(db).label("day")
    tokens = _total(UsageEvent.prompt_tokens + UsageEvent.completion_tokens)
    per_day = (
        select(day, tokens).where(UsageEvent.created_at >= recent_start).group_by(day).order_by(day)
    )
    recent = select(
        func.count(func.distinct(UsageEvent.org_id)), _total(UsageEvent.cost_nano_usd)
    ).where(UsageEvent.created_at >= recent_start)
    with db.session() as session:
        tokens_per_day = [(str(d), int(t)) for d, t in session.execute(per_day)]
        active, recent_nano = session.execute(recent).one()
        total_nano = session.scalar(select(_total(UsageEvent.cost_nano_usd)))
    revenue_30d = int(recent_nano) / NANO_PER_USD
    return OperatorSummary(
        tokens_per_day=tokens_per_day,
        active_organizations=int(active),
        revenue_usd=int(total_nano or 0) / NANO_PER_USD,
        revenue_30d_usd=revenue_30d,
        arr_run_rate_usd=revenue_30d * DAYS_PER_YEAR / RECENT_DAYS,
    )
