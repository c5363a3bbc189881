"""Keyset pagination: "the rows after this one" in a list ordered by (a column descending, id
ascending). Stable while rows are added, unlike offsets, and each page is one indexed query."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from reef.errors import InvalidRequest

S = TypeVar("S", bound=Select)


def after_row(
    session: Session,
    query: S,
    order_col: InstrumentedAttribute[Any],
    id_col: InstrumentedAttribute[Any],
    after: str | None,
    scope: Any,
) -> S:
    """`query` limited to rows after the row `after` (whose id must satisfy `scope`, e.g. the
    caller's organisation: a foreign id is an invalid cursor, never a hint that it exists)."""
    if after is None:
        return query
    anchor = session.execute(select(order_col).where(id_col == after, scope)).first()
    if anchor is None:
        raise InvalidRequest(
            f"'after' is not the id of an item in this list: {after!r}",
            param="after",
            code="invalid_cursor",
        )
    value = anchor[0]
    return query.where(or_(order_col < value, and_(order_col == value, id_col > after)))
