"""Every table of every part, gathered on one metadata for Alembic.

Each part declares its tables on the store's declarative `Base` in its own `tables` module;
importing them here registers them. Only the migrations import this module, so it sits above
the products in the layers and no product needs to know another's tables.
"""

from __future__ import annotations

from reef.agents import tables as agent_tables
from reef.companion import tables as companion_tables
from reef.store.tables import Base

PART_TABLES = (agent_tables, companion_tables)
"""Imported for their side effect: each registers its tables on `Base`."""
metadata = Base.metadata

__all__ = ["PART_TABLES", "metadata"]
