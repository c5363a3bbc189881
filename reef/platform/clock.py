"""Time as the platform sees it: an injectable wall clock and UTC-only datetimes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""Seconds since the epoch (`time.time`); tests pass a clock they can move."""


def as_utc(moment: datetime | None) -> datetime:
    """An aware UTC datetime; None means now. Naive values are UTC already (SQLite returns
    them so)."""
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
